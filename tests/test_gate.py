"""The evaluation gate: floors hold figures, re-pinning only moves them the good way unless told."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from detector import gate
from detector.errors import ConfigError

FIGURES = {
    "genuine_html.fpr": 0.002,
    "genuine_html.ece": 0.003,
    "l2r.roc_auc": 0.95,
    "l2r.tpr_at_1pct_fpr": 0.55,
    "l2r.ece_at_prior": 0.02,
    "seeds.min_farm_probability": 0.99,
    "seeds.max_genuine_probability": 0.05,
}


def test_pinned_figures_pass_and_a_drop_beyond_the_margin_fails() -> None:
    floors = gate.pin(FIGURES, "abc", None)
    assert gate.check(FIGURES, "abc", floors) == []
    slightly = dict(FIGURES, **{"l2r.roc_auc": 0.947})  # within the 0.005 margin
    assert gate.check(slightly, "abc", floors) == []
    worse = dict(FIGURES, **{"l2r.roc_auc": 0.94, "genuine_html.fpr": 0.02})
    problems = gate.check(worse, "abc", floors)
    assert len(problems) == 2
    assert any("l2r.roc_auc = 0.9400 is below its floor 0.9500" in p for p in problems)
    assert any("genuine_html.fpr = 0.0200 is above its floor" in p for p in problems)


def test_other_evaluation_data_fails_the_gate() -> None:
    floors = gate.pin(FIGURES, "abc", None)
    (problem,) = gate.check(FIGURES, "def", floors)
    assert "evaluation data changed" in problem


def test_no_floors_says_how_to_pin() -> None:
    (problem,) = gate.check(FIGURES, "abc", None)
    assert "make eval-pin" in problem


def test_repinning_cannot_lower_a_floor_without_the_flag() -> None:
    floors = gate.pin(FIGURES, "abc", None)
    better = dict(FIGURES, **{"l2r.roc_auc": 0.96, "genuine_html.fpr": 0.0})
    assert gate.pin(better, "abc", floors)["figures"]["l2r.roc_auc"]["floor"] == 0.96
    worse = dict(FIGURES, **{"l2r.roc_auc": 0.94})
    with pytest.raises(ConfigError, match=r"lower these floors: l2r.roc_auc: 0.9500 -> 0.9400"):
        gate.pin(worse, "abc", floors)
    with pytest.raises(ConfigError, match="lower"):
        gate.pin(worse, "new-data", floors)  # new data is no licence to lower a floor
    assert gate.pin(worse, "abc", floors, allow_lower=True)["figures"]["l2r.roc_auc"]["floor"] == 0.94
    same = dict(FIGURES, **{"l2r.roc_auc": 0.95 - 1e-9})  # below the floor only past its 6 stored decimals
    assert gate.pin(same, "abc", floors)["figures"]["l2r.roc_auc"]["floor"] == 0.949999


def test_a_pinned_figure_always_meets_its_own_floor() -> None:
    # Stored to 6 decimals, rounded to the side the figure passes on: down for a minimum, up for a maximum.
    figures = dict(FIGURES, **{"seeds.min_farm_probability": 0.9999495, "genuine_html.ece": 0.0016575})
    floors = gate.pin(figures, "abc", None)["figures"]
    assert floors["seeds.min_farm_probability"]["floor"] == 0.999949
    assert floors["genuine_html.ece"]["floor"] == 0.001658
    assert floors["l2r.roc_auc"]["floor"] == FIGURES["l2r.roc_auc"]  # exact 6-decimal values stay as they are
    assert gate.check(figures, "abc", gate.pin(figures, "abc", None)) == []


def test_floors_file_round_trip_and_bad_files(tmp_path: Path) -> None:
    path = tmp_path / "floors.json"
    assert gate.load_floors(path) is None
    gate.write_floors(path, gate.pin(FIGURES, "abc", None))
    assert gate.load_floors(path) == json.loads(path.read_text())
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        gate.load_floors(path)
    path.write_text("{}")
    with pytest.raises(ConfigError, match="not a floors file"):
        gate.load_floors(path)


def test_committed_floors_cover_every_headline_figure() -> None:
    floors = gate.load_floors(Path(__file__).resolve().parents[1] / "reports" / "floors.json")
    assert floors is not None, "reports/floors.json must be committed"
    assert set(floors["figures"]) == set(gate.HEADLINES)


def test_a_repinning_run_says_what_it_moved_and_how_the_old_floors_fared() -> None:
    from detector.evaluate import _pin_lines

    before = gate.pin(FIGURES, "abc", None)
    better = dict(FIGURES, **{"l2r.roc_auc": 0.96})
    after = gate.pin(better, "abc", before)
    (line,) = _pin_lines(before, after, gate.check(better, "abc", before))
    assert "holds by construction" in line and "every figure held" in line
    assert "l2r.roc_auc 0.9500 -> 0.9600" in line and "genuine_html.fpr" not in line
    worse = dict(FIGURES, **{"l2r.roc_auc": 0.90})
    lowered = gate.pin(worse, "abc", before, allow_lower=True)
    (line,) = _pin_lines(before, lowered, gate.check(worse, "abc", before))
    assert "l2r.roc_auc = 0.9000 is below its floor 0.9500" in line and "0.9500 -> 0.9000" in line
    (line,) = _pin_lines(None, before, [])
    assert "no floors before" in line and "No floor moved" in line


def _finished_run(tmp_path: Path, **changes: object) -> Path:
    """The committed full evaluation's results, made out to be the shipped model's (plus ``changes``)."""
    from detector.evaluate import REPORTS
    from detector.model import PageModel, default_model_dir

    res = json.loads((REPORTS / "eval.json").read_text(encoding="utf-8"))
    res["model_version"] = PageModel.load(default_model_dir()).version
    res.update(changes)
    path = tmp_path / "eval.json"
    path.write_text(json.dumps(res), encoding="utf-8")
    return path


def test_a_finished_runs_figures_are_re_pinned_without_running_it_again(tmp_path: Path) -> None:
    from detector.evaluate import main

    results = _finished_run(tmp_path)
    reports = tmp_path / "reports"
    assert main(["--from-results", str(results), "--reports", str(reports), "--pin"]) == 0
    saved = json.loads(results.read_text(encoding="utf-8"))
    floors = gate.load_floors(reports / "floors.json")
    assert floors is not None and floors["data_sha256"] == saved["corpus_sha256"]
    assert floors["figures"]["l2r.roc_auc"]["floor"] == pytest.approx(saved["figures"]["l2r.roc_auc"])
    written = json.loads((reports / "eval.json").read_text(encoding="utf-8"))
    assert written["gate"]["passed"] and written["cross_genre"] == saved["cross_genre"]  # the figures as they were
    report = (reports / "eval.md").read_text(encoding="utf-8")
    assert "Margins at a glance" in report and "from the results it saved (`--from-results`" in report


def test_a_finished_run_of_another_model_or_corpus_is_refused(tmp_path: Path) -> None:
    from detector.dataset import default_corpus_dir
    from detector.evaluate import saved_results
    from detector.model import default_model_dir

    model, corpus = default_model_dir(), default_corpus_dir()
    with pytest.raises(ConfigError, match="evaluate this model again"):
        saved_results(_finished_run(tmp_path, model_version="fs-0-0-s0-0"), model, corpus)
    with pytest.raises(ConfigError, match="evaluate this model again"):
        saved_results(_finished_run(tmp_path, corpus_sha256="0" * 64), model, corpus)
    with pytest.raises(ConfigError, match="cannot read"):
        saved_results(tmp_path / "nowhere.json", model, corpus)
    (tmp_path / "list.json").write_text("[]", encoding="utf-8")
    with pytest.raises(ConfigError, match="no evaluation's results"):
        saved_results(tmp_path / "list.json", model, corpus)
