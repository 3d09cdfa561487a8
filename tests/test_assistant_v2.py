"""Assistant v2 on the real corpus and a real index: eligibility checks, procedures as steps, version answers,
yes/no verdicts, and the --json shapes of the new fields."""
from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from kb import errors
from kb.assistant import eligibility
from kb.cli import main
from kb.models import SUPERSEDED
from kb.quantities import Quantity, find_quantities

PRIZES = ("fbzdjzf-2019", 10)  # 《反不正当竞争法》第十条：抽奖式的有奖销售，最高奖的金额超过五万元
PLAN_POWER = ("yj-plan-2022", 24)



def _check_on(a, key):
    assert not a.abstained and (a.citations[0].doc_id, a.citations[0].article) == key
    assert a.eligibility, "no eligibility check"
    return a.eligibility[0]


# --- the prize-draw ceiling of 《反不正当竞争法》 --------------------------------------------------------------
def test_top_prize_above_the_ceiling_does_not_comply(ask):
    a = ask("商场搞抽奖，一等奖是6万元现金，这样合规吗？")
    check = _check_on(a, PRIZES)
    assert a.verdict == check.verdict == "不符合"
    assert check.user_value == "6万元" and check.threshold == "五万元"
    assert "最高奖的金额超过五万元" in check.quote and "6万元 > 五万元" in check.comparison
    assert "判断：不符合" in a.answer and "6万元 > 五万元" in a.answer


def test_top_prize_below_the_ceiling_complies(ask):
    a = ask("店里抽奖活动最高奖3万元，可以这么设吗？")
    check = _check_on(a, PRIZES)
    assert a.verdict == check.verdict == "符合" and "3万元 < 五万元" in check.comparison


def test_top_prize_without_an_amount_cannot_be_judged_and_names_the_amount(ask):
    a = ask("我们超市做抽奖式有奖销售，最高奖送一部手机，合法吗？")
    check = _check_on(a, PRIZES)
    assert a.verdict == check.verdict == "无法判断" and check.user_value is None
    assert "最高奖的金额" in check.missing and "无法判断" in a.answer


# --- units as people write them --------------------------------------------------------------------------------
@pytest.mark.parametrize("figure", ["150kW", "150KW", "150千瓦", "0.15兆瓦", "0.15MW"])
def test_power_in_any_unit_is_compared_with_the_article(ask, figure):
    a = ask(f"我们是城区的小微企业，报装容量{figure}，低压接入能3天通电吗？")
    check = _check_on(a, PLAN_POWER)
    assert a.verdict == "符合" and check.threshold == "160千瓦" and check.user_value == figure
    assert f"{figure} < 160千瓦" in check.comparison


@pytest.mark.parametrize("amount", ["60000元", "6万元", "6万块"])
def test_money_in_yuan_or_wan_is_compared_alike(ask, amount):
    a = ask(f"商场抽奖一等奖{amount}，这样合规吗？")
    assert _check_on(a, PRIZES).verdict == "不符合" and a.verdict == "不符合"


def test_rural_capacity_above_its_own_ceiling_does_not_qualify(ask):
    # the sentence states 城区 160千瓦 and 农村地区 100千瓦: the asker's 乡下 picks the second
    a = ask("厂子在乡下，小微企业，低压报装130千瓦，能按3天办电吗？")
    check = _check_on(a, PLAN_POWER)
    assert a.verdict == "不符合" and check.threshold == "100千瓦" and "农村地区" in check.condition


# --- what the question leaves open, and what it settles ------------------------------------------------------------
LICENCE_DECISION = ("xzxkf-2019", 42)  # 二十日内作出决定；经负责人批准，可以延长十日
DISCLOSURE_REPLY = ("zfxxgk-2019", 33)  # 20个工作日内答复；经同意并告知，延长最长不得超过20个工作日


def test_a_limit_that_may_be_extended_is_open_until_the_question_says_whether_it_was(ask):
    a = ask("我们的行政许可申请受理后过了25天才作出决定，这超期了吗？")
    check = _check_on(a, LICENCE_DECISION)
    assert a.verdict == check.verdict == "无法判断" and "批准" in check.missing and "十日" in check.missing
    assert "可以延长十日" in check.quote  # the extension's figure is quoted with the limit
    approved = ask("申请行政许可，受理后第28天才拿到决定，中间局领导批准延期了，这合规吗？")
    assert _check_on(approved, LICENCE_DECISION).verdict == approved.verdict == "符合"
    too_late = ask("申请行政许可，受理后第35个工作日才拿到决定，中间局领导批准延期了，这合规吗？")
    assert _check_on(too_late, LICENCE_DECISION).verdict == too_late.verdict == "不符合"
    # 《行政许可法》第八十二条 counts working days: 35 calendar days are at most 27 of them, within 二十日 + 十日;
    # 45 may be 22 to 35 of them
    sure = ask("申请行政许可，受理后第35天才拿到决定，中间局领导批准延期了，这合规吗？")
    assert _check_on(sure, LICENCE_DECISION).verdict == "符合"
    unsure = ask("申请行政许可，受理后第45天才拿到决定，中间局领导批准延期了，这合规吗？")
    assert _check_on(unsure, LICENCE_DECISION).verdict == "无法判断" and "工作日" in unsure.eligibility[0].missing


def test_a_question_saying_the_limit_was_not_extended_is_decided(ask):
    a = ask("申请政府信息公开，对方没说要延期，25个工作日了还没答复，合规吗？")
    check = _check_on(a, DISCLOSURE_REPLY)
    assert a.verdict == check.verdict == "不符合" and check.threshold == "20个工作日"


def test_the_figure_asked_about_is_not_taken_for_the_askers_case(ask):
    # 3天 is the promise asked about; the capacity decides, and city and countryside limits differ
    a = ask("我们小微企业低压报装150kW，办电时间能控制在3天以内吗？")
    assert a.verdict == "无法判断" and any("城区" in c.missing and "农村" in c.missing for c in a.eligibility)
    assert not any(c.user_value == "3天" for c in a.eligibility)


def test_days_between_two_dates_are_a_duration(ask):
    a = ask("依法必须招标的项目，招标文件3月1日发出，3月15日就截止投标，行吗？")
    check = _check_on(a, ("ztbf-2017", 24))
    assert a.verdict == check.verdict == "不符合" and check.threshold == "二十日" and "相隔14天" in check.user_value


def test_a_share_of_a_count_is_the_part_over_the_whole(ask):
    a = ask("依法必须招标的项目，评标委员会定了5个人，其中技术经济专家4个，这样组成行吗？")
    check = _check_on(a, ("ztbf-2017", 37))
    assert check.verdict == "符合" and "4个÷5个" in check.comparison and check.threshold == "三分之二"


def test_quantities_read_lay_figures():
    assert [(q.value, q.unit) for q in find_quantities("要办一笔1200万的贷款", lay=True)] == [(1.2e7, "元")]
    assert [q.value for q in find_quantities("市场份额不足十分之一")] == [10.0]
    assert [(q.value, q.unit) for q in find_quantities("已满十四周岁")] == [(14.0, "岁")]
    assert find_quantities("第4天", lay=True)[0].value == 4 and not find_quantities("第4天")
    # a unit that starts with a numeral character takes it: 一百六十千瓦 is 160 千瓦, not 1,160 瓦
    assert [(q.value, q.unit) for q in find_quantities("一百六十千瓦")] == [(160.0, "千瓦")]
    assert [(q.value, q.text) for q in find_quantities("两年半前", lay=True)] == [(912.5, "两年半")]
    assert [q.value for q in find_quantities("交两成的保证金", lay=True)] == [20.0]


# --- no verdict rests on a figure the quote does not state ------------------------------------------------------
def test_a_condition_refuses_a_threshold_that_is_not_in_its_quote():
    figure = Quantity(50000.0, "元", "money", "五万元", 0, 3)
    with pytest.raises(errors.UnquotedFigure) as exc:
        eligibility.Condition(text="最高奖的金额超过三万元", op=">", threshold=figure, quote="最高奖的金额超过三万元。")
    assert "不在所引条文中" in exc.value.message and exc.value.hint


# each names a figure that a cited condition compares (the payment-term case is answered as a deadline instead)
_CASES = ["一等奖{n}元，这样合规吗？", "我们报装容量{n}千瓦，城区小微企业，能3天通电吗？",
          "当场罚款{n}元，能当场处罚吗？", "我干了{n}年，有高级职称，能当评标专家吗？"]


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(template=st.sampled_from(_CASES), n=st.integers(min_value=1, max_value=200000))
def test_every_check_compares_a_figure_of_its_quote_with_one_of_the_question(indexed_settings, corpus, template, n):
    from kb.answer import answer_at

    question = template.format(n=n)
    a = answer_at(question, -1, settings=indexed_settings)  # the checks themselves, whatever the gate decides
    assert a.eligibility, "no check for a question that states its figure"
    for check in a.eligibility:
        cited = [c for c in a.citations if check.quote in c.article_text]
        assert cited, "the check's sentence is not in a cited article"
        article = corpus.get(cited[0].doc_id).article(cited[0].article)
        assert check.quote in article.text and check.threshold in check.quote
        if check.verdict != "无法判断":
            assert check.user_value and check.user_value in question
    if a.verdict in ("符合", "不符合") and a.eligibility:
        assert any(c.verdict == a.verdict for c in a.eligibility)


# --- procedures as steps ----------------------------------------------------------------------------------------
def test_procedure_question_gets_steps_in_text_order_each_cited(ask, corpus):
    a = ask("申请行政许可的流程是什么，受理和作出决定各有多长时间？")
    assert len(a.steps) >= 3 and [s.n for s in a.steps] == list(range(1, len(a.steps) + 1))
    cited = {(c.doc_id, c.article) for c in a.citations}
    last: dict[str, tuple[int, int]] = {}  # per document: where its previous step stood
    for s in a.steps:
        article = corpus.get(s.doc_id).article(s.article)
        assert s.action in article.text and s.citation.endswith(article.label)  # the article's own words
        assert (s.doc_id, s.article) in cited
        pos = (s.article, article.text.index(s.action))
        assert pos > last.get(s.doc_id, (-1, -1)), "steps out of text order"
        last[s.doc_id] = pos
    assert any(s.time_limit for s in a.steps) and "办理步骤" in a.answer


def test_steps_name_the_actor_of_the_sentence():
    from kb.assistant.steps import actor

    assert actor("行政机关应当自受理行政许可申请之日起二十日内作出行政许可决定。") == "行政机关"
    assert actor("申请人、利害关系人在被告知听证权利之日起五日内提出听证申请的，行政机关应当在二十日内组织听证。") == "行政机关"
    assert actor("（一）当事人要求听证的，应当在行政机关告知后五日内提出；") == "当事人"


# --- versions -----------------------------------------------------------------------------------------------------
def test_what_changed_quotes_both_versions_with_their_years(ask):
    a = ask("新旧两版支付条例在保证金上有什么不一样？")
    by_doc = {c.doc_id: c for c in a.citations}
    assert {"kxzf-2025", "kxzf-2020"} <= set(by_doc) and by_doc["kxzf-2020"].status == SUPERSEDED
    assert by_doc["kxzf-2025"].date.startswith("2025") and by_doc["kxzf-2020"].date.startswith("2020")
    side = next(s for s in a.summary if s.kind == "版本")
    assert "2025年版" in side.text and "2020年版" in side.text and "保函" in side.text
    assert "（2025年版，现行）" in a.answer and "（2020年版，已被修订）" in a.answer


# --- yes/no --------------------------------------------------------------------------------------------------------
def test_yes_no_verdict_quotes_the_deciding_words(ask):
    a = ask("个体工商户办简易注销需要公示吗？")
    assert a.verdict == "否" and "无需公示" in a.summary[0].text and "无需公示" in a.citations[0].quote


def test_yes_no_without_deciding_words_gives_no_verdict(ask):
    a = ask("注销企业一定要登报吗？")  # a yes/no question; the cited articles never speak of newspapers
    assert a.citations and not any("登报" in c.article_text for c in a.citations)
    assert a.verdict == "" and not a.eligibility


# --- the --json shapes -----------------------------------------------------------------------------------------------
def test_cli_json_carries_verdict_eligibility_and_steps(indexed_settings, monkeypatch, capsys):
    monkeypatch.setenv("KB_ROOT", str(indexed_settings.root))
    monkeypatch.setenv("KB_EMBED_MODEL", indexed_settings.embed_model)
    assert main(["ask", "商场搞抽奖，一等奖是6万元现金，这样合规吗？", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "不符合" and out["steps"] == []
    row = out["eligibility"][0]
    assert {"condition", "threshold", "user_value", "verdict", "quote", "comparison", "missing", "citation"} <= set(row)
    assert row["user_value"] == "6万元" and row["threshold"] == "五万元" and row["citation"].startswith("《反不正当竞争法》")
    assert main(["ask", "申请行政许可要走哪些步骤？", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    step = out["steps"][0]
    assert {"n", "actor", "action", "time_limit", "citation", "doc_id", "article"} <= set(step)
    assert step["n"] == 1 and isinstance(step["article"], int) and re.match(r"《.+》第.+条", step["citation"])
    assert {"question", "intent", "answer", "abstained", "citations", "related", "summary", "conclusion"} <= set(out)


def test_web_renders_the_check_table_and_the_steps(ask, corpus):
    from kb.web import render

    html = render.answer_to_html(ask("商场搞抽奖，一等奖是6万元现金，这样合规吗？").to_json(), corpus)
    assert "条件对照" in html and "【不符合】" in html and "6万元 &gt; 五万元" in html
    html = render.answer_to_html(ask("申请行政许可要走哪些步骤？").to_json(), corpus)
    assert "<h3>办理步骤</h3>" in html and "<ol" in html


def test_a_time_window_that_was_not_kept_is_more_time_gone_by(corpus):
    # 《广东省优化营商环境条例》第十五条: "税务机关未在十个工作日内完成核查…的，免于提交清税证明"
    from kb.assistant.eligibility import article_conditions

    article = corpus.get("gd-yhyshj-2022").article(15)
    (cond,) = [c for c in article_conditions(article) if c.threshold.text == "十个工作日"]
    assert cond.op == ">" and "未在十个工作日内完成核查" in cond.text


def test_a_bar_for_a_window_holds_until_the_window_has_passed(corpus, ask):
    # 《行政许可法》第七十八条: "申请人在一年内不得再次申请该行政许可" — a bar for a year, not a deadline
    from kb.assistant.eligibility import article_conditions

    (cond,) = [c for c in article_conditions(corpus.get("xzxkf-2019").article(78)) if c.threshold.text == "一年"]
    assert cond.op == ">"
    a = ask("申请的许可直接关系人身健康，当时交了假材料被查出来，过了8个月想重新申请，可以吗？")
    assert a.verdict == "不符合" and "8个月 < 一年" in a.eligibility[0].comparison
    # the bar is for the case "直接关系公共安全、人身健康、生命财产安全事项的" only: unstated, it stays open
    open_case = ask("之前申请一个行政许可交了假材料，被发现后给了个警告，现在过去10个月了，能再申请吗？")
    assert open_case.verdict == "无法判断" and "人身健康" in open_case.eligibility[0].missing
    past = ask("申请的许可直接关系人身健康，当时交了假材料，现在已经过去两年了，能再申请吗？")
    assert past.verdict == "符合"


def test_a_default_term_gives_way_to_what_the_contract_says(ask, corpus):
    # 《保障中小企业款项支付条例》(2025) 第九条: 机关、事业单位 30日, at most 60日 by contract; 大型企业 60日, "合同另有
    # 约定的，从其约定" with no ceiling. A contract of 90 days decides only once the buyer is known.
    unnamed = ask("我们是小企业，客户合同约定交货后90天付款，违不违规？")
    assert unnamed.verdict == "无法判断" and "大型企业" in unnamed.eligibility[0].missing
    large = ask("我们是小企业，卖货给一家大企业，合同约定交货后90天付款，违不违规？")
    assert large.verdict == "符合" and "合同另有约定的，从其约定" in large.eligibility[0].quote
    bureau = ask("我们是小企业，卖货给区教育局，合同约定交货后90天付款，违不违规？")
    assert bureau.verdict == "不符合" and "90天 > 60日" in bureau.eligibility[0].comparison
    article = corpus.get("kxzf-2025").article(9).text
    assert all(c.quote in article for a in (unnamed, large, bureau) for c in a.eligibility)  # exact article text


def test_a_long_condition_is_stated_by_its_gist(ask):
    # 《广东省优化营商环境条例》第十五条 also needs "企业全体投资人书面承诺对企业债务及税收清缴承担清偿责任的"
    said = ask("广东的企业申请税务注销12个工作日了税务还没核查完，全体投资人已书面承诺，能不交清税证明吗？")
    unsaid = ask("广东的企业申请税务注销12个工作日了税务还没核查完，能不交清税证明吗？")
    assert said.verdict == "符合" and unsaid.verdict == "无法判断" and "全体投资人书面承诺" in unsaid.eligibility[0].missing


def test_dates_are_read_with_the_official_working_calendar():
    from kb.quantities import calendar_dates, date_gap

    text = "执法队2024年6月14号(周五)告诉我可以要求听证，我20号周四才提出来"
    gap = date_gap(*calendar_dates(text), text)
    assert (gap.days, gap.workdays) == (6, 4)
    text = "2024年4月3号受理，4月8号还没答复"  # 清明 4月4–6日 off, Sunday 4月7日 worked
    assert date_gap(*calendar_dates(text), text).workdays == 2
    text = "2021年6月刑满，2025年3月想当法定代表人"
    gap = date_gap(*calendar_dates(text), text)
    assert gap.workdays is None and "45个月" in gap.text


def test_a_law_that_counts_working_days_is_read_so(ask):
    # 《行政处罚法》第八十五条: "本法中“二日”“三日”“五日”“七日”的规定是指工作日" — 听证 within 五日 of notice
    a = ask("执法队2024年6月14号(周五)告诉我可以要求听证，我20号周四才提出来，还算数吗")
    assert a.verdict == "符合" and "4个工作日" in a.eligibility[0].comparison
    assert "第八十五条" in a.eligibility[0].comparison
    assert ("xzcff-2021", 85) in [(c.doc_id, c.article) for c in a.citations]  # the counting rule is cited too
    late = ask("执法队2024年6月14号(周五)告诉我可以要求听证，我24号才提出来，还算数吗")  # 6 working days
    assert late.verdict == "不符合"
    # calendar days only bound the working days: 8 days may be 5 or 6 of them
    vague = ask("行政机关告知我可以要求听证，我过了8天才提出来，还算数吗")
    assert vague.verdict == "无法判断" and "工作日" in vague.eligibility[0].missing


def test_months_between_two_dates_decide_a_bar_of_years(ask):
    a = ask("我表哥因为挪用财产被判过刑，2021年6月刑满，2025年3月想当新公司法定代表人，行不行")
    assert a.verdict == "不符合" and (a.citations[0].doc_id, a.citations[0].article) == ("scztdj-2021", 12)
    assert len(a.eligibility) == len({c.comparison for c in a.eligibility})


def test_a_case_the_asker_describes_decides_a_rule_without_figures(ask):
    # 《市场主体登记管理条例》第三十三条: "…或者被列入经营异常名录的，不适用简易注销程序"
    a = ask("公司没欠债、税也清了，就是之前被列进经营异常名录了，能走简易注销吗")
    assert a.verdict == "不符合" and "不适用简易注销程序" in a.citations[0].quote
    assert (a.citations[0].doc_id, a.citations[0].article) == ("scztdj-2021", 33)


def test_an_item_the_asker_describes_takes_the_rule_of_its_list(ask, corpus):
    # 《不动产登记暂行条例》第十四条: "有下列情形之一的，可以由当事人单方申请：…（二）继承、接受遗赠取得不动产权利的"
    a = ask("我爸去世了，老房子由我继承，我能自己一个人去申请不动产登记吗")
    assert a.verdict == "符合" and (a.citations[0].doc_id, a.citations[0].article) == ("bdcdj-2019", 14)
    assert "继承、接受遗赠取得不动产权利的" in a.citations[0].quote
    assert a.citations[0].quote in corpus.get("bdcdj-2019").article(14).text
    # named even where the article's 双方 rule shares more of the question's words ("过户")
    transfer = ask("我爸去世了，房子由我继承，办不动产过户我一个人去申请可以吗？")
    assert transfer.verdict == "符合"
    # a buyer is in no item: the title's words ("登记") name none ("异议登记的")
    buyer = ask("买了套二手房，卖家一直拖着不去，我一个人能去办过户登记吗")
    assert buyer.verdict != "符合"


def test_an_extension_capped_as_a_whole_and_said_in_lay_words(ask):
    # 《保障中小企业款项支付条例》(2025) 第二十五条: 30日内; "经部门负责人批准，可适当延长，但处理期限最长不得超过90日"
    approved = ask("投诉拖欠货款，处理部门收到材料50天了还没结果，说情况复杂领导批了延期，这样行吗")
    assert approved.verdict == "符合" and "最长90日" in approved.eligibility[0].comparison
    silent = ask("投诉拖欠货款，处理部门收到材料50天了还没结果，这样行吗")
    assert silent.verdict == "无法判断" and "90日" in silent.eligibility[0].missing
    # 《政府信息公开条例》第三十三条: a notice of extension is the extension
    notified = ask("交的政府信息公开申请，今天第28个工作日了还没答复，中间收到过延期通知，这合规吗")
    assert notified.verdict == "符合"


def test_calendar_days_bound_the_working_days_in_them():
    from kb.quantities import workday_range

    assert workday_range(120)[0] > 30 and workday_range(8)[0] < 5 and workday_range(30)[0] <= 22
    assert workday_range(23)[1] == 19 and workday_range(3)[1] == 3  # 23 days hold at least three weekends
    # with no holiday between, the weekends alone bound them: 25 days are 17 to 19 working days
    assert workday_range(25, "中间没有法定假日") == (17, 19) and workday_range(25) == (7, 21)


def test_working_days_without_holidays_are_bounded_by_the_weekends(ask):
    a = ask("行政许可申请受理到今天25天了，中间没有法定假日，还没出决定，这还在法定期限内吗？")
    assert a.verdict == "符合" and "约17至19个工作日" in a.eligibility[0].comparison


def test_a_few_calendar_days_are_surely_within_a_working_day_limit(ask):
    a = ask("3月3号窗口受理了我的许可申请，今天3月26号还没出决定，也没说要延期，这还在法定期限内吗？")
    assert a.verdict == "符合" and "个工作日" in a.eligibility[0].comparison


def test_relative_and_yearly_dates():
    from kb.quantities import calendar_dates, date_gap

    text = "公司去年7月把设备白送人了，今年4月法院受理破产"
    gap = date_gap(*calendar_dates(text), text)
    assert "9个月" in gap.text and 270 < gap.days < 280
    dates = calendar_dates("2020年底判刑，2022年6月刑满，今年2025年想当法人")
    assert [(d.year, d.month) for d in dates] == [(2020, 12), (2022, 6), (2025, None)]


def test_an_article_that_acts_under_another_is_checked_against_that_one(ask):
    # 《行政处罚法》第六十八条 "依照本法第五十一条的规定当场作出行政处罚决定，…（一）依法给予一百元以下罚款的" rests on
    # 第五十一条: 公民 二百元以下, 法人或者其他组织 三千元以下 — whether a fine may be decided on the spot is that one's
    person = ask("我骑电动车违规被罚一百五十块，执法人员能不能当场开处罚决定？")
    assert person.verdict == "符合" and (person.citations[0].doc_id, person.citations[0].article) == ("xzcff-2021", 51)
    unnamed = ask("执法的查到违规，说要当场罚一千块，这个能当场罚吗？")
    assert unnamed.verdict == "无法判断" and "公民" in unnamed.eligibility[0].missing
    stall = ask("我在街边摆摊，被城管当场罚了300元，当场就作了决定，这样可以吗？")  # 个体工商户: a natural person
    assert stall.verdict == "不符合" and "二百元" in stall.eligibility[0].comparison


def test_a_share_of_a_part_is_checked_with_the_share_it_belongs_to(ask):
    # 《中小企业促进法》第四十条: 预留 ≥ 百分之三十 of the budget; "其中，预留给小型微型企业的比例不低于百分之六十" of that
    short = ask("我们局今年政府采购预算1000万，给中小企业预留350万，其中给小微企业留了200万，达标吗")
    assert short.verdict == "不符合" and any("200万÷350万" in c.comparison for c in short.eligibility)
    enough = ask("我们部门今年政府采购预算1000万，给中小企业预留350万，其中小微企业250万，达标没")
    assert enough.verdict == "符合" and len(enough.eligibility) == 2
    unsaid = ask("我们局今年政府采购预算1000万，打算给中小企业预留350万，这样就达标了吧？")
    assert unsaid.verdict == "无法判断" and "小型微型企业的比例" in unsaid.eligibility[-1].missing


def test_a_sum_said_without_its_unit(ask):
    a = ask("执法队查到我们公司违规，说要罚两千五，能当场给我们开罚单吗？")
    assert a.verdict == "符合" and "两千五 < 三千元" in a.eligibility[0].comparison


def test_a_listed_document_the_law_does_not_cover(ask):
    # 《电子签名法》第三条: "前款规定不适用下列文书：（一）涉及婚姻、收养、继承等人身关系的"
    a = ask("想跟兄弟姐妹在网上用电子签名签遗产继承协议，电子签名法对这种文书适用吗？")
    assert a.verdict == "不符合" and "继承" in a.citations[0].quote


def test_a_proviso_the_asker_describes_sets_the_rule_aside(ask):
    # 《政府信息公开条例》第十五条: "…行政机关不得公开。但是，第三方同意公开…的，予以公开"
    agreed = ask("申请公开的政府信息涉及某公司商业秘密，但那家公司已经书面同意公开了，我能拿到吗？")
    assert agreed.verdict == "符合" and "第三方同意公开" in agreed.summary[0].text
    plain = ask("申请公开的政府信息涉及某公司商业秘密，我能拿到吗？")
    assert plain.verdict == "不符合"


def test_a_list_of_conditions_that_must_all_hold(ask):
    # 《电子签名法》第十三条: "电子签名同时符合下列条件的，视为可靠的电子签名：（一）…（四）"
    a = ask("我们公司用的电子签名，签完文件一改就能看出来，这就算可靠电子签名了吧？")
    assert a.verdict == "无法判断" and "仅由电子签名人控制" in a.summary[0].text


def test_what_missing_a_limit_brings(ask):
    # 《行政许可法》第三十二条: "在五日内一次告知申请人需要补正的全部内容，逾期不告知的，自收到申请材料之日起即为受理"
    late = ask("交了许可申请材料，窗口过了7个工作日才通知我材料不全要补，这算不算已经受理了？")
    assert late.verdict == "符合" and "即为受理" in late.eligibility[0].comparison
    early = ask("交了许可申请材料，窗口第3个工作日就通知我材料不全要补，这算不算已经受理了？")
    assert early.verdict == "不符合"


def test_a_proviso_left_open_leaves_the_verdict_open(ask):
    # 《企业破产法》第三十二条: 受理前六个月内个别清偿，管理人有权请求撤销。"但是，个别清偿使债务人财产受益的除外"
    a = ask("法院受理欠款公司破产申请前5个月，它还了我10万货款，管理人说要撤销，他有权吗？")
    assert a.verdict == "无法判断" and "使债务人财产受益" in a.eligibility[0].missing
    # a savings clause ("但是，法律、法规另有规定的，依照其规定") is no case the asker must state
    b = ask("申请行政许可，受理后第28天才拿到决定，中间局领导批准延期了，这合规吗？")
    assert b.verdict == "符合"


def test_days_named_by_week():
    from kb.quantities import weekday_gap

    gap = weekday_gap("上周一知道中标结果损害了我们权益，这周二才交的书面质疑，中间没放假")
    assert (gap.days, gap.workdays) == (8, 6)
    assert weekday_gap("上周一知道的，这周二才交").workdays is None  # holidays unknown: not exact
    # a weekday written after a date belongs to that date (calendar_dates reads it), near the start of the text too
    assert weekday_gap("3月1号周五告知我，我下周一才提") is None


def test_a_working_day_limit_from_days_named_by_week(ask):
    a = ask("上周一知道中标结果损害了我们权益，这周二才交的书面质疑，中间没放假，还在期限内吗")
    assert a.verdict == "符合" and "6个工作日" in a.eligibility[0].comparison


def test_an_exception_to_the_paragraph_before_is_checked_with_it(ask):
    # 《反垄断法》第二十四条第二款: "有前款第二项、第三项规定的情形，其中有的经营者市场份额不足十分之一的，不应当推定…"
    a = ask("我们和另一家企业在这个市场的份额合计有七成，但我们自己只占8%，执法机构能推定我们有支配地位吗？")
    assert a.verdict == "不符合"
    assert any("8% < 十分之一" in c.comparison for c in a.eligibility)  # the asker's own share, not the joint one


def test_area_in_lay_units(ask):
    a = ask("在永济盖个社会投资的仓库，建筑面积8000平左右，开工前的审批能不能24个工作日内办完？")
    assert a.verdict == "符合" and "8000平 < 1万平米" in a.eligibility[0].comparison


def test_a_form_the_rule_excludes(ask, corpus):
    # 《政府采购法实施条例》第三十三条: 投标保证金 ≤ 2%，"应当以支票、汇票、本票或者…保函等非现金形式提交"
    cash = ask("政府采购项目预算500万，招标文件要交10万投标保证金，还写明只收现金，这样合规吗？")
    assert cash.verdict == "不符合" and any("只收现金" in c.comparison for c in cash.eligibility)
    assert all(c.quote in corpus.get("zfcgfsstl-2015").article(33).text for c in cash.eligibility)
    bond = ask("政府采购项目预算500万，招标文件要交5万投标保证金，用保函交，这样合规吗？")
    assert bond.verdict == "符合"


def test_a_figure_the_rule_prescribes_for_the_askers_case(ask):
    # 《保障中小企业款项支付条例》(2025) 第十七条: "未作约定的，按照每日利率万分之五支付逾期利息"
    a = ask("我们是小微企业，大型国企客户拖款三个月了，合同没约定逾期利息，能按每天万分之五要利息吗")
    assert a.verdict == "符合" and "万分之五" in a.summary[0].text


def test_lay_words_for_the_case_of_a_rule(ask):
    # statute words of lay terms (kb/data/synonyms.tsv) count when a case or an item must be stated
    unwritten = ask("我们小公司给区里一家事业单位供货，对方拖款半年，合同里没写逾期利息，能按每天万分之五要利息吗？")
    assert unwritten.verdict == "符合"  # 没写 → 未作约定
    will = ask("我爸走了，房子遗嘱留给我一个人，我能自己单独去办不动产登记吗？")
    assert will.verdict == "符合"  # 遗嘱 → 继承、接受遗赠


def test_a_status_fixed_at_a_time(ask, corpus):
    # 《保障中小企业款项支付条例》(2025) 第三条: "中小企业、大型企业依合同订立时的企业规模类型确定" — a definition that ranks
    # below the rules it qualifies, found among the best candidates
    a = ask("签合同那会我们还是小企业，现在做大了算大型企业，这笔被大企业拖的款还能按中小企业款项保护来维权吗？")
    assert a.verdict == "符合" and (a.citations[0].doc_id, a.citations[0].article) == ("kxzf-2025", 3)
    assert "依合同订立时的企业规模类型确定" in a.citations[0].quote
    assert a.citations[0].quote in corpus.get("kxzf-2025").article(3).text


def test_each_figure_is_of_its_own_clause(ask):
    # "…6个是专家，3个是我们的人": the 3 follows the words about experts but is not of them
    a = ask("依法必须招标的项目，评标委员会共7人，5个是技术经济专家，2个是我们单位派的，这个组成合规吗")
    check = _check_on(a, ("ztbf-2017", 37))
    assert check.verdict == "符合" and "5个÷7人" in check.comparison


def test_dates_without_a_year_bound_the_working_days_over_the_years():
    from kb.quantities import calendar_dates, date_gap

    text = "4月8号交的申请，4月29号还没有结果"
    gap = date_gap(*calendar_dates(text), text)
    assert gap.days == 21 and gap.workdays is None
    low, high = gap.workday_bounds
    assert 12 <= low <= high <= 16  # three weekends; 清明 in some years, a weekend worked (调休) in others
    # the year turns between two dates that have none
    late = "12月29号交的，1月6号还没答复"
    assert date_gap(*calendar_dates(late), late).days == 8


def test_a_rule_for_many_is_not_the_case_of_one_request(ask):
    # 《政府信息公开条例》第四十二条: 不收取费用；但是数量、频次明显超过合理范围的，可以收取信息处理费
    once = ask("我就向县政府申请公开过一次文件，对方让交30元信息处理费，这合理吗")
    assert once.verdict == "不符合"
    vague = ask("我最近向县政府申请公开了一些文件，对方要收信息处理费，这合规吗")
    assert vague.verdict == "无法判断"


def test_a_case_the_question_names_decides_below_the_best_sentences(ask):
    # 《保障中小企业款项支付条例》(2025) 第十七条: "机关、事业单位和大型企业迟延支付中小企业款项的，应当支付逾期利息"
    a = ask("县里一家事业单位欠我们小厂的货款拖了四个月，合同里也没写逾期利息，我们能向他们要利息吗？")
    assert a.verdict == "符合"


def test_an_item_excluded_from_a_rule_by_lay_words(ask):
    # 《电子签名法》第三条: 前款规定不适用…涉及婚姻、收养、继承等人身关系的 (离婚 → 婚姻)
    a = ask("我和前夫的离婚协议想用电子签名签，这样签的协议受电子签名法保护吗？")
    assert a.verdict == "不符合"


def test_a_lay_term_may_end_inside_a_word():
    from kb.segment import get_segmenter

    seg = get_segmenter()
    tokens = seg.tokens("老板把设备白送给了亲戚")
    assert any("无偿转让" in targets for _, _, targets in seg.lay_terms(tokens))
    assert not seg.lay_terms(seg.tokens("通过户口登记"))  # 过户 would start inside 通过


def test_a_payment_conditioned_on_a_third_party(ask):
    # 《保障中小企业款项支付条例》(2025) 第九条: 不得约定以收到第三方付款作为向中小企业支付款项的条件
    a = ask("我们小微企业给大型企业供货，合同写着对方收到业主付款后再付给我们，这种约定行吗")
    assert a.verdict == "不符合" and "第三方付款" in a.summary[0].text  # 业主 → 第三方


def test_dates_in_short_and_approximate_forms():
    from kb.quantities import calendar_dates, date_gap

    short = calendar_dates("23年9月4号交的申请")
    assert (short[0].year, short[0].month, short[0].day) == (2023, 9, 4)
    text = "执照11月30号到期，打算9月下旬去办"
    gap = date_gap(*calendar_dates(text), text)
    assert gap.days == 66 and "约" in gap.text  # 下旬 stands for the 25th


def test_a_year_written_with_two_digits_is_no_duration(ask):
    a = ask("23年9月4号行政许可申请受理了，9月15号就拿到了决定，这算按时吗")
    assert not any(c.user_value == "23年" for c in a.eligibility)


def test_a_clause_is_stated_by_one_of_its_alternatives(ask):
    # 《行政许可法》第三十二条: 申请材料不齐全或者不符合法定形式的，应当当场或者在五日内一次告知…逾期不告知的，…即为受理
    a = ask("4月1号（周一）交的许可申请，窗口4月12号才说材料不齐全要补，中间没放假，这算不算已经受理了")
    assert a.verdict == "符合" and "即为受理" in a.eligibility[0].comparison


def test_a_notice_of_extension_in_lay_words(ask):
    a = ask("申请政府信息公开后收到通知说要延期答复，到今天第35个工作日还没答复，这合规吗")
    assert a.verdict == "符合" and "已依" in a.eligibility[0].comparison


def test_the_last_question_asked_decides_with_the_case_told_before_it(ask):
    # 《不动产登记暂行条例》第十四条（二）继承、接受遗赠取得不动产权利的，可以由当事人单方申请
    a = ask("我妈走了，房子由我继承，办过户要不要叫上亲戚一起去？我一个人去可以吗")
    assert a.verdict == "符合"


def test_a_time_limit_fits_by_what_it_is_measured_from(ask):
    # 《企业破产法》第四十五条: 债权申报期限自人民法院发布受理破产申请公告之日起计算，最短不得少于三十日，最长不得超过三个月
    a = ask("法院受理了那家公司的破产，公告里债权申报期限定的是公告之日起两个月，这个期限合法吗")
    assert a.verdict == "符合" and (a.citations[0].doc_id, a.citations[0].article) == ("qypcf-2006", 45)


def test_a_status_fixed_at_a_time_over_a_check_without_figures(ask):
    # no figure of the asker's: the 60-day rule could only say 无法判断; 第三条 decides
    a = ask("当初和一家大型国企签合同时我们还是小企业，如今做大成了大型企业，这笔货款还能按中小企业款项支付条例来要吗")
    assert a.verdict == "符合" and a.citations[0].article == 3 and not a.eligibility
    lately = eligibility.asker_facts("签合同时我们还是小企业，这两年做大成了大型企业，还能按条例追款吗")
    assert not lately  # "这两年" says lately, not how long


def test_a_right_deemed_given_up_once_the_time_is_past(ask):
    # 《企业破产法》第一百一十八条: 自最后分配公告之日起满二个月仍不领取的，视为放弃受领分配的权利
    early = ask("破产管理人5月6号发了最后分配公告，我那份分配额还没领，今天6月20号，我还能去领吗")
    assert early.verdict == "符合"
    late = ask("破产管理人5月6号发了最后分配公告，我那份分配额还没领，今天7月20号，我还能去领吗")
    assert late.verdict == "不符合"


def test_weeks_in_lay_words_are_days():
    facts = eligibility.asker_facts("交了材料以后窗口让我过两个星期再来拿证")
    assert [(f.quantity.value, f.quantity.unit) for f in facts] == [(14.0, "日")]


def test_a_question_in_the_a_not_a_form_asks_and_does_not_deny(ask):
    # 《反垄断法》: 一个经营者…达到二分之一的推定; 其中不足十分之一的不应当推定 — "会不会被推定" does not ask for the bar
    a = ask("我们一家在本地相关市场的份额有六成，会不会被推定具有市场支配地位？")
    assert a.verdict == "符合"


def test_a_clause_for_all_of_them_and_a_question_saying_only_some(ask):
    # 《广东省优化营商环境条例》: 未在十个工作日内完成核查…且企业全体投资人书面承诺…的，免于提交清税证明
    a = ask("广东这边公司注销，税务注销申请递交15个工作日了没核查完，4个股东只有3个签了承诺，能免交清税证明吗")
    assert a.verdict == "不符合" and "并非全体" in a.eligibility[0].comparison


def test_a_status_fixed_at_a_time_before_a_prohibition_of_the_top_article(ask):
    a = ask("签合同那会儿我们还是小型企业，这几年规模上来变成大企业了，对方国企拖的那笔货款还算拖欠中小企业款项吗")
    assert a.verdict == "符合" and "依合同订立时的企业规模类型确定" in a.citations[0].quote


def test_an_entitlement_is_only_of_those_it_names(ask):
    # 《中小企业促进法》第二十五条: 高等学校毕业生、退役军人和失业人员、残疾人员等创办小型微型企业，按照国家规定享受税收优惠和收费减免
    veteran = ask("我退役军人，前两年开了个小微企业，能不能享受税收优惠和收费减免？")
    assert veteran.verdict == "符合"
    other = ask("我开了个小饭馆，是个体户，能不能享受税收优惠和收费减免？")
    assert other.verdict != "符合"


def test_every_figure_a_verdict_compares_stands_in_the_quote(ask):
    # 《反垄断法》第二十四条: the item (二分之一…) and, a 款 later, "…不足十分之一的，不应当推定…"
    a = ask("本地市场我们份额8%，跟另外两家加起来占了80%，会被推定有市场支配地位吗？")
    assert a.eligibility and len({c.quote for c in a.eligibility}) > 1
    shown = "".join(c.quote for c in a.citations)
    assert all(c.quote in shown and c.threshold in shown for c in a.eligibility)


def test_a_count_of_companies_is_a_count_of_organisations(ask):
    # 《招标投标法》第十七条: 应当向三个以上…法人或者其他组织发出投标邀请书
    assert ask("我们搞邀请招标，只给2家公司发了投标邀请书，够不够？").verdict == "不符合"
    assert ask("我们搞邀请招标，给3家公司发了投标邀请书，数量够吗？").verdict == "符合"


def test_a_figure_is_of_what_it_counts(ask):
    # 《政府采购法》第三十八条: 其中专家的人数不得少于成员总数的三分之二
    assert ask("竞争性谈判小组5个人，3个专家加2个采购人代表，这样组成合规吗？").verdict == "不符合"
    assert ask("竞争性谈判小组6个人，4个专家加2个采购单位的人，这样组成合规吗？").verdict == "符合"


def test_how_long_before_an_event(ask):
    late = ask("重大行政决策开听证会，材料开会前5天才送到我们听证参加人手上，符合规定吗")
    assert late.verdict == "不符合" and any(c.threshold == "7日" for c in late.eligibility)
    window = eligibility.asker_facts("法院受理破产申请前8个月，债务人把设备白送给了别人")
    assert window and window[0].window  # a duration before the event, which "前一年内" measures too


def test_a_subset_said_without_only(ask):
    a = ask("在广东注销公司，税务注销申请12个工作日没结果，我们4个股东有3个签了承诺书，能免交清税证明吗？")
    assert a.verdict == "不符合" and "并非全体" in a.eligibility[0].comparison


def test_figures_make_the_case_the_askers(ask):
    # no 我 in it, but the figures are of a case: a compliance verdict, not 是/否
    a = ask("第一次申请公开一份文件，政府说要收100元信息处理费，合理吗")
    assert a.verdict == "不符合"


def test_an_excluded_item_decides_before_the_rule_it_is_an_exception_to(ask):
    # 《电子签名法》第三条: 当事人可以约定使用…电子签名 — 前款规定不适用…（二）涉及停止供水、供热、供气等公用事业服务的
    a = ask("燃气公司要给欠费用户发停止供气的通知，能用电子签名的电子文书发吗")
    assert a.verdict in ("否", "不符合") and "供气" in a.summary[0].text


def test_working_days_between_weekdays_are_at_most_the_weekdays(ask):
    # 《行政处罚法》第六十四条: 告知后五日内提出 (第八十五条: 工作日); Thursday to next Wednesday: at most 4
    a = ask("执法队上周四告诉我可以要求听证，我这周三才去提听证申请，来得及吗")
    assert a.verdict == "符合" and "4个工作日" in a.eligibility[0].comparison


def test_a_share_of_the_askers_other_amount(ask):
    # 《招标投标法实施条例》第五十八条: 履约保证金不得超过中标合同金额的10%
    assert ask("中标了一个600万的项目，招标文件要交40万履约保证金，这比例超了没").verdict == "符合"
    assert ask("中标了一个600万的项目，招标文件要交90万履约保证金，这比例超了没").verdict == "不符合"


def test_a_two_character_act_said_with_words_between(ask):
    # 《行政许可法》第五十八条: 行政机关提供行政许可申请书格式文本，不得收费
    assert ask("办许可时窗口说申请书格式文本要收50元工本费，这合理吗").verdict == "不符合"


def test_a_figure_held_generally_with_its_exception(ask):
    # 《重大行政决策程序暂行条例》第十五条: 期限一般不少于30日；因情况紧急等原因需要缩短期限的，…应当予以说明
    open_ = ask("市里一个重大决策草案网上征求意见只放了20天，合规吗")
    assert open_.verdict == "无法判断" and "情况紧急" in open_.eligibility[0].missing
    told = ask("市里一个重大决策草案网上征求意见只放了20天，也没说明为什么这么短，合规吗")
    assert told.verdict == "不符合"
    assert ask("市里一个重大决策草案网上征求意见只放了20天，也不是啥紧急事，合规吗").verdict == "不符合"


def test_a_rule_for_parties_by_what_they_are(ask):
    # 规划第31条: 对信用风险低、信用水平高的同一市场主体的抽查原则上不超过2次
    unsaid = ask("在永济开了个厂，今年市场监管来抽查了4次，超没超规定")
    assert unsaid.verdict == "无法判断" and any("信用风险低" in c.missing for c in unsaid.eligibility)
    said = ask("我们厂在永济，信用风险低、信用水平高，今年被抽查了4次，超没超规定")
    assert said.verdict == "不符合"


def test_an_item_named_from_just_below_the_best_article(ask):
    # 《公平竞争审查条例》第九条（一）限制外地经营者参加本地政府采购、招标投标 — ranked below articles on 政府采购
    a = ask("我们市里发了个通知，政府采购项目只允许本市注册的公司报名，外地公司一律不收，这合规吗？")
    assert a.verdict == "不符合" and (a.citations[0].doc_id, a.citations[0].article) == ("gpjzsc-2024", 9)


def test_a_rule_for_the_askers_kind_needs_only_shared_words(ask):
    # 《市场主体登记管理条例实施细则》第六十三条: 个体工商户可以通过纸质方式报送年度报告
    assert ask("我在镇上开了个理发店，是个体户，每年的年报能不能交纸质版？").verdict == "符合"


def test_a_rule_applied_by_reference_and_a_short_a_not_a_ask(ask):
    # 《外商投资法实施条例》第四十八条: 定居在国外的中国公民在中国境内投资，参照外商投资法和本条例执行
    a = ask("我在澳大利亚定居，国籍还是中国的，回国投资办厂，外商投资法的规定好使不？")
    assert a.verdict == "符合"


def test_this_county_is_local_in_lay_words(ask):
    # 《公平竞争审查条例》第九条: 限制外地经营者参加本地政府采购 (本县 → 本地)
    a = ask("县政府发文说本县的政府采购只收本县注册的企业，我们外地公司报不了名，这种文件合规吗")
    assert a.verdict == "不符合" and (a.citations[0].doc_id, a.citations[0].article) == ("gpjzsc-2024", 9)


def test_a_cap_on_what_was_agreed_is_not_the_rule_where_nothing_was(ask):
    # 《保障中小企业款项支付条例》(2025) 第九条: 机关、事业单位 30日内 (约定的最长不得超过60日); 大型企业 60日内
    unsaid = ask("我们小厂给客户供货，合同没约定付款期，对方交货后第50天才打款，算及时吗")
    assert unsaid.verdict == "无法判断" and "属于哪一种情形" in unsaid.eligibility[0].missing
    big = ask("我们小厂给一家大型国企供货，合同没约定付款期，对方交货后第50天才打款，算及时吗")
    assert big.verdict == "符合"
