"""Loopback load check of the web app: N logged-in users asking questions for T seconds.

Builds a private project root (a copy of corpus/ and the built indexes of KB_ROOT or the checkout), creates
one viewer account per user, starts `kb serve` on a free 127.0.0.1 port, and lets every user log in through
the login form and then call the event the page calls (POST /gradio_api/queue/join, result read from the SSE
stream /gradio_api/queue/data), one request after another, like one browser tab each. Reports requests,
errors (a failed call, or an error box in the answer; must be 0), p50/p95/max latency and the load average
of the machine (client and server share it); and the cold start: from `kb serve` to the login page, and to the
first answer (target ≤ 6 s). Writes eval/out/bench_app_<endpoint>_<users>u.json.

    .venv/bin/python eval/bench_app.py [--users 20] [--seconds 60] [--endpoint ask|search]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
QUESTIONS = [
    "企业开办要在多长时间内完成？",
    "机关、事业单位向中小企业支付货款的期限是多久？",
    "政策措施起草单位应当在什么时候进行公平竞争审查？",
    "行政许可申请受理后多少日内作出决定？",
    "永济市如何推进一网通办？",
    "不动产登记要多少个工作日办结？",
    "政府采购中可以限定供应商所在地吗？",
    "外商投资企业享受国民待遇吗？",
    "行政处罚的追责时效是多久？",
    "招标文件发出到投标截止至少多少天？",
]
ERROR_MARKERS = ("kb-error", "系统内部错误", "尚未安装或正在更新")
PASSWORD = "bench-password-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def private_root(users: int) -> Path:
    """corpus/ and indexes/ of the source root in a temp folder, with `users` viewer accounts."""
    from kb.accounts import Accounts
    from kb.audit import Actor
    from kb.config import get_settings

    source = get_settings()
    root = Path(tempfile.mkdtemp(prefix="bench-app-"))
    shutil.copytree(source.corpus_dir, root / "corpus")
    shutil.copytree(source.index_dir, root / "indexes", ignore=shutil.ignore_patterns("library", ".*"))
    accounts = Accounts(get_settings(root))
    for n in range(users):
        accounts.add(f"user{n}", "viewer", PASSWORD, Actor("bench_app", "cli"))
    return root


def start_app(root: Path, port: int, log_path: Path) -> subprocess.Popen:
    env = {**os.environ, "KB_ROOT": str(root), "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "kb.cli", "serve", "--port", str(port)], cwd=root, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"app exited early:\n{log_path.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=5).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("app did not start within 180 s")


class Tab:
    """One logged-in browser tab: a session cookie and a gradio session hash."""

    def __init__(self, url: str, user: str, endpoint: str):
        self.http = httpx.Client(base_url=url, timeout=120)
        res = self.http.post("/login", data={"username": user, "password": PASSWORD})
        if res.status_code != 303:
            raise RuntimeError(f"login of {user} failed: {res.status_code}")
        config = self.http.get("/config").json()
        self.fn = next(d["id"] for d in config["dependencies"] if d.get("api_name") == endpoint)
        self.session_hash = uuid.uuid4().hex[:11]

    def call(self, data: list) -> str:
        join = self.http.post("/gradio_api/queue/join", json={"data": data, "fn_index": self.fn, "event_data": None,
                                                              "session_hash": self.session_hash, "trigger_id": None})
        join.raise_for_status()
        with self.http.stream("GET", "/gradio_api/queue/data", params={"session_hash": self.session_hash}) as stream:
            for line in stream.iter_lines():
                if line.startswith("data:"):
                    msg = json.loads(line[5:])
                    if msg.get("msg") == "process_completed":
                        if not msg.get("success"):
                            raise RuntimeError(str(msg.get("output")))
                        return str(msg["output"]["data"][0])
        raise RuntimeError("stream ended without a result")


def user(tab: "Tab", n: int, endpoint: str, stop_at: float, latencies: list, errors: list, lock) -> None:
    i = n
    while time.monotonic() < stop_at:
        question = QUESTIONS[i % len(QUESTIONS)]
        i += 1
        args = [question] if endpoint == "ask" else [question, "混合", "", "默认知识库"]
        t0 = time.perf_counter()
        try:
            html = tab.call(args)
            failed = any(m in html for m in ERROR_MARKERS)
        except Exception as exc:  # noqa: BLE001 - every failure is counted, none may happen
            html, failed = repr(exc), True
        elapsed = time.perf_counter() - t0
        with lock:
            latencies.append(elapsed)
            if failed:
                errors.append(f"{question}: {html[:200]}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (to tell the server's share of the machine from the clients')."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--endpoint", choices=("ask", "search"), default="ask")
    args = parser.parse_args(argv)

    root = private_root(args.users)
    port = free_port()
    log_path = root / "serve.log"
    t_start = time.perf_counter()
    proc = start_app(root, port, log_path)
    startup = time.perf_counter() - t_start
    Tab(f"http://127.0.0.1:{port}", "user0", "ask").call([QUESTIONS[0]])  # the first user's first answer
    first_answer = time.perf_counter() - t_start
    latencies: list[float] = []
    errors: list[str] = []
    loads: list[float] = []
    lock = threading.Lock()
    tabs = {}
    for n in range(args.users):  # every user logs in first: a failed login is an error, and scrypt is not timed
        try:
            tabs[n] = Tab(f"http://127.0.0.1:{port}", f"user{n}", args.endpoint)
        except Exception as exc:  # noqa: BLE001
            errors.append(f"user{n} could not log in: {exc!r}")
    cpu_start = cpu_seconds(proc.pid)
    try:
        stop_at = time.monotonic() + args.seconds
        threads = [threading.Thread(target=user, args=(tab, n, args.endpoint, stop_at, latencies, errors, lock))
                   for n, tab in tabs.items()]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            loads.append(os.getloadavg()[0])
            time.sleep(1)
        for t in threads:
            t.join()
        server_cpu = cpu_seconds(proc.pid) - cpu_start
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    result = {
        "endpoint": args.endpoint, "users": args.users, "seconds": args.seconds, "startup_s": round(startup, 1),
        "first_answer_s": round(first_answer, 1),
        "requests": len(latencies), "errors": len(errors), "throughput_rps": round(len(latencies) / args.seconds, 2),
        "p50_s": round(percentile(latencies, 50), 3), "p95_s": round(percentile(latencies, 95), 3),
        "max_s": round(max(latencies), 3) if latencies else None,
        "load_average_1min_end": round(os.getloadavg()[0], 2), "load_average_1min_max": round(max(loads, default=0), 2),
        "cpus": os.cpu_count(), "server_cpu_ms_per_request": round(1000 * server_cpu / max(len(latencies), 1), 1),
        "error_samples": errors[:5],
    }
    shutil.rmtree(root, ignore_errors=True)
    out = ROOT / "eval" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"bench_app_{args.endpoint}_{args.users}u.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 1 if errors or not latencies else 0


if __name__ == "__main__":
    sys.exit(main())
