"""Evaluate the assistant on eval/qa.jsonl and calibrate its abstention threshold.

Every question is answered once with abstention off (threshold -1), which gives each answer's confidence;
abstaining at threshold t is then "confidence < t". The questions are split by id parity: odd ids calibrate
(the threshold that maximises abstention F0.5 there), even ids report. Prints citation hit@1/hit@3, key-fact
recall in the answer text, abstention precision/recall/F1, and the threshold.

    .venv/bin/python eval/eval_qa.py              # report with the threshold in kb/data/answer.toml
    .venv/bin/python eval/eval_qa.py --calibrate  # choose the threshold on the calibration half and store it
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.answer import ANSWER_CONFIG, abstain_threshold, answer_at  # noqa: E402
from kb.numerals import cn_to_int  # noqa: E402

QA = ROOT / "eval" / "qa.jsonl"
_CN_NUM = re.compile(r"[〇零一二两三四五六七八九十百千]+(?=个工作日|工作日|个月|小时|分钟|天|日|年|周)")


@dataclass
class Result:
    row: dict
    confidence: float
    citations: list[tuple[str, int]]
    text: str
    intent: str = ""


def load(path: Path = QA) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def split(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """(calibration, report): odd numeric ids calibrate, even ids report — fixed, so reruns are comparable."""
    def num(r):
        return int(re.sub(r"\D", "", r["id"]) or 0)
    return [r for r in rows if num(r) % 2 == 1], [r for r in rows if num(r) % 2 == 0]


def run(rows: list[dict], retriever=None, settings=None, k: int = 5) -> list[Result]:
    out = []
    for r in rows:
        a = answer_at(r["question"], -1.0, k=k, settings=settings, retriever=retriever)
        out.append(Result(r, a.confidence, [(c.doc_id, c.article) for c in a.citations], a.answer, a.intent))
    return out


def _arabic(text: str) -> str:
    """三十日 → 30日, so a key fact written either way is found."""
    return _CN_NUM.sub(lambda m: str(cn_to_int(m.group())), text.replace(" ", ""))


def metrics(results: list[Result], threshold: float) -> dict:
    ans = [x for x in results if x.row["answerable"]]
    unans = [x for x in results if not x.row["answerable"]]

    def gold(x):
        return {(g["doc_id"], g["article"]) for g in x.row.get("gold", [])}

    def hit(x, n, abstain):
        if abstain and x.confidence < threshold:
            return False
        return bool(set(x.citations[:n]) & gold(x))

    def facts(x, abstain):
        kf = x.row.get("key_facts") or []
        if not kf:
            return None
        if abstain and x.confidence < threshold:
            return 0.0
        text = _arabic(x.text)
        return sum(1 for f in kf if _arabic(f) in text) / len(kf)

    def mean(vals):
        vals = [v for v in vals if v is not None]
        return sum(vals) / len(vals) if vals else 0.0

    abstained = [x for x in results if x.confidence < threshold]
    tp = sum(1 for x in abstained if not x.row["answerable"])
    precision = tp / len(abstained) if abstained else 0.0
    recall = tp / len(unans) if unans else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "n": len(results), "answerable": len(ans), "unanswerable": len(unans),
        "hit@1 (ranking)": mean(hit(x, 1, False) for x in ans), "hit@3 (ranking)": mean(hit(x, 3, False) for x in ans),
        "hit@1 (end-to-end)": mean(hit(x, 1, True) for x in ans), "hit@3 (end-to-end)": mean(hit(x, 3, True) for x in ans),
        "key-fact recall (ranking)": mean(facts(x, False) for x in ans),
        "key-fact recall (end-to-end)": mean(facts(x, True) for x in ans),
        "abstain precision": precision, "abstain recall": recall, "abstain F1": f1,
        "abstain F0.5": (1.25 * precision * recall / (0.25 * precision + recall)) if precision + recall else 0.0,
        "answerable wrongly abstained": sum(1 for x in ans if x.confidence < threshold),
        "intent accuracy": mean(x.intent == x.row.get("intent") for x in results),
    }


BETA = 0.5  # precision counts twice: a wrong abstention hides a right answer, a wrong answer still shows its quote


def f_beta(m: dict, beta: float = BETA) -> float:
    p, r = m["abstain precision"], m["abstain recall"]
    return (1 + beta**2) * p * r / (beta**2 * p + r) if p + r else 0.0


def calibrate(results: list[Result]) -> tuple[float, float]:
    """The threshold maximising abstention F0.5 over midpoints between sorted confidences; ties → the lowest."""
    confs = sorted({round(x.confidence, 4) for x in results})
    cands = [(a + b) / 2 for a, b in zip(confs, confs[1:])] or [0.0]
    best = max(cands, key=lambda t: (round(f_beta(metrics(results, t)), 6), -t))
    return round(best, 4), f_beta(metrics(results, best))


def write_config(threshold: float, calib_f1: float, n_calib: int, report: dict) -> None:
    ANSWER_CONFIG.write_text(
        "# Abstention threshold of kb.answer: answer only when Answer.confidence >= abstain_threshold.\n"
        f"# Chosen by `eval/eval_qa.py --calibrate` on {dt.date.today()}: the value maximising abstention F0.5\n"
        "# (abstaining is the positive class; precision weighted over recall because a wrong abstention hides a\n"
        f"# right answer) over the odd-id half of eval/qa.jsonl ({n_calib} questions, F0.5 {calib_f1:.3f}).\n"
        f"# On the even-id half it gives abstention precision {report['abstain precision']:.3f}, recall\n"
        f"# {report['abstain recall']:.3f}, F1 {report['abstain F1']:.3f}. Index used: {_index_description()}.\n"
        "# Rerun after changing retrieval, reranking, the embedding model or the corpus.\n"
        f"abstain_threshold = {threshold}\n",
        encoding="utf-8",
    )


def _index_description() -> str:
    from kb.retrieve import get_retriever

    store = get_retriever().store
    return f"default collection, dense model {store.model}" if store.has_dense else "default collection, BM25 only"


def print_table(title: str, m: dict) -> None:
    print(f"\n{title}")
    for key, val in m.items():
        print(f"  {key:<32} {val:.3f}" if isinstance(val, float) else f"  {key:<32} {val}")


def main(argv: list[str] | None = None, retriever=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calibrate", action="store_true", help="choose the threshold and write kb/data/answer.toml")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--misses", action="store_true", help="list the questions whose first citation misses")
    args = ap.parse_args(argv)
    calib_rows, report_rows = split(load())
    calib, report = run(calib_rows, retriever, k=args.k), run(report_rows, retriever, k=args.k)
    if args.calibrate:
        threshold, f1 = calibrate(calib)
        write_config(threshold, f1, len(calib), metrics(report, threshold))
    else:
        threshold = abstain_threshold()
    print(f"abstention threshold: {threshold} (kb/data/answer.toml)")
    print_table(f"calibration half ({len(calib)} questions)", metrics(calib, threshold))
    print_table(f"report half ({len(report)} questions) — the figures to quote", metrics(report, threshold))
    print_table(f"all ({len(calib) + len(report)} questions)", metrics(calib + report, threshold))
    if args.misses:
        for x in calib + report:
            gold = {(g["doc_id"], g["article"]) for g in x.row.get("gold", [])}
            if x.row["answerable"] and (not x.citations or x.citations[0] not in gold):
                print(f"MISS {x.row['id']} {x.row['intent']} {x.confidence:.3f} {x.row['question']} gold={sorted(gold)} got={x.citations[:3]}")
            if not x.row["answerable"] and x.confidence >= threshold:
                print(f"ANSWERED-UNANSWERABLE {x.row['id']} {x.confidence:.3f} {x.row['question']} got={x.citations[:1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
