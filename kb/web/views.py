"""What each tab does, without the web framework: views call the library and return HTML, rows or bytes.

Every KBError becomes its Chinese `.message` and `.hint` (the same text the CLI prints). Writes go through
kb.changes (the CLI's own code path: one lock, one index update, one audit record) with the web user as
actor. Role checks happen before a view is called (kb.web.app wires every event through kb.web.access).
"""
from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from kb import audit, errors
from kb.config import Settings, get_settings
from kb.web import uploads
from kb.web.render import (answer_to_html, error_html, esc, finding_rows, hits_to_html, not_ready_html, notice,
                           review_summary, unexpected_html)

MODES = {"混合": "hybrid", "关键词": "bm25", "语义": "dense"}
COLLECTIONS = {"默认知识库": "default", "国家法律法规库": "library"}
ALL_DOCS = "全部文件"
EXAMPLE_QUESTIONS = [
    "企业开办要在多长时间内完成？",
    "机关、事业单位向中小企业支付货款的期限是多久？",
    "政策措施在什么阶段开展公平竞争审查？",
    "行政许可申请受理后多少日内作出决定？",
    "不动产登记要多少个工作日办结？",
    "政府采购能不能限定供应商所在地？",
    "永济市如何推进“一网通办”？",
]
FINDING_HEADERS = ["条款", "审查依据", "严重程度", "问题说明", "修改建议"]
DEADLINE_HEADERS = ["文件", "条文", "类型", "事项", "时限", "适用条件/起算", "目标年份", "原文"]
CORPUS_HEADERS = ["编号", "标题", "类别", "发布日期", "状态", "条数"]
PREVIEW_HEADERS = ["条", "标题 / 所在章节", "项数", "字数", "开头"]
USER_HEADERS = ["用户名", "角色", "创建时间"]
AUDIT_HEADERS = ["时间", "事件", "用户", "来源", "地址", "内容"]
LOCAL_ACTOR = audit.Actor("本机用户", "web")


class CorpusCache:
    """One parsed Corpus per manifest version, so answers do not re-parse cited documents on every request.
    Owned by the caller (the running app); a new manifest (any add/remove, from any process) starts afresh."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._stamp = None
        self._corpus = None

    def get(self):
        from kb.corpus import Corpus

        try:
            stamp = os.stat(self.settings.manifest_path).st_mtime_ns
        except FileNotFoundError:
            stamp = None
        if self._corpus is None or stamp != self._stamp:
            self._corpus, self._stamp = Corpus(self.settings), stamp
        return self._corpus


# --- status and documents ------------------------------------------------------------------------
def doc_choices(settings: Settings | None = None) -> list[tuple[str, str]]:
    """Dropdown choices (label, doc id) from the manifest, "全部文件" first."""
    from kb.corpus import Corpus

    entries = Corpus(settings or get_settings()).entries()
    return [(ALL_DOCS, "")] + [(f"{e.title}（{e.id}）", e.id) for e in entries]


def library_available(settings: Settings | None = None) -> bool:
    """The national-law collection is optional; it exists once `kb library import` has built it."""
    from kb.index.store import connect

    store = connect(settings or get_settings(), "library")
    try:
        return store.generation() > 0
    finally:
        store.close()


def title_from_name(name: str) -> str:
    """"优化营商环境条例(2019-10-22).docx" → "优化营商环境条例": kb.structure's rule for file names."""
    from kb.structure import title_from_filename

    return title_from_filename(Path(name)) or Path(name).stem


# --- 政策问答 -------------------------------------------------------------------------------------
def ask_html(question: str, settings: Settings | None = None, corpus: CorpusCache | None = None) -> str:
    """Answer a question: 结论, 依据 (each expandable to the full article), 可能相关."""
    settings = settings or get_settings()
    try:
        from kb.answer import answer_question
    except ImportError as exc:
        return not_ready_html("政策问答", exc)
    try:
        answer = answer_question(question, k=5, settings=settings)
        return answer_to_html(answer.to_json(), (corpus or CorpusCache(settings)).get())
    except errors.KBError as exc:
        return error_html(exc)
    except Exception as exc:  # noqa: BLE001 - shown as a generic message, logged in full
        return unexpected_html(exc)


# --- 条文检索 -------------------------------------------------------------------------------------
def search_html(query: str, mode_label: str = "混合", doc_id: str = "", collection_label: str = "默认知识库",
                k: int = 10, settings: Settings | None = None) -> str:
    settings = settings or get_settings()
    try:
        from kb.retrieve import get_retriever
    except ImportError as exc:
        return not_ready_html("条文检索", exc)
    collection = COLLECTIONS.get(collection_label, "default")
    if collection == "library" and not library_available(settings):
        return error_html(errors.CollectionMissing("国家法律法规库"))
    try:
        retriever = get_retriever(settings=settings, collection=collection)
        hits = retriever.search(query, k=k, mode=MODES.get(mode_label, "hybrid"),
                                doc=(doc_id or None) if collection == "default" else None)
    except errors.KBError as exc:
        return error_html(exc)
    except Exception as exc:  # noqa: BLE001
        return unexpected_html(exc)
    return hits_to_html([h.to_json() for h in hits], query_terms(query))


def query_terms(query: str) -> list[str]:
    """Words worth highlighting: the query's index tokens plus their synonyms, two characters or longer."""
    from kb.segment import get_segmenter

    terms = {t for t in get_segmenter().query_tokens(query or "") if len(t) >= 2}
    return sorted(terms, key=len, reverse=True)


# --- 公平竞争审查 ---------------------------------------------------------------------------------
@dataclass
class ReviewView:
    message: str  # HTML summary or error
    rows: list[list[str]]
    report: bytes | None  # the .docx report, in memory only: the server hands it out once


REPORT_NAME = "公平竞争审查意见.docx"


def review_view(upload: str | Path | None, text: str = "", settings: Settings | None = None,
                actor: audit.Actor = LOCAL_ACTOR) -> ReviewView:
    """Review an uploaded draft (preferred) or pasted text. The draft is deleted before this returns,
    whatever happens; the audit records the review's size and outcome, never its text."""
    settings = settings or get_settings()
    staged = None
    try:
        from kb.review.checker import review_text

        if upload:
            staged = uploads.stage_upload(upload, settings)
            uploads.discard(upload, settings)  # gradio's copy: the staged one is all we need
            text = uploads.parse_bounded(staged, settings, "text")
            source = staged.original_name
        elif (text or "").strip():
            source = "粘贴的文本"
        else:
            return ReviewView(notice("请先上传文件（.docx/.pdf/.txt/.md），或在文本框中粘贴待审查的文本。", "warn"), [], None)
        data = staged.path.read_bytes() if staged else text.encode("utf-8")
        result = review_text(text, source=source)
        report = _report_bytes(result, settings)
        audit.record(settings, audit.REVIEW, actor, source="upload" if staged else "paste",
                     sha256=hashlib.sha256(data).hexdigest(), bytes=len(data), clauses=result.clauses,
                     findings=len(result.findings))
    except ImportError as exc:
        return ReviewView(not_ready_html("公平竞争审查", exc), [], None)
    except errors.KBError as exc:
        return ReviewView(error_html(exc, staged.names if staged else None), [], None)
    except Exception as exc:  # noqa: BLE001
        return ReviewView(unexpected_html(exc), [], None)
    finally:
        uploads.discard(upload, settings)
        staged.delete() if staged else None
    return ReviewView(review_summary(result, source), finding_rows(result.findings), report)


def _report_bytes(result, settings: Settings) -> bytes:
    """The report as bytes; python-docx writes to a path, which lives only for the duration of this call."""
    from kb.review.report import write_report

    path = uploads.output_path(settings, REPORT_NAME)
    try:
        write_report(result, path)
        return path.read_bytes()
    finally:
        path.unlink(missing_ok=True)
        path.parent.rmdir()


# --- 时限清单 -------------------------------------------------------------------------------------
@dataclass
class DeadlineView:
    message: str
    rows: list[list[str]]
    csv: Path | None


def deadline_view(doc_id: str = "", keyword: str = "", settings: Settings | None = None) -> DeadlineView:
    """The filtered deadline table plus the same rows as a CSV download."""
    settings = settings or get_settings()
    try:
        rows = deadline_rows(doc_id, keyword, settings)
    except ImportError as exc:
        return DeadlineView(not_ready_html("时限清单", exc), [], None)
    except errors.KBError as exc:
        return DeadlineView(error_html(exc), [], None)
    except Exception as exc:  # noqa: BLE001
        return DeadlineView(unexpected_html(exc), [], None)
    if not rows:
        return DeadlineView(notice("没有符合条件的时限条目。", "warn"), [], None)
    path = write_csv(rows, DEADLINE_HEADERS, uploads.output_path(settings, "时限清单.csv"))
    return DeadlineView(notice(f"共 {len(rows)} 条时限或目标。", "info"), rows, path)


def deadline_rows(doc_id: str = "", keyword: str = "", settings: Settings | None = None) -> list[list[str]]:
    """Every time limit / dated target of the documents in force (or of one document), filtered by keyword."""
    from kb import deadlines
    from kb.corpus import Corpus

    keyword = (keyword or "").strip()
    # same selection as `kb deadlines --doc`: "all" means every document in force (superseded versions left out)
    docs = deadlines.select_documents(Corpus(settings or get_settings()), doc_id or "all")
    rows = [deadline_row(d) for d in deadlines.collect(docs)]
    return [r for r in rows if not keyword or any(keyword in cell for cell in r)]


def deadline_row(d) -> list[str]:
    """One Deadline as table cells; a passed target year is flagged next to the year."""
    when = "，".join(x for x in (d.condition, d.start) if x)
    year = f"{d.target_year}年" if d.target_year else ""
    if year and d.target_passed:
        year += "（已过）"
    return [d.doc_title, d.label, d.kind, d.subject, d.expression, when, year, d.quote]


def write_csv(rows: list[list[str]], headers: list[str], path: Path) -> Path:
    """CSV with a BOM so Excel/WPS open the Chinese correctly."""
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


# --- 知识库管理 -----------------------------------------------------------------------------------
def corpus_rows(settings: Settings | None = None) -> list[list]:
    from kb.corpus import Corpus

    corpus = Corpus(settings or get_settings())
    rows = []
    for e in corpus.entries():
        try:
            n = len(corpus.get(e.id).articles)
        except errors.KBError:
            n = "无法解析"
        status = e.status + (f"（→{e.superseded_by}）" if e.superseded_by else "")
        rows.append([e.id, e.title, e.kind, e.date, status, n])
    return rows


@dataclass
class Preview:
    message: str
    rows: list[list]
    staged: str  # path of the staged copy, kept server-side until confirmed; "" on failure
    title: str


def preview_upload(upload: str | Path | None, title: str = "", settings: Settings | None = None) -> Preview:
    """Stage and parse (bounded) a file so the user sees its structure before it enters the corpus."""
    settings = settings or get_settings()
    if not upload:
        return Preview(notice("请先选择要上传的文件（.txt/.md/.pdf/.docx）。", "warn"), [], "", "")
    staged = None
    try:
        staged = uploads.stage_upload(upload, settings)
        title = (title or "").strip() or title_from_name(staged.original_name)
        doc = uploads.parse_bounded(staged, settings, "parse", title)
    except errors.KBError as exc:
        staged.delete() if staged else None
        return Preview(error_html(exc, staged.names if staged else None), [], "", "")
    except Exception as exc:  # noqa: BLE001
        staged.delete() if staged else None
        return Preview(unexpected_html(exc), [], "", "")
    finally:
        uploads.discard(upload, settings)
    rows = [[a.label, a.title or a.heading, len(a.items), len(a.text), a.text[:40]] for a in doc.articles]
    chapters = sum(1 for s in doc.sections if s.kind in ("chapter", "part"))
    msg = notice(f"已解析《{esc(doc.title)}》：类别 {esc(doc.kind or '未识别')}，{chapters} 个章/部分，"
                 f"<b>{len(doc.articles)}</b> 条。请核对下表，无误后点击“确认加入知识库”。", "info")
    return Preview(msg, rows, str(staged.path), title)


def confirm_add(staged: str, title: str, date: str = "", kind: str = "", issuer: str = "",
                original_name: str = "", settings: Settings | None = None,
                actor: audit.Actor = LOCAL_ACTOR) -> str:
    """Add a previewed (staged) file through kb.changes: lock, corpus, index, audit — as the CLI does."""
    settings = settings or get_settings()
    if not staged or not uploads.is_staged(staged, settings):
        return notice("请先上传并预览文件，再确认加入。", "warn")
    from kb.changes import add_document

    path = Path(staged)
    names = uploads.Staged(path, original_name or path.name).names
    try:
        done = add_document(settings, path, actor, title=title or "", date=(date or "").strip(), kind=kind or "",
                            issuer=(issuer or "").strip(), file_name=original_name or path.name)
    except errors.KBError as exc:
        return error_html(exc, names)
    except Exception as exc:  # noqa: BLE001
        return unexpected_html(exc)
    finally:
        path.unlink(missing_ok=True)
    if done.index_error:
        return notice(f"已加入：《{esc(done.entry.title)}》，编号 {esc(done.entry.id)}，共 {done.articles} 条；"
                      f"但检索索引未能更新：{esc(done.index_error)}", "warn")
    tail = "，检索索引已更新" if done.indexed else "（尚未建立检索索引，建立后即可检索）"
    return notice(f"已加入：《{esc(done.entry.title)}》，编号 {esc(done.entry.id)}，共 {done.articles} 条{tail}。", "ok")


def remove_document(doc_id: str, settings: Settings | None = None, actor: audit.Actor = LOCAL_ACTOR) -> str:
    if not doc_id:
        return notice("请先选择要删除的文件。", "warn")
    from kb.changes import remove_document as remove

    try:
        done = remove(settings or get_settings(), doc_id, actor)
    except errors.KBError as exc:
        return error_html(exc)
    except Exception as exc:  # noqa: BLE001
        return unexpected_html(exc)
    if done.index_error:
        return notice(f"已删除：《{esc(done.entry.title)}》（{esc(done.entry.id)}）；但检索索引未能更新：{esc(done.index_error)}", "warn")
    return notice(f"已删除：《{esc(done.entry.title)}》（{esc(done.entry.id)}），并已从检索索引中移除。", "ok")


# --- 账户与日志（管理员） ---------------------------------------------------------------------------
def user_rows(settings: Settings) -> list[list[str]]:
    from kb.accounts import ROLE_NAMES, Accounts

    return [[a.name, f"{ROLE_NAMES[a.role]}（{a.role}）", a.created] for a in Accounts(settings).all()]


def add_user(settings: Settings, name: str, role: str, password: str, actor: audit.Actor) -> str:
    from kb.accounts import ROLE_NAMES, Accounts

    try:
        account = Accounts(settings).add(name, role, password or "", actor)
    except errors.KBError as exc:
        return error_html(exc)
    return notice(f"已添加账户：{esc(account.name)}（{ROLE_NAMES[account.role]}）", "ok")


def set_password(settings: Settings, name: str, password: str, actor: audit.Actor) -> str:
    from kb.accounts import Accounts

    try:
        account = Accounts(settings).set_password(name or "", password or "", actor)
    except errors.KBError as exc:
        return error_html(exc)
    return notice(f"已修改密码：{esc(account.name)}（其已登录的会话随即失效）", "ok")


def remove_user(settings: Settings, name: str, actor: audit.Actor) -> str:
    from kb.accounts import Accounts

    try:
        account = Accounts(settings).remove(name or "", actor)
    except errors.KBError as exc:
        return error_html(exc)
    return notice(f"已删除账户：{esc(account.name)}", "ok")


def rebuild(settings: Settings, actor: audit.Actor) -> str:
    from kb.changes import rebuild_index

    try:
        summary = rebuild_index(settings, actor)
    except errors.KBError as exc:
        return error_html(exc)
    except Exception as exc:  # noqa: BLE001
        return unexpected_html(exc)
    return notice(f"索引已重建：{summary['documents']} 个文件，{summary['chunks']} 个条文片段，用时 {summary['seconds']} 秒。", "ok")


def audit_rows(settings: Settings, limit: int = 200) -> list[list[str]]:
    """The latest records first."""
    rows = []
    for r in reversed(audit.read(settings)[-limit:]):
        detail = "，".join(f"{k}={v}" for k, v in r.details.items() if v not in (None, "", []))
        rows.append([r.time, r.event, r.user, r.via, r.address, detail])
    return rows


def warm_up(settings: Settings | None = None) -> str:
    """Load the default index once at start-up so the first user does not wait; returns a status line."""
    try:
        from kb.retrieve import get_retriever

        get_retriever(settings=settings or get_settings())
    except ImportError:
        return "检索模块尚未安装"
    except errors.KBError as exc:
        return exc.message + (f"（{exc.hint}）" if exc.hint else "")
    return "索引已加载"
