"""Function-word language models: is a text's sentence construction likelier under machine or human prose?

Two n-gram language models, one fitted on the human training texts and one on the machine ones, over the
token sequence the function-word block of ``detector.textfeatures`` reads: every token outside the
frequent set replaced by its shape ("<Xx> , which <x> the <x> of"), so the models see how sentences are
built, not what they are about. A text's score is the mean, over its first ``MAX_TOKENS`` tokens, of
``log P_machine(token | previous tokens) - log P_human(token | previous tokens)``: positive where machine
prose predicts the text better. A per-token mean does not grow with length. The text model's function-word
block asks which 1-4-grams occur in a text; these models ask how predictable each token is from the
``ORDER`` - 1 before it, under each kind of prose, backing off to shorter contexts where a long one was not
seen.

Each model is interpolated absolute discounting (Ney, Essen and Kneser 1994): ``P_k(x | c) =
max(n(c, x) - D, 0) / n(c) + D * f(c) / n(c) * P_{k-1}(x | c')``, ``n`` the counts, ``f(c)`` the distinct
tokens seen after ``c``, ``c'`` the context one token shorter, down to a uniform floor. A context of order
k + 1 is an n-gram of order k, so each order keeps one table: the sorted 32-bit hashes of its n-grams with
their counts as n-grams and as contexts and their followers (saved as uint32 arrays, the hashes as their
differences, which compress), looked up by binary search, one lookup per token and order. Two of the
about 360,000 machine 4-grams share a hash about once in 24,000.

Fitted inside the text model (``detector.train.fit_text_model``, on the same texts) and shipped in it
(``detector.model.TextModel``), whose decision adds ``LM_WEIGHT`` times the score to its logit. Validated
inside the training split on the nine splits of ``make validate-text`` (all generators, each left out, each
quarter of the genres left out; the text model's logit alone, as shipped before: mean ROC-AUC 0.9283 and
TPR at 1% FPR 0.515), the logit plus c times the score:

* ``ORDER`` 4, c = 0.5, 1, 1.5, 2, 3: mean ROC-AUC 0.9300, 0.9309, 0.9313, 0.9311, 0.9297 and TPR 0.530,
  0.545, 0.556, 0.565, 0.561. At 1.5, TPR is higher on all nine splits (by 0.010 to 0.068) and ROC-AUC on
  eight (by 0.003 to 0.004; 0.0006 lower on the genre quarter of AcademicResearch, Entertainment,
  GovernmentPublic, NewsArticle and Religious); on the EducationMaterial, FoodCusine, MedicalText and
  ProductReview quarter, where the text model was weakest against the TF-IDF baseline (0.9122), 0.9220 and
  0.532 against 0.9175 and 0.520;
* ``ORDER`` 5 and 6 at 1.5: 0.9318 and 0.554, 0.9313 and 0.556, lower on that quarter (0.9194, 0.9179), for
  tables 2.3 and 4 times as large; the score alone: mean ROC-AUC 0.827;
* n-grams seen once pruned (their counts given to the back-off), order 5: 0.9312 and 0.533; seen twice too:
  0.9308 and 0.529: rare sequences are much of what the models know;
* the score weighed by how much prose it rests on, as the logit is (``detector.model.EVIDENCE_WORDS``):
  0.9318 and 0.552 at order 5, no better;
* the same models over the raw UTF-8 bytes instead of the function-word tokens (byte 5-grams): at most
  0.9285 and 0.513, the EducationMaterial quarter lower at every weight (0.9163): bytes carry the topic.

Those nine splits validate on one quarter of the pairs. ``all`` run on each of the four quarters (the last
mean of ``reports/validate_text.md``): 0.9568 and 0.621 with the models, 0.9549 and 0.613 without, higher
ROC-AUC on all four quarters (by 0.0013 to 0.0033) but TPR by +0.051, -0.012, -0.025 and +0.018: the
ROC-AUC gain holds on every quarter, the low-FPR gain is within what one quarter's 700 human texts can tell.

A text's first ``MAX_TOKENS`` tokens bound the cost on a long web page (1.5% of l2r texts are longer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Tokens an n-gram spans at most (the token and ORDER - 1 before it).
ORDER = 4
#: Absolute discount per n-gram: Ney, Essen and Kneser's estimate from the counts of counts, n1 / (n1 + 2 n2),
#: gives 0.77 (human) and 0.69 (machine) for the 4-grams of the l2r training texts; 0.75 is the usual value.
DISCOUNT = 0.75
#: Tokens of a text the score reads (the first ones): bounds the cost of a long page (about 2 ms on one core here).
MAX_TOKENS = 500
#: Weight of the score in the text model's decision, added to its logit (validated: module docstring).
LM_WEIGHT = 1.5
#: Probability floor under the unigrams: an unseen token gets ``b / n * FLOOR`` from both models alike.
FLOOR = 1.0 / 65536
_MUL = np.uint64(1099511628211)  # FNV-1a 64-bit prime: steps a context hash by one token
_MIX = np.uint64(0x9E3779B97F4A7C15)  # 2^64 / golden ratio: spreads a token's hash before it is mixed in


def _grams(stream: np.ndarray, order: int) -> list[np.ndarray]:
    """Per order k = 1..``order``: the uint32 hash of the k tokens ending at each position of one text's token
    stream, from the last padding position on (``order`` - 1 paddings, a token no real one equals, stand
    before the text: its first tokens have contexts of their own, never a previous text's words). The
    context of a token at order k + 1 is then the order-k n-gram ending one position before it."""
    pad = np.zeros(order - 1, dtype=np.uint64)
    spread = (np.concatenate([pad, stream.astype(np.uint64) + np.uint64(1)]) + np.uint64(7)) * _MIX
    g = spread
    out = [_fold(g[order - 2 :])]
    for _ in range(order - 1):
        g = np.concatenate([g[:1], (g[:-1] * _MUL) ^ spread[1:]])
        out.append(_fold(g[order - 2 :]))
    return out


def _fold(h: np.ndarray) -> np.ndarray:
    """64-bit hashes to 32 bits by the top half of a multiplicative hash (every input bit reaches it)."""
    return ((h * _MIX) >> np.uint64(32)).astype(np.uint32)


def _find(keys: np.ndarray, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index, found) of each query in the sorted ``keys``; the index is 0 where a query is not found."""
    if len(keys) == 0:
        return np.zeros(len(query), dtype=np.intp), np.zeros(len(query), dtype=bool)
    at = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    found = keys[at] == query
    return np.where(found, at, 0), found


@dataclass
class NgramModel:
    """One class's n-gram counts. Per order k (1 to ``order``), one table: the sorted hashes of the k-grams
    seen, each with how often it ended at a token (its count as an n-gram) and, below the top order, how
    often it stood before one and how many distinct tokens followed it (its count and followers as the
    context of order k + 1)."""

    keys: list[np.ndarray]
    counts: list[np.ndarray]
    context_counts: list[np.ndarray]  # order - 1 of them: the top order is no context
    followers: list[np.ndarray]
    discount: float = DISCOUNT

    @property
    def order(self) -> int:
        return len(self.keys)

    @classmethod
    def fit(cls, streams: Sequence[np.ndarray], order: int = ORDER, discount: float = DISCOUNT) -> NgramModel:
        """Count the n-grams of token streams (one per text).

        Raises:
            ValueError: ``order`` is below 2.
        """
        if order < 2:
            raise ValueError(f"order must be at least 2 (a token and one before it), not {order}")
        per_text = [_grams(s, order) for s in streams if len(s)]
        # Position 0 of each array is the last padding: an n-gram there is a context only.
        ending = [np.concatenate([g[k][1:] for g in per_text] or [np.zeros(0, np.uint32)]) for k in range(order)]
        before = [np.concatenate([g[k][:-1] for g in per_text] or [np.zeros(0, np.uint32)]) for k in range(order)]
        model = cls([], [], [], [], discount)
        for k in range(order):
            top = k == order - 1
            keys = np.unique(ending[k] if top else np.concatenate([ending[k], before[k]]))
            model.keys.append(keys)
            model.counts.append(_counts(keys, ending[k]))
            if not top:
                model.context_counts.append(_counts(keys, before[k]))
                # Followers: the distinct (k+1)-grams, each counted for the k-gram it extends.
                _, first = np.unique(ending[k + 1], return_index=True)
                extended = before[k][first]
                model.followers.append(_counts(keys, extended))
        return model

    def log_probs(self, stream: np.ndarray) -> np.ndarray:
        """log P(token | up to ``order`` - 1 tokens before it) at every position of a token stream."""
        found = [_find(keys, g) for keys, g in zip(self.keys, _grams(stream, self.order), strict=True)]
        p = np.full(len(stream), FLOOR)
        n = len(stream)
        for k, (at, is_seen) in enumerate(found):
            count: np.ndarray = np.where(is_seen[1:], self.counts[k][at[1:]] if len(self.keys[k]) else 0, 0)
            if k == 0:  # the empty context: every token seen, every distinct token a follower
                total = np.full(n, float(self.counts[0].sum()))
                backoff = np.full(n, self.discount * float(np.count_nonzero(self.counts[0])))
            else:
                ctx, ctx_seen = found[k - 1][0][:-1], found[k - 1][1][:-1]
                stored = len(self.keys[k - 1]) > 0
                total = np.where(ctx_seen, self.context_counts[k - 1][ctx] if stored else 0, 0).astype(np.float64)
                # At least one follower: two (k+1)-grams sharing a hash leave one of their contexts none counted.
                followers = np.maximum(self.followers[k - 1][ctx], 1) if stored else 0
                backoff = self.discount * np.where(ctx_seen, followers, 0)
            seen = total > 0
            total = np.where(seen, total, 1.0)
            p = np.where(seen, np.maximum(count - self.discount, 0.0) / total + backoff / total * p, p)
        return np.log(p)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """The tables as named uint32 arrays; the sorted keys as their differences, which compress."""
        out: dict[str, np.ndarray] = {}
        for k in range(self.order):
            out[f"{prefix}_keys_{k + 1}"] = np.diff(self.keys[k], prepend=np.uint32(0)).astype(np.uint32)
            out[f"{prefix}_counts_{k + 1}"] = self.counts[k].astype(np.uint32)
            if k < self.order - 1:
                out[f"{prefix}_context_counts_{k + 1}"] = self.context_counts[k].astype(np.uint32)
                out[f"{prefix}_followers_{k + 1}"] = self.followers[k].astype(np.uint32)
        return out

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str, order: int, discount: float) -> NgramModel:
        """The model :meth:`arrays` saved.

        Raises:
            KeyError: an array is missing. ValueError: the arrays of one order differ in length.
        """
        model = cls([], [], [], [], discount)
        for k in range(1, order + 1):
            keys = np.cumsum(np.asarray(arrays[f"{prefix}_keys_{k}"], dtype=np.uint64)).astype(np.uint32)
            columns = [np.asarray(arrays[f"{prefix}_counts_{k}"]).astype(np.uint32)]
            if k < order:
                columns += [
                    np.asarray(arrays[f"{prefix}_{n}_{k}"]).astype(np.uint32) for n in ("context_counts", "followers")
                ]
            if any(len(c) != len(keys) for c in columns):
                raise ValueError(f"the {prefix} language model's order-{k} arrays differ in length")
            model.keys.append(keys)
            model.counts.append(columns[0])
            if k < order:
                model.context_counts.append(columns[1])
                model.followers.append(columns[2])
        return model


def _counts(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """How often each of the sorted ``keys`` occurs in ``values`` (every value is one of the keys)."""
    return np.bincount(np.searchsorted(keys, values), minlength=len(keys)).astype(np.uint32)


@dataclass
class FunctionWordLM:
    """The human and the machine n-gram models; :meth:`score` is the mean per-token log-likelihood ratio."""

    human: NgramModel
    machine: NgramModel
    #: Tokens of a text the score reads; saved with the models, as a model is validated with its own.
    max_tokens: int = MAX_TOKENS

    @classmethod
    def fit(
        cls,
        streams: Sequence[np.ndarray],
        y: Sequence[int] | np.ndarray,
        order: int = ORDER,
    ) -> FunctionWordLM:
        """Fit on token streams (:func:`detector.textfeatures.token_blocks`) labelled 0 (human) or 1 (machine)."""
        labels = np.asarray(y)
        human = [s for s, label in zip(streams, labels, strict=True) if label == 0]
        machine = [s for s, label in zip(streams, labels, strict=True) if label == 1]
        return cls(NgramModel.fit(human, order), NgramModel.fit(machine, order))

    def params(self) -> dict[str, float]:
        return {"order": self.human.order, "discount": self.human.discount, "max_tokens": self.max_tokens}

    def score(self, streams: Sequence[np.ndarray]) -> np.ndarray:
        """Per text, the mean over its first ``max_tokens`` tokens of log P_machine - log P_human (0 for a
        text without tokens)."""
        out = np.zeros(len(streams))
        for i, s in enumerate(streams):
            s = s[: self.max_tokens]
            if len(s):
                out[i] = float(np.mean(self.machine.log_probs(s) - self.human.log_probs(s)))
        return out

    def arrays(self) -> dict[str, np.ndarray]:
        return {**self.human.arrays("lm_human"), **self.machine.arrays("lm_machine")}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], params: dict[str, float]) -> FunctionWordLM:
        """The models saved by :meth:`arrays` and :meth:`params`.

        Raises:
            KeyError: an array or parameter is missing. ValueError: the arrays of one order disagree in length,
                keys are not sorted, or ``max_tokens`` is below 1.
        """
        order, discount, max_tokens = int(params["order"]), float(params["discount"]), int(params["max_tokens"])
        if max_tokens < 1:
            raise ValueError(f"the language models read at least one token of a text, not max_tokens={max_tokens}")
        return cls(
            NgramModel.from_arrays(arrays, "lm_human", order, discount),
            NgramModel.from_arrays(arrays, "lm_machine", order, discount),
            max_tokens,
        )
