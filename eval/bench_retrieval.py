"""Retrieval performance for the default corpus and the law library (indexes/library, when imported):
build time, index size on disk, RSS, query latency p50/p95 per mode, and our BM25 query time against rank_bm25
on the same tokenised corpus in the same run.

    .venv/bin/python eval/bench_retrieval.py [--queries 194] [--json out.json]

The default corpus is rebuilt in a scratch root (the product's own index is left alone); the library's build
time is the one recorded by `kb library import` in indexes/library/meta.json.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from kb import errors  # noqa: E402
from kb.config import get_settings  # noqa: E402
from kb.index.build import build_index  # noqa: E402
from kb.retrieve import Retriever, get_retriever  # noqa: E402


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def disk_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1024 / 1024


def percentiles(ms: list[float]) -> tuple[float, float]:
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def latency(retriever: Retriever, queries: list[str], mode: str) -> tuple[float, float]:
    retriever.search(queries[0], mode=mode)  # warm-up (lazy BM25 matrices, model)
    ms = []
    for q in queries:
        t0 = time.perf_counter()
        retriever.search(q, k=10, mode=mode)
        ms.append((time.perf_counter() - t0) * 1000)
    return percentiles(ms)


def bm25_vs_rank_bm25(retriever: Retriever, queries: list[str]) -> dict:
    """Same tokens, same corpus: our sparse search (bm25s) vs rank_bm25's BM25Okapi scoring + top 10."""
    from rank_bm25 import BM25Okapi

    store = retriever.store
    tokens = [t or [""] for d in store.documents() for t in store.stored(d).terms]
    t0 = time.perf_counter()
    okapi = BM25Okapi(tokens)
    okapi_build = time.perf_counter() - t0
    qtoks = [retriever.seg.query_terms(q) for q in queries]
    store.search_sparse(qtoks[0], 10)
    ours, theirs = [], []
    for qt in qtoks:
        t0 = time.perf_counter()
        store.search_sparse(qt, 10)
        ours.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        np.argsort(-okapi.get_scores(qt))[:10]
        theirs.append((time.perf_counter() - t0) * 1000)
    return {"ours_ms_mean": statistics.mean(ours), "rank_bm25_ms_mean": statistics.mean(theirs),
            "ratio_ours_to_rank_bm25": statistics.mean(ours) / statistics.mean(theirs),
            "rank_bm25_build_s": okapi_build, "queries": len(qtoks)}


def bench(name: str, retriever: Retriever, folder: Path, build_s: float | None, rss_before: float,
          queries: list[str], rank_queries: int) -> dict:
    stats = retriever.store.stats()
    out = {"collection": name, "chunks": stats.chunks, "model": stats.encoder and stats.encoder.name,
           "build_s": build_s, "disk_mb": disk_mb(folder), "rss_after_load_mb": rss_mb(),
           "rss_delta_mb": rss_mb() - rss_before}
    modes = ["bm25"] + (["dense", "hybrid"] if retriever.dense_ready() else [])
    for mode in modes:
        out[f"{mode}_p50_ms"], out[f"{mode}_p95_ms"] = latency(retriever, queries, mode)
    out["rank_bm25"] = bm25_vs_rank_bm25(retriever, queries[:rank_queries])
    out["rss_end_mb"] = rss_mb()
    return out


def show(r: dict) -> None:
    print(f"\n### {r['collection']} ({r['chunks']} chunks, model {r['model']})")
    build = f"{r['build_s']:.1f} s" if r["build_s"] is not None else "n/a"
    print(f"build {build} | disk {r['disk_mb']:.1f} MB | RSS after load {r['rss_after_load_mb']:.0f} MB "
          f"(+{r['rss_delta_mb']:.0f} MB for this index) | RSS at end {r['rss_end_mb']:.0f} MB")
    for mode in ("bm25", "dense", "hybrid"):
        if f"{mode}_p50_ms" in r:
            print(f"  {mode:6s} p50 {r[f'{mode}_p50_ms']:7.1f} ms   p95 {r[f'{mode}_p95_ms']:7.1f} ms")
    rb = r["rank_bm25"]
    print(f"  BM25 query: ours {rb['ours_ms_mean']:.2f} ms vs rank_bm25 {rb['rank_bm25_ms_mean']:.2f} ms "
          f"→ ratio {rb['ratio_ours_to_rank_bm25']:.3f} (over {rb['queries']} queries)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--queries", type=int, default=194, help="how many eval queries to time")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    rows = [json.loads(x) for x in (ROOT / "eval" / "retrieval.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    queries = [r["query"] for r in rows][: args.queries]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "corpus").symlink_to(ROOT / "corpus")
        base = get_settings()  # the scratch root shares the product's vector cache
        settings = dataclasses.replace(get_settings(tmp), cache_root=base.cache_dir)
        rss0 = rss_mb()
        summary = build_index(settings, progress=False)
        store = get_retriever(settings).store
        results.append(bench("default", get_retriever(settings), Path(store.location),
                             summary["seconds"], rss0, queries, len(queries)))
        show(results[-1])
    try:
        rss0 = rss_mb()
        lib = get_retriever(base, collection="library")
    except errors.KBError as exc:
        print(f"\n(library not benchmarked: {exc.message})")
        lib = None
    if lib is not None:
        results.append(bench("library", lib, Path(lib.store.location), None, rss0, queries, min(30, len(queries))))
        show(results[-1])
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
