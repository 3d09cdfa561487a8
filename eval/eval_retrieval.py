"""Retrieval quality: hit@1/5/10 and MRR@10 for BM25, dense and hybrid search, with e5 (the product's dense side)
and with our static model (kb-static-zh) side by side, on eval/retrieval.jsonl (dev and test splits) and on
the blind sets (first scored before anything was tuned on them; see eval/README.md); plus, when the law
library has been imported (make library), eval/library.jsonl and the default-corpus questions asked of the
library's copies of those laws.

    .venv/bin/python eval/eval_retrieval.py                  # tables
    .venv/bin/python eval/eval_retrieval.py --tune           # also choose fusion weights on the dev split
    .venv/bin/python eval/eval_retrieval.py --set X.jsonl    # score another question set (all rows)
    .venv/bin/python eval/eval_retrieval.py --minilm         # add the English all-MiniLM-L6-v2 baseline

A question counts as hit@k when any of its gold (doc_id, article) pairs is among the first k hits.
Unanswerable questions (answerable: false) are left out here; the assistant's evaluation scores them.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb import errors  # noqa: E402
from kb.config import get_settings  # noqa: E402
from kb.index.build import build_index  # noqa: E402
from kb.models import CURRENT  # noqa: E402
from kb.retrieve import Fusion, Retriever, get_retriever  # noqa: E402

QUERIES = ROOT / "eval" / "retrieval.jsonl"
# Blind sets, first scored before anything was tuned on them (first scores in eval/README.md), then folded into
# the dev data; and the other question sets of the assistant, whose gold articles serve retrieval too.
BLIND = sorted((ROOT / "eval").glob("blind_*.jsonl"))
QA, CALIB = ROOT / "eval" / "qa.jsonl", ROOT / "eval" / "calib.jsonl"
LIBRARY_QUERIES = ROOT / "eval" / "library.jsonl"  # lay questions about other laws; gold = law title + article
CODE_BOOKS = {"总则", "物权编", "合同编", "人格权编", "婚姻家庭编", "继承编", "侵权责任编", "附则"}  # files of 民法典


def load_queries(path: Path = QUERIES) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [{**r, "query": r.get("query") or r["question"]} for r in rows if r.get("answerable", True)]


def metrics(retriever: Retriever, rows: list[dict], mode: str, key=lambda c: (c.doc_id, c.article)) -> dict:
    h1 = h5 = h10 = rr = 0.0
    for row in rows:
        gold = {(g["doc_id"], g["article"]) for g in row["gold"]}
        # "fused": the hybrid order before the reranker (the assistant's ranker, kb.answer.rerank)
        hits = retriever.search(row["query"], k=10, mode="hybrid" if mode == "fused" else mode, rerank=mode != "fused")
        rank = next((i for i, h in enumerate(hits, 1) if key(h.chunk) in gold), None)
        if rank:
            h1 += rank == 1
            h5 += rank <= 5
            h10 += 1
            rr += 1 / rank
    n = max(1, len(rows))
    return {"hit@1": h1 / n, "hit@5": h5 / n, "hit@10": h10 / n, "mrr": rr / n, "n": len(rows)}


def table(title: str, results: dict[str, dict]) -> str:
    lines = [f"\n### {title}", "| system | hit@1 | hit@5 | hit@10 | MRR | n |", "|---|---|---|---|---|---|"]
    for name, m in results.items():
        lines.append(f"| {name} | {m['hit@1']:.3f} | {m['hit@5']:.3f} | {m['hit@10']:.3f} | {m['mrr']:.3f} | {m['n']} |")
    return "\n".join(lines)


def scratch_retriever(tmp: Path, spec: str, fusion: Fusion) -> Retriever | None:
    """The same corpus indexed with another encoder in a scratch root (the product's own index is left alone);
    vectors come from the product's cache, so only the first run embeds."""
    base = get_settings()
    (tmp / "corpus").symlink_to(ROOT / "corpus")
    (tmp / "indexes").mkdir()
    if spec == "kb-static-zh":
        (tmp / "indexes" / "models").symlink_to(base.models_dir)
    # store="local": under KB_STORE=milvus://… the scratch index would otherwise replace the product's collection
    settings = dataclasses.replace(get_settings(tmp), embed_model=spec, cache_root=base.cache_dir, store="local")
    try:
        build_index(settings, progress=False)
    except errors.ModelError as exc:
        print(f"({spec} skipped: {exc.message})")
        return None
    retriever = get_retriever(settings)
    retriever.fusion = fusion
    return retriever


def minilm_spec() -> str | None:
    from kb.embed.st import baseline_model_path

    path = baseline_model_path()
    return str(path) if path else None


def tune(retriever: Retriever, dev: list[dict], key=lambda c: (c.doc_id, c.article),
         priors: bool = False) -> tuple[Fusion, list[str]]:
    """Pick fusion weights on dev: best MRR (then hit@5) among settings not below BM25 on hit@1 and hit@5;
    with priors, then the 效力级别 factors for that fusion (the library has local laws and interpretations)."""
    import kb.retrieve

    kb.retrieve.RECENT_QUERIES = 100_000  # every setting asks for the same query vectors: compute each once
    base = metrics(retriever, dev, "bm25", key)
    grid = [Fusion(method="rrf", w_dense=w, rrf_k=k, dense_expanded=x)
            for w in (0.2, 0.5, 0.7, 1.0, 1.5, 2.0) for k in (5, 20, 60) for x in (False, True)]
    grid += [Fusion(method="linear", w_dense=w, dense_expanded=x)
             for w in (0.2, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0) for x in (False, True)]
    best, report = _best(retriever, dev, key, base, grid)
    if best.method == "linear":  # then the floor under BM25's normaliser, at percentiles of the best BM25 score
        tops = [h[0][1] for h in (retriever.store.search_sparse(retriever.seg.query_terms(r["query"]), 1) for r in dev) if h]
        floors = [0.0] + [round(float(np.percentile(tops, q)), 1) for q in (25, 50, 75)]
        best, more = _best(retriever, dev, key, base, [dataclasses.replace(best, bm25_floor=x) for x in floors])
        report += more
    if priors:
        grid = [dataclasses.replace(best, local_factor=lf, interpretation_factor=jf)
                for lf in (0.85, 0.7, 0.55) for jf in (1.0, 0.85, 0.7)]
        best, more = _best(retriever, dev, key, base, grid)
        report += more
    retriever.fusion = best
    return best, [f"dev bm25: hit@1={base['hit@1']:.3f} hit@5={base['hit@5']:.3f} mrr={base['mrr']:.3f}"] + report


def _best(retriever: Retriever, dev: list[dict], key, base: dict, grid: list[Fusion]) -> tuple[Fusion, list[str]]:
    report, best, best_rank = [], grid[0], None
    for fusion in grid:
        retriever.fusion = fusion
        m = metrics(retriever, dev, "fused", key)
        report.append(f"{fusion}: hit@1={m['hit@1']:.3f} hit@5={m['hit@5']:.3f} mrr={m['mrr']:.3f}")
        ok = m["hit@1"] >= base["hit@1"] and m["hit@5"] >= base["hit@5"]
        rank = (ok, round(m["mrr"], 6), m["hit@5"], m["hit@1"])
        if best_rank is None or rank > best_rank:  # ties keep the earlier, milder setting
            best, best_rank = fusion, rank
    return best, report


def dev_rows(rows: list[dict]) -> list[dict]:
    """What fusion is tuned on: the dev split of eval/retrieval.jsonl, the folded blind sets, and the assistant's
    calibration questions (odd ids of qa.jsonl, calib.jsonl) — not only the questions the synonyms grew from."""
    odd = [r for r in load_queries(QA) if int("".join(ch for ch in r["id"] if ch.isdigit()) or 0) % 2 == 1]
    extra = [r for p in BLIND for r in load_queries(p)] + odd + (load_queries(CALIB) if CALIB.exists() else [])
    return [r for r in rows if r["split"] == "dev"] + [r for r in extra if r.get("gold")]


def library_rows(rows: list[dict]) -> list[dict]:
    """Default-corpus gold mapped to law titles (the library has its own ids and possibly other versions)."""
    from kb.corpus import Corpus

    titles = {e.id: e.title for e in Corpus().entries()}
    out = []
    for r in rows:
        gold = [{"doc_id": titles.get(g["doc_id"], ""), "article": g["article"]} for g in r["gold"]]
        if all(g["doc_id"] for g in gold) and not any(g["doc_id"].startswith("永济") for g in gold):
            out.append({**r, "gold": gold})
    return out


def library_questions() -> list[dict]:
    """eval/library.jsonl with gold titles as the library names them (the 民法典's books are one law)."""
    return [{**r, "gold": [{"doc_id": "民法典" if g["title"] in CODE_BOOKS else g["title"], "article": g["article"]}
                           for g in r["gold"]]} for r in load_queries(LIBRARY_QUERIES)]


def library_key(c):
    """A hit counts on the current version only: article numbers move between versions of a law."""
    return (c.doc_title, c.article) if c.status == CURRENT else None


def systems(ours: Retriever, tmp: Path, minilm: bool) -> dict[str, tuple[Retriever, str]]:
    name = ours.store.encoder.name.split("@")[0] if ours.store.encoder else "none"
    out: dict[str, tuple[Retriever, str]] = {"bm25": (ours, "bm25")}
    if ours.store.has_dense:
        out[f"dense ({name})"] = (ours, "dense")
        out[f"hybrid ({name}), fused order"] = (ours, "fused")
        out[f"hybrid ({name}) + ranker — the product"] = (ours, "hybrid")
    others = [("kb-static-zh", "kb-static-zh")] + ([("all-MiniLM-L6-v2", minilm_spec())] if minilm else [])
    for label, spec in others:
        if spec is None or (ours.store.encoder and ours.store.encoder.spec == spec):
            continue
        sub = tmp / label
        sub.mkdir()
        other = scratch_retriever(sub, spec, ours.fusion)
        if other is not None:
            out[f"dense ({label})"] = (other, "dense")
            out[f"hybrid ({label})"] = (other, "hybrid")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tune", action="store_true", help="choose fusion weights on the dev split")
    ap.add_argument("--set", type=Path, action="append", default=[], help="another question set to score")
    ap.add_argument("--json", type=Path, help="also write the numbers as JSON")
    ap.add_argument("--minilm", action="store_true", help="add the English MiniLM baseline")
    ap.add_argument("--no-library", action="store_true")
    args = ap.parse_args(argv)

    rows = load_queries()
    dev = dev_rows(rows)
    sets = {"dev (tuning) questions": dev, "eval/retrieval.jsonl test split": [r for r in rows if r["split"] == "test"]}
    for path in BLIND:
        sets[f"{path.name} (folded into dev after its first score)"] = load_queries(path)
    for path in args.set:
        sets[f"{path.name} (all)"] = load_queries(path)
    out: dict = {}
    ours = get_retriever()
    if args.tune and ours.store.has_dense:
        fusion, log = tune(ours, dev)
        print("\n".join(log))
        print(f"chosen on dev: {fusion}")
        out["fusion"] = dataclasses.asdict(fusion)
    with tempfile.TemporaryDirectory() as tmp:
        compared = systems(ours, Path(tmp), args.minilm)
        for title, set_rows in sets.items():
            t0 = time.perf_counter()
            res = {name: metrics(r, set_rows, mode) for name, (r, mode) in compared.items()}
            print(table(f"default corpus, {title} ({time.perf_counter() - t0:.1f} s)", res), flush=True)
            out[title] = res
    if not args.no_library:
        out.update(library_tables(rows, args.tune))
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


def library_tables(rows: list[dict], tune_it: bool) -> dict:
    try:
        lib = get_retriever(collection="library")
    except errors.KBError:
        print("\n(law library not imported: run make library to score it)")
        return {}
    out = {}
    own, mapped = library_questions(), library_rows(rows)
    if tune_it and lib.store.has_dense:
        fusion, log = tune(lib, [r for r in own + mapped if r["split"] == "dev"], library_key, priors=True)
        print("\n".join(log))
        print(f"library, chosen on dev: {fusion}")
        out["library_fusion"] = dataclasses.asdict(fusion)
    modes = ["bm25"] + (["dense", "hybrid"] if lib.store.has_dense else [])
    try:
        lib.query_vector("检查")
    except errors.ModelError as exc:  # e.g. the static model was retrained since the library was imported
        print(f"\n(law library: dense side skipped — {exc.message}；{exc.hint})")
        modes = ["bm25"]
    for name, (set_rows, what) in {"library": (own, "eval/library.jsonl: lay questions about other laws"),
                                   "library_mapped": (mapped, "eval/retrieval.jsonl gold mapped to the library by title, 永济 plan left out")}.items():
        for split in ("test", "all"):
            split_rows = [r for r in set_rows if split == "all" or r["split"] == split]
            res = {f"library {m}": metrics(lib, split_rows, m, library_key) for m in modes}
            print(table(f"law library, {split} split ({what})", res), flush=True)
            out[name if split == "all" else f"{name}_{split}"] = res
    return out


if __name__ == "__main__":
    raise SystemExit(main())
