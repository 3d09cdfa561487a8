"""Plain text and Markdown: detect the encoding (UTF-8, UTF-8-BOM, UTF-16, GBK/GB18030, …)."""
from __future__ import annotations

from pathlib import Path

from charset_normalizer import from_bytes

from kb import errors

_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def decode(data: bytes, name: str = "") -> str:
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data.decode(enc)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        raise errors.CorruptFile(name, "无法识别文字编码，可能是二进制文件")
    enc = best.encoding
    if enc in ("gbk", "gb2312", "cp936"):
        enc = "gb18030"  # superset: never lose a rare character
    return data.decode(enc, errors="replace")


def read_plain(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        if _looks_like_utf16(data):
            return data.decode("utf-16-le" if data[1:2] == b"\x00" else "utf-16-be")
        raise errors.CorruptFile(path.name, "文件含有二进制内容，不是纯文本")
    text = decode(data, path.name)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _looks_like_utf16(data: bytes) -> bool:
    sample = data[:2000]
    zeros_odd = sample[1::2].count(0)
    zeros_even = sample[0::2].count(0)
    return max(zeros_odd, zeros_even) > len(sample) // 8
