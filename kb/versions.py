"""Old and new versions of the same regulation: which article of one corresponds to an article of the other.

The manifest links a superseded document to its current version (superseded_by). Articles are renumbered
between versions (kxzf-2020 第八条 → kxzf-2025 第九条), so correspondence is found by text similarity.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from kb.models import Article, Document

MIN_ARTICLE_SIMILARITY = 0.35  # below this two articles are about different things
SAME_SENTENCE = 0.97  # at or above this a sentence is unchanged (punctuation-level edits only)


def current_of(doc: Document, docs: dict[str, Document]) -> Document:
    """Follow superseded_by links to the version in force (stops at a missing link or a cycle)."""
    seen = {doc.doc_id}
    while doc.superseded_by and doc.superseded_by in docs and doc.superseded_by not in seen:
        doc = docs[doc.superseded_by]
        seen.add(doc.doc_id)
    return doc


def predecessors(doc: Document, docs: dict[str, Document]) -> list[Document]:
    return [d for d in docs.values() if d.superseded_by == doc.doc_id]


def _ratio(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def corresponding_article(article: Article, other: Document) -> Article | None:
    best, best_r = None, MIN_ARTICLE_SIMILARITY
    for cand in other.articles:
        if SequenceMatcher(None, article.text, cand.text, autojunk=False).quick_ratio() < best_r:
            continue
        r = _ratio(article.text, cand.text)
        if r > best_r:
            best, best_r = cand, r
    return best


@dataclass
class VersionChange:
    old_doc: Document
    old_article: Article
    old_sentence: str  # exact substring of old_article.text

    def line(self, new_doc: Document) -> str:
        return (f"{_year(self.old_doc)}年版（{self.old_article.label}）曾规定：“{self.old_sentence.rstrip('；;')}”，"
                f"已被{_year(new_doc)}年版取代。")


def changed_sentence(new_sentence: str, new_article: Article, old_article: Article,
                     old_doc: Document) -> VersionChange | None:
    """The old version's counterpart of a sentence, when it said something different.

    Old sentences kept verbatim in the new article are not counterparts of a changed one: without that rule
    "大型企业…60日内支付款项" would pair with the unchanged "机关、事业单位…30日内支付款项" it shares most words with.
    """
    new_sentences = new_article.sentences()
    old_sentences = old_article.sentences()
    if any(_ratio(new_sentence, o) >= SAME_SENTENCE for o in old_sentences):
        return None
    changed = [o for o in old_sentences if all(_ratio(o, n) < SAME_SENTENCE for n in new_sentences)]
    scored = [(_ratio(new_sentence, o), o) for o in changed]
    if not scored:
        return None
    ratio, old = max(scored)
    if ratio < MIN_ARTICLE_SIMILARITY:
        return None
    return VersionChange(old_doc, old_article, old)


def _year(doc: Document) -> str:
    return (doc.date or "")[:4] or doc.doc_id


# --- what changed between two versions of an article --------------------------------------------------------------
_CHANGE_WORDS = re.compile(r"变化|变了|不一样|不同|区别|差别|差异|改了|改动|修改了|调整了|多了|少了|新增|增加了|删除|删掉|前后比|对比|比较")
_VERSION_WORDS = re.compile(r"新旧|旧版|老版|新版|修订|修改|原来|以前|过去|新条例|旧条例|(?:19|20)\d{2}\s*年(?:版|的|新)")


def asks_what_changed(question: str) -> bool:
    """"修订前后…有啥变化", "新旧两版…有什么不一样", "老版…新版是怎么规定的": both versions side by side."""
    both = ("新版" in question or "新条例" in question or "修订后" in question) and ("旧版" in question or "老版" in question)
    return "新旧" in question or both or bool(_CHANGE_WORDS.search(question) and _VERSION_WORDS.search(question))


@dataclass
class SentenceChange:
    """One difference between two versions of an article: a sentence of each (exact text), or None where the
    other version has no counterpart (added or dropped)."""

    new: str | None
    old: str | None


def article_changes(new_article: Article, old_article: Article) -> list[SentenceChange]:
    """The sentences that differ, in the new version's order (dropped old sentences last); each changed sentence
    is paired with the most similar changed sentence of the other version when they are about the same thing."""
    new_s, old_s = new_article.sentences(), old_article.sentences()
    new_only = [n for n in new_s if all(_ratio(n, o) < SAME_SENTENCE for o in old_s)]
    old_only = [o for o in old_s if all(_ratio(o, n) < SAME_SENTENCE for n in new_s)]
    pairs = sorted(((_ratio(n, o), i, j) for i, n in enumerate(new_only) for j, o in enumerate(old_only)), reverse=True)
    match: dict[int, int] = {}
    for ratio, i, j in pairs:  # most similar first, each sentence in one pair at most
        if ratio >= MIN_ARTICLE_SIMILARITY and i not in match and j not in match.values():
            match[i] = j
    out = [SentenceChange(n, old_only[match[i]] if i in match else None) for i, n in enumerate(new_only)]
    return out + [SentenceChange(None, o) for j, o in enumerate(old_only) if j not in match.values()]
