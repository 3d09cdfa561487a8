"""Self-supervised training pairs mined from legal text (no labels exist for Chinese policy retrieval).

Kinds of (anchor, positive[, hard negative]) pairs, all as segmented word lists:
  ict      inverse cloze: one sentence of an article <-> the rest of that article
  heading  law title + chapter/section heading <-> one article under it
  title    a plan article's lead phrase ("推行企业开办…") <-> the article body
A hard negative is another article of the same document: same vocabulary, different rule.
"""
from __future__ import annotations

import random
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kb import errors
from kb.embed.text import words
from kb.models import Document, split_sentences
from kb.segment import Segmenter

MAX_POSITIVE_WORDS = 160  # long articles are truncated: the head carries the rule, and training stays fast
MIN_ANCHOR_WORDS = 4
ICT_PER_ARTICLE = 2


@dataclass
class SegmentedArticle:
    sentences: list[list[str]]  # words per sentence
    title: list[str]  # plan article lead phrase, [] for regulations
    heading: tuple[str, ...]  # heading path, for grouping
    heading_words: list[str]  # heading path without "第X章" numbers, segmented


@dataclass
class SegmentedDoc:
    title: list[str]
    articles: list[SegmentedArticle]


@dataclass
class Pair:
    anchor: list[str]
    positive: list[str]
    negative: list[str] | None
    kind: str
    source: int | None = None  # index of the article the positive comes from


def _strip_number(heading: str) -> str:
    # "第二章 市场主体保护" -> "市场主体保护": the number is noise for meaning
    parts = heading.split(maxsplit=1)
    return parts[1] if len(parts) == 2 and parts[0].startswith("第") else heading


def segment_document(seg: Segmenter, doc: Document) -> SegmentedDoc:
    arts = []
    for a in doc.articles:
        sents = [w for w in (words(seg, s) for s in split_sentences(a.text)) if w]
        if sents:
            heading = [w for h in a.heading_path for w in words(seg, _strip_number(h))]
            arts.append(SegmentedArticle(sents, words(seg, a.title) if a.title else [], tuple(a.heading_path), heading))
    return SegmentedDoc(words(seg, doc.title), arts)


def corpus_documents(corpus_dir: Path) -> Iterator[Document]:
    """Every .txt/.md file of the repo corpus, parsed into articles (files without structure skipped)."""
    from kb.structure import parse_file

    for path in sorted(Path(corpus_dir).rglob("*")):
        if path.suffix.lower() in {".txt", ".md"} and path.is_file():
            try:
                yield parse_file(path)
            except errors.KBError:
                continue


def library_documents(library_path: Path) -> list[Document]:
    """The library's laws as the search collection has them (kb.library.law_documents)."""
    from kb.library import law_documents

    return law_documents(library_path)[0]


def segment_documents(seg: Segmenter, docs: Iterable[Document], progress: bool = True) -> list[SegmentedDoc]:
    out, t0, chars = [], time.time(), 0
    for i, doc in enumerate(docs, 1):
        out.append(segment_document(seg, doc))
        chars += sum(len(a.text) for a in doc.articles)
        if progress and i % 500 == 0:
            print(f"  分词：{i} 篇，{chars / 1e6:.1f}M 字，{time.time() - t0:.0f} 秒", file=sys.stderr, flush=True)
    return out


def _flatten(sentences: list[list[str]], skip: int = -1) -> list[str]:
    flat = [w for i, s in enumerate(sentences) if i != skip for w in s]
    return flat[:MAX_POSITIVE_WORDS]


def _negative(doc: SegmentedDoc, index: int, rng: random.Random) -> list[str] | None:
    if len(doc.articles) < 2:
        return None
    j = rng.randrange(len(doc.articles) - 1)
    j = j + 1 if j >= index else j
    return _flatten(doc.articles[j].sentences)


def doc_pairs(doc: SegmentedDoc, rng: random.Random, hard_negatives: bool = True, prefix_positive: bool = False,
              ict_per_article: int = ICT_PER_ARTICLE) -> list[Pair]:
    pairs = _doc_pairs(doc, rng, hard_negatives, ict_per_article)
    if prefix_positive:
        for p in pairs:
            if p.kind == "ict" and p.source is not None:
                art = doc.articles[p.source]
                p.positive = (doc.title + art.heading_words + p.positive)[:MAX_POSITIVE_WORDS]
    return pairs


def _doc_pairs(doc: SegmentedDoc, rng: random.Random, hard_negatives: bool, ict_per_article: int) -> list[Pair]:
    def neg(i: int) -> list[str] | None:
        return _negative(doc, i, rng) if hard_negatives else None

    pairs: list[Pair] = []
    by_heading: dict[tuple[str, ...], list[int]] = {}
    for i, art in enumerate(doc.articles):
        by_heading.setdefault(art.heading, []).append(i)
        candidates = [k for k, s in enumerate(art.sentences) if len(s) >= MIN_ANCHOR_WORDS]
        if len(art.sentences) >= 2:
            for k in rng.sample(candidates, min(ict_per_article, len(candidates))):
                pairs.append(Pair(art.sentences[k], _flatten(art.sentences, skip=k), neg(i), "ict", i))
        if len(art.title) >= 2:
            body = _flatten(art.sentences)[len(art.title):] or _flatten(art.sentences)
            pairs.append(Pair(art.title, body, neg(i), "title", i))
    for heading, members in by_heading.items():
        if heading and doc.title:
            i = rng.choice(members)
            anchor = doc.title + doc.articles[i].heading_words
            pairs.append(Pair(anchor, _flatten(doc.articles[i].sentences), neg(i), "heading", i))
    return pairs


def mine_pairs(docs: list[SegmentedDoc], seed: int, max_pairs: int | None = None, hard_negatives: bool = True,
               prefix_positive: bool = False, ict_per_article: int = ICT_PER_ARTICLE) -> list[Pair]:
    """All pairs of all documents, shuffled deterministically, capped at max_pairs."""
    rng = random.Random(seed)
    pairs = [p for d in docs for p in doc_pairs(d, rng, hard_negatives, prefix_positive, ict_per_article)]
    rng.shuffle(pairs)
    return pairs[:max_pairs] if max_pairs else pairs
