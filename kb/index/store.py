"""The one storage interface retrieval and answering see. Backends: kb.index.local (bm25s + FAISS files),
kb.index.milvus (a Milvus Lite file, or a Milvus standalone/cluster server); `open_store` picks one from
KB_STORE / --store. Building and updating indexes (kb.index.build) also goes through this interface only.

A store holds, per document, its record (title, kind, status, dates, content hash), its chunks, their sparse
terms (kb.segment's index_terms) and their dense vectors, tagged with the encoder that made them. Every
committed write changes the store's generation, so readers elsewhere (another app server) notice and reload.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from kb import errors
from kb.config import Settings, get_settings
from kb.models import Chunk

LOCAL = "local"


@dataclass(frozen=True)
class EncoderInfo:
    """What made a store's vectors: the encoder's exact name, how to load it again, its dimension."""

    name: str
    spec: str
    dim: int

    @classmethod
    def of(cls, encoder) -> "EncoderInfo | None":
        return None if encoder is None else cls(encoder.name, encoder.spec, int(encoder.dim))


@dataclass
class DocRecord:
    """One indexed document, as retrieval and the assistant need it (without reading the corpus files)."""

    doc_id: str
    title: str
    kind: str = ""
    status: str = ""
    date: str = ""
    effective: str = ""
    issuer: str = ""
    superseded_by: str = ""
    hash: str = ""  # content hash of the indexed chunks: unchanged documents are not re-segmented or re-embedded

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class IndexedDocument:
    """A document ready for a store: its chunks with their terms and vectors, row for row."""

    record: DocRecord
    chunks: list[Chunk]
    terms: list[list[str]]
    vectors: np.ndarray | None = None  # (len(chunks), dim) float32; None in a sparse-only store

    def __post_init__(self):
        if len(self.terms) != len(self.chunks) or (self.vectors is not None and len(self.vectors) != len(self.chunks)):
            raise ValueError("chunks, terms and vectors must align")


@dataclass(frozen=True)
class Filter:
    """Which chunks a search may return: only these documents and/or only this status (None = any)."""

    doc_ids: frozenset[str] | None = None
    status: str | None = None

    @classmethod
    def of(cls, doc_ids: Iterable[str] | None = None, status: str | None = None) -> "Filter | None":
        if doc_ids is None and status is None:
            return None
        return cls(None if doc_ids is None else frozenset(doc_ids), status)


@dataclass
class StoreStats:
    generation: int
    documents: int
    chunks: int
    encoder: EncoderInfo | None
    analysis: str
    extra: dict = field(default_factory=dict)


class IndexStore(ABC):
    collection: str
    location: str  # where it lives, for messages: a folder or a milvus:// address
    encoder: EncoderInfo | None  # None = sparse only
    analysis: str  # kb.segment's analysis the stored terms were made with

    # --- reading ---------------------------------------------------------------------------------------------
    @abstractmethod
    def generation(self) -> int:
        """The generation this object reads."""

    @abstractmethod
    def current_generation(self) -> int:
        """The newest committed generation; differs from generation() once another process has written."""

    def is_stale(self) -> bool:
        return self.current_generation() != self.generation()

    @abstractmethod
    def documents(self) -> dict[str, DocRecord]: ...

    @abstractmethod
    def doc_chunks(self, doc_id: str) -> list[Chunk]:
        """A document's chunks in document order."""

    @abstractmethod
    def get(self, chunk_id: str) -> Chunk | None: ...

    @abstractmethod
    def search_sparse(self, terms: Sequence[str] | Mapping[str, float], k: int,
                      where: Filter | None = None) -> list[tuple[Chunk, float]]:
        """BM25 (kb.index.bm25) over the stored terms, best first; only chunks scoring above 0. terms: a list
        (each occurrence counts once) or term → weight."""

    @abstractmethod
    def search_dense(self, vec: np.ndarray, k: int, where: Filter | None = None) -> list[tuple[Chunk, float]]:
        """Cosine similarity to the stored vectors, best first."""

    @abstractmethod
    def vectors(self, chunk_ids: Sequence[str]) -> np.ndarray:
        """Stored vectors of these chunks, row for row (the assistant compares them with the question)."""

    @abstractmethod
    def stored(self, doc_id: str) -> IndexedDocument:
        """A document as stored, terms and vectors included: reused for unchanged documents, copied by migrate."""

    @abstractmethod
    def stats(self) -> StoreStats: ...

    @property
    def has_dense(self) -> bool:
        return self.encoder is not None

    # --- writing ---------------------------------------------------------------------------------------------
    @abstractmethod
    def writer(self, fresh: bool, encoder: EncoderInfo | None, analysis: str) -> "StoreWriter":
        """A write session. fresh=True starts from an empty index that replaces this one on commit (the old one
        stays readable until then, and after a crash); fresh=False changes this index in place."""

    @abstractmethod
    def clear_leftovers(self) -> list[str]:
        """Remove what writes that were killed left behind (never the live index); returns what was removed.
        Every write calls it first; callers must hold the write lock (kb.locking) so no live write is mistaken."""

    def close(self) -> None:
        """Release connections (a no-op for files)."""


def check_vectors(doc: IndexedDocument, encoder: EncoderInfo | None) -> None:
    """What every writer checks on put: a document has vectors exactly when the index has an encoder."""
    if (doc.vectors is None) != (encoder is None):
        raise errors.NoVectors("缺少向量：该索引需要为每个条文计算向量", hint="请重新运行 kb index build")


class StoreWriter(ABC):
    """`with store.writer(...) as w: w.put(doc); w.remove(ids)` — committed when the block ends without error."""

    @abstractmethod
    def put(self, doc: IndexedDocument) -> None:
        """Add a document, or replace the stored one with the same id."""

    @abstractmethod
    def remove(self, doc_ids: Iterable[str]) -> None: ...

    @abstractmethod
    def commit(self) -> int:
        """Make the writes visible; returns the new generation."""

    @abstractmethod
    def abort(self) -> None:
        """Forget the writes. The previous index stays as it was, except after an in-place write on a backend
        that cannot roll it back (Milvus): that one is then refused to readers (outdated) until a fresh build."""

    def __enter__(self) -> "StoreWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


# --- choosing a backend ----------------------------------------------------------------------------------------
def store_uri(settings: Settings) -> str:
    return settings.store or LOCAL


def connect(settings: Settings | None = None, collection: str = "default") -> IndexStore:
    """The store of a collection on the configured backend, possibly still empty (see exists())."""
    settings = settings or get_settings()
    uri = store_uri(settings)
    if uri == LOCAL or uri.startswith("file:"):
        from kb.index.local import LocalStore

        return LocalStore(settings.index_dir / collection, collection)
    if uri.startswith("milvus:"):
        from kb.index.milvus import MilvusStore

        return MilvusStore.connect(uri, collection)
    raise errors.InputError(f"无法识别的存储地址：{uri}",
                            hint="KB_STORE / --store 可取 local、milvus:///绝对路径/kb.db（Milvus Lite）或 milvus://主机:19530")


def open_store(settings: Settings | None = None, collection: str = "default") -> IndexStore:
    """The store of a collection that has been built; IndexMissing / CollectionMissing otherwise."""
    settings = settings or get_settings()
    store = connect(settings, collection)
    if getattr(store, "outdated", False):  # a build (which connects, not opens) replaces it
        store.close()
        raise errors.IndexOutdated(store.location, getattr(store, "damage", ""))
    if store.generation() <= 0:
        store.close()
        if collection != "default":
            raise errors.CollectionMissing(collection)
        raise errors.IndexMissing(store.location)
    return store

