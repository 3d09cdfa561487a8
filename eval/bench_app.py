"""Bounded loopback load check of the web app: N simulated users asking questions for T seconds.

Starts `app.py` on a free 127.0.0.1 port (against KB_ROOT or the checkout), drives the gradio API with
gradio_client (one client per user, like one browser tab each), stops the app, and reports requests, errors
(exceptions or an error box in the answer; must be 0) and p50/p95/max latency. Writes eval/out/bench_app.json.

    .venv/bin/python eval/bench_app.py [--users 20] [--seconds 60] [--endpoint ask|search]
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(port: int, log_path: Path) -> subprocess.Popen:
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--host", "127.0.0.1", "--port", str(port)],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"app exited early:\n{log_path.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
                if resp.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("app did not start within 180 s")


def user(url: str, endpoint: str, stop_at: float, seed: int, latencies: list, errors: list, lock) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False)
    i = seed
    while time.monotonic() < stop_at:
        question = QUESTIONS[i % len(QUESTIONS)]
        i += 1
        args = (question,) if endpoint == "ask" else (question, "混合", "", "默认知识库")
        t0 = time.perf_counter()
        try:
            html = client.predict(*args, api_name=f"/{endpoint}")
            failed = any(m in str(html) for m in ERROR_MARKERS)
        except Exception as exc:  # noqa: BLE001 - every failure is counted, none may happen
            html, failed = repr(exc), True
        elapsed = time.perf_counter() - t0
        with lock:
            latencies.append(elapsed)
            if failed:
                errors.append(f"{question}: {str(html)[:200]}")


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

    port = free_port()
    log_path = Path(tempfile.mkstemp(prefix="bench-app-", suffix=".log")[1])
    t_start = time.perf_counter()
    proc = start_app(port, log_path)
    startup = time.perf_counter() - t_start
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    try:
        stop_at = time.monotonic() + args.seconds
        threads = [threading.Thread(target=user, args=(f"http://127.0.0.1:{port}/", args.endpoint, stop_at, n,
                                                       latencies, errors, lock)) for n in range(args.users)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    result = {
        "endpoint": args.endpoint, "users": args.users, "seconds": args.seconds, "startup_s": round(startup, 1),
        "requests": len(latencies), "errors": len(errors), "throughput_rps": round(len(latencies) / args.seconds, 2),
        "p50_s": round(percentile(latencies, 50), 3), "p95_s": round(percentile(latencies, 95), 3),
        "max_s": round(max(latencies), 3) if latencies else None, "error_samples": errors[:5], "app_log": str(log_path),
    }
    out = ROOT / "eval" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"bench_app_{args.endpoint}_{args.users}u.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 1 if errors or not latencies else 0


if __name__ == "__main__":
    sys.exit(main())
