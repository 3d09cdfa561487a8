"""kb.web: the web views without a browser, on the real corpus (private copies for anything that writes)."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from kb import errors
from kb.corpus import Corpus
from kb.web import render, uploads, views
from conftest import PLAN_DOCX


def test_stage_upload_copies_under_generated_name(tmp_settings, tmp_path):
    src = tmp_path / "..草案 (修改稿).txt"
    src.write_text("第一条 测试。", encoding="utf-8")
    staged = uploads.stage_upload(src, tmp_settings)
    assert staged.path.parent == uploads.work_dir(tmp_settings) / "uploads"
    assert staged.path.suffix == ".txt" and len(staged.path.stem) == 32  # uuid4 hex, nothing of the user's name
    assert staged.original_name == src.name
    assert staged.path.read_text(encoding="utf-8") == "第一条 测试。"


def test_stage_upload_refuses_other_extensions(tmp_settings, tmp_path):
    src = tmp_path / "草案.doc"
    src.write_bytes(b"x")
    with pytest.raises(errors.UnsupportedFormat) as exc:
        uploads.stage_upload(src, tmp_settings)
    assert "草案.doc" in exc.value.message


def test_stage_upload_refuses_oversized_file(tmp_root, tmp_path, monkeypatch):
    from kb.config import get_settings

    monkeypatch.setenv("KB_MAX_FILE_MB", "0.001")
    src = tmp_path / "大文件.txt"
    src.write_text("第一条 " + "字" * 2000, encoding="utf-8")
    with pytest.raises(errors.FileTooLarge):
        uploads.stage_upload(src, get_settings(tmp_root))


def test_error_html_shows_message_hint_and_user_file_name():
    exc = errors.EmptyDocument("0f3a.txt")
    out = render.error_html(exc, {"0f3a.txt": "我的草案.txt"})
    assert "文件没有可读取的文字内容：我的草案.txt" in out and "请确认文件不是空白文档" in out
    assert "0f3a" not in out


def test_highlight_escapes_html_and_marks_terms():
    out = render.highlight("<b>企业开办</b>时间压缩", ["企业开办", "时间"])
    assert out == "&lt;b&gt;<mark>企业开办</mark>&lt;/b&gt;<mark>时间</mark>压缩"


def test_snippet_centres_on_first_match():
    text = "甲" * 500 + "企业开办" + "乙" * 500
    out = render.snippet(text, ["企业开办"], width=100)
    assert "企业开办" in out and out.startswith("…") and out.endswith("…")


def test_query_terms_come_from_the_segmenter():
    terms = views.query_terms("企业开办要几天")
    assert "企业开办" in terms or "开办" in terms
    assert all(len(t) >= 2 for t in terms)


def test_answer_html_renders_the_answer_fields_and_expands_citations(indexed_settings):
    from kb.answer import answer_question

    answer = answer_question("企业开办要在多长时间内完成？", settings=indexed_settings)
    data = answer.to_json()
    data["answer"] = "不应被解析的文本"  # the page renders fields, never this text
    out = render.answer_to_html(data, Corpus(indexed_settings))
    assert "<h3>结论</h3>" in out and "<h3>依据</h3>" in out and "不应被解析的文本" not in out
    assert render.esc(answer.conclusion) in out and render.esc(answer.summary[0].text) in out
    cited = answer.citations[0]
    assert (cited.doc_id, cited.article) == ("yj-plan-2022", 22)
    assert render.multiline(cited.article_text) in out  # the whole article, from the citation itself


def test_superseded_related_citation_names_its_current_version(tmp_settings):
    data = {"abstained": False, "conclusion": "…", "citations": [],
            "related": [{"doc": "保障中小企业款项支付条例", "doc_id": "kxzf-2020", "article": 1, "label": "第一条",
                         "quote": "为了促进…", "status": "已被修订"}]}
    out = render.answer_to_html(data, Corpus(tmp_settings))
    assert "已被修订" in out and "kxzf-2025" in out


def test_abstained_answer_says_so(tmp_settings):
    out = render.answer_to_html({"answer": "", "abstained": True, "citations": [], "related": []}, Corpus(tmp_settings))
    assert "未找到可靠依据" in out


def test_search_without_index_shows_chinese_error(tmp_settings):
    out = views.search_html("企业开办", settings=tmp_settings)
    assert "kb-error" in out and "还没有建立检索索引" in out


def test_library_collection_disabled_without_index(tmp_settings):
    assert not views.library_available(tmp_settings)
    out = views.search_html("企业开办", collection_label="国家法律法规库", settings=tmp_settings)
    assert "没有名为" in out


def test_deadline_rows_filter_by_document_and_keyword(tmp_settings):
    rows = views.deadline_rows("yj-plan-2022", "企业开办", tmp_settings)
    assert rows and all(r[0].startswith("永济市") for r in rows)
    assert any(r[1] == "22." for r in rows)
    assert all(any("企业开办" in c for c in r) for r in rows)


def test_deadline_csv_opens_in_excel_encoding(tmp_settings):
    view = views.deadline_view("kxzf-2025", "", tmp_settings)
    assert view.csv.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel/WPS read UTF-8 Chinese correctly
    with open(view.csv, encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0] == views.DEADLINE_HEADERS
    assert table[1:] == view.rows


def test_corpus_rows_list_status_and_article_counts(tmp_settings):
    rows = {r[0]: r for r in views.corpus_rows(tmp_settings)}
    assert rows["yj-plan-2022"][5] == 60
    assert rows["kxzf-2020"][4].startswith("已被修订")


def test_preview_empty_file_shows_cli_message(tmp_settings, tmp_path):
    empty = tmp_path / "空白.txt"
    empty.write_bytes(b"")
    view = views.preview_upload(empty, settings=tmp_settings)
    assert "文件没有可读取的文字内容：空白.txt" in view.message and view.staged == ""


def test_preview_then_confirm_then_remove(tmp_settings):
    view = views.preview_upload(PLAN_DOCX, settings=tmp_settings)
    assert view.staged and len(view.rows) == 60
    assert view.title == "永济市六最营商环境建设规划"
    before = len(views.corpus_rows(tmp_settings))
    # the same content as corpus/plan/*.txt but a different file: accepted, ids are generated
    msg = views.confirm_add(view.staged, "测试规划", "2022-04-02", "规划", "", original_name=PLAN_DOCX.name,
                             settings=tmp_settings)
    assert "已加入" in msg, msg
    assert not Path(view.staged).exists()  # the staged copy is consumed
    rows = views.corpus_rows(tmp_settings)
    assert len(rows) == before + 1
    new_id = next(r[0] for r in rows if r[1] == "测试规划")
    assert "已删除" in views.remove_document(new_id, tmp_settings)
    assert len(views.corpus_rows(tmp_settings)) == before


def test_confirm_refuses_paths_outside_the_work_dir(tmp_settings):
    out = views.confirm_add("/etc/hostname", "x", settings=tmp_settings)
    assert "请先上传并预览文件" in out


def test_remove_unknown_document_is_a_chinese_error(tmp_settings):
    assert "知识库中没有编号为 nope 的文件" in views.remove_document("nope", tmp_settings)


def test_review_pasted_text_finds_local_registration_requirement(tmp_settings):
    view = views.review_view(None, "第一条 为促进发展，制定本措施。\n第二条 投标人须在本市注册并设立分支机构。",
                              tmp_settings)
    assert any("本市注册并设立分支机构" in r[0] and r[2] == "违反" for r in view.rows), view.rows
    assert "第九条" in view.rows[0][1]


def test_review_upload_error_names_the_users_file(tmp_settings, tmp_path):
    empty = tmp_path / "草案.docx"
    empty.write_bytes(b"")
    view = views.review_view(empty, "", tmp_settings)
    assert "草案.docx" in view.message and "kb-error" in view.message and view.report is None


def test_prune_removes_only_old_entries(tmp_path):
    import os
    import time

    old, new = tmp_path / "old", tmp_path / "new.txt"
    old.mkdir()
    new.write_text("x")
    past = time.time() - uploads.KEEP_SECONDS - 10
    os.utime(old, (past, past))
    uploads.prune(tmp_path)
    assert not old.exists() and new.exists()


def test_deadlines_of_all_documents_leave_out_superseded_versions(tmp_settings):
    titles_ids = {r[0] for r in views.deadline_rows("", "", tmp_settings)}
    assert "保障中小企业款项支付条例" in titles_ids  # the 2025 version
    old = views.deadline_rows("kxzf-2020", "", tmp_settings)  # still listed when asked for by id
    assert old and all(r[0] == "保障中小企业款项支付条例" for r in old)
    current = views.deadline_rows("kxzf-2025", "", tmp_settings)
    everything = views.deadline_rows("", "保障中小企业款项支付条例", tmp_settings)
    assert len(everything) == len(current)


def test_every_event_checks_a_role_on_the_server(tmp_settings):
    from kb.web.access import Access
    from kb.web.app import build_app

    demo = build_app(tmp_settings, Access(tmp_settings), uploads.Downloads())
    fns = [f for f in demo.fns.values() if f.fn is not None]
    ours = [f for f in fns if f.fn.__module__.startswith("kb.")]
    assert len(ours) >= 20 and all(getattr(f.fn, "kb_action", None) for f in ours), \
        [f.api_name for f in ours if not getattr(f.fn, "kb_action", None)]
    assert [f.api_name for f in fns if f not in ours] == ["load_example"]  # gradio's own: fills the question box
    actions = {f.api_name: f.fn.kb_action for f in ours}
    assert actions["corpus_remove"] == actions["corpus_ask_remove"] == "remove"
    assert actions["corpus_add"] == actions["corpus_preview"] == "add" and actions["users_add"] == "users"


def test_review_report_is_bytes_in_memory(tmp_settings):
    import io
    import zipfile

    view = views.review_view(None, "第一条 为促进发展，制定本措施。\n第二条 投标人须在本市注册并设立分支机构。", tmp_settings)
    assert zipfile.is_zipfile(io.BytesIO(view.report))
    assert [p for p in (tmp_settings.state_dir / "web").rglob("*") if p.is_file()] == []
