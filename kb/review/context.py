"""What a whole clause says about each of its sentences, and which sentences are no measure at all.

The checker reviews sentence by sentence, but a drafter states a measure's lawful footing once per clause:
"…给予补助，单个项目最高300万元。申报条件、评审程序向社会公开。" The second sentence governs the first.
`ClauseContext` collects the lawful qualifiers of a clause once (open to all on published criteria, equal
treatment, a stated legal basis, an art. 12 purpose with a time limit) and every tier — the rules, the
cue-combination fallback and the learned tier — reads each sentence of the clause with them.

`not_a_measure` names the sentences that address no operator: a scope or definition clause ("本措施适用于…"),
a planning target ("到2027年，全市新能源汽车保有量达到20万辆"), a department's duty ("县财政局负责资金保障").
The recall tiers (fallback, learned) leave them alone; an explicit rule still fires on an explicit
discriminating condition written into one ("本措施仅适用于在本县注册纳税的企业").
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from kb.models import Clause
from kb.review import lexicon as lx

_OPEN = re.compile(lx.OPEN)
_EQUAL = re.compile(lx.EQUAL)
_BASIS = re.compile(lx.LEGAL_BASIS)
_PURPOSE = re.compile(lx.ART12_PURPOSE)
_TIME = re.compile(lx.TIME_LIMIT)
_SCOPE = re.compile(lx.SCOPE_CLAUSE)
_TARGET = re.compile(lx.PLANNING_TARGET)
_DUTY = re.compile(lx.DEPARTMENT_DUTY)
_BINDS = re.compile(lx.BINDS_OPERATORS)
_OPERATOR = re.compile(lx.OPERATOR)


@dataclass(frozen=True)
class ClauseContext:
    """The lawful qualifiers stated anywhere in one clause (the words, "" when absent)."""

    open_to_all: str = ""  # open to every operator on published, objective criteria
    equal: str = ""  # equal treatment of local and outside, or of all, operators
    basis: str = ""  # a stated basis in law or administrative regulation, or State Council approval
    purpose: str = ""  # an art. 12 purpose (security, technology, environment, relief, public interest)
    time_limit: bool = False  # a time limit or end condition, in the clause or for the whole draft

    @classmethod
    def of(cls, clause: Clause | str, doc_time_limit: bool = False) -> ClauseContext:
        text = clause if isinstance(clause, str) else clause.text
        return cls(_words(_OPEN, text), _words(_EQUAL, text), _words(_BASIS, text), _words(_PURPOSE, text),
                   bool(_TIME.search(text)) or doc_time_limit)

    @property
    def exception(self) -> bool:
        """An art. 12 exception as drafted: one of its purposes and a time limit."""
        return bool(self.purpose) and self.time_limit

    def lawful_footing(self) -> str:
        """The words that make a selective-looking measure open or equal for all, "" when none."""
        return self.open_to_all or self.equal


def _words(pattern: re.Pattern, text: str) -> str:
    m = pattern.search(text)
    return m.group(0) if m else ""


def not_a_measure(sentence: str) -> str:
    """Why a sentence addresses no operator ("适用范围", "规划目标", "部门职责"), "" for a measure."""
    if _SCOPE.search(sentence):
        return "适用范围或用语定义"
    if _BINDS.search(sentence):
        return ""  # a target or duty that also binds operators ("…控制在3家以内", "…企业须…") is a measure
    if _TARGET.search(sentence):
        return "规划目标"
    if _DUTY.search(sentence) and not _OPERATOR.search(sentence):
        return "部门职责分工"
    return ""
