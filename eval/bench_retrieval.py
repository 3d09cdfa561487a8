"""Retrieval speed and size, measured side by side in one run (make bench).

  1. e5 (the dense side of the default corpus): query latency p50/p95 with 1 and 2 OpenMP threads, passages/s
     for batches (index builds), and the default corpus built from scratch (no cached vectors) and again with
     the cache warm.
  2. Cold start: wall time of one `kb search … --mode M` process per mode (target ≤ 1.5 s on an idle machine).
  3. Our BM25 (bm25s) against rank_bm25 on the same terms with the same k1/b: top-10 agreement and query time.
  4. Backends: the local files against Milvus Lite, default corpus and (when imported) the law library:
     build / migrate time, index size on disk, query p50/p95 per mode.

    .venv/bin/python eval/bench_retrieval.py [--queries 100] [--no-scratch-build] [--json out.json]

Figures depend on what else the machine is doing: the load average is printed beside them.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from kb import errors  # noqa: E402
from kb.config import get_settings  # noqa: E402
from kb.index.build import build_index, migrate  # noqa: E402
from kb.retrieve import Retriever, get_retriever  # noqa: E402

SEARCH = "开公司要多久能办下来"


def load() -> str:
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def pcts(ms: list[float]) -> tuple[float, float]:
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def timed(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - t0) * 1000


def disk_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1024 / 1024 if path.exists() else 0.0


def queries(n: int) -> list[str]:
    rows = [json.loads(x) for x in (ROOT / "eval" / "retrieval.jsonl").read_text(encoding="utf-8").splitlines() if x]
    return [r["query"] for r in rows][:n]


# --- 1. e5 -----------------------------------------------------------------------------------------------------
def bench_e5(qs: list[str]) -> dict:
    from kb.embed import load_encoder

    enc = load_encoder("e5", get_settings())
    out = {"encoder": enc.name}
    for threads in (1, 2):
        enc.threads = threads
        enc.encode_queries([qs[0]])
        out[f"query_ms_p50_{threads}t"], out[f"query_ms_p95_{threads}t"] = pcts(
            [timed(enc.encode_queries, [q]) for q in qs])
    texts = [c.index_text for c in _corpus_chunks()[:48]]
    for threads in (1, 2):
        enc.batch_threads = threads
        out[f"passages_per_s_{threads}t"] = len(texts) / (timed(enc.encode_passages, texts) / 1000)
    out["tokens_per_passage"] = float(np.mean([enc._model.token_count(t) for t in texts]))
    return out


def _corpus_chunks():
    from kb.chunking import chunk_document
    from kb.corpus import Corpus

    return [c for d in Corpus().documents() for c in chunk_document(d)]


def bench_build(scratch: bool) -> dict:
    """The default corpus built with e5 in scratch roots: from an empty vector cache (what `make setup` pays
    once), then in a second root with that cache warm (a rebuild elsewhere), then again with nothing changed."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache" if scratch else get_settings().cache_dir
        for name in (["build_s_no_cache"] if scratch else []) + ["build_s_cache_warm"]:
            root = Path(tmp) / name
            root.mkdir()
            (root / "corpus").symlink_to(ROOT / "corpus")
            settings = dataclasses.replace(get_settings(root), cache_root=cache, embed_model="e5", store="local")
            out[name] = build_index(settings, progress=False)["seconds"]
        out["rebuild_s_unchanged"] = build_index(settings, progress=False)["seconds"]
    return out


# --- 2. cold start ----------------------------------------------------------------------------------------------
def bench_cold_start(runs: int = 3) -> dict:
    out = {}
    for mode in ("bm25", "dense", "hybrid"):
        walls = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "kb.cli", "search", SEARCH, "--mode", mode, "--json", "-k", "3"],
                           check=True, capture_output=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
            walls.append(time.perf_counter() - t0)
        out[f"kb_search_{mode}_s"] = statistics.median(walls)
    return out


# --- 3. BM25 against rank_bm25 -----------------------------------------------------------------------------------
def bench_rank_bm25(retriever: Retriever, qs: list[str]) -> dict:
    from rank_bm25 import BM25Okapi

    from kb.index.bm25 import B, K1

    store = retriever.store
    ids, terms = [], []
    for d in store.documents():
        doc = store.stored(d)
        ids += [c.chunk_id for c in doc.chunks]
        terms += [t or [""] for t in doc.terms]
    okapi = BM25Okapi(terms, k1=K1, b=B)
    overlap, ours_ms, theirs_ms = [], [], []
    for q in qs:
        qt = [t for t, w in retriever.seg.query_terms(q).items() if w >= 1]  # the user's own terms: unweighted
        t0 = time.perf_counter()
        ours = [c.chunk_id for c, _ in store.search_sparse(qt, 10)]
        ours_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        scores = okapi.get_scores(qt)
        theirs = [ids[i] for i in np.argsort(-scores)[:10] if scores[i] > 0]
        theirs_ms.append((time.perf_counter() - t0) * 1000)
        overlap.append(len(set(ours) & set(theirs)) / max(1, min(10, len(theirs), len(ours))))
    return {"top10_agreement": float(np.mean(overlap)), "ours_ms_mean": statistics.mean(ours_ms),
            "rank_bm25_ms_mean": statistics.mean(theirs_ms),
            "ratio_ours_to_rank_bm25": statistics.mean(ours_ms) / statistics.mean(theirs_ms), "queries": len(qs),
            "note": "rank_bm25's BM25Okapi uses the Robertson IDF with an epsilon floor, bm25s the Lucene IDF"}


# --- 4. backends --------------------------------------------------------------------------------------------------
def latency(retriever: Retriever, qs: list[str], modes) -> dict:
    out = {}
    for mode in modes:
        retriever.search(qs[0], mode=mode)
        out[f"{mode}_p50_ms"], out[f"{mode}_p95_ms"] = pcts([timed(retriever.search, q, 10, mode) for q in qs])
    return out


def bench_backends(qs: list[str]) -> list[dict]:
    base = get_settings()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        lite = Path(tmp) / "milvus" / "kb.db"
        target = f"milvus://{lite}"
        for collection in ("default", "library"):
            try:
                local = get_retriever(base, collection)
            except errors.KBError:
                continue
            modes = ["bm25"] + (["dense", "hybrid"] if local.store.has_dense else [])
            stats = local.store.stats()
            rows.append({"collection": collection, "backend": "local", "chunks": stats.chunks,
                         "disk_mb": disk_mb(Path(local.store.location) / f"g{stats.generation}"),
                         **latency(local, qs, modes)})
            t0 = time.perf_counter()
            migrate(base, target, [collection], progress=False)
            migrate_s = time.perf_counter() - t0
            milvus = get_retriever(dataclasses.replace(base, store=target), collection)
            rows.append({"collection": collection, "backend": "milvus-lite", "chunks": milvus.store.stats().chunks,
                         "migrate_s": round(migrate_s, 1), "disk_mb": disk_mb(lite.parent),
                         **latency(milvus, qs, modes)})
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--no-scratch-build", action="store_true", help="skip building the corpus from an empty cache")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    qs = queries(args.queries)
    out = {"machine": {"cpus": os.cpu_count(), "at_start": load()}}
    out["e5"] = bench_e5(qs)
    print(f"e5 {out['e5']['encoder']}: query p50/p95 {out['e5']['query_ms_p50_1t']:.1f}/{out['e5']['query_ms_p95_1t']:.1f} ms "
          f"(1 thread), {out['e5']['query_ms_p50_2t']:.1f}/{out['e5']['query_ms_p95_2t']:.1f} ms (2 threads); passages/s "
          f"{out['e5']['passages_per_s_1t']:.1f} (1 thread), {out['e5']['passages_per_s_2t']:.1f} (2 threads), "
          f"{out['e5']['tokens_per_passage']:.0f} tokens each  [{load()}]", flush=True)
    out["cold_start"] = bench_cold_start()
    print("cold start, one `kb search` process: " + ", ".join(f"{k.split('_')[2]} {v:.2f} s" for k, v in out["cold_start"].items())
          + f"  [{load()}]", flush=True)
    out["build"] = bench_build(not args.no_scratch_build)
    print("default corpus built with e5: " + ", ".join(f"{k} {v:.1f} s" for k, v in out["build"].items()) + f"  [{load()}]",
          flush=True)
    out["rank_bm25"] = bench_rank_bm25(get_retriever(), qs)
    rb = out["rank_bm25"]
    print(f"BM25 vs rank_bm25 (same terms, k1/b): top-10 agreement {rb['top10_agreement']:.3f}, query {rb['ours_ms_mean']:.2f} ms "
          f"vs {rb['rank_bm25_ms_mean']:.2f} ms (ratio {rb['ratio_ours_to_rank_bm25']:.3f})", flush=True)
    out["backends"] = bench_backends(qs)
    print("\n| collection | backend | chunks | build/migrate s | disk MB | " + " | ".join(
        f"{m} p50/p95 ms" for m in ("bm25", "dense", "hybrid")) + " |")
    print("|---|---|---|---|---|---|---|---|")
    for r in out["backends"]:
        cells = [f"{r[f'{m}_p50_ms']:.1f} / {r[f'{m}_p95_ms']:.1f}" if f"{m}_p50_ms" in r else "—"
                 for m in ("bm25", "dense", "hybrid")]
        print(f"| {r['collection']} | {r['backend']} | {r['chunks']} | {r.get('migrate_s', '—')} | {r['disk_mb']:.1f} | "
              + " | ".join(cells) + " |")
    out["machine"]["at_end"] = load()
    print(f"[{load()}]")
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
