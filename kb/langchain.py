"""LangChain adapter: the knowledge base as a langchain-core retriever, for chains and agents.

    from kb.langchain import KBRetriever
    docs = KBRetriever(k=5).invoke("企业开办要几天")
"""
from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from kb.models import Hit


class KBRetriever(BaseRetriever):
    """Each Document is one article (or labelled part of one); metadata says where it comes from."""

    k: int = 5
    mode: str = "hybrid"
    collection: str = "default"
    doc: str | None = None  # restrict to one document (title, partial title or id)
    root: str | None = None  # knowledge-base root; default: KB_ROOT / current directory

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        from kb.config import get_settings
        from kb.retrieve import get_retriever

        retriever = get_retriever(get_settings(self.root), collection=self.collection)
        return [to_document(h) for h in retriever.search(query, k=self.k, mode=self.mode, doc=self.doc)]


def to_document(hit: Hit) -> Document:
    c = hit.chunk
    return Document(
        page_content=c.text,
        metadata={"doc": c.doc_title, "doc_id": c.doc_id, "article": c.article, "label": c.label,
                  "status": c.status, "heading": c.heading, "score": float(hit.score), "chunk_id": c.chunk_id,
                  "part": c.part},
    )
