"""HTML for the web app: notices, answers with expandable citations, search hits, review findings.

Everything user-supplied goes through `esc`. Answer rendering lives in `answer_to_html` only.
"""
from __future__ import annotations

import html
import logging
import re

from kb import errors
from kb.models import CURRENT, spoken_label

log = logging.getLogger(__name__)


def esc(text) -> str:
    return html.escape(str(text or ""), quote=True)


def multiline(text: str) -> str:
    return esc(text).replace("\n", "<br>")


# --- messages ------------------------------------------------------------------------------------
def notice(text: str, level: str = "info") -> str:
    """A coloured notice box; level is info | ok | warn | error."""
    return f'<div class="kb-notice kb-{level}">{text}</div>'


def error_html(exc: errors.KBError, names: dict[str, str] | None = None) -> str:
    """The CLI's message and hint for a KBError; staged file names are shown as the user's own names."""
    message, hint = exc.message, exc.hint or ""
    for staged, original in (names or {}).items():
        message, hint = message.replace(staged, original), hint.replace(staged, original)
    body = f"<b>错误：</b>{esc(message)}"
    if hint:
        body += f"<br><b>提示：</b>{esc(hint)}"
    return notice(body, "error")


def unexpected_html(exc: Exception) -> str:
    log.exception("unexpected error in web view", exc_info=exc)
    return notice(f"<b>系统内部错误：</b>{esc(type(exc).__name__)}。请联系管理员查看服务日志。", "error")


def not_ready_html(what: str, exc: ImportError | None = None) -> str:
    """A module of the library is missing (a partial install); logged so a broken import is not hidden."""
    if exc is not None:
        log.error("web view %s unavailable: %r", what, exc)
    return notice(f"“{esc(what)}”功能尚未安装或正在更新，请稍后再试。", "warn")


def status_badge(status: str, superseded_by: str | None = None) -> str:
    if not status or status == CURRENT:
        return f'<span class="kb-badge kb-current">{esc(status or CURRENT)}</span>'
    extra = f"（现行版本：{esc(superseded_by)}）" if superseded_by else ""
    return f'<span class="kb-badge kb-superseded">{esc(status)}{extra}</span>'


# --- 政策问答 -------------------------------------------------------------------------------------
def answer_to_html(data: dict, corpus) -> str:
    """An answer's fields (Answer.to_json) as 结论, its summaries, the eligibility comparison, the steps, 依据 (each
    expandable to the full article), 可能相关 and notes."""
    parts = []
    if data.get("abstained"):
        parts.append(notice("<b>未找到可靠依据，系统不作结论。</b>知识库中没有足够相关的条文回答这个问题；"
                            "请换一种问法，或到“条文检索”中查找。", "warn"))
    conclusion = data.get("generated") or data.get("conclusion") or ""
    if data.get("verdict"):
        conclusion = f"【{data['verdict']}】{conclusion}"
    if conclusion:
        parts.append(f'<h3>结论</h3><div class="kb-answer">{multiline(conclusion)}</div>')
    shown = {"条件"} if data.get("eligibility") else set()  # the 条件对照 table says it in full
    parts += [f'<div class="kb-summary"><b>{esc(item["label"])}：</b>{multiline(item["text"])}</div>'
              for item in data.get("summary") or [] if item.get("kind") not in shown]
    if data.get("eligibility"):
        parts.append(eligibility_html(data["eligibility"]))
    if data.get("steps"):
        parts.append(steps_html(data["steps"]))
    for heading, key in (("依据", "citations"), ("可能相关", "related")):
        cites = data.get(key) or []
        if cites:
            parts.append(f"<h3>{heading}</h3>" + "".join(citation_html(c, corpus) for c in cites))
    notes = data.get("notes") or []
    if notes:
        parts.append('<div class="kb-notes">' + "<br>".join(esc(n) for n in notes) + "</div>")
    return "\n".join(parts) or notice("没有得到回答。", "warn")


def eligibility_html(rows: list[dict]) -> str:
    body = "".join(f"<tr><td>{esc(r['condition'])}</td><td>{esc(r.get('user_value') or '（问题中未说明：' + (r.get('missing') or '') + '）')}</td>"
                   f"<td>{esc(r.get('comparison'))}</td><td><b>{esc(r['verdict'])}</b></td><td>{esc(r.get('citation'))}</td></tr>"
                   for r in rows)
    return ('<h3>条件对照</h3><table class="kb-table kb-eligibility"><thead><tr><th>条文中的条件</th><th>您提供的情况</th>'
            "<th>对照</th><th>结论</th><th>出处</th></tr></thead><tbody>" + body + "</tbody></table>")


def steps_html(steps: list[dict]) -> str:
    items = "".join(f"<li><b>{esc(s.get('actor'))}</b>：{esc(s['action'])}"
                    + (f"（时限：{esc(s['time_limit'])}）" if s.get("time_limit") else "")
                    + f' <span class="kb-meta">{esc(s.get("citation"))}</span></li>' for s in steps)
    return f'<h3>办理步骤</h3><ol class="kb-steps">{items}</ol>'


def _full_article(corpus, doc_id: str, number: int):
    """(Article, Document); (None, None) when the document is not in this corpus (e.g. the national library)."""
    try:
        doc = corpus.get(doc_id)
    except errors.KBError:
        return None, None
    return (doc.article(number) if number else None), doc


def citation_html(c: dict, corpus, open_: bool = False) -> str:
    """One citation as <details>: summary = document, article label, status, quote; body = the whole article
    (carried by the citation itself) and, for corpus documents, where it stands and who issued it."""
    _, doc = _full_article(corpus, c.get("doc_id", ""), 0)
    superseded_by = getattr(doc, "superseded_by", None) if doc else None
    summary = (f'<span class="kb-cite-doc">《{esc(c.get("doc"))}》</span>'
               f'<span class="kb-cite-label">{esc(spoken_label(c.get("label") or ""))}</span> '
               f'{status_badge(c.get("status", ""), superseded_by)}'
               f'<div class="kb-quote">{esc(c.get("quote"))}</div>')
    body = f'<div class="kb-article">{multiline(c.get("article_text") or c.get("quote", ""))}</div>'
    where = (c.get("heading") or "").rstrip("。；，")
    meta = "，".join(x for x in (where and f"所在章节：{where}", doc and doc.issuer,
                                  (c.get("date") or (doc and doc.date)) and f"{c.get('date') or doc.date} 发布",
                                  f"文件状态：{c.get('status') or (doc and doc.status)}") if x)
    body += f'<div class="kb-meta">{esc(meta)}</div>'
    return f'<details class="kb-cite"{" open" if open_ else ""}><summary>{summary}</summary>{body}</details>'


# --- 条文检索 -------------------------------------------------------------------------------------
def highlight(text: str, terms: list[str]) -> str:
    """HTML-escaped text with every term wrapped in <mark>, longest terms first."""
    escaped = esc(text)
    words = [esc(t) for t in terms if t]
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
            f'<tr class="kb-hit"><td>{i}</td><td>{esc(h.get("doc"))}'
            f'<div class="kb-meta">{esc(h.get("heading"))}</div></td>'
            f'<td class="kb-label">{esc(h.get("label"))}</td><td>{status_badge(h.get("status", ""))}</td>'
            f'<td class="kb-snippet">{highlight(snippet(h.get("text", ""), terms), terms)}</td></tr>'
        )
    return (f'<div class="kb-count">共 {len(hits)} 条结果</div>'
            '<table class="kb-table kb-hits"><thead><tr><th>#</th><th>文件</th><th>条文</th><th>状态</th>'
            '<th>内容摘录</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>")


# --- 公平竞争审查 ---------------------------------------------------------------------------------
def review_summary(result, source: str) -> str:
    """What the review did with the text (e.g. split unnumbered text into paragraphs), then what it found."""
    return "".join(notice(esc(n), "info") for n in result.notes) + _review_counts(result, source)


def _review_counts(result, source: str) -> str:
    findings = result.findings
    n_clauses = result.clauses if isinstance(result.clauses, int) else len(result.clauses)
    if not findings:
        return notice(f"《{esc(source)}》共 {n_clauses} 条条款，未发现涉嫌排除、限制竞争的内容。"
                      "（自动审查仅供参考，请结合实际情况判断。）", "ok")
    detail = "，".join(f"{k} {v} 处" for k, v in result.counts().items())
    return notice(f"《{esc(source)}》共 {n_clauses} 条条款，发现 <b>{len(findings)}</b> 处问题（{esc(detail)}）。"
                  "可下载 Word 审查报告（只能下载一次，服务器不保留草案和报告）。", "warn")


def finding_rows(findings) -> list[list[str]]:
    """Table rows; the basis reads exactly like the report's (kb.review.standards.citation)."""
    from kb.review.standards import citation

    rows = []
    for f in findings:
        basis = citation(f.article, f.item) + (f"：{f.standard}" if f.standard else "")
        clause = (f"{f.clause_no} " if f.clause_no else "") + f.clause
        rows.append([clause, basis, f.severity, f.reason, f.suggestion])
    return rows


def download_link(url: str, filename: str, label: str) -> str:
    return f'<a class="kb-download" href="{esc(url)}" download="{esc(filename)}">{esc(label)}</a>'


# --- 登录 -----------------------------------------------------------------------------------------
def login_page(message: str = "", name: str = "") -> str:
    """The login form (plain HTML: it is served before gradio's page, to people who are not logged in)."""
    box = f'<p class="msg">{esc(message)}</p>' if message else ""
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>登录 · 政策知识库</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:sans-serif;background:#f5f6f8;display:flex;justify-content:center;padding-top:12vh}}
form{{background:#fff;padding:28px 32px;border-radius:8px;box-shadow:0 1px 4px #0002;width:300px}}
h1{{font-size:1.3em;margin:0 0 18px}}label{{display:block;margin:10px 0 4px}}
input{{width:100%;padding:7px;box-sizing:border-box}}button{{margin-top:18px;width:100%;padding:8px}}
.msg{{color:#a12020;background:#fdecec;padding:8px;border-radius:4px}}</style></head>
<body><form method="post" action="login"><h1>政策知识库 · 登录</h1>{box}
<label for="username">用户名</label><input id="username" name="username" value="{esc(name)}" autofocus required>
<label for="password">密码</label><input id="password" name="password" type="password" required>
<button type="submit">登录</button></form></body></html>"""
