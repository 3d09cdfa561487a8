"""Reader for the national law library (lawrefbook markdown: one file per law, folders by category).

Reads the .tar.xz directly (no unpacking) or an unpacked folder. Shared by embedding training and the
library collection.
"""
from __future__ import annotations

import hashlib
import lzma
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from kb import errors
from kb.models import Article, Document, LibraryLaw, Paragraph

_INFO_END = "<!-- INFO END -->"  # end of the library's header block (title, adoption dates)
_DATED = re.compile(r"^(?P<title>.*?)\s*[（(](?P<date>\d{4}-\d{2}-\d{2})[)）]$")


def law_from_file(rel_path: str, text: str) -> LibraryLaw:
    """Build a LibraryLaw from its path inside the library ("行政法规/X(2019-10-22).md") and its text."""
    parts = PurePosixPath(rel_path.lstrip("./")).parts
    stem = PurePosixPath(parts[-1]).stem
    m = _DATED.match(stem)
    title, date = (m.group("title"), m.group("date")) if m else (stem, "")
    category = parts[0] if len(parts) > 1 else ""
    return LibraryLaw(title=title.strip(), date=date, category=category, path="/".join(parts), text=text)


def iter_library(path: str | Path) -> Iterator[LibraryLaw]:
    """Every .md law in the archive or folder, in a stable order (archive order / sorted paths)."""
    path = Path(path)
    if not path.exists():
        raise errors.FileNotFound(path)
    if path.is_dir():
        for file in sorted(path.rglob("*.md")):
            yield law_from_file(file.relative_to(path).as_posix(), file.read_text(encoding="utf-8-sig"))
        return
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                if member.isfile() and member.name.endswith(".md") and not _is_readme(member.name):
                    data = tar.extractfile(member).read()
                    yield law_from_file(member.name, data.decode("utf-8-sig", errors="replace"))
    except (tarfile.TarError, lzma.LZMAError, EOFError) as exc:
        raise errors.CorruptFile(path, str(exc)) from exc


def _is_readme(name: str) -> bool:
    return PurePosixPath(name).name.lower() == "readme.md" and name.strip("./").count("/") == 0


def library_hash(path: str | Path) -> str:
    """Content hash of the library (archive bytes, or every file's path and bytes for a folder)."""
    path = Path(path)
    if not path.exists():
        raise errors.FileNotFound(path)
    h = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*.md") if p.is_file())
    for file in files:
        if path.is_dir():
            h.update(file.relative_to(path).as_posix().encode())
        with open(file, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def parse_law(law: LibraryLaw) -> Document:
    """The article tree of a law (kb.structure). A law with neither 第X条 nor 一、 numbering (a one-paragraph
    decision, an amendment with a single change) becomes one article labelled 全文, so nothing is lost;
    EmptyDocument when it has no body text at all."""
    from kb.structure import parse_text

    try:
        return parse_text(law.text, title=law.title, doc_id=law.path, kind=law.category, source=law.path)
    except errors.NoStructure:
        return _whole_text(law)


def _whole_text(law: LibraryLaw) -> Document:
    marker = law.text.find(_INFO_END)
    start = marker + len(_INFO_END) if marker >= 0 else 0
    lines = [ln.strip() for ln in law.text[start:].split("\n") if ln.strip() and not ln.startswith("#")]
    if not lines:  # the library holds a few laws whose body was never filled in
        raise errors.EmptyDocument(law.path)
    paragraphs = [Paragraph(i + 1, ln) for i, ln in enumerate(lines)]
    article = Article(law.path, 1, "全文", "\n".join(lines), start=start, end=len(law.text), paragraphs=paragraphs)
    return Document(doc_id=law.path, title=law.title, kind=law.category, text=law.text, source=law.path,
                    articles=[article])
