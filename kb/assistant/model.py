"""Two small logistic models over features that generalise beyond the questions they were fitted on:
the ranker (is this candidate article the one that answers?) and the gate (does the corpus answer at all?).

Fitted by `eval/eval_qa.py --calibrate` with scikit-learn on the calibration split and stored as plain numbers
in kb/data/assistant.json, one entry per encoder (cosine scales differ between models) plus a "lexical" entry
without the similarity features, for an index built with an encoder nothing was fitted for. Applying them is
a dot product: no scikit-learn at run time.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from kb import errors
from kb.config import DATA_DIR

MODEL_FILE = DATA_DIR / "assistant.json"
LEXICAL = "lexical"  # the entry for indexes without dense vectors, or with an encoder nothing was fitted for

# What a candidate article is judged by (kb.answer computes them). Similarities are e5 cosines of the question
# to the article's own vectors (cosine) and to its closest sentence (cosine_sentence: leaving one blind set out at
# a time over nine, it raised the ranker's hit@1 from .588 to .620); "rel" features are relative to the best
# candidate of the same question.
# type_met: how many of the answer types the question asks for (a figure, a body, a place, a date) its sentences state.
# condition: whether the article holds a condition on a kind of figure the asker states about their case (and how
# well its clause fits the words around that figure; kb.assistant.eligibility.condition_fit).
RANK_FEATURES = ("prior", "retrieval", "cosine", "cosine_rel", "coverage", "sentence_coverage", "evidence", "old",
                 "type_met", "condition", "cosine_sentence", "cosine_sentence_rel")
LEXICAL_RANK_FEATURES = tuple(f for f in RANK_FEATURES if not f.startswith("cosine"))
# What the gate judges a question by: how close the best article is (cosine) and how far ahead of the next one it is
# (cosine_margin, rank_margin), how much of the question the article and its best sentence cover, how many of the
# question's words the corpus never uses (absent), how many asked-for answer types its sentences leave unstated,
# whether its best sentence carries what the intent asks for (a time limit for 多久), whether it holds a condition on
# a figure the asker states (condition), and how much the question reads like this corpus at all (domain: its mean
# e5 similarity to the articles). Chosen leaving one question source out at a time (the sets were written by
# different people, three of them blind): pooled AUC on the blind sets .83, against .75 for the three features of
# the previous gate (cosine, type_gap, evidence), .79 without absent and .78 without domain. The closest sentence's
# similarity and its lead over the next article's were added with the ranker's sentence features.
GATE_FEATURES = ("cosine", "type_gap", "evidence", "coverage", "sentence_coverage", "cosine_margin", "rank_margin",
                 "absent", "domain", "condition", "cosine_sentence", "cosine_sentence_margin")
LEXICAL_GATE_FEATURES = ("coverage", "type_gap", "evidence")


@dataclass
class Linear:
    features: tuple[str, ...]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    threshold: float = 0.5  # the gate answers when P(answerable) ≥ threshold

    def logit(self, x: dict[str, float]) -> float:
        z = self.intercept
        for name, m, s, w in zip(self.features, self.mean, self.scale, self.coef):
            z += w * (x.get(name, 0.0) - m) / (s or 1.0)
        return z

    def prob(self, x: dict[str, float]) -> float:
        z = self.logit(x)
        return 1 / (1 + math.exp(-z)) if z > -60 else 0.0

    def to_json(self) -> dict:
        return {**asdict(self), "features": list(self.features)}

    @classmethod
    def from_json(cls, d: dict) -> Linear:
        return cls(**{**d, "features": tuple(d["features"])})


@dataclass
class AssistantModel:
    ranker: Linear
    gate: Linear


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def reads_sentences(encoder_name: str, path: Path = MODEL_FILE) -> bool:
    """Whether the ranker fitted for this encoder reads sentence vectors (then `kb index build` caches them)."""
    return "cosine_sentence" in model_for(encoder_name, path).ranker.features


def model_for(encoder_name: str | None, path: Path = MODEL_FILE) -> AssistantModel:
    """The fitted models for an encoder, or the lexical ones."""
    try:
        data = _load(str(path), path.stat().st_mtime)
        entry = data["models"].get(encoder_name or "") or data["models"][LEXICAL]
        return AssistantModel(Linear.from_json(entry["ranker"]), Linear.from_json(entry["gate"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:  # the file ships with the package: a broken install
        raise errors.ModelError(f"问答模型文件缺失或损坏：{path}（{type(exc).__name__}）",
                                hint="请重新安装（make setup）；评测时可用 eval/eval_qa.py --calibrate 重新生成") from None
