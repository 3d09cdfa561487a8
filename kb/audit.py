"""The audit trail: an append-only JSONL file, <root>/state/audit.jsonl, one fsynced line per event.

Who (account or OS user), when, from where (client address; "本机" for the command line) and what (document
id, title, content hash, …). Reviews record that they happened and their size, never the draft's text.
Lines are appended under an flock of the file itself, so concurrent writers never interleave.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import getpass
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from kb import errors
from kb.config import Settings

LOCAL = "本机"

# event names (stable: scripts filter `kb audit --json` on them)
LOGIN, LOGIN_FAILED, LOGIN_BLOCKED, LOGOUT = "login", "login_failed", "login_blocked", "logout"
CORPUS_ADD, CORPUS_REMOVE = "corpus.add", "corpus.remove"
INDEX_BUILD, INDEX_CHECK = "index.build", "index.check"
USER_ADD, USER_PASSWD, USER_REMOVE = "user.add", "user.passwd", "user.remove"
REVIEW = "review"


@dataclass(frozen=True)
class Actor:
    """Who does something: an account of the web app, or the OS user at the command line."""

    user: str
    via: str  # "cli" | "web"
    address: str = LOCAL

    @classmethod
    def cli(cls) -> "Actor":
        try:
            name = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry in some containers
            name = str(os.getuid())
        return cls(name, "cli", LOCAL)


@dataclass
class Record:
    time: str
    event: str
    user: str
    via: str
    address: str
    details: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"time": self.time, "event": self.event, "user": self.user, "via": self.via,
                "address": self.address, **self.details}


def log_path(settings: Settings) -> Path:
    return settings.state_dir / "audit.jsonl"


def record(settings: Settings, event: str, actor: Actor, **details) -> Record:
    """Append one event and fsync it before returning (an event the caller reported is on disk)."""
    now = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    rec = Record(now, event, actor.user, actor.via, actor.address, details)
    path = log_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(rec.to_json(), ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    return rec


def read(settings: Settings, since: dt.datetime | None = None) -> list[Record]:
    """Every record (oldest first), or those at or after `since`; a damaged line is skipped, not fatal."""
    path = log_path(settings)
    if not path.exists():
        return []
    out = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                row = json.loads(line)
                when = dt.datetime.fromisoformat(row["time"])
            except (ValueError, KeyError, TypeError):
                continue
            if since is not None and when < since:
                continue
            base = {k: row.pop(k, "") for k in ("time", "event", "user", "via", "address")}
            out.append(Record(**base, details=row))
    return out


def parse_since(text: str) -> dt.datetime:
    """"2024-06-01", "2024-06-01T09:00" or "7d" / "12h" (that long ago) → an aware datetime; InputError otherwise."""
    text = (text or "").strip()
    now = dt.datetime.now().astimezone()
    if text[:-1].isdigit() and text[-1:] in ("d", "h"):
        return now - dt.timedelta(**{"days" if text[-1] == "d" else "hours": int(text[:-1])})
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise errors.InputError(f"无法识别的时间：{text or '（空）'}",
                                hint="请写成 2024-06-01、2024-06-01T09:00，或 7d（最近 7 天）、12h（最近 12 小时）") from None
    return when if when.tzinfo else when.astimezone()
