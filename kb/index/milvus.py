"""The Milvus backend (pymilvus MilvusClient): a Milvus Lite file on one machine, or a Milvus standalone/cluster
server shared by several app servers.

    KB_STORE=milvus:///abs/path/kb.db         Milvus Lite (one process per file; `milvus-lite server` to share)
    KB_STORE=milvus://host:19530[/db]         a server; the token comes from KB_MILVUS_TOKEN

Per KB collection C: kb_C_meta holds the state (generation, which physical copy is live, encoder, analysis,
BM25 statistics); each physical copy p has kb_C_pP_chunks (text, scalar fields, sparse + dense vectors),
kb_C_pP_docs (document records) and kb_C_pP_terms (token → id, document frequency).

BM25 ranks exactly like the local backend (kb.index.bm25): Milvus' own analyzer does not know our dictionary
and synonyms, so the terms come from kb.segment and are stored as client-side sparse vectors — the document
side is the BM25 term saturation with the collection's average length, the query side the IDF of each query
term from the document frequencies kept in kb_C_pP_terms — searched as inner product on a
SPARSE_INVERTED_INDEX. A fresh build writes a new physical copy and switches the state to it at the end, so
a killed build leaves the previous index searchable; an update changes the live copy in place, marked in the
state while it runs, so one killed half-way is refused to readers until `kb index build` writes a fresh copy.
"""
from __future__ import annotations

import json
import os
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, fields
from urllib.parse import urlparse

import numpy as np

from kb import errors
from kb.index.bm25 import B, K1, doc_length, doc_weights, idf, term_weights
from kb.index.store import (
    DocRecord, EncoderInfo, Filter, IndexedDocument, IndexStore, StoreStats, StoreWriter, check_vectors,
)
from kb.models import Chunk

STATE = "state"
BATCH = 500  # rows per insert; also the page size of reads
REWEIGHT_DRIFT = 0.005  # re-weigh every stored chunk when the average length moved more than this since written
_CHUNK_FIELDS = [f.name for f in fields(Chunk) if f.name != "index_text"]
_DUMMY = [0.0, 1.0]  # Milvus requires a vector field in every collection; state/docs/terms carry this one
_EMPTY = {0: 1e-9}  # a chunk without terms: Milvus stores no empty sparse vector, and no query asks for id 0
_NAME = re.compile(r"[^A-Za-z0-9_]")
_CLIENTS: dict[str, object] = {}
_CLIENTS_LOCK = threading.Lock()


def client_for(uri: str):
    """One MilvusClient per address and process (Milvus Lite allows one process per file)."""
    import logging

    from pymilvus import MilvusClient

    logging.getLogger("pymilvus").setLevel(logging.ERROR)  # Lite has no server clock: a warning per iterator
    with _CLIENTS_LOCK:
        if uri not in _CLIENTS:
            u = urlparse(uri)
            try:
                if u.netloc == "" and u.path:  # milvus:///abs/path/kb.db → Milvus Lite
                    os.makedirs(os.path.dirname(u.path), exist_ok=True)
                    _CLIENTS[uri] = MilvusClient(u.path)
                else:
                    scheme = "https" if u.scheme.endswith("+https") else "http"
                    db = u.path.strip("/") or "default"
                    _CLIENTS[uri] = MilvusClient(uri=f"{scheme}://{u.netloc}", token=os.environ.get("KB_MILVUS_TOKEN", ""),
                                                 db_name=db)
            except Exception as exc:  # connection refused, bad token, locked Lite file …
                raise errors.KBError(f"无法连接 Milvus：{uri}（{type(exc).__name__}: {exc}）",
                                     hint="请检查 KB_STORE 地址、服务是否已启动、KB_MILVUS_TOKEN；Milvus Lite 文件同一时间只能被一个进程打开，"
                                          "多进程共享请运行 milvus-lite server --data-dir 目录 并使用 milvus://主机:端口") from exc
        return _CLIENTS[uri]


def _literal(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a double-quoted string with escapes, as Milvus expressions read it


def _in(field: str, values: Iterable[str]) -> str:
    return f"{field} in [{', '.join(_literal(v) for v in sorted(values)) or _literal('')}]"


def _expr(where: Filter | None) -> str:
    parts = []
    if where is not None and where.doc_ids is not None:
        parts.append(_in("doc_id", where.doc_ids))
    if where is not None and where.status is not None:
        parts.append(f"status == {_literal(where.status)}")
    return " and ".join(parts)


class MilvusStore(IndexStore):
    def __init__(self, client, uri: str, collection: str):
        self.client, self.location, self.collection = client, uri, collection
        self.prefix = "kb_" + _NAME.sub("_", collection)
        self.meta_name = f"{self.prefix}_meta"
        self._state = self._read_state()
        self.encoder = EncoderInfo(**self._state["encoder"]) if self._state.get("encoder") else None
        self.analysis = self._state.get("analysis", "")
        self._docs: dict[str, DocRecord] | None = None
        self._terms: dict[str, tuple[int, int]] = {}  # token → (id, df), filled as queries need them
        self._lock = threading.Lock()

    @classmethod
    def connect(cls, uri: str, collection: str) -> "MilvusStore":
        return cls(client_for(uri), uri, collection)

    # --- names and state ---------------------------------------------------------------------------------------
    def names(self, physical: int | None = None) -> dict[str, str]:
        p = self._state.get("physical", 0) if physical is None else physical
        return {k: f"{self.prefix}_p{p}_{k}" for k in ("chunks", "docs", "terms")}

    def _live(self) -> dict[str, str]:
        """The live copy's collections, loaded (once per store object)."""
        if not getattr(self, "_loaded", False) and self.generation():
            for name in self.names().values():
                self.load(name)
            self._loaded = True
        return self.names()

    def _read_state(self) -> dict:
        from pymilvus import DataType

        if not self.client.has_collection(self.meta_name):
            schema = self.client.create_schema(auto_id=False, enable_dynamic_field=False)
            schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=64)
            schema.add_field("value", DataType.VARCHAR, max_length=65535)
            schema.add_field("v", DataType.FLOAT_VECTOR, dim=2)
            index = self.client.prepare_index_params()
            index.add_index("v", index_type="FLAT", metric_type="L2")
            self.client.create_collection(self.meta_name, schema=schema, index_params=index)
        self.load(self.meta_name)
        rows = self.client.get(self.meta_name, ids=[STATE], output_fields=["value"])
        return json.loads(rows[0]["value"]) if rows else {"generation": 0, "physical": 0}

    def load(self, name: str) -> str:
        """Collections are loaded before they can be read; one reopened from disk starts released."""
        from pymilvus.client.types import LoadState

        if self.client.get_load_state(name).get("state") != LoadState.Loaded:
            self.client.load_collection(name)
        return name

    def _write_state(self, state: dict) -> None:
        self.client.upsert(self.meta_name, [{"key": STATE, "value": json.dumps(state, ensure_ascii=False), "v": _DUMMY}])
        self.client.flush(self.meta_name)

    # --- reading ---------------------------------------------------------------------------------------------
    @property
    def outdated(self) -> bool:
        """An in-place write died half-way (it cannot be rolled back on Milvus): readers are refused, a build
        (which writes a fresh copy) replaces it."""
        return bool(self._state.get("interrupted"))

    @property
    def damage(self) -> str:
        return "上次增量更新中途中断" if self.outdated else ""

    def generation(self) -> int:
        return int(self._state.get("generation", 0))

    def current_generation(self) -> int:
        return int(self._read_state().get("generation", 0))

    def documents(self) -> dict[str, DocRecord]:
        with self._lock:
            if self._docs is None:
                rows = self._all(self._live()["docs"], "", ["record"]) if self.generation() else []
                recs = [DocRecord(**json.loads(r["record"])) for r in rows]
                self._docs = {r.doc_id: r for r in sorted(recs, key=lambda r: r.doc_id)}
            return dict(self._docs)

    def _all(self, name: str, expr: str, output: list[str]) -> list[dict]:
        it = self.client.query_iterator(name, batch_size=BATCH, filter=expr, output_fields=output)
        out = []
        while True:
            page = it.next()
            if not page:
                it.close()
                return out
            out += page

    def doc_chunks(self, doc_id: str) -> list[Chunk]:
        rows = self._all(self._live()["chunks"], f"doc_id == {_literal(doc_id)}", _CHUNK_FIELDS + ["pos"])
        return [_chunk(r) for r in sorted(rows, key=lambda r: r["pos"])]

    def get(self, chunk_id: str) -> Chunk | None:
        rows = self.client.get(self._live()["chunks"], ids=[chunk_id], output_fields=_CHUNK_FIELDS)
        return _chunk(rows[0]) if rows else None

    def _term_stats(self, terms: Sequence[str]) -> dict[str, tuple[int, int]]:
        missing = [t for t in set(terms) if t not in self._terms]
        if missing:
            rows = self.client.get(self._live()["terms"], ids=missing, output_fields=["tid", "df"])
            with self._lock:
                self._terms.update({r["token"]: (int(r["tid"]), int(r["df"])) for r in rows})
                self._terms.update({t: (-1, 0) for t in missing if t not in self._terms})  # unknown terms
        return {t: self._terms[t] for t in set(terms)}

    def search_sparse(self, terms, k, where=None):
        if not self.generation() or not terms:
            return []
        weights = term_weights(terms)
        stats, n = self._term_stats(list(weights)), self._state["n"]
        query: dict[int, float] = {}
        for t, w in weights.items():
            tid, df = stats[t]
            if tid >= 0:
                query[tid] = query.get(tid, 0.0) + w * idf(n, df)
        if not query:
            return []
        hits = self.client.search(self._live()["chunks"], data=[query], anns_field="sparse", limit=k,
                                  filter=_expr(where), search_params={"metric_type": "IP"}, output_fields=_CHUNK_FIELDS)
        return [(_chunk(h["entity"]), abs(float(h["distance"]))) for h in hits[0] if abs(float(h["distance"])) > 0]

    def search_dense(self, vec, k, where=None):
        if self.encoder is None:
            raise errors.NoVectors("该索引没有向量部分，无法做语义检索")
        hits = self.client.search(self._live()["chunks"], data=[np.asarray(vec, dtype=np.float32).tolist()],
                                  anns_field="dense", limit=k, filter=_expr(where),
                                  search_params={"metric_type": "COSINE"}, output_fields=_CHUNK_FIELDS)
        return [(_chunk(h["entity"]), float(h["distance"])) for h in hits[0]]

    def vectors(self, chunk_ids: Sequence[str]) -> np.ndarray:
        if self.encoder is None:
            raise errors.NoVectors()
        rows = {r["chunk_id"]: r["dense"] for r in
                self.client.get(self._live()["chunks"], ids=list(chunk_ids), output_fields=["dense"])}
        return np.array([rows[c] for c in chunk_ids], dtype=np.float32).reshape(len(chunk_ids), self.encoder.dim)

    def stored(self, doc_id: str) -> IndexedDocument:
        record = self.documents().get(doc_id)
        if record is None:
            raise errors.DocumentNotFound(doc_id)
        extra = ["pos", "terms"] + (["dense"] if self.encoder else [])
        rows = sorted(self._all(self._live()["chunks"], f"doc_id == {_literal(doc_id)}", _CHUNK_FIELDS + extra),
                      key=lambda r: r["pos"])
        vecs = np.array([r["dense"] for r in rows], dtype=np.float32) if self.encoder else None
        return IndexedDocument(record, [_chunk(r) for r in rows], [json.loads(r["terms"]) for r in rows], vecs)

    def stats(self) -> StoreStats:
        return StoreStats(self.generation(), len(self.documents()), int(self._state.get("n", 0)), self.encoder,
                          self.analysis, {"physical": self._state.get("physical", 0), "avgdl": self._state.get("avgdl", 0)})

    def writer(self, fresh, encoder, analysis):
        return MilvusWriter(self, fresh, encoder, analysis)

    def copies(self) -> list[tuple[int, str]]:
        """(physical number, collection name) of every physical copy's collections in the database."""
        out = []
        for name in self.client.list_collections():
            m = re.fullmatch(rf"{self.prefix}_p(\d+)_\w+", name)
            if m:
                out.append((int(m.group(1)), name))
        return out

    def clear_leftovers(self) -> list[str]:
        """Copies a killed build made but never switched to (numbered above the live one)."""
        removed = [name for n, name in self.copies() if n > self._state.get("physical", 0)]
        for name in removed:
            self.client.drop_collection(name)
        return removed


def _sparse(terms: list[str], tids: dict[str, int], avgdl: float) -> dict[int, float]:
    """A chunk's BM25 document-side weights as a sparse vector over term ids."""
    return {tids[t]: w for t, w in doc_weights(terms, avgdl).items() if t in tids} or _EMPTY


def _doc_rows(docs: list[IndexedDocument]) -> list[dict]:
    return [{"doc_id": d.record.doc_id, "record": json.dumps(d.record.to_json(), ensure_ascii=False), "v": _DUMMY}
            for d in docs]


def _chunk(row: dict) -> Chunk:
    return Chunk(**{k: row[k] for k in _CHUNK_FIELDS}, index_text="")


class MilvusWriter(StoreWriter):
    def __init__(self, store: MilvusStore, fresh: bool, encoder: EncoderInfo | None, analysis: str):
        self.store, self.encoder, self.analysis = store, encoder, analysis
        self.fresh = fresh or not store.generation()
        if not self.fresh and (store.encoder != encoder or store.analysis != analysis):
            raise ValueError("an in-place write must keep the store's encoder and analysis")
        self.puts: dict[str, IndexedDocument] = {}
        self.removes: set[str] = set()
        self._created: list[str] = []

    def put(self, doc: IndexedDocument) -> None:
        check_vectors(doc, self.encoder)
        self.puts[doc.record.doc_id] = doc
        self.removes.discard(doc.record.doc_id)

    def remove(self, doc_ids: Iterable[str]) -> None:
        for d in doc_ids:
            self.puts.pop(d, None)
            self.removes.add(d)

    def abort(self) -> None:
        for name in self._created:  # a fresh copy that never became live
            self.store.client.drop_collection(name)
        self.puts, self.removes = {}, set()

    def commit(self) -> int:
        try:
            return self._commit_fresh() if self.fresh else self._commit_in_place()
        except BaseException:
            self.abort()
            raise

    # --- a new physical copy ------------------------------------------------------------------------------
    def _commit_fresh(self) -> int:
        s = self.store
        s._state = s._read_state()  # writes are serialised by kb.locking; start from what is committed now
        state = dict(s._state)
        s.clear_leftovers()
        physical = int(state.get("physical", 0)) + 1
        names = s.names(physical)
        self._create(names)
        docs = list(self.puts.values())
        all_terms = [t for d in docs for t in d.terms]
        n = len(all_terms)
        total = sum(doc_length(t) for t in all_terms)
        avgdl = total / n if n else 1.0
        df = Counter(tok for t in all_terms for tok in set(t))
        tids = {tok: i for i, tok in enumerate(sorted(df), 1)}  # 0 is kept for chunks without terms
        self._insert(names["terms"], [{"token": t, "tid": tids[t], "df": c, "v": _DUMMY} for t, c in df.items()])
        self._insert(names["docs"], _doc_rows(docs))
        self._insert(names["chunks"], [row for d in docs for row in self._rows(d, tids, avgdl)])
        new = {**state, "generation": int(state.get("generation", 0)) + 1, "physical": physical,
               "encoder": asdict(self.encoder) if self.encoder else None, "analysis": self.analysis,
               "n": n, "total_len": total, "avgdl": avgdl, "vocab": len(tids), "k1": K1, "b": B, "interrupted": False}
        # from here the copy may be live (the state upsert can land although its flush fails): abort must keep it;
        # if the state never landed, the copy is a leftover the next build clears
        self._created = []
        s._write_state(new)
        for n, name in s.copies():  # copies older than the previous one are no longer read
            if n < physical - 1:
                s.client.drop_collection(name)
        return new["generation"]

    def _create(self, names: dict[str, str]) -> None:
        from pymilvus import DataType

        client = self.store.client
        for kind, name in names.items():
            if client.has_collection(name):
                client.drop_collection(name)
            schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
            index = client.prepare_index_params()
            if kind == "chunks":
                self._chunk_schema(schema, index)
            else:
                key = "doc_id" if kind == "docs" else "token"
                schema.add_field(key, DataType.VARCHAR, is_primary=True, max_length=4096)
                if kind == "docs":
                    schema.add_field("record", DataType.VARCHAR, max_length=65535)
                else:
                    schema.add_field("tid", DataType.INT64)
                    schema.add_field("df", DataType.INT64)
                schema.add_field("v", DataType.FLOAT_VECTOR, dim=2)
                index.add_index("v", index_type="FLAT", metric_type="L2")
            client.create_collection(name, schema=schema, index_params=index)
            self._created.append(name)

    def _chunk_schema(self, schema, index) -> None:
        from pymilvus import DataType

        schema.add_field("chunk_id", DataType.VARCHAR, is_primary=True, max_length=4096)
        for name in ("doc_id", "doc_title", "status", "label", "heading", "kind", "date", "article_title"):
            schema.add_field(name, DataType.VARCHAR, max_length=4096)
        schema.add_field("text", DataType.VARCHAR, max_length=65535)
        schema.add_field("terms", DataType.VARCHAR, max_length=65535)
        for name in ("article", "part", "n_parts", "suffix", "pos"):
            schema.add_field(name, DataType.INT64)
        schema.add_field("continues", DataType.BOOL)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
        if self.encoder is not None:
            schema.add_field("dense", DataType.FLOAT_VECTOR, dim=self.encoder.dim)
            # exact search on Lite (the local backend is exact too); a server may use HNSW for its scale
            lite = not urlparse(self.store.location).netloc
            index.add_index("dense", index_type="FLAT" if lite else "HNSW", metric_type="COSINE",
                            params={} if lite else {"M": 16, "efConstruction": 200})

    def _rows(self, doc: IndexedDocument, tids: dict[str, int], avgdl: float) -> list[dict]:
        rows = []
        for pos, (c, terms) in enumerate(zip(doc.chunks, doc.terms)):
            row = {k: getattr(c, k) for k in _CHUNK_FIELDS}
            row.update(pos=pos, terms=json.dumps(terms, ensure_ascii=False), sparse=_sparse(terms, tids, avgdl))
            if self.encoder is not None:
                row["dense"] = np.asarray(doc.vectors[pos], dtype=np.float32).tolist()
            rows.append(row)
        return rows

    def _insert(self, name: str, rows: list[dict]) -> None:
        client = self.store.client
        for i in range(0, len(rows), BATCH):
            client.insert(name, rows[i:i + BATCH])
        client.flush(name)  # searches before a flush are very slow on Lite

    # --- changes to the live copy ------------------------------------------------------------------------
    def _commit_in_place(self) -> int:
        s = self.store
        s._state = s._read_state()
        state, names = dict(s._state), s._live()
        # Milvus cannot undo the deletes and upserts below: mark the write first, so one that dies half-way leaves an
        # index readers refuse (with the way out: kb index build) rather than one with documents silently missing
        s._write_state({**state, "interrupted": True})
        touched = sorted(self.removes | set(self.puts))
        old = self._old_terms(names["chunks"], touched)
        df = Counter()
        for terms in old:
            df.subtract(set(terms))
        new_terms = [t for d in self.puts.values() for t in d.terms]
        for terms in new_terms:
            df.update(set(terms))
        stats = self._apply_df(names["terms"], {t: c for t, c in df.items() if c}, state)
        n = state["n"] - len(old) + len(new_terms)
        total = state["total_len"] - sum(doc_length(t) for t in old) + sum(doc_length(t) for t in new_terms)
        avgdl = total / n if n else 1.0
        if touched:
            expr = _in("doc_id", touched)
            s.client.delete(names["chunks"], filter=expr)
            s.client.delete(names["docs"], filter=expr)
        written = state["avgdl"]
        if abs(avgdl - written) > REWEIGHT_DRIFT * written:
            written = avgdl
            self._reweight(names["chunks"], stats, avgdl)
        docs = list(self.puts.values())
        self._insert(names["chunks"], [row for d in docs for row in self._rows(d, stats, written)])
        self._insert(names["docs"], _doc_rows(docs))
        state.update(generation=int(state["generation"]) + 1, n=n, total_len=total, avgdl=written, vocab=len(stats),
                     interrupted=False)
        s._write_state(state)
        return state["generation"]

    def _old_terms(self, chunks: str, doc_ids: list[str]) -> list[list[str]]:
        if not doc_ids:
            return []
        expr = _in("doc_id", doc_ids)
        return [json.loads(r["terms"]) for r in self.store._all(chunks, expr, ["terms"])]

    def _apply_df(self, terms: str, delta: dict[str, int], state: dict) -> dict[str, int]:
        """Update document frequencies (new terms get the next ids); returns every token's id."""
        client = self.store.client
        rows = {r["token"]: r for r in self.store._all(terms, "", ["token", "tid", "df"])}
        next_id = max((int(r["tid"]) for r in rows.values()), default=0) + 1
        changed = []
        for tok, d in delta.items():
            row = rows.get(tok)
            if row is None:
                row = rows[tok] = {"token": tok, "tid": next_id, "df": 0}
                next_id += 1
            row["df"] = int(row["df"]) + d
            changed.append({"token": tok, "tid": int(row["tid"]), "df": max(0, row["df"]), "v": _DUMMY})
        for i in range(0, len(changed), BATCH):
            client.upsert(terms, changed[i:i + BATCH])
        client.flush(terms)
        self.store._terms = {}
        return {t: int(r["tid"]) for t, r in rows.items()}

    def _reweight(self, chunks: str, tids: dict[str, int], avgdl: float) -> None:
        """The average chunk length moved: every stored chunk's BM25 weights are written again."""
        out = self.store._all(chunks, "", _CHUNK_FIELDS + ["pos", "terms"] + (["dense"] if self.encoder else []))
        for row in out:
            row["sparse"] = _sparse(json.loads(row["terms"]), tids, avgdl)
        for i in range(0, len(out), BATCH):
            self.store.client.upsert(chunks, out[i:i + BATCH])
        self.store.client.flush(chunks)
