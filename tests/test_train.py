"""Training's folds: the calibration is fitted on decisions no model behind them made with the row's genre."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import GroupKFold

from detector.estimator import SignalClassifier, domain_prior_weights
from detector.train import _ROW_FIELDS, N_FOLDS, FeatureTable, calibration_domains, genre_groups


def _table() -> FeatureTable:
    """Eight genres of l2r pairs (a human text and two rewrites each) and 30 web pages without a genre."""
    table = FeatureTable(**{name: [] for name in _ROW_FIELDS})
    for g in range(8):
        for pair in range(10):
            for k in range(3):
                table.genre.append(f"genre{g}")
                table.group.append(f"genre{g}:{pair}")
                table.y.append(int(k > 0))
    for page in range(30):
        table.genre.append("")
        table.group.append(f"page{page}")
        table.y.append(0)
    return table


def test_genre_groups_keep_a_genre_together_and_web_pages_apart() -> None:
    table = _table()
    groups = genre_groups(table)
    assert len(set(groups)) == 8 + 30
    assert {g for g, genre in zip(groups, table.genre, strict=True) if genre == "genre3"} == {"genre:genre3"}
    for train, test in GroupKFold(n_splits=N_FOLDS).split(np.zeros(len(groups)), table.y, groups):
        assert not {table.genre[i] for i in train} & {table.genre[i] for i in test} - {""}


def test_calibration_weighs_each_genre_and_the_web_pages_alike() -> None:
    table = _table()
    domains = calibration_domains(table)
    assert sorted(set(domains)) == sorted({f"genre:genre{g}" for g in range(8)} | {"web"})
    # The web pages hold one class here: weighed as one more domain, they are 1/9 of the calibration.
    w = domain_prior_weights(np.ones(len(domains)), np.asarray(table.y), 0.1, domains)
    web = np.array(domains) == "web"
    assert w[web].sum() / w.sum() == pytest.approx(1 / 9)


def test_the_page_models_folds_are_the_text_models() -> None:
    """Each fold of the text model's unseen-genre logits is decided on by one page-model fold model.

    ``text_logits`` splits with ``GroupKFold(N_FOLDS)`` on ``genre_groups``, ``train.fit`` gives the
    ``SignalClassifier`` the same groups: on one column, one fold model's decisions are one straight line.
    """
    table = _table()
    groups = genre_groups(table)
    y = np.asarray(table.y)
    X = np.random.default_rng(0).normal(y, 1.0).reshape(-1, 1)
    oof = SignalClassifier(random_state=0).fit(X, y, groups=groups).oof_decision_
    folds = list(GroupKFold(n_splits=N_FOLDS).split(np.zeros(len(y)), y, groups))
    lines = set()
    for _, test in folds:
        slope, intercept = np.polyfit(X[test, 0], oof[test], 1)
        assert np.ptp(oof[test] - (slope * X[test, 0] + intercept)) < 1e-9
        lines.add((round(slope, 9), round(intercept, 9)))
    assert len(lines) == N_FOLDS  # and each fold its own model


def test_joint_weights_keep_the_named_sources_with_their_classes_balanced() -> None:
    from detector.train import joint_weights

    y = np.array([1, 1, 1, 0, 0, 0])
    source = ["l2r", "l2r", "l2r", "l2r", "web", "web"]
    w = np.array([1.0, 1.0, 2.0, 1.0, 5.0, 5.0])
    out = joint_weights(w, y, source, ("l2r",))
    assert out is not None
    assert out[4] == out[5] == 0.0
    assert out[y == 1].sum() == pytest.approx(out[y == 0].sum())
    assert out[2] == pytest.approx(2 * out[0])  # inside a class, the sample weights stay as they are
    assert joint_weights(w, y, source, None) is None
    assert joint_weights(w, y, source, ("web",)) is None  # one class only: every row
