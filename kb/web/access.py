"""Who may use the web app: login, sessions, roles, the Host check and the failed-login rate limit.

Without any account the app is a single-user tool on this machine: everyone is LOCAL_USER with every
right (and `kb serve` refuses a non-loopback address). A server bound to a network address is `shared` for its
whole life: should its last account be removed while it runs, every request is refused, never made local. Once an account exists, every request needs a
session: gradio's own routes ask `gradio_user` (its auth_dependency), so raw /gradio_api calls without a
session get 401, and every event asks `authorize` for the role its action needs (kb.accounts.PERMISSIONS)
on the server, whatever the page shows. Sessions live in this object's memory; each use re-reads the
account, so a removed account or a changed password ends its sessions at once.
"""
from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, RedirectResponse

from kb import audit, errors
from kb.accounts import ACTION_NAMES, ROLE_NAMES, Accounts, Account, allowed
from kb.config import Settings

COOKIE = "kb_session"
LOCAL_USER = "(本机)"  # not a valid account name (kb.accounts._NAME), so no account can pose as it
IDLE_SECONDS = 2 * 3600
MAX_SECONDS = 12 * 3600
# failed logins allowed within FAILURE_WINDOW, per user name and per client address (higher: an office behind
# one NAT address shares it, and one person's typos must not lock everyone out)
MAX_FAILURES = {"user": 5, "ip": 20}
FAILURE_WINDOW = 15 * 60


@dataclass
class Session:
    user: str
    address: str
    created: float
    seen: float


class Access:
    """Accounts, sessions and login throttling of one running app (owned by the server, not global)."""

    def __init__(self, settings: Settings, shared: bool = False):
        self.settings = settings
        self.shared = shared  # bound to a network address: there is no local mode, whatever the accounts
        self.accounts = Accounts(settings)
        self._sessions: dict[str, Session] = {}
        self._failures: dict[str, deque] = {}
        self._lock = threading.Lock()

    # --- login ---------------------------------------------------------------------------------------------------
    def login(self, name: str, password: str, address: str) -> str:
        """A new session token; LoginRefused (with the audit record written) otherwise."""
        name = (name or "").strip()[:64]  # whatever an attacker types ends up in the audit log: bounded
        actor = audit.Actor(name or "（空）", "web", address)
        wait = self._blocked_for(address, name)
        if wait:
            audit.record(self.settings, audit.LOGIN_BLOCKED, actor)
            raise LoginRefused(f"登录失败次数过多，请 {wait // 60 + 1} 分钟后再试", status=429)
        account = self.accounts.verify(name, password or "")
        if account is None:
            self._fail(address, name)
            audit.record(self.settings, audit.LOGIN_FAILED, actor)
            raise LoginRefused("用户名或密码错误", status=401)
        token, now = secrets.token_urlsafe(32), time.time()
        with self._lock:
            self._sessions = {t: s for t, s in self._sessions.items() if now - s.seen < IDLE_SECONDS}
            self._sessions[token] = Session(account.name, address, now, now)
        audit.record(self.settings, audit.LOGIN, actor, role=account.role)
        return token

    def logout(self, token: str | None, address: str) -> None:
        with self._lock:
            session = self._sessions.pop(token or "", None)
        if session:
            audit.record(self.settings, audit.LOGOUT, audit.Actor(session.user, "web", address))

    def _blocked_for(self, address: str, name: str) -> int:
        """Seconds until this address or name may try again (0: may try now)."""
        now = time.time()
        with self._lock:
            waits = []
            for kind, key in (("ip", f"ip:{address}"), ("user", f"user:{name}")):
                recent = self._failures.get(key, deque())
                while recent and recent[0] < now - FAILURE_WINDOW:
                    recent.popleft()
                if len(recent) >= MAX_FAILURES[kind]:
                    waits.append(int(recent[0] + FAILURE_WINDOW - now))
            return max(waits, default=0)

    def _fail(self, address: str, name: str) -> None:
        now = time.time()
        with self._lock:
            if len(self._failures) > 10_000:  # guessing many names must not grow this without bound
                self._failures = {k: q for k, q in self._failures.items() if q and q[-1] > now - FAILURE_WINDOW}
            for key in (f"ip:{address}", f"user:{name}"):
                self._failures.setdefault(key, deque()).append(now)

    # --- who is calling ------------------------------------------------------------------------------------------
    def local_mode(self) -> bool:
        return not self.shared and not self.accounts.any()

    def session_user(self, token: str | None) -> Account | None:
        """The account behind a live session token, or None (expired, unknown, account gone, password changed)."""
        now = time.time()
        with self._lock:
            session = self._sessions.get(token or "")
            if session is None:
                return None
            account = self.accounts.get(session.user)
            stale = (now - session.seen > IDLE_SECONDS or now - session.created > MAX_SECONDS
                     or account is None or account.password_changed > session.created)
            if stale:
                del self._sessions[token]
                return None
            session.seen = now
            return account

    def gradio_user(self, request) -> str | None:
        """gradio's auth_dependency: the user name of the request, None = 401 on every gradio route."""
        if self.local_mode():
            return LOCAL_USER
        account = self.session_user(request.cookies.get(COOKIE))
        return account.name if account else None

    def role(self, user: str | None) -> str | None:
        if self.local_mode():
            return "admin" if user == LOCAL_USER else None
        account = self.accounts.get(user or "") if user != LOCAL_USER else None
        return account.role if account else None

    def authorize(self, user: str | None, action: str) -> str:
        """The caller's role if it may do `action`; NotLoggedIn / PermissionDenied otherwise."""
        role = self.role(user)
        if role is None:
            raise errors.NotLoggedIn()
        if not allowed(role, action):
            raise errors.PermissionDenied(ACTION_NAMES.get(action, action), ROLE_NAMES.get(role, role))
        return role


class LoginRefused(errors.KBError):
    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def client_address(scope_or_request) -> str:
    client = getattr(scope_or_request, "client", None)
    return client.host if client else ""


# --- the gate in front of everything -------------------------------------------------------------------------------
def host_of(header: str) -> str:
    """"kb.office.lan:7860" → "kb.office.lan"; "[::1]:7860" → "::1"."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class Gate:
    """ASGI middleware: refuse a Host that is not ours (DNS rebinding), send page loads without a session to
    the login form. It sits outside gradio, so it sees every request, including raw API calls."""

    def __init__(self, app, access: Access, allowed_hosts: set[str], login_path: str = "/login"):
        self.app, self.access, self.allowed, self.login_path = app, access, allowed_hosts, login_path

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        host = host_of(headers.get("host", ""))
        if host not in self.allowed:
            body = f"访问地址 {host or '（空）'} 不在允许的列表中。管理员可用 kb serve --allowed-host {host or '主机名'} 添加。"
            return await PlainTextResponse(body, status_code=400)(scope, receive, send)
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == "/" and not self._signed_in(headers):
            return await RedirectResponse(self.login_path, status_code=303)(scope, receive, send)
        return await self.app(scope, receive, send)

    def _signed_in(self, headers: Headers) -> bool:
        if self.access.local_mode():
            return True
        from starlette.requests import cookie_parser  # the parser Request.cookies uses: lenient with junk

        return self.access.session_user(cookie_parser(headers.get("cookie", "")).get(COOKIE)) is not None
