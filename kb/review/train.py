"""Train the learned review tier and write kb/review/data/learned.npz (deterministic).

Run from the repo root:  python -m kb.review.train
Data: the labelled clauses eval/review*.jsonl (eval/drafts stays out: it is the held-out whole-draft test), the
standards' examples (violating) and counter-examples (lawful) from kb/review/data/standards.json, and the
sentences of the lawful regulations in corpus/regulations (lawful text full of look-alike words).
A fixed, class-stratified quarter of the labelled clauses is held out as the CALIBRATION split: the model is
fitted on the rest, and the two thresholds are chosen on the calibration split alone.
"""
from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from kb.review.learned import LAWFUL, MODEL_FILE, LearnedModel
from kb.review.situations import all_situations, situations

ROOT = Path(__file__).resolve().parent.parent.parent
C = 100.0  # inverse L2 strength; e5 vectors are unit-length, so weak regularisation (leave-one-set-out CV: 30–1000 alike)
CORPUS_WEIGHT = 0.1  # a regulation sentence counts a tenth of a labelled clause: thousands of them, mostly easy
STANDARD_WEIGHT = 0.5  # written examples are cleaner than real drafts; half weight
CALIBRATION_SHARE = 0.25
SEED = 12
MIN_SPECIFICITY = 0.95  # flag_at: the best MCC on calibration that keeps at least this specificity
SURE_PRECISION = 0.98  # sure_at: from here on, calibration precision of flagged clauses is at least this
HARD_NEGATIVE = 0.4  # a regulation sentence the first fit gives P(violation) ≥ this weighs 1.0 in the second
SURE_ITEM = 0.95  # … and the proposed item is right for at least this share of them


@dataclass
class Example:
    text: str
    label: tuple[int, int]  # LAWFUL or (article, item)
    weight: float
    source: str  # file name, "standards" or "corpus"


def label_of(row: dict) -> tuple[int, int]:
    """A violating clause's (article, item); lawful otherwise. Art. 12 exceptions and stated legal bases are
    lawful here: the classifier must not flag them (the rules report them as 需说明依据)."""
    return (row["article"], row["item"]) if row["violation"] else LAWFUL


def labelled(root: Path = ROOT, names: list[str] | None = None) -> list[tuple[str, dict]]:
    """(set name, row) for every labelled clause of eval/review*.jsonl (or of the named files)."""
    paths = [root / "eval" / n for n in names] if names else sorted((root / "eval").glob("review*.jsonl"))
    return [(p.name, json.loads(line)) for p in paths for line in p.read_text(encoding="utf-8").splitlines() if line]


def standard_examples() -> list[Example]:
    out = []
    for s in situations():
        out += [Example(t, s.key, STANDARD_WEIGHT, "standards") for t in s.texts()]
        out += [Example(t, LAWFUL, STANDARD_WEIGHT, "standards") for t in s.counter_examples]
    return out


@lru_cache(maxsize=2)
def corpus_sentences(root: Path = ROOT) -> list[str]:
    from kb.ingest import read_text
    from kb.review.clauses import split_clauses, units

    out: list[str] = []
    for path in sorted((root / "corpus" / "regulations").glob("*.md")):
        out += [u.text for c in split_clauses(read_text(path)) for u in units(c)]
    return list(dict.fromkeys(out))


def calibration_split(rows: list[tuple[str, dict]], share: float = CALIBRATION_SHARE, seed: int = SEED) -> np.ndarray:
    """Boolean mask of the calibration rows: a fixed share of each class, drawn with a fixed seed."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(rows), dtype=bool)
    by_class: dict[tuple[int, int], list[int]] = {}
    for i, (_, row) in enumerate(rows):
        by_class.setdefault(label_of(row), []).append(i)
    for key in sorted(by_class):
        idx = np.array(by_class[key])
        rng.shuffle(idx)
        mask[idx[: round(len(idx) * share)]] = True
    return mask


def fit(vecs: np.ndarray, labels: list[tuple[int, int]], weights: np.ndarray, c: float | None = None):
    """(classes, coef, intercept) of a multinomial logistic regression; LAWFUL is class 0."""
    from sklearn.linear_model import LogisticRegression

    classes = [LAWFUL] + sorted({lab for lab in labels if lab != LAWFUL})
    y = np.array([classes.index(lab) for lab in labels])
    clf = LogisticRegression(C=C if c is None else c, max_iter=5000)
    clf.fit(vecs, y, sample_weight=weights)
    order = [list(clf.classes_).index(i) for i in range(len(classes))]
    return classes, clf.coef_[order].astype(np.float32), clf.intercept_[order].astype(np.float32)


def mcc(tp: int, fp: int, tn: int, fn: int) -> float:
    d = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return (tp * tn - fp * fn) / d if d else 0.0


def choose_thresholds(conf: np.ndarray, violating: np.ndarray, item_ok: np.ndarray) -> tuple[float, float]:
    """(flag_at, sure_at) from calibration confidences: flag_at maximises MCC among thresholds that keep
    specificity ≥ MIN_SPECIFICITY; sure_at is the lowest threshold ≥ flag_at from which flagged clauses are
    violations with precision ≥ SURE_PRECISION and the proposed item is right for ≥ SURE_ITEM of them
    (a 违反 names an item; below sure_at the finding says 提示)."""
    candidates = sorted(set(np.round(conf, 4)) | {0.5})
    best, flag_at = -2.0, 0.5
    for t in candidates:
        flagged = conf >= t
        tp, fp = int((flagged & violating).sum()), int((flagged & ~violating).sum())
        tn, fn = int((~flagged & ~violating).sum()), int((~flagged & violating).sum())
        if tn / max(tn + fp, 1) >= MIN_SPECIFICITY and mcc(tp, fp, tn, fn) > best:
            best, flag_at = mcc(tp, fp, tn, fn), float(t)
    sure_at = 1.0
    for t in sorted(c for c in candidates if c >= flag_at):
        flagged = conf >= t
        hits = flagged & violating
        if (flagged.sum() and hits.sum() / flagged.sum() >= SURE_PRECISION
                and (hits & item_ok).sum() / max(hits.sum(), 1) >= SURE_ITEM):
            sure_at = float(t)
            break
    return flag_at, sure_at


def train(encoder, train_rows: list[tuple[str, dict]], calib_rows: list[tuple[str, dict]],
          corpus: list[str], vectors) -> LearnedModel:
    """Fit on train_rows + standards + corpus sentences; thresholds on calib_rows. `vectors(texts)` embeds.
    Two passes: regulation sentences the first fit finds doubtful (hard negatives) weigh as much as a labelled
    clause in the second. flag_at is then raised, if need be, above every regulation sentence the learned tier
    would see, so that the lawful corpus stays unflagged."""
    examples = ([Example(r["text"], label_of(r), 1.0, name) for name, r in train_rows] + standard_examples()
                + [Example(t, LAWFUL, CORPUS_WEIGHT, "corpus") for t in corpus])
    vecs = vectors([e.text for e in examples])
    labels, weights = [e.label for e in examples], np.array([e.weight for e in examples])
    classes, coef, intercept = fit(vecs, labels, weights)
    model = LearnedModel(encoder.name, classes, coef, intercept, 0.5, 1.0, *situation_rows(vectors))
    corpus_rows = np.array([e.source == "corpus" for e in examples])
    hard = corpus_rows & (1.0 - model.probabilities(vecs)[:, 0] >= HARD_NEGATIVE)
    weights[hard] = 1.0
    model.classes, model.coef, model.intercept = fit(vecs, labels, weights)
    if calib_rows:
        probs = model.probabilities(vectors([r["text"] for _, r in calib_rows]))
        best = [classes[int(p[1:].argmax()) + 1] for p in probs]  # the item proposed, LAWFUL (class 0) aside
        item_ok = np.array([r["violation"] and (b == label_of(r) or list(b) in r.get("alt", []))
                            for (_, r), b in zip(calib_rows, best)])
        model.flag_at, model.sure_at = choose_thresholds(1.0 - probs[:, 0], np.array([r["violation"] for _, r in calib_rows]),
                                                         item_ok)
    ceiling = corpus_ceiling(model, vectors)
    if ceiling >= model.flag_at:
        model.flag_at = round(ceiling + 0.005, 4)
        model.sure_at = max(model.sure_at, model.flag_at)
    model.meta = {"c": C, "corpus_weight": CORPUS_WEIGHT, "standard_weight": STANDARD_WEIGHT, "seed": SEED,
                  "train_clauses": len(train_rows), "calibration_clauses": len(calib_rows),
                  "standards_texts": sum(e.source == "standards" for e in examples), "corpus_sentences": len(corpus),
                  "hard_negatives": int(hard.sum()), "corpus_ceiling": round(ceiling, 4)}
    return model


def corpus_ceiling(model: LearnedModel, vectors, root: Path = ROOT) -> float:
    """The highest P(violation) among the regulation sentences the checker would hand to the learned tier."""
    sentences = reached_sentences(root)
    return float((1.0 - model.probabilities(vectors(sentences))[:, 0]).max()) if sentences else 0.0


@lru_cache(maxsize=2)
def reached_sentences(root: Path = ROOT) -> list[str]:
    from kb.ingest import read_text
    from kb.review.checker import _skipped, learned_view
    from kb.review.clauses import split_clauses

    out: list[str] = []
    for path in sorted((root / "corpus" / "regulations").glob("*.md")):
        out += [s for c in split_clauses(read_text(path)) if not _skipped(c) for s in learned_view(c)]
    return list(dict.fromkeys(out))


def situation_rows(vectors) -> tuple[list[str], np.ndarray]:
    ids, texts = [], []
    for s in all_situations().values():
        ids += [s.sid] * len(s.texts())
        texts += s.texts()
    return ids, vectors(texts)


def main() -> int:
    from kb.config import get_settings
    from kb.embed import load_encoder
    from kb.review.learned import Tier

    encoder = load_encoder("e5", get_settings())
    tier = Tier(None, encoder)
    rows = labelled()
    calib = calibration_split(rows)
    model = train(encoder, [r for r, c in zip(rows, calib) if not c], [r for r, c in zip(rows, calib) if c],
                  corpus_sentences(), tier.vectors)
    model.save(MODEL_FILE)
    print(f"{MODEL_FILE.relative_to(ROOT)}: encoder {model.encoder}, {len(model.classes)} classes, "
          f"flag_at {model.flag_at:.3f}, sure_at {model.sure_at:.3f}, {model.meta}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
