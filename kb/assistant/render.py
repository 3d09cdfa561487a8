"""An Answer as plain text: 结论 / summaries / 依据 / 可能相关 — the one place that wording lives (the CLI prints
it line by line; the web app renders the same fields as HTML in kb.web.render)."""
from __future__ import annotations

from kb.models import SUPERSEDED, Answer, Citation, Step, spoken_label

ABSTAIN_TEXT = "知识库中没有找到能直接回答这个问题的条款。"


def ref(c: Citation) -> str:
    """"《保障中小企业款项支付条例》（2020年版，已被修订）第八条"."""
    old = f"（{c.date[:4]}年版，已被修订）" if c.status == SUPERSEDED and c.date else ("（旧版，已被修订）" if c.status == SUPERSEDED else "")
    return f"《{c.doc}》{old}{spoken_label(c.label)}"


def version_ref(c: Citation) -> str:
    """"《保障中小企业款项支付条例》（2025年版，现行）第九条" — a version answer names the year of both."""
    year = f"{c.date[:4]}年版，" if c.date else ""
    return f"《{c.doc}》（{year}{'已被修订' if c.status == SUPERSEDED else '现行'}）{spoken_label(c.label)}"


def step_line(s: Step) -> str:
    """"2. 行政机关：…（时限：五日内）〔《行政许可法》第三十二条〕"."""
    who = f"{s.actor}：" if s.actor else ""
    limit = f"（时限：{s.time_limit}）" if s.time_limit else ""
    return f"{s.n}. {who}{s.action}{limit}〔{s.citation}〕"


def answer_lines(a: Answer) -> list[tuple[str, str]]:
    """(heading, text) pairs; heading "" for a plain line."""
    if a.abstained:
        out = [("", ABSTAIN_TEXT)]
        if a.related:
            out.append(("可能相关", ""))
            out += [("", f"- {ref(r)}：“{r.quote}”") for r in a.related]
        return out
    out = [("结论", a.conclusion)]
    if a.verdict:
        out.append(("判断", a.verdict))
    out += [(s.label, s.text) for s in a.summary]
    if a.steps:
        out.append(("办理步骤", ""))
        out += [("", step_line(s)) for s in a.steps]
    out.append(("依据", ""))
    both = {c.doc for c in a.citations if c.status == SUPERSEDED} & {c.doc for c in a.citations if c.status != SUPERSEDED}
    out += [("", f"{i}. {version_ref(c) if c.doc in both else ref(c)}：“{c.quote}”") for i, c in enumerate(a.citations, 1)]
    if a.related:
        out.append(("可能相关", ""))
        out += [("", f"- {ref(r)}") for r in a.related]
    return out


def answer_text(a: Answer) -> str:
    if a.generated:
        return a.generated
    return "\n".join(f"{h}：{t}" if h else t for h, t in answer_lines(a))
