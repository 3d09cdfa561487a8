"""The one search-storage interface the rest of the product sees, and how indexes are built and updated.

`IndexStore` is what retrieval talks to (add/remove/search_sparse/search_dense/chunk lookup). `LocalStore` keeps
bm25s + FAISS files under indexes/<collection>/; a server-backed store (e.g. Milvus) can implement the same
interface without kb.retrieve or kb.answer changing.

Builds write into a temporary folder that is renamed over the old one at the end, so a build that crashes or is
killed leaves the previous index loadable. Updates re-use the stored tokens and vectors of every document whose
indexed text did not change; only changed documents are re-segmented and re-embedded.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

from kb import errors
from kb.chunking import chunk_document
from kb.config import Settings, get_settings
from kb.index.bm25 import BM25Index
from kb.index.dense import DenseIndex
from kb.models import Chunk, Document

FORMAT = 1
META = "meta.json"
CHUNKS = "chunks.jsonl"
TOKENS = "tokens.jsonl"
EMBED_BATCH = 256


# --- the interface -------------------------------------------------------------------------------------------
class IndexStore(ABC):
    """Chunks with their sparse tokens and dense vectors; searched by tokens or by a query vector."""

    model: str | None  # name of the embedding model the vectors came from; None = sparse only

    @abstractmethod
    def add(self, chunks: Sequence[Chunk], tokens: Sequence[list[str]], vectors: np.ndarray | None) -> None: ...

    @abstractmethod
    def remove(self, doc_ids: Iterable[str]) -> None: ...

    @abstractmethod
    def search_sparse(self, tokens: list[str], k: int, doc_ids: set[str] | None = None) -> list[tuple[Chunk, float]]: ...

    @abstractmethod
    def search_dense(self, vec: np.ndarray, k: int, doc_ids: set[str] | None = None) -> list[tuple[Chunk, float]]: ...

    @abstractmethod
    def chunks(self) -> list[Chunk]: ...

    @abstractmethod
    def get(self, chunk_id: str) -> Chunk | None: ...

    @abstractmethod
    def doc_chunks(self, doc_id: str) -> list[Chunk]: ...

    @property
    def has_dense(self) -> bool:
        return self.model is not None


# --- local files: bm25s + FAISS ------------------------------------------------------------------------------
class LocalStore(IndexStore):
    def __init__(self, model: str | None = None, dim: int | None = None):
        self.model = model
        self._chunks: list[Chunk] = []
        self._tokens: list[list[str]] = []
        self._tokens_file: Path | None = None  # tokens of a loaded store are read only when needed
        self._dense = DenseIndex(model, dim) if model else None
        self._bm25: BM25Index | None = None  # rebuilt lazily from the stored tokens (fast)
        self._rows: dict[str, int] = {}
        self._doc_rows: dict[str, list[int]] = {}
        self.doc_hashes: dict[str, str] = {}
        self.info: dict = {}

    def __len__(self) -> int:
        return len(self._chunks)

    # mutation
    def add(self, chunks, tokens, vectors=None) -> None:
        if len(chunks) != len(tokens):
            raise ValueError("chunks and tokens must align")
        if self._dense is not None:
            if vectors is None or len(vectors) != len(chunks):
                raise errors.ModelError("缺少向量：该索引需要为每个条文计算向量", hint="请重新运行 kb index build")
            if len(chunks):
                self._dense.add(vectors)
        start = len(self._chunks)
        self._chunks.extend(chunks)
        self.tokens.extend(list(t) for t in tokens)
        for i, c in enumerate(chunks, start):
            self._rows[c.chunk_id] = i
            self._doc_rows.setdefault(c.doc_id, []).append(i)
        self._bm25 = None

    def remove(self, doc_ids) -> None:
        drop = set(doc_ids)
        keep = [i for i, c in enumerate(self._chunks) if c.doc_id not in drop]
        vectors = self._dense.vectors(np.array(keep, dtype=np.int64)) if self._dense is not None else None
        chunks = [self._chunks[i] for i in keep]
        tokens = [self.tokens[i] for i in keep]
        hashes = {d: h for d, h in self.doc_hashes.items() if d not in drop}
        self.__init__(self.model, self._dense.dim if self._dense is not None else None)
        self.add(chunks, tokens, vectors)
        self.doc_hashes = hashes

    # lookup
    def chunks(self) -> list[Chunk]:
        return list(self._chunks)

    def get(self, chunk_id: str) -> Chunk | None:
        row = self._rows.get(chunk_id)
        return None if row is None else self._chunks[row]

    def doc_chunks(self, doc_id: str) -> list[Chunk]:
        return [self._chunks[i] for i in self._doc_rows.get(doc_id, [])]

    def doc_rows(self, doc_id: str) -> list[int]:
        return list(self._doc_rows.get(doc_id, []))

    def tokens_of(self, rows: Sequence[int]) -> list[list[str]]:
        return [self.tokens[i] for i in rows]

    def vectors_of(self, rows: Sequence[int]) -> np.ndarray | None:
        return None if self._dense is None else self._dense.vectors(np.asarray(rows, dtype=np.int64))

    @property
    def tokens(self) -> list[list[str]]:
        if self._tokens_file is not None:
            tokens = [json.loads(line) for line in _lines(self._tokens_file)]
            if len(tokens) != len(self._chunks):  # the files were replaced by a newer build since loading
                raise errors.KBError("索引已在加载后被更新", hint="请重新打开（重新运行命令或刷新页面）")
            self._tokens, self._tokens_file = tokens, None
        return self._tokens

    @property
    def dim(self) -> int | None:
        return None if self._dense is None else self._dense.dim

    # search
    def _rows_of(self, doc_ids: set[str]) -> np.ndarray:
        return np.array(sorted(i for d in doc_ids for i in self._doc_rows.get(d, [])), dtype=np.int64)

    def bm25_scores(self, tokens: list[str]) -> np.ndarray:
        if self._bm25 is None:
            self._bm25 = BM25Index.build(self.tokens)
        return self._bm25.scores(tokens)

    def search_sparse(self, tokens, k, doc_ids=None):
        scores = self.bm25_scores(tokens)
        rows = self._rows_of(doc_ids) if doc_ids is not None else None
        if rows is not None:
            masked = np.zeros_like(scores)
            masked[rows] = scores[rows]
            scores = masked
        return [(self._chunks[i], float(scores[i])) for i in _top(scores, k) if scores[i] > 0]

    def search_dense(self, vec, k, doc_ids=None):
        if self._dense is None:
            raise errors.ModelError("该索引没有向量部分，无法做语义检索", hint="请先训练或指定向量模型，再运行 kb index build")
        if doc_ids is None:
            rows, scores = self._dense.search(vec, k)
            return [(self._chunks[int(r)], float(s)) for r, s in zip(rows, scores)]
        rows = self._rows_of(doc_ids)
        sims = self._dense.vectors(rows) @ np.asarray(vec, dtype=np.float32).reshape(-1)
        return [(self._chunks[int(rows[i])], float(sims[i])) for i in _top(sims, k)]

    # persistence
    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / CHUNKS, "w", encoding="utf-8") as fh:
            for c in self._chunks:  # index_text is only needed while tokenising/embedding: not stored
                fh.write(json.dumps({**asdict(c), "index_text": ""}, ensure_ascii=False) + "\n")
        with open(folder / TOKENS, "w", encoding="utf-8") as fh:
            for t in self.tokens:
                fh.write(json.dumps(t, ensure_ascii=False) + "\n")
        if self._bm25 is None:
            self._bm25 = BM25Index.build(self.tokens)
        self._bm25.save(folder / "bm25")
        if self._dense is not None:
            self._dense.save(folder)
        meta = {"format": FORMAT, "model": self.model, "dim": self.dim, "chunks": len(self._chunks),
                "documents": len(self._doc_rows), "doc_hashes": self.doc_hashes,
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"), **{k: v for k, v in self.info.items()}}
        (folder / META).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, expected_model: str | None = None) -> "LocalStore":
        """Load indexes/<collection>/; expected_model (if given) must match the model that built the vectors."""
        recover(folder)
        if not (folder / META).exists():
            raise errors.IndexMissing(folder)
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
        dense = DenseIndex.load(folder, expected_model) if meta.get("model") else None
        store = cls()
        store.model = meta.get("model")
        store._dense = dense
        chunks = [Chunk(**json.loads(line)) for line in _lines(folder / CHUNKS)]
        store._dense = None  # add() without re-adding vectors: they are already in the loaded FAISS index
        store.add(chunks, [[] for _ in chunks])
        store._dense = dense
        store._tokens_file = folder / TOKENS
        store._bm25 = BM25Index.load(folder / "bm25", len(chunks))
        store.doc_hashes = meta.get("doc_hashes", {})
        store.info = {k: v for k, v in meta.items() if k not in ("doc_hashes",)}
        return store


def _lines(path: Path) -> Iterable[str]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield line


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    idx = np.argpartition(-scores, k - 1)[:k]
    return idx[np.argsort(-scores[idx], kind="stable")]


# --- atomic replacement ------------------------------------------------------------------------------------------
def collection_dir(settings: Settings, collection: str) -> Path:
    return settings.index_dir / collection


def _old_dir(target: Path) -> Path:
    return target.parent / f".{target.name}.old"


def recover(target: Path) -> None:
    """A crash between the two renames of commit() leaves only the old copy: put it back."""
    old = _old_dir(target)
    if not target.exists() and old.exists():
        os.replace(old, target)


def commit(store: LocalStore, target: Path) -> None:
    """Write the store next to target, then swap it in; the previous index stays usable until the swap."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        store.save(tmp)
        recover(target)
        old = _old_dir(target)
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --- embedding model ------------------------------------------------------------------------------------------
def load_embedder(settings: Settings, required: bool = False):
    """The configured embedder, or None (sparse-only index) when the project's default model is not there yet.

    An explicitly chosen model (--embed-model / KB_EMBED_MODEL) that cannot be loaded is an error.
    """
    explicit = bool(settings.embed_model)
    try:
        from kb.embed import load_embedder as _load
    except ImportError:
        if not explicit:
            if required:
                raise errors.ModelError("向量模型模块不可用", hint="请用 --embed-model 指定本地 sentence-transformers 模型")
            return None
        return _SentenceTransformerEmbedder(settings.embed_model)
    try:
        return _load(settings)
    except errors.ModelError:
        if explicit or required:
            raise
        return None


class _SentenceTransformerEmbedder:
    """Fallback used only when kb.embed is unavailable: any local sentence-transformers model folder."""

    def __init__(self, path: str):
        from sentence_transformers import SentenceTransformer

        if not Path(path).exists():
            raise errors.ModelError(f"找不到向量模型：{path}", hint="请检查 --embed-model 或 KB_EMBED_MODEL 的路径")
        self._model = SentenceTransformer(str(path), device="cpu")
        self.name = Path(path).resolve().name
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = get_dim()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vecs = self._model.encode(list(texts), batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)


# --- building -------------------------------------------------------------------------------------------------
def _doc_hash(chunks: Sequence[Chunk], model: str | None) -> str:
    h = hashlib.sha1((model or "").encode())
    for c in chunks:
        h.update(c.chunk_id.encode() + b"\0" + c.index_text.encode() + b"\1")
    return h.hexdigest()


def _progress(enabled: bool):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=Console(stderr=True), transient=True, disable=not enabled)


def index_chunks(groups: dict[str, list[Chunk]], embedder, previous: LocalStore | None = None,
                 progress: bool = True) -> LocalStore:
    """A new store for {doc_id: chunks}, re-using tokens/vectors from `previous` for unchanged documents."""
    from kb.segment import get_segmenter

    model = embedder.name if embedder is not None else None
    store = LocalStore(model, embedder.dim if embedder is not None else None)
    reuse = previous if previous is not None and previous.model == model else None
    hashes = {d: _doc_hash(cs, model) for d, cs in groups.items()}
    fresh = [c for d, cs in groups.items() if not (reuse and reuse.doc_hashes.get(d) == hashes[d]) for c in cs]
    seg = get_segmenter()
    fresh_tokens: dict[str, list[str]] = {}
    fresh_vecs: dict[str, np.ndarray] = {}
    with _progress(progress) as bar:
        task = bar.add_task("分词", total=len(fresh))
        for c in fresh:
            fresh_tokens[c.chunk_id] = seg.tokens(c.index_text)
            bar.advance(task)
        if embedder is not None and fresh:
            task = bar.add_task(f"计算向量（{model}）", total=len(fresh))
            for i in range(0, len(fresh), EMBED_BATCH):
                batch = fresh[i:i + EMBED_BATCH]
                vecs = np.asarray(embedder.encode([c.index_text for c in batch]), dtype=np.float32)
                fresh_vecs.update((c.chunk_id, v) for c, v in zip(batch, vecs))
                bar.advance(task, len(batch))
    for doc_id, cs in groups.items():
        if cs and cs[0].chunk_id not in fresh_tokens:  # unchanged: take the stored tokens and vectors
            rows = reuse.doc_rows(doc_id)
            store.add(cs, reuse.tokens_of(rows), reuse.vectors_of(rows))
        else:
            vecs = np.stack([fresh_vecs[c.chunk_id] for c in cs]) if embedder is not None and cs else None
            store.add(cs, [fresh_tokens[c.chunk_id] for c in cs], vecs)
        store.doc_hashes[doc_id] = hashes[doc_id]
    store.info = {"fresh_chunks": len(fresh), "reused_chunks": len(store) - len(fresh)}
    return store


def _group(docs: Iterable[Document]) -> dict[str, list[Chunk]]:
    return {d.doc_id: chunk_document(d) for d in docs}


def build_index(settings: Settings | None = None, collection: str = "default", progress: bool = True) -> dict:
    """(Re)build indexes/<collection>/ from the corpus. Returns a summary (documents, chunks, model, seconds)."""
    from kb.corpus import Corpus

    settings = settings or get_settings()
    if collection == "library":  # that collection is made from the law library, not from corpus/
        raise errors.InputError("检索库 library 由国家法律法规库生成，不能用知识库文件重建",
                                hint="请运行 kb library import <法律法规库路径>")
    t0 = time.perf_counter()
    docs = Corpus(settings).documents()
    embedder = load_embedder(settings)
    if embedder is None:
        _warn("提示：尚未找到向量模型，本次只建立关键词（BM25）索引；训练模型（kb embed train）后请重新 kb index build。")
    store = index_chunks(_group(docs), embedder, progress=progress)
    store.info.update({"collection": collection, "build_seconds": round(time.perf_counter() - t0, 2)})
    target = collection_dir(settings, collection)
    commit(store, target)
    return {"collection": collection, "documents": len(docs), "chunks": len(store), "model": store.model,
            "seconds": round(time.perf_counter() - t0, 2), "path": str(target)}


def update_default_index(corpus, added: Sequence[str] = (), removed: Sequence[str] = (),
                         collection: str = "default", progress: bool = False) -> bool:
    """Bring the default index in line with the corpus after add/remove; False when no index exists yet.

    The whole corpus is compared by content hash (added/removed are hints for callers), so status changes
    (a new version superseding an old one) reach the stored chunks without re-embedding anything unchanged.
    """
    settings = corpus.settings
    target = collection_dir(settings, collection)
    recover(target)
    if not (target / META).exists():
        return False
    previous = LocalStore.load(target)
    # an index with vectors needs a model to embed the changed documents; a different model than the index's
    # means nothing can be reused, so everything is re-embedded (never mixed)
    embedder = load_embedder(settings, required=previous.model is not None)
    store = index_chunks(_group(corpus.documents()), embedder, previous=previous, progress=progress)
    store.info["collection"] = collection
    commit(store, target)
    return True


def open_store(settings: Settings | None = None, collection: str = "default",
               expected_model: str | None = None) -> LocalStore:
    settings = settings or get_settings()
    target = collection_dir(settings, collection)
    recover(target)
    if not (target / META).exists():
        if collection != "default":
            raise errors.CollectionMissing(collection)
        raise errors.IndexMissing(target)
    return LocalStore.load(target, expected_model)


def _warn(msg: str) -> None:
    sys.stderr.write(msg + "\n")
