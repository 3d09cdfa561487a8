"""Index building and updating on the local backend (the backend contract suite is tests/test_store_contract.py)."""
import dataclasses
import shutil

import numpy as np
import pytest

from kb import errors
from kb.corpus import Corpus
from kb.index import local as local_mod
from kb.index.build import build_index, import_library, update_index
from kb.index.store import connect, open_store
from kb.retrieve import get_retriever

from conftest import NEW_LAW



@pytest.fixture
def built(tmp_settings, tiny_model):
    settings = dataclasses.replace(tmp_settings, embed_model=tiny_model)
    build_index(settings, progress=False)
    return settings


def test_build_records_encoder_and_loads(built, tiny_model):
    from kb.embed import load_encoder

    store = open_store(built)
    enc = load_encoder(tiny_model, built)
    assert (store.encoder.name, store.encoder.dim) == (enc.name, enc.dim)  # which model made the vectors
    assert store.stats().chunks > 1500 and store.has_dense and store.generation() == 1
    assert store.get("gpjzsc-2024#8").label == "第八条"


def test_missing_index_is_reported(tmp_settings):
    with pytest.raises(errors.IndexMissing) as exc:
        get_retriever(tmp_settings)
    assert "kb index build" in exc.value.hint
    assert not update_index(tmp_settings)


def test_added_document_findable_without_rebuild(built, tmp_path):
    src = tmp_path / "鲲鹏数字营业执照试点办法.md"
    src.write_text(NEW_LAW, encoding="utf-8")
    corpus = Corpus(built)
    before = open_store(built)
    entry, _ = corpus.add(src, title="鲲鹏数字营业执照试点办法")  # no kind given, as from the web page
    summary = update_index(built)
    assert summary["fresh_chunks"] == 2 and summary["reused_chunks"] > 1500  # only the new document is embedded
    after = open_store(built)
    assert after.generation() == before.generation() + 1
    ids = [c.chunk_id for c in before.doc_chunks("gpjzsc-2024")]
    assert np.array_equal(before.vectors(ids), after.vectors(ids))  # unchanged vectors are the stored ones
    hits = get_retriever(built).search("鲲鹏数字营业执照", k=3)
    assert hits[0].chunk.doc_id == entry.id

    corpus.remove(entry.id)
    assert update_index(built)["fresh_chunks"] == 0
    hits = get_retriever(built).search("鲲鹏数字营业执照", k=3)
    assert all(h.chunk.doc_id != entry.id for h in hits)


def test_hand_edited_corpus_file_reaches_the_index(built):
    """An edited article is re-indexed (and only that document) by the next update."""
    path = built.corpus_dir / "regulations" / "电子签名法(2019-04-23).md"
    path.write_text(path.read_text(encoding="utf-8").replace("第一条", "第一条 鲲鹏条款。", 1), encoding="utf-8")
    summary = update_index(built)
    assert 0 < summary["fresh_chunks"] < 100
    assert "鲲鹏条款" in get_retriever(built).search("电子签名法第一条", k=1)[0].chunk.text


def test_failed_build_leaves_previous_index_usable(built, monkeypatch):
    before = get_retriever(built).search("公平竞争审查条例第八条", k=3)

    def crash(self, snap, gen):
        snap.mkdir(parents=True)
        (snap / "chunks.jsonl").write_text("half-written", encoding="utf-8")
        raise RuntimeError("killed mid-build")

    monkeypatch.setattr(local_mod.LocalWriter, "_save", crash)
    with pytest.raises(RuntimeError):
        build_index(built, progress=False)
    monkeypatch.undo()
    folder = built.index_dir / "default"
    assert not any(p.name.startswith(".g") for p in folder.iterdir())
    after = get_retriever(built).search("公平竞争审查条例第八条", k=3)
    assert [h.chunk.chunk_id for h in after] == [h.chunk.chunk_id for h in before]


def test_leftovers_of_a_killed_build_are_removed_by_the_next_one(built):
    """A build killed mid-write leaves a temporary folder; one killed between its two renames leaves a
    generation folder CURRENT does not name. Readers keep reading CURRENT; the next build clears both."""
    folder = built.index_dir / "default"
    dead = folder / ".g9.tmp-999999"  # no such process
    shutil.copytree(folder / "g1", dead)
    shutil.copytree(folder / "g1", folder / "g2")
    assert open_store(built).generation() == 1
    build_index(built, progress=False)
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["CURRENT", "g1", "g2"]  # the new generation, and the one before it for open readers
    assert open_store(built).generation() == 2


def test_different_model_is_refused(built, tiny_model, tmp_path):
    other = shutil.copytree(tiny_model, tmp_path / "other-model")  # another model name → other vectors
    with pytest.raises(errors.ModelError) as exc:
        get_retriever(dataclasses.replace(built, embed_model=str(other)))
    assert "不能混用" in exc.value.message


def test_index_of_the_previous_format_asks_for_a_rebuild(tmp_settings):
    folder = tmp_settings.index_dir / "default"
    folder.mkdir(parents=True)
    (folder / "meta.json").write_text('{"format": 1}', encoding="utf-8")
    with pytest.raises(errors.IndexOutdated) as exc:
        open_store(tmp_settings)
    assert "kb index build" in exc.value.hint
    assert connect(tmp_settings).generation() == 0  # a build may still write over it


@pytest.mark.parametrize("damage", ['{"format": 1}', "{broken", ""])
def test_a_damaged_or_outdated_generation_is_refused_to_readers_and_rebuilt_by_a_build(built, damage):
    """What its hint says must work: `kb index build` over a generation that cannot be read."""
    folder = built.index_dir / "default"
    meta = folder / f"g{(folder / 'CURRENT').read_text().strip()}" / "meta.json"
    meta.write_text(damage, encoding="utf-8")
    with pytest.raises(errors.IndexOutdated) as exc:
        open_store(built)
    assert "需要重建" in exc.value.message and "kb index build" in exc.value.hint
    assert ("已损坏" in exc.value.message) == (damage != '{"format": 1}')
    update_index(built)  # the next add or remove rewrites it whole (as kb index build does), vectors included
    assert open_store(built).has_dense and get_retriever(built).search("企业开办", k=1, mode="dense")


def test_library_import_links_versions_and_reports_failures(tmp_settings, tmp_path):
    """A small library in lawrefbook's layout made of the corpus's real files: two versions of the payment
    regulation, 行政许可法, an amendment decision numbered 一、二、 (kept, one article per point) and a law whose body
    is empty (reported, not dropped)."""
    regs = tmp_settings.corpus_dir / "regulations"
    lib = tmp_path / "lib"
    (lib / "行政法规").mkdir(parents=True)
    (lib / "行政法").mkdir()
    for name in ("保障中小企业款项支付条例(2020-07-05).md", "保障中小企业款项支付条例(2025-03-17).md"):
        shutil.copy(regs / name, lib / "行政法规" / name)
    shutil.copy(regs / "行政许可法(2019-04-23).md", lib / "行政法" / "行政许可法(2019-04-23).md")
    (lib / "行政法" / "某法修正案.md").write_text(
        "# 某法修正案\n\n一、将第十条修改为：“……”\n\n二、本修正案自公布之日起施行。\n", encoding="utf-8")
    (lib / "行政法" / "某条例(2022-05-30).md").write_text("# 某条例\n\n<!-- INFO END -->\n", encoding="utf-8")
    report = import_library(lib, tmp_settings, progress=False)
    assert report["laws"] == 4 and report["superseded"] == 1
    assert [f["title"] for f in report["failed"]] == ["某条例"] and "没有可读取的文字" in report["failed"][0]["reason"]
    retriever = get_retriever(tmp_settings, collection="library")
    top = retriever.search("款项支付条例第十条", k=3, mode="bm25")[0].chunk
    assert (top.doc_title, top.date, top.status, top.kind) == ("保障中小企业款项支付条例", "2025-03-17", "现行有效", "行政法规")
    old = [r for r in retriever.store.documents().values() if r.date == "2020-07-05"]
    assert len(old) == 1 and old[0].status == "已被修订" and old[0].superseded_by.endswith("(2025-03-17).md")
    assert retriever.search("行政许可法第十二条", k=1, mode="bm25")[0].chunk.article == 12
