"""The corpus: files under corpus/ described by corpus/manifest.toml (title, kind, issuer, dates, status).

Adding validates the file completely (read + parse) before anything is written, so a bad file leaves neither
a copy nor a manifest row behind. Duplicates are refused by content hash.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from kb import errors
from kb.config import Settings, get_settings
from kb.hashing import file_hash
from kb.models import CURRENT, SUPERSEDED, Document
from kb.structure import parse_file

KINDS = ("规划", "法律", "行政法规", "地方性法规", "部门规章", "规范性文件", "其他")


@dataclass
class Entry:
    """One manifest row."""

    id: str
    title: str
    path: str  # relative to corpus/
    kind: str = "其他"
    issuer: str = ""
    date: str = ""
    effective: str = ""
    doc_number: str = ""
    status: str = CURRENT
    superseded_by: str = ""
    sha256: str = ""
    extra: dict = field(default_factory=dict)

    def to_toml(self) -> dict:
        row = {k: v for k, v in self.__dict__.items() if k != "extra" and v not in ("", None)}
        return {**row, **self.extra}


class Corpus:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or get_settings()
        self.dir = self.settings.corpus_dir
        self._docs: dict[str, Document] = {}

    # --- manifest -------------------------------------------------------------------------------
    def entries(self) -> list[Entry]:
        if not self.settings.manifest_path.exists():
            return []
        data = tomllib.loads(self.settings.manifest_path.read_text(encoding="utf-8"))
        known = set(Entry.__dataclass_fields__) - {"extra"}
        return [
            Entry(**{k: v for k, v in row.items() if k in known}, extra={k: v for k, v in row.items() if k not in known})
            for row in data.get("document", [])
        ]

    def entry(self, doc_id: str) -> Entry:
        for e in self.entries():
            if e.id == doc_id:
                return e
        raise errors.DocumentNotFound(doc_id)

    def _write_entries(self, entries: list[Entry]) -> None:
        header = "# The corpus. One [[document]] per file; `kb corpus add/remove` edits this file.\n\n"
        body = tomli_w.dumps({"document": [e.to_toml() for e in entries]})
        _atomic_write(self.settings.manifest_path, header + body)

    # --- documents ------------------------------------------------------------------------------
    def get(self, doc_id: str) -> Document:
        if doc_id not in self._docs:
            self._docs[doc_id] = self._load(self.entry(doc_id))
        return self._docs[doc_id]

    def documents(self) -> list[Document]:
        return [self.get(e.id) for e in self.entries()]

    def _load(self, e: Entry) -> Document:
        doc = parse_file(self.dir / e.path, title=e.title, doc_id=e.id, kind=e.kind)
        doc.title, doc.kind, doc.status = e.title, e.kind, e.status
        doc.issuer, doc.date, doc.effective = e.issuer, e.date, e.effective
        doc.superseded_by = e.superseded_by or None
        doc.source = str(self.dir / e.path)
        return doc

    # --- changes --------------------------------------------------------------------------------
    def add(self, path: str | Path, title: str = "", date: str = "", kind: str = "", issuer: str = "",
            supersedes: str = "") -> tuple[Entry, Document]:
        """Validate, copy into corpus/user/ and record in the manifest. Nothing is written on failure."""
        src = Path(path)
        doc = parse_file(src, title=title, max_bytes=self.settings.max_file_bytes)  # raises on bad input
        digest = file_hash(src)
        entries = self.entries()
        for e in entries:
            if (e.sha256 or file_hash(self.dir / e.path)) == digest:
                raise errors.DuplicateDocument(e.title, e.id)
        if kind and kind not in KINDS:
            raise errors.InputError(f"未知的文件类别：{kind}", hint="可选：" + "、".join(KINDS))
        doc_id = _new_id(doc.title, date, {e.id for e in entries})
        rel = f"user/{doc_id}{src.suffix.lower()}"
        entry = Entry(id=doc_id, title=title or doc.title, path=rel, kind=kind or doc.kind or "其他", issuer=issuer,
                      date=date, sha256=digest)
        if supersedes:
            old = next((e for e in entries if e.id == supersedes), None)
            if old is None:
                raise errors.DocumentNotFound(supersedes)
            old.status, old.superseded_by = SUPERSEDED, doc_id
        (self.dir / "user").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, self.dir / rel)
        try:
            self._write_entries(entries + [entry])
        except Exception:
            (self.dir / rel).unlink(missing_ok=True)
            raise
        self._docs.pop(doc_id, None)
        return entry, self.get(doc_id)

    def remove(self, doc_id: str) -> Entry:
        entries = self.entries()
        entry = next((e for e in entries if e.id == doc_id), None)
        if entry is None:
            raise errors.DocumentNotFound(doc_id)
        rest = [e for e in entries if e.id != doc_id]
        for e in rest:  # a removed current version revives nothing automatically, but drop dangling links
            if e.superseded_by == doc_id:
                e.superseded_by, e.status = "", CURRENT
        self._write_entries(rest)
        (self.dir / entry.path).unlink(missing_ok=True)
        self._docs.pop(doc_id, None)
        return entry


def _new_id(title: str, date: str, taken: set[str]) -> str:
    """A short, typeable id: "doc-<hash of title>-<year>", unique within the manifest."""
    year = (re.match(r"\d{4}", date or "") or [""])[0]
    base = "doc-" + hashlib.sha1(title.encode()).hexdigest()[:6] + (f"-{year}" if year else "")
    doc_id, n = base, 2
    while doc_id in taken:
        doc_id, n = f"{base}-{n}", n + 1
    return doc_id


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".manifest-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
