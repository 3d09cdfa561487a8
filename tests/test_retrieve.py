import os
import subprocess
import sys
from pathlib import Path

import pytest

from kb import errors
from kb.models import SUPERSEDED
from kb.retrieve import Retriever, collapse_duplicates, get_retriever, validate_query
from kb.models import Hit

from conftest import ROOT


@pytest.fixture(scope="module")
def retriever(indexed_settings) -> Retriever:
    return get_retriever(indexed_settings)


def _top(hits):
    return (hits[0].chunk.doc_id, hits[0].chunk.article)


@pytest.mark.parametrize("query, expected", [
    ("优化营商环境条例第十条", ("yhyshj-2019", 10)),
    ("规划第22条", ("yj-plan-2022", 22)),
    ("公平竞争审查条例第八条第三项", ("gpjzsc-2024", 8)),
    ("《中华人民共和国行政处罚法》第三十二条", ("xzcff-2021", 32)),
    ("企业破产法第一百零二条", ("qypcf-2006", 102)),
    ("政府采购法第52条讲什么", ("zfcgf-2014", 52)),
    ("款项支付条例第十条", ("kxzf-2025", 10)),  # partial title, current version preferred
])
def test_named_article_comes_first(retriever, query, expected):
    for mode in ("hybrid", "bm25"):
        hits = retriever.search(query, k=5, mode=mode)
        assert _top(hits) == expected
        assert len(hits) == 5  # normal results follow the exact hit


def test_query_found_only_through_synonym(retriever):
    query = "开公司要多久能办下来"  # the plan says 企业开办, never 开公司
    seg = retriever.seg
    plain = [(c.doc_id, c.article) for c, _ in retriever.store.search_sparse(seg.tokens(query), 10)]
    assert ("yj-plan-2022", 22) not in plain
    hits = retriever.search(query, k=5, mode="bm25")
    assert ("yj-plan-2022", 22) in [(h.chunk.doc_id, h.chunk.article) for h in hits]


def test_current_payment_regulation_outranks_superseded(retriever):
    hits = retriever.search("机关、事业单位从中小企业采购货物、工程、服务，应当自货物、工程、服务交付之日起多少日内支付款项", k=10)
    ids = [h.chunk.doc_id for h in hits]
    assert "kxzf-2025" in ids and ids.index("kxzf-2025") < (ids + ["kxzf-2020"]).index("kxzf-2020")
    assert all(h.chunk.status for h in hits)


def test_every_mode_returns_hits_with_status(retriever):
    for mode in ("bm25", "dense", "hybrid"):
        hits = retriever.search("政府采购 中小企业 预留份额", k=10, mode=mode)
        assert len(hits) == 10 and all(h.chunk.status in ("现行有效", "已被修订") for h in hits)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_doc_filter(retriever):
    hits = retriever.search("审查", k=8, doc="公平竞争审查条例")
    assert hits and {h.chunk.doc_id for h in hits} == {"gpjzsc-2024"}
    with pytest.raises(errors.BadQuery):
        retriever.search("审查", doc="不存在的文件标题甲乙丙")


def test_near_duplicates_collapse_to_current_version(retriever):
    old = {c.text: c for c in retriever.store.doc_chunks("kxzf-2020")}
    pair = next((old[c.text], c) for c in retriever.store.doc_chunks("kxzf-2025") if c.text in old)
    hits = collapse_duplicates([Hit(pair[0], 2.0), Hit(pair[1], 1.0)], k=10)
    assert [h.chunk.doc_id for h in hits] == ["kxzf-2025"] and hits[0].score == 2.0
    assert pair[0].status == SUPERSEDED


@pytest.mark.parametrize("query", ["", "   ", "，。！？……", "?!", "啊" * 10_000])
def test_bad_queries_get_a_chinese_message(retriever, query):
    with pytest.raises(errors.BadQuery) as exc:
        retriever.search(query)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in exc.value.message)
    with pytest.raises(errors.BadQuery):
        validate_query(query)


@pytest.mark.parametrize("query", ["，。！？", "啊" * 10_000])
def test_cli_bad_query_exit_code_and_message(indexed_settings, query):
    # PYTHONPATH: the subprocess runs this checkout's kb, whatever the interpreter has installed
    env = {"KB_ROOT": str(indexed_settings.root), "KB_EMBED_MODEL": indexed_settings.embed_model, "PATH": "",
           "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.run([sys.executable, "-m", "kb.cli", "search", query], capture_output=True, text=True, env=env,
                          cwd=str(indexed_settings.root))
    assert proc.returncode != 0
    assert "错误" in proc.stderr and "查询" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_cli_search_json_and_batch(indexed_settings, monkeypatch, capsys, tmp_path):
    import json

    from kb.cli import main

    monkeypatch.setenv("KB_ROOT", str(indexed_settings.root))
    monkeypatch.setenv("KB_EMBED_MODEL", indexed_settings.embed_model)
    assert main(["search", "规划第22条", "-k", "3", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 3 and hits[0]["doc_id"] == "yj-plan-2022" and hits[0]["article"] == 22
    assert {"doc", "doc_id", "article", "label", "heading", "status", "score", "text"} <= set(hits[0])

    batch = tmp_path / "queries.jsonl"
    batch.write_text('{"id": "a", "query": "优化营商环境条例第十条"}\n{"id": "b", "query": "？？"}\n', encoding="utf-8")
    assert main(["search", "--batch", str(batch), "-k", "2"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["id"] for x in lines] == ["a", "b"]
    assert lines[0]["hits"][0]["article"] == 10 and len(lines[0]["hits"]) == 2
    assert lines[1]["hits"] == [] and "标点" in lines[1]["error"]


def test_item_reference_is_reported_with_the_exact_hit(retriever):
    hit = retriever.search("公平竞争审查条例第八条第三项", k=1)[0]
    assert hit.scores["exact"] == 1.0 and hit.scores["item"] == 3
    assert "（三）" in hit.chunk.text


@pytest.mark.parametrize("place, other", [("广东", "河南"), ("河南", "广东")])
def test_a_named_place_prefers_its_own_rules(retriever, place, other):
    hits = retriever.search(f"在{place}材料不全能不能容缺受理", k=10, mode="bm25")
    titles = [h.chunk.doc_title for h in hits]
    mine = next(i for i, t in enumerate(titles) if t.startswith(place))
    theirs = next((i for i, t in enumerate(titles) if t.startswith(other)), len(titles))
    assert mine == 0 and mine < theirs


@pytest.mark.parametrize("query, expected", [
    ("保障中小企业款项支付条例什么时候开始施行", ("kxzf-2025", 37)),
    ("公平竞争审查条例哪天起实施？", ("gpjzsc-2024", 27)),
    ("行政许可法的施行日期", ("xzxkf-2019", 83)),
])
def test_effective_date_question_finds_the_commencement_article(retriever, query, expected):
    hits = retriever.search(query, k=3)
    assert _top(hits) == expected and "施行" in hits[0].chunk.text


def test_effective_date_question_without_a_document_is_ordinary_search(retriever):
    hits = retriever.search("什么时候开始施行", k=3)
    assert hits and all("exact" not in h.scores for h in hits)


def test_a_question_sharing_no_word_with_its_article_is_found_through_e5(retriever):
    """行政处罚法第三十六条 (二年内未被发现的，不再给予行政处罚) asked in words it does not use."""
    question = "做了错事两年都没人发现，之后还会挨罚吗"
    article = next(c for c in retriever.store.doc_chunks("xzcff-2021") if c.article == 36)
    assert not set(retriever.seg.tokens(question)) & set(retriever.seg.tokens(article.text))
    key = ("xzcff-2021", 36)
    assert key not in [(h.chunk.doc_id, h.chunk.article) for h in retriever.search(question, k=3, mode="bm25")]
    assert [(h.chunk.doc_id, h.chunk.article) for h in retriever.search(question, k=1, mode="dense")] == [key]
    assert key in [(h.chunk.doc_id, h.chunk.article) for h in retriever.search(question, k=5)]


def test_the_query_path_imports_no_torch(indexed_settings):
    """Searching (every mode) and answering run on numpy, jieba, bm25s, FAISS and the e5 engine only."""
    script = ("import sys\n"
              "from kb.cli import main\n"
              "for mode in ('bm25', 'dense', 'hybrid'):\n"
              "    assert main(['search', '企业开办要几天', '--mode', mode, '--json']) == 0\n"
              "assert main(['ask', '企业开办要几天', '--json']) == 0\n"
              "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))\n")
    env = {**os.environ, "KB_ROOT": str(indexed_settings.root), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_a_vanished_model_leaves_keyword_search_and_ask_working_and_says_why(tmp_path_factory, tiny_model, capsys):
    """The index's model folder deleted after the build: hybrid search and `kb ask` fall back to BM25 with a note
    naming the missing model; only an explicit dense search is an error."""
    import shutil

    from conftest import indexed_root
    from kb.answer import answer_question
    from kb.cli import main

    model = tmp_path_factory.mktemp("doomed") / "model"
    shutil.copytree(tiny_model, model)
    settings = indexed_root(tmp_path_factory, "model-vanishes", embed_model=str(model))
    shutil.rmtree(model)
    retriever = Retriever(*_open(settings))
    assert retriever.search("企业开办时间", k=3, mode="hybrid")
    assert not retriever.dense_ready() and "找不到向量模型" in retriever.encoder_error.message
    with pytest.raises(errors.ModelError):
        retriever.search("企业开办时间", k=3, mode="dense")
    a = answer_question("企业开办要几天", settings=settings, retriever=retriever)
    assert a.citations and any("语义模型不可用" in n and str(model) in n for n in a.notes)
    os.environ["KB_ROOT"] = str(settings.root)
    try:
        assert main(["search", "企业开办时间", "-k", "3"]) == 0
    finally:
        del os.environ["KB_ROOT"]
    assert "只用关键词" in capsys.readouterr().err


def _open(settings):
    from kb.index.store import open_store
    from kb.retrieve import query_encoder

    store = open_store(settings)
    return store, query_encoder(settings, store, "default")


@pytest.mark.parametrize("query", ["欠中小企业的钱最晚多久要付", "开公司要多久", "招标文件发出后多少天才能截止投标"])
def test_hybrid_search_is_the_fused_hits_in_the_rankers_order(retriever, query):
    """The hybrid order's last stage is the assistant's ranker: the same first 20 hits, each article's hits
    together, in the order of their articles' ranker scores (which the hits now carry, the fused score kept)."""
    from kb.answer import CANDIDATES

    fused = retriever.search(query, k=CANDIDATES, rerank=False)
    ranked = retriever.search(query, k=CANDIDATES)
    assert sorted(h.chunk.chunk_id for h in ranked) == sorted(h.chunk.chunk_id for h in fused)
    assert [h.score for h in ranked] == sorted((h.score for h in ranked), reverse=True)
    assert all(h.scores["fused"] == f.score for h in ranked for f in fused if f.chunk.chunk_id == h.chunk.chunk_id)
    assert ranked[0].to_json()["fused_score"] == round(ranked[0].scores["fused"], 6) and "fused_score" not in fused[0].to_json()
    articles = [(h.chunk.doc_id, h.chunk.article) for h in ranked if h.chunk.article]
    assert len(set(articles)) == len(dict.fromkeys(articles))  # no article's hits are split up
    assert retriever.search(query, k=5) == ranked[:5]  # a short list is the head of the reranked one
    assert retriever.search(query, k=5, mode="bm25") == retriever.search(query, k=5, mode="bm25", rerank=False)
