"""Evaluate the assistant, and fit its ranker and abstention gate (kb.assistant.model) on the calibration split.

Calibration (what --calibrate fits on; never reported as a result):
  eval/qa.jsonl odd ids, eval/calib.jsonl, the blind sets eval/blind_*.jsonl once their first score was taken
  (first scores in eval/README.md), the dev split of eval/retrieval.jsonl (answerable, gold article), and
  eval/library.jsonl's lay questions about laws the default corpus does not hold (unanswerable here).
Report: eval/qa.jsonl even ids; the folded blind sets are shown too, marked as seen.

    .venv/bin/python eval/eval_qa.py               # report with the fitted models in kb/data/assistant.json
    .venv/bin/python eval/eval_qa.py --calibrate   # fit ranker + gate, choose the threshold, write the file
    .venv/bin/python eval/eval_qa.py --set X.jsonl # also report another question set (same format)
    .venv/bin/python eval/eval_qa.py --only --set X.jsonl  # report that set alone

End-to-end metrics: citation hit@1 (the first citation is a gold article, and the assistant did not abstain),
hit@3 (a gold article among the first three cited or related ones), key-fact recall in the answer text,
abstention precision/recall (abstaining is the positive class). Per question type when rows carry "type"
(deadline / list / procedure / fact / eligibility / penalty / version).
Rows with a gold "verdict" (符合 / 不符合 / 无法判断) score the assistant's verdict: accuracy where the facts decide
it (符合/不符合) and where they do not (无法判断), separately. Rows with gold "steps" score step recall: a gold step is
recalled when a predicted step cites its article and contains one of its keywords.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.answer import analyse, answer_at, confidence, gate_features, rank  # noqa: E402
from kb.assistant.model import (  # noqa: E402
    GATE_FEATURES, LEXICAL, LEXICAL_GATE_FEATURES, LEXICAL_RANK_FEATURES, MODEL_FILE, RANK_FEATURES,
    AssistantModel, Linear,
)
from kb.numerals import cn_to_int  # noqa: E402
from kb.retrieve import get_retriever  # noqa: E402

EVAL = ROOT / "eval"
QA, CALIB, RETRIEVAL, LIBRARY = EVAL / "qa.jsonl", EVAL / "calib.jsonl", EVAL / "retrieval.jsonl", EVAL / "library.jsonl"
BLIND = sorted(EVAL.glob("blind_*.jsonl"))
# The share of questions the corpus does not answer that the threshold is chosen for: 12 of 93 in the held-out set
# the semantic-core issue describes (our blind sets hold 15–20%). Leaving one blind set out at a time (ten sets),
# choosing for .13 rather than .2 gave 7.4% false "没有找到" instead of 10.5%, precision (weighted to .13) .51
# against .45, recall .53 against .58.
PRIOR_UNANSWERABLE = 12 / 93
_CN_NUM = re.compile(r"[〇零一二两三四五六七八九十百千]+(?=个工作日|工作日|个月|小时|分钟|天|日|年|周)")


def load(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [{**r, "question": r.get("question") or r["query"], "answerable": r.get("answerable", True)} for r in rows]


def split(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """(calibration, report): odd numeric ids calibrate, even ids report — fixed, so reruns are comparable."""
    def num(r):
        return int(re.sub(r"\D", "", r["id"]) or 0)
    return [r for r in rows if num(r) % 2 == 1], [r for r in rows if num(r) % 2 == 0]


def calibration_rows() -> list[dict]:
    from kb.corpus import Corpus

    rows = split(load(QA))[0]
    if CALIB.exists():
        rows += load(CALIB)
    rows += [r for p in BLIND for r in load(p)]
    rows += [r for r in load(RETRIEVAL) if r["split"] == "dev"]
    titles = {e.title for e in Corpus().entries()}
    rows += [{**r, "answerable": False, "gold": []} for r in load(LIBRARY)
             if not any(g["title"] in titles for g in r["gold"])]  # laws the default corpus does not hold
    return rows


def gold_of(row: dict) -> set[tuple[str, int]]:
    return {(g["doc_id"], g["article"]) for g in row.get("gold", [])}


# --- fitting -------------------------------------------------------------------------------------------------------
def _placeholder(rank_features, gate_features) -> AssistantModel:
    """Any model will do for collecting features: ranking features do not depend on the ranker."""
    def zero(names):
        return Linear(tuple(names), [0.0] * len(names), [1.0] * len(names), [0.0] * len(names), 0.0)
    return AssistantModel(zero(rank_features), zero(gate_features))


def _fit(X: np.ndarray, y: np.ndarray, names, balanced: bool) -> Linear:
    from sklearn.linear_model import LogisticRegression

    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale < 1e-9] = 1.0
    lr = LogisticRegression(C=1.0, class_weight="balanced" if balanced else None, max_iter=2000)
    lr.fit((X - mean) / scale, y)
    return Linear(tuple(names), mean.tolist(), scale.tolist(), lr.coef_[0].tolist(), float(lr.intercept_[0]))


def fit_ranker(groups: list[tuple[np.ndarray, np.ndarray]], names, l2: float = 1.0) -> Linear:
    """A listwise ranker (conditional logit): for each question, softmax over its candidates, maximising the
    probability of its gold articles. Only differences between a question's candidates teach it, so it learns
    what makes one article the answer rather than what makes a question easy."""
    from scipy.optimize import minimize

    allx = np.concatenate([x for x, _ in groups])
    mean, scale = allx.mean(axis=0), allx.std(axis=0)
    scale[scale < 1e-9] = 1.0
    zs = [((x - mean) / scale, g) for x, g in groups]

    def loss(w):
        total, grad = 0.5 * l2 * w @ w, l2 * w
        for z, g in zs:
            s = z @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            pg = p[g].sum()
            total -= np.log(pg + 1e-12)
            grad = grad - (p[g] @ z[g]) / (pg + 1e-12) + p @ z
        return total, grad

    w = minimize(loss, np.zeros(len(names)), jac=True, method="L-BFGS-B").x
    return Linear(tuple(names), mean.tolist(), scale.tolist(), w.tolist(), 0.0)


def fit(analyses: list, rows: list[dict], rank_names, gate_names) -> AssistantModel:
    """The ranker on the candidates of answerable questions, then the gate on the ranked questions (answerable
    or not), then the gate's threshold."""
    groups = []
    for a, row in zip(analyses, rows):
        gold = gold_of(row)
        g = np.array([(c.doc.doc_id, c.article.number) in gold for c in a.ranked], dtype=bool)
        if row["answerable"] and g.any():
            groups.append((np.array([[c.features[n] for n in rank_names] for c in a.ranked]), g))
    ranker = fit_ranker(groups, rank_names)
    model = AssistantModel(ranker, _placeholder(rank_names, gate_names).gate)
    G, labels = [], []
    for a, row in zip(analyses, rows):
        ranked = rank(a.ranked, model)
        if ranked and not ranked[0].exact:
            f = gate_features(ranked)
            G.append([f[n] for n in gate_names])
            labels.append(row["answerable"])
    model.gate = _fit(np.array(G), np.array(labels), gate_names, balanced=True)
    confs = [confidence(rank(a.ranked, model), model) for a in analyses]
    model.gate.threshold = choose_threshold(confs, [r["answerable"] for r in rows])
    return model


def choose_threshold(confs: list[float], answerable: list[bool]) -> float:
    """Abstain below the threshold: the one maximising the smaller of abstention precision and recall at
    PRIOR_UNANSWERABLE (rates are measured on the calibration rows, then weighted to that prior, so the mix of the
    calibration set does not decide). A false "没有找到" costs as much as an answer to an unanswerable question;
    maximising F1 instead chose thresholds that told 29% of a blind set's answerable questions "没有找到"."""
    confs, ans = np.array(confs), np.array(answerable)
    best, best_f = 0.5, -1.0
    for t in np.unique(np.round(confs, 4)):
        tpr = float((confs[~ans] < t).mean()) if (~ans).any() else 0.0
        fpr = float((confs[ans] < t).mean()) if ans.any() else 0.0
        p = PRIOR_UNANSWERABLE * tpr / max(PRIOR_UNANSWERABLE * tpr + (1 - PRIOR_UNANSWERABLE) * fpr, 1e-9)
        if min(p, tpr) > best_f:
            best, best_f = float(t), min(p, tpr)
    return round(best, 4)


def calibrate(retriever) -> dict:
    rows = calibration_rows()
    models = {}
    encoder = retriever.store.encoder
    variants = [(LEXICAL, LEXICAL_RANK_FEATURES, LEXICAL_GATE_FEATURES)]
    if encoder is not None:
        variants.insert(0, (encoder.name, RANK_FEATURES, GATE_FEATURES))
    for name, rank_names, gate_names in variants:
        analyses = [analyse(r["question"], retriever=retriever, model=_placeholder(rank_names, gate_names)) for r in rows]
        m = fit(analyses, rows, rank_names, gate_names)
        models[name] = {"ranker": m.ranker.to_json(), "gate": m.gate.to_json()}
    data = {"fitted": dt.date.today().isoformat(), "by": "eval/eval_qa.py --calibrate",
            "calibration": {"questions": len(rows), "answerable": sum(r["answerable"] for r in rows),
                            "prior_unanswerable": PRIOR_UNANSWERABLE}, "models": models}
    MODEL_FILE.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return data


# --- reporting ---------------------------------------------------------------------------------------------------
@dataclass
class Result:
    row: dict
    abstained: bool
    cited: list[tuple[str, int]]  # citations, then related articles
    first: tuple[str, int] | None
    text: str
    intent: str
    verdict: str = ""
    steps: list = None  # kb.models.Step


def run(rows: list[dict], retriever) -> list[Result]:
    out = []
    for r in rows:
        a = answer_at(r["question"], None, retriever=retriever)
        cited = [(c.doc_id, c.article) for c in a.citations + a.related]
        first = (a.citations[0].doc_id, a.citations[0].article) if a.citations else None
        out.append(Result(r, a.abstained, cited, first, a.answer, a.intent, a.verdict, list(a.steps)))
    return out


_HALF_WIDTH = str.maketrans({"(": "（", ")": "）", ",": "，", ":": "：", ";": "；", "?": "？", "!": "！",
                             '"': None, "“": None, "”": None})


def _arabic(text: str) -> str:
    """三十日 → 30日, so a key fact written either way is found; spaces never matter, nor the width of punctuation
    (the corpus file's "160千瓦以下,农村" is quoted as ingest reads it, "160千瓦以下，农村") or its quote marks."""
    text = re.sub(r"(?<=\d),(?=\d)", "", re.sub(r"\s", "", text)).translate(_HALF_WIDTH)
    return _CN_NUM.sub(lambda m: str(cn_to_int(m.group())), text)


def metrics(results: list[Result]) -> dict:
    ans = [x for x in results if x.row["answerable"]]
    unans = [x for x in results if not x.row["answerable"]]

    def mean(vals):
        vals = [v for v in vals if v is not None]
        return sum(vals) / len(vals) if vals else 0.0

    def facts(x):
        kf = x.row.get("key_facts") or []
        if not kf:
            return None
        return 0.0 if x.abstained else sum(_arabic(f) in _arabic(x.text) for f in kf) / len(kf)

    abstained = [x for x in results if x.abstained]
    tp = sum(1 for x in abstained if not x.row["answerable"])
    decided = [x for x in ans if x.row.get("verdict") in DECIDED]
    undecided = [x for x in ans if x.row.get("verdict") == UNDECIDED]
    procedures = [x for x in ans if x.row.get("steps")]
    return {
        "n": len(results), "answerable": len(ans), "unanswerable": len(unans),
        "hit@1": mean(not x.abstained and x.first in gold_of(x.row) for x in ans),
        "hit@3": mean(not x.abstained and bool(set(x.cited[:3]) & gold_of(x.row)) for x in ans),
        "key facts": mean(facts(x) for x in ans),
        "abstain precision": tp / len(abstained) if abstained else 0.0,
        "abstain recall": tp / len(unans) if unans else 0.0,
        "answerable wrongly abstained": sum(x.abstained for x in ans),
        "unanswerable answered": sum(not x.abstained for x in unans),
        "verdict (decided)": mean(x.verdict == x.row["verdict"] for x in decided) if decided else None,
        "n decided": len(decided),
        "verdict (无法判断)": mean(x.verdict == UNDECIDED for x in undecided) if undecided else None,
        "n 无法判断": len(undecided),
        "step recall": mean(step_recall(x) for x in procedures) if procedures else None,
        "n procedures": len(procedures),
    }


DECIDED, UNDECIDED = ("符合", "不符合"), "无法判断"


def step_recall(x: Result) -> float:
    """Share of the gold steps that a predicted step recalls: it cites the gold step's article and its action
    contains one of the gold step's keywords."""
    gold = x.row["steps"]
    if x.abstained or not gold:
        return 0.0

    def recalled(g):
        keys = [_arabic(k) for k in g.get("keywords") or []]
        return any((s.doc_id, s.article) == (g["doc_id"], g["article"]) and any(k in _arabic(s.action) for k in keys)
                   for s in x.steps or [])
    return sum(recalled(g) for g in gold) / len(gold)


def _fmt(v) -> str:
    return "-" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def print_table(title: str, results: list[Result]) -> None:
    m = metrics(results)
    print(f"\n### {title}")
    print("  " + "  ".join(f"{k} {_fmt(v)}" for k, v in m.items() if v is not None))
    types = sorted({x.row.get("type") for x in results if x.row.get("type")})
    if types:
        print("  | type | n | hit@1 | hit@3 | key facts | verdict (decided) | verdict (无法判断) | step recall |")
        for t in types:
            sub = metrics([x for x in results if x.row.get("type") == t and x.row["answerable"]])
            if not sub["answerable"]:
                continue
            cells = [sub[k] for k in ("hit@1", "hit@3", "key facts", "verdict (decided)", "verdict (无法判断)", "step recall")]
            print(f"  | {t} | {sub['answerable']} | " + " | ".join(_fmt(v) for v in cells) + " |")


def misses(results: list[Result]) -> None:
    for x in results:
        gold = gold_of(x.row)
        if x.row["answerable"] and (x.abstained or x.first not in gold):
            print(f"MISS {x.row['id']} {'ABSTAINED ' if x.abstained else ''}{x.row['question']} gold={sorted(gold)} got={x.cited[:3]}")
        if not x.row["answerable"] and not x.abstained:
            print(f"ANSWERED-UNANSWERABLE {x.row['id']} {x.row['question']} got={x.cited[:1]}")
        if x.row.get("verdict") and x.verdict != x.row["verdict"]:
            print(f"VERDICT {x.row['id']} {x.row['question']} gold={x.row['verdict']} got={x.verdict or '-'}")
        if x.row.get("steps") and step_recall(x) < 1:
            print(f"STEPS {x.row['id']} recall {step_recall(x):.2f} {x.row['question']} got={[(s.doc_id, s.article) for s in x.steps or []]}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calibrate", action="store_true", help="fit ranker and gate, write kb/data/assistant.json")
    ap.add_argument("--set", type=Path, action="append", default=[], help="another question set to report")
    ap.add_argument("--only", action="store_true", help="report only the --set files")
    ap.add_argument("--dev", action="store_true", help="also report the calibration half of eval/qa.jsonl (odd ids)")
    ap.add_argument("--misses", action="store_true", help="list the report questions answered wrongly")
    args = ap.parse_args(argv)
    retriever = get_retriever()
    if args.calibrate:
        data = calibrate(retriever)
        print(f"fitted on {data['calibration']} → {MODEL_FILE.relative_to(ROOT)}")
    sets = {}
    if not args.only:
        sets["eval/qa.jsonl report half (even ids)"] = split(load(QA))[1]
        if args.dev:
            sets["eval/qa.jsonl calibration half (odd ids, fitted on)"] = split(load(QA))[0]
        sets.update({f"{p.name} (folded into calibration after its first score)": load(p) for p in BLIND})
    sets.update({f"{p.name} (all)": load(p) for p in args.set})
    for title, rows in sets.items():
        results = run(rows, retriever)
        print_table(title, results)
        if args.misses:
            misses(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
