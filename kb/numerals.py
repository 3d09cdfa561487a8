"""Chinese numerals → int, for 第一千零一条, 第二十二条, 两, 〇, and arabic digits alike."""
from __future__ import annotations

import re

_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
CN_NUMERAL_CHARS = "〇零一二两三四五六七八九十百千万"
# The characters that number a 编/章/节/条/款/项 (第一千二百六十条 at most: no 万) — every 第X条 pattern uses this one.
LABEL_NUMERAL = "〇零一二两三四五六七八九十百千"
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def cn_to_int(s: str) -> int:
    """Convert "二十二" / "一千零一" / "十" / "22" / "２２" / "一〇五" to an int; ValueError if not a numeral."""
    s = s.strip().translate(_FULLWIDTH_DIGITS)
    if not s:
        raise ValueError("empty numeral")
    if s.isdigit():
        return int(s)
    if any(c not in CN_NUMERAL_CHARS for c in s):
        raise ValueError(f"not a Chinese numeral: {s!r}")
    if not any(c in _UNITS for c in s):  # digit-by-digit form: 一〇五
        return int("".join(str(_DIGITS[c]) for c in s))
    if len(s) >= 3 and s[-1] in _DIGITS and s[-2] in _UNITS and s[-2] != "十":
        # "两千五" is 2500, "一万二" 12000, "三百五" 350: a last digit right after a unit counts the next unit down
        # (with a 零 between, "一千零五", it is the ones)
        return cn_to_int(s[:-1]) + _DIGITS[s[-1]] * _UNITS[s[-2]] // 10
    total, section, digit = 0, 0, 0
    for c in s:
        if c in _DIGITS:
            digit = _DIGITS[c]
        elif c == "万":
            total += ((section + digit) or 1) * 10000  # "万分之五": 万 alone is ten thousand
            section, digit = 0, 0
        else:
            section += (digit or 1) * _UNITS[c]  # "十" alone means 10
            digit = 0
    return total + section + digit


def int_to_cn(n: int) -> str:
    """22 → "二十二", 10 → "十", 101 → "一百零一" (for article labels)."""
    if n == 0:
        return "零"
    digits = "零一二三四五六七八九"
    parts, zero = [], False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d, n = divmod(n, value)
        if d:
            if zero:
                parts.append("零")
            parts.append(digits[d] + unit)
            zero = False
        elif parts:
            zero = True
    out = "".join(parts)
    return out[1:] if out.startswith("一十") else out


# "依照本法第五十一条的规定当场作出行政处罚决定…": an article of the same law that this one rests on.
_BASIS = re.compile(rf"(?:依照|依据|按照)本(?:法|条例|规定|办法|细则)第([{LABEL_NUMERAL}]+)条(?:的规定|规定)")


def basis_articles(text: str) -> list[int]:
    """The numbers of the articles of its own law that a text says it acts under, in order of mention."""
    return list(dict.fromkeys(cn_to_int(m.group(1)) for m in _BASIS.finditer(text or "")))
