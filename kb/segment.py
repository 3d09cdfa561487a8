"""Chinese word segmentation for the whole product: one jieba tokenizer per Segmenter, never jieba's globals.

Indexing (BM25), query expansion and the project's own embedding model all segment through this module,
so a term split one way in the index is split the same way in the query. The sparse index's terms are
`index_terms()` / `query_terms()`: the words plus the character bigrams of every Chinese word of 3+ characters,
so a query word jieba keeps whole ("许可") still meets a longer statute term ("行政许可"); every storage
backend counts exactly these terms (chosen on the dev split of eval/retrieval.jsonl: hit@5 0.74 → 0.78).
Data files (plain text, user-extensible; formats documented in their headers):
  kb/data/domain_dict.txt  政务/法律 terms kept whole ("词 频 词性", jieba user-dictionary format)
  kb/data/stopwords.txt    function words dropped from index tokens
  kb/data/synonyms.tsv     lay term -> statute terms, for query expansion
"""
from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import jieba

from kb.config import DATA_DIR
from kb.errors import DictionaryError, FileNotFound

DOMAIN_DICT = DATA_DIR / "domain_dict.txt"
STOPWORDS = DATA_DIR / "stopwords.txt"
SYNONYMS = DATA_DIR / "synonyms.tsv"

# jieba's own pre-split: characters outside this class end a word, so terms containing e.g. "、"
# can never come out of jieba whole and must be protected before jieba sees the text.
_JIEBA_WORD_CHARS = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?%?")
_NO_WORD = re.compile(r"[\W_]+")
# Units a number binds to in time limits, amounts and counts ("3天", "5个工作日", "160千瓦").
UNITS = frozenset(
    "天 天内 日 日内 个 工作日 小时 小时内 分钟 周 月 个月 年 次 项 件 人 家 元 万元 亿元 万 亿 倍 岁 千瓦 平米 平方米 公里".split()
)
_WITHIN = re.compile(r"(以?内)$")  # "3天内" binds as "3天" so it matches "3天" in the other text
_MAX_KEY_WORDS = 4  # a lay term in synonyms.tsv may be cut into up to this many words
ANALYSIS = 3  # bump when index_terms() changes: an index made with another analysis is re-segmented
# Synonym expansions at full weight helped the dev questions they were grown from and hurt every set written
# later (BM25 hit@5 on the first blind set .659 vs .695 without them); at half weight: .695, hybrid .829 vs .793.
EXPANSION_WEIGHT = 0.5


def _data_lines(path: Path) -> Iterable[tuple[int, str]]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise FileNotFound(path) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DictionaryError(path, 0, f"无法读取（{type(exc).__name__}），请保存为 UTF-8 文本") from exc
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line and not line.startswith("#"):
            yield no, line


def read_dictionary(path: Path) -> list[tuple[str, int | None, str | None]]:
    """Parse a jieba-style user dictionary: "词 [频] [词性]" per line."""
    entries = []
    for no, line in _data_lines(path):
        parts = line.split()
        if len(parts) > 3 or (len(parts) == 3 and not parts[1].isdigit()):
            raise DictionaryError(path, no, line)
        freq = int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None
        tag = parts[-1] if len(parts) >= 2 and not parts[-1].isdigit() else None
        entries.append((parts[0], freq, tag))
    return entries


def read_stopwords(path: Path) -> frozenset[str]:
    return frozenset(line.lower() for _, line in _data_lines(path))


def read_synonyms(path: Path) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for no, line in _data_lines(path):
        if "\t" not in line:
            raise DictionaryError(path, no, line)
        lay, targets = line.split("\t", 1)
        terms = [t.strip() for t in targets.split("|") if t.strip()]
        if not lay.strip() or not terms:
            raise DictionaryError(path, no, line)
        table.setdefault(lay.strip().lower(), []).extend(terms)
    return table


def _quiet_jieba() -> None:
    # jieba prints "Building prefix dict ..." at DEBUG on every new tokenizer; that is noise in a CLI.
    logging.getLogger("jieba").setLevel(logging.WARNING)


def _bind_units(number: str, following: Sequence[str]) -> str:
    """"5" + ["个", "工作日"] -> "5个工作日": a number and the unit words right after it."""
    bound = number
    for word in following:
        if word not in UNITS:
            break
        bound += word
    return _WITHIN.sub("", bound) if bound != number else number


class Segmenter:
    """A private jieba.Tokenizer plus the domain dictionary, stopwords and synonyms."""

    def __init__(
        self,
        domain_dict: Path | None = DOMAIN_DICT,
        extra_dicts: Sequence[Path] = (),
        stopwords: Path | None = STOPWORDS,
        synonyms: Path | None = SYNONYMS,
        hmm: bool = True,
    ):
        _quiet_jieba()
        self._dict_paths = [p for p in [domain_dict, *extra_dicts] if p]
        self._stopword_path = stopwords
        self._jieba = jieba.Tokenizer()
        self._hmm = hmm
        protected = []
        for path in self._dict_paths:
            for word, freq, tag in read_dictionary(path):
                self._jieba.add_word(word, freq, tag)
                if _JIEBA_WORD_CHARS.fullmatch(word) is None:
                    protected.append(word)
        self._protected = (
            re.compile("|".join(re.escape(w) for w in sorted(set(protected), key=len, reverse=True)))
            if protected
            else None
        )
        self.stopwords = read_stopwords(stopwords) if stopwords else frozenset()
        self.synonyms = read_synonyms(synonyms) if synonyms else {}

    def cut(self, text: str) -> list[str]:
        """Words in order, whitespace and punctuation included (concatenation gives the text back)."""
        if not text:
            return []
        if self._protected is None:
            return self._jieba.lcut(text, HMM=self._hmm)
        words: list[str] = []
        pos = 0
        for match in self._protected.finditer(text):
            words += self._jieba.lcut(text[pos : match.start()], HMM=self._hmm)
            words.append(match.group())
            pos = match.end()
        words += self._jieba.lcut(text[pos:], HMM=self._hmm)
        return words

    def tokens(self, text: str) -> list[str]:
        """Index tokens: words minus stopwords, punctuation and whitespace; latin lowercased.

        A number followed by a unit also yields the bound token ("3天", "5个工作日") so time limits
        and amounts can be matched exactly; the unit word itself is kept as well.
        """
        words = [w.strip().lower() for w in self.cut(text)]
        words = [w for w in words if w]
        out: list[str] = []
        for i, word in enumerate(words):
            if _NO_WORD.fullmatch(word):
                continue
            if _NUMBER.fullmatch(word):
                bound = _bind_units(word, words[i + 1 : i + 3])
                if bound != word:
                    out.append(bound)
            if word not in self.stopwords:
                out.append(word)
        return out

    def lay_terms(self, tokens: Sequence[str]) -> list[tuple[int, int, list[str]]]:
        """(start, end, statute terms) of every lay term in the tokens; adjacent tokens are joined ("开"+"公司"),
        and a lay term may end inside a token ("白"+"送给" holds 白送), never start inside one ("通过户口" holds no
        过户)."""
        found = []
        for i in range(len(tokens)):
            for n in range(1, min(_MAX_KEY_WORDS, len(tokens) - i) + 1):
                joined = "".join(tokens[i : i + n])
                if targets := self.synonyms.get(joined):
                    found.append((i, i + n, targets))
                elif n > 1:
                    inside = [self.synonyms[joined[:k]] for k in range(len(joined) - len(tokens[i + n - 1]) + 1, len(joined))
                              if joined[:k] in self.synonyms]
                    found += [(i, i + n, targets) for targets in inside]
        return found

    def expand(self, tokens: Sequence[str]) -> list[str]:
        """The tokens plus the statute terms of every lay term found in them (segmented, de-duplicated)."""
        seen = set(tokens)
        out = list(tokens)
        for _start, _end, targets in self.lay_terms(tokens):
            for target in targets:
                for tok in self.tokens(target):
                    if tok not in seen:
                        seen.add(tok)
                        out.append(tok)
        return out

    def query_tokens(self, query: str) -> list[str]:
        return self.expand(self.tokens(query))

    def index_terms(self, text: str) -> list[str]:
        """What the sparse index stores for a passage."""
        return with_subwords(self.tokens(text))

    def query_terms(self, query: str) -> dict[str, float]:
        """What the sparse index is searched with, term → weight: the query's own words (and sub-words) count
        once per occurrence, the statute words its lay terms expand to count EXPANSION_WEIGHT each — they are
        evidence, weaker than what the user wrote."""
        own = self.tokens(query)
        weights: dict[str, float] = {}
        for t in with_subwords(own):
            weights[t] = weights.get(t, 0.0) + 1.0
        for t in with_subwords(self.expand(own)[len(own):]):
            weights.setdefault(t, EXPANSION_WEIGHT)
        return weights

    @functools.cached_property
    def analysis(self) -> str:
        """Identity of index_terms(): the code's version and the dictionary and stopwords it was made with."""
        from hashlib import sha1

        h = sha1(str(ANALYSIS).encode())
        for path in (*self._dict_paths, self._stopword_path):
            h.update(Path(path).read_bytes() if path else b"")
        return f"{ANALYSIS}-{h.hexdigest()[:8]}"


def with_subwords(tokens: Sequence[str]) -> list[str]:
    out = list(tokens)
    for t in tokens:
        if len(t) >= 3 and not t.isascii():
            out.extend(t[i:i + 2] for i in range(len(t) - 1))
    return out


@functools.lru_cache(maxsize=1)
def get_segmenter() -> Segmenter:
    """The shared default Segmenter (building one costs ~1 s: jieba's prefix dictionary)."""
    return Segmenter()
