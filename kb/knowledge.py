"""The documents the assistant reads, rebuilt from the index store — never from the corpus files.

So an answer quotes exactly what is indexed (a hand-edited corpus file reaches answers with the next
`kb index build`, not before), and an app server that has only a Milvus address still answers.
Chunks of one article (a long article is split at 款 boundaries) are joined back into the article.
"""
from __future__ import annotations

from itertools import groupby

from kb.index.store import DocRecord, IndexStore
from kb.models import Article, Chunk, Document, Paragraph


def read(store: IndexStore) -> tuple[dict[str, Document], dict[tuple[str, int, int], list[str]]]:
    """Every indexed document, and (doc_id, article number, suffix) → the ids of the chunks that hold the article
    (their vectors say what it is about) — one pass over the store (on Milvus, one query per document)."""
    docs: dict[str, Document] = {}
    chunk_ids: dict[tuple[str, int, int], list[str]] = {}
    for d, rec in store.documents().items():
        chunks = store.doc_chunks(d)
        docs[d] = document(rec, chunks)
        for c in chunks:
            if c.article:
                chunk_ids.setdefault((c.doc_id, c.article, c.suffix), []).append(c.chunk_id)
    return docs, chunk_ids


def document(rec: DocRecord, chunks: list[Chunk]) -> Document:
    doc = Document(doc_id=rec.doc_id, title=rec.title, kind=rec.kind, text="", status=rec.status, issuer=rec.issuer,
                   date=rec.date, effective=rec.effective, superseded_by=rec.superseded_by or None)
    articles = [c for c in chunks if c.article]
    for (number, suffix), parts in groupby(articles, key=lambda c: (c.article, c.suffix)):
        parts = sorted(parts, key=lambda c: c.part)
        first = parts[0]
        text = "".join(("" if i == 0 or p.continues else "\n") + p.text for i, p in enumerate(parts))
        doc.articles.append(Article(
            doc_id=rec.doc_id, number=number, label=first.label, text=text,
            heading_path=first.heading.split(" / ") if first.heading else [], title=first.article_title,
            paragraphs=[Paragraph(i, line) for i, line in enumerate(text.split("\n"), 1)], suffix=suffix))
    return doc
