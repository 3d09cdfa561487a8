"""Query terms weighted by rarity, and how much of a question a piece of text covers.

A question's content terms are its segmented tokens minus question words and intent triggers; each term carries
its synonyms (kb/data/synonyms.tsv) as alternatives. A term's weight is its inverse document frequency over the
articles of the corpus, counted by substring so it works on unsegmented Chinese. Coverage — the weighted share
of terms found in a text — is the evidence behind both sentence choice and abstention: a question whose rare
words appear nowhere near the best article is one the corpus does not answer.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from kb.models import Document
from kb.segment import Segmenter, get_segmenter

# Words that say what is being asked, not about what; they never count as evidence.
QUESTION_WORDS = frozenset(
    """什么 什么样 怎么 怎样 如何 多少 多久 多长 多长时间 多大 几 几天 几个 几日 几类 几种 哪几种 哪些 哪个 哪里 哪儿
    哪 哪天 哪天起 哪一年 谁 吗 呢 吧 啊 是否 能否 能不能 可不可以 可以吗 是不是 有没有 要不要 需不需要 算不算 行不行
    请问 一下 一般 一共 最多 最长 最少 最晚 最早 分别 具体 规定 多快 办完 办好 下来 要求 有 是 要 会 能 需要 应该
    我 我们 你 他 它 现在 以前 以后 想 新开 一家 到底 还是 的话 东西 仍然 彻底 跟着 一块
    旧版 老版 新版 原版 修订前 修订后 修改前 修改后 开始""".split()
)
# The single characters that do name a thing in this domain (utilities, taxes, fees, licences, land, housing);
# every other one-character token is glue and is ignored.
SINGLE_CHAR_TERMS = frozenset("水电气热暖网税费证照地房")
_NUMERIC = re.compile(r"^\d+(?:\.\d+)?$")
# "2023年", "6月": a date of the asker's case, not a word of the rule ("6月" would half-match "六个月")
_DATE = re.compile(r"^\d+[年月]$")


@dataclass(frozen=True)
class Term:
    text: str
    weight: float
    alternatives: tuple[str, ...] = ()  # synonyms: finding any of them counts as finding the term

    def found_in(self, text: str) -> bool:
        return self.text in text or any(a in text for a in self.alternatives)


class TermScorer:
    """IDF over article texts (with their titles and headings) of a set of documents."""

    def __init__(self, docs: list[Document], segmenter: Segmenter | None = None):
        self.seg = segmenter or get_segmenter()
        self._texts = [f"{d.title} {a.heading} {a.title} {a.text}" for d in docs for a in d.articles]
        self._df: dict[str, int] = {}

    def idf(self, term: str) -> float:
        if term not in self._df:
            self._df[term] = sum(1 for t in self._texts if term in t)
        n = len(self._texts)
        return math.log((n + 1) / (self._df[term] + 0.5))

    def df(self, term: str) -> int:
        self.idf(term)
        return self._df[term]

    def absent(self, terms: list[Term]) -> float:
        """Weighted share of the terms that no article holds, nor any of their synonyms: a question about a
        thing the corpus never mentions (商标, 个税) is one it does not answer."""
        total = sum(t.weight for t in terms)
        if total <= 0:
            return 0.0
        gone = sum(t.weight for t in terms if not any(self.df(w) for w in (t.text, *t.alternatives)))
        return gone / total

    def terms(self, question: str, triggers: tuple[str, ...] = ()) -> list[Term]:
        tokens = self.seg.tokens(question)
        lay = self.seg.lay_terms(tokens)
        out: dict[str, Term] = {}
        for i, tok in enumerate(tokens):
            # Single characters are mostly colloquial glue ("去", "办", "里") and match everywhere or nowhere.
            if tok in QUESTION_WORDS or any(tok in t for t in triggers) or _NUMERIC.match(tok) or _DATE.match(tok):
                continue
            if len(tok) < 2 and tok not in SINGLE_CHAR_TERMS and not any(s <= i < e for s, e, _ in lay):
                continue  # a one-character lay term ("付" → 支付) does carry meaning
            out.setdefault(tok, Term(tok, self.idf(tok), self._statute_words(tok, i, lay)))
        return list(out.values())

    def _statute_words(self, tok: str, i: int, lay: list[tuple[int, int, list[str]]]) -> tuple[str, ...]:
        """What every lay term spanning token i ("开公司" over "公司") stands for in statutes (企业开办…)."""
        words = (w for start, end, targets in lay if start <= i < end for target in targets for w in self.seg.tokens(target))
        return tuple(dict.fromkeys(w for w in words if w != tok and len(w) > 1))

    @staticmethod
    def coverage(terms: list[Term], text: str) -> float:
        """Weighted share of the terms found in the text, in [0, 1]; 0 when there are no terms.

        A term not found whole earns half credit for the share of its characters the text holds (at least half
        of them): lay words ("接暖") often share characters with the statute's words, invented ones rarely.
        """
        total = sum(t.weight for t in terms)
        if total <= 0:
            return 0.0
        return sum(t.weight * _credit(t, text) for t in terms) / total


def _credit(term: Term, text: str) -> float:
    if term.found_in(text):
        return 1.0
    if len(term.text) < 2:
        return 0.0
    share = sum(1 for ch in term.text if ch in text) / len(term.text)
    return 0.5 * share if share >= 0.5 else 0.0
