"""Plain text and Markdown: detect the encoding (UTF-8, UTF-8-BOM, UTF-16 with or without BOM, GBK/GB18030, …)."""
from __future__ import annotations

from pathlib import Path

from charset_normalizer import from_bytes

from kb import errors

_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_UTF16_MIN_SCORE = 0.95  # share of plausible characters a UTF-16 reading needs (see _plausible)
_SAMPLE = 20000  # bytes scored per candidate reading


def decode(data: bytes, name: str = "") -> str:
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return _strict(data, enc, name)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return _strict(data, utf16, name)
    if b"\x00" in data[:4096]:
        raise errors.CorruptFile(name, "文件含有二进制内容，不是纯文本")
    best = from_bytes(data).best()
    if best is None:
        raise errors.CorruptFile(name, "无法识别文字编码，可能是二进制文件")
    enc = best.encoding
    if enc in ("gbk", "gb2312", "cp936"):
        enc = "gb18030"  # superset: never lose a rare character
    return data.decode(enc, errors="replace")


def _strict(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise errors.CorruptFile(name, f"文件声明为 {encoding.upper()} 编码，但内容不符（可能已截断或损坏）") from None


def _utf16_without_bom(data: bytes) -> str | None:
    """"utf-16-le"/"utf-16-be" when one reading of the bytes is plausible text, else None.

    Chinese in UTF-16 has no zero bytes, so zeros cannot be the test; any even-length byte string decodes to
    *something*, so decoding cannot be either. A reading counts when nearly all its characters are ones a
    Chinese document uses (ASCII, common hanzi of GB2312, CJK punctuation), which GBK or binary misread as
    UTF-16 never achieves.
    """
    if len(data) % 2:
        return None
    sample = data[:_SAMPLE]
    scores = {}
    for enc in ("utf-16-le", "utf-16-be"):
        try:
            text = sample.decode(enc)
        except UnicodeDecodeError:  # a lone surrogate at the cut is harmless; elsewhere it rules the reading out
            try:
                text = sample[:-2].decode(enc)
            except UnicodeDecodeError:
                continue
        scores[enc] = sum(map(_plausible, text)) / max(len(text), 1)
    enc = max(scores, key=scores.get, default=None)
    return enc if enc and scores[enc] >= _UTF16_MIN_SCORE else None


def _plausible(ch: str) -> bool:
    if ch.isascii():
        return ch.isprintable() or ch in "\r\n\t"
    if "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef" or ch in "“”‘’—…·、":
        return True
    try:
        return ch.encode("gb2312")[0] >= 0xB0  # GB2312 hanzi rows; a random code unit rarely lands there
    except UnicodeEncodeError:
        return False


def read_plain(path: Path) -> str:
    text = decode(path.read_bytes(), path.name)
    return text.replace("\r\n", "\n").replace("\r", "\n")
