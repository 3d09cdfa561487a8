import dataclasses
import shutil

import pytest

from kb import errors
from kb.corpus import Corpus
from kb.index import store as store_mod
from kb.index.store import LocalStore, build_index, collection_dir, open_store, update_default_index
from kb.retrieve import get_retriever

NEW_LAW = """# 鲲鹏数字营业执照试点办法

第一条 为推进鲲鹏数字营业执照试点，制定本办法。

第二条 试点地区的市场主体可以申领鲲鹏数字营业执照，与纸质营业执照具有同等法律效力。
"""


@pytest.fixture
def built(tmp_settings, tiny_model):
    settings = dataclasses.replace(tmp_settings, embed_model=tiny_model)
    build_index(settings, progress=False)
    return settings


def test_build_records_model_and_loads(built, tiny_model):
    store = open_store(built)
    from kb.embed import load_embedder

    assert store.model == load_embedder(built).name  # the index records which model made its vectors
    assert len(store) > 1500 and store.has_dense
    assert store.get("gpjzsc-2024#8").label == "第八条"
    with pytest.raises(errors.ModelError) as exc:
        LocalStore.load(collection_dir(built, "default"), expected_model="another-model@0000")
    assert "模型" in exc.value.message


def test_missing_index_is_reported(tmp_settings):
    with pytest.raises(errors.IndexMissing):
        get_retriever(tmp_settings)
    assert update_default_index(Corpus(tmp_settings), added=["x"]) is False


def test_added_document_findable_without_rebuild(built, tmp_path):
    src = tmp_path / "鲲鹏数字营业执照试点办法.md"
    src.write_text(NEW_LAW, encoding="utf-8")
    corpus = Corpus(built)
    before = open_store(built)
    entry, _ = corpus.add(src, title="鲲鹏数字营业执照试点办法")  # no kind given, as from the web page
    assert update_default_index(corpus, added=[entry.id], removed=[]) is True
    after = open_store(built)
    assert after.info["fresh_chunks"] == len(after.doc_chunks(entry.id)) == 2  # nothing else re-embedded
    # vectors of unchanged documents are the stored ones, not recomputed
    rows_b, rows_a = before.doc_rows("gpjzsc-2024"), after.doc_rows("gpjzsc-2024")
    assert (before.vectors_of(rows_b) == after.vectors_of(rows_a)).all()
    hits = get_retriever(built).search("鲲鹏数字营业执照", k=3)
    assert hits[0].chunk.doc_id == entry.id

    corpus.remove(entry.id)
    assert update_default_index(corpus, added=[], removed=[entry.id]) is True
    hits = get_retriever(built).search("鲲鹏数字营业执照", k=3)
    assert all(h.chunk.doc_id != entry.id for h in hits)


def test_failed_build_leaves_previous_index_usable(built, monkeypatch):
    before = get_retriever(built).search("公平竞争审查条例第八条", k=3)

    def crash(self, folder):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "chunks.jsonl").write_text("half-written", encoding="utf-8")
        raise RuntimeError("killed mid-build")

    monkeypatch.setattr(store_mod.LocalStore, "save", crash)
    with pytest.raises(RuntimeError):
        build_index(built, progress=False)
    monkeypatch.undo()
    target = collection_dir(built, "default")
    assert not any(p.name.startswith(".default.tmp") for p in target.parent.iterdir())
    after = get_retriever(built).search("公平竞争审查条例第八条", k=3)
    assert [h.chunk.chunk_id for h in after] == [h.chunk.chunk_id for h in before]


def test_crash_between_renames_is_recovered(built):
    target = collection_dir(built, "default")
    old = target.parent / ".default.old"
    target.rename(old)  # what a crash right after the first rename of commit() leaves behind
    assert open_store(built).get("gpjzsc-2024#8") is not None
    assert target.exists() and not old.exists()


def test_different_model_is_refused(built, tiny_model, tmp_path):
    import shutil

    other = shutil.copytree(tiny_model, tmp_path / "other-model")  # another model name → other vectors
    with pytest.raises(errors.ModelError):
        get_retriever(dataclasses.replace(built, embed_model=str(other)))


def test_library_import_links_versions_and_reports_failures(tmp_settings, tmp_path):
    """A small library in lawrefbook's layout made of the corpus's real files: two versions of the payment
    regulation, 行政许可法, an amendment decision numbered 一、二、 (kept, one article per point) and a law whose body
    is empty (reported, not dropped)."""
    from kb.index.library_import import import_library

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
    old = [c for c in retriever.store.chunks() if c.date == "2020-07-05"]
    assert old and all(c.status == "已被修订" for c in old)
    assert retriever.search("行政许可法第十二条", k=1, mode="bm25")[0].chunk.article == 12
