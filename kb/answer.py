"""The assistant: a question in, an answer out that only says what cited articles say.

Pipeline: retrieve ~20 candidate chunks (hybrid) → one candidate per article, superseded versions replaced by
the current one → features per candidate (retrieval rank and score, e5 similarity of the question to the
article, term coverage of article and best sentence, intent evidence) → rank them with the fitted ranker →
the gate decides whether the corpus answers at all (kb.assistant.model) → pick the answering sentences →
compose 结论 / 依据 / 可能相关 from those sentences (quoted) and labelled summaries of them (deadline and list
extraction). When the gate says no, abstain and list the nearest articles.
"""
from __future__ import annotations

import math
import re
import threading
import weakref
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from kb import errors
from kb import knowledge as kb_knowledge
from kb.assistant import eligibility, steps, yesno
from kb.assistant.model import AssistantModel, model_for
from kb.assistant.render import ref, version_ref
from kb.config import Settings, get_settings
from kb.deadlines import article_deadlines
from kb.intent import DEADLINE, LIST, Intent, asked_types, classify, evidence, states
from kb.models import SUPERSEDED, Answer, Article, Citation, Document, Hit, SummaryItem
from kb.numerals import basis_articles
from kb.terms import Term, TermScorer
from kb.versions import (
    VersionChange,
    article_changes,
    asks_what_changed,
    changed_sentence,
    corresponding_article,
    current_of,
    predecessors,
)

MAX_QUESTION_CHARS = 500
MAX_QUOTE_CHARS = 200  # a 款 up to this long is quoted whole rather than cut at its first "；"
MAX_LIST_QUOTE_CHARS = 400  # a lead-in "包括：" and its items
# The main article is quoted whole up to this length (92% of the default corpus's articles; median 101 characters),
# so its provisos and exceptions ("…法律另有规定的除外") stand with the rule; a longer one gives the 款 around its best
# sentence. Key facts in the answer on the folded blind sets: .694 without, .698 at 150, .712 at 250, .723 at 400.
MAX_WHOLE_ARTICLE_CHARS = 250
NEAR_RANKS, NEAR_SCORE = 3, 0.5  # the articles quoted beside the basis: of the best three, ranked this near the best
_ITEM = re.compile(r"\s*（[一二三四五六七八九十]+）")
_LEAD_IN = re.compile(r"：\s*(?:\n|$)")
CANDIDATES = 20
_OLD_VERSION = re.compile(r"旧版|老版|修订前|修改前|原版|原条例|(?:19|20)\d{2}年版")
_HAS_WORD = re.compile(r"[\w\u4e00-\u9fff]")
_LIST_WORD = re.compile(r"清单|名单|目录|名录")
# Where a list's name starts, looking back from 清单: punctuation, or a verb/conjunction before the name.
_NAME_START = re.compile(r".*(?:[，。；、：（）()]|和|及|与|或|并|实施|编制|制定|出台|建立|明确|落实|推行|公开|全面|依法|纳入|列入|对|按照|根据|规范|完善|健全|发布|公布)")

W_SENTENCE_EVIDENCE = 0.5  # within an article: the sentence that answers the intent beats a mere restatement
# … and one that means the question more closely than the words show (e5): chosen on the folded blind sets from
# 0 / 3 / 10 / 30, key facts in the answer .690 / .694 / .692 / .691 (a .01 cosine lead is worth .03 of coverage)
W_SENTENCE_COSINE = 3.0


# --- input ------------------------------------------------------------------------------------------
def validate_question(question: str | None) -> str:
    q = (question or "").strip()
    if not q:
        raise errors.BadQuery("问题不能为空", hint="请输入一个完整的问题，例如：企业开办要多长时间？")
    if not _HAS_WORD.search(q):
        raise errors.BadQuery("问题只有标点或符号，无法检索", hint="请用文字描述您想了解的内容")
    if len(q) > MAX_QUESTION_CHARS:
        raise errors.BadQuery(f"问题过长（{len(q)} 字，上限 {MAX_QUESTION_CHARS} 字）", hint="请精简为一个具体的问题")
    return q


# --- the knowledge the assistant reads ------------------------------------------------------------------
@dataclass
class Knowledge:
    docs: dict[str, Document]
    scorer: TermScorer
    chunk_ids: dict[tuple[str, int, int], list[str]]  # (doc_id, article, suffix) → its chunks in the store
    # the mean of the articles' vectors: question · centroid is the question's mean similarity to the corpus, how
    # much it reads like something this corpus is about (the gate's "domain"; None without vectors)
    centroid: np.ndarray | None = None


_KNOWLEDGE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # store → (generation, knowledge)
_KNOWLEDGE_LOCK = threading.Lock()


def knowledge(store) -> Knowledge:
    """The indexed documents (kb.knowledge) with their term statistics, rebuilt when the store changes."""
    with _KNOWLEDGE_LOCK:
        cached = _KNOWLEDGE.get(store)
        if cached and cached[0] == store.generation():
            return cached[1]
        docs, chunks = kb_knowledge.read(store)
        ids = [i for group in chunks.values() for i in group]
        centroid = store.vectors(ids).mean(axis=0) if store.has_dense and ids else None
        kn = Knowledge(docs, TermScorer(list(docs.values())), chunks, centroid)
        _KNOWLEDGE[store] = (store.generation(), kn)
        return kn


# --- candidates and their scores --------------------------------------------------------------------------
@dataclass
class Sentence:
    text: str  # exact substring of the article text
    coverage: float
    evidence: float
    cosine: float = 0.0  # e5 similarity to the question (0 without sentence vectors)

    @property
    def score(self) -> float:
        return self.coverage + W_SENTENCE_EVIDENCE * self.evidence


@dataclass
class Candidate:
    doc: Document
    article: Article
    rank: int  # first position among the retrieval hits
    retrieval: float = 0.0  # its best hit's score relative to the top hit's
    exact: bool = False  # the question names this article ("…条例第十条")
    coverage: float = 0.0  # of the question by the whole article (with its title and headings)
    sentences: list[Sentence] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)  # of the hits that stand for it, in the hit list
    cosine: float = 0.0  # encoder similarity of the question to the article (its best chunk)
    sentence_cosine: float = 0.0  # … and to the article's closest sentence
    features: dict[str, float] = field(default_factory=dict)
    score: float = 0.0  # the ranker's logit

    @property
    def best(self) -> Sentence:
        """The sentence that covers the question best in words (what the ranker's and gate's features read)."""
        return max(self.sentences, key=lambda s: s.score)

    @property
    def quoted(self) -> Sentence:
        """The sentence an answer quotes: the best in words, or one that means the question more closely."""
        return max(self.sentences, key=lambda s: s.score + W_SENTENCE_COSINE * s.cosine)


def asks_for_old_version(question: str) -> bool:
    return bool(_OLD_VERSION.search(question))


def candidates(kn: Knowledge, hits: list[Hit], keep_old: bool = False) -> list[Candidate]:
    """One candidate per article, in retrieval order; a superseded version's hit stands for the current one
    unless the question asks about the old version (keep_old)."""
    out: dict[tuple[str, int], Candidate] = {}
    top = max((h.score for h in hits), default=1.0) or 1.0

    def add(doc, article, rank, hit):
        c = out.setdefault((doc.doc_id, article.number), Candidate(doc, article, rank))
        c.positions.append(rank)
        c.retrieval = max(c.retrieval, hit.score / top)
        c.exact = c.exact or "exact" in hit.scores

    for rank, hit in enumerate(hits):
        c = hit.chunk
        doc = kn.docs.get(c.doc_id)
        article = doc.article(c.article, c.suffix) if doc and c.article else None
        if article is None or not article.text.strip():
            continue  # plan sections without an article number cannot be cited as 第X条
        if keep_old:  # retrieval folds an unchanged old article into the current one; unfold it again
            for old_doc in predecessors(doc, kn.docs):
                old_article = corresponding_article(article, old_doc)
                if old_article is not None:
                    add(old_doc, old_article, rank, hit)
        else:
            current = current_of(doc, kn.docs)
            if current is not doc:
                article, doc = corresponding_article(article, current), current
                if article is None:
                    continue
        add(doc, article, rank, hit)
    return list(out.values())


def measure(cands: list[Candidate], terms: list[Term], intent: Intent, n_hits: int, old: bool,
            qvec: np.ndarray | None, kn: Knowledge, store, wants: list[str] = (), question: str = "",
            sentence_vectors=None) -> None:
    """Each candidate's ranking features (kb.assistant.model.RANK_FEATURES). wants: the answer types the
    question asks for (kb.intent.asked_types: a figure, a body, a place, a date), which the sentences that
    could answer must state. question: for the figures the asker states about their case, which an article
    must hold a condition on to answer "够不够得上" (kb.assistant.eligibility). sentence_vectors: texts → their
    passage vectors by the index's encoder (Retriever.sentence_vectors), for the similarity of the question
    to each candidate's closest sentence."""
    facts = eligibility.asker_facts(question) if question else []
    cats = eligibility.asker_categories(question) if facts else set()
    counts: dict[str, eligibility.DayCount | None] = {}  # how each candidate's law counts its days

    def days(doc: Document) -> eligibility.DayCount | None:
        if facts and doc.doc_id not in counts:
            counts[doc.doc_id] = eligibility.day_count(doc)
        return counts.get(doc.doc_id)

    for c in cands:
        context = f"{c.doc.title} {c.article.heading} {c.article.title}"
        c.coverage = TermScorer.coverage(terms, f"{context} {c.article.text}")
        c.sentences = [Sentence(s, TermScorer.coverage(terms, s), evidence(intent.name, s)) for s in c.article.sentences()]
        ids = kn.chunk_ids.get((c.doc.doc_id, c.article.number, c.article.suffix), [])
        c.cosine = float((store.vectors(ids) @ qvec).max()) if qvec is not None and ids else 0.0
    _sentence_cosines(cands, qvec, sentence_vectors)
    top_cos = max((c.cosine for c in cands), default=0.0)
    top_sentence = max((c.sentence_cosine for c in cands), default=0.0)
    absent = kn.scorer.absent(terms)
    domain = float(qvec @ kn.centroid) if qvec is not None and kn.centroid is not None else 0.0
    for c in cands:
        best = c.best if c.sentences else Sentence("", 0.0, 0.0)
        near = [x for x in c.sentences if x.coverage >= 0.5 * best.coverage]  # the sentences that could answer
        unmet = sum(1 for kind in wants if not any(states(kind, x.text) for x in near))
        c.features = {"prior": 1.0 - c.rank / max(n_hits, 1), "retrieval": c.retrieval, "cosine": c.cosine,
                      "type_met": float(len(wants) - unmet), "type_gap": float(unmet),
                      "cosine_rel": c.cosine - top_cos, "cosine_sentence": c.sentence_cosine,
                      "cosine_sentence_rel": c.sentence_cosine - top_sentence, "coverage": c.coverage, "sentence_coverage": best.coverage,
                      "evidence": best.evidence, "old": float(old and c.doc.status == SUPERSEDED),
                      "absent": absent, "domain": domain, "condition": eligibility.condition_fit(facts, cats, c.article, days(c.doc), question)}


def _sentence_cosines(cands: list[Candidate], qvec: np.ndarray | None, sentence_vectors) -> None:
    texts = [s.text for c in cands for s in c.sentences]
    if qvec is None or sentence_vectors is None or not texts:
        return
    sims, row = sentence_vectors(texts) @ qvec, 0
    for c in cands:
        for s in c.sentences:
            s.cosine = float(sims[row])
            row += 1
        c.sentence_cosine = max((s.cosine for s in c.sentences), default=0.0)


def rank(cands: list[Candidate], model: AssistantModel) -> list[Candidate]:
    """Best first by the ranker; an article the question names by number comes first whatever its score."""
    for c in cands:
        c.score = model.ranker.logit(c.features)
    return sorted(cands, key=lambda c: (not c.exact, -c.score))


def gate_features(ranked: list[Candidate]) -> dict[str, float]:
    """What the gate may judge (kb.assistant.model.GATE_FEATURES picks): the best candidate's evidence, its lead over
    the rest, and how the question relates to the corpus as a whole."""
    top, rest = ranked[0], ranked[1:]
    return {"cosine": top.cosine, "cosine_margin": top.cosine - max((c.cosine for c in rest), default=0.0),
            "cosine_sentence": top.sentence_cosine,
            "cosine_sentence_margin": top.sentence_cosine - max((c.sentence_cosine for c in rest), default=0.0),
            "coverage": top.coverage, "sentence_coverage": top.features["sentence_coverage"], "absent": top.features["absent"],
            "type_gap": top.features["type_gap"], "domain": top.features["domain"],
            "evidence": top.features["evidence"], "rank_score": top.score, "condition": top.features.get("condition", 0.0),
            "rank_margin": top.score - (rest[0].score if rest else top.score - 1.0)}


def confidence(ranked: list[Candidate], model: AssistantModel) -> float:
    """P(the corpus answers the question) by the gate; a question naming an existing article is answerable."""
    if not ranked:
        return 0.0
    if ranked[0].exact:
        return 1.0
    return model.gate.prob(gate_features(ranked))


# --- the answer -------------------------------------------------------------------------------------------
def answer_question(question: str, k: int = 5, settings: Settings | None = None, retriever=None) -> Answer:
    """Answer from the corpus with citations, or abstain (abstained=True) when the evidence is too weak."""
    return answer_at(question, None, k=k, settings=settings, retriever=retriever)


def answer_at(question: str, threshold: float | None, k: int = 5, settings: Settings | None = None,
              retriever=None) -> Answer:
    """answer_question with an explicit abstention threshold on Answer.confidence (None: the fitted gate's;
    the evaluation sweeps it; -1 never abstains)."""
    a = analyse(question, settings, retriever)
    if not a.ranked or a.confidence < (a.model.gate.threshold if threshold is None else threshold):
        answer = _abstain(a.question, a.intent, a.ranked, k, a.confidence)
    else:
        answer = compose(a.question, a.intent, a.ranked, k, a.kn)
        answer.confidence = round(a.confidence, 4)
    if a.encoder_error is not None:
        answer.notes.append(f"语义模型不可用，本次只按关键词检索和排序：{a.encoder_error.message}（{a.encoder_error.hint}）")
    if answer.abstained:
        return answer
    from kb import llm

    if llm.enabled():  # the model sees plain source values; its output is checked against them
        answer = llm.rewrite_with_llm(answer, [cite(c, c.best.text if c.sentences else c.article.text)
                                               for c in a.ranked[:k]])
    return answer


@dataclass
class Analysis:
    """A question's candidates, measured and ranked, and the gate's confidence — before any answer is composed
    (eval/eval_qa.py fits the ranker and the gate on these)."""

    question: str
    intent: Intent
    ranked: list[Candidate]
    confidence: float
    model: AssistantModel
    kn: Knowledge
    encoder_error: errors.ModelError | None = None  # the index's encoder could not be loaded: BM25 only


def analyse(question: str, settings: Settings | None = None, retriever=None, model: AssistantModel | None = None) -> Analysis:
    q = validate_question(question)
    settings = settings or get_settings()
    intent = classify(q)
    if retriever is None:
        from kb.retrieve import get_retriever

        retriever = get_retriever(settings)
    hits = retriever.search(q, k=CANDIDATES, rerank=False)
    old = asks_for_old_version(q)
    both = asks_what_changed(q)  # both versions are candidates; the old ones are not preferred
    ranked, model, kn = _ranked(q, intent, hits, retriever, model, old or both, old)
    conf = confidence(ranked, model)
    if both and _both_versions(ranked[:5]):
        conf = 1.0  # "新旧两版…有什么不一样" with both versions among the best: the corpus holds what is compared
    return Analysis(q, intent, ranked, conf, model, kn, retriever.encoder_error)


def _ranked(q: str, intent: Intent, hits: list[Hit], retriever, model: AssistantModel | None, keep_old: bool,
            old: bool) -> tuple[list[Candidate], AssistantModel, Knowledge]:
    """The hits' articles as candidates, measured and ranked by the ranker fitted for the index's encoder (the
    lexical one when it cannot be loaded: then a note says so)."""
    kn = knowledge(retriever.store)
    encoder = retriever.store.encoder if retriever.dense_ready() else None
    model = model or model_for(encoder.name if encoder else None)
    dense = "cosine" in model.ranker.features and encoder is not None
    qvec = retriever.query_vector(q) if dense else None
    cands = candidates(kn, hits, keep_old)
    measure(cands, kn.scorer.terms(q, intent.triggers), intent, len(hits), old, qvec, kn, retriever.store,
            asked_types(q), q, retriever.sentence_vectors if dense else None)
    return rank(cands, model), model, kn


def rerank(query: str, hits: list[Hit], retriever) -> list[Hit]:
    """`kb search`'s order: the hits' articles in the assistant's ranker's order, each article's hits together,
    then the hits no article stands for. Leaving one blind set out at a time over twelve sets, the ranker's first
    article was right for .652 of the questions against .561 for the fused retrieval order. Only with the ranker
    fitted for the index's encoder; otherwise the hits stay as they are."""
    ranked, model, _ = _ranked(query, classify(query), hits, retriever, None, False, asks_for_old_version(query))
    if "cosine" not in model.ranker.features:
        return hits
    # A hit's score is now the ranker's probability that its article is the one asked for (a softmax over the
    # articles, as the ranker was fitted; named articles keep their 100), so the list stays sorted; the fused
    # score is kept in scores.
    top = max((c.score for c in ranked), default=0.0)
    weights = {id(c): math.exp(c.score - top) for c in ranked}
    total = sum(weights.values()) or 1.0
    score = {i: hits[i].score if c.exact else round(weights[id(c)] / total, 6) for c in ranked for i in c.positions}
    score.update((i, 0.0) for i in range(len(hits)) if i not in score)  # hits no article stands for, last
    return [Hit(hits[i].chunk, s, {**hits[i].scores, "fused": hits[i].score, "ranker": s}) for i, s in score.items()]


def _both_versions(cands: list[Candidate]) -> bool:
    """A superseded article and its current counterpart are both among the candidates."""
    for old in (c for c in cands if c.doc.superseded_by):
        for new in (c for c in cands if c.doc.doc_id == old.doc.superseded_by):
            if corresponding_article(new.article, old.doc) is old.article:
                return True
    return False


def cite(c: Candidate, quote: str) -> Citation:
    return cite_article(c.doc, c.article, quote)


def cite_article(doc: Document, article: Article, quote: str, status: str | None = None) -> Citation:
    """A citation of an article; quote: exact text of it. status: the document's own unless given."""
    return Citation(doc=doc.title, doc_id=doc.doc_id, article=article.number, label=article.label, quote=quote,
                    status=status or doc.status, heading=article.heading, article_text=article.text, date=doc.date)


def _abstain(q: str, intent: Intent, ranked: list[Candidate], k: int, conf: float) -> Answer:
    related = [cite(c, c.best.text) for c in ranked[:k] if c.sentences]
    return Answer(question=q, intent=intent.name, abstained=True, related=related, confidence=round(conf, 4))


def _basis(ranked: list[Candidate]) -> list[tuple[Candidate, Sentence]]:
    """One quote per cited article: the main article's best sentence (joined with the next or previous sentence
    when that one is nearly as good, e.g. a list's lead-in and its items), then other articles whose best
    sentence is nearly as good as the main one (up to 3 articles; these quote their best sentence in words — the
    e5-chosen one gave the same key facts and a worse quote of 第九条 for "欠中小企业的钱最晚多久要付")."""
    top = ranked[0]
    picked = [(top, _main_quote(top))]
    for c in ranked[1:3]:
        if c.sentences and c.score >= 0.8 * top.score and c.best.coverage >= 0.6 * top.best.coverage:
            picked.append((c, _widen(c.article.text, c.best)))
    return picked


def _with_near(basis: list[tuple[Candidate, Sentence]], ranked: list[Candidate]) -> list[tuple[Candidate, Sentence]]:
    """The quotes shown: the basis (the article a verdict rests on first), then the best sentence of those of the
    best three articles ranked near the best one, whatever their words cover. Only shown: a check rests on the basis
    alone. An asker whose article is the second best still reads its words (key facts on the folded blind sets
    .831 → .855)."""
    shown = {id(c) for c, _ in basis}
    near = [(c, _widen(c.article.text, c.best)) for c in ranked[1:NEAR_RANKS]
            if id(c) not in shown and c.sentences and c.score >= NEAR_SCORE * ranked[0].score]
    return basis + near


def _widen(article_text: str, sentence: Sentence) -> Sentence:
    """The whole 款 (line) around a sentence when it is short, so "…的，不再给予行政处罚；" keeps its "…延长至五年";
    a lead-in ending in "：" keeps the items that follow it. Always an exact span of the article text."""
    start = article_text.find(sentence.text)
    if start < 0:
        return sentence
    line_start = article_text.rfind("\n", 0, start) + 1
    line_end = article_text.find("\n", start + len(sentence.text))
    line_end = len(article_text) if line_end < 0 else line_end
    span = (line_start, line_end) if line_end - line_start <= MAX_QUOTE_CHARS else (start, start + len(sentence.text))
    if _LEAD_IN.search(article_text[span[0] : span[1]]):  # a list's lead-in "包括：": take its items
        end = span[1]
        while end < len(article_text) and article_text[end] == "\n":
            nxt = article_text.find("\n", end + 1)
            nxt = len(article_text) if nxt < 0 else nxt
            if nxt - span[0] > MAX_LIST_QUOTE_CHARS or not _ITEM.match(article_text[end + 1 : nxt]):
                break
            end = nxt
        span = (span[0], end)
    text = article_text[span[0] : span[1]].strip()
    return Sentence(text, sentence.coverage, sentence.evidence) if text else sentence


def _with_lead_in(article_text: str, sentence: Sentence) -> Sentence:
    """An item "（三）…" quoted from the line that introduces it ("…不得存在下列情形："), when that is short enough:
    the item alone does not say what it is a case of."""
    start = article_text.find(sentence.text)
    if start < 0 or not _ITEM.match(sentence.text):
        return sentence
    lines = article_text[:start].split("\n")
    lead = start - len(lines[-1])
    for line in reversed(lines[:-1]):
        lead -= len(line) + 1
        if not _ITEM.match(line):
            break
    if not _LEAD_IN.search(article_text[lead:start]) or start + len(sentence.text) - lead > MAX_LIST_QUOTE_CHARS:
        return sentence
    return Sentence(article_text[lead : start + len(sentence.text)], sentence.coverage, sentence.evidence)


def _covering(article_text: str, main: Sentence, quotes: list[str]) -> Sentence:
    """The main quote stretched over every sentence a comparison rests on ("…不足十分之一的，不应当推定…" after
    the item it qualifies), so each figure of a verdict stands in the quote; the whole article when it is short."""
    text = article_text.strip()
    if len(text) <= MAX_WHOLE_ARTICLE_CHARS:
        return Sentence(text, main.coverage, main.evidence, main.cosine)
    spans = [(i, i + len(x)) for x in [main.text, *quotes] if (i := article_text.find(x)) >= 0]
    if not spans:
        return main
    lo, hi = min(a for a, _ in spans), max(b for _, b in spans)
    if hi - lo > MAX_LIST_QUOTE_CHARS:
        return main
    return Sentence(article_text[lo:hi].strip(), main.coverage, main.evidence, main.cosine)


def _main_quote(c: Candidate) -> Sentence:
    main = _main_sentences(c)
    if len(c.article.text.strip()) <= MAX_WHOLE_ARTICLE_CHARS:
        return Sentence(c.article.text.strip(), main.coverage, main.evidence, main.cosine)
    return _widen(c.article.text, main)


def _main_sentences(c: Candidate) -> Sentence:
    main = c.quoted
    i = c.sentences.index(main)
    for j in (i + 1, i - 1):
        if 0 <= j < len(c.sentences):
            other = c.sentences[j]
            if other.score >= 0.8 * main.score and other.coverage > 0:
                span = _contiguous(c.article.text, c.sentences[min(i, j)].text, c.sentences[max(i, j)].text)
                if span:
                    return Sentence(span, max(main.coverage, other.coverage), max(main.evidence, other.evidence))
    return main


def _contiguous(text: str, first: str, second: str) -> str | None:
    """first + second as they stand in the text, when only whitespace separates them."""
    a = text.find(first)
    b = text.find(second, a + len(first)) if a >= 0 else -1
    if b < 0 or text[a + len(first) : b].strip():
        return None
    return text[a : b + len(second)]


def compose(q: str, intent: Intent, ranked: list[Candidate], k: int, kn: Knowledge) -> Answer:
    basis = _basis(ranked)
    statute_words = _statute_words(q, intent, kn)
    top, checked = _check(q, ranked, basis, statute_words)
    decided = None if checked else yesno.decide(q, [s.text for s in top.sentences], sentence_coverage(top),
                                                  statute_words, top.article.text, top.doc.title)
    # a status fixed at a time decides wherever among the best it is stated — also over a check that could only
    # say no figure of the asker's was given
    unfigured = checked and checked.verdict == eligibility.UNKNOWN and all(c.user_value is None for c in checked.checks)
    undecided = not checked or unfigured
    if undecided:  # what the asker was then decides before what the rule of the top article says
        at, by_time = next(((c, d) for c in ranked[:TIME_OF_RANKS] for s in c.sentences
                            if (d := yesno.by_time_of(q, s.text))), (top, None))
        if by_time:
            top, decided, checked = at, by_time, None
    if undecided and decided is None:  # an item the question names decides from just below the best
        at, named = next(((c, d) for c in ranked[1:ITEM_RANKS]
                          if (d := yesno.named_item(q, [s.text for s in c.sentences], statute_words, c.article.text,
                                                    c.doc.title))), (top, None))
        if named:
            top, decided, checked = at, named, None
    deciding = checked.sentence if checked else decided.quote if decided else None
    if deciding:  # the main quote is the sentence the verdict rests on, with the lead-in of an item
        widened = _widen(top.article.text, Sentence(deciding, top.best.coverage, top.best.evidence))
        quotes = [c.quote for c in checked.checks] if checked else []  # those of other articles are not found in it
        main = _covering(top.article.text, _with_lead_in(top.article.text, widened), quotes)
        basis = [(top, main)] + [(c, x) for c, x in basis if c is not top]
    basis = _with_near(basis, ranked)
    citations = [cite(c, s.text) for c, s in basis]
    cited = {(c.doc.doc_id, c.article.number) for c, _ in basis}
    related = [cite(c, c.best.text) for c in ranked[:k] if (c.doc.doc_id, c.article.number) not in cited and c.sentences]
    changes = _version_changes(basis, kn)
    related += [cite_article(ch.old_doc, ch.old_article, ch.old_sentence, status=SUPERSEDED) for _, ch in changes]
    core = deciding or top.quoted.text  # the single best sentence; 依据 quotes the whole 款 around it
    conclusion = f"{ref(citations[0])}规定：“{core if core in citations[0].quote else citations[0].quote}”"
    summary = _summary(intent, basis)
    summary += [SummaryItem("版本", "版本变化", ch.line(c.doc)) for c, ch in changes]  # seen with the 结论
    answer = Answer(question=q, intent=intent.name, abstained=False, conclusion=conclusion, summary=summary,
                    citations=citations, related=related)
    if asks_what_changed(q):
        _side_by_side(answer, ranked, kn)
    if checked:
        answer.eligibility, answer.verdict = checked.checks, checked.verdict
        answer.summary.insert(0, SummaryItem("条件", "条件对照（依据上述条文）", "；".join(c.comparison for c in checked.checks)))
        count = checked.days
        if count and any(count.citation in c.comparison for c in checked.checks):  # the article that makes 日 工作日
            answer.citations.append(cite_article(top.doc, count.article, count.article.text))
    elif decided:
        answer.verdict = decided.verdict
        answer.summary.insert(0, SummaryItem("判断", "判断依据", decided.reason))
    else:
        note = yesno.what_decides(q, core)
        answer.notes += [note] if note else []
    if steps.asks_steps(q, intent.name):
        answer.steps = steps.procedure([steps.Source(c.doc, c.article, ref(cite(c, "")), sentence_coverage(c))
                                        for c in procedure_articles(ranked[:k])])
        _cite_steps(answer, ranked)
    return answer


STEP_RANKS = 6  # a procedure's articles are among the best few candidates
ITEM_RANKS = 3  # the best one and the two below it, for an item of a list the question names
TIME_OF_RANKS = 10  # "依合同订立时的企业规模类型确定" is a definition: it ranks below the rules it qualifies
STEP_MARGIN_OTHER = 1.0  # a lone article of another document must be ranked this close (logit) to the best


def procedure_articles(ranked: list[Candidate]) -> list[Candidate]:
    """The articles a procedure is drawn from: among the best few candidates, those of the best one's document,
    of any document with two or more of them (a procedure runs over articles of one law), and any ranked close to
    the best; the document with the most of them first (it is the procedure's law more often than the best
    article's own document is: eval/qa.jsonl odd ids)."""
    near = [c for c in ranked[:STEP_RANKS] if c.sentences]
    if not near:
        return ranked[:1]
    top = near[0]
    count = Counter(c.doc.doc_id for c in near)
    keep = [c for c in near if c.doc.doc_id == top.doc.doc_id or count[c.doc.doc_id] >= 2
            or c.score >= top.score - STEP_MARGIN_OTHER]
    first = {d: i for i, d in reversed(list(enumerate(c.doc.doc_id for c in near)))}
    return sorted(keep, key=lambda c: (-count[c.doc.doc_id], first[c.doc.doc_id]))


def _cite_steps(answer: Answer, ranked: list[Candidate]) -> None:
    """Every article a step rests on is cited (依据): quoted from its first step to its last when that is short."""
    cited = {(c.doc_id, c.article) for c in answer.citations}
    by_key = {(c.doc.doc_id, c.article.number): c for c in ranked}
    order = {key: i for i, key in enumerate(by_key)}
    for key in sorted({(s.doc_id, s.article) for s in answer.steps}, key=lambda k: order.get(k, len(order))):
        if key in cited or key not in by_key:
            continue
        c = by_key[key]
        mine = [s.action for s in answer.steps if (s.doc_id, s.article) == key]
        start, end = c.article.text.find(mine[0]), c.article.text.find(mine[-1])
        quote = c.article.text[start : end + len(mine[-1])] if 0 <= start <= end and end + len(mine[-1]) - start <= MAX_LIST_QUOTE_CHARS else mine[0]
        answer.citations.append(cite(c, quote))
        answer.related = [r for r in answer.related if (r.doc_id, r.article) != key]
        cited.add(key)


def _statute_words(q: str, intent: Intent, kn: Knowledge) -> str:
    """The statute words of the question's lay terms (kb/data/synonyms.tsv)."""
    return "，".join(a for t in kn.scorer.terms(q, intent.triggers) for a in t.alternatives)


CHECK_RANKS = 3  # another of the best few articles may carry the check…
CHECK_BETTER = 0.25  # …when its conditions fit the asker's case this much better than the main article's


def _check(q: str, ranked: list[Candidate], basis: list[tuple[Candidate, Sentence]], synonyms: str = ""):
    """(candidate, eligibility.Assessment) of the article the check rests on: the first cited one whose conditions
    fit the asker's figures (condition feature) — or, when the main article's do, one of the best few that fits
    clearly better ("对法人…处以三千元以下" for a company over "一百元以下…当场收缴"); failing that, the main
    article's check for a yes/no question that states no figure (无法判断); (top, None) when there is nothing."""
    def fit(c: Candidate) -> float:
        return c.features.get("condition", 0.0)

    chosen = next((c for c, _ in basis if fit(c) > 0), None)
    if chosen is not None and chosen is basis[0][0]:
        better = max(ranked[:CHECK_RANKS], key=fit)
        chosen = better if fit(better) >= fit(chosen) + CHECK_BETTER else chosen
    chosen = chosen or basis[0][0]
    rests_on = _basis_candidate(chosen, ranked)
    if rests_on is not None and fit(rests_on) > 0:  # "依照本法第五十一条的规定当场作出…": that article decides first
        chosen = rests_on
    return chosen, eligibility.assess(q, chosen.article, sentence_coverage(chosen), ref(cite(chosen, "")),
                                      eligibility.day_count(chosen.doc), synonyms)


def _basis_candidate(c: Candidate, ranked: list[Candidate]) -> Candidate | None:
    """The candidate of the article of the same law that c says it acts under, when it is among the candidates."""
    wanted = basis_articles(c.article.text)
    return next((r for n in wanted for r in ranked if r.doc.doc_id == c.doc.doc_id and r.article.number == n), None)


def sentence_coverage(c: Candidate):
    """How much of the question each sentence of a candidate covers, for any span of its text."""
    cover = {s.text: s.coverage for s in c.sentences}

    def coverage(text: str) -> float:
        if text in cover:
            return cover[text]
        return max((s.coverage for s in c.sentences if s.text in text or text in s.text), default=0.0)
    return coverage


def _summary(intent: Intent, basis: list[tuple[Candidate, Sentence]]) -> list[SummaryItem]:
    """Labelled summaries extracted from the quoted sentences (never new facts)."""
    if intent.name == DEADLINE:
        c, s = basis[0]  # the 结论 is about the main citation only
        rows = [d for d in article_deadlines(c.doc, c.article) if d.quote in s.text and d.kind in ("时限", "日期")]
        items = [_deadline_phrase(d) for d in rows[:6]]
        return [SummaryItem("时限", "时限要点（摘自上述条文）", "；".join(items))] if items else []
    if intent.name == LIST:
        names = list(dict.fromkeys(n for _, s in basis for n in list_names(s.text)))
        return [SummaryItem("清单", "涉及的清单/名单（摘自上述条文）", "、".join(names))] if names else []
    return []


def list_names(text: str) -> list[str]:
    """"依法编制从轻处罚事项清单、减轻处罚事项清单" → ["从轻处罚事项清单", "减轻处罚事项清单"]."""
    names = []
    for m in _LIST_WORD.finditer(text):
        before = text[max(0, m.start() - 16) : m.start()]
        cut = _NAME_START.match(before)
        name = (before[cut.end() :] if cut else before).strip("“”\"") + m.group()
        if len(name) > len(m.group()) + 1:
            names.append(name)
    return names


def _deadline_phrase(d) -> str:
    if d.value is None:  # an annual date: "每年3月31日前"
        return f"{d.subject}（{d.expression}）" if d.subject else d.expression
    value = f"{d.value:g}" if isinstance(d.value, float) else str(d.value)
    if d.value_min is not None:
        value = f"{d.value_min:g}至{value}"
    parts = [f"{d.subject + '：' if d.subject else ''}{value}{d.unit}"]
    if d.day_type == "工作日":
        parts.append("按工作日计")
    if d.condition:
        parts.append(f"适用于{d.condition}")
    if d.start:
        parts.append(d.start)
    if d.target_year:
        parts.append(d.note or f"目标年份{d.target_year}年")  # note: "目标年份2023年已过"
    return parts[0] + (f"（{'，'.join(parts[1:])}）" if len(parts) > 1 else "")


MAX_CHANGES = 4


def _side_by_side(answer: Answer, ranked: list[Candidate], kn: Knowledge) -> None:
    """"改了什么": the changed sentences of the best article with two versions, both versions quoted and cited with
    their year (the new one first); the conclusion shows the first change, 版本对照 all of them."""
    for c in ranked[:3]:
        pair = _versions_of(c, kn)
        changes = article_changes(*pair) if pair else []
        if changes:
            break
    else:
        return
    (new_doc, new), (old_doc, old) = [(kn.docs[a.doc_id], a) for a in pair]
    changes = changes[:MAX_CHANGES]
    new_cite = cite_article(new_doc, new, next((ch.new for ch in changes if ch.new), new.text))
    old_cite = cite_article(old_doc, old, next((ch.old for ch in changes if ch.old), old.text))
    lines = [f"{version_ref(new_cite)}：“{ch.new}”" if ch.new else f"{version_ref(new_cite)}：（删去此句）" for ch in changes]
    lines = [f"{n} ／ {version_ref(old_cite)}：“{ch.old}”" if ch.old else f"{n} ／ {version_ref(old_cite)}：（无此句）"
             for n, ch in zip(lines, changes)]
    first = max(changes, key=lambda ch: _change_relevance(answer.question, ch))
    answer.conclusion = (f"{version_ref(new_cite)}规定：“{first.new}”" if first.new else f"{version_ref(new_cite)}删去了这一句") + \
        (f"；{version_ref(old_cite)}曾规定：“{first.old}”" if first.old else f"；{version_ref(old_cite)}没有这一句")
    answer.summary = [x for x in answer.summary if x.kind != "版本"]
    answer.summary.insert(0, SummaryItem("版本", "新旧版本对照（摘自两版原文）", "；\n".join(lines)))
    keys = {(new.doc_id, new.number), (old.doc_id, old.number)}
    answer.citations = [new_cite, old_cite] + [x for x in answer.citations if (x.doc_id, x.article) not in keys]
    answer.related = [x for x in answer.related if (x.doc_id, x.article) not in keys]


def _change_relevance(question: str, change) -> float:
    """How much of the question the words that changed touch (the character pairs in one version only)."""
    a, b = eligibility.bigrams(change.new or ""), eligibility.bigrams(change.old or "")
    q = eligibility.bigrams(question)
    return len(q & (a ^ b)) + 0.1 * len(q & (a | b))


def _versions_of(c: Candidate, kn: Knowledge) -> tuple[Article, Article] | None:
    """(current article, its superseded counterpart) for a candidate of either version."""
    current = current_of(c.doc, kn.docs)
    new = c.article if current is c.doc else corresponding_article(c.article, current)
    old_docs = predecessors(current, kn.docs)
    old = c.article if c.doc in old_docs else (corresponding_article(new, old_docs[0]) if new and old_docs else None)
    return (new, old) if new and old else None


def _version_changes(basis, kn: Knowledge) -> list[tuple[Candidate, VersionChange]]:
    """For each cited current article, what its superseded version said differently (if anything)."""
    cited = {(c.doc.doc_id, c.article.number) for c, _ in basis}
    out = []
    for c, s in basis:
        for old_doc in predecessors(c.doc, kn.docs):
            old_article = corresponding_article(c.article, old_doc)
            if old_article is None or (old_doc.doc_id, old_article.number) in cited:
                continue  # already quoted in its own right
            change = changed_sentence(s.text, c.article, old_article, old_doc)
            if change:
                out.append((c, change))
    return out
