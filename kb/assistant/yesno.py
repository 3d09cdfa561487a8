"""Yes/no questions ("算不算违反…", "合规吗", "要不要…", "能不能…"): answered 是 / 否 / 视情况 only when the cited
sentence decides it — a prohibition (不得…), a permission (可以…), a duty (应当…) or an exemption (无需…) whose act the
question describes — quoting the deciding words; otherwise no verdict, and the quote stands on its own.

A question about the asker's own case that the text decides reads as a compliance check: 符合 / 不符合, as for
figures (kb.assistant.eligibility). "除…外，不得…其他保证金" decides by membership: a 保证金 the list does not name is
one of the "其他".
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from kb.assistant.eligibility import (
    ITEM,
    MET,
    STATED,
    UNKNOWN,
    UNMET,
    alternatives,
    asker_categories,
    bigrams,
    lead_in,
    overlap,
    own_case,
    proviso,
    states,
    text_categories,
)
from kb.quantities import find_quantities

YES, NO, DEPENDS = "是", "否", "视情况"
MATCH = 0.34  # share of the act's character pairs the question must repeat for it to describe that act

# What the question asks: may it be done / is it a violation / must it be done.
_ASK_PERMISSION = re.compile(r"能不能|能否|可不可以|可以吗|可否|行不行|行吗|允许|合规|合法|站得住|能收吗|能.{0,20}吗|还能|可以.{0,20}吗|是不是.{0,12}(?:能|可以)"
                             r"|合理吗|合不合理|(?:管用|有用|好使|行|能|可以|成|有效|适用|算数|认)不\s*$|该(?:交|收|付|给)[^，。？]{0,6}吗|该不该|适用吗|适不适用|认不认|认吗|认可吗|有效吗|有没有效|受.{0,12}保护吗|算数吗|算不算数|算不算|算.{0,16}吗|算.{0,16}了吧")
_ASK_VIOLATION = re.compile(r"算不算违|算违|违规吗|违法吗|是不是违|属于违|违反.{0,10}吗|违不违")
_ASK_DUTY = re.compile(r"要不要|需不需要|需要.{0,10}吗|必须.{0,10}吗|得不得|是否需要|是否应当|是否必须|用不用|非得")
# What a sentence says of an act: modal → kind. Longest first so "不得" is not read as "得".
_MODALS = [("不得|禁止|严禁|不准|不应当|不能|不适用", "prohibited"), ("无需|无须|不需要|不必|免予|免于|不再", "exempt"),
           ("可以|有权|允许|也可以|享受", "permitted"), ("应当|必须|须|参照", "required")]  # 参照…执行: it applies
_MODAL = re.compile("|".join(f"(?P<{kind}>{words})" for words, kind in _MODALS))
_EXCEPT = re.compile(r"除(?P<items>[^，。；]{2,80}?)外[，,]?[^。；]*?不得[^。；]*?其他(?P<head>[\u4e00-\u9fff]{1,4}?)(?=[。；，]|$)")
_GLUE = set("的了和及或者与在对向将把被由")
_NAME = r"[^\W\d_交缴收付笔的了要让再还个种这那们些一和及、，。“”]"  # the words of a name before its head ("质量")


@dataclass
class Decision:
    verdict: str  # 是 / 否 / 视情况, or 符合 / 不符合 for the asker's own case
    words: str  # the deciding words, exact text of the sentence
    quote: str  # the sentence
    reason: str  # how the words decide it


def _asks(question: str) -> str | None:
    if _ASK_VIOLATION.search(question):
        return "violation"
    if _ASK_DUTY.search(question):
        return "duty"
    if _ASK_PERMISSION.search(question):
        return "permission"
    return None


def _act(sentence: str, end: int) -> str:
    """The act a modal governs: the words after it up to the end of its clause."""
    return re.split(r"[，。；：]", sentence[end:], maxsplit=1)[0]


def _content_pairs(text: str) -> set[str]:
    """The text's character pairs without those of glue words (的, 和, 或者…)."""
    return {p for p in bigrams(text) if not set(p) & _GLUE}


def _for_the_askers_kind(head: str, act: str, question: str) -> bool:
    """A rule for the asker's own kind ("个体工商户可以通过纸质方式报送年度报告" for "我是个体户…年报能交纸质的吗"):
    its act need only share words with the question, the kind having said whose rule it is."""
    if not text_categories(head) & asker_categories(question):
        return False
    return bool(_content_pairs(act) & bigrams(question))


def _describes(act: str, question: str) -> bool:
    """The question describes the act, or one of its alternatives ("约定以收到第三方付款作为…的条件或者按照第三方付款进度
    比例支付…")."""
    said, gapped = bigrams(question), None
    for alternative in alternatives(act):
        pairs = _content_pairs(alternative)
        if pairs and len(pairs & said) / len(pairs) >= MATCH:
            return True
        if len(pairs) == 1:  # a two-character act is said with words between: "收200块工本费" says 收费
            gapped = _gapped_pairs(question) if gapped is None else gapped
            if pairs & gapped:
                return True
    return False


def _gapped_pairs(question: str, gap: int = 4) -> set[str]:
    """Character pairs up to `gap` characters apart within a clause, figures between not counted."""
    pairs = set()
    for clause in re.split(r"[，。；：？！?,]", question):
        han = [ch for ch in clause if "\u4e00" <= ch <= "\u9fff"]
        pairs |= {han[i] + han[j] for i in range(len(han)) for j in range(i + 2, min(len(han), i + 2 + gap))}
    return pairs


_ANSWER = {  # (what is asked, what the text says) → 是/否 for a general question
    ("permission", "prohibited"): NO, ("permission", "permitted"): YES, ("permission", "required"): YES,
    ("permission", "exempt"): YES,
    ("violation", "prohibited"): YES, ("violation", "permitted"): NO, ("violation", "exempt"): NO,
    ("duty", "required"): YES, ("duty", "exempt"): NO, ("duty", "permitted"): NO, ("duty", "prohibited"): NO,
}
_COMPLIANCE = {"prohibited": UNMET, "permitted": MET, "exempt": MET}  # the asker's own case, may they / is it a breach
_ALTERNATIVES = re.compile(r"[，、；]?或者|[，、；]")


_ASK_WORDS = re.compile(r"这|那|我们|我|你|他们|吗|呢|能不能|可不可以|可以|行不行|合规|合法|违规|违法|算不算|要不要|需不需要|"
                        r"是不是|是否|能|还")


def asked_parts(question: str) -> list[str]:
    """The sentences of the question that ask yes or no ("…几天内作决定？能延长吗？" → ["能延长吗"]); one that names
    nothing itself ("…只收现金，这合规吗？") stands with the words before it."""
    parts = [p for p in re.split(r"[？?]", question) if p.strip()]
    out = []
    for i, part in enumerate(parts):
        if _asks(part):
            named = len(re.findall(r"[\u4e00-\u9fff]", _ASK_WORDS.sub("", part))) >= 2
            out.append(part if named else "？".join(parts[: i + 1]))
    return out


def decide(question: str, sentences: list[str], score: Callable[[str], float], synonyms: str = "",
           article_text: str = "", given: str = "") -> Decision | None:
    """The decision of the best sentence that decides one of the question's yes/no parts; None when none does.
    synonyms: the statute words of the question's lay terms, which count as its words ("LPR"); article_text: the
    article the sentences are of, for the lead-in of an item ("有下列情形之一的，可以由当事人单方申请："); given: words
    that go without saying (the law's title: "登记" in 《不动产登记暂行条例》 names no item).
    """
    if not sentences:
        return None
    best = max(score(s) for s in sentences)
    near = [s for s in sorted(sentences, key=score, reverse=True) if score(s) >= 0.8 * best]
    own = own_case(question)
    case = f"{question}，{synonyms}"  # the asker's case may be told before the part that asks ("…我一个人继承…？能自己去吗")
    for part in reversed(asked_parts(question)):  # the last question asked is the one the others lead up to
        words, asked = f"{part}，{synonyms}", _asks(part)
        # an item the question names ("（二）涉及停止供水、供热…的" of "前款规定不适用下列文书") decides before the
        # general rule it is an exception to, however close their words
        found = next((f for s in near if (f := _by_list(part, s) or _by_prescribed(words, s)
                                          or _by_item(case, s, article_text, asked, own))), None)
        found = found or next((f for s in near if (f := _by_modal(words, s, asked, own, article_text))), None)
        if found:
            return found
        for s in sorted(sentences, key=score, reverse=True):  # an item, or a case, the question names decides even
            # when other sentences share more of its words (继承; 事业单位…迟延支付中小企业款项的，应当支付逾期利息)
            found = _by_item(case, s, article_text, asked, own, given) or _by_modal(words, s, asked, own, article_text,
                                                                                   case_named=True)
            if found:
                return found
    return None


def named_item(question: str, sentences: list[str], synonyms: str = "", article_text: str = "",
               given: str = "") -> Decision | None:
    """The decision of an item of a list that the question names, in any of the sentences (asked of the articles
    below the best one when that one decides nothing: "…投了另一家公司的股份，能走简易注销吗" and 细则第四十八条's
    "（四）…对其他市场主体存在投资的")."""
    case, own = f"{question}，{synonyms}", own_case(question)
    for part in reversed(asked_parts(question)):
        found = next((d for s in sentences if (d := _by_item(case, s, article_text, _asks(part), own, given))), None)
        if found:
            return found
    return None


def _by_modal(question: str, sentence: str, asked: str, own: bool, article_text: str = "",
              case_named: bool = False) -> Decision | None:
    """case_named: only a rule for a "…的" case the question describes decides."""
    for m in _MODAL.finditer(sentence):
        kind = m.lastgroup
        act = _act(sentence, m.end())
        if (asked, kind) not in _ANSWER or not (_describes(act, question) or _for_the_askers_kind(sentence[: m.start()],
                                                                                                 act, question)):
            continue
        words = sentence[m.start() : m.end() + len(act)]
        if m.group() == "享受" and not _any_stated(_GENERAL.sub("", sentence[: m.start()]), question):
            continue  # "退役军人…创办小型微型企业，按照国家规定享受税收优惠": an entitlement only of those it names
        case = _case(sentence, m.start())
        if case_named and not (case and _case_stated(case, question)):
            continue
        if case and _denied(case, question) and (asked, _OPPOSITE[kind]) in _ANSWER:
            # "数量、频次明显超过合理范围的，可以收取…" for "就申请了1份": the rule is for a case that is not theirs
            return _decision(_OPPOSITE[kind], asked, own, words, sentence, f"不属于“{case.lstrip('但是，')}”的情形")
        if case and not _case_stated(case, question):  # "…的，可以…": it depends on that
            return Decision(UNKNOWN if own else DEPENDS, words, sentence, f"取决于是否属于“{case}”的情形")
        but = _proviso(sentence, m.end(), article_text)
        if but and _any_stated(but[0], question) and (asked, _OPPOSITE[kind]) in _ANSWER:
            # "…不得公开。但是，第三方同意公开…的，予以公开": the question's case is the proviso's
            return _decision(_OPPOSITE[kind], asked, True, but[1], sentence, f"属于但书“{but[1]}”的情形")
        # a question that describes the rule's case ("公司…被列进经营异常名录了，能走简易注销吗") is about a case of its own
        return _decision(kind, asked, own or bool(case), words, sentence, f"条文写明“{words}”")
    return None


_GENERAL = re.compile(r"[，,]?(?:按照|依照|依据|根据)[^，。；]{0,12}规定|[，,]?依法")  # no words of whom a rule is for
_OPPOSITE = {"prohibited": "permitted", "permitted": "prohibited", "required": "exempt", "exempt": "required"}


def _proviso(sentence: str, modal_end: int, article_text: str) -> tuple[str, str] | None:
    """(the proviso's case, its words) for the rule a modal states, when a proviso sets it aside."""
    m = proviso(sentence, modal_end, article_text)
    return (m.group("case"), m.group(0).strip("，,； \n")) if m else None


def _decision(kind: str, asked: str, own: bool, words: str, sentence: str, reason: str) -> Decision:
    # the asker's own case: may they (a duty owed them, "行政机关应当组织听证", lets them too) / is it a breach
    compliance = dict(_COMPLIANCE, required=MET) if asked == "permission" else _COMPLIANCE
    own = own and asked != "duty" and kind in compliance
    return Decision(compliance[kind] if own else _ANSWER[(asked, kind)], words, sentence, reason)


def _case(sentence: str, modal_at: int) -> str:
    """The "…的" case a modal's rule is for, when the sentence opens with one ("…，或者被列入经营异常名录的，不适用…")."""
    head = ITEM.sub("", sentence[:modal_at])
    end = head.rfind("的，")
    return head[: end + 1].strip() if end >= 2 and "下列" not in head else ""


# A case of many ("数量、频次明显超过合理范围的", "多次…的") and a question that says once or twice ("就申请了1份",
# "两份", "头一回").
_MANY = re.compile(r"多次|屡次|反复|频次|数量[^，。；]{0,8}(?:超过|较大|巨大)|大量")
_ONCE = re.compile(r"(?<![\d十百千万几])(?:一|两|二|1|2)\s*(?:次|份|件|回|个)(?!多)|头一回|第一次|首次|初次|头一次")
_MANY_SAID = re.compile(r"多次|屡次|反复|好多|很多|大量|几十|上百|成百|成千|天天|每天")


def _denied(case: str, question: str) -> bool:
    """The question says the asker's case is the opposite of the rule's: once or twice, where the rule is for many."""
    return bool(_MANY.search(case)) and bool(_ONCE.search(question))


def _case_stated(case: str, question: str) -> bool:
    """The question describes the rule's case; a case of many only when it says many ("申请了一批文件" does not say
    the number is 明显超过合理范围)."""
    if _MANY.search(case):
        return bool(_MANY_SAID.search(question))
    return _any_stated(case, question)


def _any_stated(case: str, question: str, given: str = "") -> bool:
    """The question describes the case, or one of its alternatives ("A的，或者B、C，或者D的")."""
    parts = _ALTERNATIVES.split(re.sub(r"^(?:涉及|属于|有)", "", case))
    parts[-1] = re.sub(r"等[^、，；]*$", "", parts[-1])  # "婚姻、收养、继承等人身关系的": the last named is 继承
    pieces = [case] + [p.strip("的") for p in parts if len(p.strip("的")) >= 2]
    return any(_stated(p, question, given) for p in pieces)


def _by_item(question: str, sentence: str, article_text: str, asked: str, own: bool, given: str = "") -> Decision | None:
    """An item of a list ("（二）继承、接受遗赠取得不动产权利的；") the question describes takes the rule of the list's
    lead-in ("有下列情形之一的，可以由当事人单方申请："); its act need only share words with the question, the item
    having said which case it is."""
    line = sentence.split("\n")[-1]
    if not article_text or not ITEM.match(line):
        return None
    pos = article_text.find(line)
    head = lead_in(article_text, pos) if pos >= 0 else ""
    items = _list_items(article_text, pos) if head else []
    own_item = ITEM.sub("", line).rstrip("；。")
    # the sentence's own item, or — for the lead-in's sentence, which holds the first item — any item of its list
    stated = [i for i in ([own_item] + items if "\n" in sentence else [own_item]) if _any_stated(i, question, given)]
    if not stated:
        return None
    item = stated[0]
    if _ALL_OF.search(head):  # "同时符合下列条件的，视为可靠的电子签名": every item must hold
        unsaid = [i for i in items if not _any_stated(i, question, given)]
        verdict = UNKNOWN if unsaid else MET
        reason = f"还须说明：{'；'.join(unsaid)}" if unsaid else f"条文所列条件均已具备：{head}"
        return Decision(verdict, head.rstrip("："), sentence, reason)
    modals = [m for m in _MODAL.finditer(head) if (asked, m.lastgroup) in _ANSWER]
    for m in modals:
        act = _act(head, m.end())
        shared = _content_pairs(act) & bigrams(question)
        if shared or len(modals) == 1:  # the lead-in's one rule is the item's
            words = head[m.start() : m.end() + len(act)]
            return _decision(m.lastgroup, asked, True, words, sentence, f"属于“{item}”，条文写明“{words}”")
    return None


_ALL_OF = re.compile(r"同时(?:符合|具备|满足)下列|应当(?:符合|具备)下列条件")


def _list_items(article_text: str, pos: int) -> list[str]:
    """The items of the list the item at pos is one of, without their labels."""
    lines = article_text.split("\n")
    at = article_text[:pos].count("\n")
    lo = at
    while lo > 0 and (ITEM.match(lines[lo - 1]) or not lines[lo - 1].strip()):
        lo -= 1
    hi = at
    while hi + 1 < len(lines) and (ITEM.match(lines[hi + 1]) or not lines[hi + 1].strip()):
        hi += 1
    return [ITEM.sub("", x).rstrip("；。") for x in lines[lo : hi + 1] if ITEM.match(x)]


# A figure a rule prescribes for its case: "未作约定的，按照每日利率万分之五支付逾期利息".
_PRESCRIBED = re.compile(r"^(?P<case>[^，。；]{2,30}的)[，,](?:应当)?(?:按照|按)")


def _by_prescribed(question: str, sentence: str) -> Decision | None:
    """The asker's case is the rule's ("合同没约定逾期利息") and they ask to apply a figure ("能按每天万分之五要吗"): 符合
    when it is the figure prescribed, 不符合 when it is another of its kind."""
    m = _PRESCRIBED.match(sentence)
    if m is None or not _any_stated(m.group("case"), question):
        return None
    rule = {(q.dimension, q.unit): q for q in find_quantities(sentence[m.end() :])}
    for q in find_quantities(question, lay=True):
        if (q.dimension, q.unit) in rule:
            prescribed = rule[(q.dimension, q.unit)]
            verdict = MET if q.value == prescribed.value else UNMET
            return Decision(verdict, sentence, sentence, f"{q.text}{'=' if verdict == MET else '≠'}{prescribed.text}（{m.group('case')}，按{prescribed.text}）")
    return None


# "中小企业、大型企业依合同订立时的企业规模类型确定": what counts is what the asker was at that time.
_TIME_OF = re.compile(r"(?P<who>[^，。；]{2,20}?)依(?P<when>[^，。；]{2,12}?)时的(?P<what>[^，。；]{2,12}?)确定")


def by_time_of(question: str, sentence: str) -> Decision | None:
    """A status fixed at a time: the question's clause about that time ("签合同那会儿我们还是小企业") names what the
    asker was then; 符合 when that is the category the question asks to be treated as (its last clause: "还能按中小企业
    …吗"), 不符合 when it is another of the rule's ("签合同时我们是大企业")."""
    m = _TIME_OF.search(sentence)
    if m is None:
        return None
    clauses = [c for c in re.split(r"[，,。；？?]", question) if c.strip()]
    when = bigrams(m.group("when"))
    then = max(clauses, key=lambda c: len(bigrams(c) & when))
    named = text_categories(m.group("who"))  # 中小企业、大型企业
    treated_as = re.search(r"(?:按|作为|以|算)(?P<as>[^，。？?]{2,10})", clauses[-1])  # "按中小企业…", not "被大企业拖"
    was = asker_categories(then) & named
    wanted = asker_categories(treated_as.group("as") if treated_as else clauses[-1]) & named
    if not bigrams(then) & when or not was or not wanted or then == clauses[-1]:
        return None
    words = m.group(0)
    return Decision(MET if wanted <= was else UNMET, words, sentence, f"条文写明“{words}”：按“{then.strip()}”时的情况认定")


def _stated(condition: str, question: str, given: str = "") -> bool:
    """The question describes the condition: in its words, or naming its category in lay words (个体户 for
    "个体工商户…的") with some of the rest."""
    if states(question, condition, given):
        return True
    return overlap(condition, question) >= STATED / 2 and bool(text_categories(condition) & asker_categories(question))


def _by_list(question: str, sentence: str) -> Decision | None:
    """"除A、B、C外，…不得…收取其他保证金": a 保证金 the question names outside the list is prohibited."""
    m = _EXCEPT.search(sentence)
    if not m:
        return None
    head, items = m.group("head"), re.split(r"[、和及]|以及|或者", m.group("items"))
    named = [n + head for n in re.findall(rf"({_NAME}{{2,8}}){re.escape(head)}", question)]
    outside = [n for n in named if not any(i.endswith(n) or n.endswith(i) for i in items)]
    if not outside:
        return None
    own = own_case(question)
    words = m.group(0)
    reason = f"“{outside[0]}”不在条文列举的{'、'.join(items)}之列，属于“其他{head}”"
    return Decision(UNMET if own else NO, words, sentence, reason)


def what_decides(question: str, sentence: str) -> str | None:
    """For a yes/no question the cited sentence does not decide: a note saying what does ("…的" it applies to), or
    that the answer rests on the quote as a whole; None for a question that is not yes/no."""
    if not asked_parts(question):
        return None
    condition = re.match(r"^(?:（[一二三四五六七八九十]+）)?([^，。；]{2,40}的)[，,]", sentence)
    if condition:
        return f"条文没有直接回答是或否：上述规定适用于“{condition.group(1)}”的情形，是否适用取决于您的情况是否属于这一情形。"
    return "条文没有直接回答是或否，请以上述引文的原文为准。"
