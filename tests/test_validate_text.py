"""The text model's validation splits: whole pairs held out, generators and genre quarters left out."""

from __future__ import annotations

import numpy as np

from detector.train import FeatureTable
from detector.validate_text import inner_split, render, splits

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
