"""Dense side of the local backend: a FAISS inner-product index over L2-normalised vectors (= cosine).

Which encoder made the vectors is recorded by the store (meta.json); retrieval refuses a query vector from
another encoder, because vectors of two models are not comparable and mixing them silently ruins ranking.
"""
from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from kb.errors import ModelError

_INDEX_FILE = "dense.faiss"
faiss.omp_set_num_threads(1)  # exact search over ≤150k vectors: one thread, and no OpenMP spinning beside e5


class DenseIndex:
    def __init__(self, model: str, dim: int, vectors: np.ndarray | None = None):
        self.model = model
        self.dim = dim
        self._index = faiss.IndexFlatIP(dim)
        if vectors is not None and len(vectors):
            self.add(vectors)

    @property
    def size(self) -> int:
        return self._index.ntotal

    def add(self, vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise ModelError(f"向量维度不一致：索引为 {self.dim} 维，新向量为 {vectors.shape[-1]} 维",
                             hint="请用同一个向量模型重新运行 kb index build")
        self._index.add(vectors)

    def vectors(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Stored vectors (all, or the given rows)."""
        if self.size == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        allv = faiss.rev_swig_ptr(self._index.get_xb(), self.size * self.dim).reshape(self.size, self.dim)
        return np.array(allv if rows is None else allv[rows], dtype=np.float32)

    def search(self, vec: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, cosine scores) best first."""
        k = min(k, self.size)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores, rows = self._index.search(np.asarray(vec, dtype=np.float32).reshape(1, -1), k)
        keep = rows[0] >= 0
        return rows[0][keep], scores[0][keep]

    def save(self, folder: Path) -> None:
        faiss.write_index(self._index, str(folder / _INDEX_FILE))

    @classmethod
    def load(cls, folder: Path, model: str, dim: int) -> "DenseIndex":
        dense = cls(model, dim)
        dense._index = faiss.read_index(str(folder / _INDEX_FILE))
        if dense._index.d != dim:
            raise ModelError(f"向量维度不一致：{folder}", hint="请重新运行 kb index build")
        return dense
