"""Similarity of a sentence to each item of arts. 8–11 (char-bigram TF-IDF cosine).

Used only to raise recall: a sentence no rule caught is reported as 提示 when it is close to an item's
wording AND carries one of that item's cue words. Similarity alone never flags a sentence.
Each item is represented by its own text plus a short paraphrase of the situations SAMR lists for it.
"""
from __future__ import annotations

from functools import lru_cache

from kb.review.standards import standards

# Paraphrases of the situations under each item (《公平竞争审查条例实施办法》), to widen the item's vocabulary.
_SITUATIONS = {
    (8, 1): "市场准入负面清单以外 设置审批 备案 核准 年检 认定 前置审批 未经批准不得经营 准入许可管理",
    (8, 2): "特许经营权 独家经营 排他经营 专营 未经招标直接授予 特许经营期限",
    (8, 3): "指定 限定 推荐 使用购买特定经营者 特定品牌 指定供应商 名录 备选库 定点",
    (8, 4): "准入条件 退出条件 注册资本 所有制 规模 经营年限 歧视性 不合理 门槛",
    (8, 5): "限制市场准入 数量控制 总量控制 暂停新增 限制退出",
    (9, 1): "外地商品 进口商品 进入本地市场 设卡 检验检测 本地产品 迁出 商品输出 要素输出",
    (9, 2): "外地经营者 本地投资经营 设立分支机构 本地注册 本地纳税 强制设立",
    (9, 3): "外地经营者 政府采购 招标投标 本地业绩 本地注册 本地分支机构 加分 排斥",
    (9, 4): "外地商品 进口商品 歧视性收费 收费标准 价格 补贴 本地生产",
    (9, 5): "外地经营者 资质标准 监管执法 歧视性要求 备案 检查",
    (9, 6): "商品要素自由流动 户籍 劳动力 资金 技术 数据 外流",
    (10, 1): "税收优惠 税收返还 先征后返 纳税额 地方留成 奖励",
    (10, 2): "财政奖励 补贴 选择性 差异化 特定经营者 一事一议 地方贡献",
    (10, 3): "要素获取 土地 地价 电价 用水 行政事业性收费 政府性基金 社会保险费 优惠 减免",
    (10, 4): "生产经营成本 财政承担 保证金 利率 优惠",
    (11, 1): "垄断协议 统一价格 划分市场 限产 联合抵制 行业协会 价格自律",
    (11, 2): "政府指导价 政府定价 优惠价格 特定经营者",
    (11, 3): "市场调节价 价格水平 限价 最高价 最低价 涨价 调价",
    (11, 4): "生产经营行为 强制 入会 摊派 捐赠 报送数据 停产 限产",
}
# Cue words: a sentence must contain one of its item's cues before similarity may flag it.
CUES = {
    8: ("审批", "准入", "特许", "独家", "专营", "指定", "限定", "定点", "名录", "备选库"),
    9: ("外地", "外省", "进口", "本地企业", "本地产品", "本地注册", "本地业绩", "迁出", "分支机构", "户籍"),
    10: ("返还", "纳税", "税收", "地方贡献", "一事一议", "减免", "地价", "电价", "免收"),
    11: ("统一价格", "统一定价", "限价", "定价", "价格", "收费标准", "入会", "摊派", "限产"),
}


@lru_cache(maxsize=1)
def _model():
    from sklearn.feature_extraction.text import TfidfVectorizer

    keys, docs = [], []
    for art, items in standards().items():
        for i, text in enumerate(items, 1):
            keys.append((art, i))
            docs.append(text + " " + _SITUATIONS.get((art, i), ""))
    vec = TfidfVectorizer(analyzer="char", ngram_range=(2, 2), sublinear_tf=True)
    matrix = vec.fit_transform(docs)
    return vec, matrix, keys


def nearest(sentence: str) -> tuple[tuple[int, int], float]:
    """The closest (article, item) and its cosine similarity."""
    vec, matrix, keys = _model()
    sims = (matrix @ vec.transform([sentence]).T).toarray().ravel()
    best = int(sims.argmax())
    return keys[best], float(sims[best])


def cue_in(sentence: str, article: int) -> str | None:
    return next((c for c in CUES[article] if c in sentence), None)
