"""The review opinion (公平竞争审查意见) a legal office can file: .docx (python-docx) or .md.

Layout: title, summary (file, date, clause count, findings by severity), a summary table (clause, standard,
severity), then one heading per finding with the clause text, the 条例 article and item, the standard's own
words, the reason and the suggested text.
"""
from __future__ import annotations

from pathlib import Path

from kb import errors
from kb.models import Finding, ReviewResult
from kb.review.standards import citation

TITLE = "公平竞争审查意见"
SEVERITIES = ("违反", "需说明依据", "提示")
DISCLAIMER = ("本意见由公平竞争审查辅助工具依据《公平竞争审查条例》第八条至第十一条自动生成，"
              "“违反”为疑似违反审查标准，“需说明依据”为可能适用第十二条例外或有法律、行政法规依据、需在审查结论中说明，"
              "“提示”为需人工复核的情形。最终审查结论以起草单位和市场监督管理部门的审查为准。")


def _summary_lines(result: ReviewResult) -> list[str]:
    counts = result.counts()
    by_sev = "，".join(f"{s} {counts.get(s, 0)} 处" for s in SEVERITIES)
    return [
        f"审查文件：{Path(result.file).name or result.file or '（文本）'}",
        f"审查日期：{result.date}",
        f"识别条款：{result.clauses} 条",
        f"审查发现：共 {len(result.findings)} 处（{by_sev}）",
    ]


def _finding_title(i: int, f: Finding) -> str:
    return f"{i}. {f.clause_no or '（未编号条款）'}：{citation(f.article, f.item)}（{f.severity}）"


def _finding_fields(f: Finding) -> list[tuple[str, str]]:
    return [
        ("条款原文", f.clause),
        ("审查依据", citation(f.article, f.item)),
        ("审查标准", f.standard),
        ("审查意见", f.reason),
        ("修改建议", f.suggestion),
    ]


def write_docx(result: ReviewResult, out_path: Path) -> None:
    from docx import Document

    doc = Document()
    doc.add_heading(TITLE, level=0)
    doc.add_heading("一、审查概况", level=1)
    for line in _summary_lines(result):
        doc.add_paragraph(line)
    doc.add_paragraph(DISCLAIMER)
    doc.add_heading("二、审查发现汇总", level=1)
    if result.findings:
        table = doc.add_table(rows=1, cols=4)
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, ("序号", "条款", "审查标准", "结论")):
            cell.text = text
        for i, f in enumerate(result.findings, 1):
            row = table.add_row().cells
            row[0].text, row[1].text = str(i), f.clause_no or "（未编号）"
            row[2].text, row[3].text = f"{citation(f.article, f.item)}：{f.standard}", f.severity
    else:
        doc.add_paragraph("未发现违反《公平竞争审查条例》第八条至第十一条审查标准的内容。")
    doc.add_heading("三、逐条审查意见", level=1)
    for i, f in enumerate(result.findings, 1):
        doc.add_heading(_finding_title(i, f), level=2)
        for label, text in _finding_fields(f):
            p = doc.add_paragraph()
            p.add_run(f"{label}：").bold = True
            p.add_run(text)
    doc.save(str(out_path))


def to_markdown(result: ReviewResult) -> str:
    lines = [f"# {TITLE}", "", "## 一、审查概况", ""]
    lines += [f"- {line}" for line in _summary_lines(result)]
    lines += ["", f"> {DISCLAIMER}", "", "## 二、审查发现汇总", ""]
    if result.findings:
        lines += ["| 序号 | 条款 | 审查标准 | 结论 |", "| --- | --- | --- | --- |"]
        for i, f in enumerate(result.findings, 1):
            std = f"{citation(f.article, f.item)}：{f.standard}".replace("|", "｜")
            lines.append(f"| {i} | {f.clause_no or '（未编号）'} | {std} | {f.severity} |")
    else:
        lines.append("未发现违反《公平竞争审查条例》第八条至第十一条审查标准的内容。")
    lines += ["", "## 三、逐条审查意见", ""]
    for i, f in enumerate(result.findings, 1):
        lines += [f"### {_finding_title(i, f)}", ""]
        lines += [f"- **{label}**：{text}" for label, text in _finding_fields(f)]
        lines.append("")
    return "\n".join(lines)


def write_report(result: ReviewResult, out_path: str | Path) -> Path:
    """Write the opinion; the format follows the suffix (.docx or .md)."""
    out = Path(out_path)
    suffix = out.suffix.lower()
    if suffix not in (".docx", ".md"):
        raise errors.InputError(f"不支持的审查意见格式：{out.name}", hint="请使用 .docx 或 .md 作为输出文件扩展名")
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".docx":
        write_docx(result, out)
    else:
        out.write_text(to_markdown(result), encoding="utf-8")
    return out
