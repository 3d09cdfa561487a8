"""Optional LLM generation (kb.llm): the check that decides whether a generated answer may be shown (plain
strings, no server), and the whole path against a local endpoint speaking the chat-completions protocol."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from kb.corpus import Corpus
from kb.llm import check_generated, cited_refs, enabled
from kb.numerals import int_to_cn
from kb.quantities import find_quantities

ART9 = Corpus().get("kxzf-2025").article(9).text
SOURCES = {("kxzf-2025", 9): ART9, ("yj-plan-2022", 24): Corpus().get("yj-plan-2022").article(24).text}


def test_answer_true_to_its_sources_passes():
    text = "机关、事业单位应在货物交付之日起30日内付款，合同另有约定的最长不得超过六十日 [kxzf-2025#9]。小微企业低压接入不超过3天 [yj-plan-2022#24]。"
    assert check_generated(text, SOURCES) == []
    assert cited_refs(text) == [("kxzf-2025", 9), ("yj-plan-2022", 24)]


def test_invented_number_is_caught():
    problems = check_generated("机关、事业单位应在45日内付款 [kxzf-2025#9]。", SOURCES)
    assert problems == ["以下数字在所引条文中找不到：45日"]


def test_numbers_are_compared_with_their_units_in_any_writing():
    source = {("yj-plan-2022", 24): SOURCES[("yj-plan-2022", 24)]}
    fact = next(q for q in find_quantities(source[("yj-plan-2022", 24)]) if q.unit == "千瓦")
    spoken = f"{int_to_cn(int(fact.value))}千瓦"  # the article's figure in Chinese numerals
    assert check_generated(f"容量{spoken}及以下 [yj-plan-2022#24]。", source) == []
    wrong = f"{int_to_cn(int(fact.value) + 40)}千瓦"
    assert check_generated(f"容量{wrong}及以下 [yj-plan-2022#24]。", source) == [f"以下数字在所引条文中找不到：{wrong}"]


def test_number_must_be_in_a_cited_article_not_just_any_retrieved_one():
    problems = check_generated("低压接入不超过30日 [yj-plan-2022#24]，付款期限3天 [kxzf-2025#9]。", {("kxzf-2025", 9): ART9})
    assert any("未检索到" in p and "yj-plan-2022#24" in p for p in problems)
    assert any("3" in p for p in problems if p.startswith("以下数字"))


def test_unretrieved_citation_and_missing_citation_are_caught():
    assert any("kxzf-2020#8" in p for p in check_generated("付款期限30日 [kxzf-2020#8]。", SOURCES))
    assert "回答没有标注任何出处" in check_generated("付款期限30日。", SOURCES)


def test_off_by_default(monkeypatch):
    monkeypatch.delenv("KB_LLM_BASE_URL", raising=False)
    monkeypatch.delenv("KB_LLM_MODEL", raising=False)
    assert not enabled()
    monkeypatch.setenv("KB_LLM_BASE_URL", "http://127.0.0.1:1/v1")
    monkeypatch.setenv("KB_LLM_MODEL", "m")
    assert enabled()


# --- end to end against a local OpenAI-compatible endpoint that replies with a fixed text ----------------------
@pytest.fixture
def chat_server(monkeypatch):
    """A one-route server speaking the chat-completions protocol; .reply is what the 'model' says."""
    state = {"reply": "", "requests": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server naming
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state["requests"].append(body)
            out = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                              "choices": [{"index": 0, "finish_reason": "stop",
                                           "message": {"role": "assistant", "content": state["reply"]}}],
                              "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("KB_LLM_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}/v1")
    monkeypatch.setenv("KB_LLM_MODEL", "local-test")
    yield state
    server.shutdown()


QUESTION = "城区小微企业低压报装，办电时间最长几天？"


def test_generated_answer_is_used_when_it_checks_out(chat_server, indexed_settings):
    from kb.answer import answer_question

    chat_server["reply"] = "城区小微企业低压接入办电时间不超过3天 [yj-plan-2022#24]。"
    a = answer_question(QUESTION, settings=indexed_settings)
    assert a.answer == chat_server["reply"]
    assert [(c.doc_id, c.article) for c in a.citations] == [("yj-plan-2022", 24)]
    assert "已核对" in a.notes[-1]
    prompt = chat_server["requests"][0]["messages"][-1]["content"]
    assert "[yj-plan-2022#24]" in prompt and QUESTION in prompt


def test_generated_answer_with_invented_number_falls_back(chat_server, indexed_settings):
    from kb.answer import answer_question

    chat_server["reply"] = "城区小微企业低压接入办电时间不超过2天 [yj-plan-2022#24]。"
    a = answer_question(QUESTION, settings=indexed_settings)
    assert a.answer.startswith("结论：") and "3天" in a.answer
    assert "未通过核对" in a.notes[-1] and "2" in a.notes[-1]


def test_the_models_own_refusal_keeps_the_extract_with_a_note(chat_server, indexed_settings):
    from kb.answer import answer_question
    from kb.assistant.render import ABSTAIN_TEXT

    chat_server["reply"] = ABSTAIN_TEXT
    a = answer_question(QUESTION, settings=indexed_settings)
    assert a.generated == "" and a.answer.startswith("结论：") and "3天" in a.answer
    assert "不足以回答" in a.notes[-1] and "未通过核对" not in a.notes[-1]
