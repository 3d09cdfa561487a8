"""End to end in a real headless Chromium: the web app as a civil servant uses it.

The app is the session's `kb serve` subprocess (conftest.web_server): a free loopback port, a private copy of
the corpus indexed once, one account per role; every tab logs in through the login form first. Screenshots go
to tests/artifacts/ (gitignored); one per tab is copied to docs/screenshots/ for the README.
"""
from __future__ import annotations

import csv
import os
import re
import shutil
import time
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
VIOLATION = "投标人须在本市注册并设立分支机构"
TIMEOUT_MS = 90_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="需要 Debian chromium：apt-get install -y chromium fonts-wqy-microhei"),
]


@pytest.fixture(scope="session")
def app_url(web_server):
    """The session's `kb serve` (conftest.web_server): accounts exist, so every page starts at the login form."""
    return web_server.url + "/"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _login(browser, app_url, name: str):
    """A fresh tab (no test sees another's half-filled form), logged in through the login form."""
    from conftest import PASSWORDS

    context = browser.new_context(viewport={"width": 1366, "height": 1000}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(app_url)
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(PASSWORDS[name])
    page.get_by_role("button", name="登录").click()
    page.get_by_role("tab", name="政策问答").wait_for()
    page.locator("#user-bar").get_by_text(f"当前用户：{name}").wait_for()
    return context, page


@pytest.fixture
def browser_page(browser, app_url):
    context, page = _login(browser, app_url, "admin")
    yield page
    context.close()


def _shot(page, name: str, readme: bool = True) -> None:
    """Full-page screenshot into tests/artifacts/; with KB_UPDATE_SCREENSHOTS=1, the one per tab the README shows
    is copied to docs/ (otherwise every test run would modify tracked files)."""
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if readme and os.environ.get("KB_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, SCREENSHOTS / f"{name}.png")


def _open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def _upload(page, elem_id: str, path: Path) -> None:
    """Choose a file in a gr.File and wait until the upload is done: the component lists the name at once (name and
    extension render apart) but links the file only once the server holds it ("Uploading..." until then) — a click
    before that hands the server no file."""
    page.locator(f"#{elem_id} input[type=file]").set_input_files(str(path))
    page.locator(f"#{elem_id}").get_by_text(path.stem).first.wait_for()
    page.locator(f"#{elem_id} td.download a").first.wait_for()


def _draft_docx(path: Path) -> Path:
    from docx import Document

    doc = Document()
    doc.add_heading("某市政府采购促进本地产业发展若干措施（征求意见稿）", level=1)
    doc.add_paragraph("第一条 为促进本市产业发展，制定本措施。")
    doc.add_paragraph(f"第二条 参加本市政府采购项目的，{VIOLATION}。")
    doc.add_paragraph("第三条 本措施自印发之日起施行。")
    doc.save(path)
    return path


def test_ask_shows_answer_with_citation(browser_page):
    page = browser_page
    _open_tab(page, "政策问答")
    page.get_by_label("您的问题").fill("企业开办要在多长时间内完成？")
    page.get_by_role("button", name="提问").click()
    page.locator("#answer details.kb-cite").first.wait_for()
    labels = page.locator("#answer .kb-cite-label").all_inner_texts()
    assert "第22条" in labels or "第十九条" in labels, labels  # the plan's "22." reads 第22条 in prose
    assert "结论" in page.locator("#answer").inner_text()
    page.locator("#answer details.kb-cite summary").first.click()  # expand to the full article text
    page.locator("#answer details.kb-cite .kb-article").first.wait_for()
    _shot(page, "ask")


def test_search_shows_result_rows(browser_page):
    page = browser_page
    _open_tab(page, "条文检索")
    page.get_by_label("检索内容").fill("企业开办")
    page.get_by_role("button", name="检索", exact=True).click()
    rows = page.locator("#search-results tr.kb-hit")
    rows.first.wait_for()
    assert rows.count() >= 1
    assert page.locator("#search-results mark").count() >= 1  # matched words highlighted
    _shot(page, "search")


def test_review_finds_violation_and_offers_report(browser_page, tmp_path):
    page = browser_page
    _open_tab(page, "公平竞争审查")
    draft = _draft_docx(tmp_path / "采购措施草案.docx")
    _upload(page, "review-upload", draft)
    page.get_by_role("button", name="开始审查").click()
    page.locator("#review-findings").get_by_text(VIOLATION).filter(visible=True).first.wait_for()
    report = page.locator("#review-report a.kb-download")  # served once from memory, never stored on disk
    report.wait_for(state="visible")
    with page.expect_download() as info:
        report.click()
    saved = ARTIFACTS / "公平竞争审查意见.docx"
    info.value.save_as(saved)
    assert zipfile.is_zipfile(saved)
    from docx import Document

    assert VIOLATION in "\n".join(p.text for p in Document(saved).paragraphs) + "".join(
        c.text for t in Document(saved).tables for row in t.rows for c in row.cells)
    _shot(page, "review")


def test_deadline_table_and_csv(browser_page):
    page = browser_page
    _open_tab(page, "时限清单")
    page.locator("#deadline-table").get_by_text("个工作日").filter(visible=True).first.wait_for()
    _shot(page, "deadlines")
    # wait on the count itself: while an event runs, gradio's progress overlay changes the message's innerText
    count = "n => { const m = document.querySelector('#deadline-msg').innerText.match(/共 (\\d+) 条/);" \
            " return m !== null && m[1] !== n; }"
    page.wait_for_function(count, arg="")
    before = re.search(r"共 (\d+) 条", page.locator("#deadline-msg").inner_text()).group(1)
    page.get_by_label("关键词").fill("企业开办")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_function(count, arg=before)
    shown = int(re.search(r"共 (\d+) 条", page.locator("#deadline-msg").inner_text()).group(1))
    rows = _download_csv(page, "下载 CSV", ARTIFACTS / "时限清单.csv", expected_rows=shown + 1)
    assert rows[0][:2] == ["文件", "条文"] and len(rows) == shown + 1  # the filtered rows, not a stale file
    assert len(rows) > 1 and all(any("企业开办" in cell for cell in row) for row in rows[1:])
    assert any(row[1] == "22." for row in rows[1:])


def _download_csv(page, button: str, saved: Path, expected_rows: int, tries: int = 20) -> list[list[str]]:
    """The button's file reaches the browser a moment after the message beside it; retry until it has the
    rows the message announced (or give up and return what the last download held)."""
    rows: list[list[str]] = []
    for _ in range(tries):
        with page.expect_download() as info:
            page.get_by_role("button", name=button).click()
        info.value.save_as(saved)
        with open(saved, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        if len(rows) == expected_rows:
            break
        time.sleep(0.5)
    return rows


def test_empty_upload_shows_chinese_error(browser_page, tmp_path):
    page = browser_page
    _open_tab(page, "知识库管理")
    page.locator("#corpus-table").get_by_text("yj-plan-2022").filter(visible=True).first.wait_for()
    empty = tmp_path / "空白文件.txt"
    empty.write_bytes(b"")
    _upload(page, "corpus-upload", empty)
    page.get_by_role("button", name="解析预览").click()
    message = page.locator("#corpus-preview-msg")
    message.get_by_text("文件没有可读取的文字内容").wait_for()
    assert "空白文件.txt" in message.inner_text()  # the user's own file name, not the staged copy's
    _shot(page, "corpus")


def test_add_search_and_remove_a_document(browser_page, tmp_path):
    page = browser_page
    _open_tab(page, "知识库管理")
    new = tmp_path / "某市惠企测试办法.md"
    new.write_text("# 某市惠企测试办法\n\n第一条 为支持雪绒花产业发展，制定本办法。\n\n"
                   "第二条 雪绒花企业申请补贴的，主管部门应当在5个工作日内办结。\n\n第三条 本办法自发布之日起施行。\n",
                   encoding="utf-8")
    _upload(page, "corpus-upload", new)
    page.get_by_role("button", name="解析预览").click()
    # wait for the parse result itself: gradio's progress overlay ("processing | 0.3s") also sits in the box
    page.locator("#corpus-preview-msg").get_by_text("已解析《某市惠企测试办法》").wait_for()
    assert "3 条" in page.locator("#corpus-preview-msg").inner_text()
    page.get_by_role("button", name="确认加入知识库").click()
    page.get_by_text("已加入：《某市惠企测试办法》").wait_for()

    _open_tab(page, "条文检索")  # the incremental index update makes the new text searchable at once
    page.get_by_label("检索内容").fill("雪绒花企业补贴")
    page.get_by_role("button", name="检索", exact=True).click()
    page.locator("#search-results tr.kb-hit").filter(has_text="某市惠企测试办法").first.wait_for()

    _open_tab(page, "知识库管理")
    page.get_by_text("删除文件").click()
    page.get_by_label("要删除的文件").click()
    page.get_by_role("option", name="某市惠企测试办法").click()
    page.get_by_role("button", name="删除所选文件").click()
    page.get_by_role("button", name="确认删除").click()
    page.get_by_text("已删除：《某市惠企测试办法》").wait_for()
    _shot(page, "corpus-remove", readme=False)


def test_word_97_file_gets_the_conversion_hint(browser_page, tmp_path):
    page = browser_page
    _open_tab(page, "公平竞争审查")
    old = tmp_path / "旧格式草案.doc"
    old.write_bytes(b"\xd0\xcf\x11\xe0 not really a doc")
    _upload(page, "review-upload", old)
    page.get_by_role("button", name="开始审查").click()
    summary = page.locator("#review-summary")
    summary.get_by_text("不支持的文件格式").wait_for()
    assert "另存为 .docx" in summary.inner_text() and "旧格式草案.doc" in summary.inner_text()
    assert page.locator("#review-report a.kb-download").count() == 0


def test_viewer_sees_no_management_and_can_log_out(browser, app_url):
    context, page = _login(browser, app_url, "viewer")
    try:
        _open_tab(page, "知识库管理")
        page.locator("#corpus-table").get_by_text("yj-plan-2022").filter(visible=True).first.wait_for()
        assert not page.get_by_text("上传新文件").is_visible() and not page.get_by_text("删除文件").is_visible()
        assert page.get_by_role("tab", name="账户与日志").count() == 0
        assert "查看者" in page.locator("#user-bar").inner_text()
        page.get_by_role("link", name="退出登录").click()
        page.get_by_role("button", name="登录").wait_for()
        page.get_by_label("用户名").fill("viewer")
        page.get_by_label("密码").fill("wrong password")
        page.get_by_role("button", name="登录").click()
        page.get_by_text("用户名或密码错误").wait_for()
        _shot(page, "login", readme=False)
    finally:
        context.close()
