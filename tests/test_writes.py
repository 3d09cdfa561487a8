"""Corpus writes from several processes at once, `kb index check`, the audit trail and `kb users`, via the CLI."""
from __future__ import annotations

import dataclasses
import datetime
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kb import audit, locking
from kb.accounts import Accounts, allowed
from kb.config import get_settings
from kb.corpus import Corpus

from conftest import policy

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def kb(root: Path, model: str, *args: str, stdin: str | None = None, **kw) -> subprocess.Popen:
    """`kb ARGS` as a user runs it: a separate process on the given project root."""
    env = {**os.environ, "KB_ROOT": str(root), "KB_EMBED_MODEL": model, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "kb.cli", *args], env=env, cwd=root, text=True,
                            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def run(root: Path, model: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    proc = kb(root, model, *args, stdin=stdin)
    out, err = proc.communicate(stdin, timeout=300)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.fixture(scope="module")
def built_root(tmp_path_factory, tiny_model):
    root = tmp_path_factory.mktemp("built")
    shutil.copytree(ROOT / "corpus", root / "corpus")
    from kb.index.build import build_index

    build_index(dataclasses.replace(get_settings(root), embed_model=tiny_model), progress=False)
    return root


@pytest.fixture
def root(built_root, tmp_path):
    """A private, already indexed project root per test."""
    dest = tmp_path / "root"
    shutil.copytree(built_root, dest)
    return dest


def indexed_ids(root: Path) -> set[str]:
    from kb.index.store import open_store

    return set(open_store(get_settings(root)).documents())


def found(root: Path, model: str, query: str, title: str) -> bool:
    """Searchable: the hybrid search of the index on disk finds the document (in-process, to stay fast)."""
    from kb.retrieve import get_retriever

    retriever = get_retriever(dataclasses.replace(get_settings(root), embed_model=model))
    return any(h.chunk.doc_title == title for h in retriever.search(query, k=5))


def manifest_titles(root: Path) -> dict[str, str]:
    return {e.title: e.id for e in Corpus(get_settings(root)).entries()}


def test_two_cli_adds_at_once_keep_both(root, tiny_model, tmp_path):
    a, b = policy(tmp_path, "甲市灯笼办法", "灯笼"), policy(tmp_path, "乙市风筝办法", "风筝")
    procs = [kb(root, tiny_model, "corpus", "add", str(p), "--json") for p in (a, b)]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert all(json.loads(out)["indexed"] for out, _ in results)
    titles = manifest_titles(root)
    assert {"甲市灯笼办法", "乙市风筝办法"} <= set(titles)
    assert {titles["甲市灯笼办法"], titles["乙市风筝办法"]} <= indexed_ids(root)
    assert found(root, tiny_model, "灯笼企业补贴", "甲市灯笼办法")
    assert found(root, tiny_model, "风筝企业补贴", "乙市风筝办法")
    assert sorted(os.listdir(root / "corpus" / "user")) == sorted(f"{titles[t]}.md" for t in ("甲市灯笼办法", "乙市风筝办法"))
    from kb.hashing import file_hash

    adds = {r.details["title"]: r for r in audit.read(get_settings(root)) if r.event == audit.CORPUS_ADD}
    for src in (a, b):  # who, from where, what
        rec = adds[src.stem]
        assert (rec.details["doc_id"], rec.details["sha256"]) == (titles[src.stem], file_hash(src))
        assert rec.via == "cli" and rec.address == "本机" and rec.user and rec.time


def test_add_during_build_waits_and_lands_in_the_index(root, tiny_model, tmp_path):
    settings = get_settings(root)
    leftover = root / "indexes" / "default" / ".g9.tmp-999999"  # what a killed build leaves (no such process)
    leftover.mkdir()
    (leftover / "chunks.jsonl").write_text("{}", encoding="utf-8")
    build = kb(root, tiny_model, "index", "build", "--json")
    deadline = time.monotonic() + 60
    while locking.holder(settings) is None:  # start the add only once the build holds the lock
        assert build.poll() is None and time.monotonic() < deadline, "build never took the lock"
        time.sleep(0.01)
    add = run(root, tiny_model, "corpus", "add", str(policy(tmp_path, "丙市剪纸办法", "剪纸")), "--json")
    build_out, build_err = build.communicate(timeout=300)
    assert build.returncode == 0 and add.returncode == 0, (build_err, add.stderr)
    assert json.loads(build_out)["leftovers_removed"] == [".g9.tmp-999999"] and not leftover.exists()
    assert [r.event for r in audit.read(settings)] == [audit.INDEX_BUILD, audit.CORPUS_ADD]
    assert "等待中" in add.stderr  # it said why it waited
    doc_id = json.loads(add.stdout)["id"]
    assert json.loads(add.stdout)["indexed"] and doc_id in indexed_ids(root)
    assert found(root, tiny_model, "剪纸企业补贴", "丙市剪纸办法")


def test_index_check_repairs_a_document_listed_but_not_indexed(root, tiny_model, tmp_path):
    settings = get_settings(root)
    # what a `kb corpus add` killed right after the manifest write leaves behind
    entry, _ = Corpus(settings).add(policy(tmp_path, "丁市刺绣办法", "刺绣"))
    (root / "corpus" / "user" / "doc-orphan.md").write_text("第一条 孤立。", encoding="utf-8")
    listing = run(root, tiny_model, "corpus", "list", "--json")
    assert listing.returncode == 0 and "kb index check" in listing.stderr
    assert {r["id"]: r["indexed"] for r in json.loads(listing.stdout)}[entry.id] is False
    assert not found(root, tiny_model, "刺绣企业补贴", "丁市刺绣办法")

    dry = run(root, tiny_model, "index", "check", "--no-repair", "--json")
    assert dry.returncode == 1 and json.loads(dry.stdout)["unindexed"] == [entry.id]  # reported, left alone
    assert (root / "corpus/user/doc-orphan.md").exists() and entry.id not in indexed_ids(root)
    res = run(root, tiny_model, "index", "check", "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["unindexed"] == [entry.id] and report["repaired"] is True
    assert report["orphans"] == ["user/doc-orphan.md"] and not (root / "corpus/user/doc-orphan.md").exists()
    assert (Path(report["orphans_moved_to"]) / "doc-orphan.md").exists()  # moved aside, not deleted
    assert entry.id in indexed_ids(root) and found(root, tiny_model, "刺绣企业补贴", "丁市刺绣办法")
    again = json.loads(run(root, tiny_model, "index", "check", "--json").stdout)
    assert again["ok"] is True and again["unindexed"] == [] and again["orphans"] == []
    assert any(r.event == audit.INDEX_CHECK and r.details["unindexed"] == [entry.id] for r in audit.read(settings))


def test_users_commands_store_only_salted_hashes_and_audit(root, tiny_model):
    secret = "correct horse battery"
    res = run(root, tiny_model, "users", "add", "张三", "--role", "editor", "--password-stdin", "--json", stdin=secret + "\n")
    assert res.returncode == 0, res.stderr
    shown = json.loads(res.stdout)
    assert {k: v for k, v in shown.items() if k != "created"} == {"name": "张三", "role": "editor", "role_name": "编辑"}
    assert abs(time.time() - datetime.datetime.fromisoformat(shown["created"]).timestamp()) < 600
    stored = (root / "state" / "accounts.json").read_text(encoding="utf-8")
    assert secret not in stored and "scrypt$" in stored
    assert oct((root / "state" / "accounts.json").stat().st_mode & 0o777) == "0o600"
    accounts = Accounts(get_settings(root))
    assert accounts.verify("张三", secret) is not None and accounts.verify("张三", "wrong password") is None
    # bad input: Chinese message, exit 2, nothing written
    for args, stdin in ((("users", "add", "李四", "--role", "boss", "--password-stdin"), secret),
                        (("users", "add", "李四", "--role", "viewer", "--password-stdin"), "short"),
                        (("users", "add", "张三", "--role", "viewer", "--password-stdin"), secret),
                        (("users", "passwd", "王五", "--password-stdin"), secret)):
        bad = run(root, tiny_model, *args, stdin=stdin + "\n")
        assert bad.returncode == 2 and "错误" in bad.stderr, (args, bad.stderr)
    assert [a.name for a in Accounts(get_settings(root)).all()] == ["张三"]
    assert run(root, tiny_model, "users", "passwd", "张三", "--password-stdin", stdin="another long one\n").returncode == 0
    assert Accounts(get_settings(root)).verify("张三", "another long one") is not None
    listed = json.loads(run(root, tiny_model, "users", "list", "--json").stdout)
    assert listed == [{"name": "张三", "role": "editor", "role_name": "编辑", "created": listed[0]["created"]}]
    assert run(root, tiny_model, "users", "remove", "张三").returncode == 0
    events = [r.event for r in audit.read(get_settings(root))]
    assert events == ["user.add", "user.passwd", "user.remove"]


def test_roles_permission_table():
    assert allowed("viewer", "review") and not allowed("viewer", "add") and not allowed("viewer", "remove")
    assert allowed("editor", "add") and not allowed("editor", "remove") and not allowed("editor", "users")
    assert allowed("admin", "users") and allowed("admin", "rebuild")
    assert not allowed(None, "ask") and not allowed("admin", "no-such-action")


def test_an_add_the_index_cannot_follow_is_kept_and_says_why(root, tiny_model, tmp_path):
    """The document is in once the manifest is written: a model that has gone missing since the build must not turn
    that into an error (the user would add it twice), only into a note naming the cure."""
    moved = tmp_path / "model-moved-away"
    shutil.copytree(tiny_model, moved)
    settings = get_settings(root)
    build = run(root, str(moved), "index", "build", "--json")
    assert build.returncode == 0, build.stderr
    shutil.rmtree(moved)
    res = run(root, str(moved), "corpus", "add", str(policy(tmp_path, "戊市木雕办法", "木雕")), "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["indexed"] is False and "模型" in out["index_error"]
    assert "戊市木雕办法" in manifest_titles(root) and out["id"] not in indexed_ids(root)
    assert [r.event for r in audit.read(settings)][-1] == audit.CORPUS_ADD
    text = run(root, str(moved), "corpus", "add", str(policy(tmp_path, "庚市石雕办法", "石雕")))
    assert text.returncode == 0 and "已加入" in text.stdout and "检索索引未能更新" in text.stderr, text.stderr


def test_index_check_with_a_missing_file_reports_it_instead_of_crashing(root, tiny_model, tmp_path):
    settings = get_settings(root)
    entry, _ = Corpus(settings).add(policy(tmp_path, "己市陶艺办法", "陶艺"))  # listed, not indexed
    lost = next(e for e in Corpus(settings).entries() if e.id != entry.id)
    (root / "corpus" / lost.path).unlink()
    res = run(root, tiny_model, "index", "check", "--json")
    assert res.returncode == 1, res.stderr
    report = json.loads(res.stdout)
    assert report["missing_files"] == [lost.id] and report["unindexed"] == [entry.id] and report["repaired"] is False
