from langchain_core.documents import Document

from kb.langchain import KBRetriever


def test_langchain_retriever_returns_articles_with_metadata(indexed_settings, monkeypatch):
    monkeypatch.setenv("KB_EMBED_MODEL", indexed_settings.embed_model)
    docs = KBRetriever(k=3, root=str(indexed_settings.root)).invoke("优化营商环境条例第十条")
    assert len(docs) == 3 and all(isinstance(d, Document) for d in docs)
    first = docs[0]
    assert first.metadata["doc_id"] == "yhyshj-2019" and first.metadata["article"] == 10
    assert first.metadata["label"] == "第十条" and first.metadata["doc"] == "优化营商环境条例"
    assert first.metadata["status"] == "现行有效" and first.metadata["heading"].startswith("第二章")
    assert isinstance(first.metadata["score"], float)
    assert "平等" in first.page_content


def test_langchain_retriever_bm25_mode_and_doc_filter(indexed_settings, monkeypatch):
    monkeypatch.setenv("KB_EMBED_MODEL", indexed_settings.embed_model)
    docs = KBRetriever(k=4, mode="bm25", doc="公平竞争审查条例", root=str(indexed_settings.root)).invoke("政策措施")
    assert docs and {d.metadata["doc_id"] for d in docs} == {"gpjzsc-2024"}
