"""Reading real files of every format, and refusing bad ones with Chinese messages."""
from __future__ import annotations

import io
import re
import zipfile

import pytest

from conftest import FAIR_COMPETITION, PLAN_DOCX, PLAN_PDF, PLAN_TXT
from kb import errors
from kb.ingest import read_text
from kb.ingest.repair import normalise_line, repair


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_three_formats_give_the_same_text():
    txt, pdf, docx = (read_text(p) for p in (PLAN_TXT, PLAN_PDF, PLAN_DOCX))
    assert _squash(pdf) == _squash(txt)
    assert _squash(docx) == _squash(txt)


def test_pdf_page_break_and_spaced_digits_are_repaired():
    pdf = read_text(PLAN_PDF)
    assert "水、电、气、网过户与不动产登记同步办理" in pdf
    assert "不超过3天" in pdf and "3 天" not in pdf


def test_plan_artefacts_are_normalised():
    txt = read_text(PLAN_TXT)
    assert "\n- " not in txt and not txt.startswith("- ")
    assert "(三)" not in txt and "（三）" in txt
    assert "永政发〔2022〕8号" in txt
    assert "“六最”" in txt and '"' not in txt


def test_repair_joins_wrapped_lines_but_keeps_paragraphs():
    page = [
        "1.第一条的文字很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长",
        "继续写完。",
        "2.第二条。",
    ]
    out = repair([page], wrapped=True).splitlines()
    assert out[0].endswith("继续写完。") and out[1] == "2.第二条。"


def test_normalise_line_keeps_numbers():
    assert normalise_line("到 2025 年,达到 1,000 户: 0.5 天") == "到2025年，达到1,000户：0.5天"


@pytest.mark.parametrize("encoding", ["gb18030", "utf-16", "utf-8-sig"])
def test_encodings_decode_identically(tmp_path, encoding):
    raw = FAIR_COMPETITION.read_text(encoding="utf-8")
    copy = tmp_path / f"copy-{encoding}.md"
    copy.write_bytes(raw.encode(encoding))
    assert read_text(copy) == read_text(FAIR_COMPETITION)


def _image_only_pdf(path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    for _ in range(2):
        c.setFillGray(0.3)
        c.rect(72, 72, 300, 500, fill=1)  # a scanned page: marks, no text layer
        c.showPage()
    c.save()


def _encrypted_pdf(path):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(str(PLAN_PDF)).pages[:2]:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner")
    with open(path, "wb") as fh:
        writer.write(fh)


def _xlsx_renamed(path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
    path.write_bytes(buf.getvalue())


BAD_INPUTS = {
    "empty.txt": (lambda p: p.write_bytes(b""), errors.EmptyDocument),
    "blank.txt": (lambda p: p.write_text("  \n\n \t\n", encoding="utf-8"), errors.EmptyDocument),
    "scanned.pdf": (_image_only_pdf, errors.ScannedPDF),
    "locked.pdf": (_encrypted_pdf, errors.EncryptedPDF),
    "truncated.docx": (lambda p: p.write_bytes(PLAN_DOCX.read_bytes()[:4000]), errors.CorruptFile),
    "old-word.docx": (lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600), errors.UnsupportedFormat),
    "sheet.docx": (_xlsx_renamed, errors.UnsupportedFormat),
    "notes.rtf": (lambda p: p.write_text("{\\rtf1 第一条}", encoding="utf-8"), errors.UnsupportedFormat),
    "fake.pdf": (lambda p: p.write_text("这不是PDF", encoding="utf-8"), errors.CorruptFile),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_raises_chinese_error(tmp_path, name):
    make, expected = BAD_INPUTS[name]
    path = tmp_path / name
    make(path)
    with pytest.raises(expected) as info:
        read_text(path)
    assert re.search(r"[\u4e00-\u9fff]", info.value.message)
    assert info.value.hint


def test_missing_file(tmp_path):
    with pytest.raises(errors.FileNotFound):
        read_text(tmp_path / "nowhere.txt")


def test_size_limit_is_configurable(tmp_path, monkeypatch):
    big = tmp_path / "big.txt"
    with open(big, "wb") as fh:
        fh.truncate(60 * 1024 * 1024)
    with pytest.raises(errors.FileTooLarge) as info:
        read_text(big)
    assert "50 MB" in info.value.message
    monkeypatch.setenv("KB_MAX_FILE_MB", "1")
    small = tmp_path / "small.txt"
    small.write_bytes("第一条 测试。\n".encode() * 100_000)
    with pytest.raises(errors.FileTooLarge):
        read_text(small)


def test_repair_keeps_a_long_title_apart_from_the_first_heading():
    page = [
        "某市关于进一步加强城市公共服务市场管理的通知（送审稿）",
        "一、总体要求",
        "（一）坚持公开、公平、公正原则，保障各类市场主体依法平等参与城市公共",
        "服务供给。",
    ]
    out = repair([page], wrapped=True).splitlines()
    assert out[:2] == ["某市关于进一步加强城市公共服务市场管理的通知（送审稿）", "一、总体要求"]
    assert out[2].endswith("服务供给。")
