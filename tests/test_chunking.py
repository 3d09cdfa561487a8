from kb.chunking import MAX_CHARS, chunk_document
from kb.corpus import Corpus
from kb.models import SUPERSEDED


def _by_article(chunks):
    out = {}
    for c in chunks:
        if c.article:
            out.setdefault((c.article, c.suffix), []).append(c)
    return out


def _check_identities(doc):
    chunks = chunk_document(doc)
    groups = _by_article(chunks)
    assert sorted(groups) == sorted((a.number, a.suffix) for a in doc.articles)
    for a in doc.articles:
        parts = groups[(a.number, a.suffix)]
        assert all(c.label == a.label and c.doc_id == doc.doc_id for c in parts)
        if len(parts) == 1:
            assert parts[0].part == 0 and parts[0].text == a.text and parts[0].chunk_id == f"{doc.doc_id}#{a.key}"
        else:  # a labelled split: parts 1..n, together exactly the article's paragraphs
            assert [c.part for c in parts] == list(range(1, len(parts) + 1))
            assert all(c.n_parts == len(parts) for c in parts)
            assert "\n".join(c.text for c in parts) == a.text
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    return chunks


def test_every_plan_article_is_one_chunk_or_a_labelled_split():
    doc = Corpus().get("yj-plan-2022")
    chunks = _check_identities(doc)
    assert len([c for c in chunks if c.article]) >= 60
    c22 = next(c for c in chunks if c.article == 22)
    assert c22.doc_title in c22.index_text and "推行企业开办" in c22.index_text and c22.heading in c22.index_text


def test_every_fair_competition_article_is_one_chunk():
    doc = Corpus().get("gpjzsc-2024")
    chunks = _check_identities(doc)
    assert [c.article for c in chunks] == list(range(1, 28))
    assert all(c.kind == "行政法规" and c.date == "2024-06-06" and c.status for c in chunks)


def test_plan_measures_sections_become_labelled_chunks():
    chunks = chunk_document(Corpus().get("yj-plan-2022"))
    finance = [c for c in chunks if c.article == 0 and "加大财政支持" in c.label]
    assert len(finance) == 1
    assert "保障措施" in finance[0].heading and "财政" in finance[0].text


def test_long_article_split_at_paragraphs():
    doc = Corpus().get("hn-yhyshj-2020")
    long = [a for a in doc.articles if len(a.text) > MAX_CHARS and len(a.paragraphs) > 1]
    assert long, "the corpus has a long multi-paragraph article"
    parts = [c for c in chunk_document(doc) if c.article == long[0].number]
    assert len(parts) > 1 and parts[0].chunk_id.endswith("/1")


def test_status_is_carried():
    chunks = chunk_document(Corpus().get("kxzf-2020"))
    assert chunks and all(c.status == SUPERSEDED for c in chunks)
