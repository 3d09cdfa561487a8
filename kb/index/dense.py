"""Dense side: a FAISS inner-product index over L2-normalised vectors, tied to the model that made them.

The model name is stored next to the vectors; loading with another model raises ModelError, because vectors
from two models are not comparable and mixing them silently ruins ranking.
"""
from __future__ import annotations

import json
from pathlib import Path

import faiss
import numpy as np

from kb.errors import ModelError

_INDEX_FILE = "dense.faiss"
_INFO_FILE = "dense.json"


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
        """Stored vectors (all, or the given rows), for reuse on incremental updates and filtered search."""
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
        folder.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self._index, str(folder / _INDEX_FILE))
        (folder / _INFO_FILE).write_text(json.dumps({"model": self.model, "dim": self.dim}, ensure_ascii=False),
                                         encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, expected_model: str | None = None) -> "DenseIndex | None":
        """None when the index was built without vectors; ModelError on a model mismatch."""
        info_path = folder / _INFO_FILE
        if not info_path.exists():
            return None
        info = json.loads(info_path.read_text(encoding="utf-8"))
        if expected_model is not None and info["model"] != expected_model:
            raise ModelError(
                f"索引是用向量模型“{info['model']}”建立的，当前选择的模型是“{expected_model}”，两者不能混用",
                hint="请用当前模型重新运行 kb index build，或用 --embed-model/KB_EMBED_MODEL 选择建索引时的模型",
            )
        dense = cls(info["model"], int(info["dim"]))
        dense._index = faiss.read_index(str(folder / _INDEX_FILE))
        return dense
