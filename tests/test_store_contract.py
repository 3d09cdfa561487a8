"""The storage contract: the same tests for every backend (local files; Milvus Lite, installed by .ci/run).

Real corpus documents, the product's encoder (e5, vectors from the repo's cache) and the product's retrieval on
top; what differs between backends is only where chunks, terms and vectors live.
"""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from kb import errors
from kb.config import get_settings
from kb.corpus import Corpus
from kb.index import build as build_mod
from kb.index.build import build_index, migrate, update_index
from kb.index.store import Filter, open_store
from kb.models import CURRENT, SUPERSEDED
from kb.retrieve import get_retriever

from conftest import NEW_LAW, ROOT, SHARED_CACHE, corpus_copy

BACKENDS = ["local", "milvus"]
SMALL = ("gpjzsc-2024", "kxzf-2025", "kxzf-2020", "yj-plan-2022", "xzxkf-2019")  # a corpus small enough to rebuild often


def _settings(root, backend: str):
    store = "local" if backend == "local" else f"milvus://{root / 'milvus' / 'kb.db'}"
    return dataclasses.replace(get_settings(root), embed_model="e5", cache_root=SHARED_CACHE, store=store)


@pytest.fixture(params=BACKENDS)
def small(request, tmp_path):
    """A small corpus built on one backend (function scope: tests may write)."""
    settings = _settings(corpus_copy(tmp_path, SMALL), request.param)
    build_index(settings, progress=False)
    return settings


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """The whole default corpus built on every backend, for parity (read-only)."""
    out = {}
    for backend in BACKENDS:
        settings = _settings(corpus_copy(tmp_path_factory.mktemp(f"full-{backend}")), backend)
        build_index(settings, progress=False)
        out[backend] = settings
    return out


def test_build_adds_every_document_with_its_records(small):
    store = open_store(small)
    docs = store.documents()
    assert set(docs) == set(SMALL) and store.generation() == 1
    assert docs["kxzf-2020"].status == SUPERSEDED and docs["kxzf-2020"].superseded_by == "kxzf-2025"
    chunks = store.doc_chunks("gpjzsc-2024")
    assert [c.article for c in chunks if c.article][:3] == [1, 2, 3]
    assert store.get("gpjzsc-2024#8").label == "第八条"  # exact article lookup by id
    assert store.stats().chunks == sum(len(store.doc_chunks(d)) for d in docs)


def test_replace_and_remove_documents(small):
    store = open_store(small)
    doc = store.stored("xzxkf-2019")
    changed = dataclasses.replace(doc.chunks[0], text="鲲鹏替换条文")
    with store.writer(False, store.encoder, store.analysis) as w:
        w.put(dataclasses.replace(doc, chunks=[changed], terms=[["鲲鹏", "替换"]], vectors=doc.vectors[:1]))
        w.remove(["gpjzsc-2024"])
    after = open_store(small)
    assert after.generation() == store.generation() + 1
    assert [c.text for c in after.doc_chunks("xzxkf-2019")] == ["鲲鹏替换条文"]  # replaced, nothing of the old left
    assert "gpjzsc-2024" not in after.documents() and after.doc_chunks("gpjzsc-2024") == []
    assert [c.doc_id for c, _ in after.search_sparse(["鲲鹏"], 5)] == ["xzxkf-2019"]
    assert all(c.doc_id != "gpjzsc-2024" for c, _ in after.search_sparse(["公平竞争审查"], 20))


def test_filters_by_document_and_status(small):
    store = open_store(small)
    terms = ["款项", "支付"]
    only = store.search_sparse(terms, 10, Filter.of(doc_ids=["kxzf-2020"]))
    assert only and {c.doc_id for c, _ in only} == {"kxzf-2020"}
    current = store.search_sparse(terms, 30, Filter.of(status=CURRENT))
    assert current and all(c.status == CURRENT for c, _ in current)
    vec = store.vectors([only[0][0].chunk_id])[0]
    dense = store.search_dense(vec, 5, Filter.of(doc_ids=["kxzf-2025"], status=CURRENT))
    assert dense and {c.doc_id for c, _ in dense} == {"kxzf-2025"}


def test_superseded_version_ranks_below_current_and_synonyms_reach_statute_words(small):
    retriever = get_retriever(small)
    hits = retriever.search("欠中小企业的钱最晚多久要付", k=10)
    docs = [h.chunk.doc_id for h in hits]
    assert "kxzf-2025" in docs and ("kxzf-2020" not in docs or docs.index("kxzf-2025") < docs.index("kxzf-2020"))
    top = retriever.search("开公司要几天", k=3, mode="bm25")  # 开公司 → 企业开办 (synonyms.tsv)
    assert any(h.chunk.doc_id == "yj-plan-2022" and h.chunk.article == 22 for h in top)


def test_incremental_update_without_rebuild(small, tmp_path):
    src = tmp_path / "鲲鹏数字营业执照试点办法.md"
    src.write_text(NEW_LAW, encoding="utf-8")
    corpus = Corpus(small)
    entry, _ = corpus.add(src, title="鲲鹏数字营业执照试点办法")
    before = open_store(small)
    ids = [c.chunk_id for c in before.doc_chunks("gpjzsc-2024")]
    summary = update_index(small)
    assert summary["fresh_chunks"] == 2 and summary["reused_chunks"] == before.stats().chunks
    after = open_store(small)
    assert np.array_equal(before.vectors(ids), after.vectors(ids))
    assert get_retriever(small).search("鲲鹏数字营业执照", k=3)[0].chunk.doc_id == entry.id
    corpus.remove(entry.id)
    update_index(small)
    assert all(h.chunk.doc_id != entry.id for h in get_retriever(small).search("鲲鹏数字营业执照", k=3))


def test_killed_build_leaves_the_previous_index_usable(small, monkeypatch):
    before = [h.chunk.chunk_id for h in get_retriever(small).search("公平竞争审查的标准", k=5)]

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("killed mid-build")

    monkeypatch.setattr(build_mod, "prepare", killed)  # dies while the new documents are being prepared
    with pytest.raises(KeyboardInterrupt):
        build_index(small, progress=False)
    monkeypatch.undo()
    store = open_store(small)
    broken = store.stored("kxzf-2025")
    broken = dataclasses.replace(broken, vectors=np.zeros((len(broken.chunks), 7), dtype=np.float32))
    with pytest.raises(Exception):  # dies half-way through writing the new copy (a vector of the wrong size)
        with store.writer(True, store.encoder, store.analysis) as w:
            for d in store.documents():
                w.put(store.stored(d))
            w.put(broken)
    after = [h.chunk.chunk_id for h in get_retriever(small).search("公平竞争审查的标准", k=5)]
    assert after == before and open_store(small).generation() == 1
    build_index(small, progress=False)  # and the next build is not hindered by what was left behind
    assert open_store(small).generation() == 2


def test_a_milvus_update_killed_half_way_is_refused_until_a_rebuild(tmp_path, monkeypatch):
    """Milvus cannot roll back an in-place update: one that dies after its deletes must not leave an index that
    silently lacks documents — readers are told to rebuild, and the rebuild works."""
    from kb.index import milvus as milvus_mod

    settings = _settings(corpus_copy(tmp_path, SMALL), "milvus")
    build_index(settings, progress=False)
    store = open_store(settings)
    doc = store.stored("kxzf-2025")

    def killed(self, name, rows):
        raise KeyboardInterrupt("killed mid-update")

    monkeypatch.setattr(milvus_mod.MilvusWriter, "_insert", killed)  # after the old chunks were deleted
    with pytest.raises(KeyboardInterrupt):
        with store.writer(False, store.encoder, store.analysis) as w:
            w.put(doc)
    monkeypatch.undo()
    store.close()
    with pytest.raises(errors.IndexOutdated) as exc:
        open_store(settings)
    assert "中断" in exc.value.message and "kb index build" in exc.value.hint
    update_index(settings)  # the next add/remove (or kb index build) writes a fresh copy instead of patching
    hits = get_retriever(settings).search("机关事业单位付款期限", k=5)
    assert any(h.chunk.doc_id == "kxzf-2025" for h in hits)


def test_migrate_copies_without_re_embedding_and_a_killed_migrate_changes_nothing(small, tmp_path, monkeypatch):
    target = "local" if small.store != "local" else f"milvus://{tmp_path / 'm2' / 'kb.db'}"
    moved = migrate(small, target, ["default"], progress=False)
    assert moved[0]["documents"] == len(SMALL)
    other = dataclasses.replace(small, store=target)
    src, dst = open_store(small), open_store(other)
    assert dst.documents().keys() == src.documents().keys() and dst.encoder == src.encoder
    ids = [c.chunk_id for c in src.doc_chunks("yj-plan-2022")]
    assert np.array_equal(src.vectors(ids), dst.vectors(ids))
    assert src.stored("kxzf-2025").terms == dst.stored("kxzf-2025").terms  # nothing re-segmented

    def killed(self, doc_id):
        raise KeyboardInterrupt

    monkeypatch.setattr(type(src), "stored", killed)
    with pytest.raises(KeyboardInterrupt):
        migrate(small, target, ["default"], progress=False)
    monkeypatch.undo()
    assert open_store(other).generation() == dst.generation()


def test_missing_index_on_a_backend_says_how_to_build(tmp_path):
    for backend in BACKENDS:
        settings = _settings(corpus_copy(tmp_path / backend, SMALL), backend)
        with pytest.raises(errors.IndexMissing) as exc:
            open_store(settings)
        assert "kb index build" in exc.value.hint


def _queries():
    rows = [json.loads(x) for x in (ROOT / "eval" / "retrieval.jsonl").read_text(encoding="utf-8").splitlines() if x]
    return rows


def test_milvus_ranks_like_local_over_the_retrieval_eval_set(full):
    """Top-10 parity over every question of eval/retrieval.jsonl: average overlap ≥ 9.5/10, hit@k equal ±0.01."""
    local, milvus = get_retriever(full["local"]), get_retriever(full["milvus"])
    overlaps, hits = [], {"local": [0, 0, 0], "milvus": [0, 0, 0]}
    for row in _queries():
        gold = {(g["doc_id"], g["article"]) for g in row["gold"]}
        tops = {}
        for name, r in (("local", local), ("milvus", milvus)):
            found = [(h.chunk.doc_id, h.chunk.article) for h in r.search(row["query"], k=10)]
            tops[name] = [h.chunk.chunk_id for h in r.search(row["query"], k=10)]
            rank = next((i for i, key in enumerate(found, 1) if key in gold), None)
            for j, k in enumerate((1, 5, 10)):
                hits[name][j] += bool(rank and rank <= k)
        overlaps.append(len(set(tops["local"]) & set(tops["milvus"])))
    n = len(overlaps)
    assert sum(overlaps) / n >= 9.5
    for j in range(3):
        assert abs(hits["local"][j] - hits["milvus"][j]) / n <= 0.01
