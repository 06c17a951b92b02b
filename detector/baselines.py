"""Baselines the evaluation runs beside the detector, on the same rows.

* :class:`QualityRules`: the web-text quality filters of pre-training corpora, **datatrove's own**
  ``GopherQualityFilter``, ``GopherRepetitionFilter``, ``C4QualityFilter`` and ``FineWebQualityFilter``
  with their default thresholds (Rae et al. 2021, App. A and Table A1; Raffel et al. 2020, §2.2; Penedo et
  al. 2024, §3). The score of a page is how many of the four reject its cleaned text (0-4): the way these
  rules are used, as hard cuts. Needs the ``eval`` extra (datatrove, and spaCy for its word tokenizer).
* :class:`TfidfLogReg`: a TF-IDF + logistic-regression text classifier (scikit-learn's
  ``TfidfVectorizer``: word 1-2-grams, sublinear term frequency, ``min_df=2``; ``LogisticRegression`` with
  balanced classes and the detector's text-model ``C`` and stopping tolerance, so that it is fitted to
  convergence as the detector's text model is), trained on the same training rows as the
  detector's text model. Two tokenisations: scikit-learn's default (words of 2+ characters), and a
  stronger one that also keeps single characters and punctuation marks as tokens (", which" is a bigram
  then), as the detector's own text model does: on l2r it gains about 0.02 ROC-AUC.

The per-family ablation (each signal family alone) is fitted by ``detector.train.fit`` itself, so it
runs through exactly the detector's own training and calibration.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from detector.errors import missing_extra

LOGGER = logging.getLogger(__name__)

#: datatrove's filters take an ISO 639-3 language (their word tokenizer); the corpus's pages carry ISO 639-1
#: codes. The genuine pages are mostly German: each page is filtered in its own language where it is one
#: of these, in English otherwise.
ISO3 = {"en": "eng", "de": "deu", "fr": "fra", "es": "spa", "it": "ita", "nl": "nld", "pt": "por", "pl": "pol"}
_FILTER_NAMES = ("GopherQualityFilter", "GopherRepetitionFilter", "C4QualityFilter", "FineWebQualityFilter")


class QualityRules:
    """datatrove's Gopher, C4 and FineWeb filters; score = number of the four that reject a text."""

    name = "quality_rules"
    description = "Gopher + C4 + FineWeb quality filters (datatrove), number failed"

    def __init__(self) -> None:
        try:
            from datatrove.data import Document
            from datatrove.pipeline import filters
        except ImportError as exc:
            raise missing_extra("datatrove", "eval") from exc
        self._document = Document
        self._filters = {name: getattr(filters, name) for name in _FILTER_NAMES}
        self._by_language: dict[str, list[Any]] = {}

    def _filters_for(self, language: str) -> list[Any]:
        code = ISO3.get(language, "eng")
        if code not in self._by_language:
            self._by_language[code] = [cls(language=code) for cls in self._filters.values()]
        return self._by_language[code]

    def failed(self, text: str, language: str = "en") -> list[str]:
        """Names of the filters that reject ``text`` (empty when all keep it)."""
        doc = self._document(text=text, id="page")
        out = []
        for f in self._filters_for(language):
            kept = f.filter(doc)  # True, False, or (False, reason)
            if kept is not True:
                out.append(type(f).__name__)
        return out

    def score(self, texts: list[str], languages: list[str] | None = None) -> np.ndarray:
        langs = languages or ["en"] * len(texts)
        return np.array([len(self.failed(t, lang)) for t, lang in zip(texts, langs, strict=True)], dtype=np.float64)


class TfidfLogReg:
    """TF-IDF word 1-2-grams + logistic regression, fitted on the detector's text-model training rows."""

    description = "TF-IDF word 1-2-grams + logistic regression"

    def __init__(self, C: float, seed: int, *, punctuation: bool = False, tol: float = 1e-6) -> None:
        self.C = C
        self.tol = tol
        self.seed = seed
        self.punctuation = punctuation
        self.name = "tfidf_logreg_punct" if punctuation else "tfidf_logreg"

    def fit(self, texts: list[str], y: np.ndarray, sample_weight: np.ndarray | None = None) -> TfidfLogReg:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        pattern = r"(?u)\b\w+\b|[^\w\s]" if self.punctuation else r"(?u)\b\w\w+\b"  # the second: sklearn's default
        self.vectorizer_ = TfidfVectorizer(
            ngram_range=(1, 2), sublinear_tf=True, min_df=2, token_pattern=pattern, dtype=np.float32
        )
        X = self.vectorizer_.fit_transform(texts)
        self.model_ = LogisticRegression(
            C=self.C, tol=self.tol, class_weight="balanced", max_iter=3000, random_state=self.seed
        )
        self.model_.fit(X, y, sample_weight=sample_weight)
        return self

    def score(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model_.decision_function(self.vectorizer_.transform(texts)), dtype=np.float64)
