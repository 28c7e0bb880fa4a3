"""The intent of a question: which type of result it asks for ("哪些单位…" → organisations)."""
from __future__ import annotations

import re

from .text import nfkc

__all__ = ["INTENTS", "intent"]

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


def intent(text: str) -> tuple[str | None, str | None, str]:
    """(result type, entity type, the question without its intent words), normalised.

    >>> intent("哪些单位参与时尚创意？")
    ('entity', 'Organization', '参与时尚创意?')
    >>> intent("elderly care")
    (None, None, 'elderly care')
    """
    lowered = nfkc(text)
    for pattern, rtype, etype in INTENTS:
        match = re.search(pattern, lowered)
        if match:
            rest = (lowered[:match.start()] + " " + lowered[match.end():]).strip()
            return rtype, etype, rest
    return None, None, lowered
