"""Time limits and dated targets of an article, normalised: the 督办台账 of a plan in one call.

A time limit is a number (arabic or Chinese) bound to a unit (天/日/个工作日/个月/年/小时/分钟/周), with the
comparator and "内" around it ("不超过3天", "30日内"). A dated target is "到2025年，…". The subject, condition and
start of the clock are cut from the clause around the number by position only, so they are always words of the
source; the quote is the whole sentence, an exact substring of the article text.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from kb.models import Article, Deadline, Document
from kb.numerals import CN_NUMERAL_CHARS, cn_to_int

_CN = CN_NUMERAL_CHARS
_COMPARATOR = r"(?:最长不得超过|最长不超过|不得超过|不超过|不多于|最短不得少于|不得少于|不少于|控制在|压缩至|压缩在|压缩到|缩短至|缩短到|缩短为|减少到|在|于)"
_UNIT = r"(?:个工作日|工作日|个月|小时|分钟|天|日|周|年)"
_NUMBER = rf"\d+(?:\.\d+)?|[{_CN}]+"
TIME_LIMIT = re.compile(
    rf"(?P<cmp>{_COMPARATOR})?\s*"
    rf"(?:(?<![第同统每逐唯单之上下当×*\d.{_CN}])(?P<lo>{_NUMBER})\s*{_UNIT}?\s*[至～~]\s*)?"  # 一年至二年内
    rf"(?<![第同统每逐唯单之上下当×*\d.{_CN}])(?P<num>{_NUMBER})\s*(?P<unit>{_UNIT})"
    r"(?![度级末底初份龄岁])"  # 年度/年级/年末/十四周岁 are not durations
    r"(?P<tail>(?:时间)?(?:以内|之内|内|以上))?"
)
TARGET_YEAR = re.compile(r"(?:到|至|在)\s*(?P<year>(?:19|20)\d{2})\s*年(?:末|底)?(?:前)?|(?P<year2>(?:19|20)\d{2})\s*年(?:末|底)?(?:前|以前)")
# A calendar deadline that recurs every year: "每年3月31日前", "每年1月1日至6月30日".
ANNUAL_DATE = re.compile(rf"每年(?:[\d{_CN}]+月[\d{_CN}]+日至)?[\d{_CN}]+月[\d{_CN}]+日(?:前|之前|以前)?")
_NOT_A_LIMIT_AFTER = re.compile(r"^(?:以下|以上)?有期徒刑|^起施行|^颁布|^期贷款|^期LPR")
_UNITS = {"工作日": "个工作日", "个工作日": "个工作日"}
_LEAD_WORDS = re.compile(r"^(?:力争|推动|推进|实现|确保|并且|并|但是|但|且|要|应当|应|须|必须|原则上|其中|做到|全面|基本|逐步|进一步|持续|积极|均|一律)+")
_QUOTES = "“”\"'‘’「」"
_OPEN, _CLOSE = "（(", "）)"
MAX_SUBJECT = 60


def article_deadlines(doc: Document, article: Article, today: dt.date | None = None) -> list[Deadline]:
    today = today or dt.date.today()
    sentences = article.sentences()
    rows = [_sentence_deadlines(doc, article, s, today) for s in sentences]
    if article.title and sentences and sentences[0].startswith(article.title) and len(rows) > 1:
        # A plan article's lead phrase repeats a limit of its body ("推行企业开办“0.5天”"): keep the body's row.
        later = {(d.value, d.unit) for r in rows[1:] for d in r}
        rows[0] = [d for d in rows[0] if (d.value, d.unit) not in later]
    seen, out = set(), []
    for d in (d for r in rows for d in r):  # a sentence repeated in two 款 yields one row
        key = (d.quote, d.expression, d.subject)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def document_deadlines(doc: Document, today: dt.date | None = None) -> list[Deadline]:
    return [d for a in doc.articles for d in article_deadlines(doc, a, today)]


def collect(docs: Iterable[Document], today: dt.date | None = None) -> list[Deadline]:
    return [d for doc in docs for d in document_deadlines(doc, today)]


def has_time_limit(text: str) -> bool:
    return any(True for _ in _limits(text))


# --- one sentence ------------------------------------------------------------------------------------
def _sentence_deadlines(doc: Document, article: Article, sentence: str, today: dt.date) -> list[Deadline]:
    years = _year_marks(sentence)
    limits = list(_limits(sentence))
    clauses = _clauses(sentence)
    rows = []
    for clause_idx, (c_start, c_end) in enumerate(clauses):
        in_clause = [m for m in limits if c_start <= m.start("num") < c_end]
        for i, m in enumerate(in_clause):
            rows.append(_limit_row(doc, article, sentence, clauses, clause_idx, in_clause, i, years, today))
    for m in ANNUAL_DATE.finditer(sentence):
        rows.append(_annual_row(doc, article, sentence, clauses, m))
    for pos, end, year, span_end in _target_spans(sentence, years):
        if not any(pos <= m.start("num") < span_end for m in limits):
            rows.append(_target_row(doc, article, sentence, end, span_end, year, today))
    return rows


def _limits(text: str):
    for m in TIME_LIMIT.finditer(text):
        num, unit = m.group("num"), m.group("unit")
        value = _value(num)
        if value is None:
            continue
        if unit == "年" and re.fullmatch(r"(?:19|20)\d{2}|[〇零一二三四五六七八九]{4}", num):
            continue  # a calendar year, not a duration
        if unit == "日" and text[max(0, m.start("num") - 1) : m.start("num")] == "月":
            continue  # 6月1日 is a date (an annual one is an ANNUAL_DATE row)
        if _NOT_A_LIMIT_AFTER.match(text[m.end() :]):
            continue
        yield m


def _value(num: str) -> float | int | None:
    try:
        return float(num) if "." in num else cn_to_int(num)
    except ValueError:
        return None


def _year_marks(sentence: str) -> list[tuple[int, int, int]]:
    """(start, end, year) of every "到2025年" in the sentence."""
    return [(m.start(), m.end(), int(m.group("year") or m.group("year2"))) for m in TARGET_YEAR.finditer(sentence)]


def _target_spans(sentence: str, years):
    """Each year mark governs the text up to the next year mark or the end of the sentence."""
    for i, (pos, end, year) in enumerate(years):
        span_end = years[i + 1][0] if i + 1 < len(years) else len(sentence)
        yield pos, end, year, span_end


def _clauses(sentence: str) -> list[tuple[int, int]]:
    """(start, end) of the comma-separated clauses, not splitting inside parentheses."""
    spans, depth, start = [], 0, 0
    for i, ch in enumerate(sentence):
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif ch in "，,：:。；;！？" and depth == 0:
            spans.append((start, i))
            start = i + 1
    if start < len(sentence):
        spans.append((start, len(sentence)))
    return [s for s in spans if s[1] > s[0]]


def _limit_row(doc, article, sentence, clauses, clause_idx, in_clause, i, years, today) -> Deadline:
    m = in_clause[i]
    c_start, c_end = clauses[clause_idx]
    value, unit = _value(m.group("num")), _UNITS.get(m.group("unit"), m.group("unit"))
    low = _value(m.group("lo")) if m.group("lo") else None
    # Several limits in one clause: "分别控制在3天、4天、5天" share the clause's head; otherwise each limit
    # owns the stretch of the clause between its neighbours ("1天电话联系、一般问题5天办结").
    respectively = "分别" in sentence[c_start : in_clause[0].start()]
    if respectively:
        head_end = c_start + sentence[c_start : in_clause[0].start()].index("分别")
        prefix, suffix = sentence[c_start:head_end], sentence[in_clause[-1].end() : c_end]
    else:
        lo = in_clause[i - 1].end() if i else c_start
        hi = in_clause[i + 1].start() if i + 1 < len(in_clause) else c_end
        prefix, suffix = sentence[lo : m.start()], sentence[m.end() : hi]
        if len(in_clause) > 1:  # enumerated limits: each owns its 、-separated item
            prefix, suffix = prefix.split("、")[-1], suffix.split("、")[0]
    year = _governing_year(years, m.start("num"))
    prefix = TARGET_YEAR.sub("", prefix)
    start, prefix = _split_start(prefix)
    condition, subject = _condition_subject(_clean(prefix), _clean_suffix(suffix))
    if respectively:
        subject = _respective_subject(subject, i, len(in_clause))
    if not condition:
        condition = _conditional_clause(sentence, clauses, clause_idx)
    if not subject:  # "自正式受理之日起10个工作日内，按程序将投诉转交…": what is due follows the limit
        subject = _next_clause(sentence, clauses, clause_idx) or _clean(_split_start(sentence[slice(*clauses[0])])[1])
    passed = year is not None and today > dt.date(year, 12, 31)
    return Deadline(
        doc_id=doc.doc_id, doc_title=doc.title, article=article.number, label=article.label, kind="时限",
        value=value, value_min=low, unit=unit, day_type=_day_type(unit), expression=m.group().strip(),
        subject=_short(subject), condition=_short(condition), start=start, target_year=year, target_passed=passed,
        note=f"目标年份{year}年已过" if passed else "", quote=sentence, heading=article.title or article.heading,
    )


def _target_row(doc, article, sentence, end, span_end, year, today) -> Deadline:
    subject = _clean(sentence[end:span_end].lstrip("，,：: ").rstrip("，,。；;"))
    passed = today > dt.date(year, 12, 31)
    return Deadline(
        doc_id=doc.doc_id, doc_title=doc.title, article=article.number, label=article.label, kind="目标",
        value=None, unit="", day_type="", expression=sentence[max(0, end - 9) : end].split("，")[-1].strip(),
        subject=_short(subject), target_year=year, target_passed=passed,
        note=f"目标年份{year}年已过" if passed else "", quote=sentence, heading=article.title or article.heading,
    )


def _annual_row(doc, article, sentence, clauses, m) -> Deadline:
    idx = next(i for i, (a, b) in enumerate(clauses) if a <= m.start() < b)
    actor = re.sub(r"(?:应当|应|须|必须)?(?:于|在)?$", "", sentence[clauses[idx][0] : m.start()].strip())
    subject = _clean(sentence[m.end() : clauses[idx][1]]) or _next_clause(sentence, clauses, idx)
    return Deadline(
        doc_id=doc.doc_id, doc_title=doc.title, article=article.number, label=article.label, kind="日期",
        value=None, unit="", day_type="", expression=m.group(), subject=_short(f"{actor}：{subject}" if actor else subject),
        condition=_conditional_clause(sentence, clauses, idx), quote=sentence, heading=article.title or article.heading,
    )


def _governing_year(years, pos: int) -> int | None:
    before = [y for start, _, y in years if start < pos]
    return before[-1] if before else None


def _split_start(prefix: str) -> tuple[str, str]:
    """Pull "自…之日起" (when the clock starts) out of the prefix."""
    m = re.search(r"[自从][^，。；]*?起", prefix)
    if not m:
        return "", prefix
    return m.group(), prefix[: m.start()] + prefix[m.end() :]


def _condition_subject(prefix: str, suffix: str) -> tuple[str, str]:
    """Split the words around the number into (condition, subject) by the shape of the clause."""
    close = max(prefix.rfind("）"), prefix.rfind(")"))
    if close >= 0:
        if suffix:
            return prefix, suffix  # "…（或建筑面积1万平米以下）的项目24个工作日内完成…"
        rest = _clean(prefix[close + 1 :])
        return (prefix[: close + 1], rest) if rest else ("", prefix)  # "…接入（城区…）办电时间不超过3天"
    if prefix.endswith("的") and suffix:
        return prefix, suffix  # "符合正常迁移条件的，5天内办妥…"
    return "", prefix + suffix


def _respective_subject(subject: str, i: int, n: int) -> str:
    """"水气热报装时间" with n=3 → the i-th item: "水报装时间"."""
    m = re.match(rf"^((?:[^、，]{{1,6}}、){{{n - 1}}}[^、，]{{1,6}}?)(报装|接入|登记|审批|办理|时间)", subject)
    if m:
        items = m.group(1).split("、")
        return items[i] + subject[len(m.group(1)) :]
    m = re.match(r"^([水电气热网]{2,5})", subject)
    if m and len(m.group(1)) == n:
        return m.group(1)[i] + subject[n:]
    return f"{subject}（第{i + 1}项）"


def _next_clause(sentence: str, clauses, idx: int) -> str:
    if idx + 1 >= len(clauses):
        return ""
    text = sentence[slice(*clauses[idx + 1])]
    return "" if has_time_limit(text) else _clean(text)  # another limit's clause is not this one's subject


def _conditional_clause(sentence: str, clauses, idx: int) -> str:
    """The nearest earlier clause ending with 的 ("合同另有约定的，…") is the condition of the limit."""
    for start, end in reversed(clauses[:idx]):
        text = sentence[start:end].strip()
        if text.endswith("的"):
            return _clean(text)
    return ""


def _clean(text: str) -> str:
    text = text.strip().strip(_QUOTES + "、 ").strip()
    text = _LEAD_WORDS.sub("", text)
    text = text.strip(_QUOTES + "、 ").strip()
    if text.count("“") != text.count("”"):  # a quote cut in half by the clause boundary
        text = text.replace("“", "").replace("”", "")
    return text


def _clean_suffix(text: str) -> str:
    if text.lstrip().startswith("”“") or text.lstrip().startswith("并"):
        return ""  # another slogan in quotes ("0.5天”“零成本”) or a new verb phrase ("并持续优化")
    text = _clean(text)
    return re.sub(r"^(?:并|且|和)", "", text)


def _short(text: str) -> str:
    return text if len(text) <= MAX_SUBJECT else text[: MAX_SUBJECT - 1] + "…"


def _day_type(unit: str) -> str:
    if unit == "个工作日":
        return "工作日"
    return "自然日" if unit in ("天", "日") else ""


# --- which documents -----------------------------------------------------------------------------------
def select_documents(corpus, doc: str | None = None) -> list[Document]:
    """The documents a 台账 covers: by default the plans in force; "all" → every document in force;
    otherwise an id, a full title (the current version among same-titled ones) or part of a title."""
    from kb.errors import DocumentNotFound
    from kb.models import CURRENT

    docs = corpus.documents()
    current = [d for d in docs if d.status == CURRENT]
    if not doc:
        return [d for d in current if d.kind == "规划"] or current
    if doc == "all":
        return current
    by_id = [d for d in docs if d.doc_id == doc]
    if by_id:
        return by_id
    for match in (lambda d: d.title == doc, lambda d: doc in d.title):
        found = sorted((d for d in docs if match(d)), key=lambda d: (d.status != CURRENT, d.date), reverse=False)
        if found:
            return [found[0]]
    raise DocumentNotFound(doc)
