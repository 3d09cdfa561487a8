"""Vectors by content hash, so nothing is embedded twice.

One SQLite file (indexes/cache/vectors.sqlite, or KB_CACHE_DIR) holds (encoder name, sha1 of the text) →
vector. e5 embeds ~6–10 passages/s on 2 cores, so the default corpus costs minutes once; after that a rebuild,
a `kb corpus add` (only the new document's passages are new) or a second machine given the cache costs
nothing. Batches are committed as they are computed: an interrupted embedding run resumes where it stopped.
"""
from __future__ import annotations

import hashlib
import sqlite3
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

FILE = "vectors.sqlite"
BATCH = 64
_LOOKUP = 500  # keys per SELECT … IN (…), under SQLite's variable limit


def text_key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()


class VectorCache:
    def __init__(self, folder: Path, encoder_name: str, dim: int):
        folder.mkdir(parents=True, exist_ok=True)
        self.encoder, self.dim = encoder_name, dim
        self._db = sqlite3.connect(folder / FILE, timeout=60, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (encoder TEXT, key BLOB, vec BLOB,"
                         " PRIMARY KEY (encoder, key)) WITHOUT ROWID")

    def get(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        for i in range(0, len(keys), _LOOKUP):
            part = list(keys[i:i + _LOOKUP])
            marks = ",".join("?" * len(part))
            rows = self._db.execute(f"SELECT key, vec FROM vectors WHERE encoder=? AND key IN ({marks})",
                                    [self.encoder, *part])
            found.update((k, np.frombuffer(v, dtype=np.float32)) for k, v in rows if len(v) == 4 * self.dim)
        return found

    def put(self, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        rows = [(self.encoder, k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in zip(keys, vectors)]
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)

    def close(self) -> None:
        self._db.close()


def embed_passages(encoder, texts: Sequence[str], cache: VectorCache | None = None,
                   advance: Callable[[int], None] | None = None) -> np.ndarray:
    """(n, dim) passage vectors; cached ones are read, the rest computed in batches and cached as they come.
    `advance(n)` is told how many texts were done (for a progress bar)."""
    keys = [text_key(t) for t in texts]
    counts = Counter(keys)
    known = cache.get(list(counts)) if cache is not None else {}
    todo = [k for k in counts if k not in known]  # each distinct new text once
    text_of = dict(zip(keys, texts))
    if advance:
        advance(sum(counts[k] for k in known))
    for i in range(0, len(todo), BATCH):
        batch = todo[i:i + BATCH]
        vecs = np.asarray(encoder.encode_passages([text_of[k] for k in batch]), dtype=np.float32)
        if cache is not None:
            cache.put(batch, vecs)
        known.update(zip(batch, vecs))
        if advance:
            advance(sum(counts[k] for k in batch))
    if not texts:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    return np.stack([known[k] for k in keys]).astype(np.float32)
