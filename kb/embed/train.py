"""Train the project's own Chinese sentence-embedding model (kb-static-zh).

A sentence-transformers StaticEmbedding (mean of word + character vectors, 256-d) trained with
MultipleNegativesRankingLoss on self-supervised pairs (kb.embed.pairs). No Chinese model can be
downloaded in this project's setting, so the model is built from the legal text it will search.

The loop is a plain torch loop around sentence-transformers' model and loss: SentenceTransformerTrainer
needs `datasets` and `accelerate`, which this bag-of-vectors model does not otherwise need.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from kb.embed.pairs import (
    Pair,
    SegmentedDoc,
    corpus_documents,
    library_documents,
    mine_pairs,
    segment_documents,
)
from kb.embed.encoder import MARKER
from kb.errors import ModelError
from kb.embed.text import backoff
from kb.hashing import file_hash
from kb.segment import DOMAIN_DICT, Segmenter, get_segmenter

KIND = "kb-static"
# Bump when pairs/vocabulary/training change in a way that invalidates old models
# (2: laws numbered 一、 or unnumbered now yield pairs too; 3: the library as kb.library.law_documents reads it,
# the 民法典 one document).
RECIPE_VERSION = 3
UNK = "[UNK]"
TINY_PAIRS = 8000
TINY_EPOCHS = 3


@dataclass
class TrainConfig:
    epochs: int = 1
    dim: int = 256
    seed: int = 42
    max_pairs: int | None = None
    batch_size: int = 2048  # more in-batch negatives; 2048/0.2 beat 1024/0.1 by ~2 points R@10 (3 seeds)
    lr: float = 0.2
    scale: float = 20.0
    min_word_count: int = 3
    min_char_count: int = 2
    max_vocab: int = 80_000
    hard_negatives: bool = True
    idf_init: bool = True
    symmetric: bool = False
    prefix_positive: bool = True  # positives start with law title + headings, like the indexed chunk text
    ict_per_article: int = 2


def _log(msg: str, progress: bool) -> None:
    if progress:
        print(msg, file=sys.stderr, flush=True)


def training_hash(corpus_dir: Path | None, library_path: Path | None, cfg: TrainConfig) -> str:
    """Identity of the training data and recipe: same hash -> same model, so training can be skipped."""
    from kb.library import library_hash

    h = hashlib.sha256()
    h.update(json.dumps({"recipe": RECIPE_VERSION, **asdict(cfg)}, sort_keys=True).encode())
    h.update(file_hash(DOMAIN_DICT).encode())
    if corpus_dir:
        for p in sorted(Path(corpus_dir).rglob("*")):
            if p.suffix.lower() in {".txt", ".md"} and p.is_file():
                h.update(p.relative_to(corpus_dir).as_posix().encode() + file_hash(p).encode())
    if library_path:
        h.update(library_hash(library_path).encode())
    return h.hexdigest()[:16]


def build_vocab(docs: list[SegmentedDoc], cfg: TrainConfig) -> list[str]:
    """Frequent words (len >= 2) and characters, most frequent first; [UNK] at id 0."""
    word_counts, char_counts = Counter(), Counter()
    for doc in docs:
        for art in doc.articles:
            for sent in art.sentences:
                word_counts.update(sent)
        word_counts.update(doc.title)
    for w, c in word_counts.items():
        if not w.isascii():
            for ch in w:
                char_counts[ch] += c
    chars = [ch for ch, c in char_counts.items() if c >= cfg.min_char_count]
    multi = [w for w, c in word_counts.items() if len(w) > 1 and c >= cfg.min_word_count]
    multi.sort(key=lambda w: (-word_counts[w], w))
    single_ascii = [w for w, c in word_counts.items() if len(w) == 1 and w.isascii() and c >= cfg.min_word_count]
    tokens = sorted(set(chars) | set(single_ascii), key=lambda t: (-char_counts.get(t, word_counts[t]), t))
    return [UNK] + tokens + multi[: max(0, cfg.max_vocab - len(tokens) - 1)]


class PairEncoder:
    """Word lists -> id arrays in the model's vocabulary, with the character back-off."""

    def __init__(self, vocab: list[str]):
        self.index = {t: i for i, t in enumerate(vocab)}
        self._memo: dict[str, list[int]] = {}  # word -> its ids; the same words recur millions of times

    def _ids(self, word: str) -> list[int]:
        ids = self._memo.get(word)
        if ids is None:
            ids = self._memo[word] = [self.index[t] for t in backoff([word], self.index)]
        return ids

    def __call__(self, word_list: list[str]) -> np.ndarray:
        out: list[int] = []
        for w in word_list:
            out += self._ids(w)
        return np.asarray(out, dtype=np.int32)


def _idf(encoded: list[tuple[np.ndarray, ...]], size: int) -> np.ndarray:
    """Smoothed IDF over the positives (~ articles): the initial vector norms, so rare terms start heavier."""
    df = np.zeros(size, dtype=np.float64)
    for _anchor, positive, *_ in encoded:
        df[np.unique(positive)] += 1
    return np.log((len(encoded) + 1) / (df + 1)) + 1.0


def _init_weights(size: int, dim: int, idf: np.ndarray | None, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((size, dim)).astype(np.float32) / math.sqrt(dim)
    if idf is not None:
        w *= (idf / idf.mean()).astype(np.float32)[:, None]
    w[0] = 0.0  # [UNK]: the back-off never emits it; raw-text callers get no signal from unknown tokens
    return w


def _batch(arrays: list[np.ndarray]):
    import torch

    lengths = [len(a) for a in arrays]
    offsets = torch.from_numpy(np.cumsum([0] + lengths[:-1]).astype(np.int64))
    ids = torch.from_numpy(np.concatenate(arrays).astype(np.int64))
    return {"input_ids": ids, "offsets": offsets}


def _build_model(vocab: list[str], weights: np.ndarray):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, StaticEmbedding
    from tokenizers import Tokenizer, models, pre_tokenizers

    tok = Tokenizer(models.WordLevel(vocab={t: i for i, t in enumerate(vocab)}, unk_token=UNK))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    static = StaticEmbedding(tok, embedding_weights=weights)
    return SentenceTransformer(modules=[static, Normalize()], device="cpu")


def _train_loop(model, encoded: list[tuple[np.ndarray, ...]], cfg: TrainConfig, progress: bool) -> float:
    import torch
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    directions = ("query_to_doc", "doc_to_query") if cfg.symmetric else ("query_to_doc",)
    loss_fn = MultipleNegativesRankingLoss(model, scale=cfg.scale, directions=directions)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    steps_per_epoch = max(1, len(encoded) // cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
    warmup = max(1, total // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
    rng = random.Random(cfg.seed)
    model.train()
    t0, step, last = time.time(), 0, float("nan")
    for epoch in range(cfg.epochs):
        order = list(range(len(encoded)))
        rng.shuffle(order)
        for b in range(steps_per_epoch):
            rows = [encoded[i] for i in order[b * cfg.batch_size : (b + 1) * cfg.batch_size]]
            embs = [model(_batch([r[c] for r in rows]))["sentence_embedding"] for c in range(len(rows[0]))]
            loss = loss_fn.compute_loss_from_embeddings(embs, None)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            step += 1
            last = loss.item()
            if step % 20 == 0 or step == total:
                _log(f"  训练：第 {epoch + 1}/{cfg.epochs} 轮，步 {step}/{total}，loss {last:.3f}，{time.time() - t0:.0f} 秒", progress)
    model.eval()
    return last


def _encode_pairs(pairs: list[Pair], encode: PairEncoder, rng: random.Random) -> list[tuple[np.ndarray, ...]]:
    """Id arrays per pair; every row gets a negative (another pair's positive when none was mined)."""
    out = []
    for p in pairs:
        a, pos = encode(p.anchor), encode(p.positive)
        if len(a) and len(pos):
            out.append((a, pos, encode(p.negative) if p.negative else None))
    for i, (a, pos, neg) in enumerate(out):
        if neg is None or not len(neg):
            out[i] = (a, pos, out[rng.randrange(len(out))][1])
    return out


def segment_sources(corpus_dir: Path | None, library_path: Path | None, seg: Segmenter, progress: bool) -> list[SegmentedDoc]:
    t0 = time.time()
    docs = []
    if corpus_dir:
        docs += segment_documents(seg, corpus_documents(corpus_dir), progress)
    if library_path:
        _log(f"读取法规库：{library_path}", progress)
        docs += segment_documents(seg, library_documents(library_path), progress)
    _log(f"文档分词：{len(docs)} 篇，{time.time() - t0:.0f} 秒", progress)
    return docs


def fit(docs: list[SegmentedDoc], cfg: TrainConfig, progress: bool = True):
    """Vocabulary, pairs and the training loop; returns (model, stats for the marker file)."""
    import torch

    torch.manual_seed(cfg.seed)
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    vocab = build_vocab(docs, cfg)
    pairs = mine_pairs(docs, seed=cfg.seed, max_pairs=cfg.max_pairs, hard_negatives=cfg.hard_negatives,
                       prefix_positive=cfg.prefix_positive, ict_per_article=cfg.ict_per_article)
    kinds = Counter(p.kind for p in pairs)
    encoded = _encode_pairs(pairs, PairEncoder(vocab), random.Random(cfg.seed))
    del pairs
    _log(f"词表 {len(vocab)}；训练样本 {len(encoded)}（{dict(kinds)}）", progress)
    idf = _idf(encoded, len(vocab)) if cfg.idf_init else None
    model = _build_model(vocab, _init_weights(len(vocab), cfg.dim, idf, cfg.seed))
    last_loss = _train_loop(model, encoded, cfg, progress)
    return model, {"pairs": len(encoded), "pair_kinds": dict(kinds), "vocab": len(vocab), "final_loss": round(last_loss, 4)}


def _model_is_current(out_dir: Path, train_hash: str) -> bool:
    from kb.embed.static import read_marker

    try:
        marker = read_marker(out_dir)
    except ModelError:  # missing or damaged: train it again
        return False
    return marker.get("train_hash") == train_hash and marker.get("kind") == KIND


def train_model(
    out_dir: str | Path,
    corpus_dir: str | Path | None,
    library_path: str | Path | None = None,
    max_pairs: int | None = None,
    epochs: int = 1,
    dim: int = 256,
    seed: int = 42,
    force: bool = False,
    progress: bool = True,
    tiny: bool = False,
    segmenter: Segmenter | None = None,
    **overrides,
) -> Path:
    """Train (or reuse) the static model in out_dir; returns out_dir.

    tiny=True: the repo corpus only, at most TINY_PAIRS pairs — well under a minute, for tests.
    overrides: other TrainConfig fields (batch_size, lr, ...).
    """
    out_dir = Path(out_dir)
    corpus_dir = Path(corpus_dir) if corpus_dir else None
    library_path = Path(library_path) if library_path and not tiny else None
    if tiny:  # ~2k pairs: small batches, a few passes
        max_pairs = min(max_pairs or TINY_PAIRS, TINY_PAIRS)
        epochs = max(epochs, TINY_EPOCHS)
        overrides.setdefault("batch_size", 256)
        overrides.setdefault("lr", 0.1)
    cfg = TrainConfig(epochs=epochs, dim=dim, seed=seed, max_pairs=max_pairs, **overrides)
    train_hash = training_hash(corpus_dir, library_path, cfg)
    if not force and _model_is_current(out_dir, train_hash):
        _log(f"模型已是最新（训练数据指纹 {train_hash}），跳过训练：{out_dir}", progress)
        return out_dir

    t_start = time.time()
    docs = segment_sources(corpus_dir, library_path, segmenter or get_segmenter(), progress)
    model, stats = fit(docs, cfg, progress)
    marker = {
        "kind": KIND,
        "segment": True,
        "train_hash": train_hash,
        "recipe": RECIPE_VERSION,
        "config": asdict(cfg),
        **stats,
        "library": str(library_path) if library_path else None,
        "seconds": round(time.time() - t_start, 1),
    }
    _save(model, out_dir, marker)
    _log(f"训练完成：{out_dir}（{marker['seconds']} 秒）", progress)
    return out_dir


def _save(model, out_dir: Path, marker: dict) -> None:
    """Write into a temporary sibling, then swap: a crash never leaves a half-written model behind."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    model.save(str(tmp))
    (tmp / MARKER).write_text(json.dumps(marker, ensure_ascii=False, indent=2), encoding="utf-8")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    tmp.rename(out_dir)
