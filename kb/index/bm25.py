"""BM25, one definition for every backend: the local one computes it with bm25s, the Milvus one stores the
same document-side weights as sparse vectors and multiplies them by the same IDF at query time.

Scoring is bm25s' default ("lucene"): score(q, d) = Σ_t∈q w(t) · idf(t) · tf/(tf + k1·(1 − b + b·dl/avgdl)),
idf(t) = ln(1 + (N − df + 0.5)/(df + 0.5)); w(t) is the query term's weight — how often the user wrote it, or
less for a word a synonym expansion added (kb.segment.query_terms). Terms come from kb.segment; k1 and b were
chosen on the dev split of eval/retrieval.jsonl.
"""
from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import bm25s
import numpy as np

K1 = 0.9
B = 0.5


def term_weights(terms: Sequence[str] | Mapping[str, float]) -> dict[str, float]:
    """A query as term → weight: a list counts each occurrence once, a mapping is taken as it is."""
    if isinstance(terms, Mapping):
        return {t: float(w) for t, w in terms.items() if w > 0}
    return {t: float(n) for t, n in Counter(terms).items()}


def doc_length(terms: Sequence[str]) -> int:
    return max(1, len(terms))  # a chunk without terms still counts as one (bm25s indexes it as [""])


def idf(n_docs: int, df: int) -> float:
    return math.log(1 + (n_docs - df + 0.5) / (df + 0.5))


def doc_weights(terms: Sequence[str], avgdl: float) -> dict[str, float]:
    """The document side of BM25 for each distinct term of one chunk."""
    norm = K1 * (1 - B + B * doc_length(terms) / max(avgdl, 1e-9))
    return {t: tf / (tf + norm) for t, tf in Counter(terms).items()}


class BM25Index:
    """bm25s over the stored terms of the local backend (rows = chunks, in store order)."""

    def __init__(self, retriever: bm25s.BM25 | None = None, size: int = 0):
        self._bm25 = retriever
        self.size = size

    @classmethod
    def build(cls, term_lists: Sequence[Sequence[str]]) -> "BM25Index":
        if not term_lists:
            return cls(None, 0)
        bm25 = bm25s.BM25(k1=K1, b=B)
        # every chunk gets at least one term so bm25s keeps rows aligned with chunks
        bm25.index([list(t) or [""] for t in term_lists], show_progress=False)
        return cls(bm25, len(term_lists))

    def scores(self, terms: Sequence[str] | Mapping[str, float]) -> np.ndarray:
        """BM25 score of every row (terms the index has never seen are ignored); terms of equal weight are
        scored together, as bm25s takes unweighted term lists."""
        out = np.zeros(self.size, dtype=np.float32)
        if self._bm25 is None:
            return out
        groups: dict[float, list[str]] = {}
        for t, w in term_weights(terms).items():
            if t in self._bm25.vocab_dict:
                groups.setdefault(w, []).append(t)
        for w, group in groups.items():
            out += np.float32(w) * np.asarray(self._bm25.get_scores(group), dtype=np.float32)
        return out

    def save(self, folder: Path) -> None:
        if self._bm25 is not None:
            self._bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> "BM25Index":
        if size == 0 or not (folder / "params.index.json").exists():
            return cls(None, size)
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        return cls(bm25s.BM25.load(str(folder), show_progress=False), size)
