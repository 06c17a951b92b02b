"""The text model's validation splits: whole pairs held out, generators and genre quarters left out."""

from __future__ import annotations

import numpy as np

from detector.train import FeatureTable
from detector.validate_text import VALIDATION_PARTS, all_splits, inner_split, mean_groups, render, splits

GENRES = ["Business", "Finance", "FoodCusine", "MedicalText", "NewsArticle", "Sports", "TechnicalWriting", "Travel"]
GENERATORS = ["GPT-4o", "Llama-3-70B"]


def _table() -> FeatureTable:
    t = FeatureTable()
    for genre in GENRES:
        for pair in range(12):
            for generator in ["human", *GENERATORS]:
                t.texts.append(f"{genre} {pair} {generator}")
                t.y.append(int(generator != "human"))
                t.source.append("l2r")
                t.group.append(f"{genre}:{pair}")
                t.genre.append(genre)
                t.generator.append(generator)
    for page in range(5):  # genuine web pages: their own groups, no genre
        t.texts.append(f"page {page}")
        t.y.append(0)
        t.source.append("trafilatura-eval")
        t.group.append(f"page-{page}")
        t.genre.append("")
        t.generator.append("human")
    n = len(t.y)
    t.X, t.fmt, t.ids = [[0.0]] * n, ["text"] * n, [str(i) for i in range(n)]
    t.synthetic, t.page_texts, t.lang = [False] * n, [""] * n, ["en"] * n
    return t


def test_inner_split_holds_out_whole_pairs_of_l2r_only() -> None:
    learn, val = inner_split(_table())
    assert set(learn.group).isdisjoint(val.group)
    assert set(val.source) == {"l2r"} and "trafilatura-eval" in learn.source
    share = len(set(val.group)) / (len(GENRES) * 12)
    assert 0.1 < share < 0.4
    for group in set(val.group):  # a held-out pair keeps its human text and every rewrite
        assert sorted(g for g, grp in zip(val.generator, val.group, strict=True) if grp == group) == [
            *GENERATORS,
            "human",
        ]


def test_nine_kinds_of_split_leave_out_what_they_test() -> None:
    learn, val = inner_split(_table())
    out = splits(learn, val)
    assert [name for name, _, _ in out][:3] == ["all", "without GPT-4o", "without Llama-3-70B"]
    assert len(out) == 1 + len(GENERATORS) + 4
    for name, train, test in out[1:3]:
        gen = name.removeprefix("without ")
        assert gen not in train.generator and set(test.generator) == {gen, "human"}
    quarters = [set(test.genre) for _, _, test in out[3:]]
    assert set().union(*quarters) == set(val.genre) and sum(len(q) for q in quarters) == len(set(val.genre))
    for (_, train, _), quarter in zip(out[3:], quarters, strict=True):
        assert quarter.isdisjoint(train.genre) and "" in train.genre  # web pages stay in training


def test_the_report_gives_each_split_and_the_means() -> None:
    y = np.array([0, 0, 1, 1])
    good, bad = np.array([0.1, 0.2, 0.8, 0.9]), np.array([0.9, 0.8, 0.2, 0.1])
    scores = {"shipped": good, "without language models": bad, "without either": bad, "tfidf_logreg_punct": good}
    text = render([("all", y, scores), ("without GPT-4o", y, scores)])
    assert "| all | 4 (2) | 1.0000 / 1.000 | 0.0000 / 0.000 | 0.0000 / 0.000 | 1.0000 / 1.000 |" in text
    assert "| **mean** | | 1.0000 / 1.000 | 0.0000 / 0.000 | 0.0000 / 0.000 | 1.0000 / 1.000 |" in text


def test_the_validation_parts_are_disjoint_and_cover_every_pair() -> None:
    table = _table()
    parts = [inner_split(table, part=p)[1] for p in range(VALIDATION_PARTS)]
    assert inner_split(table)[1].group == parts[0].group
    groups = [set(val.group) for val in parts]
    assert all(g for g in groups) and sum(len(g) for g in groups) == len(set().union(*groups))
    assert set().union(*groups) == {g for g, s in zip(table.group, table.source, strict=True) if s == "l2r"}
    for p, val in enumerate(parts):
        learn = inner_split(table, part=p)[0]
        assert set(learn.group).isdisjoint(val.group)
        assert sum(s == "l2r" for s in learn.source) + len(val) == sum(s == "l2r" for s in table.source)


def test_all_is_run_again_on_every_other_part() -> None:
    table = _table()
    out = all_splits(table)
    names = [name for name, _, _ in out]
    assert names[: len(splits(*inner_split(table)))] == [n for n, _, _ in splits(*inner_split(table))]
    rotated = out[-(VALIDATION_PARTS - 1) :]
    assert [n for n, _, _ in rotated] == [f"all, validation part {p}" for p in range(2, VALIDATION_PARTS + 1)]
    for p, (_, learn, val) in enumerate(rotated, start=1):
        assert val.group == inner_split(table, part=p)[1].group and len(learn) == len(inner_split(table, part=p)[0])
    groups = mean_groups(names)
    assert [names[i] for i in groups["mean"]] == names[: len(names) - len(rotated)]
    assert [names[i] for i in groups[f"mean of all over the {VALIDATION_PARTS} parts"]] == [
        "all",
        *(n for n, _, _ in rotated),
    ]


def test_the_report_averages_all_over_the_parts_apart() -> None:
    y = np.array([0, 0, 1, 1])
    good, bad = np.array([0.1, 0.2, 0.8, 0.9]), np.array([0.9, 0.8, 0.2, 0.1])
    scores = {"shipped": good, "without language models": bad, "without either": bad, "tfidf_logreg_punct": good}
    other = {"shipped": bad, "without language models": good, "without either": good, "tfidf_logreg_punct": bad}
    text = render([("all", y, scores), ("without GPT-4o", y, scores), ("all, validation part 2", y, other)])
    assert "| **mean** | | 1.0000 / 1.000 | 0.0000 / 0.000 | 0.0000 / 0.000 | 1.0000 / 1.000 |" in text
    assert "| **mean of all over the 2 parts** | | 0.5000 / 0.500 | 0.5000 / 0.500 |" in text


def test_the_genre_quarters_are_also_read_pooled_where_an_offset_between_them_counts() -> None:
    """Each quarter ranks its own texts perfectly, but one quarter's human texts score above the other's machine
    texts: pooled, the quarters' scores meet on one threshold, as a crawl's pages of every genre do."""
    y = np.array([0, 0, 1, 1])
    low, high = np.array([0.1, 0.1, 0.2, 0.2]), np.array([0.5, 0.5, 0.6, 0.6])
    names = ["shipped", "without language models", "without either", "tfidf_logreg_punct"]
    splits_ = [
        ("all", y, dict.fromkeys(names, low)),
        ("genres Business, Sports", y, dict.fromkeys(names, low)),
        ("genres Finance, Travel", y, dict.fromkeys(names, high)),
    ]
    text = render(splits_)
    assert "| **mean** | | 1.0000 / 1.000 |" in text  # each split alone is perfect
    assert "| **2 genre quarters pooled** | 8 (4) | 0.7500 / 0.500 |" in text
    assert "quarters pooled** |" not in render(splits_[:2])  # one quarter alone is no pool
