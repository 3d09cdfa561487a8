"""Documents → Chunks, the unit that is indexed and cited.

One chunk per article. An article longer than MAX_CHARS is split at 款 (paragraph) boundaries; a single paragraph
longer than HARD_MAX_CHARS (an unnumbered law kept whole, a user's file without line breaks) is split further at
sentence ends, so no chunk outgrows what an encoder reads or a store field holds. Every piece keeps the article's
identity (number, label) and says which part it is, so a hit can always be cited as 第X条; joining the pieces
(with a line break, or without one where a paragraph was cut) gives the article text back exactly.
Plan sections that carry text outside any article (总体要求, 保障措施（二）加大财政支持) become extra chunks with
article=0, labelled by the section, so questions about them still find something citable.
"""
from __future__ import annotations

from kb.models import Article, Chunk, Document, Section, split_sentences

MAX_CHARS = 600
HARD_MAX_CHARS = 3000
_TEXT_SECTIONS = ("section", "measures")  # front matter (文号, 公布信息) is not worth retrieving


def chunk_document(doc: Document) -> list[Chunk]:
    chunks = [c for a in doc.articles for c in _article_chunks(doc, a)]
    chunks += [_section_chunk(doc, s, i) for i, s in enumerate(doc.sections, 1) if s.kind in _TEXT_SECTIONS and s.text.strip()]
    return chunks


def _pieces(article: Article) -> list[tuple[str, bool]]:
    """(text, continues the previous piece's paragraph): the article, or groups of whole paragraphs each
    ≤ MAX_CHARS; a paragraph over HARD_MAX_CHARS is cut into sentence groups."""
    if len(article.text) <= MAX_CHARS:
        return [(article.text, False)]
    lines = [(t, cont) for p in article.paragraphs for t, cont in _cut(p.text)] or [(article.text, False)]
    pieces: list[tuple[str, bool]] = []
    current, current_cont = "", False
    for text, cont in lines:
        if current and (cont or len(current) + len(text) + 1 > MAX_CHARS):
            pieces.append((current, current_cont))
            current, current_cont = text, cont
        else:
            current, current_cont = (f"{current}\n{text}" if current else text), current_cont if current else cont
    pieces.append((current, current_cont))
    return pieces


def _cut(paragraph: str) -> list[tuple[str, bool]]:
    """A paragraph as one piece, or as sentence groups ≤ MAX_CHARS when it is over HARD_MAX_CHARS."""
    if len(paragraph) <= HARD_MAX_CHARS:
        return [(paragraph, False)]
    out: list[tuple[str, bool]] = []
    group = ""
    for sentence in _exact_sentences(paragraph):
        if group and len(group) + len(sentence) > MAX_CHARS:
            out.append((group, bool(out)))
            group = ""
        group += sentence
    out.append((group, bool(out)))
    return out


def _exact_sentences(text: str) -> list[str]:
    """Sentences whose concatenation is the text itself (split_sentences strips whitespace)."""
    out, pos = [], 0
    for s in split_sentences(text):
        end = text.find(s, pos) + len(s)
        out.append(text[pos:end])
        pos = end
    if pos < len(text):
        out.append(text[pos:])
    return [s for s in out if s]


def _article_chunks(doc: Document, a: Article) -> list[Chunk]:
    pieces = _pieces(a)
    n = len(pieces)
    out = []
    for i, (text, continues) in enumerate(pieces, 1):
        part = i if n > 1 else 0
        cid = f"{doc.doc_id}#{a.key}" + (f"/{part}" if part else "")
        out.append(Chunk(
            chunk_id=cid, doc_id=doc.doc_id, doc_title=doc.title, status=doc.status, article=a.number,
            label=a.label, heading=a.heading, text=text,
            index_text=_join(doc.title, a.heading, a.label, a.title, text),
            part=part, n_parts=n, kind=doc.kind, suffix=a.suffix, date=doc.date, article_title=a.title,
            continues=continues,
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
