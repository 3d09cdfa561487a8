"""The local backend: one folder per collection under indexes/, bm25s for BM25 and FAISS for vectors.

    indexes/default/CURRENT        "7": the generation readers open
    indexes/default/g7/            meta.json, chunks.jsonl, terms.jsonl, bm25/, dense.faiss
    indexes/default/g6/            the previous generation, kept for readers that opened it before the switch
    indexes/default/.g8.tmp-<pid>/ a write in progress

A commit writes a whole new generation folder and then replaces CURRENT (an atomic rename), so a write that
crashes or is killed leaves the previous index readable; its temporary folder is removed by the next write.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from kb import errors
from kb.index.bm25 import BM25Index
from kb.index.dense import DenseIndex
from kb.locking import pid_alive
from kb.index.store import (
    DocRecord, EncoderInfo, Filter, IndexedDocument, IndexStore, StoreStats, StoreWriter, check_vectors,
)
from kb.models import Chunk

FORMAT = 2
CURRENT = "CURRENT"
META, CHUNKS, TERMS, BM25_DIR = "meta.json", "chunks.jsonl", "terms.jsonl", "bm25"
KEEP_PREVIOUS = 1  # generations kept besides the current one
_TMP = re.compile(r"^\.g(\d+)\.tmp-(\d+)$")


@dataclass
class _Payload:
    """What a generation holds besides its meta.json, loaded on first use (a status check never pays for it)."""

    chunks: list[Chunk]
    rows: dict[str, int]
    doc_rows: dict[str, list[int]]
    status: np.ndarray
    bm25: BM25Index
    dense: DenseIndex | None

    @classmethod
    def of(cls, chunks: list[Chunk], bm25: BM25Index, dense: DenseIndex | None) -> "_Payload":
        doc_rows: dict[str, list[int]] = {}
        for i, c in enumerate(chunks):
            doc_rows.setdefault(c.doc_id, []).append(i)
        return cls(chunks, {c.chunk_id: i for i, c in enumerate(chunks)}, doc_rows,
                   np.array([c.status for c in chunks], dtype=object), bm25, dense)


class LocalStore(IndexStore):
    def __init__(self, folder: Path, collection: str = "default"):
        self.folder = Path(folder)
        self.collection = collection
        self.location = str(self.folder)
        self._generation = _read_current(self.folder)
        self.encoder, self.analysis = None, ""
        self.meta: dict = {}
        self._docs: dict[str, DocRecord] = {}
        self._loaded: _Payload | None = None
        self._load_lock = threading.Lock()
        self._terms: list[list[str]] | None = None
        self.outdated = not self._generation and (self.folder / META).exists()  # the layout of earlier versions
        self.damage = ""  # why the current generation cannot be read: readers are refused, a build replaces it
        if self._generation > 0:
            try:
                self._read_meta(self.folder / f"g{self._generation}")
            except errors.IndexOutdated:
                self.outdated = True
            except (OSError, ValueError, KeyError, TypeError) as exc:
                self.outdated, self.damage = True, f"{META}：{type(exc).__name__}"

    # --- loading ---------------------------------------------------------------------------------------------
    def _read_meta(self, snap: Path) -> None:
        meta = json.loads((snap / META).read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise errors.IndexOutdated(self.folder)
        self._snap = snap
        self.meta = meta
        self.encoder = EncoderInfo(**meta["encoder"]) if meta.get("encoder") else None
        self.analysis = meta.get("analysis", "")
        self._docs = {d["doc_id"]: DocRecord(**d) for d in meta["documents"]}

    @property
    def _p(self) -> _Payload:
        with self._load_lock:
            if self._loaded is None:
                if not self._generation:
                    self._loaded = _Payload.of([], BM25Index(None, 0), None)
                else:
                    snap = self._snap
                    chunks = [Chunk(**json.loads(line)) for line in _lines(snap / CHUNKS)]
                    dense = DenseIndex.load(snap, self.encoder.name, self.encoder.dim) if self.encoder else None
                    self._loaded = _Payload.of(chunks, BM25Index.load(snap / BM25_DIR, len(chunks)), dense)
            return self._loaded

    def _all_terms(self) -> list[list[str]]:
        if self._terms is None:
            self._terms = [json.loads(line) for line in _lines(self._snap / TERMS)]
        return self._terms

    # --- reading ---------------------------------------------------------------------------------------------
    def generation(self) -> int:
        return self._generation

    def current_generation(self) -> int:
        return _read_current(self.folder)

    def documents(self) -> dict[str, DocRecord]:
        return dict(self._docs)

    def doc_chunks(self, doc_id: str) -> list[Chunk]:
        p = self._p
        return [p.chunks[i] for i in p.doc_rows.get(doc_id, [])]

    def get(self, chunk_id: str) -> Chunk | None:
        p = self._p
        row = p.rows.get(chunk_id)
        return None if row is None else p.chunks[row]

    def __len__(self) -> int:
        return int(self.meta.get("chunks", 0))

    def _allowed(self, where: Filter | None) -> np.ndarray | None:
        """Row mask of a filter (None = every row)."""
        if where is None:
            return None
        p = self._p
        mask = np.ones(len(p.chunks), dtype=bool)
        if where.doc_ids is not None:
            mask[:] = False
            rows = [i for d in where.doc_ids for i in p.doc_rows.get(d, [])]
            mask[np.array(rows, dtype=np.int64)] = True
        if where.status is not None:
            mask &= p.status == where.status
        return mask

    def search_sparse(self, terms, k, where=None):
        p = self._p
        scores = p.bm25.scores(terms)
        mask = self._allowed(where)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        return [(p.chunks[i], float(scores[i])) for i in _top(scores, k) if scores[i] > 0]

    def search_dense(self, vec, k, where=None):
        p = self._p
        if p.dense is None:
            raise errors.NoVectors("该索引没有向量部分，无法做语义检索")
        mask = self._allowed(where)
        if mask is None:
            rows, scores = p.dense.search(vec, k)
            return [(p.chunks[int(r)], float(s)) for r, s in zip(rows, scores)]
        rows = np.flatnonzero(mask)
        sims = p.dense.vectors(rows) @ np.asarray(vec, dtype=np.float32).reshape(-1)
        return [(p.chunks[int(rows[i])], float(sims[i])) for i in _top(sims, k)]

    def vectors(self, chunk_ids: Sequence[str]) -> np.ndarray:
        p = self._p
        if p.dense is None:
            raise errors.NoVectors()
        return p.dense.vectors(np.array([p.rows[c] for c in chunk_ids], dtype=np.int64))

    def stored(self, doc_id: str) -> IndexedDocument:
        p = self._p
        rows = p.doc_rows.get(doc_id)
        if rows is None:
            raise errors.DocumentNotFound(doc_id)
        terms = self._all_terms()
        vecs = p.dense.vectors(np.array(rows, dtype=np.int64)) if p.dense is not None else None
        return IndexedDocument(self._docs[doc_id], [p.chunks[i] for i in rows], [terms[i] for i in rows], vecs)

    def stats(self) -> StoreStats:
        size = sum(f.stat().st_size for f in self._snap.rglob("*") if f.is_file()) if self._generation else 0
        return StoreStats(self._generation, len(self._docs), len(self), self.encoder, self.analysis,
                          {"bytes": size, "built_at": self.meta.get("built_at", "")})

    # --- writing ---------------------------------------------------------------------------------------------
    def writer(self, fresh, encoder, analysis):
        return LocalWriter(self, fresh, encoder, analysis)

    def clear_leftovers(self) -> list[str]:
        return _remove_leftovers(self.folder) if self.folder.is_dir() else []


class LocalWriter(StoreWriter):
    def __init__(self, store: LocalStore, fresh: bool, encoder: EncoderInfo | None, analysis: str):
        if not fresh and store.generation() and (store.encoder != encoder or store.analysis != analysis):
            raise ValueError("an in-place write must keep the store's encoder and analysis")
        self.store, self.encoder, self.analysis = store, encoder, analysis
        self.docs: dict[str, IndexedDocument] = {}
        if not fresh and store.generation():
            self.docs = {d: store.stored(d) for d in store.documents()}
        self._tmp: Path | None = None

    def put(self, doc: IndexedDocument) -> None:
        check_vectors(doc, self.encoder)
        self.docs[doc.record.doc_id] = doc

    def remove(self, doc_ids: Iterable[str]) -> None:
        for d in doc_ids:
            self.docs.pop(d, None)

    def commit(self) -> int:
        folder = self.store.folder
        folder.mkdir(parents=True, exist_ok=True)
        self.store.clear_leftovers()
        gen = max(_read_current(folder), _newest_folder(folder)) + 1
        self._tmp = folder / f".g{gen}.tmp-{os.getpid()}"
        shutil.rmtree(self._tmp, ignore_errors=True)
        try:
            self._save(self._tmp, gen)
        except BaseException:
            self.abort()
            raise
        os.replace(self._tmp, folder / f"g{gen}")
        _write_current(folder, gen)
        self._tmp = None
        _drop_old_generations(folder, gen)
        return gen

    def abort(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
        self.docs = {}

    def _save(self, snap: Path, gen: int) -> None:
        snap.mkdir(parents=True)
        docs = list(self.docs.values())
        chunks = [c for d in docs for c in d.chunks]
        with open(snap / CHUNKS, "w", encoding="utf-8") as fh:
            for c in chunks:  # index_text is only needed while segmenting/embedding: not stored
                fh.write(json.dumps({**asdict(c), "index_text": ""}, ensure_ascii=False) + "\n")
        terms = [t for d in docs for t in d.terms]
        with open(snap / TERMS, "w", encoding="utf-8") as fh:
            for t in terms:
                fh.write(json.dumps(t, ensure_ascii=False) + "\n")
        (snap / BM25_DIR).mkdir()
        BM25Index.build(terms).save(snap / BM25_DIR)
        if self.encoder is not None:
            vecs = [d.vectors for d in docs if len(d.chunks)]
            matrix = np.concatenate(vecs) if vecs else np.zeros((0, self.encoder.dim), dtype=np.float32)
            DenseIndex(self.encoder.name, self.encoder.dim, matrix).save(snap)
        meta = {"format": FORMAT, "collection": self.store.collection, "generation": gen,
                "encoder": asdict(self.encoder) if self.encoder else None, "analysis": self.analysis,
                "chunks": len(chunks), "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "documents": [d.record.to_json() for d in docs]}
        (snap / META).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")


# --- the generation pointer and housekeeping ---------------------------------------------------------------------
def _read_current(folder: Path) -> int:
    try:
        return int((folder / CURRENT).read_text(encoding="utf-8").strip() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def _write_current(folder: Path, gen: int) -> None:
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".CURRENT-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(str(gen))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, folder / CURRENT)


def _newest_folder(folder: Path) -> int:
    """A generation folder may exist beyond CURRENT when a writer died between its two renames."""
    nums = [int(p.name[1:]) for p in folder.glob("g*") if p.name[1:].isdigit()]
    return max(nums, default=0)


def _remove_leftovers(folder: Path) -> list[str]:
    """Temporary folders of writers that are no longer running (killed builds), and orphan generations."""
    current, removed = _read_current(folder), []
    for p in folder.iterdir():
        m = _TMP.match(p.name)
        if (m and not pid_alive(int(m.group(2)))) or (p.name.startswith("g") and p.name[1:].isdigit()
                                                         and int(p.name[1:]) > current):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p.name)
        elif p.name.startswith(".CURRENT-"):
            p.unlink(missing_ok=True)
    return removed


def _drop_old_generations(folder: Path, current: int) -> None:
    for p in folder.glob("g*"):
        if p.name[1:].isdigit() and int(p.name[1:]) < current - KEEP_PREVIOUS:
            shutil.rmtree(p, ignore_errors=True)
    for old in (META, CHUNKS, TERMS, "dense.faiss", "dense.json", BM25_DIR):  # the single-folder layout
        path = folder / old
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


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
