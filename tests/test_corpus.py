"""The manifest and `kb corpus add/list/remove`, through the real CLI entry point."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from conftest import FAIR_COMPETITION, ROOT
from kb.cli import main
from kb.corpus import Corpus
from kb.models import SUPERSEDED


def _snapshot(root):
    return {p.relative_to(root): p.read_bytes() for p in (root / "corpus").rglob("*") if p.is_file()}


def _json(capsys, argv):
    capsys.readouterr()
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_manifest_lists_the_default_corpus():
    entries = Corpus().entries()
    assert len(entries) == 25
    by_id = {e.id: e for e in entries}
    assert by_id["kxzf-2020"].status == SUPERSEDED and by_id["kxzf-2020"].superseded_by == "kxzf-2025"
    assert by_id["kxzf-2025"].status == "现行有效"
    assert all(e.title and e.kind and e.issuer and e.date for e in entries)


def test_list_json_has_article_counts(tmp_root, capsys):
    rows = _json(capsys, ["corpus", "list", "--json"])
    counts = {r["id"]: r["articles"] for r in rows}
    assert counts["yj-plan-2022"] == 60 and counts["gpjzsc-2024"] == 27


def test_add_list_remove_roundtrip(tmp_root, tmp_path, capsys):
    draft = tmp_path / "新规定.md"
    draft.write_text("# 某市促进条例\n第一条 为了测试，制定本条例。\n第二条 审批时限为十个工作日。\n", encoding="utf-8")
    added = _json(capsys, ["corpus", "add", str(draft), "--title", "某市促进条例", "--date", "2026-01-01", "--json"])
    assert added["articles"] == 2
    ids = [r["id"] for r in _json(capsys, ["corpus", "list", "--json"])]
    assert added["id"] in ids and len(ids) == 26
    # the same content again is refused, nothing duplicated
    assert main(["corpus", "add", str(draft)]) != 0
    assert "已在知识库中" in capsys.readouterr().err
    assert len(_json(capsys, ["corpus", "list", "--json"])) == 26
    _json(capsys, ["corpus", "remove", added["id"], "--json"])
    ids = [r["id"] for r in _json(capsys, ["corpus", "list", "--json"])]
    assert added["id"] not in ids and len(ids) == 25
    assert not list((tmp_root / "corpus" / "user").glob("*"))


def test_supersedes_links_versions(tmp_root, tmp_path, capsys):
    newer = tmp_path / "公平竞争审查条例-修订.md"
    newer.write_text(FAIR_COMPETITION.read_text(encoding="utf-8") + "\n第二十八条 新增条文。\n", encoding="utf-8")
    added = _json(capsys, ["corpus", "add", str(newer), "--supersedes", "gpjzsc-2024", "--json"])
    old = Corpus().entry("gpjzsc-2024")
    assert old.status == SUPERSEDED and old.superseded_by == added["id"]


@pytest.mark.parametrize("name,content", [
    ("empty.txt", b""),
    ("binary.docx", b"PK\x03\x04broken"),
    ("scan.xlsx", b"whatever"),
    ("no-structure.txt", "只是一段话，没有条文。".encode()),
])
def test_bad_add_writes_nothing(tmp_root, tmp_path, capsys, name, content):
    bad = tmp_path / name
    bad.write_bytes(content)
    before = _snapshot(tmp_root)
    assert main(["corpus", "add", str(bad)]) != 0
    err = capsys.readouterr().err
    assert "错误" in err and "Traceback" not in err
    assert _snapshot(tmp_root) == before


def test_missing_path_and_unknown_id(tmp_root, capsys):
    assert main(["corpus", "add", str(tmp_root / "nope.pdf")]) != 0
    assert "找不到文件" in capsys.readouterr().err
    assert main(["corpus", "remove", "no-such-id"]) != 0
    assert "没有编号为" in capsys.readouterr().err


def test_console_script_exit_code_and_message(tmp_path):
    """The installed `kb` command itself: Chinese message on stderr, non-zero exit, no traceback."""
    kb = shutil.which("kb", path=str(ROOT / ".venv" / "bin")) or shutil.which("kb")
    cmd = [kb] if kb else [sys.executable, "-m", "kb.cli"]
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    proc = subprocess.run(cmd + ["parse", str(empty)], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "没有可读取的文字内容" in proc.stderr and "Traceback" not in proc.stderr
    ok = subprocess.run(cmd + ["parse", str(FAIR_COMPETITION), "--json"], capture_output=True, text=True)
    assert ok.returncode == 0
    tree = json.loads(ok.stdout)
    assert tree["counts"]["articles"] == 27 and tree["articles"][7]["label"] == "第八条"
    assert len(tree["articles"][7]["items"]) == 5
