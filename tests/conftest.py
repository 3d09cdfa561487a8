"""Shared fixtures: real corpus files, and a private copy of the corpus for tests that write."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kb.config import get_settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PLAN_TXT = CORPUS / "plan" / "永济市“十四五”“六最”营商环境建设规划.txt"
PLAN_PDF = FIXTURES / "永济市六最营商环境建设规划.pdf"
PLAN_DOCX = FIXTURES / "永济市六最营商环境建设规划.docx"
FAIR_COMPETITION = CORPUS / "regulations" / "公平竞争审查条例(2024-06-06).md"


# --- small documents that tests add to a corpus -----------------------------------------------------------------
NEW_LAW = ("# 鲲鹏数字营业执照试点办法\n\n第一条 为推进鲲鹏数字营业执照试点，制定本办法。\n\n"
           "第二条 试点地区的市场主体可以申领鲲鹏数字营业执照。\n")


def corpus_copy(folder: Path, keep: tuple[str, ...] | None = None) -> Path:
    """A private corpus copy in folder (optionally only the documents whose ids are in keep), with an empty indexes/."""
    shutil.copytree(CORPUS, folder / "corpus")
    (folder / "indexes").mkdir()
    if keep:
        import tomllib

        import tomli_w

        manifest = folder / "corpus" / "manifest.toml"
        rows = tomllib.loads(manifest.read_text(encoding="utf-8"))["document"]
        manifest.write_text(tomli_w.dumps({"document": [r for r in rows if r["id"] in keep]}), encoding="utf-8")
    return folder


def policy(folder: Path, name: str, term: str) -> Path:
    """A two-article local measure about `term` (a word no corpus document uses), written to folder/name.md."""
    path = folder / f"{name}.md"
    path.write_text(f"# {name}\n\n第一条 为支持{term}产业发展，制定本办法。\n\n"
                    f"第二条 {term}企业申请补贴的，主管部门应当在5个工作日内办结。\n", encoding="utf-8")
    return path


@pytest.fixture
def tmp_root(tmp_path, monkeypatch):
    """A writable copy of corpus/ (and an empty indexes/) that KB_ROOT points to."""
    shutil.copytree(CORPUS, tmp_path / "corpus")
    (tmp_path / "indexes").mkdir()
    monkeypatch.setenv("KB_ROOT", str(tmp_path))
    return tmp_path


@pytest.fixture
def tmp_settings(tmp_root):
    return get_settings(tmp_root)


# --- retrieval (tests/test_index.py, test_retrieve.py, test_langchain.py) ---------------------------------------
@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> str:
    """A tiny static embedding model trained on the repo corpus (well under a minute), shared by the session."""
    from kb.embed import train_model

    return str(train_model(tmp_path_factory.mktemp("tiny-model"), CORPUS, tiny=True, progress=False))


SHARED_CACHE = ROOT / "indexes" / "cache"  # e5 vectors of the corpus, filled by `make setup`


def indexed_root(tmp_path_factory, name: str, **settings):
    """A private root holding a copy of the corpus, indexed with the given settings."""
    import dataclasses

    from kb.index.build import build_index

    root = tmp_path_factory.mktemp(name)
    shutil.copytree(CORPUS, root / "corpus")
    built = dataclasses.replace(get_settings(root), **settings)
    build_index(built, progress=False)
    return built


@pytest.fixture(scope="session")
def indexed_settings(tmp_path_factory):
    """Settings of a private root holding a copy of the corpus indexed as the product indexes it (BM25 + e5;
    read-only use). The e5 vectors come from the repo's vector cache, so this takes seconds after make setup."""
    return indexed_root(tmp_path_factory, "indexed-root", embed_model="e5", cache_root=SHARED_CACHE)



# --- the assistant (tests/test_answer.py, test_assistant_v2.py) ---------------------------------------------------
@pytest.fixture(scope="module")
def ask(indexed_settings):
    """answer_question over the shared indexed corpus."""
    from kb.answer import answer_question

    def _ask(question: str, k: int = 5):
        return answer_question(question, k=k, settings=indexed_settings)
    return _ask


@pytest.fixture(scope="module")
def corpus(indexed_settings):
    from kb.corpus import Corpus

    return Corpus(indexed_settings)

# --- the web server (tests/test_web_access.py, test_app_browser.py) --------------------------------------------
PASSWORDS = {"admin": "admin-pass-123", "editor": "editor-pass-123", "viewer": "viewer-pass-123",
             "locked": "locked-pass-123"}


@pytest.fixture(scope="session")
def web_server(tmp_path_factory, tiny_model):
    """`kb serve` on a private, indexed, writable corpus copy with one account per role (and one to lock out)."""

    from kb.accounts import Accounts
    from kb.audit import Actor
    from webclient import Server

    settings = indexed_root(tmp_path_factory, "webroot", embed_model=tiny_model)
    root = settings.root
    accounts = Accounts(settings)
    for name, password in PASSWORDS.items():
        accounts.add(name, "viewer" if name == "locked" else name, password, Actor("fixture", "cli"))
    server = Server(root, env={"KB_EMBED_MODEL": tiny_model}).wait_ready()
    server.settings = settings
    yield server
    server.stop()
