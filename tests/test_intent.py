"""Question intent from the trigger table, and sentence evidence per intent (kb.intent)."""
from __future__ import annotations

import pytest

from kb.intent import classify, evidence


@pytest.mark.parametrize("question, intent", [
    ("企业开办要多长时间？", "时限"),
    ("小微企业办电最多几天？", "时限"),
    ("公平竞争审查条例什么时候施行？", "时限"),
    ("永济在推行哪些清单？", "清单"),
    ("市场准入负面清单包括什么？", "清单"),
    ("不动产登记怎么办？", "程序"),
    ("申请行政许可的流程和步骤是什么？", "程序"),
    ("想申请政府信息公开，要走哪些步骤？", "程序"),  # 哪些 asks for steps here, not for a list
    ("歇业要办哪些手续？", "程序"),
    ("哪些情形不予处罚？", "清单"),
    ("外资企业能不能参加政府采购？", "条件"),
    ("申请破产需要什么条件？", "条件"),
    ("串通投标会被怎么处罚？", "罚则"),
    ("违反公平竞争审查条例的后果是什么？", "罚则"),
    ("营商环境是什么？", "其他"),
])
def test_classify(question, intent):
    assert classify(question).name == intent


def test_triggers_are_reported_so_they_are_not_counted_as_content():
    assert "多长时间" in classify("企业开办要多长时间？").triggers


def test_deadline_evidence_needs_a_time_expression():
    assert evidence("时限", "办电时间不超过3天") == 1.0
    assert evidence("时限", "自受理之日起二十日内作出决定") == 1.0
    assert evidence("时限", "到2025年，基本实现政务服务事项全省通办") == 1.0
    assert evidence("时限", "完善人才引育和评价激励体系") == 0.0


def test_other_intents_evidence():
    assert evidence("清单", "依法编制从轻处罚事项清单") == 1.0
    assert evidence("罚则", "责令改正，可以处十万元以下的罚款") == 1.0
    assert evidence("罚则", "鼓励社会资本进入养老领域") == 0.0
    assert evidence("程序", "围绕申请、受理、审查、决定、送达全过程") > evidence("程序", "优化营商环境")
    assert evidence("程序", "以书面形式向采购人提出质疑") > 0
    assert evidence("其他", "任何句子") == 0.0


def test_a_body_answers_where_to_go():
    from kb.intent import asked_types, states

    assert "place" in asked_types("国企拖欠货款，去哪投诉？")
    assert states("place", "中小企业可以向受理投诉部门投诉")  # a body is where one goes
    assert not states("place", "付款期限最长不得超过60日")
