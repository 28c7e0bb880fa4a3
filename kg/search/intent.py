"""The intent of a question: which type of result it asks for ("哪些单位…" → organisations)."""
from __future__ import annotations

import re

from .text import nfkc

__all__ = ["FACETS", "INTENTS", "asks", "intent"]

INTENTS: tuple[tuple[str, str, str | None], ...] = (
    # (regex, result type, entity type)
    (r"\b(which|what)\s+(organi[sz]ations?|institutions?|agencies|departments?|units|"
     r"companies|enterprises|universities|bodies)\b|哪些(单位|机构|部门|企业|高校|组织|大学)|"
     r"(单位|机构|部门|企业|高校)有哪些", "entity", "Organization"),
    (r"\b(which|what)\s+(events?|activities|exhibitions?|expos?|festivals?|competitions?)\b|"
     r"哪些(活动|展会|赛事|节庆|会展)|(活动|展会)有哪些", "entity", "Event"),
    (r"\b(which|what|where)\s+(places?|areas?|districts?|regions?|locations?)\b|"
     r"哪些(地方|区域|地区|地点|街区)|(地方|区域)有哪些", "entity", "Place"),
    (r"\b(which|what)\s+(documents?|policies|files|reports?|regulations?|laws?|opinions?|"
     r"notices?)\b|哪些(文件|政策|文档|报告|条例|法规|规定|意见|通知)", "document", None),
    (r"\b(which|what)\s+(sentences?|passages?)\b|哪些(句子|表述|段落)", "sentence", None),
    (r"\b(which|what)\s+(tasks?|measures?|actions?|initiatives?)\b|哪些(任务|举措|措施|工作)",
     "task", None),
)


# the linking verb and article an intent leaves in front ("… mention the …")
_LEADING_WORDS = re.compile(r"^((mention(s|ed|ing)?|involv(e|es|ed|ing)|contain(s|ing)?"
                            r"|refer(s|ring)?\s+to|talk(s|ing)?\s+about|deal(s|ing)?\s+with"
                            r"|discuss(es|ing)?|concern(s|ing)?"
                            r"|about|regarding|on)\s+)?((the|a|an)\s+)?(?=\w)")


#: A question asking what a rule requires of the things it names ("测站要把信息报给哪些部门",
#: "what activities should the city organise"): the passage that says so answers it, not a
#: list of the store's organisations or documents.
_NORMATIVE = re.compile(r"应当|应该|必须|须|需要|要(?=[把向给对由将按经])|"
                        r"\b(should|must|shall|(need|needs|have|has|required)\s+to)\b")


def intent(text: str) -> tuple[str | None, str | None, str]:
    """(result type, entity type, the question without its intent words), normalised.

    >>> intent("哪些单位参与时尚创意？")
    ('entity', 'Organization', '参与时尚创意?')
    >>> intent("负责水文预报的测站要把信息报给哪些部门？")
    (None, None, '负责水文预报的测站要把信息报给哪些部门?')
    >>> intent("elderly care")
    (None, None, 'elderly care')
    >>> intent("which sentences mention the Belt and Road?")
    ('sentence', None, 'belt and road?')
    """
    lowered = nfkc(text)
    for pattern, rtype, etype in INTENTS:
        match = re.search(pattern, lowered)
        if match:
            rest = (lowered[:match.start()] + " " + lowered[match.end():]).strip()
            if rtype in ("entity", "document") and _NORMATIVE.search(rest):
                return None, None, lowered
            # "which sentences mention the Belt and Road": the verb and article left at the front
            # moved the small model's vector from 一带一路 to chapter headings
            return rtype, etype, _LEADING_WORDS.sub("", rest, count=1)
    return None, None, lowered


#: What a question asks of its hits (issue 15): who is responsible, by when, how much.
FACETS: tuple[tuple[str, str], ...] = (
    ("duties", r"由谁来?(负责|牵头|主管|承担|落实)?|谁来?(负责|牵头|主管|承担|配合|落实)|哪一?个(部门|单位|机构)来?"
               r"(负责|牵头|主管|承担|配合)|哪些(部门|单位|机构)(负责|牵头)|(牵头|责任|负责|配合)(部门|单位)(是谁|是哪个|有哪些)?|"
               r"\bwho\s+(is|are)\s+(responsible|in\s+charge)(\s+for)?\b|\bwho\s+leads?\b|"
               r"\bwhich\s+(departments?|agenc(y|ies)|units?|bod(y|ies))\s+(leads?|(is|are)\s+"
               r"(responsible(\s+for)?|in\s+charge(\s+of)?))\b|\bresponsible\s+(units?|departments?)\b"),
    ("deadlines", r"什么时(候|间)(之?前)?(完成|实现|建成)?|何时(之?前)?(完成|实现|建成)?|"
                  r"(完成)?(期限|时限|时间节点)|截止(时间|日期)?|\bby\s+when\b|\bdeadlines?\b|"
                  r"\bdue\s+dates?\b|\bwhen\s+(is|are|must|should|will)\b|\bdue\b"),
    ("targets", r"(目标|指标)(值|是多少|是什么|有哪些)?|(要|需要)?达到多少|\btargets?\b|"
                r"\bgoals?\b|\bindicators?\b"),
)
_BARE_FACET = re.compile(r"目标|指标|targets?|goals?|indicators?")
#: A question naming the organisation whose tasks it wants: "市绿化市容局负责哪些任务".
ASSIGNED = (r"^(?P<name>[^，,。？?]{2,40}?)(主要|具体)?(负责|牵头|承担|配合)(了)?"
            r"(哪些|什么|那些)(任务|工作|事项|事情|举措)?",
            r"^(what|which\s+(tasks?|measures?|work))\s+(does|do|is|are)\s+(the\s+)?"
            r"(?P<name>.+?)\s+(lead|leading|responsible\s+for|in\s+charge\s+of|"
            r"cooperat\w*\s+on|take\s+the\s+lead\s+on)\b")


def asks(text: str) -> tuple[tuple[str, ...], str | None, str]:
    """(what the question asks of its hits, the organisation it names when it asks for its
    tasks, the question without those words), normalised.

    >>> asks("谁负责海绵城市建设？")
    (('duties',), None, '海绵城市建设?')
    >>> asks("市绿化市容局负责哪些任务")
    ((), '市绿化市容局', '')
    >>> asks("elderly care")
    ((), None, 'elderly care')
    >>> asks("哪些单位负责？"), asks("who is responsible?")
    (((), None, '哪些单位'), ((), None, 'which organisations'))
    >>> asks("远景目标"), asks("碳排放的目标是多少")
    ((('targets',), None, '远景目标'), (('targets',), None, '碳排放的'))
    """
    lowered = nfkc(text)
    for pattern in ASSIGNED:
        match = re.search(pattern, lowered)
        if match and not re.search(r"谁|哪(个|些)|\bwho\b", match.group("name")):
            return (), match.group("name").strip(), lowered[match.end():].strip(" ?？")
    found = []
    for facet, pattern in FACETS:
        # a bare noun (目标, targets) stays in the question: it is a word of the topic too
        # (远景目标, "emission targets"); only the words that ask go
        rest = re.sub(pattern, lambda m: m.group(0) if _BARE_FACET.fullmatch(m.group(0))
                      else " ", lowered)
        if re.search(pattern, lowered):
            found.append(facet)
            lowered = re.sub(r"\s+", " ", rest).strip()
    if found == ["duties"] and not re.search(r"[\w\u3400-\u9fff]", lowered):
        # "哪些单位负责?" names no work: it asks which bodies are responsible at all, a list
        return (), None, "哪些单位" if re.search(r"[\u3400-\u9fff]", text) else "which organisations"
    return tuple(found), None, lowered
