"""Names the suffix rules of ``entities`` miss: designated zones, national pilot designations,
slogans built on a place, and the page's source media.

- zones under construction: ``推进机场东片区改造升级``, ``持续推进科技创新人才集聚区建设``,
  ``加快建设上海市“互联网+生活性服务业”创新试验区`` and ``全国首个网络市场监管与服务示范区``;
- national designations: ``全国居家和社区养老服务改革试点``, ``国家智慧健康养老应用试点示范基地``; the
  national pilot zone of a named place (``加强临港国家海绵城市建设试点区跟踪评估``) as a place;
- ``平安<place>`` (平安长宁, 平安中国), ``15分钟社区生活圈`` and 国家…战略 as programmes; a quoted
  nickname of the zones just listed (…街区“时尚金三角”建设) as a place;
- the places of a list closed by 等重点区域 (临港新片区、南大地区、吴淞创新城…等重点区域), …新城, and
  observance days (世界城市日) as events;
- the page's own source (文档来源:上海长宁文明网, (来源:长宁时报)) as an organisation.
"""
from __future__ import annotations

import re
from typing import Iterable

from .entities import Candidate

_ZONE = r"(?:片区|集聚区|试验区|示范区|先行区|功能区|创新区|先导区|合作区)"
_NAME_CHARS = r"[^\s，。；、：:“”\"《》（）()·,;]"
_ZONE_BUILT = re.compile(
    rf"(?:推进|加快建设|加快推进|建设|打造|创建)(?P<name>(?:[\u4e00-\u9fff]{{2,4}}[市区省县])?“[^”\n]{{2,20}}”"
    rf"[\u4e00-\u9fff]{{0,6}}{_ZONE}|{_NAME_CHARS}{{2,16}}?{_ZONE})(?=建设|改造|升级|的建设|[，。、；,.;])"
)
_FIRST_OF_ITS_KIND = re.compile(rf"(?:全国|全市|国内|首批)?首个(?P<name>{_NAME_CHARS}{{4,20}}?{_ZONE})")
_NATIONAL = re.compile(
    rf"(?P<name>(?:国家|全国){_NAME_CHARS}{{4,20}}?(?:改革试点|试点示范基地|示范基地|试点城市|试点))"
    r"(?=[、，。；,.;]|建设|工作|$)"
)
# 加强临港国家海绵城市建设试点区跟踪评估: a national pilot zone of a named place is a place (an existing zone).
_PLACE_PILOT_ZONE = re.compile(
    rf"(?:加强|推进|开展|建设|支持|依托|发挥|做好|对|在)(?P<name>[\u4e00-\u9fff]{{2,4}}国家{_NAME_CHARS}{{2,16}}?"
    r"(?:试点区|示范区|先行区|试验区))"
)
_CIRCLE = re.compile(r"(?P<name>\d{1,2}分钟[\u4e00-\u9fff]{2,8}圈)")
_STRATEGY = re.compile(r"国家(?P<name>[\u4e00-\u9fff]{2,10}战略)")
# 环东华…集聚区、…街区“时尚金三角”建设: the quoted nickname of the zones just listed.
_ZONE_NICKNAME = re.compile(r"(?:区|街区|园|圈)“(?P<name>[^“”\n，,、]{2,10})”(?=建设|片区)")
# A list closed by 等重点区域 / 等地区 names places: 临港新片区、南大地区、吴淞创新城、桃浦智创城等重点区域.
_PLACE_LIST = re.compile(r"(?:在|对|聚焦|推进)?(?P<items>[^，。；：:\n]{4,200}?)等(?:重点|重要|核心)?(?:区域|地区|片区|板块)")
_PLACE_ITEM = re.compile(r"^[\u4e00-\u9fff]{2,20}(?:片区|地区|新城|创新城|智创城|城|示范区|新区|园区|岛|湾)$")
_DAY = re.compile(r"(?P<name>(?:世界|国际|全国|中国)[\u4e00-\u9fff]{2,6}日)(?=[等，。、;；,]|活动|期间|主题)")
_NEW_TOWN = re.compile(r"(?<![\u4e00-\u9fff\d])(?P<name>[\u4e00-\u9fff]{2}新城)(?=建设|[，。、；,;]|[0-9])")
_GENERIC_HEADS = ("一批", "若干", "各类", "相关", "重点", "功能", "产业", "城市", "区域", "特色")


def find_designations(text: str, places: Iterable[str] = ()) -> list[Candidate]:
    """Zone, designation and programme names in ``text`` (``places``: place names for 平安<place>)."""
    out: list[Candidate] = []
    for pattern, etype in ((_ZONE_BUILT, "Place"), (_FIRST_OF_ITS_KIND, "Place"), (_NATIONAL, "Programme"),
                           (_CIRCLE, "Programme"), (_STRATEGY, "Programme"), (_ZONE_NICKNAME, "Place"),
                           (_PLACE_PILOT_ZONE, "Place")):
        for m in pattern.finditer(text):
            name = m.group("name")
            bare = re.sub(r"“[^”]*”", "", name)
            if name.startswith(_GENERIC_HEADS) or (len(bare) < 4 and pattern is not _ZONE_NICKNAME):
                continue
            # 国家公共文化服务体系示范区建设: a national designation to earn, not a place yet
            kind = "Programme" if pattern is _ZONE_BUILT and name.startswith(("国家", "全国")) else etype
            out.append(Candidate(m.start("name"), m.end("name"), name, name, kind, "designation"))
    for m in _PLACE_LIST.finditer(text):
        offset = m.start("items")
        for item in re.finditer(r"[^、]+", m.group("items")):
            name = item.group().strip()
            if _PLACE_ITEM.match(name) and not re.search(r"[和与及个]", name) and not name.startswith(("重点", "有关")):
                out.append(Candidate(offset + item.start(), offset + item.end(), name, name, "Place", "designation"))
    for pattern, etype in ((_DAY, "Event"), (_NEW_TOWN, "Place")):
        for m in pattern.finditer(text):
            name = m.group("name")
            if re.search(r"[个等各的和新]", name[:2]):
                continue
            out.append(Candidate(m.start("name"), m.end("name"), name, name, etype, "designation"))
    names = sorted({p for p in places if len(p) >= 2}, key=len, reverse=True)
    if names:
        for m in re.finditer("平安(?:" + "|".join(map(re.escape, names)) + ")", text):
            out.append(Candidate(m.start(), m.end(), m.group(), m.group(), "Programme", "designation"))
    return out


def media_candidates(text: str, media: Iterable[str | None]) -> tuple[list[Candidate], list[str]]:
    """Mentions of the page's source media in ``text``; and the media named nowhere in it."""
    found, absent = [], []
    for name in dict.fromkeys(m.strip() for m in media if m and m.strip()):
        if not re.search(r"[\u4e00-\u9fff]", name) or len(name) < 3:
            continue
        spans = [m.span() for m in re.finditer(re.escape(name), text)]
        if not spans:
            absent.append(name)
        for start, end in spans:
            found.append(Candidate(start, end, name, name, "Organization", "media"))
    return found, absent


def merge(cands: list[Candidate], extra: list[Candidate]) -> list[Candidate]:
    """``cands`` plus ``extra``: an extra name replaces the rule-made candidates inside it (not alias-table
    names) and gives way to any candidate it only partly overlaps."""
    kept_extra = []
    for e in sorted(extra, key=lambda c: (c.start, -(c.end - c.start))):
        if any(k.start <= e.start and e.end <= k.end for k in kept_extra):
            continue
        if any(c.start < e.end and e.start < c.end and not (e.start <= c.start and c.end <= e.end)
               and not (c.start <= e.start and e.end <= c.end) for c in cands):
            continue  # crossing another name: not sure enough
        if any(c.start <= e.start and e.end <= c.end and (c.end - c.start) > (e.end - e.start) for c in cands):
            continue  # already inside a longer name
        kept_extra.append(e)
    out = [c for c in cands
           if not any(e.start <= c.start and c.end <= e.end and (e.end - e.start) > (c.end - c.start)
                      and c.source != "alias" for e in kept_extra)
           and not any((e.start, e.end) == (c.start, c.end) for e in kept_extra)]
    return sorted(out + kept_extra, key=lambda c: (c.start, -c.end, c.label))
