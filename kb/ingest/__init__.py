"""Read a file of any supported format into repaired, normalised text.

`read_text` is the single entry point: it checks the path, size and real format (by magic bytes, not by
the extension alone), dispatches to the reader, then runs the text repair.
"""
from __future__ import annotations

from pathlib import Path

from kb import errors
from kb.config import get_settings
from kb.ingest.repair import repair

SUPPORTED = (".txt", ".md", ".pdf", ".docx")


def check_file(path: str | Path, max_bytes: int | None = None) -> Path:
    """Raise the right KBError for a missing, unsupported, empty or oversized file; return the Path."""
    p = Path(path)
    if not p.exists() or not p.is_file():
        raise errors.FileNotFound(path)
    suffix = p.suffix.lower()
    if suffix not in SUPPORTED:
        raise errors.UnsupportedFormat(p.name, f"扩展名 {suffix or '（无）'}")
    size = p.stat().st_size
    limit = max_bytes if max_bytes is not None else get_settings().max_file_bytes
    if size > limit:
        raise errors.FileTooLarge(p.name, size, limit)
    if size == 0:
        raise errors.EmptyDocument(p.name)
    return p


def extract_lines(path: str | Path, max_bytes: int | None = None) -> tuple[list[list[str]], str]:
    """Raw lines grouped by page (one group for non-paged formats) and the format name."""
    p = check_file(path, max_bytes)
    suffix = p.suffix.lower()
    if suffix == ".pdf":
        from kb.ingest.pdf import read_pdf_pages

        return read_pdf_pages(p), "pdf"
    if suffix == ".docx":
        from kb.ingest.docx import read_docx_paragraphs

        return [read_docx_paragraphs(p)], "docx"
    from kb.ingest.limits import MAX_CHARS
    from kb.ingest.text import read_plain

    text = read_plain(p)
    if len(text) > MAX_CHARS:
        raise errors.ContentTooLarge(p.name, f"文字超过 {MAX_CHARS:,} 字")
    return [text.split("\n")], suffix.lstrip(".")


def read_text(path: str | Path, max_bytes: int | None = None) -> str:
    """The repaired, normalised text of a .txt/.md/.pdf/.docx file; raises KBError children on bad input."""
    pages, fmt = extract_lines(path, max_bytes)
    text = repair(pages, wrapped=(fmt == "pdf"))
    if not text.strip():
        if fmt == "pdf":
            raise errors.ScannedPDF(Path(path).name)
        raise errors.EmptyDocument(Path(path).name)
    return text
