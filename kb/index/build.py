"""Building, updating and migrating indexes — on any backend, through kb.index.store only.

documents → chunks (kb.chunking) → terms (kb.segment, in worker processes when there are many) + vectors
(the collection's encoder, through the content-hash vector cache) → store. A document whose content hash is
unchanged keeps its stored terms and vectors; nothing is segmented or embedded twice.
"""
from __future__ import annotations

import functools
import hashlib
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from kb import errors
from kb.chunking import chunk_document
from kb.config import Settings, get_settings
from kb.embed.encoder import Encoder, default_spec, load_encoder
from kb.index.store import DocRecord, EncoderInfo, IndexedDocument, IndexStore, connect, open_store
from kb.models import SUPERSEDED, Document

LIBRARY = "library"
PARALLEL_FROM = 5000  # chunks; below this, starting worker processes costs more than it saves
_SEG_BATCH = 256


# --- progress -----------------------------------------------------------------------------------------------------
def progress_bar(enabled: bool):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=Console(stderr=True), transient=True, disable=not enabled)


def _warn(msg: str) -> None:
    sys.stderr.write(msg + "\n")


# --- the core: documents into a store ----------------------------------------------------------------------------
def record_of(doc: Document, digest: str) -> DocRecord:
    return DocRecord(doc.doc_id, doc.title, doc.kind, doc.status, doc.date, doc.effective, doc.issuer,
                     doc.superseded_by or "", digest)


def content_hash(doc: Document, chunks, encoder: EncoderInfo | None, analysis: str) -> str:
    """Everything stored for a document: a change in any of it (text, status, title…) means a new hash."""
    h = hashlib.sha1(f"{encoder.name if encoder else ''}\0{analysis}\0".encode())
    h.update(repr(record_of(doc, "")).encode())
    for c in chunks:
        h.update(repr(c).encode())
    return h.hexdigest()


def write_documents(store: IndexStore, docs: Sequence[Document], encoder: Encoder | None, settings: Settings,
                    fresh: bool, progress: bool = False) -> dict:
    """Make the store hold exactly `docs`. Unchanged documents (same content hash) are taken from the store as
    they are; the rest are segmented and embedded. fresh=True writes a new index that replaces the old one on
    commit (a full build); else the store is changed in place (an update after corpus add/remove)."""
    from kb.segment import get_segmenter

    seg = get_segmenter()
    info = EncoderInfo.of(encoder)
    old = store.documents() if store.generation() and store.encoder == info and store.analysis == seg.analysis else {}
    groups = {d.doc_id: (d, chunk_document(d)) for d in docs}
    hashes = {d_id: content_hash(d, cs, info, seg.analysis) for d_id, (d, cs) in groups.items()}
    unchanged = {d for d, h in hashes.items() if d in old and old[d].hash == h}
    fresh_docs = [d for d in groups if d not in unchanged]
    fresh_chunks = [c for d in fresh_docs for c in groups[d][1]]
    with progress_bar(progress) as bar:
        terms, vectors = prepare([c.index_text for c in fresh_chunks], encoder, settings, bar)
        warm_sentences([groups[d][0] for d in fresh_docs], encoder, settings, bar)
    with store.writer(fresh=fresh or not old, encoder=info, analysis=seg.analysis) as w:
        if not fresh:
            w.remove([d for d in store.documents() if d not in groups])
        row = 0
        for d_id, (doc, chunks) in groups.items():
            if d_id in unchanged:
                if fresh:
                    w.put(store.stored(d_id))
                continue
            n = len(chunks)
            w.put(IndexedDocument(record_of(doc, hashes[d_id]), chunks, terms[row:row + n],
                                  None if vectors is None else vectors[row:row + n]))
            row += n
    return {"documents": len(groups), "chunks": sum(len(cs) for _, cs in groups.values()),
            "fresh_chunks": len(fresh_chunks), "reused_chunks": sum(len(groups[d][1]) for d in unchanged),
            "model": info.name if info else None}


def prepare(texts: list[str], encoder: Encoder | None, settings: Settings, bar):
    """(terms, vectors) of each text. Many texts are split over worker processes (one per core): segmentation
    always, and embedding too when the encoder is cheaper to run than to cache (the static model: a jieba cut
    and a table lookup); otherwise vectors come through the content-hash cache (e5, with its own threads)."""
    parallel = len(texts) >= PARALLEL_FROM and settings.build_threads > 1
    cheap = encoder is not None and encoder.cheap
    if parallel:
        terms, vectors = _in_workers(texts, encoder.spec if cheap else None, settings, bar)
    else:
        terms, vectors = segment(texts, bar), None
    if encoder is not None and vectors is None:
        vectors = embed(texts, encoder, settings, bar)
    return terms, vectors


def segment(texts: list[str], bar) -> list[list[str]]:
    from kb.segment import get_segmenter

    seg, out = get_segmenter(), []
    task = bar.add_task("分词", total=len(texts))
    for t in texts:
        out.append(seg.index_terms(t))
        bar.advance(task)
    return out


def _in_workers(texts: list[str], spec: str | None, settings: Settings, bar):
    batches = [texts[i:i + _SEG_BATCH] for i in range(0, len(texts), _SEG_BATCH)]
    task = bar.add_task("分词" + ("和计算向量" if spec else ""), total=len(texts))
    terms, vectors = [], []
    with ProcessPoolExecutor(max_workers=settings.build_threads) as pool:
        for t, v in pool.map(_work_batch, batches, [spec] * len(batches), [settings] * len(batches)):
            terms += t
            if v is not None:
                vectors.append(v)
            bar.advance(task, len(t))
    return terms, (np.concatenate(vectors) if spec and vectors else None)


def _work_batch(texts: list[str], spec: str | None, settings: Settings):
    from kb.segment import get_segmenter

    seg = get_segmenter()
    terms = [seg.index_terms(t) for t in texts]
    return terms, (_worker_encoder(spec, settings).encode_passages(texts) if spec else None)


@functools.lru_cache(maxsize=2)
def _worker_encoder(spec: str, settings: Settings) -> Encoder:
    return load_encoder(spec, settings)  # once per worker process


def warm_sentences(docs: Sequence[Document], encoder: Encoder | None, settings: Settings, bar) -> None:
    """Put the articles' sentence vectors in the cache now, when the assistant's model reads them
    (kb.embed.sentences), so no answer waits for them."""
    from kb.assistant.model import reads_sentences

    if encoder is None or encoder.cheap or not reads_sentences(encoder.name):
        return
    texts = list(dict.fromkeys(s for d in docs for a in d.articles for s in a.sentences()))
    embed(texts, encoder, settings, bar, "计算句向量")


def embed(texts: list[str], encoder: Encoder | None, settings: Settings, bar, label: str = "计算向量"):
    """Passage vectors through the content-hash cache (None for a sparse-only index)."""
    if encoder is None:
        return None
    from kb.embed.cache import VectorCache, embed_passages

    task = bar.add_task(f"{label}（{encoder.name}）", total=len(texts))
    cache = VectorCache(settings.cache_dir, encoder.name, encoder.dim)
    try:
        return embed_passages(encoder, texts, cache, advance=lambda n: bar.advance(task, n))
    finally:
        cache.close()


# --- encoders of a collection ------------------------------------------------------------------------------------
def build_encoder(settings: Settings, collection: str, spec: str | None = None) -> Encoder | None:
    """The encoder a (re)build uses: `spec` when given, else the collection's default; None (BM25 only, with a
    warning) when the default one is unavailable."""
    explicit = bool(spec) or (collection == "default" and bool(settings.embed_model))
    spec = spec or default_spec(settings, collection)
    try:
        return load_encoder(spec, settings)
    except errors.ModelError:
        if explicit:
            raise  # an explicit choice that cannot be loaded is an error
        _warn(f"提示：向量模型 {spec} 不可用，本次只建立关键词（BM25）索引；准备好模型后请重新建立索引。")
        return None


def stored_encoder(settings: Settings, store: IndexStore) -> Encoder | None:
    """The encoder that made a store's vectors, loaded again (ModelError when it is gone or has changed)."""
    if store.encoder is None:
        return None
    enc = load_encoder(store.encoder.spec, settings)
    if enc.name != store.encoder.name:
        raise errors.ModelError(f"索引是用向量模型“{store.encoder.name}”建立的，现有模型是“{enc.name}”，两者不能混用",
                                hint="请重新运行 kb index build（国家法律法规库：kb library import）")
    return enc


# --- the commands -------------------------------------------------------------------------------------------------
def build_index(settings: Settings | None = None, collection: str = "default", progress: bool = True) -> dict:
    """(Re)build a collection from the corpus; the previous index stays readable until the new one is in."""
    from kb.corpus import Corpus

    settings = settings or get_settings()
    if collection == LIBRARY:
        raise errors.InputError("检索库 library 由国家法律法规库生成，不能用知识库文件重建",
                                hint="请运行 kb library import <法律法规库路径>")
    t0 = time.perf_counter()
    docs = Corpus(settings).documents()
    store = connect(settings, collection)
    try:
        summary = write_documents(store, docs, build_encoder(settings, collection), settings, fresh=True,
                                  progress=progress)
    finally:
        store.close()
    return {"collection": collection, **summary, "seconds": round(time.perf_counter() - t0, 2),
            "path": store.location}


def update_index(settings: Settings | None = None, collection: str = "default", progress: bool = False) -> dict | None:
    """Bring a built collection in line with the corpus after add/remove/edit; returns what was written
    (documents, chunks, fresh_chunks, reused_chunks), None when no index is built yet.

    The whole corpus is compared by content hash, so status changes (a new version superseding an old one)
    and hand-edited files reach the index without re-embedding anything unchanged. When the configured encoder
    is not the one the index was built with, everything is re-embedded (vectors are never mixed)."""
    from kb.corpus import Corpus

    settings = settings or get_settings()
    store = connect(settings, collection)
    try:
        if store.generation() <= 0:
            return None
        docs = Corpus(settings).documents()
        if getattr(store, "outdated", False):  # damaged, or a Milvus update killed half-way: rewrite, never patch
            return write_documents(store, docs, build_encoder(settings, collection), settings, fresh=True,
                                   progress=progress)
        explicit = settings.embed_model and store.encoder and settings.embed_model != store.encoder.spec
        encoder = load_encoder(settings.embed_model, settings) if explicit else stored_encoder(settings, store)
        return write_documents(store, docs, encoder, settings, fresh=False, progress=progress)
    finally:
        store.close()


def import_library(path, settings: Settings | None = None, progress: bool = True, spec: str | None = None) -> dict:
    """Parse every law of the library (kb.library) and (re)build the "library" collection from them, embedded
    with `spec` (default: the project's static model; e5 at ~6 passages/s would take hours for 147k chunks)."""
    from kb.library import law_documents

    settings = settings or get_settings()
    t0 = time.perf_counter()
    with progress_bar(progress) as bar:
        task = bar.add_task("解析法律法规", total=None)
        docs, failed = law_documents(path, progress=lambda: bar.advance(task))
    if not docs:
        raise errors.InputError(f"法律法规库中没有可解析的法律：{path}", hint="请确认是 lawrefbook 的 .tar.xz 或解压目录")
    store = connect(settings, LIBRARY)
    try:
        summary = write_documents(store, docs, build_encoder(settings, LIBRARY, spec), settings, fresh=True,
                                  progress=progress)
    finally:
        store.close()
    return {"laws": len(docs), "superseded": sum(d.status == SUPERSEDED for d in docs), "chunks": summary["chunks"],
            "failed": failed, "model": summary["model"], "seconds": round(time.perf_counter() - t0, 1),
            "reused_chunks": summary["reused_chunks"]}


def migrate(settings: Settings, target_uri: str, collections: Sequence[str] = ("default", LIBRARY),
            progress: bool = True) -> list[dict]:
    """Copy built collections to another backend as they are: chunks, terms and vectors, nothing re-segmented
    or re-embedded. The target's previous index (if any) stays readable until each copy is committed."""
    import dataclasses

    target_settings = dataclasses.replace(settings, store=target_uri)
    out = []
    for collection in collections:
        try:
            source = open_store(settings, collection)
        except (errors.IndexMissing, errors.CollectionMissing):
            continue
        t0 = time.perf_counter()
        target = connect(target_settings, collection)
        try:
            with progress_bar(progress) as bar, target.writer(True, source.encoder, source.analysis) as w:
                docs = source.documents()
                task = bar.add_task(f"迁移 {collection}", total=len(docs))
                for doc_id in docs:
                    w.put(source.stored(doc_id))
                    bar.advance(task)
            out.append({"collection": collection, "documents": len(docs), "chunks": source.stats().chunks,
                        "seconds": round(time.perf_counter() - t0, 1), "target": target.location})
        finally:
            source.close()
            target.close()
    return out
