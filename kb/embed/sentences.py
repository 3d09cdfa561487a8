"""Vectors of the articles' sentences, for the assistant's ranker and gate (its cosine_sentence features).

An article's best-matching sentence says more about whether it answers a question than the article as a whole:
leaving one blind question set out at a time over nine sets, adding the question's e5 similarity to the best
sentence raised the ranker's hit@1 from .588 to .620. Sentence vectors go through the same content-hash cache as
the chunks' (`kb index build` fills it, ~4,300 sentences in ~100 s for the default corpus), so an answer only
computes the sentences of a document indexed elsewhere (an app server given only a Milvus address) once each.
"""
from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from kb.embed.cache import VectorCache, embed_passages


class SentenceVectors:
    """Sentence text → passage vector of one encoder: memory, then the on-disk cache, then the encoder."""

    def __init__(self, encoder, cache_dir=None):
        self.encoder = encoder
        self._cache = VectorCache(cache_dir, encoder.name, encoder.dim) if cache_dir is not None else None
        self._known: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()  # one SQLite connection and one memory map, shared by the web's threads

    def of(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            new = list(dict.fromkeys(t for t in texts if t not in self._known))
            if new:
                self._known.update(zip(new, embed_passages(self.encoder, new, self._cache)))
            if not texts:
                return np.zeros((0, self.encoder.dim), dtype=np.float32)
            return np.stack([self._known[t] for t in texts])
