"""PDF via pypdf: refuses encrypted and image-only files with messages a user can act on."""
from __future__ import annotations

from pathlib import Path

from kb import errors
from kb.ingest import limits

# A page with fewer extracted characters than this is treated as having no text layer.
_MIN_CHARS_PER_PAGE = 5


def read_pdf_pages(path: Path) -> list[list[str]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    with open(path, "rb") as fh:
        head = fh.read(1024)
    if b"%PDF" not in head:
        raise errors.CorruptFile(path.name, "文件头不是 PDF 格式")
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not _try_empty_password(reader):
            raise errors.EncryptedPDF(path.name)
        pages = _extract(reader, path.name)
    except errors.KBError:
        raise
    except (PdfReadError, ValueError, KeyError, OSError, TypeError) as exc:
        raise errors.CorruptFile(path.name, f"PDF 解析失败：{type(exc).__name__}") from exc
    except Exception as exc:  # pypdf raises many kinds on damaged files; none should escape as a traceback
        if "crypt" in str(exc).lower() or "password" in str(exc).lower():
            raise errors.EncryptedPDF(path.name) from exc
        raise errors.CorruptFile(path.name, f"PDF 解析失败：{type(exc).__name__}") from exc
    if not pages or sum(len(p.strip()) for p in pages) < _MIN_CHARS_PER_PAGE * len(pages):
        raise errors.ScannedPDF(path.name)
    return [p.split("\n") for p in pages]


def _extract(reader, name: str) -> list[str]:
    """Text per page, refusing too many pages up front and too much text as soon as it is exceeded."""
    if len(reader.pages) > limits.PDF_MAX_PAGES:
        raise errors.ContentTooLarge(name, f"共 {len(reader.pages)} 页，上限 {limits.PDF_MAX_PAGES} 页")
    pages, chars = [], 0
    for page in reader.pages:
        pages.append(page.extract_text() or "")
        chars += len(pages[-1])
        if chars > limits.MAX_CHARS:
            raise errors.ContentTooLarge(name, f"文字超过 {limits.MAX_CHARS:,} 字")
    return pages


def _try_empty_password(reader) -> bool:
    """Owner-password-only PDFs open with an empty user password; those are readable."""
    try:
        return bool(reader.decrypt(""))
    except Exception:
        return False
