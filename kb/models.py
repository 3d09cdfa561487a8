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


def spoken_label(label: str) -> str:
    """How an article is named in prose: a plan's "22." reads 第22条; 第二十二条, 一、 and 全文 stay as they are."""
    m = re.fullmatch(r"(\d+)[.．]", label)
    return f"第{m.group(1)}条" if m else label


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
    article_title: str = ""  # a plan article's own lead phrase ("推行企业开办…"), "" for regulations
    continues: bool = False  # this part goes on the previous part's paragraph (joined without a line break)


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
            # a reranked hybrid hit's score is the ranker's; the fused BM25 + e5 score it had before
            **({"fused_score": round(float(self.scores["fused"]), 6)} if "fused" in self.scores else {}),
        }


@dataclass
class Citation:
    doc: str
    doc_id: str
    article: int
    label: str
    quote: str  # exact words of the article
    status: str = CURRENT
    heading: str = ""  # the article's chapter / section (part / section of a plan)
    article_text: str = ""  # the whole article as indexed, so a reader never needs the corpus files
    date: str = ""  # of the cited version, so a version answer can say which year it quotes

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class SummaryItem:
    """A labelled summary drawn from the quoted sentences (never a new fact): 时限要点, 涉及的清单, a version's
    change, the verdict of an eligibility check, the steps of a procedure."""

    kind: str  # "时限" | "清单" | "版本" | "条件" | "步骤" | "判断"
    label: str  # "时限要点（摘自上述条文）"
    text: str

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class EligibilityCheck:
    """One condition of the cited text compared with a fact the asker stated."""

    condition: str  # the condition in the article's words ("最高奖的金额不超过五万元")
    threshold: str  # the article's figure or category ("五万元")
    user_value: str | None  # what the asker said ("6万元"), None when the question does not say
    verdict: str  # 符合 | 不符合 | 无法判断
    quote: str  # the sentence the condition is in, exact article text
    comparison: str = ""  # "6万元 > 五万元 → 不符合"
    missing: str = ""  # what the question would have to say, for 无法判断
    citation: str = ""  # "《反不正当竞争法》第十条"

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Step:
    """One step of a procedure, in text order."""

    n: int
    actor: str  # who acts ("申请人", "行政机关")
    action: str  # what they do, in the article's words
    time_limit: str  # "二十日内" or ""
    citation: str  # "《行政许可法》第四十二条"
    doc_id: str = ""
    article: int = 0

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Answer:
    """What the assistant says, as fields: the CLI and the web app render these, never a text of it."""

    question: str
    intent: str
    abstained: bool
    conclusion: str = ""  # one or two sentences, each quoting the article it rests on
    summary: list[SummaryItem] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    related: list[Citation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    confidence: float = 0.0  # the gate's P(the corpus answers), compared with the abstention threshold
    verdict: str = ""  # 是 / 否 / 视情况 / 符合 / 不符合 / 无法判断, where the cited text decides it
    eligibility: list[EligibilityCheck] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    generated: str = ""  # an LLM's answer text that passed the check (kb.llm), shown instead of the extract

    @property
    def answer(self) -> str:
        """The whole answer as text (the --json "answer" field, plain-text consumers)."""
        from kb.assistant.render import answer_text

        return answer_text(self)

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "intent": self.intent,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_json() for c in self.citations],
            "related": [c.to_json() for c in self.related],
            "notes": list(self.notes),
            "confidence": self.confidence,
            "conclusion": self.conclusion,
            "summary": [s.to_json() for s in self.summary],
            "verdict": self.verdict,
            "eligibility": [e.to_json() for e in self.eligibility],
            "steps": [s.to_json() for s in self.steps],
            "generated": self.generated,
        }


@dataclass
class Deadline:
    """One time limit ("不超过3天") or dated target ("到2025年，…") found in an article: a row of the 督办台账."""

    doc_id: str
    doc_title: str
    article: int
    label: str  # "24." / "第九条"
    kind: str  # "时限" (a duration) | "目标" (a dated target without a duration) | "日期" (每年3月31日前)
    value: float | None  # 3, 0.5, 30; None for a dated target; the upper bound of a range ("一年至二年" → 2)
    unit: str  # 天 / 日 / 个工作日 / 个月 / 年 / 小时 / 分钟 / 周; "" for a dated target
    day_type: str  # "工作日" | "自然日" | "" (not counted in days)
    expression: str  # the exact words: "不超过3天", "30日内"
    subject: str  # what must be done within the limit
    condition: str = ""  # to whom / when it applies: "小微企业低压接入（城区…）"
    start: str = ""  # when the clock starts: "自货物、工程、服务交付之日起"
    target_year: int | None = None  # "到2025年" → 2025
    target_passed: bool = False  # the target year is over relative to today
    value_min: float | None = None  # the lower bound of a range ("一年至二年内" → 1), else None
    note: str = ""  # "目标年份2023年已过"
    quote: str = ""  # the sentence, an exact substring of the article text
    heading: str = ""  # the plan article's lead phrase, or the chapter

    def to_json(self) -> dict:
        return asdict(self)


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


@dataclass
class Clause:
    """One reviewable unit of a draft policy: a numbered clause (or one sentence of a long one)."""

    no: str | None  # "第三条", "二、（一）", "3."; None for unnumbered text
    text: str
    heading: str = ""  # enclosing headings, for context in reports
    sentence: int = 0  # 0 = the whole clause; 1.. = n-th sentence of a long clause
    lead: str = ""  # text of the enclosing clause ("不得有下列行为：") for an item (（一）…) under it

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class ReviewResult:
    """What the fair-competition review returns for one draft."""

    file: str
    clauses: int
    clause_list: list[Clause] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    date: str = ""  # ISO date of the review
    notes: list[str] = field(default_factory=list)  # what the checker did to the input, for the user ("按段落拆分")

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.findings:
            out[f.severity] = out.get(f.severity, 0) + 1
        return out

    def to_json(self) -> dict:
        return {
            "file": self.file,
            "clauses": self.clauses,
            "date": self.date,
            "counts": self.counts(),
            "findings": [f.to_json() for f in self.findings],
            "notes": list(self.notes),
        }


@dataclass
class LibraryLaw:
    """One law of the national law library (lawrefbook markdown), as read by kb.library."""

    title: str  # file name without the "(YYYY-MM-DD)" suffix
    date: str  # "YYYY-MM-DD" from the file name, "" when absent
    category: str  # top folder: 行政法规, 经济法, 司法解释, DLC (local regulations) ...
    path: str  # path inside the archive/folder, e.g. "行政法规/优化营商环境条例(2019-10-22).md"
    text: str  # the markdown text
