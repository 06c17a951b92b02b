"""The classifier: signal values (plus a text-style score) -> a calibrated probability, with explanations.

Two parts, both fitted with scikit-learn (see ``detector.train``):

* a **text model**: hashed word n-grams -> logistic regression, trained only on human/machine pairs of
  the same texts (l2r rewrites), so it can learn how machines write but not what pages are about;
* the **page model**: standardised signal values and the text model's logit -> logistic regression,
  then isotonic calibration fitted on out-of-fold predictions.

A linear page model keeps every decision explainable: each feature's contribution is its coefficient
times its standardised value, and the reasons of a verdict are the signals that contributed most.

Saved models are JSON (parameters, card) plus a NumPy ``.npz`` of arrays loaded with
``allow_pickle=False``: loading a model can never execute code, unlike pickle/joblib.
"""

from __future__ import annotations

import json
import logging
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from detector.errors import ModelLoadError

LOGGER = logging.getLogger(__name__)

FORMAT_VERSION = 2  # bump when the saved parameters or their meaning change
TEXT_FEATURE = "text_model.logit"
MODEL_FILE = "model.json"
ARRAYS_FILE = "arrays.npz"


def default_model_dir() -> Path:
    """The model shipped with the package: ``models/default`` in the source tree."""
    return Path(__file__).resolve().parents[1] / "models" / "default"


_TOKEN_RE = re.compile(r"\w+|[^\w\s]")
_BIGRAM_MIX = np.uint64(0x9E3779B97F4A7C15)  # an odd 64-bit constant (2^64 / golden ratio): mixes the pair


def hashed_ngrams(texts: list[str], n_features: int) -> Any:
    """Binary word 1-2-gram presence vectors (CSR, float32, not normalised), by the hashing trick.

    Tokens are lower-cased words and single punctuation marks. A token hashes to the CRC-32 of its UTF-8
    bytes, a bigram to a mix of its two tokens' hashes, both modulo ``n_features``; a bucket is 1 when
    any n-gram falls in it. Stateless and deterministic across processes and platforms (unlike Python's
    ``hash``), and faster than scikit-learn's ``HashingVectorizer`` because a page's distinct tokens are
    hashed once each and its bigrams by array arithmetic.
    """
    from scipy.sparse import csr_matrix

    rows: list[np.ndarray] = []
    for text in texts:
        tokens = _TOKEN_RE.findall(text.lower())
        index: dict[str, int] = {}
        positions = [index.setdefault(t, len(index)) for t in tokens]
        unique = np.fromiter(
            (zlib.crc32(t.encode("utf-8", "surrogatepass")) for t in index), dtype=np.uint64, count=len(index)
        )
        h = unique[np.asarray(positions, dtype=np.intp)]
        rows.append(np.concatenate([h, (h[:-1] * _BIGRAM_MIX) ^ h[1:]]) % np.uint64(n_features))
    row_ids = np.repeat(np.arange(len(texts)), [len(r) for r in rows])
    cols = np.concatenate(rows).astype(np.int64) if rows else np.zeros(0, dtype=np.int64)
    X = csr_matrix((np.ones(len(cols), dtype=np.float32), (row_ids, cols)), shape=(len(texts), n_features))
    X.sum_duplicates()
    X.data[:] = 1.0  # presence, not counts: less sensitive to length and repetition
    return X


def idf_weights(X: Any) -> np.ndarray:
    """Smoothed inverse document frequency per column, as scikit-learn's ``TfidfTransformer``."""
    n = X.shape[0]
    df = np.bincount(X.indices, minlength=X.shape[1])
    return (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)


@dataclass
class TextModel:
    """Hashed word 1-2-gram presence, IDF-weighted and L2-normalised, and a linear model over it."""

    coef: np.ndarray
    intercept: float
    idf: np.ndarray
    n_features: int = 2**18

    def features(self, texts: list[str]) -> Any:
        from sklearn.preprocessing import normalize

        X = hashed_ngrams(texts, self.n_features)
        X.data *= self.idf[X.indices]
        return normalize(X, norm="l2", copy=False)

    def decision(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0)
        return np.asarray(self.features(texts) @ self.coef, dtype=np.float64) + self.intercept


@dataclass
class PageModel:
    """The fitted page model, its calibration, threshold and card, ready to score feature rows."""

    feature_names: list[str]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    calib_x: np.ndarray
    calib_y: np.ndarray
    threshold: float
    feature_set: str
    text_model: TextModel | None = None
    card: dict[str, Any] = field(default_factory=dict)
    _columns: list[int] | None = field(default=None, repr=False, compare=False)

    @property
    def version(self) -> str:
        return str(self.card.get("model_version", "unversioned"))

    def standardize(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean) / self.scale

    def decision(self, X: np.ndarray) -> np.ndarray:
        return self.standardize(X) @ self.coef + self.intercept

    def calibrate(self, decision: np.ndarray) -> np.ndarray:
        return np.clip(np.interp(decision, self.calib_x, self.calib_y), 0.0, 1.0)

    def probability(self, X: np.ndarray) -> np.ndarray:
        return self.calibrate(self.decision(X))

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Per-feature contribution to the decision value (log-odds before calibration)."""
        return self.standardize(X) * self.coef

    def full_matrix(self, signal_rows: np.ndarray, texts: list[str]) -> np.ndarray:
        """The model's input columns from full signal rows (``FEATURE_NAMES`` order) and the pages' texts.

        The model uses the signals it was trained on, by name, plus the text model's logit when it has one.
        """
        from detector.features import FEATURE_NAMES

        if self._columns is None:
            index = {name: i for i, name in enumerate(FEATURE_NAMES)}
            self._columns = [index[n] for n in self.feature_names if n != TEXT_FEATURE]
        X = signal_rows[:, self._columns]
        if self.text_model is None:
            return X
        logits = self.text_model.decision(texts).reshape(-1, 1)
        return np.hstack([X, logits])

    # ------------------------------------------------------------------------------------------------
    def save(self, directory: str | Path) -> None:
        """Write ``model.json`` and ``arrays.npz`` into ``directory``."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {
            "mean": self.mean,
            "scale": self.scale,
            "coef": self.coef,
            "calib_x": self.calib_x,
            "calib_y": self.calib_y,
        }
        params: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "feature_set": self.feature_set,
            "feature_names": self.feature_names,
            "intercept": self.intercept,
            "threshold": self.threshold,
            "text_model": None,
            "card": self.card,
        }
        if self.text_model is not None:
            arrays["text_coef"] = self.text_model.coef.astype(np.float32)
            arrays["text_idf"] = self.text_model.idf.astype(np.float32)
            params["text_model"] = {
                "intercept": self.text_model.intercept,
                "n_features": self.text_model.n_features,
            }
        # numpy's stub types **kwds as if a key could be its allow_pickle flag; ours are array names.
        np.savez_compressed(out / ARRAYS_FILE, **arrays)  # type: ignore[arg-type]
        (out / MODEL_FILE).write_text(json.dumps(params, indent=1, sort_keys=True) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, directory: str | Path, *, expected_feature_set: str | None = None) -> PageModel:
        """Load a saved model; nothing in the files can execute code.

        Raises:
            ModelLoadError: the folder or a file is missing or unreadable, the format is newer than this
                package reads, or the model was built for another feature set than ``expected_feature_set``.
        """
        path = Path(directory)
        try:
            params = json.loads((path / MODEL_FILE).read_text(encoding="utf-8"))
            with np.load(path / ARRAYS_FILE, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
        except FileNotFoundError as exc:
            raise ModelLoadError(
                f"no model at {path}: expected {MODEL_FILE} and {ARRAYS_FILE} there "
                "(train one with `make train`, or pass the folder of a trained model)"
            ) from exc
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"cannot read the model at {path}: {exc}") from exc
        if params.get("format_version") != FORMAT_VERSION:
            raise ModelLoadError(
                f"model at {path} has format {params.get('format_version')}, this package reads "
                f"format {FORMAT_VERSION}: retrain it with `make train` or install the matching package version"
            )
        if expected_feature_set is not None and params["feature_set"] != expected_feature_set:
            raise ModelLoadError(
                f"model at {path} was built for feature set {params['feature_set']}, but this package computes "
                f"{expected_feature_set} (signals were added, removed or re-versioned): retrain it with "
                "`make train`"
            )
        text_model = None
        if params.get("text_model"):
            tm = params["text_model"]
            text_model = TextModel(
                coef=arrays["text_coef"],
                idf=arrays["text_idf"],
                intercept=float(tm["intercept"]),
                n_features=int(tm["n_features"]),
            )
        try:
            return cls(
                feature_names=list(params["feature_names"]),
                mean=arrays["mean"],
                scale=arrays["scale"],
                coef=arrays["coef"],
                intercept=float(params["intercept"]),
                calib_x=arrays["calib_x"],
                calib_y=arrays["calib_y"],
                threshold=float(params["threshold"]),
                feature_set=params["feature_set"],
                text_model=text_model,
                card=params.get("card", {}),
            )
        except KeyError as exc:
            raise ModelLoadError(f"model at {path} is incomplete: missing {exc}") from exc
