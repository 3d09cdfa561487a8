"""Validate the labelled evaluation data in eval/retrieval.jsonl, eval/qa.jsonl and eval/library.jsonl.

Stdlib only: reads the corpus files directly so the labels can be checked
independently of the kb parser (a parser bug must not hide a labelling bug).
Run: python eval/check_labels.py  (exit code 1 on any violation)
"""
from __future__ import annotations

import json
import re
import sys
import tarfile
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
EVAL = ROOT / "eval"
MAX_RUN = 6  # longest run of characters a query may share with its gold article

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
             "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
REG_ARTICLE = re.compile(r"^第([零〇一二两三四五六七八九十百千]+)条(?:[\s　]|$)")
PLAN_ARTICLE = re.compile(r"^(?:-\s*)?(\d{1,2})\s*[.．]\s*(?!\d)")
# Plan headings that close an article: "三、…", "(五)…", "- (六)…".
PLAN_HEADING = re.compile(r"^(?:-\s*)?(?:[一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）])")


def cn_to_int(text: str) -> int:
    total, current = 0, 0
    for ch in text:
        if ch in CN_DIGITS:
            current = CN_DIGITS[ch]
        else:
            total += (current or 1) * CN_UNITS[ch]
            current = 0
    return total + current


def normalise(text: str) -> str:
    """Fold full/half-width punctuation and drop whitespace, so '0.5 天' == '0.5天'."""
    table = str.maketrans({"（": "(", "）": ")", "，": ",", "：": ":", "；": ";", "．": ".",
                           "“": '"', "”": '"', "％": "%", "＋": "+"})
    return re.sub(r"\s+", "", text.translate(table))


def parse_plan(text: str) -> dict[int, str]:
    articles: dict[int, list[str]] = {}
    current, last = None, 0
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        m = PLAN_ARTICLE.match(line)
        if m and int(m.group(1)) == last + 1:
            current = last = int(m.group(1))
            articles[current] = [line]
        elif PLAN_HEADING.match(line) or line.startswith("本文件由"):
            current = None
        elif current is not None:
            articles[current].append(line)
    return {n: "".join(lines) for n, lines in articles.items()}


def parse_regulation(text: str) -> dict[int, str]:
    articles: dict[int, list[str]] = {}
    current = None
    for line in text.splitlines():
        line = line.strip()
        m = REG_ARTICLE.match(line)
        if m:
            current = cn_to_int(m.group(1))
            articles[current] = [line]
        elif line.startswith("#"):
            current = None
        elif current is not None and line:
            articles[current].append(line)
    return {n: "\n".join(lines) for n, lines in articles.items()}


def load_corpus() -> dict[str, dict[int, str]]:
    """doc_id -> {article number -> article text}, for every manifest entry."""
    manifest = tomllib.loads((CORPUS / "manifest.toml").read_text(encoding="utf-8"))
    docs = {}
    for entry in manifest["document"]:
        text = (CORPUS / entry["path"]).read_text(encoding="utf-8")
        parse = parse_plan if entry["kind"] == "规划" else parse_regulation
        docs[entry["id"]] = parse(text)
    return docs


NAMED_ARTICLE = re.compile(r"第[0-9零〇一二两三四五六七八九十百]+条")
INTENTS = {"时限", "程序", "清单", "条件", "罚则", "其他"}
TOPICS = {"plan", "regulation", "payment", "none"}
TYPES = {"deadline", "list", "procedure", "fact", "eligibility", "penalty", "version"}
VERDICTS = {"符合", "不符合", "无法判断"}
SPLITS = {"dev", "test"}


def longest_common_run(a: str, b: str) -> int:
    """Length of the longest substring of `a` that also occurs in `b`."""
    best = 0
    for i in range(len(a)):
        # Grow the window only while it still occurs in b: O(len(a)^2) substring checks, fine for short queries.
        j = i + best + 1
        while j <= len(a) and a[i:j] in b:
            best = j - i
            j += 1
    return best


def read_jsonl(path: Path, errors: list[str]) -> list[dict]:
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            errors.append(f"{path.name}:{lineno}: JSON 格式错误: {exc}")
    return rows


def check_gold(row: dict, docs: dict, errors: list[str]) -> list[str]:
    """Return the normalised texts of the gold articles, reporting missing ones."""
    texts = []
    for g in row.get("gold", []):
        doc, art = g.get("doc_id"), g.get("article")
        if doc not in docs:
            errors.append(f"{row['id']}: 未知文档 {doc}")
        elif art not in docs[doc]:
            errors.append(f"{row['id']}: {doc} 没有第 {art} 条")
        else:
            texts.append(normalise(docs[doc][art]))
    return texts


def check_common(rows: list[dict], text_key: str, docs: dict, errors: list[str]) -> list[int]:
    seen, overlaps = set(), []
    for row in rows:
        rid = row.get("id")
        if rid in seen:
            errors.append(f"重复的 id: {rid}")
        seen.add(rid)
        gold_texts = check_gold(row, docs, errors)
        query = normalise(row.get(text_key, ""))
        if not query:
            errors.append(f"{rid}: {text_key} 为空")
        run = max((longest_common_run(query, t) for t in gold_texts), default=0)
        overlaps.append(run)
        if run > MAX_RUN:
            errors.append(f"{rid}: 与标准条文连续重合 {run} 个字符（上限 {MAX_RUN}）: {row.get(text_key)}")
        row["_gold_texts"] = gold_texts
        check_payment_version(row, text_key, errors)
    return overlaps


def check_payment_version(row: dict, text_key: str, errors: list[str]) -> None:
    """The superseded 2020 payment rules may be gold only next to 2025, or when the text asks for 2020."""
    ids = {g.get("doc_id") for g in row.get("gold", [])}
    asks_old = any(word in row.get(text_key, "") for word in ("2020", "旧版", "老版"))
    if "kxzf-2020" in ids and "kxzf-2025" not in ids and not asks_old:
        errors.append(f"{row['id']}: 只标了 2020 版款项支付条例，应标 2025 版 kxzf-2025")


def check_folded(name: str, rows: list[dict], docs: dict, errors: list[str]) -> None:
    """calib.jsonl and the blind sets (written by others, without qa.jsonl's intent/topic labels): gold exists,
    key facts are in it word for word, answerable agrees with gold. A long run shared with the article is only
    reported: these sets are kept exactly as their writers wrote them (their first scores were taken on that)."""
    found: list[str] = []
    check_common(rows, "question", docs, found)
    errors += [e for e in found if "连续重合" not in e]
    long_runs = [e.split(":")[0] for e in found if "连续重合" in e]
    if long_runs:
        print(f"  注意：{name} 中 {len(long_runs)} 题与标准条文连续重合超过 {MAX_RUN} 字（{'、'.join(long_runs)}）")
    for row in rows:
        if row.get("answerable", True) is not bool(row.get("gold")):
            errors.append(f"{name} {row['id']}: answerable 与 gold 不一致")
        for fact in row.get("key_facts", []):
            if not any(normalise(fact) in t for t in row["_gold_texts"]):
                errors.append(f"{name} {row['id']}: 要点 “{fact}” 不在标准条文中")
        if row.get("type") is not None and row["type"] not in TYPES:
            errors.append(f"{name} {row['id']}: type 取值错误 {row['type']}")
    print(f"{name}: {len(rows)} 条, 可回答 {sum(bool(r.get('gold')) for r in rows)}")


def check_retrieval(rows: list[dict], docs: dict, errors: list[str]) -> None:
    overlaps = check_common(rows, "query", docs, errors)
    for row in rows:
        if not row.get("gold"):
            errors.append(f"{row['id']}: 检索题必须有标准答案")
        if row.get("split") not in SPLITS:
            errors.append(f"{row['id']}: split 取值错误 {row.get('split')}")
        if not isinstance(row.get("synonym"), bool):
            errors.append(f"{row['id']}: synonym 必须是布尔值")
    n = len(rows)
    plan = sum(any(g["doc_id"] == "yj-plan-2022" for g in r["gold"]) for r in rows)
    print(f"retrieval.jsonl: {n} 条, 规划 {plan} ({plan / max(n, 1):.0%}), 法规 {n - plan}")
    print("  split:", dict(Counter(r.get("split") for r in rows)))
    syn = sum(bool(r.get("synonym")) for r in rows)
    print(f"  synonym: {syn} ({syn / max(n, 1):.0%})")
    per_doc = Counter(g["doc_id"] for r in rows for g in r["gold"])
    print("  每个文档被标注次数:", dict(sorted(per_doc.items(), key=lambda kv: -kv[1])))
    named = sum(bool(NAMED_ARTICLE.search(r["query"])) for r in rows)
    print(f"  点名条文的查询: {named}")
    print(f"  与标准条文最长连续重合: 最大 {max(overlaps, default=0)}, 平均 {sum(overlaps) / max(n, 1):.1f}")
    for doc in docs:
        if per_doc[doc] < 2:
            errors.append(f"retrieval: 文档 {doc} 只出现 {per_doc[doc]} 次（至少 2 次）")


def check_qa(rows: list[dict], docs: dict, errors: list[str]) -> None:
    overlaps = check_common(rows, "question", docs, errors)
    for row in rows:
        rid = row["id"]
        if row.get("intent") not in INTENTS:
            errors.append(f"{rid}: intent 取值错误 {row.get('intent')}")
        if row.get("topic") not in TOPICS:
            errors.append(f"{rid}: topic 取值错误 {row.get('topic')}")
        answerable = row.get("answerable")
        if answerable is not bool(row.get("gold")):
            errors.append(f"{rid}: answerable 与 gold 不一致")
        if answerable is False and (row.get("key_facts") or row.get("topic") != "none"):
            errors.append(f"{rid}: 无答案题不应有 key_facts，topic 应为 none")
        paid = any(g["doc_id"].startswith("kxzf-") for g in row.get("gold", []))
        if answerable and (row.get("topic") == "payment") != paid:
            errors.append(f"{rid}: 款项支付条例的题 topic 应为 payment")
        if answerable and not 1 <= len(row.get("key_facts", [])) <= 3:
            errors.append(f"{rid}: key_facts 应为 1–3 条")
        for fact in row.get("key_facts", []):
            if not any(normalise(fact) in t for t in row["_gold_texts"]):
                errors.append(f"{rid}: 要点 “{fact}” 不在标准条文中")
        if row.get("type") not in TYPES:
            errors.append(f"{rid}: type 取值错误 {row.get('type')}")
        check_verdict(row, errors)
        check_steps(row, docs, errors)
    n = len(rows)
    print(f"qa.jsonl: {n} 条, 可回答 {sum(bool(r.get('answerable')) for r in rows)}, 不可回答 {sum(r.get('answerable') is False for r in rows)}")
    print("  topic:", dict(Counter(r.get("topic") for r in rows)))
    print("  intent:", dict(Counter(r.get("intent") for r in rows)))
    print("  type:", dict(Counter(r.get("type") for r in rows)))
    print("  verdict:", dict(Counter(r["verdict"] for r in rows if "verdict" in r)),
          f"带步骤的程序题 {sum(1 for r in rows if r.get('steps'))}")
    print(f"  与标准条文最长连续重合: 最大 {max(overlaps, default=0)}, 平均 {sum(overlaps) / max(n, 1):.1f}")


def check_verdict(row: dict, errors: list[str]) -> None:
    """An eligibility row's verdict, and what is missing exactly when the verdict is 无法判断."""
    if "verdict" not in row:
        return
    rid, verdict = row["id"], row["verdict"]
    if verdict not in VERDICTS:
        errors.append(f"{rid}: verdict 取值错误 {verdict}")
    if (verdict == "无法判断") != bool(row.get("missing")):
        errors.append(f"{rid}: 只有“无法判断”的题写 missing（缺少的事实）")
    if verdict != "无法判断" and not row.get("user_value"):
        errors.append(f"{rid}: 能判断的题应写 user_value（提问者给出的事实）")
    if not row.get("condition"):
        errors.append(f"{rid}: 缺少 condition（条文中的条件）")


def check_steps(row: dict, docs: dict, errors: list[str]) -> None:
    """A procedure row's steps: numbered in order, each on a gold article that holds one of its keywords."""
    steps = row.get("steps")
    if steps is None:
        return
    rid, gold = row["id"], {(g["doc_id"], g["article"]) for g in row.get("gold", [])}
    if [s.get("n") for s in steps] != list(range(1, len(steps) + 1)):
        errors.append(f"{rid}: 步骤编号应为 1、2、3…")
    for s in steps:
        key = (s.get("doc_id"), s.get("article"))
        if key not in gold:
            errors.append(f"{rid}: 第 {s.get('n')} 步的条文 {key} 不在 gold 中")
            continue
        text = normalise(docs[key[0]][key[1]])
        if not any(normalise(k) in text for k in s.get("keywords") or []):
            errors.append(f"{rid}: 第 {s.get('n')} 步的关键词 {s.get('keywords')} 都不在条文中")


def check_cross(retrieval: list[dict], qa: list[dict]) -> None:
    """QA questions should be worded differently from retrieval queries (informational)."""
    queries = [normalise(r["query"]) for r in retrieval]
    runs = [max((longest_common_run(normalise(q["question"]), r) for r in queries), default=0) for q in qa]
    same = sum(normalise(q["question"]) in queries for q in qa)
    print(f"qa 与 retrieval 措辞: 最长公共片段最大 {max(runs, default=0)}, 完全相同 {same} 条")


LIBRARY = ROOT / "data" / "lawrefbook-md.tar.xz"
DATED = re.compile(r"^(.*?)\s*[（(](\d{4}-\d{2}-\d{2})[)）]$")


def load_library(titles: set[str]) -> dict[str, dict[int, str]]:
    """title -> articles of its newest version, for the titles named in eval/library.jsonl (read from the .tar.xz)."""
    newest: dict[str, tuple[str, str]] = {}
    with tarfile.open(LIBRARY, "r:xz") as tar:
        for member in tar:
            if not member.isfile() or not member.name.endswith(".md"):
                continue
            m = DATED.match(Path(member.name).stem)
            title, date = (m.group(1), m.group(2)) if m else (Path(member.name).stem, "")
            if title in titles and date >= newest.get(title, ("", ""))[0]:
                newest[title] = (date, tar.extractfile(member).read().decode("utf-8"))
    return {t: parse_regulation(text) for t, (_, text) in newest.items()}


def check_library(rows: list[dict], errors: list[str]) -> None:
    laws = load_library({g["title"] for r in rows for g in r.get("gold", [])})
    print(f"library.jsonl: {len(rows)} 条, 涉及国家库中 {len(laws)} 部法律法规")
    for row in rows:
        if row.get("split") not in SPLITS:
            errors.append(f"{row['id']}: split 必须是 dev 或 test")
        for g in row.get("gold", []):
            arts = laws.get(g["title"])
            if arts is None:
                errors.append(f"{row['id']}: 国家库中没有《{g['title']}》")
            elif g["article"] not in arts:
                errors.append(f"{row['id']}: 《{g['title']}》没有第 {g['article']} 条")
            elif longest_common_run(normalise(row["query"]), normalise(arts[g["article"]])) > MAX_RUN:
                errors.append(f"{row['id']}: 问题与条文原文重合过长（超过 {MAX_RUN} 字）")


def main() -> int:
    docs = load_corpus()
    errors: list[str] = []
    retrieval = read_jsonl(EVAL / "retrieval.jsonl", errors)
    qa = read_jsonl(EVAL / "qa.jsonl", errors)
    check_retrieval(retrieval, docs, errors)
    check_qa(qa, docs, errors)
    check_cross(retrieval, qa)
    check_library(read_jsonl(EVAL / "library.jsonl", errors), errors)
    for path in [EVAL / "calib.jsonl", *sorted(EVAL.glob("blind_*.jsonl"))]:  # fitted and tuned on: checked alike
        check_folded(path.name, read_jsonl(path, errors), docs, errors)
    for err in errors:
        print("错误:", err)
    print("校验通过" if not errors else f"校验失败: {len(errors)} 个问题")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
