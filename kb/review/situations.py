"""The standards as data: per item of arts. 8–11, the concrete situations of the 2025 《公平竞争审查条例实施办法》
(arts. 9–23), each with written violating examples and lawful counter-examples (kb/review/data/standards.json).

The learned tier trains on the examples and names the nearest situation in its findings; a test runs the rules
over the counter-examples. The regulation's own item text still comes from kb.review.standards.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "standards.json"


@dataclass(frozen=True)
class Situation:
    sid: str  # "8.1.a"
    article: int
    item: int
    basis: str  # "实施办法第九条第（二）项"
    text: str  # the situation in the 实施办法's terms
    examples: tuple[str, ...]
    counter_examples: tuple[str, ...]

    @property
    def key(self) -> tuple[int, int]:
        return self.article, self.item

    def texts(self) -> list[str]:
        """What the situation is recognised by: its own wording and its violating examples."""
        return [self.text, *self.examples]


def item_situations() -> tuple[Situation, ...]:
    """Each item of arts. 8–11 in the regulation's own words, as a situation: the one to name when the
    standards file has none for an item (and a reference the nearest-situation search always has)."""
    from kb.review.standards import citation, item_text, standards

    return tuple(Situation(f"{a}.{i}", a, i, citation(a, i), item_text(a, i), (), ())
                 for a, items in standards().items() for i in range(1, len(items) + 1))


def all_situations() -> dict[str, Situation]:
    return {s.sid: s for s in (*situations(), *item_situations())}


@dataclass(frozen=True)
class ItemGuide:
    article: int
    item: int
    why: str  # why such a measure restricts competition
    advice: str  # how to fix it


def _load() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8")) if DATA_FILE.exists() else {"items": []}


@lru_cache(maxsize=1)
def situations() -> tuple[Situation, ...]:
    return tuple(
        Situation(s["id"], it["article"], it["item"], s.get("basis", ""), s["situation"], tuple(s.get("examples", ())),
                  tuple(s.get("counter_examples", ())))
        for it in _load()["items"] for s in it["situations"])


@lru_cache(maxsize=1)
def guides() -> dict[tuple[int, int], ItemGuide]:
    return {(it["article"], it["item"]): ItemGuide(it["article"], it["item"], it.get("why", ""), it.get("advice", ""))
            for it in _load()["items"]}
