"""Questions asking why a regulation was made, and the articles that say so.

"为什么制定教师资格条例？", "What is the purpose of the interim regulations on …?", "why were the
plant quarantine regulations enacted": the answer is the article stating the purpose and legal
basis ("为了……，根据……，制定本条例。", nearly always 第一条). Such an article shares few words
with the question beyond the regulation's subject, so without help the articles that repeat
the subject most (penalties, duties) rank above it.
"""
from __future__ import annotations

import re

import numpy as np

__all__ = ["PURPOSE_LIFT", "asks_purpose", "purpose_up", "states_purpose"]

#: How far above the best article of its regulation the article stating the purpose is put
#: when the question asks for the purpose (just above: the regulation's order is kept).
PURPOSE_LIFT = 1.01

_RULES_EN = (r"(?:regulations?|rules?|laws?|act|measures|provisions|ordinances?|decisions?"
             r"|controls?|code|statutes?)")
_ASKS_EN = re.compile(
    r"\b(?:purposes?|aims?|objectives?|intent|rationale)\b.{0,60}?\b(?:of|behind|for)\b.{0,80}?"
    rf"\b{_RULES_EN}\b"
    rf"|\bwhy\b.{{0,80}}?\b{_RULES_EN}\b.{{0,40}}?\b(?:enacted|introduced|adopted|issued|made|"
    r"formulated|drawn up|passed|promulgated|laid down)\b"
    r"|\bwhy\b.{0,40}?\b(?:enact|introduce|adopt|issue|make|formulate|draw up|pass|promulgate)"
    rf"d?\b.{{0,80}}?\b{_RULES_EN}\b"
    r"|\blegal basis\b", re.IGNORECASE | re.DOTALL)
_ASKS_ZH = re.compile(
    r"(?:立法|制定)的?(?:目的|宗旨|依据|初衷)|为(?:什么|何)要?(?:制定|出台|颁布|施行|实行)"
    r"|(?:条例|办法|规定|细则|法)(?:的)?(?:目的|宗旨|立法依据)|依据(?:是)?哪(?:部|个|项|些)法")

_STATES = re.compile(
    r"^\s*(?:第[一二三四五六七八九十百零〇\d]+条\s*)?(?:为了?|根据|依据|依照)[^。]{2,300}?"
    r"(?:特)?制[定订]本(?:条例|办法|规定|细则|规则|决定|法|实施细则|实施办法|暂行规定|暂行办法"
    r"|暂行条例|准则|章程|标准|措施)\s*[。；;]?", re.DOTALL)


def asks_purpose(question: str) -> bool:
    """Whether ``question`` asks why a regulation (law, measures, rules) was made.

    >>> asks_purpose("why were the plant quarantine regulations enacted")
    True
    >>> asks_purpose("Why did the Ministry of Public Security introduce controls on knives?")
    True
    >>> asks_purpose("教师资格条例为什么制定，依据是哪部法律？"), asks_purpose("邮政法办法的制定目的")
    (True, True)
    >>> asks_purpose("Why was the 2021 growth target set at above 6%?"), asks_purpose("罚款多少")
    (False, False)
    """
    return bool(_ASKS_EN.search(question) or _ASKS_ZH.search(question))


def states_purpose(text: str) -> bool:
    """Whether an article's ``text`` states its regulation's purpose or basis.

    >>> states_purpose("第一条 为了防止危险性病、虫传播蔓延，保护农业生产安全，制定本条例。")
    True
    >>> states_purpose("根据《中华人民共和国邮政法》，结合本市实际，制定本办法。")
    True
    >>> states_purpose("市建设行政管理部门应当制定本市城市道路应急预案。")
    False
    """
    return bool(_STATES.match(text))


def purpose_up(scores: np.ndarray, stating: np.ndarray, doc_of: np.ndarray) -> np.ndarray:
    """Target ``scores`` with each ``stating`` target (a boolean mask) put just above the best
    target of its own document (``doc_of``: each target's document index), all scaled so that
    the best score stays what it was: the regulations keep their order, and each one's purpose
    comes first among its articles."""
    if not len(scores) or not stating.any():
        return scores
    best = np.zeros(int(doc_of.max()) + 1, dtype=np.float32)
    np.maximum.at(best, doc_of, scores)
    raised = scores.copy()
    lifted = best[doc_of[stating]] * np.float32(PURPOSE_LIFT)
    raised[stating] = np.maximum(raised[stating], lifted)
    top, new_top = float(scores.max()), float(raised.max())
    if new_top > top > 0:
        raised *= np.float32(top / new_top)
    return raised
