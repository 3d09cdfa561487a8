"""The nouns of the product as typed dataclasses.

Document → Article → Paragraph (款) → Item (项); Chunk is what is indexed; Hit is a ranked Chunk;
Citation/Answer are what the assistant returns; Finding is what the fair-competition review returns.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

CURRENT = "现行有效"
SUPERSEDED = "已被修订"

_SENTENCE_END = re.compile(r"(?<=[。；！？])")


def split_sentences(text: str) -> list[str]:
    """Split Chinese text at 。；！？ keeping the punctuation; blank pieces dropped."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


@dataclass
class Item:
    """项: （一）… inside an article."""

    number: int
    label: str  # "（一）"
    text: str  # without the label


@dataclass
class Paragraph:
    """款: one paragraph of an article; its items are attached to it."""

    number: int
    text: str
    items: list[Item] = field(default_factory=list)


@dataclass
class Article:
    """第X条 of a regulation, or a numbered article "22." of a plan."""

    doc_id: str
    number: int
    label: str  # "第二十二条" or "22."
    text: str  # full text of the article, without the label
    heading_path: list[str] = field(default_factory=list)  # chapter/section or part/section titles
    title: str = ""  # a plan article's own lead phrase ("推行企业开办…"), "" for regulations
    start: int = 0  # offsets into Document.text (the normalised source)
    end: int = 0
    paragraphs: list[Paragraph] = field(default_factory=list)
    suffix: int = 0  # 第X条之一 → 1

    @property
    def key(self) -> str:
        return f"{self.number}" + (f"-{self.suffix}" if self.suffix else "")

    @property
    def items(self) -> list[Item]:
        return [it for p in self.paragraphs for it in p.items]

    @property
    def heading(self) -> str:
        return " / ".join(self.heading_path)

    def sentences(self) -> list[str]:
        return split_sentences(self.text)


@dataclass
class Section:
    """A structural node that is not an article: 章/节, plan parts and sections, front matter, 保障措施."""

    kind: str  # "chapter" | "section" | "part" | "front_matter" | "measures"
    label: str  # "第二章" / "二、" / "（一）"
    title: str
    start: int
    end: int
    text: str = ""  # own body text, for nodes that carry text outside any article
    heading_path: list[str] = field(default_factory=list)


@dataclass
class Document:
    doc_id: str
    title: str
    kind: str  # 规划 / 法律 / 行政法规 / 地方性法规 / 部门规章 / 其他
    text: str  # the normalised source text the offsets refer to
    articles: list[Article] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    status: str = CURRENT
    issuer: str = ""
    date: str = ""  # promulgation date, ISO
    effective: str = ""
    superseded_by: str | None = None
    source: str = ""  # file it was read from

    def article(self, number: int, suffix: int = 0) -> Article | None:
        for a in self.articles:
            if a.number == number and a.suffix == suffix:
                return a
        return None


@dataclass
class Chunk:
    """The unit that is indexed: one article, or one labelled piece of a long article."""

    chunk_id: str  # "<doc_id>#<article key>[/<part>]"
    doc_id: str
    doc_title: str
    status: str
    article: int
    label: str
    heading: str
    text: str  # what users read
    index_text: str  # what is indexed: title + headings + text
    part: int = 0  # 0 = whole article; 1.. = piece of a split article
    n_parts: int = 1
    kind: str = ""  # document kind, for the 效力级别 prior
    suffix: int = 0
    date: str = ""


@dataclass
class Hit:
    chunk: Chunk
    score: float
    scores: dict[str, float] = field(default_factory=dict)  # per retriever, for explanations/evals

    def to_json(self) -> dict:
        c = self.chunk
        return {
            "doc": c.doc_title,
            "doc_id": c.doc_id,
            "article": c.article,
            "label": c.label,
            "heading": c.heading,
            "status": c.status,
            "score": round(float(self.score), 6),
            "text": c.text,
            "part": c.part,
            "chunk_id": c.chunk_id,
        }


@dataclass
class Citation:
    doc: str
    doc_id: str
    article: int
    label: str
    quote: str
    status: str = CURRENT

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Answer:
    question: str
    intent: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    related: list[Citation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "intent": self.intent,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_json() for c in self.citations],
            "related": [c.to_json() for c in self.related],
            "notes": list(self.notes),
        }


@dataclass
class Finding:
    clause_no: str | None
    clause: str
    article: int
    item: int | None
    standard: str
    reason: str
    suggestion: str
    severity: str  # 违反 / 需说明依据 / 提示
    triggers: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)
