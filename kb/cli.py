"""The `kb` command line. It only calls the library; KBError becomes a Chinese message and an exit code here."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from kb import errors
from kb.config import get_settings

app = typer.Typer(help="政策知识库：规划与法规的结构化检索、问答与公平竞争审查", no_args_is_help=True, add_completion=False)
corpus_app = typer.Typer(help="管理知识库中的文件", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")

console = Console()
err_console = Console(stderr=True)

JsonOpt = typer.Option(False, "--json", help="以 JSON 输出（供脚本使用）")


def emit_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


# --- parse ---------------------------------------------------------------------------------------
@app.command()
def parse(file: Path = typer.Argument(..., help="要解析的文件（.txt/.md/.pdf/.docx）"), as_json: bool = JsonOpt):
    """解析文件的条文结构：先显示统计，再列出每一条。"""
    from kb.structure import parse_file

    doc = parse_file(file, max_bytes=get_settings().max_file_bytes)
    counts = doc_counts(doc)
    if as_json:
        emit_json({"file": str(file), "title": doc.title, "kind": doc.kind, "counts": counts,
                   "sections": [{"kind": s.kind, "label": s.label, "title": s.title, "heading": " / ".join(s.heading_path),
                                 "text": s.text} for s in doc.sections],
                   "articles": [article_json(a) for a in doc.articles]})
        return
    console.print(f"[bold]《{doc.title}》[/bold]（{doc.kind or '未识别类别'}）")
    console.print("，".join(f"{k} {v}" for k, v in counts.items()))
    table = Table("条", "标题 / 所在章节", "项", "字数")
    for a in doc.articles:
        table.add_row(a.label, a.title or a.heading, str(len(a.items)), str(len(a.text)))
    console.print(table)


def doc_counts(doc) -> dict:
    return {
        "articles": len(doc.articles),
        "chapters": sum(1 for s in doc.sections if s.kind in ("chapter", "part")),
        "sections": sum(1 for s in doc.sections if s.kind in ("section",)),
        "paragraphs": sum(len(a.paragraphs) for a in doc.articles),
        "items": sum(len(a.items) for a in doc.articles),
    }


def article_json(a) -> dict:
    return {"number": a.number, "suffix": a.suffix, "label": a.label, "title": a.title, "heading": a.heading,
            "text": a.text, "start": a.start, "end": a.end,
            "paragraphs": [p.text for p in a.paragraphs],
            "items": [{"number": i.number, "label": i.label, "text": i.text} for i in a.items]}


# --- corpus --------------------------------------------------------------------------------------
@corpus_app.command("list")
def corpus_list(as_json: bool = JsonOpt):
    """列出知识库中的文件：编号、标题、类别、日期、状态、条数。"""
    from kb.corpus import Corpus

    c = Corpus()
    rows = []
    for e in c.entries():
        doc = c.get(e.id)
        rows.append({"id": e.id, "title": e.title, "kind": e.kind, "issuer": e.issuer, "date": e.date,
                     "effective": e.effective, "status": e.status, "superseded_by": e.superseded_by or None,
                     "articles": len(doc.articles), "path": e.path})
    if as_json:
        emit_json(rows)
        return
    table = Table("编号", "标题", "类别", "日期", "状态", "条数")
    for r in rows:
        status = r["status"] + (f"（→{r['superseded_by']}）" if r["superseded_by"] else "")
        table.add_row(r["id"], r["title"], r["kind"], r["date"], status, str(r["articles"]))
    console.print(table)


@corpus_app.command("add")
def corpus_add(
    file: Path = typer.Argument(..., help="要加入知识库的文件"),
    title: Optional[str] = typer.Option(None, "--title", help="文件标题（默认取文件名）"),
    date: Optional[str] = typer.Option(None, "--date", help="发布日期，如 2024-06-06"),
    kind: Optional[str] = typer.Option(None, "--kind", help="类别：规划/法律/行政法规/地方性法规/部门规章/规范性文件/其他"),
    issuer: Optional[str] = typer.Option(None, "--issuer", help="发布机关"),
    supersedes: Optional[str] = typer.Option(None, "--supersedes", help="新文件取代的旧版本编号"),
    as_json: bool = JsonOpt,
):
    """把文件复制进知识库并登记；若已建索引，增量更新索引。"""
    from kb.corpus import Corpus

    c = Corpus()
    entry, doc = c.add(file, title=title or "", date=date or "", kind=kind or "", issuer=issuer or "",
                       supersedes=supersedes or "")
    indexed = _update_index_if_present(c, added=[entry.id], removed=[])
    if as_json:
        emit_json({"id": entry.id, "title": entry.title, "kind": entry.kind, "articles": len(doc.articles),
                   "path": entry.path, "indexed": indexed})
        return
    console.print(f"已加入：《{entry.title}》，编号 {entry.id}，共 {len(doc.articles)} 条" + ("，索引已更新" if indexed else ""))


@corpus_app.command("remove")
def corpus_remove(doc_id: str = typer.Argument(..., help="文件编号（见 kb corpus list）"), as_json: bool = JsonOpt):
    """从知识库中删除一个文件（并从索引中移除）。"""
    from kb.corpus import Corpus

    c = Corpus()
    entry = c.remove(doc_id)
    indexed = _update_index_if_present(c, added=[], removed=[doc_id])
    if as_json:
        emit_json({"id": entry.id, "title": entry.title, "removed": True, "indexed": indexed})
        return
    console.print(f"已删除：《{entry.title}》（{entry.id}）")


def _update_index_if_present(corpus, added: list[str], removed: list[str]) -> bool:
    """Incremental index update when an index exists; False when there is none yet."""
    try:
        from kb.index.store import update_default_index
    except ImportError:
        return False
    return update_default_index(corpus, added=added, removed=removed)


# --- entry point -----------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    try:
        app(args=argv, standalone_mode=False)
    except errors.KBError as exc:
        err_console.print(f"[bold red]错误：[/bold red]{exc.message}")
        if exc.hint:
            err_console.print(f"[yellow]提示：[/yellow]{exc.hint}")
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("已取消。")
        return 130
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            return exc.exit_code
        if isinstance(exc, click.exceptions.Exit):
            return exc.exit_code
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())


def run() -> None:
    """Console-script entry: exit with main()'s code."""
    sys.exit(main())
