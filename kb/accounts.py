"""Accounts and roles of the web app, in <root>/state/accounts.json (passwords only as salted scrypt hashes).

viewer: ask, search, review, deadlines; editor: also add documents; admin: also remove documents, rebuild
indexes and manage users. The permission table below is the only place that says which role may do what;
the web layer asks `allowed(role, action)` for every event.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
import time
from dataclasses import asdict, dataclass

from kb import audit, errors
from kb.config import Settings
from kb.locking import ACCOUNTS, write_lock

ROLES = ("viewer", "editor", "admin")
ROLE_NAMES = {"viewer": "查看者", "editor": "编辑", "admin": "管理员"}
# action -> the lowest role allowed to do it; ACTION_NAMES words the refusal
PERMISSIONS = {"ask": "viewer", "search": "viewer", "review": "viewer", "deadlines": "viewer", "browse": "viewer",
               "add": "editor", "remove": "admin", "rebuild": "admin", "users": "admin", "audit": "admin"}
ACTION_NAMES = {"ask": "提问", "search": "检索", "review": "审查草案", "deadlines": "查看时限清单", "browse": "查看知识库",
                "add": "加入文件", "remove": "删除文件", "rebuild": "重建索引", "users": "管理账户", "audit": "查看审计日志"}
MIN_PASSWORD = 8
_NAME = re.compile(r"^[\w.@-]{1,32}$")
# scrypt cost: about 50 ms and 16 MB per check on one core, which also slows down password guessing
_N, _R, _P = 2 ** 14, 8, 1


def allowed(role: str | None, action: str) -> bool:
    """Whether `role` may do `action`; unknown actions and roles are refused."""
    need = PERMISSIONS.get(action)
    return role in ROLES and need is not None and ROLES.index(role) >= ROLES.index(need)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def check_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


_DUMMY_HASH = hash_password(secrets.token_hex(8))  # checked for unknown names, so timing does not reveal them


@dataclass
class Account:
    name: str
    role: str
    password_hash: str
    created: str
    password_changed: float  # epoch seconds; sessions opened before it are no longer valid

    def to_json(self) -> dict:  # never the hash
        return {"name": self.name, "role": self.role, "role_name": ROLE_NAMES[self.role], "created": self.created}


class Accounts:
    """The account file of one project root. Reads are cached by the file's stamp (the caller owns the object)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.path = settings.state_dir / "accounts.json"
        self._stamp: tuple | None = None
        self._cache: dict[str, Account] = {}

    # --- reading -----------------------------------------------------------------------------------------------
    def _load(self) -> dict[str, Account]:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self._stamp, self._cache = None, {}
            return {}
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if stamp != self._stamp:
            rows = json.loads(self.path.read_text(encoding="utf-8")).get("accounts", [])
            self._cache = {r["name"]: Account(**r) for r in rows}
            self._stamp = stamp
        return self._cache

    def all(self) -> list[Account]:
        return sorted(self._load().values(), key=lambda a: (-ROLES.index(a.role), a.name))

    def any(self) -> bool:
        return bool(self._load())

    def get(self, name: str) -> Account | None:
        return self._load().get(name)

    def require(self, name: str) -> Account:
        """The account, or the Chinese "no such account" error."""
        return _existing(self._load(), name)

    def verify(self, name: str, password: str) -> Account | None:
        """The account when the password matches; None otherwise (same work either way)."""
        account = self.get(name)
        ok = check_password(password, account.password_hash if account else _DUMMY_HASH)
        return account if ok and account else None

    # --- changes (under the accounts lock, each audited) ----------------------------------------------------------
    def add(self, name: str, role: str, password: str, actor: audit.Actor) -> Account:
        name = (name or "").strip()
        if not _NAME.match(name):
            raise errors.AccountError(f"用户名不可用：{name or '（空）'}", hint="用户名 1–32 个字符，可用汉字、字母、数字和 . _ - @")
        check_role(role)
        _check_password(password, name)
        with write_lock(self.settings, ACCOUNTS, f"添加账户 {name}"):
            accounts = dict(self._load())
            if name in accounts:
                raise errors.AccountError(f"账户已存在：{name}", hint="修改密码请用 kb users passwd")
            now = time.time()
            accounts[name] = Account(name, role, hash_password(password), time.strftime("%Y-%m-%d %H:%M:%S"), now)
            self._save(accounts)
            audit.record(self.settings, audit.USER_ADD, actor, account=name, role=role)
        return accounts[name]

    def set_password(self, name: str, password: str, actor: audit.Actor) -> Account:
        _check_password(password, name)
        with write_lock(self.settings, ACCOUNTS, f"修改密码 {name}"):
            accounts = dict(self._load())
            account = _existing(accounts, name)
            account.password_hash, account.password_changed = hash_password(password), time.time()
            self._save(accounts)
            audit.record(self.settings, audit.USER_PASSWD, actor, account=name)
        return account

    def remove(self, name: str, actor: audit.Actor) -> Account:
        with write_lock(self.settings, ACCOUNTS, f"删除账户 {name}"):
            accounts = dict(self._load())
            account = _existing(accounts, name)
            admins = [a for a in accounts.values() if a.role == "admin"]
            if account.role == "admin" and admins == [account] and len(accounts) > 1:
                raise errors.AccountError(f"不能删除最后一个管理员：{name}", hint="请先添加另一个管理员账户")
            del accounts[name]
            self._save(accounts)
            audit.record(self.settings, audit.USER_REMOVE, actor, account=name, role=account.role)
        return account

    def _save(self, accounts: dict[str, Account]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"accounts": [asdict(a) for a in accounts.values()]}, ensure_ascii=False, indent=1)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".accounts-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:  # mkstemp files are 0600: hashes stay private
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        self._stamp = None


def _existing(accounts: dict[str, Account], name: str) -> Account:
    if name not in accounts:
        raise errors.AccountError(f"没有这个账户：{name}", hint="用 kb users list 查看已有账户")
    return accounts[name]


def check_role(role: str) -> None:
    if role not in ROLES:
        raise errors.AccountError(f"未知的角色：{role}", hint="可选：viewer（查看者）、editor（编辑）、admin（管理员）")


def _check_password(password: str, name: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise errors.AccountError(f"密码太短：至少 {MIN_PASSWORD} 个字符", hint="请使用不易猜到的较长密码")
    if password == name:
        raise errors.AccountError("密码不能与用户名相同", hint="请使用不易猜到的较长密码")

