"""How text becomes tokens for the project's static model; training and encoding must agree exactly.

The model's tokenizer is a plain WordLevel over whitespace, so all Chinese-specific work happens here:
jieba words (kb.segment) plus a character back-off — every in-vocabulary word also emits its characters,
an out-of-vocabulary word emits only its characters — so unseen terms still land near related ones.
"""
from __future__ import annotations

import re
from collections.abc import Container, Iterable

from kb.segment import Segmenter

_NO_WORD = re.compile(r"[\W_]+")


def words(seg: Segmenter, text: str) -> list[str]:
    """Segmented words without whitespace/punctuation, latin lowercased (stopwords kept: the model weighs them)."""
    out = []
    for w in seg.cut(text):
        w = w.strip().lower()
        if w and not _NO_WORD.fullmatch(w):
            out.append(w)
    return out


def backoff(word_list: Iterable[str], vocab: Container[str]) -> list[str]:
    """Model tokens: each known word plus its characters; unknown words as characters only."""
    out = []
    for w in word_list:
        if len(w) > 1 and w in vocab:
            out.append(w)
        if len(w) == 1 or not w.isascii():
            out.extend(ch for ch in w if ch in vocab)
    return out


def model_text(seg: Segmenter, text: str, vocab: Container[str]) -> str:
    """What the static model's tokenizer receives: model tokens joined by spaces."""
    return " ".join(backoff(words(seg, text), vocab))
