"""The evaluation gate: headline figures must not fall below floors pinned in ``reports/floors.json``.

Modelled on trafilatura's evaluation gate. The floors file pins, for each headline figure, the value a
change must keep, the direction ("min": higher is better, "max": lower is better) and the noise margin
a change may lose without failing; and the sha256 of the evaluation data the floors were measured on.

* ``check``: every figure within its margin of its floor, on the same evaluation data; else a failure
  per figure, in words.
* ``pin``: write the current figures as the new floors. A floor only moves the good way (up for "min",
  down for "max") unless ``allow_lower`` is set, which re-pinning after a deliberate trade-off needs and
  the commit message should explain.

The margins are of the size of the figures' noise: 0.005 of FPR is 2 false positives in 472 genuine pages
(1 is 0.0021); 0.005 of ROC-AUC is about 17,500 of held-out l2r's 3.5 million (machine, human) pairs
misordered, about half its bootstrap interval's width; 0.03 of TPR at 1% FPR is about 110 of its 3,722
machine texts. A re-pin with ``allow_lower`` can lower a floor by any amount, a margin's worth each time,
so each lowering belongs in a commit message that says why; the report of a re-pinning run lists the floors
it moved.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from detector.errors import ConfigError

Direction = Literal["min", "max"]

#: The headline figures the gate holds, with their direction and noise margin.
HEADLINES: dict[str, tuple[Direction, float]] = {
    "genuine_html.fpr": ("max", 0.005),
    "genuine_html.ece": ("max", 0.01),
    "l2r.roc_auc": ("min", 0.005),
    "l2r.tpr_at_1pct_fpr": ("min", 0.03),
    "l2r.ece_at_prior": ("max", 0.01),
    "seeds.min_farm_probability": ("min", 0.05),
    "seeds.max_genuine_probability": ("max", 0.05),
}


@dataclass(frozen=True)
class Failure:
    figure: str
    value: float | None
    floor: float
    margin: float
    direction: Direction

    def __str__(self) -> str:
        if self.value is None:
            return f"{self.figure}: not computed (floor {self.floor:.4f})"
        word = "below" if self.direction == "min" else "above"
        return (
            f"{self.figure} = {self.value:.4f} is {word} its floor {self.floor:.4f} "
            f"by more than the noise margin {self.margin:.4f}"
        )


def load_floors(path: Path) -> dict[str, Any] | None:
    """The pinned floors, or None when the file does not exist yet.

    Raises:
        ConfigError: the file exists but is not a floors file.
    """
    if not path.is_file():
        return None
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc}") from exc
    if "figures" not in data or "data_sha256" not in data:
        raise ConfigError(f"{path} is not a floors file (no 'figures' / 'data_sha256')")
    return data


def check(figures: dict[str, float | None], data_sha256: str, floors: dict[str, Any] | None) -> list[str]:
    """Problems with ``figures`` against ``floors``, in words (empty: the gate passes)."""
    if floors is None:
        return ["no floors are pinned yet: run `make eval-pin` once and commit reports/floors.json"]
    if floors["data_sha256"] != data_sha256:
        return [
            f"the evaluation data changed (sha256 {data_sha256[:12]}, floors pinned on "
            f"{floors['data_sha256'][:12]}): re-pin with `make eval-pin` and say why in the commit"
        ]
    problems = []
    for name, spec in floors["figures"].items():
        value = figures.get(name)
        floor, margin, direction = float(spec["floor"]), float(spec["margin"]), spec["direction"]
        bad = value is None or (value < floor - margin if direction == "min" else value > floor + margin)
        if bad:
            problems.append(str(Failure(name, value, floor, margin, direction)))
    return problems


def pin(
    figures: dict[str, float | None],
    data_sha256: str,
    floors: dict[str, Any] | None,
    *,
    allow_lower: bool = False,
) -> dict[str, Any]:
    """New floors from ``figures``: each moves only the good way unless ``allow_lower``.

    Raises:
        ConfigError: a figure is missing, or a floor would move the bad way without ``allow_lower``.
    """
    # Compared with the old floors even when the data changed: new data is no licence to lower a floor.
    old = floors["figures"] if floors else {}
    out: dict[str, Any] = {}
    worse = []
    for name, (direction, margin) in HEADLINES.items():
        raw = figures.get(name)
        if raw is None:
            raise ConfigError(f"cannot pin {name}: the evaluation did not compute it")
        value = _stored(float(raw), direction)
        if name in old:
            previous = float(old[name]["floor"])
            # Worse by more than the one step of rounding the stored floors take.
            worse_by_more = value < previous - _STEP if direction == "min" else value > previous + _STEP
            if worse_by_more and not allow_lower:
                worse.append(f"{name}: {previous:.4f} -> {value:.4f}")
        out[name] = {"floor": value, "margin": margin, "direction": direction}
    if worse:
        raise ConfigError(
            "re-pinning would lower these floors: " + "; ".join(worse) + ". Pass --allow-lower (and say why)."
        )
    return {"data_sha256": data_sha256, "figures": out}


_STEP = 1.000001e-6  # one unit of the 6th decimal, and float noise


def _stored(value: float, direction: str) -> float:
    """``value`` to the 6 decimals floors are stored with, rounded to the side it passes on (down for a
    "min" floor, up for a "max" one), so that the figure a floor was pinned from always meets it."""
    scaled = round(value * 1e6, 3)  # float noise (0.1 * 1e6 = 100000.00000000001) must not move it a step
    return (math.floor(scaled) if direction == "min" else math.ceil(scaled)) / 1e6


def write_floors(path: Path, floors: dict[str, Any]) -> None:
    path.write_text(json.dumps(floors, indent=1, sort_keys=True) + "\n", encoding="utf-8")
