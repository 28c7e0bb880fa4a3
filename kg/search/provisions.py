"""Questions asking why a regulation was made or when it took effect, and the articles that say so.

"为什么制定教师资格条例？", "What is the purpose of the interim regulations on …?", "why were the
plant quarantine regulations enacted": the answer is the article stating the purpose and legal
basis ("为了……，根据……，制定本条例。", nearly always 第一条). "这个办法什么时候施行？", "When did
the State Council rules on merger notification thresholds take effect?": the article saying so
("本规定自2008年8月3日起施行。", nearly always the last). Such an article shares little with the
question beyond the regulation's subject, so without help the articles that repeat the subject
most (penalties, duties) rank above it.
"""
from __future__ import annotations

import re
import threading
from typing import Any

import numpy as np

from .fusion import best_kept

__all__ = ["PROVISION_LIFT", "Provisions", "asked_provision", "provision_up", "states"]

#: How far above the best article of its regulation the article asked for is put (just above:
#: the regulations keep their order).
PROVISION_LIFT = 1.01

_RULES_EN = (r"(?:regulations?|rules?|laws?|act|measures|provisions|ordinances?|decisions?"
             r"|controls?|code|statutes?)")
_RULES_ZH = (r"(?:条例|办法|规定|细则|规则|决定|法|实施细则|实施办法|暂行规定|暂行办法|暂行条例|准则"
             r"|章程|标准|措施)")
_ASKS = {
    "purpose": (
        re.compile(
            r"\b(?:purposes?|aims?|objectives?|intent|rationale)\b.{0,60}?\b(?:of|behind|for)\b"
            rf".{{0,80}}?\b{_RULES_EN}\b"
            rf"|\bwhy\b.{{0,80}}?\b{_RULES_EN}\b.{{0,40}}?\b(?:enacted|introduced|adopted|issued|"
            r"made|formulated|drawn up|passed|promulgated|laid down)\b"
            r"|\bwhy\b.{0,40}?\b(?:enact|introduce|adopt|issue|make|formulate|draw up|pass|"
            rf"promulgate)d?\b.{{0,80}}?\b{_RULES_EN}\b"
            r"|\blegal basis\b", re.IGNORECASE | re.DOTALL),
        re.compile(r"(?:立法|制定)的?(?:目的|宗旨|依据|初衷)|为(?:什么|何)要?(?:制定|出台|颁布|施行|实行)"
                   r"|(?:条例|办法|规定|细则|法)(?:的)?(?:目的|宗旨|立法依据)"
                   r"|依据(?:是)?哪(?:部|个|项|些)法")),
    "effect": (
        re.compile(r"\b(?:when|what\s+(?:date|day|year)|since\s+when|from\s+when)\b.{0,120}?"
                   r"\b(?:(?:take|takes|took|taken|taking|come|comes|came|coming|enter|entered|"
                   r"go|goes|went)\s+(?:effect|into\s+(?:force|effect))|effective|in\s+force)\b"
                   r"|\bin\s+force\s+since\b|\beffective\s+date\b",
                   re.IGNORECASE | re.DOTALL),
        re.compile(r"(?:什么时候|何时|哪天|哪一天|哪年|哪一年|几月几[日号]|从何时|自何时|从什么时候|"
                   r"自什么时候)(?:起|开始)?(?:正式)?(?:施行|生效|实施)"
                   r"|(?:施行|生效|实施)(?:日期|时间|之日)(?:是|为)?(?:什么|何时|哪)")),
}
_STATES = {
    "purpose": re.compile(
        r"^\s*(?:第[一二三四五六七八九十百零〇\d]+条\s*)?(?:为了?|根据|依据|依照)[^。]{2,300}?"
        rf"(?:特)?制[定订]本{_RULES_ZH}\s*[。；;]?", re.DOTALL),
    "effect": re.compile(
        rf"^\s*(?:第[一二三四五六七八九十百零〇\d]+条\s*)?本{_RULES_ZH}(?:[^。]{{0,12}})?"
        r"自[^。]{1,40}?(?:起|之日)?(?:施行|生效|实施)"),
}


def asked_provision(question: str) -> str | None:
    """The kind of provision ``question`` asks for: ``purpose`` (why a regulation was made, on
    what basis), ``effect`` (when it took effect), or None.

    >>> asked_provision("why were the plant quarantine regulations enacted")
    'purpose'
    >>> asked_provision("教师资格条例为什么制定，依据是哪部法律？"), asked_provision("这个办法什么时候施行？")
    ('purpose', 'effect')
    >>> asked_provision("When did the rules on merger notification thresholds take effect?")
    'effect'
    >>> asked_provision("Why was the 2021 growth target set at above 6%?") is None
    True
    >>> asked_provision("规章一般应当自公布之日起多少日后施行？") is None
    True
    """
    for kind, patterns in _ASKS.items():
        if any(p.search(question) for p in patterns):
            return kind
    return None


def states(kind: str, text: str) -> bool:
    """Whether an article's ``text`` is the provision of ``kind`` (see :func:`asked_provision`).

    >>> states("purpose", "第一条 为了防止危险性病、虫传播蔓延，保护农业生产安全，制定本条例。")
    True
    >>> states("purpose", "市建设行政管理部门应当制定本市城市道路应急预案。")
    False
    >>> states("effect", "第四十六条 本条例自2007年6月1日起施行。"), states("effect", "本办法自公布之日起施行。")
    (True, True)
    >>> states("effect", "规章应当自公布之日起30日后施行。")
    False
    """
    return bool(_STATES[kind].match(text))


def provision_up(scores: np.ndarray, stating: np.ndarray, doc_of: np.ndarray) -> np.ndarray:
    """Target ``scores`` with each ``stating`` target (a boolean mask) put just above the best
    target of its own document (``doc_of``: each target's document index), all scaled so that
    the best score stays what it was: the regulations keep their order, and in each one the
    provision asked for comes first."""
    if not len(scores) or not stating.any():
        return scores
    best = np.zeros(int(doc_of.max()) + 1, dtype=np.float32)
    np.maximum.at(best, doc_of, scores)
    raised = scores.copy()
    raised[stating] = np.maximum(raised[stating], best[doc_of[stating]] * np.float32(PROVISION_LIFT))
    return best_kept(scores, raised)


class Provisions:
    """Per kind, which targets of ``corpus`` are that provision (read on the first question
    asking for it: a pass over the targets' texts)."""

    def __init__(self, corpus: Any):
        self._corpus = corpus
        self._masks: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def mask(self, kind: str) -> np.ndarray:
        """A boolean per target: whether it is the provision of ``kind``."""
        with self._lock:  # two first questions at once read the texts once
            if kind not in self._masks:
                corpus = self._corpus
                self._masks[kind] = np.fromiter(
                    (states(kind, corpus.target_text(u)) for u in corpus.targets), dtype=bool,
                    count=len(corpus.targets))
            return self._masks[kind]

    def reorder(self, question: str, target: np.ndarray) -> np.ndarray:
        """Target scores with the provision ``question`` asks for (if any) first in each
        regulation."""
        kind = asked_provision(question) if len(target) else None
        if kind is None:
            return target
        return provision_up(target, self.mask(kind), self._corpus.target_doc)
