"""Evaluate the fair-competition checker against labelled clauses and whole drafts.

Run from the repo root:  python eval/eval_review.py [--verbose]
- eval/review.jsonl: one labelled clause per line (violation, article, item, severity, optional alt [[a, i]]).
- eval/review_holdout*.jsonl: same format, each written after the rules of its time and scored once as a held-out
  check before any further change. First (blind) scores, checker vs keyword baseline MCC:
  holdout P .94 R .59 MCC .52 (.07); holdout2 P .83 R .43 MCC .27 (-.27); holdout3 P 1.00 R .63 MCC .63 (-.20);
  holdout4 P .82 R .60 MCC .40 (-.10); holdout5 P 1.00 R .80 MCC .79 (-.01); holdout6 P 1.00 R .80 MCC .79 (-.11).
  Misses seen there led to generic lexicon/rule widening afterwards, so their current scores are no longer blind.
- eval/review_blind*.jsonl: same format, written by the engineer who took the checker over, before reading its
  rules (blind) / before the generalisation pass (blind2), each scored once first:
  blind P .98 R .77 spec .97 MCC .70 item .88; blind2 (after the pass) P 1.00 R .68 spec 1.00 MCC .61 item .86;
  blind3 (after a second pass) P 1.00 R .87 spec 1.00 MCC .81 item .96; blind4 (after a third) P 1.00 R .77 spec 1.00
  MCC .73 item .88. Misses seen in each set led to generic widening afterwards, so only its first score is blind.
- eval/drafts/labels.json: per draft file, clause number → {"article", "item"} or "lawful".
A clause counts as flagged when the checker reports 违反 or 提示 for it; 需说明依据 alone is not a flag
(it is the expected outcome for art. 12 exceptions and stated legal bases, labelled severity 需说明依据).
The baseline flags any clause containing one of a list of keywords, and guesses no article.
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.review.checker import review_clause, review_file  # noqa: E402

FLAG = {"违反", "提示"}
KEYWORDS = ("本地", "本县", "本市", "本区", "外地", "指定", "限定", "奖励", "补贴", "补助", "返还", "优惠", "减免", "免收",
            "特许", "独家", "价格", "收费", "审批", "准入", "户籍", "纳税", "税收")


def baseline(text: str) -> list[tuple[int | None, int | None]]:
    return [(None, None)] if any(k in text for k in KEYWORDS) else []


def ours(text: str) -> list[tuple[int, int | None, str]]:
    return [(f.article, f.item, f.severity) for f in review_clause(text)]


def metrics(rows: list[dict], preds: list[list]) -> dict:
    tp = fp = tn = fn = 0
    art_ok = item_ok = 0
    for row, pred in zip(rows, preds):
        flagged = any(len(p) < 3 or p[2] in FLAG for p in pred)
        if row["violation"]:
            if flagged:
                tp += 1
                gold = [(row["article"], row["item"])] + [tuple(a) for a in row.get("alt", [])]
                art_ok += any(p[0] in {g[0] for g in gold} for p in pred)
                item_ok += any((p[0], p[1]) in gold for p in pred)
            else:
                fn += 1
        else:
            fp += flagged
            tn += not flagged
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    denom = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return {
        "precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
        "specificity": tn / (tn + fp) if tn + fp else 0.0,
        "mcc": (tp * tn - fp * fn) / denom if denom else 0.0,
        "article_acc_tp": art_ok / tp if tp else 0.0, "item_acc_tp": item_ok / tp if tp else 0.0,
        "tp": tp, "fp": fp, "tn": tn, "fn": fn,
    }


def show(title: str, ours_m: dict, base_m: dict) -> None:
    print(f"\n== {title} ==")
    print(f"{'metric':<16}{'checker':>10}{'baseline':>10}")
    for k in ("precision", "recall", "f1", "specificity", "mcc", "article_acc_tp", "item_acc_tp"):
        print(f"{k:<16}{ours_m[k]:>10.3f}{base_m[k]:>10.3f}")
    for k in ("tp", "fp", "tn", "fn"):
        print(f"{k:<16}{ours_m[k]:>10d}{base_m[k]:>10d}")


def clause_eval(verbose: bool, name: str = "review.jsonl") -> None:
    path = ROOT / "eval" / name
    if not path.exists():
        return
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    preds = [ours(r["text"]) for r in rows]
    show(f"clauses: eval/{name} ({sum(r['violation'] for r in rows)} violating, "
         f"{sum(not r['violation'] for r in rows)} lawful incl. {sum(r['severity'] == '需说明依据' for r in rows)} exceptions)",
         metrics(rows, preds), metrics(rows, [baseline(r["text"]) for r in rows]))
    exc = [(r, p) for r, p in zip(rows, preds) if r["severity"] == "需说明依据"]
    said = sum(any(x[2] == "需说明依据" for x in p) for _, p in exc)
    print(f"art.12 / legal-basis clauses reported as 需说明依据: {said}/{len(exc)}")
    if verbose:
        for r, p in zip(rows, preds):
            flagged = any(x[2] in FLAG for x in p)
            gold = [(r["article"], r["item"])] + [tuple(a) for a in r.get("alt", [])]
            wrong_item = flagged and r["violation"] and not any((x[0], x[1]) in gold for x in p)
            if flagged != r["violation"] or wrong_item:
                print(f"  {'FN' if r['violation'] and not flagged else 'FP' if flagged and not r['violation'] else 'ITEM'}"
                      f" {r['id']} gold={gold[0]} pred={p} {r['text']}")


def draft_eval(verbose: bool) -> None:
    drafts = ROOT / "eval" / "drafts"
    labels_path = drafts / "labels.json"
    if not labels_path.exists():
        print("\n(no drafts: run python eval/make_drafts.py)")
        return
    labels = json.loads(labels_path.read_text(encoding="utf-8"))
    all_rows, all_ours, all_base = [], [], []
    for name, clause_labels in labels.items():
        result = review_file(drafts / name)
        texts = {c.no: c.text for c in result.clause_list}
        rows, o, b = [], [], []
        for no, lab in clause_labels.items():
            violating = lab != "lawful"
            rows.append({"violation": violating, "article": lab["article"] if violating else None,
                         "item": lab["item"] if violating else None, "alt": lab.get("alt", []) if violating else []})
            o.append([(f.article, f.item, f.severity) for f in result.findings if f.clause_no == no])
            b.append(baseline(texts.get(no, "")))
            if verbose and (bool(rows[-1]["violation"]) != any(x[2] in FLAG for x in o[-1])):
                print(f"  {name} {no}: gold={lab} pred={o[-1]} {texts.get(no, '(clause not found)')[:60]}")
        m, mb = metrics(rows, o), metrics(rows, b)
        print(f"\n-- draft {name}: {len(result.clause_list)} clauses found, {len(rows)} labelled, "
              f"{sum(r['violation'] for r in rows)} violating; checker P={m['precision']:.2f} R={m['recall']:.2f} "
              f"spec={m['specificity']:.2f} item_acc={m['item_acc_tp']:.2f} | baseline P={mb['precision']:.2f} "
              f"R={mb['recall']:.2f} spec={mb['specificity']:.2f}")
        unlabelled = [f for f in result.findings if f.clause_no not in clause_labels and f.severity in FLAG]
        if unlabelled:
            print(f"   findings on unlabelled clauses: {[(f.clause_no, f.article, f.item) for f in unlabelled]}")
        all_rows += rows
        all_ours += o
        all_base += b
    show("drafts (all clauses pooled)", metrics(all_rows, all_ours), metrics(all_rows, all_base))


def corpus_false_alarms(verbose: bool) -> None:
    """Laws and regulations in corpus/regulations are lawful text full of look-alike words (本地, 指定, 不得…)."""
    clauses = flagged = 0
    for path in sorted((ROOT / "corpus" / "regulations").glob("*.md")):
        result = review_file(path)
        hits = [f for f in result.findings if f.severity in FLAG]
        clauses += result.clauses
        flagged += len({f.clause_no for f in hits})
        if verbose:
            for f in hits:
                print(f"  {path.name} {f.clause_no} {f.article}/{f.item} {f.clause[:50]}")
    print(f"\n== lawful corpus: {flagged} of {clauses} clauses of corpus/regulations flagged "
          f"(false-alarm rate {flagged / clauses:.2%}) ==")


if __name__ == "__main__":
    verbose = "--verbose" in sys.argv or "-v" in sys.argv
    clause_eval(verbose)
    for holdout in ("review_holdout.jsonl", "review_holdout2.jsonl", "review_holdout3.jsonl", "review_holdout4.jsonl", "review_holdout5.jsonl",
                    "review_holdout6.jsonl"):
        clause_eval(verbose, holdout)  # written after the rules; see the note at the top
    for blind in sorted(p.name for p in (ROOT / "eval").glob("review_blind*.jsonl")):
        clause_eval(verbose, blind)  # written blind by a second author; see the note at the top
    draft_eval(verbose)
    corpus_false_alarms(verbose)
