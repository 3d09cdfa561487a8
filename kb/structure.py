"""The article tree: plans (一、→（一）→ 1. → sentences) and regulations (章 → 节 → 条 → 款 → 项).

Input is text from `kb.ingest.repair` (one paragraph per line). Articles are accepted only in sequence
(n+1, or n with 之一), so a paragraph that merely starts with "第十条规定…" is not mistaken for an article.
The first article may carry any number: one book of a code (民法典 第二编 starts at 第二百零五条) is a
document of its own.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from kb import errors
from kb.models import Article, Document, Item, Paragraph, Section
from kb.numerals import LABEL_NUMERAL as _CN, cn_to_int

_REG_ARTICLE = re.compile(rf"^第([{_CN}\d]+)条(?:之([{_CN}]+))?\s*")
_CHAPTER = re.compile(rf"^#*\s*(第[{_CN}\d]+[编章])\s*(.*)$")
_SECTION = re.compile(rf"^#*\s*(第[{_CN}\d]+节)\s*(.*)$")
_ITEM = re.compile(rf"^（([{_CN}]+)）\s*")
_PLAN_ARTICLE = re.compile(r"^(\d{1,3})[.．、](?!\d)\s*")
_PLAN_PART = re.compile(r"^([一二三四五六七八九十]+)、\s*(.+)$")
_PLAN_SECTION = re.compile(r"^（([一二三四五六七八九十]+)）\s*(.+)$")
_MEASURES = ("保障措施", "组织实施", "附则")


def detect_kind(text: str) -> str:
    """"plan" when numbered "1." articles dominate, else "regulation"."""
    reg = len(re.findall(rf"^第[{_CN}\d]+条", text, re.M))
    plan = len(re.findall(r"^\d{1,3}[.．、](?!\d)", text, re.M))
    return "plan" if plan > reg else "regulation"


def _lines_with_offsets(text: str):
    pos = 0
    for line in text.split("\n"):
        yield line, pos, pos + len(line)
        pos += len(line) + 1


@dataclass
class _Builder:
    doc: Document
    heading: list[str] = field(default_factory=list)
    article: Article | None = None
    section: Section | None = None  # open non-article node collecting body text

    def close_article(self) -> None:
        if self.article is not None:
            self.article.text = "\n".join(p.text for p in self.article.paragraphs)
            self.doc.articles.append(self.article)
            self.article = None

    def open_article(self, article: Article, body: str, end: int) -> None:
        self.close_article()
        self.section = None
        self.article = article
        self.add_paragraph_or_item(body)
        article.end = end

    def open_section(self, kind, label, title, start, end, carries_text=False) -> None:
        self.close_article()
        node = Section(kind, label, title, start, end, heading_path=list(self.heading))
        self.doc.sections.append(node)
        self.section = node if carries_text else None

    def body_line(self, line: str, start: int, end: int) -> None:
        if self.article is not None:
            self.add_paragraph_or_item(line)
            self.article.end = end
        elif self.section is not None:
            self.section.text = (self.section.text + "\n" + line).strip()
            self.section.end = end
        elif not self.doc.articles:  # text before the first heading: front matter (文号, 通知, 公布信息)
            self.open_section("front_matter", "", "", start, end, carries_text=True)
            self.body_line(line, start, end)

    def add_paragraph_or_item(self, line: str) -> None:
        art = self.article
        m = _ITEM.match(line)
        if m and art.paragraphs:
            try:
                number = cn_to_int(m.group(1))
            except ValueError:
                number = 0
            if number == len(art.paragraphs[-1].items) + 1:
                art.paragraphs[-1].items.append(Item(number, f"（{m.group(1)}）", line[m.end():]))
                art.paragraphs[-1].text += "\n" + line
                return
        art.paragraphs.append(Paragraph(len(art.paragraphs) + 1, line))


def _parse_regulation(doc: Document) -> None:
    b = _Builder(doc)
    expected = 0  # 0: no article yet, any number opens the sequence
    for line, start, end in _lines_with_offsets(doc.text):
        if not line.strip():
            continue
        if line.startswith("#") and not _CHAPTER.match(line) and not _SECTION.match(line):
            if not doc.title:
                doc.title = line.lstrip("#").strip()
            continue
        if m := _CHAPTER.match(line):
            b.heading = [f"{m.group(1)} {m.group(2)}".strip()]
            b.open_section("chapter", m.group(1), m.group(2), start, end)
            continue
        if m := _SECTION.match(line):
            b.heading = b.heading[:1] + [f"{m.group(1)} {m.group(2)}".strip()]
            b.open_section("section", m.group(1), m.group(2), start, end)
            continue
        if (m := _REG_ARTICLE.match(line)) and (art := _new_reg_article(doc, m, expected, b.heading, start)):
            b.open_article(art, line[m.end():], end)
            expected = art.number + 1
            continue
        b.body_line(line, start, end)
    b.close_article()


def _new_reg_article(doc: Document, m: re.Match, expected: int, heading: list[str], start: int) -> Article | None:
    try:
        number = cn_to_int(m.group(1))
        suffix = cn_to_int(m.group(2)) if m.group(2) else 0
    except ValueError:
        return None
    if suffix and number != expected - 1:
        return None
    if not suffix and number != expected and expected:
        return None
    label = f"第{m.group(1)}条" + (f"之{m.group(2)}" if m.group(2) else "")
    return Article(doc.doc_id, number, label, "", list(heading), start=start, end=start, suffix=suffix)


def _parse_plan(doc: Document) -> None:
    b = _Builder(doc)
    expected = 1
    part = ""
    for line, start, end in _lines_with_offsets(doc.text):
        if not line.strip():
            continue
        if m := _PLAN_PART.match(line):
            part = line
            b.heading = [line]
            kind = "measures" if any(w in m.group(2) for w in _MEASURES) else "part"
            b.open_section(kind, f"{m.group(1)}、", m.group(2), start, end)
            continue
        if (m := _PLAN_SECTION.match(line)) and part:
            b.heading = [part, line]
            kind = "measures" if any(w in part for w in _MEASURES) else "section"
            b.open_section(kind, f"（{m.group(1)}）", m.group(2), start, end, carries_text=True)
            continue
        if (m := _PLAN_ARTICLE.match(line)) and int(m.group(1)) == expected:
            body = line[m.end():]
            title = body.split("。", 1)[0]
            b.open_article(Article(doc.doc_id, expected, f"{expected}.", "", list(b.heading), title=title, start=start),
                           body, end)
            expected += 1
            continue
        b.body_line(line, start, end)
    b.close_article()


def _parse_numbered(doc: Document) -> None:
    """Notices, decisions and amendments numbered 一、二、… without 第X条: each top-level point is an article."""
    b = _Builder(doc)
    expected = 1
    for line, start, end in _lines_with_offsets(doc.text):
        if not line.strip():
            continue
        point = line.lstrip("#").strip()  # the library writes some points as "## 一、…" headings
        if (m := _PLAN_PART.match(point)) and cn_to_int(m.group(1)) == expected:
            body = point[m.end(1) + 1:].strip()
            title = re.split(r"[。：:]", body, maxsplit=1)[0]
            b.open_article(Article(doc.doc_id, expected, f"{m.group(1)}、", "", list(b.heading), title=title, start=start),
                           body, end)
            expected += 1
            continue
        if line.startswith("#") and not b.article:
            doc.title = doc.title or point
            continue
        b.body_line(line, start, end)
    b.close_article()


def parse_text(text: str, title: str = "", doc_id: str = "", kind: str = "", source: str = "") -> Document:
    """Build the Document tree from repaired text; NoStructure when no article can be found."""
    doc = Document(doc_id=doc_id, title=title, kind=kind, text=text, source=source)
    if detect_kind(text) == "plan":
        doc.kind = doc.kind or "规划"
        _parse_plan(doc)
    else:
        _parse_regulation(doc)
    if not doc.articles:  # no 第X条 and no "1.": a notice or decision numbered 一、二、
        doc = Document(doc_id=doc_id, title=title, kind=kind, text=text, source=source)
        _parse_numbered(doc)
    if not doc.articles:
        raise errors.NoStructure(title or source or "输入文本")
    if not doc.title:
        doc.title = title or Path(source).stem
    return doc


def parse_file(path: str | Path, title: str = "", doc_id: str = "", kind: str = "", max_bytes: int | None = None) -> Document:
    from kb.ingest import read_text

    text = read_text(path, max_bytes=max_bytes)
    return parse_text(text, title=title or title_from_filename(Path(path)), doc_id=doc_id, kind=kind, source=str(path))


def title_from_filename(path: Path) -> str:
    """"优化营商环境条例(2019-10-22).md" → "优化营商环境条例"."""
    return re.sub(r"[（(]\d{4}-\d{2}-\d{2}[)）]$", "", path.stem).strip()
