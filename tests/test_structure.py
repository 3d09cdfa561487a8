"""The article tree of the plan (from three formats) and of every regulation in the corpus."""
from __future__ import annotations

import re

import pytest

from conftest import CORPUS, FAIR_COMPETITION, PLAN_DOCX, PLAN_PDF, PLAN_TXT
from kb import errors
from kb.numerals import cn_to_int
from kb.structure import parse_file, parse_text

REGULATIONS = sorted((CORPUS / "regulations").glob("*.md"))


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def plans():
    return {p.suffix: parse_file(p) for p in (PLAN_TXT, PLAN_PDF, PLAN_DOCX)}


@pytest.mark.parametrize("suffix", [".txt", ".pdf", ".docx"])
def test_plan_has_60_articles_in_order(plans, suffix):
    doc = plans[suffix]
    assert [a.number for a in doc.articles] == list(range(1, 61))
    assert doc.kind == "规划"


@pytest.mark.parametrize("suffix", [".pdf", ".docx"])
def test_plan_article_texts_equal_the_txt(plans, suffix):
    for a, b in zip(plans[".txt"].articles, plans[suffix].articles, strict=True):
        assert _squash(a.text) == _squash(b.text), f"article {a.number} differs"


def test_pdf_articles_hold_repaired_text(plans):
    pdf = plans[".pdf"]
    assert "水、电、气、网过户与不动产登记同步办理" in pdf.article(25).text
    assert "不超过3天" in pdf.article(24).text and "不超过20天" in pdf.article(24).text


def test_plan_tree_nodes(plans):
    doc = plans[".txt"]
    art = doc.article(22)
    assert art.label == "22." and art.title.startswith("推行企业开办")
    assert art.heading_path[0] == "二、重点改革任务" and art.heading_path[1].startswith("（五）")
    assert doc.text[art.start:art.end].startswith("22.")
    kinds = {s.kind for s in doc.sections}
    assert {"front_matter", "part", "section", "measures"} <= kinds
    front = next(s for s in doc.sections if s.kind == "front_matter")
    assert "永政发〔2022〕8号" in front.text
    measures = [s.title for s in doc.sections if s.kind == "measures"]
    assert "加大财政支持。" in measures
    assert len(art.sentences()) >= 2


@pytest.mark.parametrize("path", REGULATIONS, ids=lambda p: p.stem)
def test_regulation_articles_are_complete(path):
    doc = parse_file(path)
    raw = path.read_text(encoding="utf-8")
    highest = max(cn_to_int(n) for n in re.findall(r"^第([〇零一二两三四五六七八九十百千]+)条", raw, re.M))
    assert [a.number for a in doc.articles] == list(range(1, highest + 1))
    chapters = [s for s in doc.sections if s.kind == "chapter"]
    if chapters:  # every article after the first chapter heading records its chapter
        after = [a for a in doc.articles if a.start > chapters[0].start]
        assert after and all("章" in a.heading_path[0] for a in after)
    for a in doc.articles:
        assert doc.text[a.start:a.end].startswith(a.label)
        assert a.text and a.label in ("第" + re.match(r"第(.+?)条", a.label).group(1) + "条",)


def test_items_attach_to_their_article():
    doc = parse_file(FAIR_COMPETITION)
    assert len(doc.articles) == 27
    art8 = doc.article(8)
    assert [i.number for i in art8.items] == [1, 2, 3, 4, 5]
    assert art8.items[2].text.startswith("限定经营、购买或者使用特定经营者")
    assert art8.heading_path == ["第二章 审查标准"]
    assert len(doc.article(9).items) == 6 and len(doc.article(12).items) == 4


def test_article_zhiyi_and_out_of_sequence_references():
    text = (
        "# 测试条例\n第一条 总则。\n第二条 第三条规定的事项除外。\n第二条之一 新增条文：\n（一）甲；\n（二）乙。\n"
        "第三条 附则。\n第十条规定的期限不适用。\n"
    )
    doc = parse_text(text)
    assert [(a.number, a.suffix) for a in doc.articles] == [(1, 0), (2, 0), (2, 1), (3, 0)]
    assert doc.article(2, 1).label == "第二条之一" and len(doc.article(2, 1).items) == 2
    assert "第十条规定的期限不适用" in doc.article(3).text


def test_a_book_of_a_code_may_start_at_any_article():
    # 民法典 is split into books in the law library: 第二编 starts at 第二百零五条. Cut the real 条例 at art. 8.
    full = parse_file(FAIR_COMPETITION)
    text = full.text
    cut = "# 公平竞争审查条例（节选）\n" + text[text.index("\n第八条") + 1:]
    doc = parse_text(cut)
    assert [a.number for a in doc.articles] == list(range(8, 28))
    assert _squash(doc.article(8).text) == _squash(full.article(8).text)
    assert len(doc.article(8).items) == 5


# A real decision from the law library: points 一、二、三、 (the first written as a "##" heading), no 第X条.
DECISION = """# 北京市人民代表大会常务委员会关于北京市耕地占用税适用税额的决定

2019年7月26日 北京市第十五届人民代表大会常务委员会第十四次会议通过

根据《中华人民共和国耕地占用税法》第四条第二款、第五条、第十二条第二款的授权，北京市第十五届人民代表大会常务委员会第十四次会议对北京市耕地占用税适用税额决定如下：

## 一、北京市各区耕地占用税的适用税额

朝阳区、海淀区、丰台区、石景山区、通州区为每平方米四十五元；延庆区为每平方米三十五元。

二、北京市人均耕地低于零点五亩的区，不提高耕地占用税的适用税额。

三、北京市对占用园地、林地、草地建设建筑物、构筑物的，依照占用地所在区耕地占用税适用税额缴纳耕地占用税。

本决定自2019年9月1日起施行。
"""


def test_numbered_decision_without_articles():
    doc = parse_text(DECISION)
    assert doc.title.startswith("北京市人民代表大会常务委员会关于")
    assert [(a.number, a.label) for a in doc.articles] == [(1, "一、"), (2, "二、"), (3, "三、")]
    assert "每平方米四十五元" in doc.article(1).text
    assert "第四条第二款" not in " ".join(a.text for a in doc.articles)  # the preamble is front matter
    assert doc.sections[0].kind == "front_matter"


def test_text_without_articles_is_refused():
    with pytest.raises(errors.NoStructure):
        parse_text("这是一段没有任何条文编号的普通文字。\n第二段也没有。\n")
