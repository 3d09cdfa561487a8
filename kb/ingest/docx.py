"""DOCX via python-docx: body paragraphs and table cells in document order."""
from __future__ import annotations

import zipfile
from pathlib import Path

from kb import errors

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc/.xls/.ppt


def _check_container(path: Path) -> None:
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(_OLE_MAGIC):
        raise errors.UnsupportedFormat(path.name, "文件实际是旧版 Word/Excel（.doc/.xls）格式")
    if not zipfile.is_zipfile(path):
        raise errors.CorruptFile(path.name, "不是有效的 .docx（压缩包损坏或被截断）")
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
    if "word/document.xml" not in names:
        kind = "Excel 表格（.xlsx）" if "xl/workbook.xml" in names else "PowerPoint（.pptx）" if "ppt/presentation.xml" in names else "其他压缩包"
        raise errors.UnsupportedFormat(path.name, f"文件实际是{kind}，不是 Word 文档")


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
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.extend(Paragraph(child, document).text.split("\n"))
        elif tag == "tbl":
            for row in Table(child, document).rows:
                cells = [c.text.strip() for c in row.cells]
                lines.append("\t".join(dict.fromkeys(c for c in cells if c)))  # merged cells repeat
    return lines
