"""政策知识库 web app: 政策问答、条文检索、公平竞争审查、时限清单、知识库管理.

Layout and wiring only; every view is a function in kb.webapp. Run `python app.py` or `kb serve`
(127.0.0.1:7860 by default; --host/--port to change).
"""
from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # no telemetry calls from an offline office network

import argparse  # noqa: E402

import gradio as gr  # noqa: E402

from kb import webapp  # noqa: E402
from kb.config import Settings, get_settings  # noqa: E402
from kb.corpus import KINDS  # noqa: E402

CSS = """
.kb-notice {padding: 10px 14px; border-radius: 6px; margin: 6px 0; line-height: 1.7;}
.kb-info {background: #eef5ff; border: 1px solid #b6d0f5;}
.kb-ok {background: #edf8ee; border: 1px solid #a9d8ad;}
.kb-warn {background: #fff7e6; border: 1px solid #f1c36b;}
.kb-error {background: #fdecec; border: 1px solid #ee9a9a;}
.kb-answer {font-size: 1.05em; line-height: 1.8; padding: 6px 0;}
.kb-badge {font-size: 0.8em; padding: 1px 6px; border-radius: 4px; margin-left: 6px; white-space: nowrap;}
.kb-current {background: #e3f4e4; color: #21692a;}
.kb-superseded {background: #fde2e2; color: #a12020;}
details.kb-cite {border: 1px solid #ddd; border-radius: 6px; padding: 6px 10px; margin: 6px 0;}
details.kb-cite summary {cursor: pointer;}
.kb-cite-label {font-weight: 600; margin-left: 4px;}
.kb-quote {color: #555; margin: 4px 0 0 16px;}
details[open] .kb-quote {display: none;}  /* opened: the full article below replaces the quote */
.kb-article {white-space: normal; line-height: 1.8; margin-top: 8px; padding: 8px; background: #fafafa;}
.kb-meta {color: #777; font-size: 0.85em; margin-top: 4px;}
table.kb-table {border-collapse: collapse; width: 100%;}
table.kb-table th, table.kb-table td {border: 1px solid #ddd; padding: 6px; vertical-align: top; text-align: left;}
table.kb-table td.kb-label {white-space: nowrap;}
mark {background: #ffe58a; padding: 0 1px;}
"""

def build_app(settings: Settings | None = None) -> gr.Blocks:
    settings = settings or get_settings()
    # delete_cache: gradio's own copies of uploaded drafts are removed after a day, like kb.webapp's
    with gr.Blocks(title="政策知识库", analytics_enabled=False, delete_cache=(3600, webapp.KEEP_SECONDS)) as demo:
        gr.Markdown("# 政策知识库\n规划与法规的条文问答、检索、公平竞争审查与时限梳理。所有回答均附原文出处，请以原文为准。")
        with gr.Tabs():
            with gr.Tab("政策问答", id="ask"):
                _ask_tab(settings)
            with gr.Tab("条文检索", id="search"):
                search_doc = _search_tab(settings)
            with gr.Tab("公平竞争审查", id="review"):
                _review_tab(settings)
            with gr.Tab("时限清单", id="deadlines"):
                deadline_doc = _deadline_tab(settings, demo)
            with gr.Tab("知识库管理", id="corpus"):
                _corpus_tab(settings, demo, [search_doc, deadline_doc])
    return demo


def _ask_tab(settings: Settings) -> None:
    question = gr.Textbox(label="您的问题", placeholder="例如：企业开办要在多长时间内完成？", lines=2)
    ask = gr.Button("提问", variant="primary")
    gr.Examples([[q] for q in webapp.EXAMPLE_QUESTIONS], inputs=[question], label="示例问题")
    answer = gr.HTML(elem_id="answer")

    def run(q):
        return webapp.ask_html(q, settings)

    ask.click(run, question, answer, api_name="ask")
    question.submit(run, question, answer, api_visibility="private")


def _search_tab(settings: Settings) -> gr.Dropdown:
    with gr.Row():
        query = gr.Textbox(label="检索内容", placeholder="例如：款项支付期限", scale=4)
        go = gr.Button("检索", variant="primary", scale=1)
    with gr.Row():
        mode = gr.Radio(list(webapp.MODES), value="混合", label="检索方式",
                        info="混合：兼顾字面与语义；关键词：按字面匹配；语义：按意思匹配")
        doc = gr.Dropdown(webapp.doc_choices(settings), value="", label="限定文件", info="仅对默认知识库生效")
        has_library = webapp.library_available(settings)
        collection = gr.Radio(list(webapp.COLLECTIONS), value="默认知识库", label="检索范围", interactive=has_library,
                              info=None if has_library else "尚未导入国家法律法规库（管理员运行 kb library import 后可用）")
    results = gr.HTML(elem_id="search-results")

    def run(q, m, d, c):
        return webapp.search_html(q, m, d, c, settings=settings)

    go.click(run, [query, mode, doc, collection], results, api_name="search")
    query.submit(run, [query, mode, doc, collection], results, api_visibility="private")
    return doc


# gr.File gets no file_types on purpose: gradio would reject a .doc/.wps with its own English message, while
# kb.webapp.stage_upload refuses it with the CLI's Chinese message and the hint to save it as .docx.
def _review_tab(settings: Settings) -> None:
    gr.Markdown("上传政策文件草案（.docx/.pdf/.txt/.md），或直接粘贴文本，按《公平竞争审查条例》逐条审查。")
    with gr.Row():
        upload = gr.File(label="上传草案（.docx/.pdf/.txt/.md）", type="filepath", elem_id="review-upload")
        text = gr.Textbox(label="或粘贴文本", lines=8, placeholder="每条条款一行或一段")
    go = gr.Button("开始审查", variant="primary")
    summary = gr.HTML(elem_id="review-summary")
    table = gr.Dataframe(headers=webapp.FINDING_HEADERS, value=[], wrap=True, interactive=False,
                         label="审查发现", elem_id="review-findings",
                         column_widths=["28%", "22%", "8%", "21%", "21%"])
    report = gr.DownloadButton("下载审查报告（Word）", visible=False, elem_id="review-report")

    def run(f, t):
        view = webapp.review_view(f, t, settings)
        return view.message, view.rows, gr.DownloadButton(value=view.report and str(view.report),
                                                          visible=view.report is not None)

    go.click(run, [upload, text], [summary, table, report], api_name="review")


def _deadline_tab(settings: Settings, demo: gr.Blocks) -> gr.Dropdown:
    with gr.Row():
        doc = gr.Dropdown(webapp.doc_choices(settings), value="", label="限定文件")
        keyword = gr.Textbox(label="关键词", placeholder="例如：工作日、支付、2025年")
        go = gr.Button("筛选", variant="primary")
    message = gr.HTML(elem_id="deadline-msg")
    table = gr.Dataframe(headers=webapp.DEADLINE_HEADERS, value=[], wrap=True, interactive=False,
                         label="时限与目标", elem_id="deadline-table", max_height=600,
                         column_widths=["13%", "7%", "5%", "20%", "11%", "12%", "9%", "23%"])
    download = gr.DownloadButton("下载 CSV", visible=False)

    def run(d, k):
        view = webapp.deadline_view(d, k, settings)
        return view.message, view.rows, gr.DownloadButton(value=view.csv and str(view.csv),
                                                          visible=view.csv is not None)

    go.click(run, [doc, keyword], [message, table, download], api_name="deadlines")
    keyword.submit(run, [doc, keyword], [message, table, download], api_visibility="private")
    demo.load(run, [doc, keyword], [message, table, download], api_visibility="private")
    return doc


def _corpus_tab(settings: Settings, demo: gr.Blocks, doc_dropdowns: list[gr.Dropdown]) -> None:
    table = gr.Dataframe(headers=webapp.CORPUS_HEADERS, value=[], interactive=False, label="知识库中的文件",
                         elem_id="corpus-table")
    refresh = gr.Button("刷新列表", size="sm")
    with gr.Accordion("上传新文件", open=True):
        with gr.Row():
            upload = gr.File(label="选择文件（.docx/.pdf/.txt/.md）", type="filepath", elem_id="corpus-upload")
            with gr.Column():
                title = gr.Textbox(label="标题（留空则取文件名）")
                date = gr.Textbox(label="发布日期", placeholder="如 2024-06-06")
                kind = gr.Dropdown(list(KINDS), value=None, label="类别（留空自动识别）")
                issuer = gr.Textbox(label="发布机关")
        preview_btn = gr.Button("解析预览", variant="secondary")
        preview_msg = gr.HTML(elem_id="corpus-preview-msg")
        preview_table = gr.Dataframe(headers=webapp.PREVIEW_HEADERS, value=[], wrap=True, interactive=False,
                                     label="解析结果", max_height=400)
        confirm = gr.Button("确认加入知识库", variant="primary", interactive=False)
        add_msg = gr.HTML()
    with gr.Accordion("删除文件", open=False):
        remove_doc = gr.Dropdown(webapp.doc_choices(settings)[1:], value=None, label="要删除的文件")
        remove_btn = gr.Button("删除所选文件", variant="stop")
        with gr.Row(visible=False) as confirm_row:
            gr.Markdown("**确定要删除吗？删除后该文件将不再参与问答和检索。**")
            remove_yes = gr.Button("确认删除", variant="stop")
            remove_no = gr.Button("取消")
        remove_msg = gr.HTML()
    staged = gr.State({})  # server-side only: the staged copy waiting for confirmation

    def listing():
        choices = webapp.doc_choices(settings)
        return ([webapp.corpus_rows(settings)] + [gr.Dropdown(choices=choices) for _ in doc_dropdowns]
                + [gr.Dropdown(choices=choices[1:], value=None)])

    listing_outputs = [table, *doc_dropdowns, remove_doc]
    demo.load(listing, None, listing_outputs, api_visibility="private")
    refresh.click(listing, None, listing_outputs, api_visibility="private")

    def preview(f, t):
        view = webapp.preview_upload(f, t, settings)
        name = os.path.basename(f) if f else ""
        state = {"path": view.staged, "title": view.title, "name": name} if view.staged else {}
        return view.message, view.rows, state, gr.Button(interactive=bool(view.staged)), ""

    preview_btn.click(preview, [upload, title], [preview_msg, preview_table, staged, confirm, add_msg],
                      api_visibility="private")

    def add(state, d, k, i):
        msg = webapp.confirm_add(state.get("path", ""), state.get("title", ""), d, k or "", i,
                                 original_name=state.get("name", ""), settings=settings)
        return [msg, {}, gr.Button(interactive=False), [], "", None] + listing()

    confirm.click(add, [staged, date, kind, issuer],
                  [add_msg, staged, confirm, preview_table, preview_msg, upload, *listing_outputs],
                  concurrency_limit=1, concurrency_id="corpus", api_visibility="private")

    def ask_remove(doc_id):
        if not doc_id:
            return gr.Row(visible=False), webapp.notice("请先选择要删除的文件。", "warn")
        return gr.Row(visible=True), webapp.notice(f"即将删除 {doc_id}，请确认。", "warn")

    remove_btn.click(ask_remove, remove_doc, [confirm_row, remove_msg], api_visibility="private")
    remove_no.click(lambda: (gr.Row(visible=False), ""), None, [confirm_row, remove_msg], api_visibility="private")

    def remove(doc_id):
        return [gr.Row(visible=False), webapp.remove_document(doc_id, settings)] + listing()

    remove_yes.click(remove, remove_doc, [confirm_row, remove_msg, *listing_outputs],
                     concurrency_limit=1, concurrency_id="corpus", api_visibility="private")


def launch(host: str = "127.0.0.1", port: int = 7860, settings: Settings | None = None) -> None:
    """Build, warm the index once, and serve (blocking)."""
    settings = settings or get_settings()
    print(f"政策知识库：{webapp.warm_up(settings)}", flush=True)
    demo = build_app(settings)
    demo.queue(default_concurrency_limit=4, max_size=200)
    demo.launch(server_name=host, server_port=port, ssr_mode=False, show_error=False, theme=gr.themes.Default(),
                css=CSS, max_file_size=2 * settings.max_file_bytes, allowed_paths=[str(webapp.work_dir())],
                footer_links=[], quiet=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="启动政策知识库网页")
    parser.add_argument("--host", default=os.environ.get("KB_HOST", "127.0.0.1"), help="监听地址（默认 127.0.0.1）")
    parser.add_argument("--port", type=int, default=int(os.environ.get("KB_PORT", "7860")), help="端口（默认 7860）")
    args = parser.parse_args(argv)
    launch(args.host, args.port)


if __name__ == "__main__":
    main()
