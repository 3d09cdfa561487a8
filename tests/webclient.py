"""A raw HTTP client for the web app, used the way an attacker (or a script) would: no browser, no gradio_client.

It logs in through the login form, uploads through /gradio_api/upload and calls any event — hidden ones
included — by posting its fn_index to /gradio_api/queue/join and reading the result from the SSE stream.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`kb serve` in a subprocess on a free loopback port."""

    def __init__(self, root: Path, env: dict | None = None, args: tuple[str, ...] = ()):
        self.root, self.port = root, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = root / "serve.log"
        full_env = {**os.environ, "KB_ROOT": str(root), "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **(env or {})}
        with open(self.log, "wb") as fh:
            self.proc = subprocess.Popen([sys.executable, "-m", "kb.cli", "serve", "--port", str(self.port), *args],
                                         cwd=root, env=full_env, stdout=fh, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 180) -> "Server":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}:\n{self.log.read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(self.url + "/login", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"server not ready:\n{self.log.read_text(errors='replace')[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Session:
    """One browser tab's worth of state: cookies and a gradio session hash."""

    def __init__(self, url: str, host: str | None = None):
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=60, headers={"Host": host} if host else None)
        self.session_hash = uuid.uuid4().hex[:11]
        self._fns: dict[str, int] | None = None

    def login(self, name: str, password: str) -> httpx.Response:
        return self.http.post("/login", data={"username": name, "password": password})

    def fn_index(self, api_name: str, config_from: "Session | None" = None) -> int:
        """The event's index, read from /config (an attacker without a session can read it from any session)."""
        if self._fns is None:
            config = (config_from or self).http.get("/config").json()
            self._fns = {d["api_name"]: d["id"] for d in config["dependencies"] if d.get("api_name")}
        return self._fns[api_name]

    def upload(self, path: Path) -> dict:
        res = self.http.post("/gradio_api/upload", files={"files": (path.name, path.read_bytes())})
        res.raise_for_status()
        return {"path": res.json()[0], "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}

    def call(self, fn_index: int, data: list) -> tuple[int, dict | None]:
        """(HTTP status of the join, the process_completed message or None when the join was refused)."""
        join = self.http.post("/gradio_api/queue/join", json={"data": data, "fn_index": fn_index, "event_data": None,
                                                              "session_hash": self.session_hash, "trigger_id": None})
        if join.status_code != 200:
            return join.status_code, None
        with self.http.stream("GET", "/gradio_api/queue/data", params={"session_hash": self.session_hash}) as stream:
            for line in stream.iter_lines():
                if line.startswith("data:"):
                    msg = json.loads(line[5:])
                    if msg.get("msg") == "process_completed":
                        return 200, msg
        return 200, None


def output(msg: dict | None) -> list:
    assert msg is not None and msg.get("success"), msg
    return msg["output"]["data"]


def refusal(msg: dict | None) -> str:
    """The error text of a refused event (gr.Error)."""
    assert msg is not None and msg.get("success") is False, msg
    return str(msg.get("output", {}).get("error") or msg.get("title") or msg)
