"""BM25, one definition for every backend: the local one computes it with bm25s, the Milvus one stores the
same document-side weights as sparse vectors and multiplies them by the same IDF at query time.

Scoring is bm25s' default ("lucene"): score(q, d) = Σ_t∈q idf(t) · tf/(tf + k1·(1 − b + b·dl/avgdl)),
idf(t) = ln(1 + (N − df + 0.5)/(df + 0.5)); a query term that occurs twice counts twice. Terms come from
kb.segment (index_terms / query_terms); k1 and b were chosen on the dev split of eval/retrieval.jsonl.
"""
from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

K1 = 0.9
B = 0.5


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

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every row (terms the index has never seen are ignored)."""
        if self._bm25 is None or not terms:
            return np.zeros(self.size, dtype=np.float32)
        known = [t for t in terms if t in self._bm25.vocab_dict]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def save(self, folder: Path) -> None:
        if self._bm25 is not None:
            self._bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> "BM25Index":
        if size == 0 or not (folder / "params.index.json").exists():
            return cls(None, size)
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        return cls(bm25s.BM25.load(str(folder), show_progress=False), size)
