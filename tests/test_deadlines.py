"""Time limits and dated targets extracted from the real corpus (kb.deadlines) and `kb deadlines`."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from kb.cli import main
from kb.corpus import Corpus
from kb.deadlines import article_deadlines, collect, document_deadlines, select_documents
from kb.structure import parse_text

TODAY = dt.date(2024, 6, 1)  # fixed, so "target passed" is deterministic


@pytest.fixture(scope="module")
def corpus():
    return Corpus()


@pytest.fixture(scope="module")
def plan_rows(corpus):
    return document_deadlines(corpus.get("yj-plan-2022"), today=TODAY)


def _limits(rows, article):
    return [(r.value, r.unit, r.subject, r.target_year) for r in rows if r.article == article and r.kind == "时限"]


def test_enterprise_startup_half_day_target(plan_rows):
    rows = [r for r in plan_rows if r.article == 22 and r.value == 0.5]
    assert len(rows) == 1  # the lead phrase repeats it; only the body's row is kept
    r = rows[0]
    assert (r.unit, r.day_type, r.target_year) == ("天", "自然日", 2022)
    assert "企业开办" in r.heading and "0.5天" in r.quote
    assert r.target_passed and r.note == "目标年份2022年已过"


def test_water_gas_heat_connection_times_are_split_per_utility(plan_rows):
    limits = _limits(plan_rows, 24)
    assert (3, "天", "水接入时间", 2023) in limits
    assert (4, "天", "气接入时间", 2023) in limits
    assert (5, "天", "热接入时间", 2023) in limits
    assert (4, "天", "水报装时间", None) in limits  # the earlier, undated 4/5/5-day 报装 figures
    assert (5, "天", "热报装时间", None) in limits


def test_low_voltage_condition_and_subject(plan_rows):
    r = next(r for r in plan_rows if r.article == 24 and r.value == 3 and r.subject == "办电时间")
    assert r.condition.startswith("小微企业低压接入（") and "160千瓦以下" in r.condition and "100千瓦以下" in r.condition
    assert r.expression == "不超过3天"


def test_working_days_and_conditional_clause(plan_rows):
    r = next(r for r in plan_rows if r.article == 23 and r.unit == "个工作日")
    assert (r.value, r.day_type) == (24, "工作日")
    assert "简易低风险" in r.condition and "开工前" in r.subject
    r = next(r for r in plan_rows if r.article == 31 and r.value == 3)
    assert r.condition == "简易注销公告期届满无异议的" and "简易注销决定" in r.subject
    r = next(r for r in plan_rows if r.article == 31 and r.unit == "个月")
    assert (r.value, r.target_year) == (4, 2025)


def test_dated_targets_without_a_duration(plan_rows):
    targets = [r for r in plan_rows if r.kind == "目标"]
    assert any(r.article == 9 and r.target_year == 2023 and "全程网办" in r.subject for r in targets)
    assert all(r.value is None and r.unit == "" for r in targets)


def test_target_passed_is_relative_to_today(corpus):
    a = corpus.get("yj-plan-2022").article(24)
    early = [r for r in article_deadlines(corpus.get("yj-plan-2022"), a, today=dt.date(2022, 6, 1)) if r.target_year]
    assert early and not any(r.target_passed for r in early)
    late = [r for r in article_deadlines(corpus.get("yj-plan-2022"), a, today=dt.date(2026, 1, 1)) if r.target_year]
    assert all(r.target_passed and r.note == f"目标年份{r.target_year}年已过" for r in late)


def test_regulation_limits_start_and_chinese_numerals(corpus):
    kx = document_deadlines(corpus.get("kxzf-2025"), today=TODAY)
    r = next(r for r in kx if r.article == 9 and r.value == 30)
    assert (r.unit, r.start, r.subject) == ("日", "自货物、工程、服务交付之日起", "支付款项")
    r = next(r for r in kx if r.article == 9 and r.expression == "最长不得超过60日")
    assert r.condition == "合同另有约定的"
    xk = document_deadlines(corpus.get("xzxkf-2019"), today=TODAY)
    r = next(r for r in xk if r.article == 42 and r.expression == "二十日内")
    assert (r.value, r.unit, r.start) == (20, "日", "自受理行政许可申请之日起")


def test_dates_years_and_sentences_are_not_time_limits():
    doc = parse_text("# 某条例\n\n第一条 本条例自2025年6月1日起施行。\n\n第二条 情节严重的，处三年以下有期徒刑。\n\n"
                     "第三条 同一年度内抽查不超过2次。", title="某条例", doc_id="t")
    assert [r.kind for r in document_deadlines(doc, today=TODAY)] == []


def test_every_quote_is_a_sentence_of_its_article(corpus):
    docs = {d.doc_id: d for d in corpus.documents()}
    rows = collect(docs.values(), today=TODAY)
    assert len(rows) > 200
    for r in rows:
        assert r.quote in docs[r.doc_id].article(r.article).text
        assert r.kind != "时限" or r.value > 0


def test_select_documents(corpus):
    assert [d.doc_id for d in select_documents(corpus)] == ["yj-plan-2022"]
    assert [d.doc_id for d in select_documents(corpus, "保障中小企业款项支付条例")] == ["kxzf-2025"]  # current wins
    assert [d.doc_id for d in select_documents(corpus, "款项支付")] == ["kxzf-2025"]
    assert [d.doc_id for d in select_documents(corpus, "kxzf-2020")] == ["kxzf-2020"]
    assert "kxzf-2020" not in {d.doc_id for d in select_documents(corpus, "all")}


def test_cli_json_has_the_plan_targets(capsys):
    assert main(["deadlines", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    got = {(r["article"], r["value"], r["unit"], r["subject"]) for r in rows}
    assert (22, 0.5, "天", "全省域新开办企业") in got
    assert {(24, 3, "天", "水接入时间"), (24, 4, "天", "气接入时间"), (24, 5, "天", "热接入时间")} <= got


def test_cli_csv_and_unknown_document(capsys):
    assert main(["deadlines", "--csv", "--doc", "kxzf-2025"]) == 0
    table = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert table[0][:5] == ["文件编号", "文件", "条", "类型", "事项"] and len(table) > 3
    assert main(["deadlines", "--doc", "不存在的文件"]) != 0
    err = capsys.readouterr().err
    assert "知识库中没有编号为" in err and "Traceback" not in err


def test_ranges_and_ages(corpus):
    zb = document_deadlines(corpus.get("ztbf-2017"), today=TODAY)
    r = next(r for r in zb if r.article == 50)
    assert (r.value_min, r.value, r.unit, r.expression) == (1, 2, "年", "一年至二年内")
    assert r.condition == "情节严重的" and "代理依法必须进行招标的项目" in r.subject
    cf = document_deadlines(corpus.get("xzcff-2021"), today=TODAY)
    assert not [r for r in cf if r.article == 30]  # 十四周岁 is an age, not a time limit


def test_subject_after_the_limit_when_the_clause_ends_there(corpus):
    kx = document_deadlines(corpus.get("kxzf-2025"), today=TODAY)
    r = next(r for r in kx if r.article == 25 and r.unit == "个工作日")
    assert r.start == "自正式受理之日起" and r.subject.startswith("按程序将投诉转交")


def test_annual_calendar_deadlines(corpus):
    kx = document_deadlines(corpus.get("kxzf-2025"), today=TODAY)
    r = next(r for r in kx if r.kind == "日期")
    assert (r.article, r.expression, r.value) == (18, "每年3月31日前", None)
    assert r.subject.startswith("机关、事业单位：将上一年度逾期尚未支付中小企业款项")
    nb = document_deadlines(corpus.get("scztdjxz-2022"), today=TODAY)
    assert any(r.kind == "日期" and r.expression == "每年1月1日至6月30日" and "年度报告" in r.subject for r in nb)
