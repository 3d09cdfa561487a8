"""The web app as a hostile or careless user meets it: raw HTTP against the real server (`kb serve` subprocess)."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from kb import audit, locking
from kb.accounts import Accounts
from kb.corpus import Corpus
from conftest import PASSWORDS, policy
from webclient import ROOT, Server, Session, output, refusal

pytestmark = pytest.mark.slow
TARGET = "gpjzsc-2024"  # 《公平竞争审查条例》, the document the attacker deleted
VIOLATION = "投标人须在本市注册并设立分支机构"


def logged_in(server, name: str) -> Session:
    s = Session(server.url)
    assert s.login(name, PASSWORDS[name]).status_code == 303
    return s


def state_of(server) -> tuple[bytes, bool, list]:
    """What an attack must not change: the manifest, the target's file, the index's documents."""
    from kb.index.store import open_store

    settings = server.settings
    target = settings.corpus_dir / "regulations" / "公平竞争审查条例(2024-06-06).md"
    return settings.manifest_path.read_bytes(), target.exists(), sorted(open_store(settings).documents())


def draft_docx(path: Path) -> Path:
    from docx import Document

    doc = Document()
    doc.add_paragraph("第一条 为促进本市产业发展，制定本措施。")
    doc.add_paragraph(f"第二条 参加本市政府采购项目的，{VIOLATION}。")
    doc.save(path)
    return path


def test_raw_calls_without_a_session_are_refused(web_server, tmp_path):
    before = state_of(web_server)
    viewer = logged_in(web_server, "viewer")
    anonymous = Session(web_server.url)
    assert anonymous.http.get("/config").status_code == 401
    assert anonymous.http.get("/", follow_redirects=False).headers["location"] == "/login"
    assert anonymous.http.post("/gradio_api/upload", files={"files": ("a.md", b"x")}).status_code == 401
    for name in ("corpus_ask_remove", "corpus_remove", "corpus_preview", "corpus_add", "users_add", "ask"):
        status, msg = anonymous.call(anonymous.fn_index(name, config_from=viewer), [TARGET, TARGET])
        assert (status, msg) == (401, None), name
    assert anonymous.http.post("/gradio_api/call/ask", json={"data": ["企业开办"]}).status_code == 401
    assert state_of(web_server) == before


def test_a_viewer_cannot_add_or_remove_even_with_raw_calls(web_server, tmp_path):
    before = state_of(web_server)
    viewer = logged_in(web_server, "viewer")
    for name in ("corpus_ask_remove", "corpus_remove"):  # the two POSTs, confirmation step skipped
        status, msg = viewer.call(viewer.fn_index(name), [TARGET, TARGET])
        assert status == 200 and "没有权限" in refusal(msg) and "查看者" in refusal(msg)
    upload = viewer.upload(policy(tmp_path, "查看者的文件", "越权"))
    status, msg = viewer.call(viewer.fn_index("corpus_preview"), [upload, ""])
    assert "没有权限" in refusal(msg) and "加入文件" in refusal(msg)
    status, msg = viewer.call(viewer.fn_index("corpus_add"), [None, "", None, ""])
    assert "没有权限" in refusal(msg)
    assert state_of(web_server) == before
    # what a viewer may do still works
    answer = output(viewer.call(viewer.fn_index("ask"), ["企业开办要在多长时间内完成？"])[1])[0]
    assert "kb-cite" in answer


def test_an_editor_adds_but_cannot_remove_or_manage_users(web_server, tmp_path):
    editor = logged_in(web_server, "editor")
    accounts_before = (web_server.root / "state" / "accounts.json").read_bytes()
    for name, data in (("users_add", ["mallory", "admin", "mallory-pass-1"]), ("users_passwd", ["admin", "owned-pass-1"]),
                       ("users_remove", ["admin"]), ("index_rebuild", []), ("audit_list", [])):
        assert "没有权限" in refusal(editor.call(editor.fn_index(name), data)[1]), name
    assert (web_server.root / "state" / "accounts.json").read_bytes() == accounts_before
    assert "没有权限" in refusal(editor.call(editor.fn_index("corpus_remove"), [TARGET, TARGET])[1])
    assert (web_server.settings.corpus_dir / "regulations" / "公平竞争审查条例(2024-06-06).md").exists()


def test_admin_removal_needs_the_confirmation_step(web_server, tmp_path):
    admin = logged_in(web_server, "admin")
    doc_id = _web_add(web_server, logged_in(web_server, "editor"), policy(tmp_path, "待删除办法", "删除"))
    output(admin.call(admin.fn_index("corpus_refresh"), [])[1])  # what the page does on load: the new choices
    out = output(admin.call(admin.fn_index("corpus_remove"), [doc_id, doc_id])[1])  # no ask first
    assert "请先点击" in out[1] and doc_id in {e.id for e in Corpus(web_server.settings).entries()}
    output(admin.call(admin.fn_index("corpus_ask_remove"), [doc_id])[1])
    out = output(admin.call(admin.fn_index("corpus_remove"), [doc_id, None])[1])
    assert "已删除" in out[1] and doc_id not in {e.id for e in Corpus(web_server.settings).entries()}
    removed = [r for r in audit.read(web_server.settings) if r.event == audit.CORPUS_REMOVE]
    assert removed[-1].user == "admin" and removed[-1].via == "web" and removed[-1].details["doc_id"] == doc_id


def _web_add(server, editor: Session, path: Path) -> str:
    """Preview then confirm, as the page does; returns the new document id."""
    upload = editor.upload(path)
    out = output(editor.call(editor.fn_index("corpus_preview"), [upload, ""])[1])
    assert "已解析" in out[0], out[0]
    out = output(editor.call(editor.fn_index("corpus_add"), [None, "", None, ""])[1])
    assert "已加入" in out[0], out[0]
    return next(e.id for e in Corpus(server.settings).entries() if e.title == path.stem)


def test_cli_add_and_web_add_at_once_keep_both(web_server, tmp_path, tiny_model):
    settings = web_server.settings
    editor = logged_in(web_server, "editor")
    upload = editor.upload(policy(tmp_path, "网页的灯笼办法", "宫灯"))
    assert "已解析" in output(editor.call(editor.fn_index("corpus_preview"), [upload, ""])[1])[0]
    env = {**os.environ, "KB_ROOT": str(web_server.root), "KB_EMBED_MODEL": tiny_model, "PYTHONPATH": str(ROOT)}
    results = {}
    with locking.write_lock(settings, what="测试：让两个写入同时排队"):  # both start while the lock is taken
        cli = subprocess.Popen([sys.executable, "-m", "kb.cli", "corpus", "add", str(policy(tmp_path, "命令行的风筝办法", "纸鸢")),
                                "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        web = threading.Thread(target=lambda: results.update(
            web=editor.call(editor.fn_index("corpus_add"), [None, "", None, ""])))
        web.start()
        time.sleep(2.0)
    cli_out, cli_err = cli.communicate(timeout=300)
    web.join(timeout=300)
    assert cli.returncode == 0, cli_err
    assert "等待中" in cli_err
    assert "已加入" in output(results["web"][1])[0]
    titles = {e.title: e.id for e in Corpus(settings).entries()}
    from kb.index.store import open_store
    from kb.retrieve import get_retriever

    indexed = set(open_store(settings).documents())
    assert {titles["网页的灯笼办法"], titles["命令行的风筝办法"]} <= indexed
    retriever = get_retriever(settings)
    for query, title in (("宫灯企业补贴", "网页的灯笼办法"), ("纸鸢企业补贴", "命令行的风筝办法")):
        assert any(h.chunk.doc_title == title for h in retriever.search(query, k=5)), title
    web_add = [r for r in audit.read(settings) if r.event == audit.CORPUS_ADD and r.details["title"] == "网页的灯笼办法"]
    assert web_add and web_add[0].user == "editor" and web_add[0].address == "127.0.0.1" and web_add[0].details["sha256"]


def test_wrong_host_header_is_refused(web_server):
    evil = Session(web_server.url, host="evil.example")
    res = evil.http.get("/login")
    assert res.status_code == 400 and "不在允许的列表中" in res.text
    assert evil.http.post("/login", data={"username": "admin", "password": PASSWORDS["admin"]}).status_code == 400
    assert evil.http.post("/gradio_api/queue/join", json={}).status_code == 400
    assert Session(web_server.url, host=f"localhost:{web_server.port}").http.get("/login").status_code == 200


def test_failed_logins_are_rate_limited_and_audited(web_server):
    s = Session(web_server.url)
    for _ in range(5):
        res = s.login("locked", "not the password")
        assert res.status_code == 401 and "用户名或密码错误" in res.text
    res = s.login("locked", PASSWORDS["locked"])  # even the right password waits now
    assert res.status_code == 429 and "分钟后再试" in res.text
    assert "kb_session" not in s.http.cookies
    assert logged_in(web_server, "viewer")  # other people on the same address can still log in
    records = [r for r in audit.read(web_server.settings) if r.user == "locked"]
    assert [r.event for r in records] == ["login_failed"] * 5 + ["login_blocked"]
    assert all(r.address == "127.0.0.1" for r in records)


def test_removed_account_loses_its_session_at_once(web_server):
    from kb.audit import Actor

    accounts = Accounts(web_server.settings)
    accounts.add("temp", "viewer", "temp-pass-123", Actor("test", "cli"))
    s = Session(web_server.url)
    assert s.login("temp", "temp-pass-123").status_code == 303
    assert s.http.get("/config").status_code == 200
    accounts.remove("temp", Actor("test", "cli"))
    assert s.http.get("/config").status_code == 401


def test_review_leaves_no_draft_and_serves_the_report_once(web_server, tmp_path):
    viewer = logged_in(web_server, "viewer")
    draft = draft_docx(tmp_path / "采购措施草案.docx")
    digest = hashlib.sha256(draft.read_bytes()).hexdigest()
    upload = viewer.upload(draft)
    assert Path(upload["path"]).exists() and str(web_server.root / "state" / "web") in upload["path"]
    summary, rows, link, cleared = output(viewer.call(viewer.fn_index("review"), [upload, ""])[1])
    assert any(VIOLATION in r[0] for r in rows["data"]) and cleared is None
    assert not Path(upload["path"]).exists()
    href = link.split('href="')[1].split('"')[0]
    assert logged_in(web_server, "admin").http.get(href).status_code == 404  # only its owner gets it
    report = viewer.http.get(href)
    assert report.status_code == 200 and zipfile.is_zipfile(__import__("io").BytesIO(report.content))
    assert viewer.http.get(href).status_code == 404  # handed out once, then gone
    on_disk = [p for p in (web_server.root / "state").rglob("*") if p.is_file()]
    assert not [p for p in on_disk if hashlib.sha256(p.read_bytes()).hexdigest() in
                (digest, hashlib.sha256(report.content).hexdigest())]
    rec = [r for r in audit.read(web_server.settings) if r.event == audit.REVIEW][-1]
    assert (rec.user, rec.details["sha256"], rec.details["bytes"]) == ("viewer", digest, draft.stat().st_size)
    assert rec.details["clauses"] == 2 and rec.details["findings"] >= 1
    assert VIOLATION not in (web_server.root / "state" / "audit.jsonl").read_text(encoding="utf-8")


def test_zip_bomb_upload_is_refused_fast_without_growing_the_server(web_server):
    from test_limits import make_bomb
    from kb.ingest import limits

    bomb = make_bomb(web_server.root / "bomb-草案.docx", 1200 * limits.MB)
    viewer = logged_in(web_server, "viewer")
    upload = viewer.upload(bomb)
    before = _rss(web_server.proc.pid)
    t0 = time.perf_counter()
    summary = output(viewer.call(viewer.fn_index("review"), [upload, ""])[1])[0]
    seconds = time.perf_counter() - t0
    assert "文件内容超出处理上限" in summary and "bomb-草案.docx" in summary and "压缩比" in summary
    assert seconds < 2.0, seconds
    assert _peak(web_server.proc.pid) - before <= 200 * limits.MB
    assert not Path(upload["path"]).exists()
    bomb.unlink()


def _rss(pid: int) -> int:
    return _status_kb(pid, "VmRSS") * 1024


def _peak(pid: int) -> int:
    return _status_kb(pid, "VmHWM") * 1024


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def test_serving_on_the_network_without_accounts_refuses_to_start(tmp_root):
    env = {**os.environ, "KB_ROOT": str(tmp_root), "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-m", "kb.cli", "serve", "--host", "0.0.0.0", "--port", "1"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2
    assert "还没有任何账户" in res.stderr and "kb users add" in res.stderr


def test_a_network_server_whose_last_account_is_removed_refuses_everyone(tmp_settings):
    """Local mode is for a loopback server only: removing the last account of a shared server must not turn every
    visitor on the LAN into an admin."""
    from kb import errors
    from kb.web.access import LOCAL_USER, Access

    actor = audit.Actor("test", "cli")
    Accounts(tmp_settings).add("wang", "admin", "admin-pass-123", actor)
    shared, local = Access(tmp_settings, shared=True), Access(tmp_settings)
    Accounts(tmp_settings).remove("wang", actor)

    class Anonymous:
        cookies: dict = {}

    assert shared.gradio_user(Anonymous()) is None
    with pytest.raises(errors.NotLoggedIn):
        shared.authorize(LOCAL_USER, "remove")
    assert local.gradio_user(Anonymous()) == LOCAL_USER  # the same state on a loopback server: the local tool


def test_drafts_are_gone_after_sigterm_and_after_a_crash(tmp_root, tmp_path):
    """A server killed outright leaves its scratch folder; the next start removes it; SIGTERM removes its own."""
    web = tmp_root / "state" / "web"
    first = Server(tmp_root).wait_ready()  # no accounts, loopback: no login needed
    uploaded = Session(first.url).upload(draft_docx(tmp_path / "草案一.docx"))
    assert Path(uploaded["path"]).exists()
    first.proc.kill()  # a crash: no cleanup possible
    first.proc.wait()
    assert Path(uploaded["path"]).exists()
    second = Server(tmp_root).wait_ready()
    assert not (web / str(first.proc.pid)).exists() and not Path(uploaded["path"]).exists()
    pending = Session(second.url).upload(draft_docx(tmp_path / "草案二.docx"))
    assert Path(pending["path"]).exists()
    second.proc.send_signal(signal.SIGTERM)
    # uvicorn shuts down, then re-raises the signal it caught: -SIGTERM after the cleanup, not -SIGKILL
    assert second.proc.wait(timeout=30) == -signal.SIGTERM
    assert not (web / str(second.proc.pid)).exists()
    assert [p for p in web.rglob("*") if p.is_file()] == []
