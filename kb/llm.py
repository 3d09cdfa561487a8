"""Optional generation: a local OpenAI-compatible model rewrites the answer from the retrieved articles.

Off by default; on when KB_LLM_BASE_URL and KB_LLM_MODEL are set (KB_LLM_API_KEY if the server wants one).
A generated answer is only used if it passes check_generated(): every article it cites was retrieved, and every
number it states (with its unit, as kb.quantities reads it) occurs in an article it cites. Otherwise the extractive answer stands, with a note saying why.
"""
from __future__ import annotations

import os
import re
from dataclasses import replace

from kb.assistant.render import ABSTAIN_TEXT, ref
from kb.models import Answer, Citation
from kb.quantities import find_quantities
from kb.numerals import LABEL_NUMERAL as _CN_CHARS, cn_to_int, int_to_cn

_MARKER = re.compile(r"\[([A-Za-z0-9][A-Za-z0-9_\-]*)#(\d+)\]")
_ARABIC = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])")
_UNITS = r"(?:个工作日|工作日|个月|个|小时|分钟|天|日|年|周|倍|万元|元|项|人|名|家|次|%|以上|以下)"
_CN_NUMBER = re.compile(rf"(?<![{_CN_CHARS}第])[{_CN_CHARS}]+(?={_UNITS})")

SYSTEM = (
    "你是政策法规问答助手。只能依据给出的条文回答，不得补充条文以外的信息。"
    "回答用中文，先给一句结论，再说明依据。每句话后用 [编号#条号] 标注出处，例如 [kxzf-2025#9]。"
    f"数字必须与条文原文一致。条文不足以回答时，直接说“{ABSTAIN_TEXT.rstrip('。')}”。"
)


def enabled() -> bool:
    return bool(os.environ.get("KB_LLM_BASE_URL") and os.environ.get("KB_LLM_MODEL"))


def _prompt(question: str, sources: dict[tuple[str, int], tuple[str, str]]) -> str:
    blocks = [f"[{d}#{n}] {title}：{text}" for (d, n), (title, text) in sources.items()]
    return "条文：\n" + "\n".join(blocks) + f"\n\n问题：{question}"


def generate(question: str, sources: dict[tuple[str, int], tuple[str, str]]) -> str:
    from langchain_openai import ChatOpenAI

    llm = ChatOpenAI(
        base_url=os.environ["KB_LLM_BASE_URL"], model=os.environ["KB_LLM_MODEL"],
        api_key=os.environ.get("KB_LLM_API_KEY", "not-needed"), temperature=0, timeout=120, max_retries=1,
    )
    reply = llm.invoke([("system", SYSTEM), ("human", _prompt(question, sources))])
    return str(reply.content).strip()


def cited_refs(text: str) -> list[tuple[str, int]]:
    return list(dict.fromkeys((d, int(n)) for d, n in _MARKER.findall(text)))


def _unsupported_numbers(text: str, cited: str) -> list[str]:
    """Numbers of the text that no cited article states: every quantity with a unit (kb.quantities: 一百六十千瓦,
    百分之三十, 3个工作日, 5万元 = 50000元), compared by value and unit; then the bare numbers outside them."""
    have = {(q.unit, round(q.value, 6)) for q in find_quantities(cited)}
    missing, spans = [], []
    for q in find_quantities(text):
        spans.append((q.start, q.end))
        if (q.unit, round(q.value, 6)) not in have and not any(_number_in(n, cited) for n in _numbers(q.text)):
            missing.append(q.text)
    for m in [*_ARABIC.finditer(text), *_CN_NUMBER.finditer(text)]:
        if not any(a <= m.start() < b for a, b in spans) and not _number_in(m.group(), cited):
            missing.append(m.group())
    return list(dict.fromkeys(missing))


def _numbers(text: str) -> list[str]:
    return _ARABIC.findall(text) + _CN_NUMBER.findall(text)


def _number_in(number: str, text: str) -> bool:
    """Whether a number occurs in the text, written either in arabic or in Chinese numerals."""
    try:
        value = float(number) if "." in number else cn_to_int(number)
    except ValueError:
        return False
    forms = {number}
    if float(value).is_integer():
        forms |= {str(int(value)), int_to_cn(int(value))}
        if 10 <= value < 20:
            forms.add("一" + int_to_cn(int(value)))  # 一十五 as well as 十五
    for form in forms:
        if form[0].isdigit():
            pattern = rf"(?<![\d.]){re.escape(form)}(?![\d.])"
        else:  # a Chinese numeral counts only as a quantity: "三日" yes, "第三方" no
            pattern = rf"(?<![{_CN_CHARS}第]){re.escape(form)}(?={_UNITS})"
        if re.search(pattern, text):
            return True
    return False


def check_generated(text: str, sources: dict[tuple[str, int], str]) -> list[str]:
    """Problems that make a generated answer unusable (empty list = usable).

    sources maps (doc_id, article number) of every retrieved article to its text.
    """
    problems = []
    refs = cited_refs(text)
    if not refs:
        problems.append("回答没有标注任何出处")
    unknown = [f"{d}#{n}" for d, n in refs if (d, n) not in sources]
    if unknown:
        problems.append("引用了未检索到的条文：" + "、".join(unknown))
    cited_text = "\n".join(sources[r] for r in refs if r in sources)
    missing = _unsupported_numbers(_MARKER.sub(" ", text), cited_text)
    if missing:
        problems.append("以下数字在所引条文中找不到：" + "、".join(missing))
    return problems


def rewrite_with_llm(extractive: Answer, sources: list[Citation]) -> Answer:
    """The generated answer if it passes the check, else the extractive one with a note. sources: the retrieved
    articles as citations (their article_text is what the model may use)."""
    by_ref = {(c.doc_id, c.article): c for c in sources}
    texts = {key: (ref(c), c.article_text or c.quote) for key, c in by_ref.items()}
    try:
        text = generate(extractive.question, texts)
    except Exception as exc:  # any server/network failure: the extractive answer is still correct
        return replace(extractive, notes=extractive.notes + [f"大模型调用失败（{type(exc).__name__}），已使用条文摘录回答。"])
    if not cited_refs(text) and ABSTAIN_TEXT.rstrip("。") in text:  # the model found the articles do not answer
        return replace(extractive, notes=extractive.notes + ["大模型认为检索到的条文不足以回答这个问题；以下为最接近的条文摘录，请核对。"])
    problems = check_generated(text, {key: t for key, (_, t) in texts.items()})
    if problems:
        return replace(extractive, notes=extractive.notes + ["大模型生成的回答未通过核对（" + "；".join(problems) + "），已使用条文摘录回答。"])
    refs = cited_refs(text)
    return replace(extractive, generated=text, citations=[by_ref[r] for r in refs],
                   related=[c for key, c in by_ref.items() if key not in refs],
                   notes=extractive.notes + ["回答由大模型依据所引条文生成，已核对出处和数字。"])
