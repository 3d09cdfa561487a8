"""One writer at a time, across processes: an fcntl lock file per resource under <root>/state/locks/.

Every write of the manifest, the corpus files and the default index (CLI and web alike) runs inside
`write_lock(settings)`. A writer that finds the lock taken is told who holds it (on_wait) and then waits;
it never fails for being second. flock locks belong to an open file description, so two threads of one
process exclude each other exactly like two processes do. The kernel drops the lock when its holder dies,
so a killed writer never leaves the lock stuck.
"""
from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kb.config import Settings

CORPUS = "corpus"  # manifest + corpus files + the default index
LIBRARY = "library"  # the national-law collection (its own files, written only by `kb library import`)
ACCOUNTS = "accounts"


@dataclass(frozen=True)
class Holder:
    """Who holds a lock: shown to the writer that waits for it."""

    pid: int
    what: str
    since: str

    def describe(self) -> str:
        return f"{self.what or '写入'}（进程 {self.pid}，开始于 {self.since}）"


def lock_path(settings: Settings, name: str = CORPUS) -> Path:
    return settings.state_dir / "locks" / f"{name}.lock"


@contextmanager
def write_lock(settings: Settings, name: str = CORPUS, what: str = "",
               on_wait: Callable[[Holder | None], None] | None = None) -> Iterator[None]:
    """Hold the named lock for the block; waits (after calling on_wait once) while another writer has it."""
    path = lock_path(settings, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait(_read_holder(path))
            fcntl.flock(fd, fcntl.LOCK_EX)
        note = {"pid": os.getpid(), "what": what, "since": time.strftime("%Y-%m-%d %H:%M:%S")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(note, ensure_ascii=False).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)  # the note describes a live holder only
    finally:
        os.close(fd)  # releases the lock


def holder(settings: Settings, name: str = CORPUS) -> Holder | None:
    """The current holder of the lock, or None when it is free."""
    path = lock_path(settings, name)
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _read_holder(path) or Holder(0, "", "")
    finally:
        os.close(fd)
    return None


def _read_holder(path: Path) -> Holder | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "null")
    except (OSError, ValueError):
        return None
    return Holder(int(data.get("pid", 0)), str(data.get("what", "")), str(data.get("since", ""))) if data else None


def pid_alive(pid: int) -> bool:
    """Whether a process runs: a temp folder named after a dead one is what a killed writer left behind."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True
