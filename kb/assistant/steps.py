"""Procedures as ordered steps: who does what, within which time limit, each step cited.

A procedure question ("怎么办", "流程", "由谁", "哪些步骤") is answered from the article that answers best and the
other articles of the same procedure the retrieval found close to it — a procedure often spans articles (申请 →
受理 → 审查 → 决定 → 送达) — in text order: document by document, article by article, sentence by sentence. A step is
a sentence that does something (申请, 受理, 告知, 作出决定, 送达…), its action the sentence itself (the article's
words), its actor the body or person the sentence makes act ("行政机关应当…", "由招标人…"), its time limit the
limit the sentence states (kb.deadlines).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kb.deadlines import article_deadlines
from kb.models import Article, Document, Step

MAX_STEPS = 16
MAX_PER_ARTICLE = 6
MAX_ARTICLES = 6

# A question about how something is done: asked with a how-word, or (unless it asks how long) naming a procedure.
_HOW = re.compile(r"(?:怎么|如何)(?!算|样|回事|规定|说|定)|怎样|步骤|哪几步|哪些步|一步|每一步|顺序|由谁|找谁|向哪|去哪|先找")
_PROCEDURE_NOUN = re.compile(r"流程|程序|手续|环节")
_ASKS_PROCEDURE = re.compile(r"什么(?:流程|程序|手续)|(?:流程|程序|手续|环节|步骤)(?:是什么|有哪些|是怎样|怎么)")
_HOW_PENALISED = re.compile(r"怎么处理|怎么罚|怎么处罚|如何处理|如何处罚")
# A sentence that does something in a procedure.
_ACTION = re.compile(r"申请|提出|提交|受理|审查|核查|查验|核实|审核|作出|决定|送达|交付|告知|通知|听证|公告|公示|公布|登记|颁发|"
                     r"发放|缴纳|收缴|缴付|备案|移交|转交|答复|征求|论证|评估|讨论|报告|组织|主持|签字|盖章|确认|办理|办结|开标|"
                     r"评标|确定|签订|投诉|处理|反馈|报送|复核|补正|出具|记载|核发|申报|裁定|指定|举行|提供|协调|督促|拟订|启动|"
                     r"公开|调查|询问|检查|推荐|谈判|报价|发出|清算|注销|中止|执行|缴税|发证|上传|领取")
# Sentences that define or declare rather than act.
_NOT_A_STEP = re.compile(r"^(?:（[一二三四五六七八九十]+）)?\s*(?:本(?:法|条例|细则|办法|规定)所称|前款所称|.{0,12}应当遵循|.{0,10}原则)")
_ACTOR_HEAD = r"(?:机关|机构|部门|单位|委员会|小组|清算组|法院|政府|人员|人|方|企业|经营者|主体|窗口|专窗|平台|中心|银行)"
_ACTOR_VERB = (r"(?=应当|应|可以|也可以|须|必须|有权|负责|不得|在|自|于|对|向|将|收到|作出|提出|依法|依照|按照|根据|予以|即|"
               r"方可|还|通过|会同|主动|及时|发现|认为|决定|组织|拟|需要|要求|同意|不|未|无|拒|也|有|受理|审查|送达|发布|确定|"
               r"裁定|指定|通知|公告|公布|办理|提交|出具|告知)")
# The subject opens its clause: not a verb or a conjunction ("并告知申请人…", "经本行政机关负责人批准…").
_NAME_CHAR = r"(?:(?![的不未是在对向将由被和或并应可须经拟自从于以])[\u4e00-\u9fff、])"  # a subject's words: no verbs or glue
_ACTOR_AT_START = re.compile(rf"^(?![及告])(?P<actor>{_NAME_CHAR}{{0,10}}?{_ACTOR_HEAD}){_ACTOR_VERB}")
_ACTOR_BY = re.compile(rf"(?<![理自经缘因来])由(?P<actor>{_NAME_CHAR}{{1,14}}?{_ACTOR_HEAD})")
# The subject right before a modal: "…，债权人可以向人民法院提出…", "…的，行政机关应当…".
_ACTOR_MODAL = re.compile(rf"(?P<actor>{_NAME_CHAR}{{1,10}}?{_ACTOR_HEAD})(?=(?:也|还|均|都)?(?:应当|可以|应|须|必须|有权|不得))")
_ITEM_LABEL = re.compile(r"^\s*（[一二三四五六七八九十]+）\s*")
_CLAUSES = re.compile(r"[，：；。]")
# Clauses that set the scene rather than say who acts: "…的", "除…外", "依照本法第二十六条的规定".
_CONDITION_CLAUSE = re.compile(r"的$|^除.*外$|^(?:依照|依据|根据|按照|对于|对)")


def asks_steps(question: str, intent: str) -> bool:
    """"怎么办 / 流程 / 由谁 / 哪些步骤": not "全流程要多长时间" (a time limit), "会怎么处理" (a penalty) or "能远程开标吗"."""
    from kb.intent import DEADLINE, PENALTY

    if _ASKS_PROCEDURE.search(question):
        return True
    if intent == PENALTY and _HOW_PENALISED.search(question):
        return False
    return bool(_HOW.search(question)) or (intent != DEADLINE and bool(_PROCEDURE_NOUN.search(question)))


def actor(sentence: str) -> str:
    """Who acts in the sentence: a clause's subject right before its modal ("…，债权人可以向人民法院提出…" →
    债权人); else the subject of the first clause after the "…的" conditions, or "由X"; "" when it names none
    (the caller keeps the last one)."""
    for clause in _CLAUSES.split(_ITEM_LABEL.sub("", sentence)):
        m = _ACTOR_MODAL.match(clause.strip())
        if m:
            return m.group("actor")
    in_condition = ""  # "当事人要求听证的，应当…": the condition's subject acts when the main clause names none
    for clause in _CLAUSES.split(_ITEM_LABEL.sub("", sentence)):
        clause = clause.strip()
        m = _ACTOR_AT_START.match(clause)
        found = m.group("actor") if m and len(m.group("actor")) >= 2 else ""
        if not _CONDITION_CLAUSE.search(clause):
            if found:
                return found
            break
        in_condition = in_condition or found
    m = _ACTOR_BY.search(sentence)
    return m.group("actor") if m else in_condition


@dataclass
class Source:
    """An article a procedure may draw on, with how well each of its sentences answers the question."""

    doc: Document
    article: Article
    citation: str  # "《行政许可法》第四十二条"
    coverage: Callable[[str], float]


def article_steps(src: Source) -> list[Step]:
    """The article's sentences that act, in text order (the best-covered ones when there are too many); a list's
    lead-in and its items are steps of their own."""
    lines = [line.strip() for s in src.article.sentences() for line in s.split("\n") if line.strip()]
    sentences = [s for s in lines if _ACTION.search(s) and not _NOT_A_STEP.match(s)]
    if len(sentences) > MAX_PER_ARTICLE:
        keep = set(sorted(sentences, key=src.coverage, reverse=True)[:MAX_PER_ARTICLE])
        sentences = [s for s in sentences if s in keep]
    limits = article_deadlines(src.doc, src.article)
    out, last_actor = [], ""
    for s in sentences:
        who = actor(s) or last_actor
        last_actor = who
        limit = "、".join(dict.fromkeys(d.expression for d in limits
                                        if s in d.quote and d.expression in s and d.kind == "时限"))
        out.append(Step(n=0, actor=who, action=s, time_limit=limit, citation=src.citation, doc_id=src.doc.doc_id,
                        article=src.article.number))
    return out


def procedure(sources: Sequence[Source]) -> list[Step]:
    """Steps of the given articles (the first MAX_ARTICLES, best first), ordered by document (as the sources come)
    then by article number."""
    docs = list(dict.fromkeys(s.doc.doc_id for s in sources))
    ordered = sorted(sources[:MAX_ARTICLES], key=lambda s: (docs.index(s.doc.doc_id), s.article.number, s.article.suffix))
    steps = [step for s in ordered for step in article_steps(s)][:MAX_STEPS]
    for i, step in enumerate(steps, 1):
        step.n = i
    return steps
