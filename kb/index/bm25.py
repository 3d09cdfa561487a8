"""Sparse side: bm25s over Segmenter tokens (tokenised by the caller, so index and query are cut the same way).

On top of the Segmenter's words this index adds the character bigrams of every Chinese word of 3+ characters
(both in documents and queries), so a query word that jieba keeps whole ("许可") still meets a longer statute
term ("行政许可"). Parameters were chosen on the dev split of eval/retrieval.jsonl (hit@5 0.74 → 0.78).
"""
from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

K1 = 0.9
B = 0.5
ANALYSIS = 2  # bump when the token analysis below changes: a stored index of another version is rebuilt
_INFO = "analysis.json"


def with_subwords(tokens: Sequence[str]) -> list[str]:
    out = list(tokens)
    for t in tokens:
        if len(t) >= 3 and not t.isascii():
            out.extend(t[i:i + 2] for i in range(len(t) - 1))
    return out


class BM25Index:
    def __init__(self, retriever: bm25s.BM25 | None = None, size: int = 0):
        self._bm25 = retriever
        self.size = size

    @classmethod
    def build(cls, token_lists: Sequence[Sequence[str]]) -> "BM25Index":
        if not token_lists:
            return cls(None, 0)
        bm25 = bm25s.BM25(k1=K1, b=B)
        # every chunk gets at least one token so bm25s keeps rows aligned with chunks
        bm25.index([with_subwords(toks) or [""] for toks in token_lists], show_progress=False)
        return cls(bm25, len(token_lists))

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every row (unknown query tokens are ignored)."""
        if self._bm25 is None or not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(with_subwords(tokens)), dtype=np.float32)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self._bm25 is not None:
            self._bm25.save(str(folder), show_progress=False)
        (folder / _INFO).write_text(json.dumps({"analysis": ANALYSIS, "k1": K1, "b": B}), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, size: int) -> "BM25Index | None":
        """None when the stored index was made with another analysis (the caller rebuilds from tokens)."""
        info = folder / _INFO
        if not info.exists() or json.loads(info.read_text(encoding="utf-8")).get("analysis") != ANALYSIS:
            return None
        if size == 0 or not (folder / "params.index.json").exists():
            return cls(None, size)
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        return cls(bm25s.BM25.load(str(folder), show_progress=False), size)
