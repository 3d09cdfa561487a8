"""Writes to the corpus and its default index: the one code path the CLI and the web app share.

Each write holds the cross-process corpus lock from the first read of the manifest to the end of the index
update, and leaves an audit record. `check` compares manifest, corpus files and index and repairs what a
killed writer can leave behind: a document listed but not indexed, an index entry without a document, an
orphan file under corpus/user/, temp folders of killed builds.
"""
from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kb import audit, errors
from kb.config import Settings
from kb.corpus import Corpus, Entry
from kb.locking import CORPUS, LIBRARY, Holder, write_lock

OnWait = Callable[[Holder | None], None] | None


INDEX_LATER = "运行 kb index check 即可补建索引"


@dataclass
class Added:
    entry: Entry
    articles: int
    indexed: bool
    index_error: str = ""  # the document was added, but the index could not follow (the message says why)


@dataclass
class Removed:
    entry: Entry
    indexed: bool
    index_error: str = ""


def add_document(settings: Settings, path: str | Path, actor: audit.Actor, *, title: str = "", date: str = "",
                 kind: str = "", issuer: str = "", supersedes: str = "", file_name: str = "",
                 on_wait: OnWait = None) -> Added:
    """Validate and add a file, update the index, audit. Bad input raises before anything is written; once the
    document is in, an index that cannot follow (model gone, another file broken) is reported, not raised."""
    with write_lock(settings, CORPUS, f"{actor.user} 加入文件", on_wait):
        corpus = Corpus(settings)
        entry, doc = corpus.add(path, title=title, date=date, kind=kind, issuer=issuer, supersedes=supersedes)
        audit.record(settings, audit.CORPUS_ADD, actor, doc_id=entry.id, title=entry.title, sha256=entry.sha256,
                     file=file_name or Path(path).name, articles=len(doc.articles), supersedes=supersedes or None)
        indexed, problem = _follow_in_index(corpus)
    return Added(entry, len(doc.articles), indexed, problem)


def remove_document(settings: Settings, doc_id: str, actor: audit.Actor, on_wait: OnWait = None) -> Removed:
    with write_lock(settings, CORPUS, f"{actor.user} 删除文件 {doc_id}", on_wait):
        corpus = Corpus(settings)
        entry = corpus.remove(doc_id)
        audit.record(settings, audit.CORPUS_REMOVE, actor, doc_id=entry.id, title=entry.title, sha256=entry.sha256)
        indexed, problem = _follow_in_index(corpus)
    return Removed(entry, indexed, problem)


def rebuild_index(settings: Settings, actor: audit.Actor, collection: str = "default", progress: bool = False,
                  on_wait: OnWait = None) -> dict:
    """A full `build_index` under the lock, after removing what killed builds left behind."""
    from kb.index.build import build_index

    if collection == LIBRARY:  # made from the law library: build_index refuses it with the Chinese hint
        return build_index(settings, collection=collection)
    with write_lock(settings, CORPUS, f"{actor.user} 重建索引", on_wait):
        removed = remove_leftovers(settings, collection)
        summary = build_index(settings, collection=collection, progress=progress)
        audit.record(settings, audit.INDEX_BUILD, actor, collection=collection, documents=summary["documents"],
                     chunks=summary["chunks"], model=summary["model"])
    return {**summary, "leftovers_removed": removed}


def import_library(settings: Settings, path: Path, actor: audit.Actor, progress: bool = False,
                   on_wait: OnWait = None, spec: str | None = None) -> dict:
    """`kb library import` under its own lock (it writes only the library collection). spec: the encoder,
    when not the library's default (the static model)."""
    with write_lock(settings, LIBRARY, f"{actor.user} 导入国家法律法规库", on_wait):
        from kb.index.build import import_library as _import

        removed = remove_leftovers(settings, "library")
        report = _import(path, settings, progress=progress, spec=spec)
        audit.record(settings, audit.INDEX_BUILD, actor, collection="library", laws=report.get("laws"),
                     chunks=report.get("chunks"))
    return {**report, "leftovers_removed": removed}


def migrate_index(settings: Settings, target: str, collections: list[str], actor: audit.Actor,
                  progress: bool = False, on_wait: OnWait = None) -> list[dict]:
    """`kb index migrate`: copy built collections to another store under both collections' locks."""
    from kb.index.build import migrate

    with write_lock(settings, CORPUS, f"{actor.user} 迁移索引", on_wait), \
            write_lock(settings, LIBRARY, f"{actor.user} 迁移索引", on_wait):
        moved = migrate(settings, target, collections, progress=progress)
        for m in moved:
            audit.record(settings, audit.INDEX_BUILD, actor, collection=m["collection"], migrated_to=target,
                         documents=m["documents"], chunks=m["chunks"])
    return moved


def remove_leftovers(settings: Settings, collection: str) -> list[str]:
    """What killed builds of a collection left behind (IndexStore.clear_leftovers). Safe only under the
    collection's lock: every build holds it, so anything half-written seen here belongs to a writer that died."""
    from kb.index.store import connect

    store = connect(settings, collection)
    try:
        return store.clear_leftovers()
    finally:
        store.close()


def _update_index(corpus: Corpus) -> bool:
    """Incremental index update when an index exists (False when none has been built yet)."""
    from kb.index.build import update_index

    return update_index(corpus.settings) is not None


def _follow_in_index(corpus: Corpus) -> tuple[bool, str]:
    """After a change that has been written: update the index, or say why it could not."""
    try:
        return _update_index(corpus), ""
    except errors.KBError as exc:
        return False, f"{exc.message}（{exc.hint or INDEX_LATER}）"


# --- consistency check ------------------------------------------------------------------------------------------
@dataclass
class CheckReport:
    index_exists: bool = True
    unindexed: list[str] = field(default_factory=list)  # listed in the manifest, not in the index
    stale: list[str] = field(default_factory=list)  # in the index, no longer in the manifest
    missing_files: list[str] = field(default_factory=list)  # listed, but the file is gone
    unreadable: list[str] = field(default_factory=list)  # listed, file present, cannot be parsed
    orphans: list[str] = field(default_factory=list)  # files under corpus/user/ the manifest does not list
    leftovers_removed: list[str] = field(default_factory=list)
    orphans_moved_to: str = ""
    repaired: bool = False

    @property
    def ok(self) -> bool:
        """Consistent after this run: nothing found, or everything found was repaired."""
        index_ok = not (self.unindexed or self.stale) or self.repaired
        orphans_ok = not self.orphans or bool(self.orphans_moved_to)
        return self.index_exists and index_ok and orphans_ok and not (self.missing_files or self.unreadable)

    def to_json(self) -> dict:
        return {**self.__dict__, "ok": self.ok}

    def lines(self) -> list[str]:
        """The report in words (printed by `kb index check` and at `kb serve` start)."""
        lines = []
        if not self.index_exists:
            lines.append("还没有建立检索索引：请运行 kb index build")
        for label, ids in (("未进入检索索引", self.unindexed), ("索引中有但清单中已没有", self.stale),
                           ("清单中登记但文件不存在", self.missing_files), ("文件无法解析", self.unreadable),
                           ("孤立文件（清单未登记）", self.orphans)):
            if ids:
                lines.append(f"{label}：{'、'.join(ids)}")
        if self.repaired:
            lines.append("已修复：检索索引已与知识库清单一致")
        if self.orphans_moved_to:
            lines.append(f"孤立文件已移到：{self.orphans_moved_to}")
        if self.leftovers_removed:
            lines.append(f"已删除中断的建索引留下的临时目录：{'、'.join(self.leftovers_removed)}")
        if self.missing_files or self.unreadable:
            lines.append("请恢复缺失或损坏的文件，或用 kb corpus remove 删除其登记")
        return lines or ["知识库清单、文件和检索索引一致"]


def check(settings: Settings, actor: audit.Actor, repair: bool = True, on_wait: OnWait = None) -> CheckReport:
    """Compare manifest, corpus files and index; with repair, fix what can be fixed without guessing."""
    with write_lock(settings, CORPUS, f"{actor.user} 检查索引", on_wait):
        report = _inspect(settings)
        report.leftovers_removed = remove_leftovers(settings, "default")
        if repair and report.orphans:
            report.orphans_moved_to = _move_orphans(settings, report.orphans)
        if (repair and report.index_exists and (report.unindexed or report.stale)
                and not report.unreadable and not report.missing_files):
            report.repaired = _update_index(Corpus(settings))
        if report.repaired or report.orphans_moved_to or report.leftovers_removed:
            audit.record(settings, audit.INDEX_CHECK, actor, unindexed=report.unindexed, stale=report.stale,
                         orphans=report.orphans, leftovers=report.leftovers_removed, repaired=report.repaired)
    return report


def _inspect(settings: Settings) -> CheckReport:
    from kb.index.store import open_store

    corpus, report = Corpus(settings), CheckReport()
    entries = corpus.entries()
    for e in entries:
        if not (corpus.dir / e.path).is_file():
            report.missing_files.append(e.id)
            continue
        try:
            corpus.get(e.id)
        except errors.KBError:
            report.unreadable.append(e.id)
    listed = {(corpus.dir / e.path).resolve() for e in entries}
    user_dir = corpus.dir / "user"
    if user_dir.is_dir():
        report.orphans = sorted(str(p.relative_to(corpus.dir)) for p in user_dir.iterdir()
                                if p.is_file() and p.resolve() not in listed)
    try:
        indexed = set(open_store(settings).documents())
    except errors.IndexMissing:
        report.index_exists = False
        return report
    ids = {e.id for e in entries}
    report.unindexed = sorted(ids - indexed - set(report.missing_files))
    report.stale = sorted(indexed - ids)
    return report


def _move_orphans(settings: Settings, orphans: list[str]) -> str:
    """Orphans are copies a killed add left behind; moved aside (not deleted) in case someone wants them."""
    dest = settings.state_dir / "orphans" / time.strftime("%Y%m%d-%H%M%S")
    dest.mkdir(parents=True, exist_ok=True)
    for rel in orphans:
        shutil.move(str(settings.corpus_dir / rel), dest / Path(rel).name)
    return str(dest)
