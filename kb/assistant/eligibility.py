"""Eligibility checks: the facts an asker states about their own case, compared with the conditions of an article.

"我们是城区的小微企业，报装容量120千瓦" states a quantity (120千瓦, read by kb.quantities) and categories (城区,
小微企业). A sentence of the article states conditions: a comparator bound to a figure ("160千瓦以下", "不超过五万元",
"满八年", "不足十分之一", "不得超过中标合同金额的10%", "届满三十日前"), the categories it applies to (城区 / 农村地区,
机关、事业单位 / 大型企业), and whether meeting it brings a prohibition ("不得存在下列情形：…超过五万元"). Pairing a
fact with a condition gives one EligibilityCheck — 符合 / 不符合, or 无法判断 naming what the question would have
to say: the figure itself, or which of the sentence's alternatives (城区 or 农村地区) applies.

Every figure shown is words of the question or of the quote: a Condition refuses a threshold that is not in the
sentence it quotes (errors.UnquotedFigure), so no verdict rests on a number the article does not state there.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from kb import errors
from kb.models import Article, Document, EligibilityCheck, split_sentences
from kb.numerals import cn_to_int
from kb.quantities import (
    Quantity,
    calendar_dates,
    date_gap,
    find_quantities,
    no_holiday,
    weekday_gap,
    workday_range,
)

MET, UNMET, UNKNOWN = "符合", "不符合", "无法判断"
STATED = 0.3  # share of a clause's character pairs the question must repeat for the clause to count as stated…
STATED_PAIRS = 4  # …or this many of them: a long clause is stated by its gist ("全体投资人已书面承诺")

# --- comparators ----------------------------------------------------------------------------------------------
# Written before a figure: (words, the relation the measured value must have to the figure for the condition to hold).
_PREFIX = [
    ((r"最长不得超过|最长不超过|最多不超过|最多不得超过|最高不超过|最高不得超过|不得超过|不超过|不得高于|不高于|不大于|不多于|"
      r"未逾|控制在|压缩至|压缩到|压缩在|缩短至|缩短到|降至|降到"), "≤"),
    (r"不足|未满|不满|低于|少于|小于", "<"),
    (r"最短不得少于|最少不得少于|不得少于|不少于|不得低于|不低于|至少|已满|(?<![届期圆充])满|达到", "≥"),
    (r"超过|高于|多于|大于|逾", ">"),
]
# Written after a figure; "前" after a duration: at least that long before ("届满三十日前").
_SUFFIX = [(r"及以下|以下|以内|之内|内(?![容部外地资])", "≤"), (r"及以上|以上", "≥"), (r"前(?![款述列])", "lead")]
# A window denied: right before it ("…未在十个工作日内完成核查的") or right after it ("前三年内…没有重大违法记录",
# "在一年内不得再次申请"): the case it describes is that more time has gone by.
_NOT_IN_TIME = re.compile(r"(?:未|没有|没)(?:在|于)\s*$")
_NOT_IN_TIME_AFTER = re.compile(r"^[^，。；：]{0,8}?(?:不得|没有|未曾|禁止|不再)|^，[^，。；：]{0,10}?没有")
_NOT_WITHIN = {"≤": ">", "<": "≥"}
_TIME = ("days", "workdays", "hours")
_PREFIX_RE = re.compile("(?:" + "|".join(f"(?P<p{i}>{w})" for i, (w, _) in enumerate(_PREFIX)) + r")\s*(?:在|为|于)?\s*$")
_SUFFIX_RE = re.compile(r"^\s*(?:" + "|".join(f"(?P<s{i}>{w})" for i, (w, _) in enumerate(_SUFFIX)) + ")")
# A share of something: "不得超过中标合同金额的10%", "不超过原合同采购金额百分之十", "占…预算总额的百分之三十以上".
_SHARE_OF = re.compile(r"(?P<cmp>不得超过|不超过|不得低于|不低于|不少于|不得少于|占)(?P<base>[^，。；：、（）]{2,24}?)的?$")
_CLAUSE_CUT = re.compile(r"[，；。：（）()\n]|、(?=对)")  # "对公民处以…、对法人…处以…" are two clauses
ITEM = re.compile(r"^\s*（[一二三四五六七八九十]+）")
# What makes meeting a condition a bar: a prohibition or a denial after it ("可以不" is a permission), or a right
# deemed given up ("满二个月仍不领取的，视为放弃受领分配的权利").
_NEGATIVE = re.compile(r"(?<!可以)(?<!可)(?:不得|禁止|严禁|不应当|不应|不予|不能|不准|不再|无权|不适用|视为放弃|视为撤回)")
_NEGATED_ASK = "(?:不|免|无需|不用|不必|没)"
# A time limit's extension in the text after it, and a question saying the limit was extended.
_EXTENSION_BEFORE = re.compile(r"延长(?P<to>至)?(?:的期限|期限|答复期限)?(?:最长|最多)?(?:不得超过|不超过)?\s*$"
                               r"|延长[，,]但(?P<cap>[^。，；]{0,6}期限)(?:最长|最多)?(?:不得超过|不超过)\s*$")  # "…延长，但处理期限最长不得超过90日": the whole
_APPROVAL = re.compile(r"批准|同意")
_NOT_EXTENDED = re.compile(r"(?:没|未|没有|不曾)[^，。？?]{0,4}(?:延长|延期|批准|同意)|不(?:涉及|沾边|属于|牵涉)|无关")
_EXTENDED = re.compile(r"(?<![没未不])(?:批准|同意|批)(?:了)?(?:延长|延期)|(?<![没未不])(?:延长|延期)(?:了|过)"
                       r"|(?<![没未不])(?:收到|接到)(?:过|了)?[^，。？?]{0,4}(?:延长|延期)(?:的)?通知|(?<![没未不])通知[^，。？?没未不]{0,4}(?:延长|延期)")
_OPS: dict[str, Callable[[float, float], bool]] = {
    "≤": lambda v, t: v <= t, "<": lambda v, t: v < t, "≥": lambda v, t: v >= t, ">": lambda v, t: v > t,
    "lead": lambda v, t: v >= t,
}


@dataclass(frozen=True)
class Condition:
    """One condition of a sentence, in the article's words."""

    text: str  # the clause holding it ("最高奖的金额超过五万元")
    op: str  # ≤ < ≥ > between the measured value and the threshold; "lead": at least that long before
    threshold: Quantity  # parsed from the quote
    quote: str  # the sentence it is in: exact article text
    subject: str = ""  # what is measured: the clause's words before the comparator ("最高奖的金额")
    base: str = ""  # for a share: what it is a share of ("中标合同金额")
    scope: frozenset[str] = frozenset()  # the categories it applies to (城区, 机关, 公民…)
    consequence: str = ""  # what meeting it brings, when that is stated apart from it (a lead-in, a "…的，" main clause)
    qualifier: bool = False  # it says who or what qualifies (in brackets, a "…的" clause, an item), not a duty
    others: tuple[str, ...] = ()  # the sentence's other "…的" clauses: conditions that go with this one (且)
    measured_from: str = ""  # a time limit's "自…之日起(至…止)" clause, when it stands before it (_measured_from)
    extension: Extension | None = None  # a time limit the article lets be extended ("可以延长十日", "延长至五年")
    default: str = ""  # the article's text from the sentence to "合同另有约定的，从其约定" when that sets it aside
    counted: str = ""  # where its law says its 日 are working days ("《行政处罚法》第八十五条")
    proviso: str = ""  # the case of a "但是，…的除外" that follows it in its sentence or the next one
    hedge: str = ""  # for a figure the text holds "一般/原则上", the case it then lets depart from it ("因情况紧急等
    # 原因需要缩短期限的")
    lapse: str = ""  # what missing the limit brings, when the sentence says ("逾期不告知的，自收到申请材料之日起即为受理")
    bar_within: bool = False  # a bar for a window ("…事项的，申请人在一年内不得再次申请"): it holds once the window is past
    within: Condition | None = None  # "…占预算总额的百分之三十以上；其中，预留给小型微型企业的比例不低于百分之六十": the share
    # whose part this one is a share of (its whole is that share's part)

    def __post_init__(self):
        # The rule no check may break: a verdict rests only on figures the quoted sentence states.
        if self.threshold.text not in self.quote or self.text not in self.quote:
            raise errors.UnquotedFigure(self.threshold.text)
        if self.extension and self.extension.amount.text not in self.extension.quote:
            raise errors.UnquotedFigure(self.extension.amount.text)
        if self.default and not self.default.startswith(self.quote):
            raise errors.UnquotedFigure(self.threshold.text)

    @property
    def negative(self) -> bool:
        return bool(_NEGATIVE.search(self.consequence))


@dataclass(frozen=True)
class Extension:
    """How far a time limit may be extended, and on what: "二十日内不能作出决定的，经本行政机关负责人批准，可以延长十日"
    (ten days more, on approval), "涉及公民生命健康安全…的，上述期限延长至五年" (five years in all, in that case)."""

    amount: Quantity
    total: bool  # 延长至: the amount is the new limit; else it is added to the old one
    grounds: str  # the words before 延长 in its sentence: the case or the approval it takes
    quote: str  # the article's text from the limit's sentence to the extension's: exact article text

    def limit(self, base: Quantity) -> float:
        return self.amount.value if self.total else base.value + self.amount.value

    def applies(self, question: str) -> bool | None:
        """Whether the question says the limit was extended (or describes the case that extends it), says it was
        not ("对方没说要延期", "跟人身健康…都不沾边"), or says nothing (None)."""
        if _NOT_EXTENDED.search(question):
            return False
        if _APPROVAL.search(self.grounds) and _EXTENDED.search(question):
            return True
        return True if overlap(self.grounds, question) >= STATED else None  # by share: the grounds repeat the
        # subject the question names anyway ("需要延长答复期限的，应当经政府信息公开工作机构负责人同意")


@dataclass(frozen=True)
class Fact:
    """A figure the asker states about their own case."""

    quantity: Quantity
    context: str  # the question's words around the figure (what it is a figure of: "要求我们交，投标保证金")
    lead: bool = False  # how long before something ("提前15天", the gap between "6月30日到期" and "6月15日")
    gap: bool = False  # the days between two dates the question gives ("3月10号发出，3月25号截止")
    hedged: bool = False  # said after 能/可以 in its clause ("…150kW，能按低压接入3天办电吗"): maybe what is asked
    workdays: tuple[float, float] | None = None  # for a gap between dates of no known year: its working days' bounds
    clause: str = ""  # the question's clause the figure stands in, whole ("给3家资质信誉都不错的公司发了投标邀请书")
    window: bool = False  # how long before an event ("开会前3天", "受理前8个月"): a lead ("7日前") or a window ("前一年内")


# --- the asker's categories -------------------------------------------------------------------------------------
# canonical category → (how articles write it, how people say it: regular expressions). Categories choose among a sentence's
# alternatives (城区 or 农村地区, 机关 or 大型企业, 公民 or 法人); a category alone never decides a verdict.
CATEGORIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "城区": (("城区", "城镇"), ("城区", "城里", "市区", "县城", "城镇")),
    "农村": (("农村",), ("农村", "乡下", "村里", "乡村", "乡镇", "镇上")),
    "小微企业": (("小微企业", "小型微型企业", "小型企业", "微型企业"),
                ("小微企业", "小型企业", "微型企业", "小微", "小企业", "小公司", "小厂")),
    "中小企业": (("中小企业", "中型企业"), ("中小企业", "中型企业", "小微", "小型企业", "微型企业", "小企业", "小公司")),
    "大型企业": (("大型企业",), ("大型企业", "大企业", "大公司", "央企", "集团公司", "大型国企", "大国企")),
    "个体工商户": (("个体工商户",), ("个体工商户", "个体户", "摆摊", "小摊", "个体经营")),
    "机关": (("机关",), ("机关", "政府", "局", "委员会", "街道办", "管委会")),
    "事业单位": (("事业单位",), ("事业单位", "公立医院", "医院", "学校", "研究所", "研究院")),
    "公民": (("公民", "自然人"), ("公民", "自然人", "个人", "本人")),
    "法人": (("法人", "其他组织"), ("(?<!执)法人", "公司", "企业", "单位", "其他组织", "厂")),
    "外地": (("外地", "本地区以外", "外省"), ("外地", "外省", "外市", "外县", "异地")),
    "本地": (("本地", "本地区"), ("本地", "当地")),
    "国有": (("国有",), ("国有", "国企", "央企")),
    "民营": (("民营",), ("民营", "民企", "私营", "私企")),
}


# Categories that exclude each other: conditions scoped to two of one axis are alternatives the asker must choose.
AXES = (frozenset({"城区", "农村"}), frozenset({"机关", "事业单位", "大型企业"}), frozenset({"公民", "法人"}),
        frozenset({"小微企业", "中小企业", "大型企业"}), frozenset({"个体工商户", "法人"}), frozenset({"国有", "民营"}),
        frozenset({"外地", "本地"}))
_LAY = {name: re.compile("|".join(lay)) for name, (_, lay) in CATEGORIES.items()}


# What a category is also: 个体工商户 are natural persons (《民法典》 puts them in its chapter on 自然人).
_ALSO = {"个体工商户": "公民"}


def asker_categories(question: str) -> set[str]:
    found = {name for name, pattern in _LAY.items() if pattern.search(question)}
    return found | {_ALSO[c] for c in found if c in _ALSO}


def text_categories(text: str) -> frozenset[str]:
    return frozenset(name for name, (written, _) in CATEGORIES.items() if any(w in text for w in written))


# --- the asker's figures ----------------------------------------------------------------------------------------
# A figure right after these words is what the asker asks about, not a fact of their case: "能不能3天内通电",
# "能按8个工作日办完", "能享受3天内的待遇", "哪一年"; likewise one followed by "的标准".
_ASKED_BEFORE = re.compile(r"(?:能不能|能否|可不可以|可否|能在|能按|能于|按照|按|享受|要在|得在|是不是在|在不在|有没有|哪|几|多少)\s*$")
_ASKED_AFTER = re.compile(r"^[^，。？?]{0,6}?(?:的标准|的待遇|的时限|的承诺)")
# "一家企业", "一项许可", "一次交齐": an article or a manner, not a count of the asker's.
_INDEFINITE = re.compile(r"^[一两]\s*(?:家|项|个|位|份|批|辆|台|张|件|种|类|次|笔|名|户)$")
_HEDGE = re.compile(r"能|可以|可否|是不是|是否")
_LEAD_WORDS = re.compile(r"(?:提前|到期前|届满前|截止前)\s*$")
# How long before an event: "开会前3天", "受理前8个月" — not "前3年内" (the window up to now)
_BEFORE_EVENT = re.compile(r"(?<![年月日天周前以之提])[\u4e00-\u9fff][之以]?前\s*$")
_WITHIN = re.compile(r"\s*(?:以内|之内|内)")
# A yes/no question about the asker's own case: the only kind that gets 无法判断 when it states no figure.
_CHECK = re.compile(r"吗|能不能|能否|可不可以|可以不|行不行|是否|算不算|够不够|够得上|够格|合规|合法|违规|违法|达标|来得及|"
                    r"站得住|超没超|有没有超|符不符合|属不属于|要不要|需不需要|还能")
OWN_CASE = re.compile(r"我|咱|本公司|我司|我厂|我店|这样|这种|这么|这个|这[钱笔份条项次]|对方")  # the asker's case, or one they describe


def own_case(question: str) -> bool:
    """The question is about the asker's case: it says so, or it states figures of it ("政府说要收100元…合理吗")."""
    return bool(OWN_CASE.search(question)) or bool(asker_facts(question))


def asker_facts(question: str) -> list[Fact]:
    """The figures a question states about the asker's case (lay forms too: "1200万", "第4天", "七成")."""
    facts, dates = [], calendar_dates(question)
    for q in find_quantities(question, lay=True):
        before, after = question[max(0, q.start - 8) : q.start], question[q.end :]
        if _ASKED_BEFORE.search(before) or _ASKED_AFTER.match(after) or _INDEFINITE.match(q.text):
            continue
        if any(d.start <= q.start < d.end for d in dates):  # "24年5月10号" is a date, not 24 years
            continue
        if q.text in ("两年", "一两年", "两三年") and before.endswith(("这", "近", "前")):  # "这两年做大了": lately
            continue
        after = re.split(r"[，。；？！?,]", after, maxsplit=1)[0]
        clause = re.split(r"[，。；？！?,]", question[: q.start])[-1]
        whole, after = clause + q.text + after, after[:6]
        before = before[-len(clause):] if clause else ""  # "6个是专家，3个是我们单位的人": 3 is not of 专家
        lead = bool(_LEAD_WORDS.search(before))
        window = not lead and bool(_BEFORE_EVENT.search(before)) and not _WITHIN.match(after)
        facts.append(Fact(q, before + "，" + after, lead=lead or window, window=window,
                          hedged=bool(_HEDGE.search(clause)), clause=whole))
    dates = dates[-2:]  # "…判刑，2022年6月刑满，今年2025年想当…": the time since the latest event
    by_week = weekday_gap(question) if len(dates) < 2 else None  # "上周一知道…这周二才交"
    if len(dates) == 2 or by_week:  # "6月30日到期，6月15日才去申请", "2024年3月1号受理，到3月25号还没出决定"
        gap = by_week or date_gap(*dates, question)
        span = (dates[0].start, dates[1].end) if not by_week else (0, len(question))
        around = question[max(0, span[0] - 8) : span[1] + 12]  # what the dates are of ("…开股东会决定…才去办变更登记")
        facts.append(Fact(Quantity(gap.days, "日", "days", gap.text, *span), around, lead=True, gap=True,
                          workdays=gap.workday_bounds))
        if gap.workdays is not None:
            facts.append(Fact(Quantity(float(gap.workdays), "工作日", "workdays", gap.text, *span), around, lead=True,
                              gap=True))
    return facts


def asks_check(question: str) -> bool:
    return bool(_CHECK.search(question))


# --- the conditions of an article -------------------------------------------------------------------------------
def _clause_span(sentence: str, start: int, end: int) -> tuple[int, int]:
    cuts = [m for m in _CLAUSE_CUT.finditer(sentence)]
    lo = max([m.end() for m in cuts if m.end() <= start] + [0])
    hi = min([m.start() for m in cuts if m.start() >= end] + [len(sentence)])
    return lo, hi


def _comparator(sentence: str, q: Quantity, clause_lo: int) -> tuple[str | None, int, int]:
    """(relation, start of the comparator, end of the figure with its suffix); relation None: nothing binds it."""
    op, at, end = None, q.start, q.end
    m = _PREFIX_RE.search(sentence[clause_lo : q.start])
    if m:
        op = next(rel for i, (_, rel) in enumerate(_PREFIX) if m.group(f"p{i}"))
        at = clause_lo + m.start()
    s = _SUFFIX_RE.match(sentence[q.end :])
    if s:
        rel = next(rel for i, (_, rel) in enumerate(_SUFFIX) if s.group(f"s{i}"))
        end = q.end + s.end()
        if rel == "lead":
            if op is None and q.dimension in ("days", "workdays"):
                op = "lead"
        else:
            op = op or rel
    if op in _NOT_WITHIN and q.dimension in _TIME and (
            _NOT_IN_TIME.search(sentence[clause_lo : q.start]) or _NOT_IN_TIME_AFTER.search(sentence[end:])):
        op = _NOT_WITHIN[op]
    return op, at, end


def _share(sentence: str, q: Quantity, clause_lo: int, op: str | None) -> tuple[str | None, str, int]:
    """For a percentage: the relation and what it is a share of ("中标合同金额"), and where that phrase starts."""
    m = _SHARE_OF.search(sentence[clause_lo : q.start])
    if not m:
        return op, "", q.start
    if op is None:
        op = "≥" if m.group("cmp") in ("不得低于", "不低于", "不少于", "不得少于") else "≤"
    return op, m.group("base").strip(), clause_lo + m.start()


def lead_in(article_text: str, sentence_start: int) -> str:
    """The line that introduces the item a sentence is ("有下列情形之一的，不得担任…：")."""
    for line in reversed(article_text[:sentence_start].split("\n")[:-1]):
        if ITEM.match(line):
            continue
        return line if line.rstrip().endswith("：") else ""
    return ""


def _main_clause(sentence: str, clause_hi: int) -> str:
    """When the clause is (part of) a "…的，" condition: the rest of the sentence, which says what it brings."""
    m = re.compile(r"的[，,]").search(sentence, max(clause_hi - 1, 0))
    if m is None or "，" in sentence[clause_hi + 1 : m.start()] or m.start() - clause_hi > 30:
        return ""
    return sentence[m.end() :]


def _other_conditions(sentence: str, own: tuple[int, int]) -> tuple[str, ...]:
    """The sentence's other "…的" clauses without figures."""
    out, lo = [], 0
    for m in _CLAUSE_CUT.finditer(sentence + "。"):
        piece, span = sentence[lo : m.start()].strip(), (lo, m.start())
        lo = m.end()
        if (piece.endswith("的") and len(piece) >= 4 and not span[0] <= own[0] < span[1] and "下列" not in piece
                and not piece.startswith("逾期") and not find_quantities(piece)):  # "逾期不告知的": the lapse, not 且
            out.append(piece)
    return tuple(out)


_FROM_TO = re.compile(r"自[^，。；]{2,40}?(?:之日|时)起(?:计算|[^，。；]{0,40}?(?:之日|时)止)?(?=[，,])")


def _measured_from(sentence: str, at: int) -> str:
    """What a time limit is measured from (and to), said in a clause of its own before it: "自招标文件开始发出之日起至
    投标人提交投标文件截止之日止，不得少于二十日", "债权申报期限自…公告之日起计算，最短…" — shared by every limit after it."""
    found = list(_FROM_TO.finditer(sentence[:at]))
    if not found:
        return ""
    m = found[-1]
    start = max(sentence.rfind(c, 0, m.start()) for c in "，,；：。\n") + 1
    return sentence[start : m.end()]


def _subject_scope(sentence: str, clause_lo: int) -> frozenset[str]:
    """The categories of the nearest earlier clause that names any, brackets skipped: the subject continued."""
    head = re.sub(r"（[^）]*）", lambda m: "，" * len(m.group()), sentence[:clause_lo])
    pieces = re.split(r"[，；：]", head)
    for piece in reversed(pieces):
        found = text_categories(piece)
        if found:
            return found
    return frozenset()


def sentence_conditions(article: Article, sentence: str, inherited: frozenset[str] = frozenset()) -> list[Condition]:
    """Every figure of the sentence bound by a comparator, as a Condition."""
    pos = article.text.find(sentence)
    item = bool(ITEM.match(sentence.split("\n")[-1]))
    head = lead_in(article.text, pos + sentence.rfind("\n") + 1) if pos >= 0 and item else ""
    out = []
    for q in find_quantities(sentence):
        lo, hi = _clause_span(sentence, q.start, q.end)
        op, at, end = _comparator(sentence, q, lo)
        base = ""
        if q.dimension == "percent":
            op, base, share_at = _share(sentence, q, lo, op)
            at = min(at, share_at)
        if op is None:
            continue
        main = _main_clause(sentence, hi)
        bracketed = sentence[:lo].count("（") > sentence[:lo].count("）")
        scope = text_categories(sentence[lo:hi]) or _subject_scope(sentence, lo) or inherited
        out.append(Condition(
            text=sentence[lo:hi].strip(), op=op, threshold=q, quote=sentence, subject=sentence[lo:at].strip(),
            base=base, scope=scope, consequence=head or main,
            qualifier=bool(bracketed or main or head or sentence[end : end + 1] == "的"),
            bar_within=q.dimension in _TIME and op in (">", "≥") and bool(_NOT_IN_TIME_AFTER.search(sentence[end:])),
            lapse=_lapse(sentence, end) if q.dimension in _TIME else "",
            others=_other_conditions(sentence, (lo, hi)), measured_from=_measured_from(sentence, lo) if q.dimension in _TIME else ""))
    return out


_CACHE: dict[tuple[str, str, str], list[Condition]] = {}
_CACHE_SIZE = 4096


def article_conditions(article: Article) -> list[Condition]:
    """The conditions of every sentence; a sentence naming no category takes its paragraph's (款) first one.
    Cached by article text: every question's candidates are read again (the ranker's condition feature)."""
    key = (article.doc_id, article.key, article.text)
    if key not in _CACHE:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        _CACHE[key] = _article_conditions(article)
    return _CACHE[key]


def _article_conditions(article: Article) -> list[Condition]:
    out = []
    for para in article.paragraphs or []:
        scope: frozenset[str] = frozenset()
        found: list[Condition] = []
        for s in split_sentences(para.text):
            scope = scope or text_categories(s)
            parent = next((c for c in reversed(found) if c.base), None) if s.startswith("其中") else None
            found += [_of_part(c, parent) for c in sentence_conditions(article, s, scope)]
        out += [_with_hedge(_with_proviso(c, para.text), para.text)
                for c in _with_defaults(_with_extensions(found, para.text), para.text)]
    return out


_LAPSE = re.compile(r"^[^。；]{0,40}?[，,]逾期[^，。；]{0,8}的[，,](?P<then>[^。；]+)")


def _lapse(sentence: str, end: int) -> str:
    m = _LAPSE.match(sentence[end:])
    return m.group("then") if m else ""


# A proviso after a rule, in its sentence ("…，但…的除外") or opening the next one ("但是，个别清偿使债务人财产受益的除外",
# "但是，第三方同意公开…的，予以公开"): the case it names sets the rule aside.
_BUT_AFTER = re.compile(r"[，,；]但(?:是)?[，,]?(?P<case>[^。；]{2,60}?)(?:的)?除外")
_BUT_NEXT = re.compile(r"^\s*但(?:是)?[，,]?(?P<case>[^。；]{2,60}?)(?:的)?(?:除外|[，,][^。；]+)")


def proviso(sentence: str, start: int, text: str) -> re.Match | None:
    """The proviso of the rule in the sentence after start, or in the sentence after it in text."""
    m = _BUT_AFTER.search(sentence, start)
    if m is None and text and sentence in text:
        m = _BUT_NEXT.match(text[text.find(sentence) + len(sentence) :])
    return m


def _with_proviso(cond: Condition, text: str) -> Condition:
    m = proviso(cond.quote, cond.quote.find(cond.text) + len(cond.text), text)
    if m is None or re.search(r"另有规定|另有约定", m.group("case")):  # "法律、法规另有规定的，依照其规定": no case
        return cond
    return replace(cond, proviso=m.group("case"))


# The parties a figure's rule is for, by what they are: "对信用风险低、信用水平高的同一市场主体的抽查…"
_WHOM = re.compile(r"(?:对|为|向)(?P<mod>[^，。；的]{2,16})的(?:同一)?(?P<party>市场主体|企业|经营者|供应商|申请人|当事人)")
# "公开征求意见的期限一般不少于30日；因情况紧急等原因需要缩短期限的，…应当予以说明": a rule with its exception
_GENERALLY = re.compile(r"(?:一般|原则上)[^，。；]{0,4}$")
_DEPARTURE = re.compile(r"(?P<case>[^。；，]{0,20}(?:需要|确需|需)(?:缩短|延长|增加|减少)[^。；，]{0,8}的)[，,]")
# the question says the departure was not explained ("也没说为啥这么短", "没说明理由")
_NO_REASON = re.compile(r"(?:没|未|没有)(?:说|讲|写|提|解释|说明|交代)[^，。？?]{0,4}(?:为啥|为什么|原因|理由|缘由|咋回事|紧急|急事)"
                        r"|(?:没|未|没有)(?:作|做)?(?:说明|解释)|(?:没|没有|不)是?(?:啥|什么)?(?:紧急|急事)")


def _with_hedge(cond: Condition, text: str) -> Condition:
    """The condition with the case its paragraph lets depart from it, when the text holds its figure only generally."""
    at = cond.quote.find(cond.text)
    before = cond.quote[: at + cond.text.find(cond.threshold.text)] if at >= 0 else ""
    if not _GENERALLY.search(before):
        return cond
    m = _DEPARTURE.search(text, max(0, text.find(cond.quote)))
    return replace(cond, hedge=m.group("case")) if m else cond


def _of_part(cond: Condition, parent: Condition | None) -> Condition:
    """A share in a "其中，…" sentence, with no whole of its own: a share of the part its parent share measures."""
    if parent is None or cond.base or cond.threshold.dimension != "percent":
        return cond
    return replace(cond, base=parent.subject or parent.text, within=parent)


def _with_extensions(conds: list[Condition], text: str) -> list[Condition]:
    """A time limit ("二十日内作出决定") followed in its paragraph, within two sentences, by how far it may be
    extended takes that Extension; the extension's own figure is then not a condition of its own."""
    out, taken = [], set()
    for c in conds:
        ext = _extension(c, text) if c.op in ("≤", "<") and c.threshold.dimension in _TIME else None
        if ext is not None:
            c = replace(c, extension=ext)
            taken.add(ext.amount.text)
        out.append(c)
    return [c for c in out if not ("延长" in c.text and c.threshold.text in taken)]


# "合同另有约定的，从其约定": the figure before it is a default the parties may set aside.
_AGREED_OTHERWISE = re.compile(r"另有约定的[，,]\s*从其约定")
_AGREEMENT_SAID = re.compile(r"约定|合同(?:里|上|中)?(?:写|签|定)")
_AGREEMENT_DENIED = re.compile(r"(?:没|未|没有|不曾)[^，。？?]{0,4}(?:约定|写|签|定)|无约定")


def _with_defaults(conds: list[Condition], text: str) -> list[Condition]:
    """A condition whose sentence, or the next one, lets a contract set it aside — with no figure of its own kind
    in between to bound what may be agreed ("…60日内支付款项；合同另有约定的，从其约定，但应当…合理约定") — is a
    default; where a ceiling follows instead ("…但付款期限最长不得超过60日") that ceiling is the condition."""
    out = []
    for c in conds:
        start = text.find(c.quote)
        rest = text[start + len(c.quote) :] if start >= 0 else ""
        nxt = re.match(r"[^。；]*[。；]?", rest).group()
        m = _AGREED_OTHERWISE.search(c.quote[c.quote.find(c.text) :]) or _AGREED_OTHERWISE.search(nxt)
        if m and not any(q.dimension == c.threshold.dimension for q in find_quantities(nxt)):
            end = text.find(m.group(), start) + len(m.group())
            c = replace(c, default=text[start:end])
        out.append(c)
    return out


# the words before a clause that bounds what the parties may agree ("…从其约定，但付款期限最长不得超过60日")
_AGREED_CAP = re.compile(_AGREED_OTHERWISE.pattern + r"[，,]\s*(?:但[^。；]*)?$")


def agreed_otherwise(question: str) -> bool:
    """The question says what the parties agreed ("合同约定交货后90天付款"), not that they agreed nothing."""
    return bool(_AGREEMENT_SAID.search(question)) and not _AGREEMENT_DENIED.search(question)


def _extension(c: Condition, text: str) -> Extension | None:
    start = text.find(c.quote)
    if start < 0 or "延长" in c.text:
        return None
    after = start + c.quote.find(c.text) + len(c.text)
    stop = text.find("。", text.find("。", after) + 1)  # the rest of its sentence and the next one
    rest = text[after : stop + 1 if stop >= 0 else len(text)]
    for q in find_quantities(rest):
        m = _EXTENSION_BEFORE.search(rest[max(0, q.start - 20) : q.start])
        if m is None or q.dimension != c.threshold.dimension:
            continue
        head = rest[: q.start]
        lo = max(head.rfind("。"), head.rfind("；")) + 1
        grounds = re.sub(r"(?:上述期限|适当|可以|可|，)+$", "", head[lo : q.start - len(m.group())].strip("，")).strip("，")
        return Extension(q, bool(m.group("to") or m.group("cap")), grounds, text[start : after + q.end + len(_tail(rest, q.end))])
    return None


def _tail(rest: str, end: int) -> str:
    """The extension's sentence up to its end (so the quote ends at a sentence boundary)."""
    m = re.search(r"[。；]", rest[end:])
    return rest[end : end + m.end()] if m else rest[end:]


# --- a law's own way of counting days -------------------------------------------------------------------------
# "本法中“二日”“三日”“五日”“七日”的规定是指工作日", "本法规定的行政机关实施行政许可的期限以工作日计算".
_WORKDAY_TERMS = re.compile(r"本(?:法|条例|规定|办法|细则)中((?:“[^”]{1,4}”)+)的规定是指工作日")
_WORKDAY_ALL = re.compile(r"本(?:法|条例|规定|办法|细则)规定的[^。；]{0,24}期限以工作日计算")


@dataclass(frozen=True)
class DayCount:
    """A document's article saying which of its day limits are working days."""

    terms: frozenset[str] | None  # the terms it names ("五日"); None: every time limit of the document
    citation: str  # "《行政处罚法》第八十五条"
    article: Article  # that article, cited with any check that counts by it

    def covers(self, threshold: Quantity) -> bool:
        written_in_days = threshold.unit == "日" and threshold.text.endswith("日") and "工作日" not in threshold.text
        return written_in_days and (self.terms is None or threshold.text.replace(" ", "") in self.terms)


def day_count(doc: Document) -> DayCount | None:
    for article in doc.articles:
        listed, every = _WORKDAY_TERMS.search(article.text), _WORKDAY_ALL.search(article.text)
        if listed or every:
            terms = frozenset(re.findall(r"“([^”]+)”", listed.group(1))) if listed else None
            return DayCount(terms, f"《{doc.title}》{article.label}", article)
    return None


def _in_workdays(cond: Condition, count: DayCount | None) -> Condition:
    if count is None or cond.op == "lead" or not count.covers(cond.threshold):  # a lead is the asker's own
        return cond
    return replace(cond, threshold=replace(cond.threshold, unit="工作日", dimension="workdays"), counted=count.citation)


# --- comparing ------------------------------------------------------------------------------------------------
_NOT = re.compile(r"没有|没(?!收)|未作|未曾|尚未")  # one way of saying "not (yet)": "没约定" says "未作约定"


def bigrams(text: str) -> set[str]:
    text = _NOT.sub("未", re.sub(r"[\s，。；：、？！?“”（）()]", "", text))
    return {text[i : i + 2] for i in range(len(text) - 1)}


def overlap(a: str, b: str) -> float:
    """Share of a's character pairs found in b."""
    pairs = bigrams(a)
    return len(pairs & bigrams(b)) / len(pairs) if pairs else 0.0


# The parties a rule speaks of, whom the asker is without saying so: "当事人要求听证的" is stated by "我要听证".
_PARTIES = re.compile(r"当事人|申请人|利害关系人|投诉人|经营者|市场主体")


def alternatives(text: str) -> list[str]:
    """The text, and each of the alternatives it joins with 或者."""
    return [text] + text.split("或者") if "或者" in text else [text]


def states(question: str, clause: str, given: str = "") -> bool:
    """Whether the question says what the clause says: enough of its character pairs, as a share or in number.
    given: words that go without saying (the law's title: "行政许可" in a clause of 《行政许可法》 says nothing)."""
    clause = re.sub(r"的$", "", clause.strip())  # the case marker of "…的" is no word of the case
    said, known = bigrams(question), bigrams(given)
    for alternative in alternatives(clause):  # "申请材料不齐全或者不符合法定形式"
        pairs = bigrams(_PARTIES.sub("，", alternative)) - known
        shared = len(pairs & said)
        if shared >= STATED_PAIRS or shared >= STATED * len(pairs) > 0:
            return True
    return False


def _fits(fact: Fact, cond: Condition) -> bool:
    if cond.op == "lead":
        return fact.lead and fact.quantity.dimension == cond.threshold.dimension
    if fact.lead and not (fact.gap or fact.window):  # "提前15天" is a lead; the days between two dates, or before
        # an event, are also a duration
        return False
    if cond.base:  # a share: the asker states the share itself, or the part and the whole it is a share of
        return fact.quantity.dimension in ("percent",) + _PARTS
    if fact.quantity.dimension == "days" and (cond.counted or cond.threshold.dimension == "workdays"):
        return True  # calendar days bound the working days (compare)
    if fact.quantity.dimension == "count" and not bigrams(fact.clause or fact.context) & bigrams(cond.text):
        return False  # "4个周末" is no count of "两个以上部门": a bare count must share words with what it counts
    return (fact.quantity.dimension, fact.quantity.unit) == (cond.threshold.dimension, cond.threshold.unit)


_PARTS = ("money", "people", "count")  # what a share can be stated as a part of a whole in


def _base_fact(cond: Condition, facts: list[Fact], part: Fact | None = None) -> Fact | None:
    """The asker's whole that the share (part, when known) is taken of: an amount said with the base's words
    ("中标价500万"), or the larger of two counts ("评标委员会5个人，其中专家4个")."""
    money = [(overlap(cond.base, f.context), f) for f in facts if f.quantity.dimension == "money" and f is not part]
    said = [x for x in money if x[0] > 0]
    if said:
        return max(said, key=lambda x: x[0])[1]
    if part is not None and len(money) == 1 and money[0][1].quantity.value > part.quantity.value:
        return money[0][1]  # "800万的工程标…要交50万履约保证金": the asker's other, larger amount
    counts = [f for f in facts if f.quantity.dimension in ("people", "count")]
    whole = max(counts, key=lambda f: f.quantity.value) if len(counts) > 1 else None
    return whole if whole is not part else None


def _whole(cond: Condition, facts: list[Fact], part: Fact | None = None) -> Fact | None:
    """The asker's whole that a share is taken of; for a share of a share's part ("其中…"), that part."""
    if cond.within is None:
        return _base_fact(cond, facts, part)
    parent = cond.within
    parent_whole = _base_fact(parent, facts)
    rest = [f for f in facts if f is not parent_whole and f is not part and f.quantity.dimension in _PARTS]
    return max(rest, key=lambda f: overlap(f.context, parent.text), default=None)


def _measured_fact(cond: Condition, facts: list[Fact], question: str) -> Fact | None:
    fitting = [f for f in facts if _fits(f, cond)]
    if cond.base:
        wholes = [_whole(cond, fitting)] + ([_base_fact(cond.within, fitting)] if cond.within else [])
        fitting = [f for f in fitting if all(f is not w for w in wholes)]
    if not fitting:
        return None
    # a share the asker states ("只占总额40%") goes before a count that would make one ("这6家…")
    return max(fitting, key=lambda f: (bool(cond.base) and f.quantity.dimension == "percent",
                                       overlap(f.context, cond.text) + overlap(cond.subject, f.context)
                                       + overlap(_counted(f), cond.text) + _whose(f, cond),
                                       f.quantity.unit == cond.threshold.unit))


def _counted(fact: Fact) -> str:
    """The words right after a figure, what it counts: "专家" in "2个专家加1个采购单位的人" (none in "6家的债权")."""
    return re.split(r"[加和及、跟与的]|以及", fact.context.rsplit("，", 1)[-1], maxsplit=1)[0]


# Whose figure: several parties' together ("两个经营者…合计", "加起来占80%") or one party's own ("有的经营者", "我们自己只有8%").
_JOINT_TEXT, _JOINT_SAID = re.compile(r"合计|共同|总和"), re.compile(r"合计|起来|一共|总共|共计|加在一起|几家")
_ONE_TEXT, _ONE_SAID = re.compile(r"一个|有的|该|其中|单个"), re.compile(r"自己|只有|只占|单独|本身|我们只|我司")


def _whose(fact: Fact, cond: Condition) -> float:
    """+1 when the fact is said of whom the clause measures (together, or one party alone), -1 when of the other."""
    joint = False if _ONE_TEXT.search(cond.text) else True if _JOINT_TEXT.search(cond.text) else None
    said = True if _JOINT_SAID.search(fact.context) else False if _ONE_SAID.search(fact.context) else None
    return 0.0 if joint is None or said is None else 1.0 if joint == said else -1.0


def _asks_for_the_bar(cond: Condition, question: str) -> bool:
    """The asker wants what the prohibition denies ("能不能不予处罚"): meeting the condition is then what they want."""
    m = _NEGATIVE.search(cond.consequence)
    head = re.sub(r"^(?:给予|被|向|对|将|以)", "", cond.consequence[m.end() :])[:2] if m else ""
    asked = re.sub(r"(.)不\1", r"\1", question)  # "会不会被推定" asks, it does not deny
    return bool(head) and bool(re.search(_NEGATED_ASK + r"[^，。？]{0,3}" + re.escape(head), asked))


def _holds(value: float, cond: Condition, question: str) -> tuple[bool | None, str]:
    """Whether the value meets the condition, its extension counted when the question says whether it applies
    (None when it does not say and the extension would decide), and a note of the extension when it decided."""
    holds = _OPS[cond.op](value, cond.threshold.value)
    ext = cond.extension
    if ext is None or _OPS[cond.op](value, ext.limit(cond.threshold)) == holds:
        return holds, ""
    applies = ext.applies(question)
    if applies is None:
        return None, ""
    return holds != applies, f"；{'已' if applies else '未'}依“{ext.grounds}”延长，{'最长' if ext.total else '可延长'}{ext.amount.text}"


def compare(fact: Fact, cond: Condition, facts: list[Fact], question: str, citation: str) -> EligibilityCheck:
    """One fact against one condition: 符合 / 不符合, or 无法判断 when a share's base or a clause that goes with it
    is not stated."""
    value, shown = fact.quantity.value, fact.quantity.text
    if cond.base and fact.quantity.dimension in _PARTS:
        base = _whole(cond, facts, part=fact)
        if base is None or not base.quantity.value:
            return unknown(cond, citation, shown, cond.base)
        value = 100 * value / base.quantity.value
        shown = f"{fact.quantity.text}÷{base.quantity.text}≈{value:.1f}%"
    if cond.default and agreed_otherwise(question):  # the parties' term stands in for the default
        return EligibilityCheck(condition=cond.text, threshold=cond.threshold.text, user_value=fact.quantity.text,
                                verdict=MET, quote=cond.default, citation=citation,
                                comparison=f"{shown}为双方约定（条文：合同另有约定的，从其约定）→ {MET}")
    low = None
    if fact.quantity.dimension == "days" and cond.threshold.dimension == "workdays":
        # the working days in a stretch of calendar days lie between a floor and a ceiling: decided where both agree
        low, value = fact.workdays if fact.workdays and not no_holiday(question) else workday_range(value, question)
        shown = f"{shown}（约{low:.0f}至{value:.0f}个工作日）"
    holds, extended = _holds(value, cond, question)
    if low is not None:
        at_low = _holds(low, cond, question)[0]
        if at_low != holds and None not in (at_low, holds):  # an open extension is named below instead
            return unknown(cond, citation, shown, f"其间的工作日天数（{cond.counted}：按工作日计算）")
    if cond.extension is not None:
        cond = replace(cond, quote=cond.extension.quote)
    if holds is None:  # within the extension, and the question does not say whether it applies
        return unknown(cond, citation, shown, f"{cond.extension.grounds}（可延长{cond.extension.amount.text}）")
    law = re.match(r"《([^》]+)》", citation)
    title = law.group(1) if law else ""  # its words go without saying
    gated = cond.qualifier or cond.bar_within
    unstated = [c for c in cond.others if not states(question, c, title)] if gated else []
    partial = next(((c, some) for c in unstated if (some := _not_all(c, question))), None)
    if partial and holds != cond.bar_within:  # "全体投资人书面承诺" against "3个股东只有2个签了": the rule's case is not theirs
        verdict = MET if cond.negative else UNMET
        return EligibilityCheck(condition=cond.text, threshold=cond.threshold.text, user_value=fact.quantity.text,
                                verdict=verdict, quote=cond.quote, citation=citation,
                                comparison=f"“{partial[1]}”，并非全体（条文：{partial[0]}）→ {verdict}")
    if unstated and holds != cond.bar_within:  # the figure is met (or, for a bar, the window not past), but a
        # condition that goes with it is not stated (且); a duty's figure ("…的，应当自收到申请之日起20个工作日内予以
        # 答复") is met whatever case its "…的" scopes
        return unknown(cond, citation, fact.quantity.text, "；".join(unstated))
    whom = _WHOM.search(cond.subject)
    if whom and not states(question, whom.group("mod"), title):
        # "对信用风险低、信用水平高的同一市场主体的抽查原则上不超过2次": a rule for parties the asker may not be
        return unknown(cond, citation, shown, f"是否属于“{whom.group('mod')}的{whom.group('party')}”")
    if cond.proviso and holds != cond.negative and not states(question, cond.proviso):
        # the rule applies to the asker's figure, unless the proviso's case is theirs, which the question leaves open
        return unknown(cond, citation, shown, f"是否属于但书“{cond.proviso}”的情形")
    bar = cond.negative and not _asks_for_the_bar(cond, question)
    lapsed = _lapse_asked(cond, question)
    if lapsed:  # the question asks what missing the limit brings ("算不算已经受理了"): that holds once it is missed
        bar, gloss_lapse = True, f"；逾期的，{cond.lapse}"
    verdict = UNMET if holds == bar else MET
    if verdict == UNMET and cond.hedge and not _NO_REASON.search(question):  # "一般不少于30日" lets the case depart
        return unknown(cond, citation, shown, f"是否属于“{cond.hedge}”（条文规定的是“一般”情形）")
    rel = ">" if value > cond.threshold.value else "<" if value < cond.threshold.value else "="
    gloss = f"，条文：{cond.consequence.strip('：')}" if cond.consequence and cond.negative else ""
    gloss += f"；{cond.counted}：按工作日计算" if cond.counted else ""
    gloss += extended + (gloss_lapse if lapsed else "")
    comparison = f"{shown} {rel} {cond.threshold.text}（{cond.text}{gloss}）→ {verdict}"
    return EligibilityCheck(condition=cond.text, threshold=cond.threshold.text, user_value=fact.quantity.text,
                            verdict=verdict, quote=cond.quote, comparison=comparison, citation=citation)


# "全体投资人…" and a question that says only some did: "3个股东只有2个签了", "有一个股东没签".
_ALL = re.compile(r"全体|所有|全部")
_SOME = re.compile(r"(?P<n>\d+|[一二两三四五六七八九十]+)\s*[个位名家][^，。？\d]{0,8}?(?:只有|仅有|才|就|其中|有)\s*"
                   r"(?P<m>\d+|[一二两三四五六七八九十]+)\s*[个位名家]|有(?:一|1|两|2)\s*[个位名家][^，。？]{0,6}?(?:没|不|未)")


def _not_all(clause: str, question: str) -> str | None:
    """The question's words saying only some did what the clause asks of all of them."""
    m = _SOME.search(question) if _ALL.search(clause) else None
    if m and (m.group("n") is None or cn_to_int(m.group("m")) < cn_to_int(m.group("n"))):
        return m.group(0)
    return None


def unknown(cond: Condition, citation: str, user_value: str | None, missing: str) -> EligibilityCheck:
    return EligibilityCheck(condition=cond.text, threshold=cond.threshold.text, user_value=user_value, verdict=UNKNOWN,
                            quote=cond.quote, comparison=f"问题中没有说明：{missing} → 无法判断", missing=missing,
                            citation=citation)


def verdict_of(checks: list[EligibilityCheck]) -> str:
    """Every condition must hold (且): one 不符合 decides; otherwise any unknown leaves it open."""
    if any(c.verdict == UNMET for c in checks):
        return UNMET
    if checks and all(c.verdict == MET for c in checks):
        return MET
    return UNKNOWN


# --- the form a rule requires ------------------------------------------------------------------------------------
# "投标保证金应当以支票、汇票、本票或者金融机构、担保机构出具的保函等非现金形式提交": a form it excludes, which the
# question says was demanded ("还说只收现金").
_NON_FORM = re.compile(r"(?:应当|须|必须)以(?P<forms>[^。；]{2,60}?)等?非(?P<x>[\u4e00-\u9fff]{1,3}?)形式")
_DEMANDED = r"(?:只收|只要|只能|只接受|只认|必须|要求|非要|限定|要交)"


def _form_checks(question: str, article: Article, citation: str) -> list[EligibilityCheck]:
    out = []
    for s in article.sentences():
        m = _NON_FORM.search(s)
        said = re.search(_DEMANDED + r"[^，。？?]{0,4}" + m.group("x"), question) if m else None
        if said:
            out.append(EligibilityCheck(
                condition=m.group(0), threshold=f"非{m.group('x')}形式", user_value=said.group(0), verdict=UNMET,
                quote=s, comparison=f"{said.group(0)}（条文：{m.group(0)}）→ {UNMET}", citation=citation))
    return out


# --- the assessment -----------------------------------------------------------------------------------------------
@dataclass
class Assessment:
    checks: list[EligibilityCheck]
    verdict: str
    sentence: str  # the sentence the checks rest on (exact article text)
    days: DayCount | None = None  # how the article's law counts its days, when the checks compared by it


def _distinguishing(conds: list[Condition]) -> frozenset[str]:
    """The categories that tell the conditions apart: on one axis (城区 / 农村地区, 机关 / 大型企业…), those of
    the conditions when they name two or more. A category every condition shares, or one with no rival among them
    (小微企业 beside 城区 and 农村地区), is context, not an alternative."""
    if not conds:
        return frozenset()
    scopes = [c.scope for c in conds]
    named = frozenset().union(*scopes) - frozenset.intersection(*scopes)
    out: frozenset[str] = frozenset()
    for axis in AXES:
        on_axis = named & axis
        if len(on_axis) > 1:
            out |= on_axis
    return out


def _exception_bonus(sentence: str, question: str) -> float:
    """A sentence opening with a "…的，" case the asker describes ("合同另有约定的，从其约定，但…") is theirs."""
    m = re.match(r"([^，。；]{2,20}的)[，,]", sentence)
    share = overlap(m.group(1), question) if m else 0.0
    return share if share >= STATED else 0.0


def _pick_sentence(conds: list[Condition], score: Callable[[str], float], question: str) -> list[Condition]:
    # a cap on what the parties may agree ("合同另有约定的，从其约定，但付款期限最长不得超过60日") is not the rule for
    # a contract that agreed nothing ("合同没写付款期"): the default before it is
    if _AGREEMENT_DENIED.search(question):
        conds = [c for c in conds if not _AGREED_CAP.search(c.quote[: c.quote.find(c.text)])] or conds
    # in article order, so a tie goes to the earlier sentence (a set would let the hash seed decide)
    best = max(dict.fromkeys(c.quote for c in conds), key=lambda s: score(s) + _exception_bonus(s, question))
    chosen = [c for c in conds if c.quote == best]
    by_clause = max(_words_shared(c, question) for c in chosen)
    chosen = [c for c in chosen if _words_shared(c, question) == by_clause]  # "供电五个工作日内", not "供热八个…"
    joined = [c for c in conds if c not in chosen and (c.within in chosen or any(x.within == c for x in chosen)
                                                       or (c.quote.startswith("有前款") and c.negative))]
    # a share and the "其中…" share of its part hold together (且); so does an exception to the paragraph before
    # ("有前款第二项、第三项规定的情形，其中有的经营者市场份额不足十分之一的，不应当推定…")
    return chosen + joined


def _words_shared(cond: Condition, question: str) -> int:
    """How many character pairs of the clause, its figure left out, the question repeats."""
    words = cond.text.replace(cond.threshold.text, "，")
    return len(bigrams(words) & bigrams(question))


def condition_fit(facts: list[Fact], cats: set[str], article: Article, days: DayCount | None = None,
                  question: str = "") -> float:
    """How well the article's conditions fit the asker's case: 0 when none is on a kind of figure they state, else
    1 + the best share of a fact's surrounding words in the clause of a condition on it, with what a time limit is
    measured from ("交50万元投标保证金" fits "投标保证金不得超过…的2%" better than "可以处5万元以下的罚款")
    + 0.5 when that condition is scoped to the
    category the asker names among the article's alternatives (公司 for "对法人或者其他组织处以三千元以下" beside
    "对公民处以二百元以下"; not 公司 for "…法人的法定代表人", which has no rival)."""
    conds = [_in_workdays(c, days) for c in article_conditions(article)] if facts else []
    pairs = [(f, c) for c in conds for f in facts if _fits(f, c)]
    split = _distinguishing([c for c in conds if c.scope]) if pairs else frozenset()
    return max((1.0 + overlap(f.context, c.measured_from + c.text) + 0.5 * bool(c.scope & cats & split)
                + 0.5 * _lapse_asked(c, question) for f, c in pairs), default=0.0)


def _lapse_asked(cond: Condition, question: str) -> bool:
    """The question asks what missing the condition's limit brings ("…算不算已经受理了" for "逾期不告知的，…即为受理")."""
    asked = re.split(r"[，,。]", question.rstrip("？?！! "))[-1]  # the question's last clause is what it asks
    return bool(cond.lapse) and states(asked, re.sub(r"自[^，。]{0,12}之日起", "", cond.lapse))


def assess(question: str, article: Article, score: Callable[[str], float], citation: str,
           days: DayCount | None = None, synonyms: str = "") -> Assessment | None:
    """The checks of the asker's facts against the article's conditions; None when the article states no condition
    the question could be checked against. score: how well a sentence of the article answers the question; days: how
    the article's law counts its days (day_count); synonyms: the statute words of the question's lay terms, which
    count as its words when a clause must be stated (股东 → 投资人)."""
    conds = [_in_workdays(c, days) for c in article_conditions(article)]
    said = asker_facts(question)
    facts, cats = _stated(said, conds), asker_categories(question)
    relevant = [c for c in conds if any(_fits(f, c) for f in facts)]
    if relevant:
        asked = [f for f in said if f not in facts]
        worded = f"（{synonyms}）{question}" if synonyms else question  # before it: its last clause is still the ask
        found = _with_facts(worded, relevant, facts, cats, _asked_about(score, asked, conds), citation)
        forms = _form_checks(question, article, citation)
        if forms:  # a form the rule excludes was demanded: that alone decides
            found.checks += forms
            found.verdict = UNMET
        found.days = days
        return found
    if asks_check(question) and (facts or own_case(question)):
        best = max((score(s) for p in article.paragraphs for s in split_sentences(p.text)), default=0.0)
        return _without_facts(question, conds, cats, score, citation, best)
    return None


def _stated(facts: list[Fact], conds: list[Condition]) -> list[Fact]:
    """Without the hedged figures when another figure fits a condition: in "报装150kW，能按低压接入3天办电吗" the
    150kW is the asker's case and the 3天 the promise they ask about, which their case does not decide by itself
    ("能不能约定90天付款", the only figure, is still their case)."""
    firm = [f for f in facts if not f.hedged]
    return firm if any(_fits(f, c) for f in firm for c in conds) else facts


def _asked_about(score: Callable[[str], float], asked: list[Fact], conds: list[Condition]) -> Callable[[str], float]:
    """The sentence that promises the figure asked about ("3天办电") is the one the question is about."""
    promised = {c.quote for c in conds for f in asked
                if _fits(f, c) and f.quantity.value == c.threshold.value}
    return (lambda s: score(s) + (1.0 if s in promised else 0.0)) if promised else score


def _with_facts(question, conds, facts, cats, score, citation) -> Assessment:
    """Conditions scoped to one of several categories (城区 / 农村地区) are alternatives: the asker's category picks
    theirs; when the question names none and the best sentence is one of them, it is decided only if all agree."""
    split = _distinguishing([c for c in conds if c.scope])

    def alternative(c: Condition) -> frozenset[str]:
        return c.scope & split

    mine = [c for c in conds if alternative(c) & cats]
    pool = mine + [c for c in conds if not alternative(c)] if mine else conds
    chosen = _pick_sentence(pool, score, question)
    if mine or not any(alternative(c) for c in chosen):
        checks = _checks(question, chosen, facts, citation)
        return Assessment(checks, verdict_of(checks), chosen[0].quote)
    groups: dict[frozenset[str], list[Condition]] = {}
    for c in conds:
        if alternative(c):
            groups.setdefault(alternative(c), []).append(c)
    results = [_checks(question, _pick_sentence(g, score, question), facts, citation) for g in groups.values()]
    verdicts = {verdict_of(r) for r in results}
    if len(verdicts) == 1:
        return Assessment([c for r in results for c in r], verdicts.pop(), chosen[0].quote)
    fact = _measured_fact(chosen[0], facts, question)
    names = "还是".join("、".join(sorted(g)) for g in groups)
    check = unknown(chosen[0], citation, fact.quantity.text if fact else None, f"属于哪一种情形（{names}）")
    return Assessment([check] + [c for r in results for c in r], UNKNOWN, chosen[0].quote)


def _checks(question, conds, facts, citation) -> list[EligibilityCheck]:
    out = []
    for c in conds:
        fact = _measured_fact(c, facts, question)
        out.append(compare(fact, c, facts, question, citation) if fact else unknown(c, citation, None, c.subject or c.text))
    return list({c.comparison: c for c in out}.values())  # "执行期满未逾5年，或者…执行期满未逾5年": shown once


def _without_facts(question, conds, cats, score, citation, best_score) -> Assessment | None:
    """A yes/no question about the asker's case that states no figure the answering sentence needs: 无法判断,
    naming the figure — only when the sentence that answers best holds a condition."""
    if not conds:
        return None
    split = _distinguishing(conds)
    mine = [c for c in conds if not split or c.scope & split & cats or not c.scope & split]
    chosen = _pick_sentence(mine or conds, score, question)
    if score(chosen[0].quote) < 0.8 * best_score:  # the condition must be in what answers, not anywhere
        return None
    asked = [c for c in chosen if c.qualifier] or chosen
    if split & cats:
        asked = [c for c in asked if not c.scope & split or c.scope & split & cats] or asked
    checks = [unknown(c, citation, None, f"{c.subject or '相关数值'}（条文：{c.text}）") for c in asked]
    return Assessment(checks, UNKNOWN, chosen[0].quote)
