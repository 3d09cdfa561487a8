"""What kind of answer a question wants, and what evidence in a sentence serves that kind.

Both are data tables: INTENT_RULES maps trigger words in the question to an intent; EVIDENCE maps an intent
to patterns that, found in a candidate sentence, make it a better answer. Adding a trigger is a one-line edit.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from kb.numerals import CN_NUMERAL_CHARS

DEADLINE, PROCEDURE, LIST, CONDITION, PENALTY, OTHER = "时限", "程序", "清单", "条件", "罚则", "其他"

# Order matters only to break ties (equal number of trigger hits): intents named by a question word (多久, 哪些,
# 怎么办) come before intents named by a topic word (处罚, 条件) — "处罚分哪几类" asks for a list.
INTENT_RULES: list[tuple[str, tuple[str, ...]]] = [
    (DEADLINE, ("多久", "几天", "几日", "几个工作日", "多少天", "多少日", "期限", "时限", "什么时候", "何时",
                "多长时间", "截止", "多快", "时间", "哪一年", "哪年", "哪天", "最晚", "几个月", "几年", "多少年",
                "多少个工作日", "多少个月", "几月", "几号")),
    (LIST, ("清单", "名单", "目录", "名录", "哪些", "哪几", "几种", "几类", "包括什么", "包括哪")),
    (PROCEDURE, ("怎么办", "怎么申请", "如何办理", "流程", "步骤", "程序", "如何申请", "去哪办", "去哪里办",
                 "哪些步骤", "哪些手续", "哪些程序", "哪些流程", "什么流程", "什么手续",
                 "在哪办", "怎样办", "手续", "怎么做", "怎么用", "怎么落实", "怎么推进", "如何", "由谁", "谁牵头",
                 "什么方式", "哪个部门")),
    (PENALTY, ("罚", "处罚", "处分", "法律责任", "责任", "后果", "违反", "违法", "追究", "怎么处理", "被查")),
    (CONDITION, ("能不能", "可以吗", "能否", "是否可以", "可不可以", "条件", "资格", "需要什么", "要求", "是否",
                 "吗", "行不行", "允许", "算不算", "要不要", "还能", "上限")),
]

_NUM = rf"(?:\d+(?:\.\d+)?|[{CN_NUMERAL_CHARS}]+)"
TIME_EXPR = re.compile(rf"{_NUM}\s*(?:个工作日|工作日|个月|小时|分钟|天|日|周)|到\s*\d{{4}}\s*年")

# Evidence a sentence carries for an intent: (pattern, weight). Weights are relative within an intent.
EVIDENCE: dict[str, list[tuple[re.Pattern, float]]] = {
    DEADLINE: [(TIME_EXPR, 1.0), (re.compile(r"(?:\d{4}年|每年)\d{1,2}月\d{1,2}日"), 1.0),
               (re.compile(r"期限|时限|之日起|以内|届满|不超过|压缩"), 0.3)],
    LIST: [(re.compile(r"清单|名单|目录|名录"), 1.0), (re.compile(r"(?:包括|分为|如下|下列[^，。；]*)：\s*（一）"), 1.0),
           (re.compile(r"下列|以下|包括"), 0.3)],
    PROCEDURE: [(re.compile(r"申请|受理|审查|决定|送达|办理|提交|登记|告知|答复|质疑|投诉|异议|复议|听证"), 0.25),
                (re.compile(r"(?:申请|受理|审查|决定|送达)[、，和及]"), 0.5)],
    CONDITION: [(re.compile(r"条件|应当具备|符合|资格|不得|可以|方可"), 0.5)],
    PENALTY: [(re.compile(r"罚款|责令|处分|没收|吊销|追究|法律责任|警告|拘留"), 1.0)],
    OTHER: [],
}


@dataclass(frozen=True)
class Intent:
    name: str
    triggers: tuple[str, ...]  # trigger words found in the question (removed from its content terms)


def classify(question: str) -> Intent:
    """The intent with the most trigger hits; ties go to the earlier rule; none → 其他."""
    best, best_hits = OTHER, ()
    found = {w for _, words in INTENT_RULES for w in words if w in question}
    for name, words in INTENT_RULES:
        # "罚" inside "处罚" counts once, and "哪些" inside "哪些步骤" for the procedure it asks for, not for a list
        hits = tuple(w for w in words if w in found and not any(w != o and w in o for o in found))
        if len(hits) > len(best_hits):
            best, best_hits = name, hits
    return Intent(best, best_hits)


def evidence(intent: str, sentence: str) -> float:
    """How strongly a sentence shows what this intent asks for, in [0, 1]."""
    rules = EVIDENCE.get(intent, [])
    if not rules:
        return 0.0
    total = sum(w for pat, w in rules if pat.search(sentence))
    return min(1.0, total / max(w for _, w in rules))


# --- answer types ---------------------------------------------------------------------------------------------
# What a question asks for, whatever its intent: a figure (多少, 最高…), a body (哪个部门, 由谁), a place (在哪), a
# date (哪年, 什么时候). An answer must state it: a sentence about the right subject that names no figure for
# "补多少钱" does not answer — the commonest way a near-miss article looks like an answer (see eval/calib.jsonl).
_BODY = re.compile(r"部门|机关|机构|人民政府|委员会|管委会|局|厅|中心|单位|法院|检察院|银行|协会|公司|企业|平台|由[^，。；]{1,20}(?:负责|承担|办理|组织)")
_PLACE = re.compile(r"窗口|大厅|中心|平台|网站|网上|线上|现场|所在地|住所|场所|门户|专区|一体机|APP|小程序|政务服务网")
_DATE_TEXT = re.compile(r"\d{4}\s*年|[一二三四五六七八九十\d]+月|之日|起施行|届满|以前|之前|前|内")
ANSWER_TYPES: dict[str, tuple[re.Pattern, "object"]] = {
    "body": (re.compile(r"哪个部门|哪些部门|哪个单位|哪家|哪个机构|哪级|由谁|谁来|谁负责|谁管|找谁|向谁|谁审批|谁批"), _BODY.search),
    # a body is where one goes too: "去哪投诉" is answered by "向…监督管理部门投诉"
    "place": (re.compile(r"在哪|去哪|哪里|什么地方|地址|哪儿|在什么平台|哪个网站"),
              lambda s: _PLACE.search(s) or _BODY.search(s)),
    "date": (re.compile(r"什么时候|何时|哪天|哪一天|哪年|哪一年|几月|几号|截止到"), _DATE_TEXT.search),
}


def asked_types(question: str) -> list[str]:
    """The answer types a question asks for; "figure" when it asks for a number."""
    from kb.quantities import asks_quantity

    types = [name for name, (pattern, _) in ANSWER_TYPES.items() if pattern.search(question)]
    return (["figure"] if asks_quantity(question) else []) + types


def states(kind: str, sentence: str) -> bool:
    """Whether a sentence states what an answer type asks for."""
    if kind == "figure":
        from kb.quantities import has_quantity

        return has_quantity(sentence)
    return bool(ANSWER_TYPES[kind][1](sentence))
