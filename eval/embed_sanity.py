"""Quick quality check of embedding models (e5, our static model, the MiniLM baseline), dense retrieval only.

  1. plan titles: each of the plan's 60 article titles as a query, rank of its own article among the 60
     (MRR), against the full article and against the body without its title sentence (harder);
  2. eval/retrieval.jsonl (lay questions, split dev by default): R@10 and MRR@10 over all corpus chunks,
     counted per article (a split article counts once).
Usage: python eval/embed_sanity.py [SPEC ...] [--split dev|test|all] [--bm25]   (SPEC: e5, kb-static-zh or a folder)
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kb.chunking import chunk_document  # noqa: E402
from kb.config import get_settings  # noqa: E402
from kb.corpus import Corpus  # noqa: E402
from kb.embed import load_encoder  # noqa: E402
from kb.embed.st import baseline_model_path  # noqa: E402


def mrr(ranks: list[int]) -> float:
    return float(np.mean([1.0 / r for r in ranks]))


def plan_titles(emb, plan) -> dict:
    arts = [a for a in plan.articles if a.title]
    q = emb.encode_queries([a.title for a in arts])
    out = {}
    for name, docs in (("full", [a.text for a in arts]), ("body", [a.text[len(a.title):].lstrip("。") or a.text for a in arts])):
        sims = q @ emb.encode_passages(docs).T
        ranks = [int((sims[i] > sims[i, i]).sum()) + 1 for i in range(len(arts))]
        out[f"plan_title_mrr_{name}"] = round(mrr(ranks), 3)
    return out


def ranked_articles(scores: np.ndarray, chunks) -> list[tuple[str, int]]:
    seen, out = set(), []
    for i in np.argsort(-scores):
        key = (chunks[i].doc_id, chunks[i].article)
        if key not in seen:
            seen.add(key)
            out.append(key)
        if len(out) == 10:
            break
    return out


def retrieval(score_fn, chunks, queries) -> dict:
    hits, rr = [], []
    for row in queries:
        gold = {(g["doc_id"], g["article"]) for g in row["gold"]}
        top = ranked_articles(score_fn(row["query"]), chunks)
        ranks = [k for k, key in enumerate(top, 1) if key in gold]
        hits.append(1.0 if ranks else 0.0)
        rr.append(1.0 / ranks[0] if ranks else 0.0)
    return {"R@10": round(float(np.mean(hits)), 3), "MRR@10": round(float(np.mean(rr)), 3)}


def expand_query(query: str) -> str:
    from kb.segment import get_segmenter

    seg = get_segmenter()
    toks = seg.tokens(query)
    return " ".join([query, *seg.expand(toks)[len(toks):]])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="*")
    ap.add_argument("--split", default="dev")
    ap.add_argument("--bm25", action="store_true", help="also score BM25 over kb.segment tokens, for reference")
    ap.add_argument("--expand", action="store_true", help="append kb.segment synonym targets to dense queries")
    args = ap.parse_args()
    settings = get_settings(ROOT)
    docs = Corpus(settings).documents()
    chunks = [c for d in docs for c in chunk_document(d)]
    plan = next(d for d in docs if d.doc_id == "yj-plan-2022")
    queries = [json.loads(l) for l in (ROOT / "eval" / "retrieval.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
    queries = [q for q in queries if args.split == "all" or q["split"] == args.split]
    baseline = baseline_model_path()
    specs = args.models or ["e5", "kb-static-zh"] + ([str(baseline)] if baseline else [])
    results = {}
    for spec in specs:
        t0 = time.time()
        emb = load_encoder(spec, settings)
        from kb.embed.cache import VectorCache, embed_passages

        mat = embed_passages(emb, [c.index_text for c in chunks], VectorCache(settings.cache_dir, emb.name, emb.dim))
        prep = expand_query if args.expand else (lambda q: q)
        res = {**plan_titles(emb, plan), **retrieval(lambda q: mat @ emb.encode_queries([prep(q)])[0], chunks, queries)}
        res["seconds"] = round(time.time() - t0, 1)
        results[emb.name] = res
    if args.bm25:
        import bm25s

        from kb.segment import get_segmenter

        seg = get_segmenter()
        index = bm25s.BM25()
        index.index([seg.index_terms(c.index_text) for c in chunks], show_progress=False)

        def bm25_scores(q: str) -> np.ndarray:
            return index.get_scores(seg.query_terms(q))

        results["bm25(kb.segment)"] = retrieval(bm25_scores, chunks, queries)
    print(json.dumps({"split": args.split, "queries": len(queries), "chunks": len(chunks), "results": results},
                     ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
