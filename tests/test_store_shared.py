"""Two processes on one Milvus (a `milvus-lite server`, as several app servers would share a Milvus server): a
document added through one is found by a search in the other — no restart, through the store's generation."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import CORPUS, NEW_LAW, ROOT, SHARED_CACHE

MILVUS_LITE = Path(sys.executable).parent / "milvus-lite"
# A second app server: answers one query per stdin line with the document ids of its top hits.
SEARCHER = """
import json, sys
from kb.retrieve import get_retriever
for line in sys.stdin:
    hits = get_retriever().search(line.strip(), k=3)
    print(json.dumps([h.chunk.doc_id for h in hits]), flush=True)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def milvus_server(tmp_path):
    port = _free_port()
    proc = subprocess.Popen([str(MILVUS_LITE), "server", "--data-dir", str(tmp_path / "milvus"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, "milvus-lite server did not start"
            time.sleep(0.2)
    yield f"milvus://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=30)


def test_a_document_added_by_one_process_is_found_by_another(milvus_server, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(CORPUS, root / "corpus")
    env = {**os.environ, "KB_ROOT": str(root), "KB_STORE": milvus_server, "KB_CACHE_DIR": str(SHARED_CACHE),
           "PYTHONPATH": str(ROOT)}

    def kb(*args):
        out = subprocess.run([sys.executable, "-m", "kb.cli", *args], capture_output=True, text=True, env=env,
                             cwd=root, timeout=600)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    assert kb("index", "build", "--json")["chunks"] > 1500
    searcher = subprocess.Popen([sys.executable, "-c", SEARCHER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True, env=env, cwd=root)
    try:
        def ask(q):
            searcher.stdin.write(q + "\n")
            searcher.stdin.flush()
            return json.loads(searcher.stdout.readline())

        assert ask("公平竞争审查条例第八条")[0] == "gpjzsc-2024"
        law = tmp_path / "鲲鹏数字营业执照试点办法.md"
        law.write_text(NEW_LAW, encoding="utf-8")
        added = kb("corpus", "add", str(law), "--json")  # the other process writes
        assert added["indexed"]
        assert ask("鲲鹏数字营业执照")[0] == added["id"]  # found without restarting the searcher
    finally:
        searcher.stdin.close()
        searcher.wait(timeout=30)


def test_a_milvus_lite_file_built_by_one_process_is_searched_by_the_next(tmp_path):
    """A Lite file is opened by one process at a time; collections reopened from disk start released."""
    root = tmp_path / "root"
    shutil.copytree(CORPUS, root / "corpus")
    env = {**os.environ, "KB_ROOT": str(root), "KB_CACHE_DIR": str(SHARED_CACHE), "PYTHONPATH": str(ROOT)}
    store = f"milvus://{tmp_path / 'lite' / 'kb.db'}"

    def kb(*args):
        out = subprocess.run([sys.executable, "-m", "kb.cli", "--store", store, *args], capture_output=True,
                             text=True, env=env, cwd=root, timeout=600)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    assert kb("index", "build", "--json")["chunks"] > 1500
    hits = kb("search", "公平竞争审查条例第八条", "--json", "-k", "1")
    assert (hits[0]["doc_id"], hits[0]["label"]) == ("gpjzsc-2024", "第八条")
    assert kb("ask", "企业开办要在多长时间内完成？", "--json")["citations"][0]["doc_id"] == "yj-plan-2022"
