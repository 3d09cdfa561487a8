"""Uploaded files: staging under generated names, the bounded parse, and the app's scratch folders.

Each server process owns <root>/state/web/<pid>/ (staged uploads, CSV exports, and gradio's own upload
cache, GRADIO_TEMP_DIR). The folder is removed at shutdown, and folders of processes that no longer run
(killed, crashed) are removed when the next server starts. Drafts are deleted as soon as their review
returns; the review report is kept in memory only (see server.Downloads).

Parsing an upload runs in a child process with a memory and a time limit (kb.web.parse_worker), so a
hostile file can at worst kill that child, never the server.
"""
from __future__ import annotations

import logging
import os
import pickle
import shutil
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from kb import errors
from kb.config import Settings
from kb.ingest import check_file
from kb.locking import pid_alive

log = logging.getLogger(__name__)
PARSE_SECONDS = 60  # wall-clock limit of one parse
PARSE_MEMORY_MB = 1536  # address-space limit of the parse process (python + lxml + pypdf need ~400 MB of it)
KEEP_SECONDS = 3600  # exports and abandoned previews older than this are deleted


@dataclass
class Staged:
    """An uploaded file copied into the app's own folder under a generated name."""

    path: Path
    original_name: str

    @property
    def names(self) -> dict[str, str]:
        return {self.path.name: self.original_name, str(self.path): self.original_name}

    def delete(self) -> None:
        self.path.unlink(missing_ok=True)


# --- scratch folders -----------------------------------------------------------------------------
def web_root(settings: Settings) -> Path:
    return settings.state_dir / "web"


def work_dir(settings: Settings, pid: int | None = None) -> Path:
    """This server process's scratch folder."""
    folder = web_root(settings) / str(pid or os.getpid())
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def remove_stale(settings: Settings) -> list[str]:
    """Delete the scratch folders of server processes that are gone; returns their names."""
    removed = []
    root = web_root(settings)
    for folder in root.iterdir() if root.is_dir() else []:
        if folder.name.isdigit() and pid_alive(int(folder.name)):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder.name)
    return removed


def remove_own(settings: Settings) -> None:
    shutil.rmtree(web_root(settings) / str(os.getpid()), ignore_errors=True)


def prune(folder: Path, max_age: float = KEEP_SECONDS) -> None:
    """Delete entries of folder older than max_age seconds."""
    if not folder.is_dir():
        return
    cutoff = time.time() - max_age
    for entry in folder.iterdir():
        try:
            if entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        except OSError:  # a concurrent request removed or is using it; next prune retries
            pass


def output_path(settings: Settings, filename: str) -> Path:
    """A fresh folder per download so concurrent users never overwrite each other's files."""
    prune(work_dir(settings) / "out")
    folder = work_dir(settings) / "out" / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    return folder / filename


# --- staging -------------------------------------------------------------------------------------
def stage_upload(src: str | Path, settings: Settings) -> Staged:
    """Check the user's file (kb.ingest's own rules: extension, size, empty), then copy it to
    work_dir/uploads/<uuid><ext>. The copy's name never comes from the user."""
    src = Path(src)
    check_file(src, settings.max_file_bytes)
    folder = work_dir(settings) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    prune(folder)  # previews that were never confirmed
    prune(work_dir(settings) / "gradio")  # files uploaded to gradio but never reviewed or previewed
    dest = folder / f"{uuid.uuid4().hex}{src.suffix.lower()}"
    shutil.copyfile(src, dest)
    return Staged(dest, src.name)


def is_staged(path: str | Path, settings: Settings) -> bool:
    """Whether path is a staged upload of this server (what a confirm may add; nothing else)."""
    p = Path(path)
    return p.is_file() and p.parent == work_dir(settings) / "uploads"


def discard(path: str | Path | None, settings: Settings) -> None:
    """Delete a file gradio cached for an upload (and its per-upload folder) once it has been used. Only
    files inside the app's scratch folders: a path from anywhere else is not the app's to delete."""
    if not path:
        return
    p = Path(path).resolve()
    if web_root(settings).resolve() not in p.parents:
        return
    p.unlink(missing_ok=True)
    try:
        p.parent.rmdir()  # gradio keeps each upload in a folder of its own
    except OSError:
        pass


# --- bounded parse -------------------------------------------------------------------------------
def parse_bounded(staged: Staged, settings: Settings, task: str, title: str = ""):
    """kb.structure.parse_file (task "parse") or kb.ingest.read_text (task "text") in a limited child process."""
    request = {"task": task, "path": str(staged.path), "title": title, "max_bytes": settings.max_file_bytes,
               "memory_mb": PARSE_MEMORY_MB, "seconds": PARSE_SECONDS}
    package_parent = str(Path(__file__).resolve().parents[2])  # the child imports this same kb
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")]))}
    try:
        proc = subprocess.run([sys.executable, "-m", "kb.web.parse_worker"], input=pickle.dumps(request),
                              capture_output=True, timeout=PARSE_SECONDS, env=env)
    except subprocess.TimeoutExpired:
        raise errors.ContentTooLarge(staged.original_name, f"解析超过 {PARSE_SECONDS} 秒") from None
    if proc.returncode != 0 or not proc.stdout:
        log.warning("parse of %s ended with status %s: %s", staged.original_name, proc.returncode,
                    proc.stderr.decode(errors="replace")[-500:])
        raise errors.ContentTooLarge(staged.original_name, f"解析所需内存超过 {PARSE_MEMORY_MB} MB 或解析进程异常退出")
    status, payload = pickle.loads(proc.stdout)
    if status == "error":
        message, hint = (s.replace(staged.path.name, staged.original_name) for s in payload)
        raise errors.InputError(message, hint=hint or None)
    return payload


# --- downloads served from memory ----------------------------------------------------------------
@dataclass
class Download:
    owner: str
    filename: str
    data: bytes
    expires: float


class Downloads:
    """Review reports: held in this process's memory for their owner, handed out once, then forgotten.
    Nothing is written to disk, so there is nothing to clean up after a crash."""

    def __init__(self, keep_seconds: float = 900):
        self.keep = keep_seconds
        self._items: dict[str, Download] = {}
        self._lock = threading.Lock()

    def put(self, owner: str, filename: str, data: bytes) -> str:
        token = uuid.uuid4().hex
        now = time.time()
        with self._lock:
            self._items = {k: v for k, v in self._items.items() if v.expires > now}
            self._items[token] = Download(owner, filename, data, now + self.keep)
        return token

    def take(self, token: str, user: str | None) -> Download | None:
        """The download, removed from memory, if `user` owns it and it has not expired; else None."""
        with self._lock:
            item = self._items.get(token)
            if item is None or item.owner != user or item.expires < time.time():
                return None
            return self._items.pop(token)

    def __len__(self) -> int:
        return len(self._items)
