"""Fair-competition review (公平竞争审查) of a draft policy against 《公平竞争审查条例》 arts. 8–11.

Per clause, per sentence: the explicit rules fire on their patterns unless the sentence is a prohibition of
the very practice ("不得要求…在本地设立分支机构"), a lawful reading applies, or (for selective measures)
the measure is open to all operators on published criteria. Art. 12 purposes with a time limit, and a stated
legal basis (for the items whose text admits one), lower the severity to 需说明依据. Sentences no rule caught
go to the recall tiers: cue-class combinations (kb.review.fallback, 提示), then the learned tier
(kb.review.learned: e5 embeddings and a classifier, 违反 or 提示 by confidence), batched over the whole draft.
Without a usable learned model the old item-text similarity tier (提示) stands in and the result says so.
The lawful qualifiers are read once per clause (kb.review.context.ClauseContext): openness, equal treatment,
a legal basis or an art. 12 exception stated in one sentence governs every sentence of the clause, in every
tier. The recall tiers leave alone the sentences that address no operator (scope, targets, duties).
Items under a prohibiting lead-in ("不得有下列行为：") are lists of banned practices and are skipped.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from pathlib import Path

from kb import errors
from kb.ingest import limits
from kb.models import Clause, Finding, ReviewResult
from kb.review import fallback, similarity
from kb.review import lexicon as lx
from kb.review.clauses import has_words, split_clauses, split_paragraphs, units
from kb.review.context import ClauseContext, not_a_measure
from kb.review.learned import Proposal, Tier, default_tier
from kb.review.rules import BASIS_ARTICLES, NEEDS_BASIS, NOTE, RULES, VIOLATION, Rule
from kb.review.situations import guides
from kb.review.standards import citation, item_text

SIM_THRESHOLD = 0.50  # cosine to an item's text; only with a cue word, only as 提示 (lower values added only false alarms on eval)
_NEGATOR = re.compile(rf"(?:{lx.NEGATOR})[^。；，]{{0,6}}?(?:{lx.FRAME_VERB})")
_LEAD_NEGATOR = re.compile(rf"^(?:{lx.NEGATOR})")
_CLEARING = re.compile(lx.CLEARING)
_CLEARING_TAIL = re.compile(lx.CLEARING_TAIL)
_SELF_CONDEMN = re.compile(lx.SELF_CONDEMN)
# After a negator that opens the match itself, these words make it a ban on imposing the restriction
# ("不得限制…外运"); without them the negator is the restriction ("不得将…销往市外").
# Verbs only a rule-maker performs ("不得将本地业绩作为资格条件"): a ban on the practice whatever the subject.
_FRAME_RULEMAKER = re.compile(r"^[^，。；]{0,4}(?:要求|设置|设定|限定|指定|排斥|歧视)|作为[^，。；]{0,6}(?:条件|因素|依据|前提)|为(?:条件|前提)")
_FRAME_INSIDE = re.compile(r"^以|限制|阻碍|妨碍|排斥|要求|设置|设定|作为|为条件|为前提|歧视|强制|限定|指定|干预|区别")
_OPERATOR_SUBJECT = re.compile(lx.OPERATOR)
_PRO = re.compile(lx.PRO_COMPETITION)
_FRAME_REACH = 30  # a prohibition governs the words up to this far after it
_LEAD_PROHIBITION = re.compile(lx.LEAD_PROHIBITION)
_GOV_PROHIBITION = re.compile(lx.GOV_PROHIBITION)
_PENALTY = re.compile(lx.PENALTY)
_GOV_DUTY = re.compile(lx.GOV_DUTY)


_WAIVER = re.compile(r"无需|无须|不需要?|不必|不要求|不再要求|不强制")
_WAIVER_REACH = 4  # "无需在本县设立…": the waiver opens the requirement the rule matched


def _prohibited(sentence: str, start: int, end: int) -> bool:
    """True when the match sits inside a government-side prohibition or clean-up of the practice, or the
    requirement it names is waived ("无需在本县设立分支机构")."""
    if any(start - w.end() <= _WAIVER_REACH for w in _WAIVER.finditer(sentence, 0, end)):
        return True
    if (g := _GOV_PROHIBITION.search(sentence)) and g.start() < end:
        return True  # "行政机关不得滥用行政权力，…排斥外地经营者…"
    if _PENALTY.search(sentence, end):
        return True  # "…为招标人指定招标代理机构的，责令改正"
    if _CLEARING_TAIL.search(sentence) or _SELF_CONDEMN.search(sentence):
        return True  # "…设置的歧视性收费项目应当予以清理": a description of the practice, to be removed
    for n in _NEGATOR.finditer(sentence):
        if n.start() >= end or start - n.start() > _FRAME_REACH:
            continue
        if n.start() >= start and not _FRAME_INSIDE.search(sentence[n.end():end]):
            continue  # the negator is part of the restriction the rule describes
        if _FRAME_RULEMAKER.search(_LEAD_NEGATOR.sub("", sentence[n.start(): end + 10])):
            return True  # "…不得限定采购本地产品": a ban on restricting, whoever is addressed
        segments = re.split(r"[，,：:]", sentence[: n.start()])
        subject = segments[-1] if len(segments[-1]) > 5 or len(segments) < 2 else segments[-2] + segments[-1]
        if _OPERATOR_SUBJECT.search(subject) and not re.search(r"任何(?:单位|组织|部门|个人|机关|人)|各级|各部门|有关单位|行政机关", subject):
            continue  # "外地企业不得进入…" restricts operators; it is not a prohibition of the practice
        return True
    return any(c.start() < end and start - c.start() <= _FRAME_REACH for c in _CLEARING.finditer(sentence))


def _rule_hit(rule: Rule, sentence: str, scope: str, ctx: ClauseContext | None = None) -> re.Match | None:
    """The rule's match in the sentence, read with the clause's lawful qualifiers (the sentence's own without ctx)."""
    ctx = ctx or ClauseContext.of(sentence)
    if rule.context and not re.search(rule.context, scope):
        return None
    if rule.no_context and re.search(rule.no_context, scope):
        return None
    if rule.unless and re.search(rule.unless, sentence):
        return None
    if rule.open_suppresses and ctx.open_to_all:
        return None
    if ctx.equal:
        return None
    for pat in rule.compiled():
        for m in pat.finditer(sentence):
            if not _prohibited(sentence, m.start(), m.end()):
                return m
    return None


def _severity(severity: str, article: int, item: int, ctx: ClauseContext, any_item_basis: bool = False) -> tuple[str, str]:
    """Lower 违反/提示 to 需说明依据 for art. 12 purposes with a time limit, or a stated legal basis; say why.
    A basis counts for the items whose text admits one (BASIS_ARTICLES); for the recall tiers, whose item is an
    estimate, for any item (any_item_basis)."""
    if ctx.basis and (any_item_basis or (article, item) in BASIS_ARTICLES):
        return NEEDS_BASIS, f"条款称“{ctx.basis}”，如确有法律、行政法规依据或经国务院批准，应在审查结论中写明具体依据条款。"
    if ctx.exception:
        return NEEDS_BASIS, (f"条款以“{ctx.purpose}”为目的并设定了实施期限，可能符合第十二条例外情形，"
                             "须在审查结论中说明没有对公平竞争影响更小的替代方案及合理的实施期限。")
    if ctx.purpose:
        return severity, f"条款虽涉及“{ctx.purpose}”，但未明确实施期限或终止条件，不满足第十二条的适用条件。"
    return severity, ""


def _suggestion(rule: Rule, sentence: str, span: str) -> str:
    """An in-place edit of the trigger where a clean one exists, else a model wording for the clause."""
    new_span = rule.rewrite_span(span)
    if new_span is not None and new_span != span:
        return f"{rule.advice}。建议修改为：“{sentence.replace(span, new_span, 1)}”"
    return f"{rule.advice}。参考修改为：“{rule.template}”"


def _quote(sentence: str, start: int, end: int) -> str:
    """The comma-delimited stretch around a match, so the reason quotes readable words."""
    left = max(sentence.rfind(c, 0, start) for c in "，,：:；。") + 1
    rights = [i for i in (sentence.find(c, end) for c in "，,；。") if i != -1]
    return sentence[left:min(rights) if rights else len(sentence)]


def _finding(rule: Rule, clause: Clause, sentence: str, m: re.Match, ctx: ClauseContext) -> Finding:
    severity, note = _severity(rule.severity, rule.article, rule.item, ctx)
    span = m.group(0)
    standard = item_text(rule.article, rule.item)
    reason = (f"条款中“{_quote(sentence, m.start(), m.end())}”（触发词：{span}）{rule.why}，{'属于' if rule.severity == VIOLATION else '可能属于'}{citation(rule.article, rule.item)}“{standard}”所列情形"
              f"（{rule.what}）。" + note)
    return Finding(clause.no, sentence, rule.article, rule.item, standard, reason,
                   _suggestion(rule, sentence, span), severity, [span, rule.rid])


def _similar_finding(clause: Clause, sentence: str, ctx: ClauseContext) -> Finding | None:
    if ctx.lawful_footing() or _PRO.search(sentence) or not_a_measure(sentence):
        return None
    (article, item), sim = similarity.nearest(sentence)
    if any(r.unless and re.search(r.unless, sentence) for r in RULES if (r.article, r.item) == (article, item)):
        return None
    cue = similarity.cue_in(sentence, article)
    if sim < SIM_THRESHOLD or not cue:
        return None
    at = sentence.find(cue)
    if _prohibited(sentence, at, at + len(cue)):
        return None
    standard = item_text(article, item)
    severity, note = _severity(NOTE, article, item, ctx, any_item_basis=True)
    reason = (f"条款含“{cue}”，表述与{citation(article, item)}“{standard}”相近（相似度 {sim:.2f}），"
              "可能存在限制竞争的效果，请结合适用对象和条件人工复核。" + note)
    suggestion = "请核实该措施是否对各类经营者一视同仁、条件是否公开客观；如存在区别对待，应删除相关条件或改为普惠性措施。"
    return Finding(clause.no, sentence, article, item, standard, reason, suggestion, severity, [cue, "similarity"])


_WEAK_LAWFUL = re.compile(rf"依法|按照国家|国家有关规定|国家规定|有关规定|按规定|落实|{lx.LEGAL_BASIS}")


def _fallback_finding(clause: Clause, sentence: str, scope: str, ctx: ClauseContext) -> Finding | None:
    """The broad cue-combination tier (提示) for sentences no explicit rule covered."""
    if (ctx.lawful_footing() or _WEAK_LAWFUL.search(sentence) or _GOV_DUTY.search(sentence) or _WAIVER.search(sentence)
            or not_a_measure(sentence)):
        return None
    hit = fallback.suspect(sentence, scope)
    if hit is None:
        return None
    article, item, cue = hit
    at = sentence.find(cue)
    if _prohibited(sentence, at, at + len(cue)):
        return None
    if any(r.unless and re.search(r.unless, sentence) for r in RULES if (r.article, r.item) == (article, item)):
        return None
    standard = item_text(article, item)
    rule = next(r for r in RULES if (r.article, r.item) == (article, item))
    severity, note = _severity(NOTE, article, item, ctx, any_item_basis=True)
    reason = (f"条款中“{cue}”与限制或优惠条件同时出现，可能构成{citation(article, item)}“{standard}”所列情形"
              f"（{rule.what}），请结合适用对象和条件人工复核。" + note)
    return Finding(clause.no, sentence, article, item, standard, reason,
                   f"{rule.advice}。参考修改为：“{rule.template}”", severity, [cue, "fallback"])


@dataclass(frozen=True)
class Tiers:
    """Which tiers run: the rules (with their cue-combination and, without a learned model, similarity
    fallbacks) and the learned tier (None: the shipped model; eval passes a fold's model)."""

    rules: bool = True
    learned: bool = True
    tier: Tier | None = None

    def learned_tier(self) -> Tier | None:
        return (self.tier or default_tier()) if self.learned else None


ALL = Tiers()


def _rule_findings(clause: Clause, scope: str, ctx: ClauseContext, similarity_on: bool
                   ) -> tuple[dict[tuple[int, int], Finding], list[str], dict[str, Finding]]:
    """Findings of the explicit rules for one clause, the sentences no rule caught, and the hunches of the
    cue-combination (or similarity) fallback on some of those, by sentence."""
    found: dict[tuple[int, int], Finding] = {}
    left: list[str] = []
    hunches: dict[str, Finding] = {}
    for unit in units(clause):
        sentence = unit.text
        fired_groups: set[str] = set()
        hit_here = False
        for rule in RULES:
            if rule.group and rule.group in fired_groups:
                continue
            m = _rule_hit(rule, sentence, scope, ctx)
            if m is None:
                continue
            hit_here = True
            if rule.group:
                fired_groups.add(rule.group)
            key = (rule.article, rule.item)
            if key in found:
                found[key].triggers.extend([m.group(0), rule.rid])
                continue
            found[key] = _finding(rule, clause, sentence, m, ctx)
        if hit_here:
            continue
        left.append(sentence)
        f = _fallback_finding(clause, sentence, scope, ctx) or (_similar_finding(clause, sentence, ctx) if similarity_on else None)
        if f:
            hunches[sentence] = f
    return found, left, hunches


def _skipped(clause: Clause) -> bool:
    """An item of a list of prohibited or punishable practices ("不得有下列行为：（一）…")."""
    return bool(_LEAD_PROHIBITION.search(clause.lead) or ("下列" in clause.lead and re.search(r"的[；。]?$", clause.text)))


def _review(clauses: list[Clause], doc_time_limit: bool, tiers: Tiers) -> list[list[Finding]]:
    """Findings per clause: the rules first, then one batch of the learned tier over what they left. Where the
    cue-combination fallback had a hunch, a learned proposal for the same sentence replaces it: the fallback's
    item is a guess from context words, the learned item is a classifier's choice (held out by group it names
    the item more often), and its finding names the nearest standard situation."""
    learned = tiers.learned_tier()
    learned_on = learned is not None and learned.model is not None
    per_clause: list[dict[tuple[int, int], Finding]] = []
    contexts = [ClauseContext.of(c, doc_time_limit) for c in clauses]
    pending: list[tuple[int, str]] = []  # (clause index, sentence) for the learned tier
    hunches: list[dict[str, Finding]] = []  # per clause: the fallback's findings, by sentence
    for i, (clause, ctx) in enumerate(zip(clauses, contexts)):
        if _skipped(clause):
            per_clause.append({})
            hunches.append({})
            continue
        scope = f"{clause.heading}\n{clause.lead}\n{clause.text}"
        if tiers.rules:
            found, left, hunch = _rule_findings(clause, scope, ctx, similarity_on=not learned_on)
        else:
            found, left, hunch = {}, [u.text for u in units(clause)], {}
        per_clause.append(found)
        hunches.append(hunch)
        pending += [(i, s) for s in left if not _learned_gate(s, ctx)]
    if learned_on and pending:
        for (i, sentence), prop in zip(pending, learned.propose([s for _, s in pending])):
            if prop is not None and not _lawful_reading(prop.article, prop.item, sentence):
                hunches[i].pop(sentence, None)
                per_clause[i].setdefault((prop.article, prop.item),
                                         _learned_finding(clauses[i], sentence, prop, contexts[i]))
    for found, hunch in zip(per_clause, hunches):
        for f in hunch.values():
            found.setdefault((f.article, f.item), f)
    return [list(found.values()) for found in per_clause]


def _learned_gate(sentence: str, ctx: ClauseContext | None = None) -> bool:
    """Sentences the learned tier leaves alone: open to all / equal treatment anywhere in the clause,
    pro-competition wording, a waived requirement, a sentence that addresses no operator, and the
    government-side bans, penalties and clean-up orders regulations are made of."""
    ctx = ctx or ClauseContext.of(sentence)
    return bool(ctx.lawful_footing() or _PRO.search(sentence) or not_a_measure(sentence)
                or _GOV_PROHIBITION.search(sentence) or _PENALTY.search(sentence)
                or _CLEARING_TAIL.search(sentence) or _SELF_CONDEMN.search(sentence) or _WAIVER.search(sentence))


def learned_view(clause: Clause, ctx: ClauseContext | None = None) -> list[str]:
    """The sentences of a clause the learned tier reads when no rule has taken them (training calibrates on this)."""
    ctx = ctx or ClauseContext.of(clause)
    return [u.text for u in units(clause) if not _learned_gate(u.text, ctx)]


def _lawful_reading(article: int, item: int, sentence: str) -> bool:
    """The rules' own lawful readings of an item ("依法…", "公开招标…") hold for the learned tier too."""
    return any(r.unless and re.search(r.unless, sentence) for r in RULES if (r.article, r.item) == (article, item))


def _learned_finding(clause: Clause, sentence: str, prop: Proposal, ctx: ClauseContext) -> Finding:
    """A learned proposal in a rule finding's shape: article, item, standard, reason, suggestion, severity."""
    article, item = prop.article, prop.item
    severity, note = _severity(VIOLATION if prop.sure else NOTE, article, item, ctx, any_item_basis=True)
    standard = item_text(article, item)
    guide = guides().get((article, item))
    rule = next(r for r in RULES if (r.article, r.item) == (article, item))
    words = "、".join(f"“{w}”" for w in prop.words) or "（无逐字相同的词语）"
    reason = (f"语义识别（置信度 {prop.confidence:.2f}）：条款与{citation(article, item)}“{standard}”所列情形相近，"
              f"最接近的情形是{prop.situation.basis}：“{prop.situation.text}”（相似度 {prop.similarity:.2f}）；"
              f"相同的词语：{words}。{guide.why if guide and guide.why else rule.why + '。'}"
              + ("" if prop.sure else "置信度未达到判定为违反的阈值，列为提示，请人工复核。") + note)
    advice = guide.advice.rstrip("。") if guide and guide.advice else rule.advice
    return Finding(clause.no, sentence, article, item, standard, reason, f"{advice}。参考修改为：“{rule.template}”",
                   severity, [*prop.words, "learned", prop.situation.sid])


def review_clause(clause: Clause | str, doc_time_limit: bool = False, tiers: Tiers = ALL) -> list[Finding]:
    """Findings for one clause, one per (article, item)."""
    if isinstance(clause, str):
        clause = Clause(None, clause)
    return _review([clause], doc_time_limit, tiers)[0]


_DOC_TIME = re.compile(r"(?:有效期|实施期限|试行期|执行期)[^。；]{0,10}(?:\d+|[一二三四五六七八九十]+)年|(?:有效期|执行)至\d{4}年")


def review_text(text: str, source: str = "", tiers: Tiers = ALL) -> ReviewResult:
    """Review a whole draft. Text without numbering is reviewed paragraph by paragraph (clauses 1, 2, …) and the
    result says so; only text without any words raises EmptyDocument."""
    if not has_words(text):
        raise errors.EmptyDocument(source or "输入文本")
    if len(text) > limits.MAX_CHARS:  # pasted text never passed the file limits
        raise errors.InputError(f"待审查的文本过长：{len(text):,} 字，上限 {limits.MAX_CHARS:,} 字（{source or '输入文本'}）",
                                hint="请按章节分成几份分别审查")
    clauses = split_clauses(text)
    notes: list[str] = []
    if not any(c.no for c in clauses):
        clauses = split_paragraphs(text)
        notes.append(PARAGRAPH_NOTE.format(n=len(clauses)) if len(clauses) > 1 else SINGLE_NOTE)
    numbered = [c for c in clauses if c.no]
    doc_time_limit = bool(_DOC_TIME.search(text))
    learned = tiers.learned_tier()
    if learned is not None and learned.model is None:
        notes.append(learned.off_reason)
    findings = [f for per in _review(clauses, doc_time_limit, tiers) for f in per]
    return ReviewResult(source, len(numbered), clauses, findings, _dt.date.today().isoformat(), notes)


PARAGRAPH_NOTE = "未识别到条文编号，已按段落拆分为 {n} 条（依次编号为 1、2、…）逐条审查。"
SINGLE_NOTE = "未识别到条文编号，已将全文作为 1 条条款审查。"


def review_file(path: str | Path, settings=None, tiers: Tiers = ALL) -> ReviewResult:
    """Read a .txt/.md/.pdf/.docx draft (KBError on bad input) and review it."""
    from kb.config import get_settings
    from kb.ingest import read_text

    settings = settings or get_settings()
    text = read_text(path, max_bytes=settings.max_file_bytes)
    return review_text(text, source=str(path), tiers=tiers)


__all__ = ["review_text", "review_file", "review_clause", "Tiers", "VIOLATION", "NEEDS_BASIS", "NOTE"]
