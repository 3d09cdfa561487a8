"""Retrieval: exact article lookup, BM25 + dense candidates, weighted fusion, priors, near-duplicate collapse.

Both candidate lists (BM25 and the dense encoder's) are merged by a weighted linear blend of normalised scores;
the weights are chosen per collection on the dev split of eval/retrieval.jsonl (eval_retrieval.py --tune):
for the default corpus with e5 as the dense side, BM25 + 1.0 × e5 (chosen on 436 dev questions: the dev split,
the folded blind sets and the assistant's calibration questions; MRR .720, 0.7 × e5 .719, BM25 alone .58).
Storage is behind kb.index.store.IndexStore; nothing here knows about files.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, replace

import numpy as np

from kb import errors
from kb.config import Settings, get_settings
from kb.index.store import Filter, IndexStore
from kb.models import CURRENT, SUPERSEDED, Chunk, Hit
from kb.numerals import LABEL_NUMERAL as _CN_NUM, cn_to_int

MAX_QUERY_CHARS = 500
RECENT_QUERIES = 64
RERANK_DEPTH = 20  # hits the reranker orders: the assistant's ranker was fitted on its 20 candidates (kb.answer.CANDIDATES)
MODES = ("hybrid", "bm25", "dense")
EXACT_SCORE = 100.0  # an article named in the query outranks anything found by similarity
MAX_TITLE_CHARS = 60  # a law title named before 第X条 is never longer


@dataclass(frozen=True)
class Fusion:
    """How the two candidate lists are merged and which kinds of document are preferred; chosen per collection
    on the dev split (eval/eval_retrieval.py --tune)."""

    method: str = "linear"  # "linear": BM25 / best BM25 + cosine min-max scaled over the pool; "rrf": ranks
    w_bm25: float = 1.0
    w_dense: float = 1.0
    rrf_k: float = 20.0
    pool: int = 50  # candidates taken from each side
    # linear: BM25 is divided by max(best BM25 score, bm25_floor), so a query whose best lexical match is weak (the
    # everyday words of a colloquial question) does not get that match stretched to full weight against e5
    bm25_floor: float = 0.0
    dense_expanded: bool = False  # embed the query with its synonym expansions appended
    local_factor: float = 0.85  # 地方性法规 below national law when the query names no place
    interpretation_factor: float = 1.0  # 司法解释 below the statute it interprets
    case_factor: float = 0.7  # cases and guides illustrate the law; the article itself answers


# bm25_floor: the 25th percentile of the best BM25 score over the dev questions (chosen among 0 and the 25th/50th/75th
# percentiles by dev MRR: .676 vs .673 without; on the hardest folded blind sets hit@1 +.03 to +.04)
FUSION = Fusion(bm25_floor=7.6)
# The library (BM25 + the static model) was chosen on its dev split (95 lay questions) by a joint grid over
# fusion and priors: MRR .307 vs BM25 .245
COLLECTION_FUSION = {"default": FUSION,
                     "library": Fusion(method="linear", w_dense=0.5, local_factor=0.55, interpretation_factor=0.85)}
SUPERSEDED_FACTOR = 0.8  # an old version ranks below its current version for the same content
DUP_JACCARD = 0.8  # character-trigram overlap above which two provisions count as the same text
_LOCAL_KINDS = ("地方性法规", "地方政府规章")
_CASE_KINDS = ("案例",)  # not 其他: a user's own documents default to that kind
_INTERPRETATION = "司法解释"

_ARTICLE_REF = re.compile(rf"第([{_CN_NUM}\d０-９]+)条(?:之([{_CN_NUM}]+))?")
_SUB_REF = re.compile(rf"^\s*第([{_CN_NUM}\d]+)([款项])(?:第([{_CN_NUM}\d]+)项)?")
# "X条例什么时候开始施行" asks for the article that says when X takes effect, usually its last one.
_ASKS_EFFECTIVE = re.compile(r"(?:是|从|自)?(?:什么时候|何时|哪天|哪一天|几月几[日号]|哪年|哪一年)(?:开始|起)?(?:施行|生效|实施)"
                             r"|(?:施行|生效|实施)(?:日期|时间)")
_EFFECTIVE_ARTICLE = re.compile(r"自[^。；]{2,30}起(?:施行|实施|生效)")
_TITLE_NOISE = re.compile(r"[《》〈〉“”\"'‘’\s]|中华人民共和国")
_WORD = re.compile(r"\w")
_TITLE_PLACE = re.compile(r"^([\u4e00-\u9fff]{2,6}?)(?:省|自治区|特别行政区|市|县|区)")
_PROVINCES = tuple("北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 "
                   "四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门".split())
PLACE_BOOST = 1.3  # a query that names a place prefers that place's own documents


def validate_query(query: str) -> str:
    q = (query or "").strip()
    if not q:
        raise errors.BadQuery("查询内容为空", hint="请输入要查找的问题或关键词，例如“企业开办要几天”")
    if len(q) > MAX_QUERY_CHARS:
        raise errors.BadQuery(f"查询过长（{len(q)} 字，上限 {MAX_QUERY_CHARS} 字）", hint="请只保留关键的问题或关键词")
    if not _WORD.search(q):
        raise errors.BadQuery("查询只包含标点或符号，没有可检索的文字", hint="请输入文字或数字")
    return q


class Retriever:
    """Searches one store. The encoder is loaded on first dense use (a BM25 search never loads a model):
    `encoder` is an Encoder, a zero-argument function returning one, or None (BM25 only)."""

    def __init__(self, store: IndexStore, encoder=None, fusion: Fusion = FUSION, cache_dir=None, reranker=None):
        from kb.segment import get_segmenter

        self.store = store
        self._encoder = encoder
        self._encoder_lock = threading.Lock()
        self.encoder_error: errors.ModelError | None = None  # why the index's encoder could not be loaded
        self._recent: dict[str, np.ndarray] = {}
        self._cache_dir = cache_dir  # the content-hash vector cache, for sentence vectors (None: memory only)
        self._sentences = None
        # (query, hits, retriever) → hits: the hybrid order's last stage (kb.answer.rerank for the default collection)
        self.reranker = reranker
        self.fusion = fusion
        self.seg = get_segmenter()
        self.docs = store.documents()
        self._norm_titles = {d: _TITLE_NOISE.sub("", i.title) for d, i in self.docs.items()}
        self._places: dict[str, set[str]] = {}  # "永济" → the plan, "河南" → 河南省… (local documents only)
        for d, info in self.docs.items():
            m = _TITLE_PLACE.match(self._norm_titles[d])
            if m and (info.kind in _LOCAL_KINDS or info.kind == "规划"):
                self._places.setdefault(m.group(1), set()).add(d)

    @property
    def encoder(self):
        with self._encoder_lock:
            if callable(self._encoder) and not hasattr(self._encoder, "encode_queries"):
                try:
                    self._encoder = self._encoder()
                except errors.ModelError as exc:  # hybrid search and ask go on with BM25 and say why; dense raises
                    self._encoder, self.encoder_error = None, exc
            return self._encoder

    # --- public ---------------------------------------------------------------------------------------------
    def search(self, query: str, k: int = 10, mode: str = "hybrid", doc: str | None = None,
               rerank: bool = True) -> list[Hit]:
        """rerank: a hybrid search's first RERANK_DEPTH hits go through the reranker (the assistant, which reranks
        itself, asks without)."""
        q = validate_query(query)
        if mode not in MODES:
            raise errors.BadQuery(f"未知的检索方式：{mode}", hint="可选 hybrid、bm25、dense")
        if k <= 0:
            return []
        doc_ids = self.resolve_docs(doc) if doc else None
        exact = self.exact_hits(q, doc_ids) or self.effective_hits(q, doc_ids)
        if exact:  # "第十条" would otherwise pull every other law's 第十条; rank the rest by the words around it
            rest = _ARTICLE_REF.sub(" ", q)
            q = rest if _WORD.search(rest) else exact[0].chunk.doc_title
        rerank = rerank and mode == "hybrid" and self.reranker is not None
        ranked = self._ranked(q, mode, doc_ids, max(k, 10, RERANK_DEPTH if rerank else 0) + len(exact))
        seen = {h.chunk.chunk_id for h in exact}
        hits = exact + [h for h in ranked if h.chunk.chunk_id not in seen]
        if rerank:
            hits = self.reranker(query, hits[:RERANK_DEPTH], self) + hits[RERANK_DEPTH:]
        return hits[:k]

    def resolve_docs(self, doc: str) -> set[str]:
        """--doc accepts an id, a full title or part of one; the current version wins among same-titled versions."""
        if doc in self.docs:
            return {doc}
        name = _TITLE_NOISE.sub("", doc)
        same = [d for d, t in self._norm_titles.items() if t == name]
        if same:
            return set(same)
        found = self._match_title(name)
        if not found:
            raise errors.BadQuery(f"检索库中没有名为“{doc}”的文件", hint="用 kb corpus list 查看文件标题和编号")
        return {found}

    # --- exact article lookup -------------------------------------------------------------------------------
    def exact_hits(self, q: str, doc_ids: set[str] | None) -> list[Hit]:
        m = _ARTICLE_REF.search(q)
        if not m:
            return []
        try:
            number = cn_to_int(m.group(1))
            suffix = cn_to_int(m.group(2)) if m.group(2) else 0
        except ValueError:
            return []
        candidates = self._titles_before(q, m.start(), doc_ids)
        if not candidates and doc_ids and len(doc_ids) == 1:
            candidates = list(doc_ids)
        for doc_id in candidates:  # the preferred document that has this article (民法典 spans several files)
            parts = [c for c in self.store.doc_chunks(doc_id) if c.article == number and c.suffix == suffix]
            if parts:
                where = {"exact": 1.0, **_sub_reference(q[m.end():])}
                return [Hit(c, EXACT_SCORE - i * 1e-3, dict(where)) for i, c in enumerate(parts)]
        return []

    def effective_hits(self, q: str, doc_ids: set[str] | None) -> list[Hit]:
        """The article a named document takes effect by, when the question asks exactly that."""
        m = _ASKS_EFFECTIVE.search(q)
        if not m:
            return []
        named = self._titles_before(q, m.start(), doc_ids)
        parts = [c for c in self.store.doc_chunks(named[0]) if _EFFECTIVE_ARTICLE.search(c.text)] if named else []
        return [Hit(parts[-1], EXACT_SCORE, {"exact": 1.0, "effective": 1.0})] if parts else []

    def _titles_before(self, q: str, pos: int, doc_ids: set[str] | None) -> list[str]:
        """Documents the words before a reference ("…条例" in "…条例第十条", "…条例什么时候施行") name, best first."""
        return self._match_titles(_TITLE_NOISE.sub("", q[:pos]).rstrip("的"), within=doc_ids)

    def _match_title(self, text: str, within: set[str] | None = None) -> str | None:
        found = self._match_titles(text, within)
        return found[0] if found else None

    def _match_titles(self, text: str, within: set[str] | None = None) -> list[str]:
        """Documents a (possibly partial) title in `text` names, best first: those whose title contains the
        longest tail of `text`; an exact title, the current version, national law and shorter titles first."""
        titles = {d: t for d, t in self._norm_titles.items() if within is None or d in within}
        text = text[-MAX_TITLE_CHARS:]
        for start in range(len(text) - 1):
            tail = text[start:]
            hits = [d for d, t in titles.items() if tail in t]
            if hits:
                hits.sort(key=lambda d: self.docs[d].date, reverse=True)  # newest first among equals
                return sorted(hits, key=self._doc_preference(tail))
        return []

    def _doc_preference(self, name: str):
        def key(doc_id: str):
            info = self.docs[doc_id]
            title = self._norm_titles[doc_id]
            return (title != name, info.status != CURRENT, info.kind in _LOCAL_KINDS, len(title))

        return key

    # --- similarity search ----------------------------------------------------------------------------------
    def query_vector(self, q: str) -> np.ndarray:
        """The query's vector; the last few are kept, since the assistant asks again for the one it searched."""
        text = q + " " + " ".join(self.seg.query_tokens(q)) if self.fusion.dense_expanded else q
        with self._encoder_lock:
            vec = self._recent.get(text)
        if vec is None:
            vec = np.asarray(self.encoder.encode_queries([text]), dtype=np.float32)[0]
            with self._encoder_lock:
                self._recent[text] = vec
                while len(self._recent) > RECENT_QUERIES:  # read at call time: evals raise it
                    self._recent.pop(next(iter(self._recent)))
        return vec

    def sentence_vectors(self, texts: list[str]) -> np.ndarray:
        """Passage vectors of sentences by the index's encoder (kb.embed.sentences), for the assistant."""
        encoder = self.encoder  # outside the lock: loading it takes the lock
        with self._encoder_lock:
            if self._sentences is None:
                from kb.embed.sentences import SentenceVectors

                self._sentences = SentenceVectors(encoder, self._cache_dir)
        return self._sentences.of(texts)

    def _ranked(self, q: str, mode: str, doc_ids: set[str] | None, k: int) -> list[Hit]:
        f = self.fusion
        pool = max(f.pool, k * 3)
        where = Filter.of(doc_ids)
        sparse = self.store.search_sparse(self.seg.query_terms(q), pool, where) if mode != "dense" else []
        dense: list[tuple[Chunk, float]] = []
        if mode != "bm25" and self.dense_ready(required=mode == "dense"):
            dense = self.store.search_dense(self.query_vector(q), pool, where)
        if mode == "bm25" or not dense:
            scored = {c.chunk_id: (c, s, {"bm25": s}) for c, s in sparse}
        elif mode == "dense":
            scored = {c.chunk_id: (c, s, {"dense": s}) for c, s in dense}
        else:
            scored = self._fuse(sparse, dense)
        prior = self._priors(q)
        hits = self._current_first([Hit(c, s * prior(c), parts) for c, s, parts in scored.values()])
        hits.sort(key=lambda h: -h.score)
        return collapse_duplicates(hits, k)

    def _current_first(self, hits: list[Hit]) -> list[Hit]:
        """A superseded version never outranks its current version: an old article that matched better
        (the question quoted the old wording) is placed just below the current version's best hit."""
        best: dict[str, float] = {}
        for h in hits:
            best[h.chunk.doc_id] = max(best.get(h.chunk.doc_id, 0.0), h.score)
        out = []
        for h in hits:
            rec = self.docs.get(h.chunk.doc_id)
            current = rec.superseded_by if rec is not None and h.chunk.status == SUPERSEDED else ""
            if current in best and best[current] <= h.score:
                h = replace(h, score=best[current] * (1 - 1e-6))
            out.append(h)
        return out

    def _fuse(self, sparse, dense) -> dict:
        """Weighted fusion over the union of both candidate lists (a chunk missing from one list gets 0 there)."""
        f = self.fusion
        out: dict[str, tuple[Chunk, float, dict]] = {}
        for name, weight, ranked in (("bm25", f.w_bm25, sparse), ("dense", f.w_dense, dense)):
            top = ranked[0][1] if ranked else 0.0
            low = ranked[-1][1] if ranked else 0.0
            for rank, (c, s) in enumerate(ranked, 1):
                chunk, total, parts = out.get(c.chunk_id, (c, 0.0, {}))
                parts[name] = s
                parts[f"rank_{name}"] = rank
                if f.method == "linear":  # bm25 / best bm25; cosine min-max scaled over the dense pool
                    part = s / max(top, f.bm25_floor) if name == "bm25" else (s - low) / max(top - low, 1e-6)
                else:
                    part = 1.0 / (f.rrf_k + rank)
                out[c.chunk_id] = (chunk, total + weight * part, parts)
        return out

    def _priors(self, q: str):
        named = {d for place, docs in self._places.items() if place in q for d in docs}
        names_place = bool(named) or any(p in q for p in _PROVINCES)
        f = self.fusion

        def factor(c: Chunk) -> float:
            x = SUPERSEDED_FACTOR if c.status == SUPERSEDED else 1.0
            if c.doc_id in named:
                x *= PLACE_BOOST
            elif c.kind in _LOCAL_KINDS and (not names_place or named):
                x *= f.local_factor  # no place named: national law first; a place named: not another place's rules
            if c.kind in _CASE_KINDS:
                x *= f.case_factor
            elif c.kind == _INTERPRETATION:
                x *= f.interpretation_factor
            return x

        return factor

    def dense_ready(self, required: bool = False) -> bool:
        """Vectors and the encoder that made them are both there (loads the encoder on first use)."""
        if self.store.has_dense and self._encoder is not None and self.encoder is not None:
            return True
        if required and self.encoder_error is not None:
            raise self.encoder_error
        if required:
            raise errors.ModelError("该索引没有向量部分，无法做语义检索",
                                    hint="请运行 kb index build 建立带语义向量的索引（默认使用 e5 模型）")
        return False


def _sub_reference(rest: str) -> dict:
    """"第三项" / "第二款第一项" right after 第X条 → {"item": 3} / {"paragraph": 2, "item": 1} (for highlighting)."""
    m = _SUB_REF.match(rest)
    if not m:
        return {}
    try:
        first = cn_to_int(m.group(1))
        out = {"paragraph" if m.group(2) == "款" else "item": first}
        if m.group(3):
            out["item"] = cn_to_int(m.group(3))
        return out
    except ValueError:
        return {}


def _trigrams(text: str) -> set[str]:
    t = re.sub(r"\W", "", text)
    return {t[i:i + 3] for i in range(max(1, len(t) - 2))}


def _same_text(a: set[str], b: set[str]) -> bool:
    return len(a & b) / max(1, len(a | b)) >= DUP_JACCARD


def collapse_duplicates(hits: list[Hit], k: int) -> list[Hit]:
    """Drop hits whose text nearly equals a better hit from another document (e.g. the same clause in two
    provinces' regulations, or an unchanged article of an old version). When one of the pair is the current
    version and the other superseded, the current one takes the better position."""
    kept: list[tuple[Hit, set[str]]] = []
    for h in hits:
        grams = _trigrams(h.chunk.text)
        dup = next((i for i, (kh, kg) in enumerate(kept)
                    if kh.chunk.doc_id != h.chunk.doc_id and _same_text(grams, kg)), None)
        if dup is None:
            kept.append((h, grams))
        elif kept[dup][0].chunk.status == SUPERSEDED and h.chunk.status != SUPERSEDED:
            kept[dup] = (replace(h, score=kept[dup][0].score), grams)
        if len(kept) >= k:
            break
    return [h for h, _ in kept]


# --- loading ----------------------------------------------------------------------------------------------------
_CACHE: dict[tuple, Retriever] = {}
_LOCK = threading.Lock()


def get_retriever(settings: Settings | None = None, collection: str = "default") -> Retriever:
    """A Retriever, cached per (root, store, collection, encoder choice) and reloaded when the store's
    generation changes (a document added through another process or app server)."""
    from kb.index.store import open_store, store_uri

    settings = settings or get_settings()
    key = (str(settings.root), store_uri(settings), collection, settings.embed_model)
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None and not cached.store.is_stale():
            return cached
        store = open_store(settings, collection)
        encoder = query_encoder(settings, store, collection)
        reranker = _assistant_rerank if collection == "default" else None  # fitted on this collection's questions
        retriever = Retriever(store, encoder, COLLECTION_FUSION.get(collection, FUSION), settings.cache_dir, reranker)
        if cached is not None:
            cached.store.close()
        _CACHE[key] = retriever
        return retriever


def _assistant_rerank(query: str, hits: list[Hit], retriever: Retriever) -> list[Hit]:
    from kb.answer import rerank  # imported on first use: a BM25 search never needs the assistant

    return rerank(query, hits, retriever)


def query_encoder(settings: Settings, store: IndexStore, collection: str):
    """What embeds queries for this store: a loader of the encoder that made its vectors. An explicitly
    chosen encoder (--embed-model / KB_EMBED_MODEL) must be that one: vectors of two models never mix."""
    if store.encoder is None:
        return None
    chosen = settings.embed_model if collection == "default" else None
    if chosen and chosen != store.encoder.spec:
        from kb.embed import load_encoder

        name = load_encoder(chosen, settings).name
        if name != store.encoder.name:
            raise errors.ModelError(
                f"索引是用向量模型“{store.encoder.name}”建立的，当前选择的模型是“{name}”，两者不能混用",
                hint="请用当前模型重新运行 kb index build，或用 --embed-model/KB_EMBED_MODEL 选择建索引时的模型")

    def load():
        from kb.index.build import stored_encoder

        return stored_encoder(settings, store)

    return load
