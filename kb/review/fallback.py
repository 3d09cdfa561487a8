"""A broad second tier: combinations of cue classes that no explicit rule covered, reported as 提示.

Explicit rules need a known phrasing; drafts keep finding new ones ("必须来自县定点屠宰场"). Here a
sentence is suspect when it names a favoured party (local operators or goods, a named company, a state-owned
or listed operator) or an outside party, together with a restriction or a benefit. The item is a best
guess from the context words. Never used on sentences that are prohibitions, open to all, or equal-treatment.
"""
from __future__ import annotations

import re

from kb.review.lexicon import COMPANY, FACTOR_FEE, LOC, MONEY, OUT, PRICE, TAXBASE, TENDER

_S = r"[^。；！？\n]"
LOCAL_PARTY = re.compile(rf"(?:{LOC})(?:{_S}{{0,4}}?)(?:企业|经营者|供应商|厂家|厂商|公司|单位|机构|产品|商品|籍|户籍|生产|产的|品牌|银行|屠宰场|市场)"
                         rf"|(?:县|市|区|省)(?:属|直属)(?:国有)?(?:企业|公司|单位)?|(?:来自|从|到|在|由|向|使用|采购|购买){_S}{{0,4}}(?:县|市|区)定点")
OUTSIDE_PARTY = re.compile(rf"(?:{OUT})(?:{_S}{{0,8}}?)(?:企业|经营者|供应商|厂家|公司|单位|机构|队伍|产品|商品|货物|车辆|资本|报告|证书|产)")
SPECIFIC_PARTY = re.compile(rf"{COMPANY}|国有企业|国企|(?:重点|骨干|龙头|链主|白名单|名单内|库内|目录内)企业"
                            rf"|(?:(?:指定|定点)的?|(?:推荐|选定|公布|认定)的){_S}{{0,6}}?(?:企业|公司|供应商|服务商|品牌|厂家|屠宰场|检测机构|中介机构|网点|门店|机构|经销商|单位)")
# what the favoured party is given or made to do: supply, run, be bought from
DEALING = re.compile(r"使用|采购|购买|选用|交由|交给|由|来自|委托|参加|参与|选择|安装|接入|承担|负责|经营|运营|供应|提供|承办|实施")
GRANT = re.compile(r"(?:给予|予以)[^。；]{0,10}(?:奖励|补助|补贴|扶持|资金)|返还|奖励")
RESTRICT = re.compile(r"须|需|必须|应当|一律|只能|仅|限于|限定|不得|不予|方可|才能|否则|原则上|统一|来自|交给|交由|一并|不再|不少于|不低于|优先")
BENEFIT = re.compile(rf"{MONEY}|免缴|免收|减免|减半|优惠|补差|价差|兜底|零收费|按{_S}{{0,12}}\d+%收取")
GOODS_FLOW = re.compile(r"销售|采购|购买|使用|选用|进入|运输|供应|来自|产品|商品|货物|煤|肉|酒")
FRANCHISE = re.compile(r"经营权|运营权|管理权|特许|独家|专营|运营管理|经营期限|续期|投资运营")
PRICE_CAP = re.compile(rf"(?:{PRICE}|均价){_S}{{0,12}}?(?:不得超过|不超过|不得高于|不得低于|统一为|上限|下限|限价|上浮|下浮)")
LEVY = re.compile(r"(?:须|必须|要求|强制|应当)" + _S + r"{0,15}?(?:捐款|捐赠|赞助|会费|摊派|集资|认购)")
PERMIT = re.compile(rf"(?:须|需|应先|应当先|先|未){_S}{{0,12}}?(?:申请|取得|办理|领取){_S}{{0,10}}?(?:证|许可|批准|审批|准入|同意|确认函?|函|意见|证明|批复)"
                    rf"{_S}{{0,12}}?(?:不得|不予|方可|才能|后)")
TAXLIKE = re.compile(rf"{TAXBASE}|税费|地方分享|地方分成|地方留成")


def _tender(scope: str) -> bool:
    return bool(re.search(TENDER, scope))


def suspect(sentence: str, scope: str) -> tuple[int, int, str] | None:
    """(article, item, cue) for a suspicious sentence, else None."""
    sentence = re.sub(r"指定(?:专人|人员|工作人员|联络员|部门)", "", sentence)  # internal staffing, not a supplier
    outside = OUTSIDE_PARTY.search(sentence)
    if outside and (RESTRICT.search(sentence) or re.search(r"上浮|加收|另收|提高", sentence)):
        if _tender(scope):
            return 9, 3, outside.group(0)
        if re.search(r"投资|收购|并购|参股|入股|控股|股权|设立|注册", sentence):
            return 9, 2, outside.group(0)
        if re.search(r"收费|附加费|加收|费用|价格|保证金|押金", sentence):
            return 9, 4, outside.group(0)
        return (9, 1, outside.group(0)) if GOODS_FLOW.search(outside.group(0) + sentence) else (9, 5, outside.group(0))
    if m := PRICE_CAP.search(sentence):
        return 11, 3, m.group(0)
    if m := LEVY.search(sentence):
        return 11, 4, m.group(0)
    if (m := re.search(rf"(?:{LOC}){_S}{{0,6}}?(?:注册|纳税|设立|落户)", sentence)) and re.search(MONEY, sentence):
        return 9, 2, m.group(0)  # a benefit tied to registering or paying tax locally
    if _tender(scope) and (m := re.search(rf"(?:{LOC}){_S}{{0,12}}?(?:项目|工程|业绩|案例)", sentence)) and RESTRICT.search(sentence):
        return 9, 3, m.group(0)  # experience inside the territory as a tender condition
    local = LOCAL_PARTY.search(sentence)
    if local and (RESTRICT.search(sentence) or BENEFIT.search(sentence)):
        cue = local.group(0)
        if BENEFIT.search(sentence) and not RESTRICT.search(sentence):
            return (10, 3, cue) if re.search(FACTOR_FEE, sentence) else (10, 2, cue)
        if _tender(scope):
            return 9, 3, cue
        if re.search(r"籍|户籍|员工|劳动力|存款|资金|数据", sentence):
            return 9, 6, cue
        if re.search(r"设立|注册|总部|分支|落户|纳税", sentence):
            return 9, 2, cue
        return 9, 1, cue
    specific = SPECIFIC_PARTY.search(sentence)
    if specific and BENEFIT.search(sentence):
        if TAXLIKE.search(sentence) and GRANT.search(sentence):
            return 10, 1, specific.group(0)
        return (10, 3, specific.group(0)) if re.search(FACTOR_FEE + r"|占用费|使用费", sentence) else (10, 2, specific.group(0))
    if specific and RESTRICT.search(sentence) and DEALING.search(sentence):
        return (8, 2, specific.group(0)) if FRANCHISE.search(sentence) else (8, 3, specific.group(0))
    if (m := TAXLIKE.search(sentence)) and GRANT.search(sentence):
        return 10, 1, m.group(0)
    if m := PERMIT.search(sentence):
        return 8, 1, m.group(0)
    return None
