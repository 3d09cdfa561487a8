"""Mine candidate domain terms for kb/data/domain_dict.txt from the corpus.

Prints candidates with counts; a human keeps the good ones (the dictionary is curated, not generated).
Sources: phrases inside quotes (the plan quotes its reform names), **bold** markdown, and frequent
4-7 character n-grams that jieba's default dictionary splits into pieces.
Usage: python eval/mine_terms.py [corpus_dir] [--top N]
"""
from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

import jieba

QUOTED = re.compile(r'["“”「」]([^"“”「」\n]{2,12})["“”「」]')
BOLD = re.compile(r"\*\*([^*\n]{2,20})\*\*")
HAN = re.compile(r"[\u4e00-\u9fff]+")


def corpus_texts(corpus_dir: Path) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(corpus_dir.rglob("*")) if p.suffix in {".txt", ".md"}]


def quoted_terms(texts: list[str]) -> Counter:
    found = Counter()
    for text in texts:
        found.update(m.strip() for m in QUOTED.findall(text) + BOLD.findall(text))
    return found


def split_ngrams(texts: list[str], tokenizer: jieba.Tokenizer, min_count: int = 4) -> Counter:
    """Frequent n-grams that the default jieba dictionary cuts into two or more words."""
    grams = Counter()
    for text in texts:
        for run in HAN.findall(text):
            for n in range(4, 8):
                grams.update(run[i : i + n] for i in range(len(run) - n + 1))
    out = Counter()
    for gram, count in grams.items():
        if count >= min_count and len(tokenizer.lcut(gram, HMM=False)) >= 2:
            out[gram] = count
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", nargs="?", default=str(Path(__file__).resolve().parents[1] / "corpus"))
    ap.add_argument("--top", type=int, default=300)
    args = ap.parse_args()
    texts = corpus_texts(Path(args.corpus))
    tokenizer = jieba.Tokenizer()
    print("# quoted / bold")
    for term, count in quoted_terms(texts).most_common(args.top):
        print(f"{term}\t{count}\t{'/'.join(tokenizer.lcut(term, HMM=False))}")
    print("# frequent n-grams split by jieba")
    for term, count in split_ngrams(texts, tokenizer).most_common(args.top):
        print(f"{term}\t{count}\t{'/'.join(tokenizer.lcut(term, HMM=False))}")


if __name__ == "__main__":
    main()
