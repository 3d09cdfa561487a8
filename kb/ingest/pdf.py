"""PDF via pypdf: refuses encrypted and image-only files with messages a user can act on."""
from __future__ import annotations

from pathlib import Path

from kb import errors

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
        pages = [(page.extract_text() or "") for page in reader.pages]
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


def _try_empty_password(reader) -> bool:
    """Owner-password-only PDFs open with an empty user password; those are readable."""
    try:
        return bool(reader.decrypt(""))
    except Exception:
        return False
