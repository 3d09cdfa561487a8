"""Split a draft policy into numbered clauses.

Drafts mix numbering styles: 第X条, 一、, （一）/(一), 1./1、, （1）. Each marker line opens a clause;
unmarked lines continue the open clause. A marker line that is only a short title ("一、总体要求") is a
heading, not a clause. The clause number is the path of the enclosing labels ("第三条（二）", "二、（一）"),
shortened to "3." when arabic numbers run through the whole draft without restarting (plan style).
Text without any numbering (a pasted clause, a memo) is split into paragraphs by `split_paragraphs`.
"""
from __future__ import annotations

import re

from kb.models import Clause, split_sentences
from kb.numerals import LABEL_NUMERAL as _CN

# (level, pattern); a lower level is an outer one. Order matters: 第X条 before 一、.
_MARKERS = [
    (0, re.compile(rf"^第[{_CN}\d]+[编章节](?=\s|$|[^\u4e00-\u9fff]|[\u4e00-\u9fff])")),
    (1, re.compile(rf"^第[{_CN}\d]+条(?:之[{_CN}]+)?")),
    (2, re.compile(r"^[一二三四五六七八九十]+[、．]")),
    (3, re.compile(r"^[（(][一二三四五六七八九十]+[）)]")),
    (4, re.compile(r"^\d{1,3}(?:[、．]|\.(?!\d))")),
    (5, re.compile(r"^[（(]\d{1,3}[）)]|^\d{1,3}[）)]")),
]
_INLINE_ITEM = re.compile(r"(?<=[：；:;。])\s*(?=[（(][一二三四五六七八九十]+[）)])")
_SENTENCE_PUNCT = re.compile(r"[。；，,;！？]")
_HEADING_MAX = 30


def _norm_label(label: str, level: int) -> str:
    label = label.replace("(", "（").replace(")", "）").replace(".", ".").replace("．", ".")
    if level == 2:
        return label[:-1] + "、"
    if level == 4:
        return label[:-1] + "."
    if level == 5 and not label.startswith("（"):
        return "（" + label
    return label


def _match_marker(line: str) -> tuple[int, str, str] | None:
    for level, pat in _MARKERS:
        m = pat.match(line)
        if m:
            return level, _norm_label(m.group(0), level), line[m.end():].strip(" \u3000：:")
    return None


def _is_heading(body: str) -> bool:
    """A marker line whose body is a bare title: short and without sentence punctuation."""
    return len(body) <= _HEADING_MAX and not _SENTENCE_PUNCT.search(body)


def _lines(text: str) -> list[str]:
    out = []
    for raw in text.replace("\r", "\n").split("\n"):
        line = re.sub(r"^[-*•]\s+", "", raw.strip().lstrip("#").strip())
        if line:
            out.extend(p.strip() for p in _INLINE_ITEM.split(line) if p.strip())
    return out


def split_clauses(text: str) -> list[Clause]:
    """The draft's clauses in order; unnumbered prose before the first marker is kept with no=None."""
    labels: dict[int, str] = {}
    headings: dict[int, str] = {}
    bodies: dict[int, list[str]] = {}  # lines of the open clause at each level, the lead-in of nested items
    raw: list[tuple[dict[int, str], str, list[str], str]] = []  # (label path, heading, lines, lead-in)
    current: list[str] | None = None
    for line in _lines(text):
        hit = _match_marker(line)
        if hit is None:
            if current is not None:
                current.append(line)
            elif _SENTENCE_PUNCT.search(line):
                raw.append(({}, "", [line], ""))
            continue
        level, label, body = hit
        for deeper in [k for k in labels if k >= level]:
            labels.pop(deeper)
            headings.pop(deeper, None)
            bodies.pop(deeper, None)
        labels[level] = label
        if level == 0 or _is_heading(body):
            headings[level] = f"{label}{body}"
            bodies[level] = [body]  # a short lead-in ("不得有下列行为") also governs the items below it
            current = None
            continue
        current = [body] if body else []
        heading = " / ".join(headings[k] for k in sorted(headings) if k < level)
        headings[level] = f"{label}{body[:_HEADING_MAX]}"  # context for the clauses nested under this one
        lead = next(("".join(bodies[k]) for k in sorted(bodies, reverse=True) if k < level), "")
        bodies[level] = current
        raw.append((dict(labels), heading, current, lead))
    short = _arabic_runs_through([p for p, _, _, _ in raw])
    return [
        Clause(_number(path, short) if path else None, "".join(lines), heading, lead=lead)
        for path, heading, lines, lead in raw
        if "".join(lines).strip()
    ]


def _arabic_runs_through(paths: list[dict[int, str]]) -> bool:
    """True when arabic clause numbers never restart (a plan numbers its articles 1..60 across parts)."""
    nums = [int(re.sub(r"\D", "", p[4])) for p in paths if 4 in p and 5 not in p]
    return len(nums) > 1 and all(b > a for a, b in zip(nums, nums[1:]))


def _number(path: dict[int, str], short_arabic: bool) -> str:
    levels = [k for k in sorted(path) if k >= 1]
    if short_arabic and 4 in path:
        levels = [k for k in levels if k >= 4]
    return "".join(path[k] for k in levels)


def sentences(clause: Clause) -> list[str]:
    """The clause's sentences (split at 。；！？), the clause itself when it has one."""
    return split_sentences(clause.text) or [clause.text]


def units(clause: Clause) -> list[Clause]:
    """The reviewable units of a clause: the clause itself, or one Clause per sentence of a long one."""
    parts = sentences(clause)
    if len(parts) == 1:
        return [clause]
    return [Clause(clause.no, s, clause.heading, sentence=i, lead=clause.lead) for i, s in enumerate(parts, 1)]


_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z]")
_ENDS_SENTENCE = re.compile(r"[。！？!?]\s*$")


def has_words(text: str) -> bool:
    """True when the text holds at least one Chinese character or letter (digits and punctuation alone do not count)."""
    return bool(_WORD.search(text or ""))


def split_paragraphs(text: str) -> list[Clause]:
    """Unnumbered text as clauses "1", "2", …: a blank line, or a line break after a sentence that ends in 。,
    opens a new paragraph; any other line break (a PDF's visual wrap) continues the paragraph. A short
    title-like paragraph (no sentence punctuation) is a heading when other paragraphs exist."""
    paragraphs: list[list[str]] = [[]]
    for raw in text.replace("\r", "\n").split("\n"):
        line = raw.strip()
        if not line:
            paragraphs.append([])
            continue
        if paragraphs[-1] and _ENDS_SENTENCE.search(paragraphs[-1][-1]):
            paragraphs.append([])
        paragraphs[-1].append(line)
    texts = ["".join(p) for p in paragraphs if p and has_words("".join(p))]
    bodies = [t for t in texts if not _is_heading(t)] or texts
    heading = next((t for t in texts if t not in bodies), "")
    return [Clause(str(i), t, heading) for i, t in enumerate(bodies, 1)]
