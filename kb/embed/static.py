"""The project's own static model (kb-static-zh) at query time: an embedding table, run with numpy.

Training saves a sentence-transformers StaticEmbedding (a mean over word vectors, then L2 normalisation).
Here the same table is read from model.safetensors and the same WordLevel tokenizer from tokenizer.json, so
a query costs a jieba cut and a mean of rows — no torch (importing sentence-transformers alone took 5 s).
Texts are segmented exactly as in training (kb.embed.text.model_text).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from kb.embed.encoder import HINT, MARKER, Encoder, as_list, normalise
from kb.errors import ModelError
from kb.hashing import file_hash

WEIGHTS = "model.safetensors"
TABLE_KEY = "embedding.weight"


def short_hash(file: Path) -> str:
    """The identity of a weights file in an encoder's name (model@3f2a…)."""
    return file_hash(file)[:10]


def read_marker(folder: Path) -> dict:
    try:
        return json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"模型说明文件已损坏：{folder / MARKER}", hint=HINT) from exc


class StaticEncoder(Encoder):
    cheap = True  # a jieba cut and a table lookup per text

    def __init__(self, path: str | Path, spec: str | None = None, segmenter=None):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self.path = Path(path).expanduser().resolve()
        weights = self.path / WEIGHTS
        if not weights.is_file() or not (self.path / "tokenizer.json").is_file():
            raise ModelError(f"找不到可用的向量模型：{self.path}", hint=HINT)
        self.marker = read_marker(self.path)
        try:
            self.table = load_file(str(weights))[TABLE_KEY].astype(np.float32, copy=False)
            self.tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        except Exception as exc:  # corrupt weights or tokenizer: a model problem, said in Chinese
            raise ModelError(f"向量模型无法加载：{self.path}（{type(exc).__name__}）", hint=HINT) from exc
        self.name = f"{self.path.name}@{short_hash(weights)}"
        self.spec = spec or str(self.path)
        self.dim = int(self.table.shape[1])
        self.segment = bool(self.marker.get("segment"))
        self._vocab = self.tokenizer.get_vocab()
        self._segmenter = segmenter

    def prepare(self, texts: Sequence[str]) -> list[str]:
        """The strings the tokenizer sees: segmented words with the character back-off (as in training)."""
        if not self.segment:
            return list(texts)
        from kb.embed.text import model_text
        from kb.segment import get_segmenter

        seg = self._segmenter or get_segmenter()
        return [model_text(seg, t, self._vocab) for t in texts]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = as_list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, enc in enumerate(self.tokenizer.encode_batch(self.prepare(texts), add_special_tokens=False)):
            if enc.ids:
                out[i] = self.table[enc.ids].mean(axis=0)
        return normalise(out)

    # a bag of words: queries and passages are encoded alike
    encode_queries = encode
    encode_passages = encode
