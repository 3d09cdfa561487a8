"""The review standards: the own words of 《公平竞争审查条例》 arts. 8–11, read from the corpus file.

The items are parsed with kb.structure so the report quotes exactly what the regulation says. When the
corpus is not at hand (the package installed elsewhere), a copy of the same items is used.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from kb.config import get_settings

REGULATION = "公平竞争审查条例"
REGULATION_FILE = "公平竞争审查条例(2024-06-06).md"
ARTICLE_LABELS = {8: "第八条", 9: "第九条", 10: "第十条", 11: "第十一条", 12: "第十二条"}
ITEM_LABELS = "一二三四五六七八九十"

# Fallback copy of arts. 8–11 (same text as the corpus file), used only when the file cannot be read.
_FALLBACK = {
    8: ["对市场准入负面清单以外的行业、领域、业务等违法设置审批程序；", "违法设置或者授予特许经营权；",
        "限定经营、购买或者使用特定经营者提供的商品或者服务（以下统称商品）；", "设置不合理或者歧视性的准入、退出条件；",
        "其他限制或者变相限制市场准入和退出的内容。"],
    9: ["限制外地或者进口商品、要素进入本地市场，或者阻碍本地经营者迁出，商品、要素输出；",
        "排斥、限制、强制或者变相强制外地经营者在本地投资经营或者设立分支机构；",
        "排斥、限制或者变相限制外地经营者参加本地政府采购、招标投标；",
        "对外地或者进口商品、要素设置歧视性收费项目、收费标准、价格或者补贴；",
        "在资质标准、监管执法等方面对外地经营者在本地投资经营设置歧视性要求；", "其他限制商品、要素自由流动的内容。"],
    10: ["给予特定经营者税收优惠；", "给予特定经营者选择性、差异化的财政奖励或者补贴；",
         "给予特定经营者要素获取、行政事业性收费、政府性基金、社会保险费等方面的优惠；", "其他影响生产经营成本的内容。"],
    11: ["强制或者变相强制经营者实施垄断行为，或者为经营者实施垄断行为提供便利条件；",
         "超越法定权限制定政府指导价、政府定价，为特定经营者提供优惠价格；", "违法干预实行市场调节价的商品、要素的价格水平；",
         "其他影响生产经营行为的内容。"],
}
_FALLBACK_LEADS = {
    8: "起草单位起草的政策措施，不得含有下列限制或者变相限制市场准入和退出的内容：",
    9: "起草单位起草的政策措施，不得含有下列限制商品、要素自由流动的内容：",
    10: "起草单位起草的政策措施，没有法律、行政法规依据或者未经国务院批准，不得含有下列影响生产经营成本的内容：",
    11: "起草单位起草的政策措施，不得含有下列影响生产经营行为的内容：",
}


@lru_cache(maxsize=4)
def _items(path: str | None) -> tuple[dict[int, list[str]], dict[int, str]]:
    try:
        from kb.structure import parse_file

        doc = parse_file(path or get_settings().corpus_dir / "regulations" / REGULATION_FILE)
        items = {n: [it.text for it in doc.article(n).items] for n in (8, 9, 10, 11)}
        leads = {n: doc.article(n).paragraphs[0].text.split("\n")[0] for n in (8, 9, 10, 11)}
        if all(items[n] and len(items[n]) == len(_FALLBACK[n]) for n in items):
            return items, leads
    except Exception:  # noqa: BLE001 - any failure to read the corpus falls back to the built-in copy
        pass
    return _FALLBACK, _FALLBACK_LEADS


def standards(path: str | Path | None = None) -> dict[int, list[str]]:
    """{article: [item text, …]} for arts. 8–11."""
    return _items(str(path) if path else None)[0]


def item_text(article: int, item: int | None) -> str:
    items, leads = _items(None)
    if item is None or not 1 <= item <= len(items[article]):
        return leads[article]
    return items[article][item - 1].rstrip("；。")


def citation(article: int, item: int | None) -> str:
    """"《公平竞争审查条例》第九条第（三）项"."""
    tail = f"第（{ITEM_LABELS[item - 1]}）项" if item else ""
    return f"《{REGULATION}》{ARTICLE_LABELS[article]}{tail}"
