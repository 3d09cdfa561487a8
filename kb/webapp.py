"""What the web app shows, without the web framework: views that call the library and return HTML or table rows.

app.py only lays out widgets and wires them to these functions, so everything here is testable without a
browser. Every KBError becomes its Chinese `.message` and `.hint` (the same text the CLI prints); uploaded
files are copied into a folder the app owns under generated names before anything reads them.
"""
from __future__ import annotations

import atexit
import csv
import html
import logging
import re
import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from kb import errors
from kb.config import Settings, get_settings
from kb.models import CURRENT, spoken_label

log = logging.getLogger(__name__)

ALLOWED_SUFFIXES = (".txt", ".md", ".pdf", ".docx")
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

# Corpus changes (add/remove + index update) must not interleave: one writer at a time, process-wide.
CORPUS_LOCK = threading.Lock()


# --- messages ------------------------------------------------------------------------------------
def notice(text: str, level: str = "info") -> str:
    """A coloured notice box; level is info | ok | warn | error."""
    return f'<div class="kb-notice kb-{level}">{text}</div>'


def error_html(exc: errors.KBError, names: dict[str, str] | None = None) -> str:
    """The CLI's message and hint for a KBError; staged file names are shown as the user's own names."""
    message, hint = exc.message, exc.hint or ""
    for staged, original in (names or {}).items():
        message, hint = message.replace(staged, original), hint.replace(staged, original)
    body = f"<b>错误：</b>{_esc(message)}"
    if hint:
        body += f"<br><b>提示：</b>{_esc(hint)}"
    return notice(body, "error")


def unexpected_html(exc: Exception) -> str:
    log.exception("unexpected error in web view", exc_info=exc)
    return notice(f"<b>系统内部错误：</b>{_esc(type(exc).__name__)}。请联系管理员查看服务日志。", "error")


def not_ready_html(what: str, exc: ImportError | None = None) -> str:
    """A module of the library is missing (a partial install); logged so a broken import is not hidden."""
    if exc is not None:
        log.error("web view %s unavailable: %r", what, exc)
    return notice(f"“{_esc(what)}”功能尚未安装或正在更新，请稍后再试。", "warn")


def _esc(text) -> str:
    return html.escape(str(text or ""), quote=True)


def _multiline(text: str) -> str:
    return _esc(text).replace("\n", "<br>")


# --- uploads -------------------------------------------------------------------------------------
@dataclass
class Staged:
    """An uploaded file copied into the app's own folder under a generated name."""

    path: Path
    original_name: str

    @property
    def names(self) -> dict[str, str]:
        return {self.path.name: self.original_name, str(self.path): self.original_name}


def work_dir() -> Path:
    """The app's private scratch folder (uploads, reports, CSV exports); created once per process."""
    global _WORK_DIR
    with _WORK_LOCK:
        if _WORK_DIR is None or not _WORK_DIR.exists():
            _WORK_DIR = Path(tempfile.mkdtemp(prefix="kb-web-"))
            atexit.register(shutil.rmtree, _WORK_DIR, ignore_errors=True)  # drafts do not outlive the app
        return _WORK_DIR


_WORK_DIR: Path | None = None
_WORK_LOCK = threading.Lock()


def stage_upload(src: str | Path, settings: Settings | None = None) -> Staged:
    """Check extension and size on the user's file, then copy it to work_dir()/uploads/<uuid><ext>.

    The copy's name never comes from the user, so no upload can choose where it is written.
    """
    settings = settings or get_settings()
    src = Path(src)
    name = src.name
    if not src.is_file():
        raise errors.FileNotFound(name)
    suffix = src.suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise errors.UnsupportedFormat(name, f"扩展名 {suffix or '（无）'}")
    size = src.stat().st_size
    if size > settings.max_file_bytes:
        raise errors.FileTooLarge(name, size, settings.max_file_bytes)
    folder = work_dir() / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    prune(folder)  # previews that were never confirmed
    dest = folder / f"{uuid.uuid4().hex}{suffix}"
    shutil.copyfile(src, dest)
    return Staged(dest, name)


KEEP_SECONDS = 24 * 3600  # uploads and downloads older than this are deleted (drafts may be confidential)


def prune(folder: Path, max_age: float = KEEP_SECONDS) -> None:
    """Delete entries of folder older than max_age seconds."""
    if not folder.is_dir():
        return
    cutoff = time.time() - max_age
    for entry in folder.iterdir():
        try:
            if entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        except OSError:  # a concurrent request removed or is using it; next prune retries
            pass


def output_path(filename: str) -> Path:
    """A fresh folder per download so concurrent users never overwrite each other's files."""
    prune(work_dir() / "out")
    folder = work_dir() / "out" / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    return folder / filename


def title_from_name(name: str) -> str:
    """"优化营商环境条例(2019-10-22).docx" → "优化营商环境条例" (same rule as kb.structure)."""
    stem = Path(name).stem
    return re.sub(r"[（(]\d{4}-\d{2}-\d{2}[)）]$", "", stem).strip() or stem


# --- status and documents ------------------------------------------------------------------------
def status_badge(status: str, superseded_by: str | None = None) -> str:
    if not status or status == CURRENT:
        return f'<span class="kb-badge kb-current">{_esc(status or CURRENT)}</span>'
    extra = f"（现行版本：{_esc(superseded_by)}）" if superseded_by else ""
    return f'<span class="kb-badge kb-superseded">{_esc(status)}{extra}</span>'


def doc_choices(settings: Settings | None = None) -> list[tuple[str, str]]:
    """Dropdown choices (label, doc id) from the manifest, "全部文件" first."""
    from kb.corpus import Corpus

    entries = Corpus(settings or get_settings()).entries()
    return [(ALL_DOCS, "")] + [(f"{e.title}（{e.id}）", e.id) for e in entries]


def library_available(settings: Settings | None = None) -> bool:
    """The national-law collection is optional; it exists once `kb library import` has built it."""
    settings = settings or get_settings()
    try:
        from kb.index.store import META, collection_dir
    except ImportError:
        return False
    return (collection_dir(settings, "library") / META).exists()


def _full_article(corpus, doc_id: str, number: int):
    """(Article, Document); (None, None) when the document is not in this corpus (e.g. the national library)."""
    try:
        doc = corpus.get(doc_id)
    except errors.KBError:
        return None, None
    return (doc.article(number) if number else None), doc


# --- 政策问答 -------------------------------------------------------------------------------------
def ask_html(question: str, settings: Settings | None = None) -> str:
    """Answer a question: 结论, 依据 (each expandable to the full article), 可能相关."""
    settings = settings or get_settings()
    try:
        from kb.answer import answer_question
    except ImportError as exc:
        return not_ready_html("政策问答", exc)
    try:
        answer = answer_question(question, k=5, settings=settings)
    except errors.KBError as exc:
        return error_html(exc)
    except Exception as exc:  # noqa: BLE001 - shown as a generic message, logged in full
        return unexpected_html(exc)
    return answer_to_html(answer.to_json(), settings)


def answer_to_html(data: dict, settings: Settings | None = None) -> str:
    from kb.corpus import Corpus

    corpus = Corpus(settings or get_settings())
    parts = []
    if data.get("abstained"):
        parts.append(notice("<b>未找到可靠依据，系统不作结论。</b>知识库中没有足够相关的条文回答这个问题；"
                            "请换一种问法，或到“条文检索”中查找。", "warn"))
    conclusion = conclusion_text(data.get("answer", ""))
    if conclusion:
        parts.append(f'<h3>结论</h3><div class="kb-answer">{_multiline(conclusion)}</div>')
    cites = data.get("citations") or []
    if cites:
        parts.append("<h3>依据</h3>" + "".join(citation_html(c, corpus, open_=False) for c in cites))
    related = data.get("related") or []
    if related:
        parts.append("<h3>可能相关</h3>" + "".join(citation_html(c, corpus, open_=False) for c in related))
    notes = data.get("notes") or []
    if notes:
        parts.append('<div class="kb-notes">' + "<br>".join(_esc(n) for n in notes) + "</div>")
    return "\n".join(parts) or notice("没有得到回答。", "warn")


def conclusion_text(answer: str) -> str:
    """The answer text up to its own "依据：" list; the page shows the basis as expandable citations instead."""
    lines = []
    for line in (answer or "").split("\n"):
        if line.strip() in ("依据：", "可能相关：") or line.startswith(("依据：", "可能相关：")):
            break
        lines.append(line)
    text = "\n".join(lines).strip()
    return text[len("结论："):].strip() if text.startswith("结论：") else text


def citation_html(c: dict, corpus, open_: bool = False) -> str:
    """One citation as <details>: summary = document, article label, status, quote; body = full article."""
    art, doc = _full_article(corpus, c.get("doc_id", ""), c.get("article") or 0)
    superseded_by = getattr(doc, "superseded_by", None) if doc else None
    summary = (f'<span class="kb-cite-doc">《{_esc(c.get("doc"))}》</span>'
               f'<span class="kb-cite-label">{_esc(spoken_label(c.get("label") or ""))}</span> '
               f'{status_badge(c.get("status", ""), superseded_by)}'
               f'<div class="kb-quote">{_esc(c.get("quote"))}</div>')
    body = f'<div class="kb-article">{_multiline(art.text if art else c.get("quote", ""))}</div>'
    if doc is not None:
        where = art.heading.rstrip("。；，") if art else ""
        meta = "，".join(x for x in (where and f"所在章节：{where}", doc.issuer, doc.date and f"{doc.date} 发布",
                                      f"文件状态：{doc.status}") if x)
        body += f'<div class="kb-meta">{_esc(meta)}</div>'
    return f'<details class="kb-cite"{" open" if open_ else ""}><summary>{summary}</summary>{body}</details>'


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


def highlight(text: str, terms: list[str]) -> str:
    """HTML-escaped text with every term wrapped in <mark>, longest terms first."""
    escaped = _esc(text)
    words = [_esc(t) for t in terms if t]
    if not words:
        return escaped
    pattern = re.compile("|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True)), re.I)
    return pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", escaped)


def snippet(text: str, terms: list[str], width: int = 180) -> str:
    """A window of the text around the first matched term, so long articles still show why they matched."""
    text = " ".join((text or "").split())
    if len(text) <= width:
        return text
    first = min((i for i in (text.find(t) for t in terms) if i >= 0), default=0)
    start = max(0, min(first - width // 4, len(text) - width))
    return ("…" if start else "") + text[start:start + width] + ("…" if start + width < len(text) else "")


def hits_to_html(hits: list[dict], terms: list[str]) -> str:
    if not hits:
        return notice("没有找到相关条文。可以换个说法，或切换到“关键词”/“语义”模式再试。", "warn")
    rows = []
    for i, h in enumerate(hits, 1):
        rows.append(
            f'<tr class="kb-hit"><td>{i}</td><td>{_esc(h.get("doc"))}'
            f'<div class="kb-meta">{_esc(h.get("heading"))}</div></td>'
            f'<td class="kb-label">{_esc(h.get("label"))}</td><td>{status_badge(h.get("status", ""))}</td>'
            f'<td class="kb-snippet">{highlight(snippet(h.get("text", ""), terms), terms)}</td></tr>'
        )
    return (f'<div class="kb-count">共 {len(hits)} 条结果</div>'
            '<table class="kb-table kb-hits"><thead><tr><th>#</th><th>文件</th><th>条文</th><th>状态</th>'
            '<th>内容摘录</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>")


# --- 公平竞争审查 ---------------------------------------------------------------------------------
@dataclass
class ReviewView:
    message: str  # HTML summary or error
    rows: list[list[str]]
    report: Path | None  # the .docx report to download


def review_view(upload: str | Path | None, text: str = "", settings: Settings | None = None) -> ReviewView:
    """Review an uploaded draft (preferred) or pasted text; returns the summary, table rows and a .docx report."""
    settings = settings or get_settings()
    try:
        from kb.review.checker import review_file, review_text
    except ImportError as exc:
        return ReviewView(not_ready_html("公平竞争审查", exc), [], None)
    staged = None
    try:
        if upload:
            staged = stage_upload(upload, settings)
            result = review_file(staged.path, settings=settings)
            source = result.file = staged.original_name
        elif (text or "").strip():
            source = "粘贴的文本"
            result = review_text(text, source=source)
        else:
            return ReviewView(notice("请先上传文件（.docx/.pdf/.txt/.md），或在文本框中粘贴待审查的文本。", "warn"), [], None)
        report = _write_review_report(result)
    except errors.KBError as exc:
        return ReviewView(error_html(exc, staged.names if staged else None), [], None)
    except Exception as exc:  # noqa: BLE001
        return ReviewView(unexpected_html(exc), [], None)
    finally:
        if staged:
            staged.path.unlink(missing_ok=True)
    return ReviewView(review_summary(result, source), finding_rows(result.findings), report)


def _write_review_report(result) -> Path | None:
    """The .docx report, or None while the report module is not installed (the table still shows)."""
    try:
        from kb.review.report import write_report
    except ImportError:
        return None
    report = output_path("公平竞争审查意见.docx")
    write_report(result, report)
    return report


def review_summary(result, source: str) -> str:
    return "".join(notice(_esc(n), "info") for n in getattr(result, "notes", [])) + _review_counts(result, source)


def _review_counts(result, source: str) -> str:
    findings = result.findings
    n_clauses = result.clauses if isinstance(result.clauses, int) else len(result.clauses)
    if not findings:
        return notice(f"《{_esc(source)}》共 {n_clauses} 条条款，未发现涉嫌排除、限制竞争的内容。"
                      "（自动审查仅供参考，请结合实际情况判断。）", "ok")
    counts = result.counts()
    detail = "，".join(f"{k} {v} 处" for k, v in counts.items())
    return notice(f"《{_esc(source)}》共 {n_clauses} 条条款，发现 <b>{len(findings)}</b> 处问题（{_esc(detail)}）。"
                  "可下载 Word 审查报告。", "warn")


def finding_rows(findings) -> list[list[str]]:
    from kb.numerals import int_to_cn

    rows = []
    for f in findings:
        where = f"第{int_to_cn(f.article)}条" if f.article else ""
        if f.item:
            where += f"第（{int_to_cn(f.item)}）项"
        basis = "《公平竞争审查条例》" + where + (f"：{f.standard}" if f.standard else "")
        clause = (f"{f.clause_no} " if f.clause_no else "") + f.clause
        rows.append([clause, basis, f.severity, f.reason, f.suggestion])
    return rows


# --- 时限清单 -------------------------------------------------------------------------------------
@dataclass
class DeadlineView:
    message: str
    rows: list[list[str]]
    csv: Path | None


def deadline_view(doc_id: str = "", keyword: str = "", settings: Settings | None = None) -> DeadlineView:
    """The filtered deadline table plus the same rows as a CSV download."""
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
    path = write_csv(rows, DEADLINE_HEADERS, "时限清单.csv")
    return DeadlineView(notice(f"共 {len(rows)} 条时限或目标。", "info"), rows, path)


def deadline_rows(doc_id: str = "", keyword: str = "", settings: Settings | None = None) -> list[list[str]]:
    """Every time limit / dated target of the documents in force (or of one document), filtered by keyword."""
    from kb import deadlines
    from kb.corpus import Corpus

    keyword = (keyword or "").strip()
    # same selection as `kb deadlines --doc`: "all" means every document in force (superseded versions left out)
    docs = deadlines.select_documents(Corpus(settings or get_settings()), doc_id or "all")
    rows = []
    for d in deadlines.collect(docs):
        row = deadline_row(d)
        if keyword and not any(keyword in cell for cell in row):
            continue
        rows.append(row)
    return rows


def deadline_row(d) -> list[str]:
    """One Deadline as table cells; a passed target year is flagged next to the year."""
    when = "，".join(x for x in (d.condition, d.start) if x)
    year = f"{d.target_year}年" if d.target_year else ""
    if year and d.target_passed:
        year += "（已过）"
    return [d.doc_title, d.label, d.kind, d.subject, d.expression, when, year, d.quote]


def write_csv(rows: list[list[str]], headers: list[str], filename: str) -> Path:
    """CSV with a BOM so Excel/WPS open the Chinese correctly."""
    path = output_path(filename)
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
    """Stage and parse a file so the user sees its structure before it enters the corpus."""
    settings = settings or get_settings()
    if not upload:
        return Preview(notice("请先选择要上传的文件（.txt/.md/.pdf/.docx）。", "warn"), [], "", "")
    from kb.structure import parse_file

    staged = None
    try:
        staged = stage_upload(upload, settings)
        title = (title or "").strip() or title_from_name(staged.original_name)
        doc = parse_file(staged.path, title=title, max_bytes=settings.max_file_bytes)
    except errors.KBError as exc:
        if staged:
            staged.path.unlink(missing_ok=True)
        return Preview(error_html(exc, staged.names if staged else None), [], "", "")
    except Exception as exc:  # noqa: BLE001
        if staged:
            staged.path.unlink(missing_ok=True)
        return Preview(unexpected_html(exc), [], "", "")
    rows = [[a.label, a.title or a.heading, len(a.items), len(a.text), a.text[:40]] for a in doc.articles]
    chapters = sum(1 for s in doc.sections if s.kind in ("chapter", "part"))
    msg = notice(f"已解析《{_esc(doc.title)}》：类别 {_esc(doc.kind or '未识别')}，{chapters} 个章/部分，"
                 f"<b>{len(doc.articles)}</b> 条。请核对下表，无误后点击“确认加入知识库”。", "info")
    return Preview(msg, rows, str(staged.path), title)


def confirm_add(staged: str, title: str, date: str = "", kind: str = "", issuer: str = "",
                original_name: str = "", settings: Settings | None = None) -> str:
    """Add the previewed file to the corpus and update the index incrementally (one writer at a time)."""
    settings = settings or get_settings()
    path = Path(staged) if staged else None
    if path is None or not path.is_file() or work_dir() not in path.parents:
        return notice("请先上传并预览文件，再确认加入。", "warn")
    from kb.corpus import Corpus

    names = {path.name: original_name or path.name, str(path): original_name or path.name}
    try:
        with CORPUS_LOCK:
            corpus = Corpus(settings)
            entry, doc = corpus.add(path, title=title or "", date=(date or "").strip(), kind=kind or "",
                                    issuer=(issuer or "").strip())
            indexed = update_index(corpus, added=[entry.id], removed=[])
    except errors.KBError as exc:
        return error_html(exc, names)
    except Exception as exc:  # noqa: BLE001
        return unexpected_html(exc)
    finally:
        path.unlink(missing_ok=True)
    tail = "，检索索引已更新" if indexed else "（尚未建立检索索引，建立后即可检索）"
    return notice(f"已加入：《{_esc(entry.title)}》，编号 {_esc(entry.id)}，共 {len(doc.articles)} 条{tail}。", "ok")


def remove_document(doc_id: str, settings: Settings | None = None) -> str:
    if not doc_id:
        return notice("请先选择要删除的文件。", "warn")
    from kb.corpus import Corpus

    try:
        with CORPUS_LOCK:
            corpus = Corpus(settings or get_settings())
            entry = corpus.remove(doc_id)
            update_index(corpus, added=[], removed=[doc_id])
    except errors.KBError as exc:
        return error_html(exc)
    except Exception as exc:  # noqa: BLE001
        return unexpected_html(exc)
    return notice(f"已删除：《{_esc(entry.title)}》（{_esc(entry.id)}），并已从检索索引中移除。", "ok")


def update_index(corpus, added: list[str], removed: list[str]) -> bool:
    """Incremental index update when the index module and an index exist (same rule as the CLI)."""
    try:
        from kb.index.store import update_default_index
    except ImportError:
        return False
    return bool(update_default_index(corpus, added=added, removed=removed))


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
