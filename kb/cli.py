"""The `kb` command line. It only calls the library; KBError becomes a Chinese message and an exit code here."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
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


@app.callback()
def _options(store: Optional[str] = typer.Option(
        None, "--store", help="索引存储：local（默认，indexes/ 下的文件）、milvus:///绝对路径/kb.db（Milvus Lite）或 "
                              "milvus://主机:19530 或 milvus://主机:19530/库名（Milvus 服务，令牌用 KB_MILVUS_TOKEN）；也可设 KB_STORE")):
    """政策知识库：规划与法规的结构化检索、问答与公平竞争审查"""
    import os

    if store:  # every command reads its settings from the environment (kb.config.get_settings)
        os.environ["KB_STORE"] = store


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
    indexed = _indexed_ids(c.settings)
    rows = []
    for e in c.entries():
        doc = c.get(e.id)
        rows.append({"id": e.id, "title": e.title, "kind": e.kind, "issuer": e.issuer, "date": e.date,
                     "effective": e.effective, "status": e.status, "superseded_by": e.superseded_by or None,
                     "articles": len(doc.articles), "path": e.path,
                     "indexed": None if indexed is None else e.id in indexed})
    missing = [r["id"] for r in rows if r["indexed"] is False]
    if missing:  # e.g. an add killed between the manifest write and the index update
        err_console.print(f"[yellow]提示：[/yellow]{len(missing)} 个文件尚未进入检索索引（{'、'.join(missing)}），"
                          "请运行 kb index check 修复")
    if as_json:
        emit_json(rows)
        return
    table = Table("编号", "标题", "类别", "日期", "状态", "条数")
    for r in rows:
        status = r["status"] + (f"（→{r['superseded_by']}）" if r["superseded_by"] else "")
        table.add_row(r["id"], r["title"], r["kind"], r["date"], status, str(r["articles"]))
    console.print(table)


def _indexed_ids(settings) -> set[str] | None:
    """Documents the default index holds; None when there is no index yet."""
    from kb.index.store import open_store

    try:
        store = open_store(settings)
    except (errors.IndexMissing, errors.IndexOutdated):  # the listing still works; `kb index build` fixes it
        return None
    try:
        return set(store.documents())
    finally:
        store.close()


def _on_wait(holder) -> None:
    """A second writer waits for the first instead of failing; say so, so nobody thinks it hangs."""
    who = holder.describe() if holder else "另一个写入操作"
    err_console.print(f"[yellow]等待中：[/yellow]{who}正在写入知识库，完成后继续…")


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
    from kb.audit import Actor
    from kb.changes import add_document

    done = add_document(get_settings(), file, Actor.cli(), title=title or "", date=date or "", kind=kind or "",
                        issuer=issuer or "", supersedes=supersedes or "", on_wait=_on_wait)
    entry = done.entry
    if as_json:
        emit_json({"id": entry.id, "title": entry.title, "kind": entry.kind, "articles": done.articles,
                   "path": entry.path, "indexed": done.indexed, "index_error": done.index_error})
        return
    console.print(f"已加入：《{entry.title}》，编号 {entry.id}，共 {done.articles} 条" + ("，索引已更新" if done.indexed else ""))
    if done.index_error:
        err_console.print(f"[yellow]注意：[/yellow]检索索引未能更新：{escape(done.index_error)}")


@corpus_app.command("remove")
def corpus_remove(doc_id: str = typer.Argument(..., help="文件编号（见 kb corpus list）"), as_json: bool = JsonOpt):
    """从知识库中删除一个文件（并从索引中移除）。"""
    from kb.audit import Actor
    from kb.changes import remove_document

    done = remove_document(get_settings(), doc_id, Actor.cli(), on_wait=_on_wait)
    entry = done.entry
    if as_json:
        emit_json({"id": entry.id, "title": entry.title, "removed": True, "indexed": done.indexed,
                   "index_error": done.index_error})
        return
    console.print(f"已删除：《{entry.title}》（{entry.id}）")
    if done.index_error:
        err_console.print(f"[yellow]注意：[/yellow]检索索引未能更新：{escape(done.index_error)}")


# --- index / search / library (retrieval) ----------------------------------------------------------
index_app = typer.Typer(help="建立和管理检索索引", no_args_is_help=True)
app.add_typer(index_app, name="index")
library_app = typer.Typer(help="国家法律法规库", no_args_is_help=True)
app.add_typer(library_app, name="library")
EmbedModelOpt = typer.Option(None, "--embed-model", help="向量模型：e5（默认）、kb-static-zh 或本地 sentence-transformers 模型目录（也可设 KB_EMBED_MODEL）")


def _settings_with_model(embed_model: Optional[str]):
    import dataclasses

    settings = get_settings()
    return dataclasses.replace(settings, embed_model=embed_model) if embed_model else settings


@index_app.command("build")
def index_build(
    collection: str = typer.Option("default", "--collection", help="检索库名称"),
    embed_model: Optional[str] = EmbedModelOpt,
    as_json: bool = JsonOpt,
):
    """为知识库建立（或重建）检索索引：关键词（BM25）+ 语义向量。"""
    from kb.audit import Actor
    from kb.changes import rebuild_index

    settings = _settings_with_model(embed_model)
    summary = rebuild_index(settings, Actor.cli(), collection=collection, progress=not as_json, on_wait=_on_wait)
    if as_json:
        emit_json(summary)
        return
    console.print(f"索引已建立：{summary['documents']} 个文件，{summary['chunks']} 个条文片段，"
                  f"向量模型 {summary['model'] or '无（仅关键词）'}，用时 {summary['seconds']} 秒")


@index_app.command("migrate")
def index_migrate(
    to: str = typer.Option(..., "--to", help="目标存储，如 milvus:///srv/kb/kb.db 或 milvus://10.0.0.5:19530"),
    collection: str = typer.Option("all", "--collection", help="default、library 或 all（默认：已建立的全部检索库）"),
    as_json: bool = JsonOpt,
):
    """把已建立的索引原样复制到另一个存储（条文、分词和向量都不重新计算），例如从本机文件迁到 Milvus。"""
    from kb.audit import Actor
    from kb.changes import migrate_index

    collections = ["default", "library"] if collection == "all" else [collection]
    moved = migrate_index(get_settings(), to, collections, Actor.cli(), progress=not as_json, on_wait=_on_wait)
    if as_json:
        emit_json(moved)
        return
    if not moved:
        raise errors.IndexMissing("当前存储中没有可迁移的检索库")
    for m in moved:
        console.print(f"已迁移 {m['collection']}：{m['documents']} 个文件，{m['chunks']} 个条文片段 → {m['target']}，"
                      f"用时 {m['seconds']} 秒")


@index_app.command("check")
def index_check(
    repair: bool = typer.Option(True, "--repair/--no-repair", help="发现问题时自动修复（默认修复）"),
    as_json: bool = JsonOpt,
):
    """核对知识库清单、文件和检索索引：找出未进索引的文件、孤立文件和残留的临时目录，并修复。"""
    from kb.audit import Actor
    from kb.changes import check

    report = check(get_settings(), Actor.cli(), repair=repair, on_wait=_on_wait)
    if as_json:
        emit_json(report.to_json())
    else:
        for line in report.lines():
            console.print(line)
    if not report.ok:  # scripts can tell "still inconsistent" from the exit code
        raise typer.Exit(1)


@app.command()
def search(
    query: Optional[str] = typer.Argument(None, help="要检索的问题或关键词，如“优化营商环境条例第十条”"),
    k: int = typer.Option(10, "-k", "--k", help="返回条数"),
    mode: str = typer.Option("hybrid", "--mode", help="检索方式：hybrid（默认）、bm25、dense"),
    doc: Optional[str] = typer.Option(None, "--doc", help="只在某个文件中检索（标题、部分标题或编号）"),
    collection: str = typer.Option("default", "--collection", help="检索库：default 或 library"),
    batch: Optional[Path] = typer.Option(None, "--batch", help="批量检索：每行一个查询，或 JSONL（含 id 和 query）"),
    embed_model: Optional[str] = EmbedModelOpt,
    as_json: bool = JsonOpt,
):
    """检索条文：先精确定位“X条例第X条”，再按相关度排序。"""
    from kb.retrieve import get_retriever

    retriever = get_retriever(_settings_with_model(embed_model), collection=collection)
    if batch is not None:
        _search_batch(retriever, batch, k, mode, doc)
        return
    if query is None:
        raise errors.BadQuery("请提供查询内容", hint="例如：kb search \"企业开办要几天\"，或用 --batch 文件批量检索")
    hits = retriever.search(query, k=k, mode=mode, doc=doc)
    if as_json:
        emit_json([h.to_json() for h in hits])
        return
    if not hits:
        console.print("没有找到相关条文。")
        return
    if mode == "hybrid" and not retriever.dense_ready():
        why = retriever.encoder_error
        err_console.print("[yellow]提示：[/yellow]未加载向量模型，本次只用关键词（BM25）检索"
                          + (f"（{escape(why.message)}；{escape(why.hint or '')}）" if why else ""))
    table = Table("#", "文件", "条", "状态", "得分", "内容")
    for i, h in enumerate(hits, 1):
        c = h.chunk
        label = c.label + (f"（{c.part}/{c.n_parts}）" if c.part else "")
        text = c.text.replace("\n", " ")
        table.add_row(str(i), c.doc_title, label, c.status, f"{h.score:.3f}", text[:80] + ("…" if len(text) > 80 else ""))
    console.print(table)


def _search_batch(retriever, path: Path, k: int, mode: str, doc: Optional[str]) -> None:
    """One JSON line per query; a bad query yields an "error" field instead of stopping the batch."""
    if not path.exists():
        raise errors.FileNotFound(path)
    from kb.ingest.text import read_plain

    for n, line in enumerate(read_plain(path).lstrip("\ufeff").splitlines(), 1):
        if not line.strip():
            continue
        out = {"id": str(n), "query": line.strip()}
        try:
            _batch_row(line, n, out)
            query, out["query"] = out["query"], out["query"][:200]  # the echo is cut; the search sees it whole
            out["hits"] = [h.to_json() for h in retriever.search(query, k=k, mode=mode, doc=doc)]
        except errors.InputError as exc:  # this line is bad: an error record for it, then the next line
            out.update(hits=[], error=exc.message, line=n)
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")


def _batch_row(line: str, n: int, out: dict) -> None:
    """Fill out's id and query from one batch line: plain text, or a JSON object whose query is a string."""
    if not line.lstrip().startswith("{"):
        return
    try:
        row = json.loads(line)
    except ValueError as exc:
        raise errors.BadQuery(f"第 {n} 行不是有效的 JSON：{exc.msg}") from None
    if isinstance(row, dict) and "id" in row:
        out["id"] = row["id"]  # as given (a number stays a number: the JSON output is a public interface)
    if not isinstance(row, dict) or not isinstance(row.get("query"), str):
        raise errors.BadQuery(f"第 {n} 行的 query 必须是字符串")
    out["query"] = row["query"]


@library_app.command("import")
def library_import(
    path: Path = typer.Argument(..., help="法律法规库（lawrefbook 的 .tar.xz 或解压后的目录）"),
    embed_model: Optional[str] = EmbedModelOpt,
    as_json: bool = JsonOpt,
):
    """导入国家法律法规库，建立检索库 library（kb search --collection library）。"""
    from kb.audit import Actor
    from kb.changes import import_library

    report = import_library(get_settings(), path, Actor.cli(), progress=not as_json, on_wait=_on_wait,
                            spec=embed_model)
    if as_json:
        emit_json(report)
        return
    console.print(f"已导入 {report['laws']} 部法律法规（其中 {report['superseded']} 部为旧版本），"
                  f"{report['chunks']} 个条文片段，用时 {report['seconds']} 秒")
    if report["failed"]:
        console.print(f"[yellow]{len(report['failed'])} 个文件未能解析：[/yellow]")
        for f in report["failed"]:
            console.print(f"  {f['path']}：{f['reason']}")


# --- embed (the project's own Chinese embedding model) ---------------------------------------------
embed_app = typer.Typer(help="项目自己的中文语义向量模型", no_args_is_help=True)
app.add_typer(embed_app, name="embed")


@embed_app.command("train")
def embed_train(
    library: Optional[Path] = typer.Option(None, "--library", help="法律法规库（.tar.xz 或目录）；默认 data/lawrefbook-md.tar.xz（若存在）"),
    corpus_only: bool = typer.Option(False, "--corpus-only", help="只用知识库自带的文件训练（约半分钟，效果较差）"),
    out: Optional[Path] = typer.Option(None, "--out", help="模型保存目录；默认 indexes/models/kb-static-zh"),
    epochs: int = typer.Option(1, "--epochs", min=1, help="训练轮数"),
    force: bool = typer.Option(False, "--force", help="即使已有相同训练数据的模型也重新训练"),
    as_json: bool = JsonOpt,
):
    """训练语义向量模型（自监督：从法规条文中自动构造训练样本，不需要下载任何模型）。"""
    from kb.embed.encoder import static_model_path
    from kb.embed.static import read_marker
    from kb.embed.train import train_model

    settings = get_settings()
    vendored = settings.root / "data" / "lawrefbook-md.tar.xz"
    library = None if corpus_only else (library or (vendored if vendored.exists() else None))
    if library is not None and not library.exists():
        raise errors.FileNotFound(library)
    out_dir = train_model(out or static_model_path(settings), settings.corpus_dir, library_path=library,
                          epochs=epochs, force=force)
    info = read_marker(out_dir)
    if as_json:
        emit_json({"path": str(out_dir), **info})
        return
    console.print(f"模型：{out_dir}（训练样本 {info.get('pairs')} 对，词表 {info.get('vocab')}，"
                  f"训练数据指纹 {info.get('train_hash')}）")


# --- ask / deadlines (assistant) ------------------------------------------------------------------
@app.command()
def ask(
    question: str = typer.Argument(..., help="要问的问题，如“企业开办要多长时间？”"),
    k: int = typer.Option(5, "-k", "--k", help="引用和相关条文的最多条数（1–20）"),
    as_json: bool = JsonOpt,
):
    """政策问答：给出结论、依据（引用原文）和可能相关的条文；找不到依据时明确说明。"""
    from kb.answer import answer_question

    if not 1 <= k <= 20:
        raise errors.InputError(f"--k 的取值 {k} 超出范围", hint="请使用 1 到 20 之间的整数")
    answer = answer_question(question, k=k)
    if as_json:
        emit_json(answer.to_json())
        return

    from kb.assistant.render import answer_lines

    if answer.generated:
        console.print(escape(answer.generated), soft_wrap=True)
    for head, text in ([] if answer.generated else answer_lines(answer)):  # soft_wrap: rich would orphan "1."
        style = "yellow" if head == "版本变化" else "bold"
        console.print(f"[{style}]{escape(head)}：[/{style}]{escape(text)}" if head else escape(text), soft_wrap=True)
    for note in answer.notes:
        console.print(f"[dim]说明：{escape(note)}[/dim]", soft_wrap=True)


@app.command()
def deadlines(
    doc: Optional[str] = typer.Option(None, "--doc", help="文件编号或标题（默认：现行规划；all = 全部现行文件）"),
    as_json: bool = JsonOpt,
    as_csv: bool = typer.Option(False, "--csv", help="以 CSV 输出（可用 Excel 打开）"),
):
    """时限与目标清单（督办台账）：每条时限的事项、数值、单位、条件、目标年份和原文。"""
    from kb.corpus import Corpus
    from kb.deadlines import collect, select_documents

    rows = collect(select_documents(Corpus(), doc))
    if as_json:
        emit_json([d.to_json() for d in rows])
        return
    if as_csv:
        _deadlines_csv(rows)
        return
    titles = list(dict.fromkeys(d.doc_title for d in rows))
    table = Table(title="、".join(f"《{t}》" for t in titles) if len(titles) == 1 else None)
    for name in (["文件"] if len(titles) > 1 else []) + ["条", "事项", "时限", "条件 / 起算", "期限", "原文"]:
        table.add_column(name, overflow="fold")
    for d in rows:
        limit = (f"{d.value:g}" if isinstance(d.value, float) else str(d.value)) + d.unit if d.value is not None else "—"
        limit = d.expression if d.kind == "日期" else limit
        limit += "（工作日）" if d.day_type == "工作日" else ""
        when = f"{d.target_year}年" + ("（已过）" if d.target_passed else "") if d.target_year else ""
        quote = d.quote if len(d.quote) <= 60 else d.quote[:59] + "…"
        cells = [d.label, d.subject, limit, "；".join(x for x in (d.condition, d.start) if x), when, quote]
        table.add_row(*([d.doc_title] if len(titles) > 1 else []), *cells)
    console.print(table)
    console.print(f"共 {len(rows)} 项（时限 {sum(d.kind == '时限' for d in rows)} 项，目标 {sum(d.kind == '目标' for d in rows)} 项）")


def _deadlines_csv(rows) -> None:
    import csv

    w = csv.writer(sys.stdout)
    w.writerow(["文件编号", "文件", "条", "类型", "事项", "数值", "单位", "日类型", "表述", "条件", "起算", "目标年份", "备注", "原文"])
    for d in rows:
        w.writerow([d.doc_id, d.doc_title, d.label, d.kind, d.subject, "" if d.value is None else f"{d.value:g}", d.unit,
                    d.day_type, d.expression, d.condition, d.start, d.target_year or "", d.note, d.quote])


# --- review (公平竞争审查) ----------------------------------------------------------------------------
@app.command()
def review(
    file: Path = typer.Argument(..., help="要审查的政策文件草案（.txt/.md/.pdf/.docx）"),
    as_json: bool = JsonOpt,
    report: Optional[Path] = typer.Option(None, "--report", help="输出审查意见书（.docx 或 .md）"),
):
    """公平竞争审查：逐条对照《公平竞争审查条例》第八至十一条，指出问题条款、理由和修改建议。"""

    from kb.review import review_file
    from kb.review.report import write_report
    from kb.review.standards import citation

    settings = get_settings()
    result = review_file(file, settings)
    written = _write_report(write_report, result, report) if report else None
    _audit_review(settings, file, result)
    if as_json:
        emit_json(result.to_json() | ({"report": str(written)} if written else {}))
        return
    counts = result.counts()
    console.print(f"[bold]{escape(str(file))}[/bold]：识别 {result.clauses} 条，发现 {len(result.findings)} 处问题"
                  + ("（" + "，".join(f"{k} {v}" for k, v in counts.items()) + "）" if counts else ""))
    for note in result.notes:  # e.g. unnumbered text reviewed paragraph by paragraph
        console.print(f"[yellow]说明：[/yellow]{escape(note)}")
    for f in result.findings:
        console.print(f"\n[bold]{escape(f.clause_no or '（未编号）')}[/bold] {citation(f.article, f.item)} [red]{f.severity}[/red]")
        console.print(f"  条款：{escape(f.clause)}")
        console.print(f"  理由：{escape(f.reason)}")
        console.print(f"  建议：{escape(f.suggestion)}")
    if written:
        console.print(f"\n审查意见已保存：{written}")


def _audit_review(settings, file: Path, result) -> None:
    """That a review happened, its size and outcome; never the draft's text."""
    from kb import audit
    from kb.hashing import file_hash

    audit.record(settings, audit.REVIEW, audit.Actor.cli(), source="file", sha256=file_hash(file),
                 bytes=file.stat().st_size, clauses=result.clauses, findings=len(result.findings))


def _write_report(write_report, result, path: Path) -> Path:
    """The report file; an unwritable path is a Chinese error, and a half-written file is removed."""
    existed = path.exists()
    try:
        return write_report(result, path)
    except OSError as exc:
        if not existed and path.is_file():
            path.unlink(missing_ok=True)
        raise errors.OutputNotWritable(path, exc.strerror or type(exc).__name__) from None


# --- users / audit ----------------------------------------------------------------------------------
users_app = typer.Typer(help="网页版的账户和角色（viewer 查看者 / editor 编辑 / admin 管理员）", no_args_is_help=True)
app.add_typer(users_app, name="users")
PasswordStdin = typer.Option(False, "--password-stdin", help="从标准输入读取密码（供脚本使用；默认交互输入两次）")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="用户名"),
    role: str = typer.Option(..., "--role", help="角色：viewer（提问、检索、审查、时限）、editor（另可加入文件）、admin（另可删除文件、重建索引、管理账户）"),
    password_stdin: bool = PasswordStdin,
    as_json: bool = JsonOpt,
):
    """添加账户。有了任何账户后，网页版必须登录才能使用。"""
    from kb.accounts import ROLE_NAMES, Accounts, check_role
    from kb.audit import Actor

    check_role(role)  # before asking for a password
    account = Accounts(get_settings()).add(name, role, _password(password_stdin), Actor.cli())
    if as_json:
        emit_json(account.to_json())
        return
    console.print(f"已添加账户：{account.name}（{ROLE_NAMES[account.role]}）")


@users_app.command("list")
def users_list(as_json: bool = JsonOpt):
    """列出账户和角色（不显示密码）。"""
    from kb.accounts import ROLE_NAMES, Accounts

    accounts = Accounts(get_settings()).all()
    if as_json:
        emit_json([a.to_json() for a in accounts])
        return
    if not accounts:
        console.print("还没有账户：网页版只允许本机访问且不需要登录。添加：kb users add 姓名 --role admin")
        return
    table = Table("用户名", "角色", "创建时间")
    for a in accounts:
        table.add_row(a.name, f"{ROLE_NAMES[a.role]}（{a.role}）", a.created)
    console.print(table)


@users_app.command("passwd")
def users_passwd(name: str = typer.Argument(..., help="用户名"), password_stdin: bool = PasswordStdin,
                 as_json: bool = JsonOpt):
    """修改账户密码（该账户已登录的网页会话随即失效）。"""
    from kb.accounts import Accounts
    from kb.audit import Actor

    accounts = Accounts(get_settings())
    accounts.require(name)  # before asking for a password
    account = accounts.set_password(name, _password(password_stdin), Actor.cli())
    if as_json:
        emit_json(account.to_json() | {"password_changed": True})
        return
    console.print(f"已修改密码：{account.name}")


@users_app.command("remove")
def users_remove(name: str = typer.Argument(..., help="用户名"), as_json: bool = JsonOpt):
    """删除账户（其网页会话随即失效）。"""
    from kb.accounts import Accounts
    from kb.audit import Actor

    account = Accounts(get_settings()).remove(name, Actor.cli())
    if as_json:
        emit_json(account.to_json() | {"removed": True})
        return
    console.print(f"已删除账户：{account.name}")


@app.command("audit")
def audit_log(
    since: Optional[str] = typer.Option(None, "--since", help="只看此后的记录：2024-06-01、2024-06-01T09:00、7d、12h"),
    as_json: bool = JsonOpt,
):
    """审计日志：登录、登录失败、加入/删除文件、重建索引、账户变更、审查（谁、何时、从哪里、做了什么）。"""
    from kb import audit

    settings = get_settings()
    records = audit.read(settings, audit.parse_since(since) if since else None)
    if as_json:
        emit_json([r.to_json() for r in records])
        return
    if not records:
        console.print(f"没有审计记录（日志文件：{audit.log_path(settings)}）")
        return
    table = Table("时间", "事件", "用户", "来源", "地址", "内容")
    for r in records:
        detail = "，".join(f"{k}={v}" for k, v in r.details.items() if v not in (None, "", []))
        table.add_row(r.time, r.event, r.user, r.via, r.address, detail)
    console.print(table)


# --- serve (web app) ----------------------------------------------------------------------------------
@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址（默认只允许本机访问；局域网共享用 0.0.0.0，需先创建账户）"),
    port: int = typer.Option(7860, "--port", help="端口"),
    allowed_host: list[str] = typer.Option([], "--allowed-host", help="同事访问时浏览器地址栏中的主机名或 IP（可重复；也可设 KB_ALLOWED_HOSTS，逗号分隔）"),
):
    """启动网页版（政策问答、条文检索、公平竞争审查、时限清单、知识库管理）。"""
    from kb.web.server import serve as _serve

    _serve(get_settings(), host=host, port=port, allowed_hosts=allowed_host, report=console.print)


# --- entry point -----------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    import os

    store_before = os.environ.get("KB_STORE")  # --store sets it for one command, not for the caller's process
    try:
        return _run(argv)
    finally:
        if store_before is None:
            os.environ.pop("KB_STORE", None)
        else:
            os.environ["KB_STORE"] = store_before


def _run(argv: list[str] | None) -> int:
    try:
        code = app(args=argv, standalone_mode=False)  # a typer.Exit(n) comes back as n in this mode
        if isinstance(code, int) and code:
            return code
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
