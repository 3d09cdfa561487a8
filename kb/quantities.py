"""Quantities with units in Chinese text — "160千瓦", "五万元", "6万块", "0.5天", "半年", "5个工作日", "30%",
"三分之二", "十四周岁" — parsed into a value in a canonical unit, so a figure a user states can be compared with a
figure a rule states (kW and 千瓦 alike, 元 and 万元 alike). Numerals come from kb.numerals; this module is the
one place for units.

People state figures more loosely than rules do: `find_quantities(question, lay=True)` also reads a bare "1200万"
as money, "七成" as 70%, and "第4天" as four days gone by.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import chinese_calendar

from kb.numerals import CN_NUMERAL_CHARS, cn_to_int

# unit as written → (dimension, canonical unit, factor to the canonical unit)
UNITS: dict[str, tuple[str, str, float]] = {
    "千瓦": ("power", "千瓦", 1), "kw": ("power", "千瓦", 1), "KW": ("power", "千瓦", 1), "kW": ("power", "千瓦", 1),
    "Kw": ("power", "千瓦", 1), "千伏安": ("power", "千瓦", 1), "kVA": ("power", "千瓦", 1), "瓦": ("power", "千瓦", 0.001),
    "兆瓦": ("power", "千瓦", 1000), "MW": ("power", "千瓦", 1000), "mw": ("power", "千瓦", 1000), "Mw": ("power", "千瓦", 1000),
    "元": ("money", "元", 1), "块钱": ("money", "元", 1), "块": ("money", "元", 1), "万元": ("money", "元", 1e4),
    "万块": ("money", "元", 1e4), "亿元": ("money", "元", 1e8),
    "平方米": ("area", "平方米", 1), "平米": ("area", "平方米", 1), "平": ("area", "平方米", 1), "㎡": ("area", "平方米", 1), "亩": ("area", "平方米", 666.67),
    "万平方米": ("area", "平方米", 1e4), "万平米": ("area", "平方米", 1e4),
    "个工作日": ("workdays", "工作日", 1), "工作日": ("workdays", "工作日", 1),
    "天": ("days", "日", 1), "日": ("days", "日", 1), "周": ("days", "日", 7), "星期": ("days", "日", 7),
    "个星期": ("days", "日", 7), "礼拜": ("days", "日", 7), "个礼拜": ("days", "日", 7),
    "个月": ("days", "日", 30), "年": ("days", "日", 365), "小时": ("hours", "小时", 1),
    "分钟": ("hours", "小时", 1 / 60),
    "周岁": ("age", "岁", 1), "回": ("times", "次", 1), "趟": ("times", "次", 1),
    "人": ("people", "人", 1), "名": ("people", "人", 1), "户": ("count", "户", 1), "家": ("count", "个", 1),  # "3家公司" counts as "三个以上…法人"
    "次": ("times", "次", 1), "倍": ("ratio", "倍", 1), "%": ("percent", "%", 1), "％": ("percent", "%", 1),
    "岁": ("age", "岁", 1), "个": ("count", "个", 1), "位": ("count", "个", 1), "项": ("count", "项", 1),
    "件": ("count", "件", 1), "种": ("count", "种", 1), "类": ("count", "类", 1), "批": ("count", "批", 1),
    "台": ("count", "台", 1), "辆": ("count", "辆", 1), "份": ("count", "份", 1), "张": ("count", "张", 1), "公里": ("length", "米", 1000), "米": ("length", "米", 1), "吨": ("mass", "吨", 1),
}
_UNIT_ALT = "|".join(sorted(map(re.escape, UNITS), key=len, reverse=True))
_NUM = rf"\d+(?:\.\d+)?|[{CN_NUMERAL_CHARS}]+(?:点[{CN_NUMERAL_CHARS}]+)?|半"
# A fraction is a share: "百分之三十" 30%, "千分之五" 0.5%, "三分之二" 66.7%, "十分之一" 10%.
_FRACTION = rf"(?P<den>\d+|[{CN_NUMERAL_CHARS}]+)分之(?P<share>{_NUM})"
# "6万块", "五万元", "1000万元", "0.5天", "半年", "3个工作日", "百分之三十"
QUANTITY = re.compile(rf"{_FRACTION}|(?<!第)(?P<num>{_NUM})\s*(?P<unit>{_UNIT_ALT})")
# Lay figures (questions only): "第4天" (ordinal: that many days gone by), "1200万" (money, by far the commonest bare
# 万), "七成" (tenths), "罚两千五" (a sum after a verb of paying). Tried after the strict forms, so "1200万元" is still read with its unit.
_LAY = re.compile(rf"{_FRACTION}|(?P<num>{_NUM})\s*(?P<unit>{_UNIT_ALT})"
                  rf"|(?P<bare>\d+(?:\.\d+)?|[{CN_NUMERAL_CHARS}]+?)(?P<myriad>万|亿)(?![一不别要])"
                  r"|(?P<tenths>[一两二三四五六七八九]|\d)成(?=[多左以的，。,？?\s]|$)"
                  rf"|(?<=[罚交缴收付赔欠花])(?P<paid>\d+(?:\.\d+)?|[{CN_NUMERAL_CHARS}]*[百千][{CN_NUMERAL_CHARS}]*)"
                  rf"(?![\d{CN_NUMERAL_CHARS}.]|\s*(?:{_UNIT_ALT}|成|分之))")
# A question that asks for a figure: what it wants is a number the answer must state.
ASKS_QUANTITY = re.compile(r"多少|几[天日个年月周次家项人倍位名元块万种类条级岁]|多久|多长|多大|多高|多重|多远|多快|比例|百分之几"
                           r"|上限|下限|最高|最低|最多|最少|最长|最短|最晚|最早|标准是|额度|金额")
# Calendar dates are not durations: "到2025年", "3月31日", "每年6月".
_DATE = re.compile(r"(?:19|20)\d{2}\s*年|(?<!个)(?:\d{1,2}|[一二三四五六七八九十]+)\s*月(?:\s*(?:\d{1,2}|[一二三四五六七八九十]+)\s*[日号])?")


@dataclass(frozen=True)
class Quantity:
    value: float  # in the canonical unit
    unit: str  # canonical unit: 千瓦, 元, 平方米, 日, 工作日, 小时, 人, %…
    dimension: str
    text: str  # the words as written
    start: int
    end: int


def _number(s: str) -> float | None:
    s = s.strip()
    if s == "半":
        return 0.5
    try:
        if re.fullmatch(r"\d+(?:\.\d+)?", s):
            return float(s)
        if "点" in s:
            whole, frac = s.split("点", 1)
            return float(f"{cn_to_int(whole)}.{''.join(str(cn_to_int(c)) for c in frac)}")
        return float(cn_to_int(s))
    except ValueError:
        return None


def find_quantities(text: str, lay: bool = False) -> list[Quantity]:
    """Every quantity with a unit in the text, left to right; lay=True also reads the loose forms of _LAY."""
    out = []
    dates = [d.span() for d in _DATE.finditer(text or "")]
    for m in (_LAY if lay else QUANTITY).finditer(text or ""):
        if any(a < m.end() and m.start() < b for a, b in dates):
            continue
        q = _special(m)
        if q is not None:
            if q.value is not None:
                out.append(q)
            continue
        num, unit = m.group("num"), m.group("unit")
        if num.endswith("万") and unit in ("元", "块", "块钱"):  # "6万块" read as 6 + 万块
            num, unit = num[:-1], "万" + ("元" if unit == "元" else "块")
        elif len(num) > 1 and num[-1] + unit in UNITS:  # 一百六十千瓦 is 160 千瓦, not 1160 瓦
            num, unit = num[:-1], num[-1] + unit
        v = _number(num)
        if v is None or unit not in UNITS:
            continue
        dim, canon, factor = UNITS[unit]
        end = m.end()
        if text[end : end + 1] == "半" and dim in ("days", "hours") and v >= 1:  # "两年半", "一个月半", "三小时半"
            v, end = v + 0.5, end + 1
        out.append(Quantity(v * factor, canon, dim, text[m.start() : end], m.start(), end))
    return out


def _special(m: re.Match) -> Quantity | None:
    """A fraction or a lay form as a Quantity (value None when its numeral does not parse); None for num+unit."""
    groups = m.groupdict()
    if groups.get("den") is not None:
        den, share = _number(groups["den"]), _number(groups["share"])
        value = 100 * share / den if den and share is not None else None
        return Quantity(value, "%", "percent", m.group(0), m.start(), m.end())
    if groups.get("bare") is not None:
        v = _number(groups["bare"])
        factor = 1e4 if groups["myriad"] == "万" else 1e8
        return Quantity(None if v is None else v * factor, "元", "money", m.group(0), m.start(), m.end())
    if groups.get("paid") is not None:  # "罚两千五", "交500": a sum of money said without its unit
        v = _number(groups["paid"])
        return Quantity(v, "元", "money", m.group(0), m.start(), m.end())
    if groups.get("tenths") is not None:
        v = _number(groups["tenths"])
        return Quantity(None if v is None else 10 * v, "%", "percent", m.group(0), m.start(), m.end())
    return None


def asks_quantity(question: str) -> bool:
    return bool(ASKS_QUANTITY.search(question or ""))


def has_quantity(text: str) -> bool:
    return bool(find_quantities(text))


# Calendar dates as people write them: "2024年6月14号(周五)", "3月1号", "20号周四" (the month of the date before it),
# "2021年6月" and "去年7月" (to the month), "2020年底", "今年2025年" (to the year). Weekdays are read so a year can be
# told from them.
# "24年5月10号": a two-digit year only before a month. "10月中旬", "6月底": a part of a month stands for a day (约).
_YEAR = r"(?P<y>(?:19|20)\d{2}|(?<!\d)\d{2}(?=\s*年\s*\d{1,2}\s*月))\s*年|(?P<rel>今年|去年|前年)"
_MONTH_PART = r"(?P<mpart>上旬|中旬|下旬|初|底|末)"
_CAL = re.compile(rf"(?:{_YEAR})\s*(?:(?P<m>\d{{1,2}}|[一二三四五六七八九十]{{1,3}})\s*月份?|(?P<part>底|初|末|中))?"
                  r"(?:\s*(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})\s*[日号])?"
                  r"|(?P<m2>\d{1,2}|[一二三四五六七八九十]{1,3})\s*月份?\s*(?P<d2>\d{1,2}|[一二三四五六七八九十]{1,3})\s*[日号]"
                  rf"|(?<![\d年第])(?P<m3>\d{{1,2}}|[一二三四五六七八九十]{{1,3}})\s*月份?(?={_MONTH_PART})"
                  r"|(?<![\d月年第])(?P<bare>\d{1,2}|[一二三四五六七八九十]{1,3})\s*号")
_YEAR_PART = {"初": 1, "中": 6, "底": 12, "末": 12}
_DAY_OF_PART = {"上旬": 5, "中旬": 15, "下旬": 25, "初": 3, "底": 30, "末": 30}  # _date takes 2月30 as the 28th
_RELATIVE_YEAR = {"今年": 0, "去年": 1, "前年": 2}
_WEEKDAY = re.compile(r"^\s*[（(]?\s*(?:周|星期|礼拜)(?P<w>[一二三四五六日天])")
_WEEKDAYS = "一二三四五六日"


def _weekday(name: str) -> int:
    """0 for 周一 … 6 for 周日 / 周天."""
    return _WEEKDAYS.index("日" if name == "天" else name)


@dataclass(frozen=True)
class CalendarDate:
    year: int | None
    month: int | None  # None: only the year is given ("2025年")
    day: int | None  # None: only the month is given ("2021年6月")
    weekday: int | None  # 0 = Monday, when the text names it
    start: int
    end: int
    approx: bool = False  # the day stands for a part of the month ("10月中旬" as the 15th)


def calendar_dates(text: str) -> list[CalendarDate]:
    """Every calendar date in the text, left to right; a bare "20号" takes the month and year of the date before it.
    A date given to the year only ("2025年") has month None; one given without a year has year None."""
    out: list[CalendarDate] = []
    for m in _CAL.finditer(text or ""):
        g = m.groupdict()
        if g["bare"] is not None:
            if not out or out[-1].day is None:
                continue
            year, month, day = out[-1].year, out[-1].month, _number(g["bare"])
        elif g["m2"] is not None:
            year, month, day = None, _number(g["m2"]), _number(g["d2"])
        elif g["m3"] is not None:
            year, month, day = None, _number(g["m3"]), None
        else:
            year = int(g["y"]) + (2000 if len(g["y"]) == 2 else 0) if g["y"] else \
                dt.date.today().year - _RELATIVE_YEAR[g["rel"]]
            month = _number(g["m"]) if g["m"] else _YEAR_PART.get(g["part"] or "")
            day = _number(g["d"]) if g["d"] else None
            if g["rel"] and text[m.end() : m.end() + 4].lstrip().startswith(("19", "20")):
                continue  # "今年2025年": the year that follows says it
        end, approx = m.end(), False
        part = re.match(_MONTH_PART, text[end:]) if month and day is None else None
        if part and (g["m3"] is not None or g["m"]):
            day, approx, end = _DAY_OF_PART[part.group("mpart")], True, end + part.end()
        w = _WEEKDAY.match(text[end:])
        weekday = _weekday(w.group("w")) if w else None
        if (month is None or 1 <= month <= 12) and (day is None or 1 <= day <= 31) and (month or not day):
            out.append(CalendarDate(year, int(month) if month else None, int(day) if day else None, weekday,
                                    m.start(), end, approx))
    return out


@dataclass(frozen=True)
class DateGap:
    """How far apart two calendar dates of a text are: days (months × 365/12 when a date gives only its month), and
    working days when a year is known or can be told from a weekday (the official calendar, holidays and the
    weekends worked in their place included, from chinese_calendar)."""

    days: float
    workdays: int | None
    text: str  # "2024年6月14号与20号相隔6天"
    # without a year: the fewest and most working days between the two dates in the years the calendar covers
    # ("3月3号到3月28号": 17 to 19, there being no holiday in March)
    workday_bounds: tuple[int, int] | None = None


def date_gap(a: CalendarDate, b: CalendarDate, text: str) -> DateGap:
    words = f"{text[a.start:a.end]}与{text[b.start:b.end]}"
    if a.day is None or b.day is None:  # to the month; a date to the year takes the other's month (约)
        months = abs(_months(b, a) - _months(a, b))
        return DateGap(months * 365 / 12, None, f"{words}相隔约{months}个月")
    year = a.year or b.year or _year_of(a) or _year_of(b)
    first, second = _span(a, b, year or 2025)
    days = (second - first).days
    work = _workdays(first, second) if year else None
    shown = f"{words}相隔{'约' if a.approx or b.approx else ''}{days}天" + (f"（其间{work}个工作日）" if work is not None else "")
    return DateGap(float(days), work, shown, None if year else _workdays_any_year(a, b))


def _workdays_any_year(a: CalendarDate, b: CalendarDate) -> tuple[int, int] | None:
    """The fewest and most working days between two dates of an unknown year, over the last ten the calendar covers."""
    this = dt.date.today().year
    counts = [c for c in (_workdays(*_span(a, b, y)) for y in range(this, this - 10, -1)) if c is not None]
    return (min(counts), max(counts)) if counts else None


def _span(a: CalendarDate, b: CalendarDate, year: int) -> tuple[dt.date, dt.date]:
    """The two dates in order; where the second the text names falls over half a year before the first, and one
    of them has no year of its own, the year turns between them ("12月28号交的，1月5号还没答复")."""
    first, second = _date(a, year), _date(b, year)
    turned = (first - second).days > 182
    if turned and b.year is None:
        return first, _date(b, first.year + 1)
    if turned and a.year is None:  # "12月28号交的，2025年1月5号还没答复"
        return _date(a, second.year - 1), second
    return tuple(sorted((first, second)))


def _months(d: CalendarDate, other: CalendarDate) -> int:
    return (d.year or other.year or 0) * 12 + (d.month or other.month or 6)


def _date(d: CalendarDate, year: int) -> dt.date:
    try:
        return dt.date(d.year or year, d.month, d.day)
    except ValueError:  # "2月30号": the month's last day
        return dt.date(d.year or year, d.month, 28)


def _year_of(d: CalendarDate) -> int | None:
    """The latest year, up to this one, in which the date falls on the weekday the text names."""
    if d.weekday is None or d.day is None:
        return None
    this = dt.date.today().year
    return next((y for y in range(this, this - 12, -1) if _date(d, y).weekday() == d.weekday), None)


def _workdays(first: dt.date, second: dt.date) -> int | None:
    """Working days after the first date up to and including the second (the first day is not counted)."""
    try:
        return len(chinese_calendar.get_workdays(first + dt.timedelta(days=1), second)) if second > first else 0
    except NotImplementedError:  # a year the official calendar does not cover
        return None


# Days named by week: "上周一…这周二", "上周五告诉我…我这周五才提" (weeks before this one are negative).
_WEEK_DAY = re.compile(r"(?P<week>上上|上|这|本|下)?(?:个)?(?:周|星期|礼拜)(?P<w>[一二三四五六日天])")
_WEEK_OFFSET = {"上上": -2, "上": -1, "这": 0, "本": 0, None: 0, "下": 1}
_NO_HOLIDAY = re.compile(r"没(?:有)?放假|没有?(?:法定)?(?:节假日|假日|假期|过节)|不(?:含|涉及)(?:法定)?节?假日")


def weekday_gap(text: str) -> DateGap | None:
    """The days, and the working days (Monday to Friday; exact only when the text says no holiday fell between,
    else at most that many), between the first two days the text names by week; None without two."""
    days = [m for m in _WEEK_DAY.finditer(text or "") if m.group("week") or not calendar_dates(text[max(0, m.start() - 6) : m.start()])]
    if len(days) < 2:
        return None
    a, b = (_WEEK_OFFSET[m.group("week")] * 7 + _weekday(m.group("w")) for m in days[:2])
    first, second = sorted((a, b))
    work = sum(1 for d in range(first + 1, second + 1) if d % 7 < 5)
    exact = no_holiday(text)
    words = f"{days[0].group()}与{days[1].group()}"
    # a holiday only takes weekdays away (the weekend days worked in its place lie beside it): at most `work` then
    bounds = None if exact else (int(workday_range(second - first)[0]), work)
    return DateGap(float(second - first), work if exact else None,
                   f"{words}相隔{second - first}天（其间{work}个工作日{'' if exact else '，未计节假日'}）", bounds)


def no_holiday(text: str) -> bool:
    """The text says no holiday fell in the stretch it speaks of ("中间没放假", "没有法定假日")."""
    return bool(_NO_HOLIDAY.search(text))


def workday_range(days: float, text: str = "") -> tuple[float, float]:
    """A floor and a ceiling for the working days in a stretch of calendar days. With no holiday between (the text
    says so), the weekends alone bound them. Otherwise the floor is five in each full week, less the holidays that
    can fall on weekdays (a Golden Week's worth, about eight, in each half year), and the ceiling all but two days
    of each full week, plus the two weekend days a holiday can make working days (调休)."""
    weeks, rest = divmod(days, 7)
    if no_holiday(text):
        return weeks * 5 + max(0.0, rest - 2), weeks * 5 + min(rest, 5)
    return max(0.0, weeks * 5 - 8 * (1 + days // 182)), min(days, days - 2 * weeks + 2)
