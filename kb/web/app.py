"""政策知识库 web app: layout and wiring only. Every view is a function of kb.web.views.

Every event handler is wrapped by `guard(action)`: before it runs, the server checks the caller's role for
that action (kb.web.access.Access.authorize). Hidden buttons and tabs are a convenience, not the check:
a raw /gradio_api call to a hidden event meets the same guard.
"""
from __future__ import annotations

import functools
import inspect
import os

import gradio as gr

from kb import audit, errors
from kb.accounts import ROLE_NAMES, ROLES, allowed
from kb.config import Settings
from kb.corpus import KINDS
from kb.web import views
from kb.web.access import LOCAL_USER, Access, client_address
from kb.web.render import download_link, esc, notice
from kb.web.uploads import Downloads

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
a.kb-download {display: inline-block; padding: 8px 16px; border-radius: 6px; background: #eef5ff;
               border: 1px solid #b6d0f5; text-decoration: none;}
#user-bar {text-align: right;}
"""


class Wiring:
    """What every handler needs: settings, the access checks, the report store, the cached corpus."""

    def __init__(self, settings: Settings, access: Access, downloads: Downloads):
        self.settings, self.access, self.downloads = settings, access, downloads
        self.corpus = views.CorpusCache(settings)

    def guard(self, action: str):
        """Decorator: the handler runs only if the caller's role allows `action` (its `request` tells who)."""
        def deco(fn):
            sig = inspect.signature(fn)

            @functools.wraps(fn)  # gradio reads the wrapped signature, so it still injects `request`
            def wrapper(*args, **kwargs):
                request = sig.bind(*args, **kwargs).arguments["request"]
                try:
                    self.access.authorize(request.username, action)
                except errors.KBError as exc:
                    raise gr.Error(exc.message + (f"（{exc.hint}）" if exc.hint else ""), print_exception=False) from None
                return fn(*args, **kwargs)

            wrapper.kb_action = action
            return wrapper
        return deco

    def actor(self, request: gr.Request) -> audit.Actor:
        user = request.username or ""
        return audit.Actor(views.LOCAL_ACTOR.user if user == LOCAL_USER else user, "web", client_address(request))


def build_app(settings: Settings, access: Access, downloads: Downloads) -> gr.Blocks:
    w = Wiring(settings, access, downloads)
    with gr.Blocks(title="政策知识库", analytics_enabled=False) as demo:
        with gr.Row():
            gr.Markdown("# 政策知识库\n规划与法规的条文问答、检索、公平竞争审查与时限梳理。所有回答均附原文出处，请以原文为准。")
            user_bar = gr.HTML(elem_id="user-bar")
        with gr.Tabs():
            with gr.Tab("政策问答", id="ask"):
                _ask_tab(w)
            with gr.Tab("条文检索", id="search"):
                search_doc = _search_tab(w)
            with gr.Tab("公平竞争审查", id="review"):
                _review_tab(w)
            with gr.Tab("时限清单", id="deadlines"):
                deadline_doc = _deadline_tab(w, demo)
            with gr.Tab("知识库管理", id="corpus"):
                add_box, remove_box = _corpus_tab(w, demo, [search_doc, deadline_doc])
            with gr.Tab("账户与日志", id="admin", visible=False) as admin_tab:
                _admin_tab(w)

        @w.guard("browse")
        def who(request: gr.Request):
            role = access.role(request.username)
            name = "本机用户（未启用账户）" if request.username == LOCAL_USER else request.username
            logout = "" if request.username == LOCAL_USER else ' · <a href="/logout">退出登录</a>'
            bar = f"当前用户：{esc(name)}（{ROLE_NAMES[role]}）{logout}"
            return (bar, gr.Accordion(visible=allowed(role, "add")), gr.Accordion(visible=allowed(role, "remove")),
                    gr.Tab(visible=allowed(role, "users")))

        demo.load(who, None, [user_bar, add_box, remove_box, admin_tab], api_name="who", api_visibility="private")
    return demo


def _ask_tab(w: Wiring) -> None:
    question = gr.Textbox(label="您的问题", placeholder="例如：企业开办要在多长时间内完成？", lines=2)
    ask = gr.Button("提问", variant="primary")
    gr.Examples([[q] for q in views.EXAMPLE_QUESTIONS], inputs=[question], label="示例问题")
    answer = gr.HTML(elem_id="answer")

    @w.guard("ask")
    def run(q, request: gr.Request):
        return views.ask_html(q, w.settings, w.corpus)

    ask.click(run, question, answer, api_name="ask")
    question.submit(run, question, answer, api_name="ask_submit", api_visibility="private")


def _search_tab(w: Wiring) -> gr.Dropdown:
    with gr.Row():
        query = gr.Textbox(label="检索内容", placeholder="例如：款项支付期限", scale=4)
        go = gr.Button("检索", variant="primary", scale=1)
    with gr.Row():
        mode = gr.Radio(list(views.MODES), value="混合", label="检索方式",
                        info="混合：兼顾字面与语义；关键词：按字面匹配；语义：按意思匹配")
        doc = gr.Dropdown(views.doc_choices(w.settings), value="", label="限定文件", info="仅对默认知识库生效")
        has_library = views.library_available(w.settings)
        collection = gr.Radio(list(views.COLLECTIONS), value="默认知识库", label="检索范围", interactive=has_library,
                              info=None if has_library else "尚未导入国家法律法规库（管理员运行 kb library import 后可用）")
    results = gr.HTML(elem_id="search-results")

    @w.guard("search")
    def run(q, m, d, c, request: gr.Request):
        return views.search_html(q, m, d, c, settings=w.settings)

    go.click(run, [query, mode, doc, collection], results, api_name="search")
    query.submit(run, [query, mode, doc, collection], results, api_name="search_submit", api_visibility="private")
    return doc


# gr.File gets no file_types on purpose: gradio would reject a .doc/.wps with its own English message, while
# kb.web.uploads.stage_upload refuses it with the CLI's Chinese message and the hint to save it as .docx.
def _review_tab(w: Wiring) -> None:
    gr.Markdown("上传政策文件草案（.docx/.pdf/.txt/.md），或直接粘贴文本，按《公平竞争审查条例》逐条审查。"
                "审查结束后服务器即删除草案，审查报告只保存在内存中、下载一次后删除。")
    with gr.Row():
        upload = gr.File(label="上传草案（.docx/.pdf/.txt/.md）", type="filepath", elem_id="review-upload")
        text = gr.Textbox(label="或粘贴文本", lines=8, placeholder="每条条款一行或一段")
    go = gr.Button("开始审查", variant="primary")
    summary = gr.HTML(elem_id="review-summary")
    table = gr.Dataframe(headers=views.FINDING_HEADERS, value=[], wrap=True, interactive=False,
                         label="审查发现", elem_id="review-findings",
                         column_widths=["28%", "22%", "8%", "21%", "21%"])
    report = gr.HTML(elem_id="review-report")

    @w.guard("review")
    def run(f, t, request: gr.Request):
        view = views.review_view(f, t, w.settings, w.actor(request))
        link = ""
        if view.report is not None:
            token = w.downloads.put(request.username or "", views.REPORT_NAME, view.report)
            link = download_link(f"/kb/download/{token}", views.REPORT_NAME, "下载审查报告（Word）")
        return view.message, view.rows, link, None  # None: the upload box forgets the (deleted) draft

    go.click(run, [upload, text], [summary, table, report, upload], api_name="review",
             concurrency_limit=2, concurrency_id="parse")


def _deadline_tab(w: Wiring, demo: gr.Blocks) -> gr.Dropdown:
    with gr.Row():
        doc = gr.Dropdown(views.doc_choices(w.settings), value="", label="限定文件")
        keyword = gr.Textbox(label="关键词", placeholder="例如：工作日、支付、2025年")
        go = gr.Button("筛选", variant="primary")
    message = gr.HTML(elem_id="deadline-msg")
    table = gr.Dataframe(headers=views.DEADLINE_HEADERS, value=[], wrap=True, interactive=False,
                         label="时限与目标", elem_id="deadline-table", max_height=600,
                         column_widths=["13%", "7%", "5%", "20%", "11%", "12%", "9%", "23%"])
    download = gr.DownloadButton("下载 CSV", visible=False)

    @w.guard("deadlines")
    def run(d, k, request: gr.Request):
        view = views.deadline_view(d, k, w.settings)
        return view.message, view.rows, gr.DownloadButton(value=view.csv and str(view.csv),
                                                          visible=view.csv is not None)

    outputs = [message, table, download]
    go.click(run, [doc, keyword], outputs, api_name="deadlines")
    keyword.submit(run, [doc, keyword], outputs, api_name="deadlines_submit", api_visibility="private")
    demo.load(run, [doc, keyword], outputs, api_name="deadlines_load", api_visibility="private")
    return doc


def _corpus_tab(w: Wiring, demo: gr.Blocks, doc_dropdowns: list[gr.Dropdown]):
    table = gr.Dataframe(headers=views.CORPUS_HEADERS, value=[], interactive=False, label="知识库中的文件",
                         elem_id="corpus-table")
    refresh = gr.Button("刷新列表", size="sm")
    with gr.Accordion("上传新文件", open=True, visible=False) as add_box:
        with gr.Row():
            upload = gr.File(label="选择文件（.docx/.pdf/.txt/.md）", type="filepath", elem_id="corpus-upload")
            with gr.Column():
                title = gr.Textbox(label="标题（留空则取文件名）")
                date = gr.Textbox(label="发布日期", placeholder="如 2024-06-06")
                kind = gr.Dropdown(list(KINDS), value=None, label="类别（留空自动识别）")
                issuer = gr.Textbox(label="发布机关")
        preview_btn = gr.Button("解析预览", variant="secondary")
        preview_msg = gr.HTML(elem_id="corpus-preview-msg")
        preview_table = gr.Dataframe(headers=views.PREVIEW_HEADERS, value=[], wrap=True, interactive=False,
                                     label="解析结果", max_height=400)
        confirm = gr.Button("确认加入知识库", variant="primary", interactive=False)
        add_msg = gr.HTML()
    with gr.Accordion("删除文件", open=False, visible=False) as remove_box:
        remove_doc = gr.Dropdown(views.doc_choices(w.settings)[1:], value=None, label="要删除的文件")
        remove_btn = gr.Button("删除所选文件", variant="stop")
        with gr.Row(visible=False) as confirm_row:
            gr.Markdown("**确定要删除吗？删除后该文件将不再参与问答和检索。**")
            remove_yes = gr.Button("确认删除", variant="stop")
            remove_no = gr.Button("取消")
        remove_msg = gr.HTML()
    staged = gr.State({})  # server-side only: the staged copy waiting for confirmation
    pending = gr.State("")  # server-side only: the document the user was asked to confirm removing

    def listing():
        choices = views.doc_choices(w.settings)
        return ([views.corpus_rows(w.settings)] + [gr.Dropdown(choices=choices) for _ in doc_dropdowns]
                + [gr.Dropdown(choices=choices[1:], value=None)])

    listing_outputs = [table, *doc_dropdowns, remove_doc]

    @w.guard("browse")
    def show(request: gr.Request):
        return listing()

    demo.load(show, None, listing_outputs, api_name="corpus_list", api_visibility="private")
    refresh.click(show, None, listing_outputs, api_name="corpus_refresh", api_visibility="private")

    @w.guard("add")
    def preview(f, t, request: gr.Request):
        name = os.path.basename(f) if f else ""
        view = views.preview_upload(f, t, w.settings)
        state = {"path": view.staged, "title": view.title, "name": name} if view.staged else {}
        return view.message, view.rows, state, gr.Button(interactive=bool(view.staged)), ""

    preview_btn.click(preview, [upload, title], [preview_msg, preview_table, staged, confirm, add_msg],
                      api_name="corpus_preview", api_visibility="private", concurrency_limit=2, concurrency_id="parse")

    @w.guard("add")
    def add(state, d, k, i, request: gr.Request):
        msg = views.confirm_add(state.get("path", ""), state.get("title", ""), d, k or "", i,
                                original_name=state.get("name", ""), settings=w.settings, actor=w.actor(request))
        return [msg, {}, gr.Button(interactive=False), [], "", None] + listing()

    confirm.click(add, [staged, date, kind, issuer],
                  [add_msg, staged, confirm, preview_table, preview_msg, upload, *listing_outputs],
                  concurrency_limit=1, concurrency_id="corpus", api_name="corpus_add", api_visibility="private")

    @w.guard("remove")
    def ask_remove(doc_id, request: gr.Request):
        if not doc_id:
            return gr.Row(visible=False), notice("请先选择要删除的文件。", "warn"), ""
        return gr.Row(visible=True), notice(f"即将删除 {esc(doc_id)}，请确认。", "warn"), doc_id

    remove_btn.click(ask_remove, remove_doc, [confirm_row, remove_msg, pending], api_name="corpus_ask_remove",
                     api_visibility="private")

    @w.guard("remove")
    def cancel(request: gr.Request):
        return gr.Row(visible=False), "", ""

    remove_no.click(cancel, None, [confirm_row, remove_msg, pending], api_name="corpus_cancel_remove",
                    api_visibility="private")

    @w.guard("remove")
    def remove(doc_id, asked, request: gr.Request):
        if not doc_id or doc_id != asked:  # the confirmation step is checked here, not only shown
            msg = notice("请先点击“删除所选文件”，再确认删除。", "warn")
        else:
            msg = views.remove_document(doc_id, w.settings, w.actor(request))
        return [gr.Row(visible=False), msg, ""] + listing()

    remove_yes.click(remove, [remove_doc, pending], [confirm_row, remove_msg, pending, *listing_outputs],
                     concurrency_limit=1, concurrency_id="corpus", api_name="corpus_remove", api_visibility="private")
    return add_box, remove_box


def _admin_tab(w: Wiring) -> None:
    gr.Markdown("只有管理员能看到本页。账户也可在服务器上用 `kb users` 管理，审计日志用 `kb audit` 查看。")
    users = gr.Dataframe(headers=views.USER_HEADERS, value=[], interactive=False, label="账户", elem_id="users-table")
    with gr.Row():
        name = gr.Textbox(label="用户名")
        role = gr.Dropdown([(f"{ROLE_NAMES[r]}（{r}）", r) for r in ROLES], value="viewer", label="角色")
        password = gr.Textbox(label="密码（至少 8 个字符）", type="password")
    with gr.Row():
        add_btn = gr.Button("添加账户", variant="primary")
        passwd_btn = gr.Button("修改该账户密码")
        remove_btn = gr.Button("删除该账户", variant="stop")
    user_msg = gr.HTML(elem_id="users-msg")
    rebuild_btn = gr.Button("重建检索索引")
    rebuild_msg = gr.HTML()
    audit_btn = gr.Button("刷新账户列表和审计日志", size="sm")
    audit_table = gr.Dataframe(headers=views.AUDIT_HEADERS, value=[], interactive=False, wrap=True,
                               label="审计日志（最近 200 条）", max_height=500)

    @w.guard("users")
    def add(n, r, p, request: gr.Request):
        return views.add_user(w.settings, n, r, p, w.actor(request)), views.user_rows(w.settings), ""

    @w.guard("users")
    def passwd(n, p, request: gr.Request):
        return views.set_password(w.settings, n, p, w.actor(request)), views.user_rows(w.settings), ""

    @w.guard("users")
    def remove(n, request: gr.Request):
        return views.remove_user(w.settings, n, w.actor(request)), views.user_rows(w.settings)

    @w.guard("users")
    def show_users(request: gr.Request):
        return views.user_rows(w.settings)

    @w.guard("rebuild")
    def rebuild(request: gr.Request):
        return views.rebuild(w.settings, w.actor(request))

    @w.guard("audit")
    def show_audit(request: gr.Request):
        return views.audit_rows(w.settings)

    private = {"api_visibility": "private"}
    add_btn.click(add, [name, role, password], [user_msg, users, password], api_name="users_add", **private)
    passwd_btn.click(passwd, [name, password], [user_msg, users, password], api_name="users_passwd", **private)
    remove_btn.click(remove, name, [user_msg, users], api_name="users_remove", **private)
    rebuild_btn.click(rebuild, None, rebuild_msg, api_name="index_rebuild", concurrency_limit=1,
                      concurrency_id="corpus", **private)
    audit_btn.click(show_audit, None, audit_table, api_name="audit_list", **private)
    audit_btn.click(show_users, None, users, api_name="users_list", **private)
