"""Import the national law library (lawrefbook) as the search collection "library".

Every law is parsed with kb.structure; a law that cannot be parsed is reported with the reason, never dropped
silently. Files that are versions of one law (same title, different dates) are linked: the newest is current,
the older ones are 已被修订 and point to it.
"""
from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

from kb import errors
from kb.chunking import chunk_document
from kb.config import Settings, get_settings
from kb.index.store import _progress, collection_dir, commit, index_chunks, load_embedder, open_store
from kb.library import iter_library, parse_law
from kb.models import CURRENT, SUPERSEDED, Document

COLLECTION = "library"
# lawrefbook's top folders → 效力级别, the level the ranking prior works with
_LEVELS = {
    "宪法": "宪法", "行政法规": "行政法规", "司法解释": "司法解释", "部门规章": "部门规章", "DLC": "地方性法规",
    "案例": "案例", "其他": "其他",
}
_LAW_FOLDERS = ("刑法", "宪法相关法", "民法典", "民法商法", "社会法", "经济法", "行政法", "诉讼与非诉讼程序法")


def level_of(category: str) -> str:
    return "法律" if category in _LAW_FOLDERS else _LEVELS.get(category, category or "其他")


def display_title(law) -> str:
    """The 民法典 comes as one file per 编 ("人格权编.md"): name them "民法典人格权编" so "民法典第X条" finds them."""
    if law.category == "民法典" and not law.title.startswith("民法典"):
        return "民法典" + law.title
    return law.title


def load_laws(path: str | Path, progress: bool = True) -> tuple[list[Document], list[dict]]:
    """(parsed documents with version status, failures [{path, title, reason}])."""
    docs: list[Document] = []
    failed: list[dict] = []
    with _progress(progress) as bar:
        task = bar.add_task("解析法律法规", total=None)
        for law in iter_library(path):
            bar.advance(task)
            if law.path.startswith("scripts/"):  # the library's own tooling, not law text
                continue
            try:
                doc = parse_law(law)
            except errors.KBError as exc:
                failed.append({"path": law.path, "title": law.title, "reason": exc.message})
                continue
            except Exception as exc:  # a parser bug must not lose the other 3,000 laws; it is reported below
                failed.append({"path": law.path, "title": law.title, "reason": f"{type(exc).__name__}: {exc}"})
                continue
            doc.title, doc.date, doc.kind = display_title(law), law.date, level_of(law.category)
            docs.append(doc)
    link_versions(docs)
    return docs, failed


def link_versions(docs: list[Document]) -> None:
    """Same title = versions of one law: newest date is current; undated files count as oldest."""
    by_title: dict[str, list[Document]] = defaultdict(list)
    for d in docs:
        by_title[d.title].append(d)
    for versions in by_title.values():
        versions.sort(key=lambda d: d.date, reverse=True)
        newest = versions[0]
        newest.status = CURRENT
        for old in versions[1:]:
            old.status, old.superseded_by = SUPERSEDED, newest.doc_id


def import_library(path: str | Path, settings: Settings | None = None, progress: bool = True) -> dict:
    """Parse every law and (re)build indexes/library/; unchanged laws keep their stored tokens and vectors."""
    settings = settings or get_settings()
    t0 = time.perf_counter()
    docs, failed = load_laws(path, progress)
    if not docs:
        raise errors.InputError(f"法律法规库中没有可解析的法律：{path}", hint="请确认是 lawrefbook 的 .tar.xz 或解压目录")
    try:
        previous = open_store(settings, COLLECTION)
    except errors.KBError:
        previous = None
    embedder = load_embedder(settings)
    groups = {d.doc_id: chunk_document(d) for d in docs}
    store = index_chunks(groups, embedder, previous=previous, progress=progress)
    store.info.update({"collection": COLLECTION, "source": str(path), "failed": failed,
                       "build_seconds": round(time.perf_counter() - t0, 1)})
    commit(store, collection_dir(settings, COLLECTION))
    return {
        "laws": len(docs), "superseded": sum(d.status == SUPERSEDED for d in docs), "chunks": len(store),
        "failed": failed, "model": store.model, "seconds": round(time.perf_counter() - t0, 1),
        "reused_chunks": store.info.get("reused_chunks", 0),
    }
