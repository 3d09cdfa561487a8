"""Reader for the national law library (lawrefbook markdown: one file per law, folders by category).

Reads the .tar.xz directly (no unpacking) or an unpacked folder. `law_documents` is the one source of the
library's documents, for the search collection and for embedding training alike: every law parsed with
kb.structure, its 效力级别 from its folder, versions of one law linked (the newest is current), and the
民法典 — one file per 编 in the library — made one document titled 民法典 whose 编 are headings, so a hit cites
《民法典》第五百七十七条. A law that cannot be parsed is reported with the reason, never dropped silently.
"""
from __future__ import annotations

import hashlib
import lzma
import re
import tarfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path, PurePosixPath

from kb import errors
from kb.hashing import update_with_file
from kb.models import CURRENT, SUPERSEDED, Article, Document, LibraryLaw, Paragraph

_INFO_END = "<!-- INFO END -->"  # end of the library's header block (title, adoption dates)
_DATED = re.compile(r"^(?P<title>.*?)\s*[（(](?P<date>\d{4}-\d{2}-\d{2})[)）]$")
_ADOPTED = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
CODE = "民法典"  # the one law the library splits into files (one per 编)
CODE_ID = "民法典/民法典.md"
# lawrefbook's top folders → 效力级别, the level the ranking prior works with
_LEVELS = {
    "宪法": "宪法", "行政法规": "行政法规", "司法解释": "司法解释", "部门规章": "部门规章", "DLC": "地方性法规",
    "案例": "案例", "其他": "其他",
}
_LAW_FOLDERS = ("刑法", "宪法相关法", "民法典", "民法商法", "社会法", "经济法", "行政法", "诉讼与非诉讼程序法")


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
        update_with_file(h, file)
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


def level_of(category: str) -> str:
    return "法律" if category in _LAW_FOLDERS else _LEVELS.get(category, category or "其他")


def law_documents(path: str | Path, progress=None) -> tuple[list[Document], list[dict]]:
    """(documents with title, date, 效力级别 and version status; failures [{path, title, reason}]).
    `progress()` is called once per file read, for a progress bar."""
    docs: list[Document] = []
    books: list[Document] = []
    failed: list[dict] = []
    for law in iter_library(path):
        if progress:
            progress()
        if law.path.startswith("scripts/"):  # the library's own tooling, not law text
            continue
        try:
            doc = parse_law(law)
        except errors.KBError as exc:
            failed.append({"path": law.path, "title": law.title, "reason": exc.message})
            continue
        except Exception as exc:  # a parser bug must not lose the other 3,000 laws; it is reported
            failed.append({"path": law.path, "title": law.title, "reason": f"{type(exc).__name__}: {exc}"})
            continue
        doc.date, doc.kind = law.date, level_of(law.category)
        (books if law.category == CODE else docs).append(doc)
    if books:
        docs.append(merge_books(books))
    link_versions(docs)
    return docs, failed


def merge_books(books: list[Document]) -> Document:
    """The 编 files of the 民法典 as one document: articles in number order, each 编 the top of its headings."""
    books = sorted(books, key=lambda b: b.articles[0].number if b.articles else 0)
    code = Document(doc_id=CODE_ID, title=CODE, kind=books[0].kind, text="", source=CODE_ID)
    for book in books:
        offset = len(code.text) + (1 if code.text else 0)
        code.text += ("\n" if code.text else "") + book.text
        code.articles += [replace(a, doc_id=CODE_ID, heading_path=[book.title, *a.heading_path],
                                  start=a.start + offset, end=a.end + offset) for a in book.articles]
        code.sections += [replace(s, heading_path=[book.title, *s.heading_path], start=s.start + offset,
                                  end=s.end + offset) for s in book.sections]
    m = _ADOPTED.search(books[0].text)
    code.date = f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else ""
    return code


def link_versions(docs: list[Document]) -> None:
    """Same title = versions of one law: newest date is current; undated files count as oldest."""
    by_title: dict[str, list[Document]] = defaultdict(list)
    for d in docs:
        by_title[d.title].append(d)
    for versions in by_title.values():
        versions.sort(key=lambda d: d.date, reverse=True)
        newest = versions[0]
        newest.status, newest.superseded_by = CURRENT, None
        for old in versions[1:]:
            old.status, old.superseded_by = SUPERSEDED, newest.doc_id
