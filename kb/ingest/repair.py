"""Text repair: from raw lines (per page) to clean paragraphs, one per line.

PDF extraction breaks paragraphs at every visual line and page, spaces digits ("3 天"), keeps page numbers
and running headers; exported text carries stray list markers ("- 2.") and half-width punctuation. Everything
downstream (structure, chunking, search, quotes) reads the output of `repair`, so all formats converge here.
"""
from __future__ import annotations

import re
from collections import Counter

from kb.numerals import LABEL_NUMERAL as _CN

_CJK = r"\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’—…·"
_TERMINAL = "。：；！？"
_SENTENCE_PUNCT = "，。、；：！？"
_MARKER = re.compile(
    rf"^(?:第[{_CN}\d]+[编章节条]|[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）"
    r"|\d{1,3}[.．、](?!\d)|——|#)"
)
_STRONG_MARKER = re.compile(rf"^(?:第[{_CN}\d]+[编章节条]|#)")
_PAGE_NUMBER = re.compile(r"^(?:[-—–~·\s]*\d{1,4}[-—–~·\s]*|第\s*\d+\s*页(?:\s*[/，,]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+)$")
_LIST_ARTIFACT = re.compile(r"^\s*[-*•]\s+(?=\S)")
_SPACE_NEAR_CJK = re.compile(rf"(?<=[{_CJK}])[ \t\u00a0\u3000]+|[ \t\u00a0\u3000]+(?=[{_CJK}])")
_SPACE_IN_NUMBER_UNIT = re.compile(r"(?<=\d)[ \t]+(?=[%％])")
_HTML_COMMENT = re.compile(r"<!--.*?-->")
_LABEL_GAP = re.compile(rf"^(第[{_CN}\d]+[编章节条](?:之[一二三四五六七八九十]+)?)(?=\S)")
_DOC_NUMBER_BRACKETS = re.compile(r"[\[［〔](\d{4})[\]］〕]")


def normalise_line(line: str) -> str:
    """One line: strip artefacts, unify punctuation to full-width, drop spaces around CJK."""
    line = _HTML_COMMENT.sub("", line)
    line = _LIST_ARTIFACT.sub("", line).strip()
    line = re.sub(r"^#+\s*", "#", line)  # keep markdown heading level as a bare '#' marker
    line = _DOC_NUMBER_BRACKETS.sub(r"〔\1〕", line)
    line = line.replace("(", "（").replace(")", "）")
    line = re.sub(r"(?<!\d),|,(?!\d)", "，", line)
    line = re.sub(r"(?<!\d):|:(?!\d)", "：", line)
    line = line.replace(";", "；").replace("?", "？").replace("!", "！")
    line = _SPACE_NEAR_CJK.sub("", line)
    line = _SPACE_IN_NUMBER_UNIT.sub("", line)
    return line.strip()


def _fix_quotes(paragraph: str) -> str:
    """Straight double quotes → “ ” alternating within a paragraph."""
    if '"' not in paragraph:
        return paragraph
    out, opening = [], True
    for ch in paragraph:
        if ch == '"':
            out.append("“" if opening else "”")
            opening = not opening
        else:
            out.append(ch)
    return "".join(out)


def _drop_page_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Remove page numbers, and running headers/footers repeated at the edge of most pages."""
    pages = [[ln for ln in page if ln.strip()] for page in pages]
    edge = Counter()
    if len(pages) >= 3:
        for page in pages:
            edge.update({ln.strip() for ln in page[:2] + page[-2:]})
    repeated = {ln for ln, n in edge.items() if n >= max(3, len(pages) // 2) and len(ln) < 40}
    return [[ln for ln in page if ln.strip() not in repeated and not _PAGE_NUMBER.match(ln.strip())] for page in pages]


def _width(line: str) -> float:
    return sum(1.0 if ord(c) > 127 else 0.5 for c in line)


def _ends_terminal(line: str) -> bool:
    tail = line.rstrip("”’\"'）)")
    return bool(tail) and tail[-1] in _TERMINAL


def _is_heading(line: str) -> bool:
    """A title-like line: no sentence punctuation, or a markdown heading."""
    body = _MARKER.sub("", line, count=1)
    return line.startswith("#") or not any(p in body for p in _SENTENCE_PUNCT)


def _breaks_after(prev: str, nxt: str, wrapped: bool, full_width: float, prev_opened: bool) -> bool:
    # In wrapped text a short unpunctuated line is a title only if it opened its own paragraph;
    # otherwise it is the cut-off end of a page ("…对优秀企" / "业家可授予…").
    if _is_heading(prev) and (not wrapped or (prev_opened and _width(prev) < 0.7 * full_width)):
        return True
    if _STRONG_MARKER.match(nxt) or (_is_heading(prev) and _MARKER.match(nxt)):
        return True
    if not _ends_terminal(prev):
        return False
    if not wrapped:
        return True
    # A wrapped line fills the measure; a paragraph's last line is usually shorter.
    return _width(prev) < 0.9 * full_width or bool(_MARKER.match(nxt))


def _join(a: str, b: str) -> str:
    if a and b and a[-1].isascii() and a[-1].isalnum() and b[0].isascii() and b[0].isalnum():
        return a + " " + b
    return a + b


def repair(pages: list[list[str]], wrapped: bool = False) -> str:
    """Raw lines per page → normalised paragraphs joined by '\\n'.

    wrapped=True for formats whose line breaks are visual (PDF): lines are joined unless a paragraph end is
    evident; otherwise line breaks are trusted except where a prose line was visibly cut mid-sentence.
    """
    if wrapped:
        pages = _drop_page_furniture(pages)
    lines = [normalise_line(ln) for page in pages for ln in page]
    lines = [ln for ln in lines if ln]
    widths = sorted(_width(ln) for ln in lines)
    full_width = widths[int(len(widths) * 0.9)] if widths else 0.0
    paragraphs: list[str] = []
    opened = True
    for prev, line in zip([""] + lines, lines):
        # decide on the previous visual line (its width), not on the paragraph built so far
        if paragraphs and not _breaks_after(prev, line, wrapped, full_width, opened):
            paragraphs[-1] = _join(paragraphs[-1], line)
            opened = False
        else:
            paragraphs.append(line)
            opened = True
    return "\n".join(_LABEL_GAP.sub(r"\1 ", _fix_quotes(p)) for p in paragraphs) + "\n"
