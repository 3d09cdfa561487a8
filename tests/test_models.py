"""Small behaviours of the model nouns."""
from __future__ import annotations

from conftest import PLAN_TXT
from kb.models import spoken_label
from kb.structure import parse_file


def test_spoken_label_names_plan_articles_as_tiao():
    plan = parse_file(PLAN_TXT)
    assert [spoken_label(a.label) for a in plan.articles[:2]] == ["第1条", "第2条"]
    assert spoken_label(plan.article(22).label) == "第22条"
    assert spoken_label("第二十二条") == "第二十二条" and spoken_label("一、") == "一、" and spoken_label("全文") == "全文"
