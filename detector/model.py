"""The classifier: signal values (plus a text-style score) -> a calibrated probability, with explanations.

Two parts, both fitted with scikit-learn (see ``detector.train``):

* a **text model**: IDF-weighted hashed word 1-2-grams, byte 3-4-grams and function-word 1-4-grams of the
  page's prose ->
  logistic regression, trained on human/machine pairs of the same texts (l2r rewrites), so it learns how
  machines write rather than what pages are about, and on the prose of real genuine pages; its logit is
  weighed by how much prose it rests on (``EVIDENCE_WORDS``), plus the score of its function-word language
  models (``detector.fwlm``: how much likelier machine than human prose makes the text's sentence construction);
* the **page model**: the signal values and the text model's logit -> ``detector.estimator.SignalClassifier``
  (a hat basis of the style values, robust scaling, logistic regression, Platt scaling fitted on out-of-fold
  decisions), a scikit-learn estimator whose fitted arrays this module ships. The style values (each a
  piecewise-linear function of the value through its knots, ``detector.basis``) and the logit weigh both
  ways; the template signals are one-sided evidence (weights >= 0, not centred: ``mean`` is 0 for them), so
  their contribution is 0 where they find nothing and positive where they find something.

A linear page model keeps every decision explainable: each feature's contribution is the sum of its
columns' coefficients times their standardised values, and the reasons of a verdict are the signals that
contributed most.

Saved models are JSON (parameters, card) plus a NumPy ``.npz`` of arrays loaded with
``allow_pickle=False``: loading a model can never execute code, unlike pickle/joblib. A model loads only
into a package that computes what it was fitted on: the same signals (``feature_set``), the same text
featurization (a digest of a probe text's columns) and the same choice of prose.
"""

from __future__ import annotations

import json
import logging
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from detector.basis import Basis
from detector.errors import ModelLoadError
from detector.features import MIN_PROSE_WORDS
from detector.fwlm import LM_WEIGHT, FunctionWordLM
from detector.textfeatures import featurization_digest

LOGGER = logging.getLogger(__name__)

FORMAT_VERSION = 10  # bump when the saved parameters or their meaning change
#: The text model's logit rests on the n-grams of the page's prose, and a few words carry little of it:
#: the logit is weighed by n / (n + EVIDENCE_WORDS) for n words of prose, half at 10 words, 0.91 at 100,
#: 0.98 on a 500-word page, towards 0, the text model's "either way". Without it a one-line text reaches
#: logits as extreme as a long article's, and the most machine-like human texts are one-liners. Chosen by
#: validation inside the training split (nine splits: all generators, each left out, each quarter of the
#: genres left out): mean ROC-AUC of the page model 0.933 -> 0.935, TPR at 1% FPR 0.53 -> 0.57, flat from
#: 10 to 20 words; the weight is symmetric in the label, it only says how much a text can show. Checked again
#: with the function-word block and the genre-balanced calibration (same nine splits, the page model refitted
#: each time): 0 / 3 / 10 / 30 words gave mean ROC-AUC 0.933 / 0.934 / 0.935 / 0.934 and TPR at 1% FPR
#: 0.53 / 0.55 / 0.57 / 0.56; 10 is best on the mean of both and on the worst split (0.903).
#: (Both checks fitted the page model as ``detector.train.LINEAR_RECIPE`` does, before the hat basis.)
EVIDENCE_WORDS = 10.0
TEXT_FEATURE = "text_model.logit"
MODEL_FILE = "model.json"
ARRAYS_FILE = "arrays.npz"
_REFETCH = "restore the model folder from a fresh copy, or retrain it with `make train`"


def default_model_dir() -> Path:
    """The model shipped with the package: ``models/default`` in the source tree."""
    return Path(__file__).resolve().parents[1] / "models" / "default"


@dataclass
class TextModel:
    """A linear model over the page prose's IDF-weighted word, byte and function-word n-grams
    (``detector.textfeatures``), plus the function-word language models' score (``detector.fwlm``)."""

    coef: np.ndarray  # WORD_BUCKETS + BYTE_BUCKETS + SHAPE_BUCKETS weights
    intercept: float
    idf_words: np.ndarray
    idf_bytes: np.ndarray
    idf_shapes: np.ndarray
    frequent: np.ndarray  # uint32 CRC-32 of the tokens the function-word n-grams keep
    evidence_words: float = EVIDENCE_WORDS
    lm: FunctionWordLM | None = None
    lm_weight: float = LM_WEIGHT

    def features(self, texts: list[str], streams: list[np.ndarray] | None = None) -> Any:
        """The weighted n-gram rows of ``texts``; ``streams``, when given, gets their function-word sequences."""
        from detector.textfeatures import raw_blocks, weighted

        blocks = raw_blocks(texts, self.frequent, streams)
        return weighted(blocks, (self.idf_words, self.idf_bytes, self.idf_shapes))

    def decision(self, texts: list[str]) -> np.ndarray:
        """The logit of each text, weighed by how much prose it rests on (``EVIDENCE_WORDS``), plus
        ``lm_weight`` times the function-word language models' score when the model has them."""
        if not texts:
            return np.zeros(0)
        streams: list[np.ndarray] | None = [] if self.lm is not None else None
        logits = np.asarray(self.features(texts, streams) @ self.coef, dtype=np.float64) + self.intercept
        n_words = np.fromiter((len(t.split()) for t in texts), dtype=np.float64, count=len(texts))
        out = logits * (n_words / (n_words + self.evidence_words))
        if self.lm is not None and streams is not None:
            out += self.lm_weight * self.lm.score(streams)
        return out


@dataclass
class PageModel:
    """The fitted page model, its calibration, threshold and card, ready to score feature rows.

    ``mean``, ``scale`` and ``coef`` are per column of ``basis.expand`` of the feature rows (one per feature
    without a basis, one per knot of a feature with one); ``basis`` None keeps every feature as it is.
    """

    feature_names: list[str]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    calib_slope: float
    calib_intercept: float
    threshold: float
    feature_set: str
    text_model: TextModel | None = None
    card: dict[str, Any] = field(default_factory=dict)
    basis: Basis | None = None
    _columns: list[int] | None = field(default=None, repr=False, compare=False)

    @property
    def version(self) -> str:
        return str(self.card.get("model_version", "unversioned"))

    def _basis(self) -> Basis:
        return self.basis if self.basis is not None else Basis.identity(len(self.feature_names))

    def standardize(self, X: np.ndarray) -> np.ndarray:
        """The model's columns of feature rows ``X``: expanded by the basis, centred and scaled."""
        return (self._basis().expand(X) - self.mean) / self.scale

    def decision(self, X: np.ndarray) -> np.ndarray:
        return self.standardize(X) @ self.coef + self.intercept

    def calibrate(self, decision: np.ndarray) -> np.ndarray:
        """Platt scaling: strictly increasing, so the probabilities rank pages exactly as the decisions do."""
        z = np.clip(self.calib_slope * decision + self.calib_intercept, -500.0, 500.0)
        return 1.0 / (1.0 + np.exp(-z))

    def probability(self, X: np.ndarray) -> np.ndarray:
        return self.calibrate(self.decision(X))

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Per-feature contribution to the decision value (log-odds before calibration); they add up to the
        decision less the intercept."""
        return self._basis().collapse(self.standardize(X) * self.coef)

    def full_matrix(self, signal_rows: np.ndarray, texts: list[str], logits: np.ndarray | None = None) -> np.ndarray:
        """The model's input columns from full signal rows (``FEATURE_NAMES`` order) and the pages' texts.

        The model uses the signals it was trained on, by name, plus the text model's logit when it has one;
        ``logits``, when given, are those logits (the text model's decision on ``texts``), computed once for
        several page models on one text model.
        """
        from detector.features import FEATURE_NAMES

        if self._columns is None:
            index = {name: i for i, name in enumerate(FEATURE_NAMES)}
            self._columns = [index[n] for n in self.feature_names if n != TEXT_FEATURE]
        X = signal_rows[:, self._columns]
        if self.text_model is None:
            return X
        if logits is None:
            logits = self.text_model.decision(texts)
        return np.hstack([X, np.asarray(logits, dtype=np.float64).reshape(-1, 1)])

    def fingerprint(self) -> str:
        """SHA-256 of the fitted parameters (weights, calibration, threshold, the text model's arrays): two
        models that score any page differently have different fingerprints. What the package computes around
        them (signals, text featurization, choice of prose) is not hashed: a model loads only where it matches
        (:meth:`load`)."""
        import hashlib

        digest = hashlib.sha256()
        basis = self._basis()
        for values in (self.mean, self.scale, self.coef, basis.knots):
            digest.update(np.ascontiguousarray(values, dtype=np.float64).tobytes())
        digest.update(np.ascontiguousarray(basis.counts, dtype=np.int64).tobytes())
        digest.update(repr((self.intercept, self.calib_slope, self.calib_intercept, self.threshold)).encode())
        if self.text_model is not None:
            tm = self.text_model
            for arr in (tm.coef, tm.idf_words, tm.idf_bytes, tm.idf_shapes):
                digest.update(np.ascontiguousarray(arr, dtype=np.float32).tobytes())
            digest.update(np.ascontiguousarray(tm.frequent, dtype=np.uint32).tobytes())
            digest.update(repr((tm.intercept, tm.evidence_words)).encode())
            if tm.lm is not None:
                for name, arr in sorted(tm.lm.arrays().items()):
                    digest.update(name.encode() + np.ascontiguousarray(arr).tobytes())
                digest.update(repr((tm.lm_weight, sorted(tm.lm.params().items()))).encode())
        return digest.hexdigest()

    # ------------------------------------------------------------------------------------------------
    def save(self, directory: str | Path) -> None:
        """Write ``model.json`` and ``arrays.npz`` into ``directory``."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {
            "mean": self.mean,
            "scale": self.scale,
            "coef": self.coef,
            "basis_counts": self._basis().counts.astype(np.int64),
            "basis_knots": self._basis().knots.astype(np.float64),
        }
        params: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "feature_set": self.feature_set,
            "feature_names": self.feature_names,
            "intercept": self.intercept,
            "calib_slope": self.calib_slope,
            "calib_intercept": self.calib_intercept,
            "threshold": self.threshold,
            "text_model": None,
            "card": self.card,
        }
        if self.text_model is not None:
            arrays["text_coef"] = self.text_model.coef.astype(np.float32)
            arrays["text_idf_words"] = self.text_model.idf_words.astype(np.float32)
            arrays["text_idf_bytes"] = self.text_model.idf_bytes.astype(np.float32)
            arrays["text_idf_shapes"] = self.text_model.idf_shapes.astype(np.float32)
            arrays["text_frequent"] = self.text_model.frequent.astype(np.uint32)
            params["text_model"] = {
                "intercept": self.text_model.intercept,
                "evidence_words": self.text_model.evidence_words,
                "featurization": featurization_digest(self.text_model.frequent),
                "prose_min_words": MIN_PROSE_WORDS,
                "lm": None,
            }
            if self.text_model.lm is not None:
                arrays |= self.text_model.lm.arrays()
                params["text_model"]["lm"] = {**self.text_model.lm.params(), "weight": self.text_model.lm_weight}
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
        if path.exists() and not path.is_dir():
            raise ModelLoadError(
                f"{path} is a file: give the model's folder (the one that holds {MODEL_FILE} and {ARRAYS_FILE})"
            )
        try:
            params = json.loads((path / MODEL_FILE).read_text(encoding="utf-8"))
            with np.load(path / ARRAYS_FILE, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
        except FileNotFoundError as exc:
            raise ModelLoadError(
                f"no model at {path}: expected {MODEL_FILE} and {ARRAYS_FILE} there "
                "(train one with `make train`, or pass the folder of a trained model)"
            ) from exc
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:  # unreadable, not JSON, a broken .npz
            raise ModelLoadError(f"cannot read the model at {path}: {exc} (the files are damaged: {_REFETCH})") from exc
        if not isinstance(params, dict):
            raise ModelLoadError(f"{path / MODEL_FILE} is not a model description (a JSON object): {_REFETCH}")
        if params.get("format_version") != FORMAT_VERSION:
            raise ModelLoadError(
                f"model at {path} has format {params.get('format_version')}, this package reads "
                f"format {FORMAT_VERSION}: retrain it with `make train` or install the matching package version"
            )
        try:
            return cls._from_files(path, params, arrays, expected_feature_set)
        except KeyError as exc:
            raise ModelLoadError(f"model at {path} is incomplete: missing {exc} ({_REFETCH})") from exc
        except (TypeError, ValueError) as exc:
            raise ModelLoadError(f"model at {path} holds a malformed value: {exc} ({_REFETCH})") from exc

    @classmethod
    def _from_files(
        cls, path: Path, params: dict[str, Any], arrays: dict[str, np.ndarray], expected_feature_set: str | None
    ) -> PageModel:
        if expected_feature_set is not None and params["feature_set"] != expected_feature_set:
            raise ModelLoadError(
                f"model at {path} was built for feature set {params['feature_set']}, but this package computes "
                f"{expected_feature_set} (signals were added, removed or re-versioned): retrain it with "
                "`make train`"
            )
        text_model = None
        if params.get("text_model"):
            tm = params["text_model"]
            _check_featurization(path, tm, arrays["text_frequent"])
            text_model = TextModel(
                coef=arrays["text_coef"],
                intercept=float(tm["intercept"]),
                idf_words=arrays["text_idf_words"],
                idf_bytes=arrays["text_idf_bytes"],
                idf_shapes=arrays["text_idf_shapes"],
                frequent=arrays["text_frequent"],
                evidence_words=float(tm["evidence_words"]),
            )
            if tm.get("lm"):
                text_model.lm = FunctionWordLM.from_arrays(arrays, tm["lm"])
                text_model.lm_weight = float(tm["lm"]["weight"])
        _check_shapes(path, params, arrays, text_model)
        basis = Basis(arrays["basis_counts"].astype(np.int64), arrays["basis_knots"].astype(np.float64))
        return cls(
            feature_names=list(params["feature_names"]),
            mean=arrays["mean"],
            scale=arrays["scale"],
            coef=arrays["coef"],
            intercept=float(params["intercept"]),
            calib_slope=float(params["calib_slope"]),
            calib_intercept=float(params["calib_intercept"]),
            threshold=float(params["threshold"]),
            feature_set=params["feature_set"],
            text_model=text_model,
            card=params.get("card", {}),
            basis=basis,
        )


def _check_featurization(path: Path, tm: dict[str, Any], frequent: np.ndarray) -> None:
    """Raise ModelLoadError unless this package turns a page's prose into the text model's columns as the
    package that saved the model did (``detector.textfeatures.featurization_digest``) and picks the same prose
    (``detector.features.MIN_PROSE_WORDS``): otherwise the model would load and score every page wrongly."""
    saved, here = tm["featurization"], featurization_digest(frequent)
    if saved != here:
        raise ModelLoadError(
            f"model at {path} was fitted on another text featurization ({saved}) than this package computes "
            f"({here}: its tokens, hashes, n-gram sizes or byte prefix changed): retrain it with `make train` or "
            "install the package version it was trained with"
        )
    if int(tm["prose_min_words"]) != MIN_PROSE_WORDS:
        raise ModelLoadError(
            f"model at {path} reads prose blocks of {tm['prose_min_words']}+ words, this package picks blocks of "
            f"{MIN_PROSE_WORDS}+: retrain it with `make train` or install the package version it was trained with"
        )


def _check_shapes(path: Path, params: dict[str, Any], arrays: dict[str, np.ndarray], text: TextModel | None) -> None:
    """Raise ModelLoadError unless every array has the length the description and this package imply: a
    model cut or mixed from two trainings would otherwise load and fail on every page."""
    from detector.textfeatures import BYTE_BUCKETS, SHAPE_BUCKETS, WORD_BUCKETS

    n = len(params["feature_names"])
    counts = arrays["basis_counts"]
    columns = int(np.maximum(counts, 1).sum()) if counts.shape == (n,) else n
    expected = {"basis_counts": n, "basis_knots": int(counts.sum()), "mean": columns, "scale": columns, "coef": columns}
    if text is not None:
        expected |= {
            "text_coef": WORD_BUCKETS + BYTE_BUCKETS + SHAPE_BUCKETS,
            "text_idf_words": WORD_BUCKETS,
            "text_idf_bytes": BYTE_BUCKETS,
            "text_idf_shapes": SHAPE_BUCKETS,
        }
    wrong = [f"{k} has {arrays[k].shape} values, not ({v},)" for k, v in expected.items() if arrays[k].shape != (v,)]
    if wrong:
        raise ModelLoadError(f"model at {path} does not fit together: {'; '.join(wrong)} ({_REFETCH})")
