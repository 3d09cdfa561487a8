"""Documents → Chunks, the unit that is indexed and cited.

One chunk per article. An article longer than MAX_CHARS is split at 款 (paragraph) boundaries; every piece keeps
the article's identity (number, label) and says which part it is, so a hit can always be cited as 第X条.
Plan sections that carry text outside any article (总体要求, 保障措施（二）加大财政支持) become extra chunks with
article=0, labelled by the section, so questions about them still find something citable.
"""
from __future__ import annotations

from kb.models import Article, Chunk, Document, Section

MAX_CHARS = 600
_TEXT_SECTIONS = ("section", "measures")  # front matter (文号, 公布信息) is not worth retrieving


def chunk_document(doc: Document) -> list[Chunk]:
    chunks = [c for a in doc.articles for c in _article_chunks(doc, a)]
    chunks += [_section_chunk(doc, s, i) for i, s in enumerate(doc.sections, 1) if s.kind in _TEXT_SECTIONS and s.text.strip()]
    return chunks


def _pieces(article: Article) -> list[str]:
    """The article text, or groups of whole paragraphs each ≤ MAX_CHARS (a single longer paragraph stays whole)."""
    if len(article.text) <= MAX_CHARS or len(article.paragraphs) < 2:
        return [article.text]
    pieces: list[str] = []
    current = ""
    for p in article.paragraphs:
        if current and len(current) + len(p.text) + 1 > MAX_CHARS:
            pieces.append(current)
            current = p.text
        else:
            current = f"{current}\n{p.text}" if current else p.text
    pieces.append(current)
    return pieces


def _article_chunks(doc: Document, a: Article) -> list[Chunk]:
    pieces = _pieces(a)
    n = len(pieces)
    out = []
    for i, text in enumerate(pieces, 1):
        part = i if n > 1 else 0
        cid = f"{doc.doc_id}#{a.key}" + (f"/{part}" if part else "")
        out.append(Chunk(
            chunk_id=cid, doc_id=doc.doc_id, doc_title=doc.title, status=doc.status, article=a.number,
            label=a.label, heading=a.heading, text=text,
            index_text=_join(doc.title, a.heading, a.label, a.title, text),
            part=part, n_parts=n, kind=doc.kind, suffix=a.suffix, date=doc.date, article_title=a.title,
        ))
    return out


def _section_chunk(doc: Document, s: Section, order: int) -> Chunk:
    label = f"{s.label}{s.title}".strip().rstrip("。")
    heading = " / ".join(s.heading_path[:-1]) if s.heading_path and s.heading_path[-1].startswith(s.label) else " / ".join(s.heading_path)
    return Chunk(
        chunk_id=f"{doc.doc_id}#s{order}", doc_id=doc.doc_id, doc_title=doc.title, status=doc.status, article=0,
        label=label, heading=heading, text=s.text, index_text=_join(doc.title, heading, label, s.text),
        kind=doc.kind, date=doc.date,
    )


def _join(*parts: str) -> str:
    return "\n".join(p for p in parts if p)
