"""DOCX via python-docx: body paragraphs and table cells in document order."""
from __future__ import annotations

import zipfile
from pathlib import Path

from kb import errors
from kb.ingest import limits

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc/.xls/.ppt


def _check_container(path: Path) -> None:
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(_OLE_MAGIC):
        raise errors.UnsupportedFormat(path.name, "文件实际是旧版 Word/Excel（.doc/.xls）格式")
    if not zipfile.is_zipfile(path):
        raise errors.CorruptFile(path.name, "不是有效的 .docx（压缩包损坏或被截断）")
    with zipfile.ZipFile(path) as zf:
        members = zf.infolist()
    _check_sizes(path, members)
    names = {m.filename for m in members}
    if "word/document.xml" not in names:
        kind = "Excel 表格（.xlsx）" if "xl/workbook.xml" in names else "PowerPoint（.pptx）" if "ppt/presentation.xml" in names else "其他压缩包"
        raise errors.UnsupportedFormat(path.name, f"文件实际是{kind}，不是 Word 文档")


def _check_sizes(path: Path, members: list[zipfile.ZipInfo]) -> None:
    """Refuse a zip bomb from its directory, before one byte is inflated. The declared sizes can be trusted
    as an upper bound: zipfile stops at the declared size (and then fails the CRC check)."""
    total = 0
    for m in members:
        total += m.file_size
        ratio = m.file_size / max(m.compress_size, 1)
        if m.file_size > limits.DOCX_MAX_MEMBER or (m.file_size > limits.RATIO_FLOOR and ratio > limits.DOCX_MAX_RATIO):
            raise errors.ContentTooLarge(path.name, f"其中 {m.filename} 解压后 {m.file_size / limits.MB:.0f} MB，"
                                                    f"压缩比 {ratio:.0f}:1，上限 {limits.DOCX_MAX_MEMBER // limits.MB} MB、"
                                                    f"{limits.DOCX_MAX_RATIO}:1")
    if total > limits.DOCX_MAX_TOTAL:
        raise errors.ContentTooLarge(path.name, f"解压后共 {total / limits.MB:.0f} MB，上限 {limits.DOCX_MAX_TOTAL // limits.MB} MB")


def read_docx_paragraphs(path: Path) -> list[str]:
    _check_container(path)
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises KeyError/BadZipFile/lxml errors on damaged parts
        raise errors.CorruptFile(path.name, f"Word 文档解析失败：{type(exc).__name__}") from exc
    lines: list[str] = []
    chars = 0
    for child in document.element.body.iterchildren():
        start = len(lines)
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.extend(Paragraph(child, document).text.split("\n"))
        elif tag == "tbl":
            for row in Table(child, document).rows:
                cells = [c.text.strip() for c in row.cells]
                lines.append("\t".join(dict.fromkeys(c for c in cells if c)))  # merged cells repeat
        chars += sum(len(line) for line in lines[start:])
        if chars > limits.MAX_CHARS:
            raise errors.ContentTooLarge(path.name, f"文字超过 {limits.MAX_CHARS:,} 字")
    return lines
