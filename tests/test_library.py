"""kb.library: the law library read straight from a .tar.xz or a folder."""
from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from kb import errors
from kb.library import iter_library, law_documents, law_from_file, library_hash, parse_law

from conftest import FAIR_COMPETITION


@pytest.fixture
def library_dir(tmp_path):
    root = tmp_path / "lib"
    (root / "行政法规").mkdir(parents=True)
    (root / "DLC" / "广东").mkdir(parents=True)
    (root / "行政法规" / FAIR_COMPETITION.name).write_text(FAIR_COMPETITION.read_text(encoding="utf-8"), encoding="utf-8")
    (root / "DLC" / "广东" / "某条例.md").write_text("# 某条例\n\n第一条 为了测试，制定本条例。\n", encoding="utf-8")
    return root


def test_folder(library_dir):
    laws = list(iter_library(library_dir))
    assert [law.title for law in laws] == ["某条例", "公平竞争审查条例"]
    fair = laws[1]
    assert (fair.date, fair.category, fair.path) == ("2024-06-06", "行政法规", f"行政法规/{FAIR_COMPETITION.name}")
    assert parse_law(fair).articles[0].label == "第一条"
    assert laws[0].category == "DLC" and laws[0].date == ""


def test_tar_xz_matches_folder(library_dir, tmp_path):
    archive = tmp_path / "lib.tar.xz"
    with tarfile.open(archive, "w:xz") as tar:
        tar.add(library_dir, arcname=".")
    from_tar = {law.path: law for law in iter_library(archive)}
    from_dir = {law.path: law for law in iter_library(library_dir)}
    assert from_tar == from_dir
    assert len(library_hash(archive)) == 64 and library_hash(library_dir) != library_hash(archive)


def test_missing_and_corrupt(tmp_path):
    with pytest.raises(errors.FileNotFound):
        list(iter_library(tmp_path / "nope.tar.xz"))
    bad = tmp_path / "bad.tar.xz"
    bad.write_bytes(b"\xfd7zXZ\x00garbage")
    with pytest.raises(errors.CorruptFile):
        list(iter_library(bad))


def test_law_without_numbering_is_kept_whole():
    # 刑法修正案（十） changes one article, so it has neither 第X条 nor 一、 of its own.
    text = ("# 中华人民共和国刑法修正案（十）\n\n2017年11月4日 第十二届全国人民代表大会常务委员会第三十次会议通过\n\n"
            "<!-- INFO END -->\n\n为了惩治侮辱国歌的犯罪行为，在刑法第二百九十九条中增加一款作为第二款，将该条修改为:\n\n"
            "“在公共场合，故意篡改中华人民共和国国歌歌词、曲谱，以歪曲、贬损方式奏唱国歌，情节严重的，依照前款的规定处罚。”\n\n"
            "本修正案自公布之日起施行。")
    doc = parse_law(law_from_file("刑法/刑法修正案（十）.md", text))
    assert [(a.number, a.label) for a in doc.articles] == [(1, "全文")]
    assert len(doc.articles[0].paragraphs) == 3 and "国歌歌词" in doc.articles[0].text
    assert "INFO END" not in doc.articles[0].text and "2017年11月4日" not in doc.articles[0].text
    with pytest.raises(errors.EmptyDocument):
        parse_law(law_from_file("DLC/某条例(2022-05-30).md", "# 某条例\n\n2022年5月30日 通过\n\n<!-- INFO END -->\n"))


ARCHIVE = Path(__file__).resolve().parent.parent / "data" / "lawrefbook-md.tar.xz"


@pytest.fixture(scope="module")
def library_documents():
    return law_documents(ARCHIVE)


def test_the_civil_code_is_one_law_with_continuous_articles(library_documents):
    docs, failed = library_documents
    code = [d for d in docs if d.title == "民法典"]
    assert len(code) == 1 and not any(d.title.endswith("编") for d in docs)  # no "民法典合同编" documents
    numbers = [a.number for a in code[0].articles]
    assert numbers == list(range(1, 1261))  # 总则 to 附则, in order, nothing lost or doubled
    art = code[0].article(577)
    assert art.heading_path[0] == "合同编" and "违约责任" in art.heading and art.label == "第五百七十七条"
    assert code[0].text[art.start:art.end].startswith("第五百七十七条")  # offsets point into the merged text
    assert len(failed) == 4 and all("没有可读取的文字" in f["reason"] for f in failed)


def test_every_library_law_is_read_once_with_its_level_and_versions(library_documents):
    docs, _ = library_documents
    assert len(docs) == 3464 and len({d.doc_id for d in docs}) == len(docs)
    by_title = {}
    for d in docs:
        by_title.setdefault(d.title, []).append(d)
    for versions in by_title.values():  # exactly one current version per law, the newest
        current = [d for d in versions if d.status == "现行有效"]
        assert len(current) == 1 and current[0].date == max(d.date for d in versions)
    assert {d.kind for d in docs} >= {"法律", "行政法规", "司法解释", "地方性法规", "案例"}


def test_exact_lookup_of_a_civil_code_article(tmp_settings, tmp_path):
    """《民法典》第一千零一条 is found by its number, cited as 民法典 with its 编 in the heading."""
    import tarfile

    from kb.index.build import import_library
    from kb.retrieve import get_retriever

    lib = tmp_path / "lib"
    with tarfile.open(ARCHIVE) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith("./民法典/") and m.isfile()]
        tar.extractall(lib, members=members, filter="data")
    report = import_library(lib, tmp_settings, progress=False)
    assert report["laws"] == 1 and report["chunks"] >= 1260
    hit = get_retriever(tmp_settings, collection="library").search("民法典第一千零一条", k=1, mode="bm25")[0]
    c = hit.chunk
    assert (c.doc_title, c.article, c.label) == ("民法典", 1001, "第一千零一条") and c.heading.startswith("人格权编")
