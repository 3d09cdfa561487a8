"""Bounded input: zip bombs, page and character caps, UTF-16 without BOM, bad batch lines, unwritable outputs."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from kb import errors
from kb.ingest import limits, read_text
from kb.structure import parse_file
from conftest import FAIR_COMPETITION, PLAN_DOCX, PLAN_PDF

ROOT = Path(__file__).resolve().parent.parent
PARA = ("<w:p><w:r><w:t>" + "第一条 本办法适用于本市行政区域内的政府采购活动。" * 4 + "</w:t></w:r></w:p>").encode()


def make_bomb(path: Path, inflated: int, level: int = 1) -> Path:
    """A real .docx (python-docx's own parts) whose document.xml inflates to `inflated` bytes."""
    from docx import Document

    base = path.with_suffix(".base.docx")
    doc = Document()
    doc.add_paragraph("第一条 测试。")
    doc.save(base)
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zout:
        for item in zin.infolist():
            if item.filename != "word/document.xml":
                zout.writestr(item, zin.read(item))
                continue
            head, tail = zin.read(item).split(b"<w:body>")
            with zout.open("word/document.xml", "w", force_zip64=True) as fh:
                fh.write(head + b"<w:body>")
                block, written = PARA * 4000, 0
                while written < inflated:
                    fh.write(block)
                    written += len(block)
                fh.write(tail)
    base.unlink()
    return path


@pytest.fixture(scope="session")
def bomb(tmp_path_factory) -> Path:
    """The issue's bomb: a ~10 MB .docx whose document.xml inflates to 1.2 GB."""
    return make_bomb(tmp_path_factory.mktemp("bomb") / "草案.docx", 1200 * limits.MB)


def test_zip_bomb_is_refused_fast_and_small_by_every_command(bomb, tmp_root):
    env = {**os.environ, "KB_ROOT": str(tmp_root), "PYTHONPATH": str(ROOT)}
    manifest = (tmp_root / "corpus" / "manifest.toml").read_bytes()
    baseline = _peak_rss([sys.executable, "-m", "kb.cli", "parse", str(FAIR_COMPETITION)], env)
    for args in (["parse", str(bomb)], ["corpus", "add", str(bomb)], ["review", str(bomb)]):
        t0 = time.perf_counter()
        res, peak = _run_peak([sys.executable, "-m", "kb.cli", *args], env)
        seconds = time.perf_counter() - t0
        assert res.returncode == 2, (args, res.stderr)
        assert "文件内容超出处理上限" in res.stderr and "压缩比" in res.stderr and "Traceback" not in res.stderr
        assert seconds < 2.0, (args, seconds)
        assert peak - baseline <= 200 * limits.MB, (args, peak, baseline)
    assert (tmp_root / "corpus" / "manifest.toml").read_bytes() == manifest
    assert not (tmp_root / "corpus" / "user").exists()


def _run_peak(cmd: list[str], env: dict) -> tuple[subprocess.CompletedProcess, int]:
    """Run cmd; its result and its own peak RSS in bytes (wait4 reports the child's ru_maxrss in KiB)."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return subprocess.CompletedProcess(cmd, proc.returncode, out.decode(), err.decode()), usage.ru_maxrss * 1024


def _peak_rss(cmd: list[str], env: dict) -> int:
    res, peak = _run_peak(cmd, env)
    assert res.returncode == 0, res.stderr
    return peak


def test_compression_ratio_alone_is_refused(tmp_path):
    small_bomb = make_bomb(tmp_path / "ratio.docx", 30 * limits.MB, level=9)  # under the size cap, 300:1
    with pytest.raises(errors.ContentTooLarge) as exc:
        read_text(small_bomb)
    assert "压缩比" in exc.value.message


def test_pdf_page_cap_and_character_cap(monkeypatch):
    monkeypatch.setattr(limits, "PDF_MAX_PAGES", 2)
    with pytest.raises(errors.ContentTooLarge) as exc:
        read_text(PLAN_PDF)
    assert "上限 2 页" in exc.value.message
    monkeypatch.setattr(limits, "MAX_CHARS", 1000)
    for path in (PLAN_DOCX, FAIR_COMPETITION):
        with pytest.raises(errors.ContentTooLarge):
            read_text(path)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_reads_like_utf8(tmp_path, encoding):
    text = FAIR_COMPETITION.read_text(encoding="utf-8")
    path = tmp_path / "条例.md"
    path.write_bytes(text.encode(encoding))  # no BOM: pure Chinese has no zero bytes at all
    assert read_text(path) == read_text(FAIR_COMPETITION)
    assert len(parse_file(path).articles) == len(parse_file(FAIR_COMPETITION).articles)


def test_mostly_ascii_utf16_without_bom(tmp_path):
    text = "“Notice” 2024\n\n" + "\n".join(f"第{n}条 Section {n}: the applicant shall file form A-{n} within 5 days."
                                          for n in "一二三")
    path = tmp_path / "notice.txt"
    path.write_bytes(text.encode("utf-16-le"))
    doc = parse_file(path)
    assert [a.label for a in doc.articles] == ["第一条", "第二条", "第三条"]
    assert "the applicant shall file form A-二" in doc.articles[1].text


def test_binary_and_gbk_are_still_told_apart(tmp_path):
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes(FAIR_COMPETITION.read_text(encoding="utf-8").encode("gb18030"))
    assert read_text(gbk) == read_text(FAIR_COMPETITION)
    binary = tmp_path / "setup.txt"
    binary.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(errors.CorruptFile):
        read_text(binary)


def test_batch_bad_lines_become_error_records(indexed_settings, monkeypatch, capsys, tmp_path):
    from kb.cli import main

    monkeypatch.setenv("KB_ROOT", str(indexed_settings.root))
    monkeypatch.setenv("KB_EMBED_MODEL", indexed_settings.embed_model)
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"id": "a", "query": "企业开办"}\n{"id": "b", "query": 42}\n{broken json\n'
                     '{"id": "d"}\n{"id": "e", "query": "行政许可"}\n', encoding="utf-8")
    assert main(["search", "--batch", str(batch), "-k", "1"]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", "3", "d", "e"]
    assert rows[0]["hits"] and rows[4]["hits"] and "error" not in rows[0]
    assert "query 必须是字符串" in rows[1]["error"] and "不是有效的 JSON" in rows[2]["error"]
    assert all(r["hits"] == [] and r["line"] == i for i, r in ((2, rows[1]), (3, rows[2]), (4, rows[3])))


def test_review_report_to_unwritable_path(tmp_path, tmp_root):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    draft = tmp_path / "草案.txt"
    draft.write_text("第一条 投标人须在本市注册并设立分支机构。", encoding="utf-8")
    env = {**os.environ, "KB_ROOT": str(tmp_root), "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-m", "kb.cli", "review", str(draft), "--report", str(blocker / "意见.docx")],
                         env=env, capture_output=True, text=True)
    assert res.returncode == 2 and "无法写入输出文件" in res.stderr and "Traceback" not in res.stderr
    assert blocker.read_text() == "x"
