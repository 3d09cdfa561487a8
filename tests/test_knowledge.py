"""kb.knowledge: the assistant's documents rebuilt from stored chunks are the parsed documents, exactly."""
from __future__ import annotations

import pytest

from kb.chunking import HARD_MAX_CHARS, chunk_document
from kb.corpus import Corpus
from kb.index.build import record_of
from kb.knowledge import document
from kb.library import law_documents
from kb.models import Article, Document, Paragraph

from conftest import ROOT


def _roundtrip(doc: Document) -> None:
    rebuilt = document(record_of(doc, ""), chunk_document(doc))
    assert [(a.number, a.suffix, a.label, a.title) for a in rebuilt.articles] == \
        [(a.number, a.suffix, a.label, a.title) for a in doc.articles if a.text]
    for old, new in zip([a for a in doc.articles if a.text], rebuilt.articles):
        assert new.text == old.text and new.heading == old.heading


def test_every_corpus_article_comes_back_exactly():
    for doc in Corpus().documents():
        _roundtrip(doc)


@pytest.mark.slow
def test_every_library_article_comes_back_exactly():
    docs, _ = law_documents(ROOT / "data" / "lawrefbook-md.tar.xz")
    assert len(docs) > 3400
    for doc in docs:
        _roundtrip(doc)


def test_a_paragraph_too_long_for_one_chunk_is_cut_at_sentences_and_joined_back():
    sentence = "经营者应当依法诚信经营，自觉维护公平竞争的市场秩序。"
    text = sentence * (HARD_MAX_CHARS // len(sentence) + 40)
    doc = Document("d", "某办法", "其他", text, articles=[Article("d", 1, "第一条", text, paragraphs=[Paragraph(1, text)])])
    chunks = chunk_document(doc)
    assert len(chunks) > 1 and all(len(c.text) <= HARD_MAX_CHARS for c in chunks)
    assert [c.continues for c in chunks] == [False] + [True] * (len(chunks) - 1)
    _roundtrip(doc)
