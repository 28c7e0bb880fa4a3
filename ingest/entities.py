"""Entity mentions in Chinese policy text: alias table, brackets, quotes and name suffixes.

The :class:`EntityExtractor` owns its jieba tokenizer (built lazily, never the
module-level ``jieba.dt``) and the data files under ``ingest/data``:
``aliases.tsv`` (canonical names, types, aliases, English labels, scopes),
``userdict.txt`` (jieba user dictionary) and ``stopentities.txt`` (generic
phrases that are never entities).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .tokenizer import shared_tokenizer

DATA_DIR = Path(__file__).parent / "data"

_SPACE = re.compile(r"\s+")


def normalise_key(name: str) -> str:
    """The entity key of a name: NFKC width normalisation, no whitespace.

    >>> normalise_key("中国（上海）自由贸易 试验区")
    '中国(上海)自由贸易试验区'
    """
    return _SPACE.sub("", unicodedata.normalize("NFKC", name))


@dataclass(frozen=True)
class AliasEntry:
    """One row of the alias table."""

    label: str
    type: str
    aliases: tuple[str, ...] = ()
    label_en: str | None = None
    scope: str | None = None  # "|"-separated words; short aliases hold only where one appears


@dataclass(frozen=True)
class Candidate:
    """A span of text recognised as naming an entity."""

    start: int
    end: int
    surface: str
    label: str  # canonical Chinese name
    type: str
    source: str  # "alias", "document", "quote", "event", "suffix", "tail", "anaphor"
    label_en: str | None = None


def load_aliases(path: Path) -> list[AliasEntry]:
    """Read the alias table (TSV: canonical, type, aliases|…, English label, scope)."""
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t") + [""] * 5
        label, etype, aliases, label_en, scope = (c.strip() for c in cols[:5])
        entries.append(AliasEntry(
            label=label, type=etype,
            aliases=tuple(a for a in aliases.split("|") if a),
            label_en=label_en or None, scope=scope or None))
    return entries


def load_wordlist(path: Path) -> frozenset[str]:
    """Read a one-phrase-a-line list, skipping blank lines and # comments."""
    return frozenset(
        w.strip() for w in path.read_text(encoding="utf-8").splitlines()
        if w.strip() and not w.startswith("#"))


# Name suffixes, longest first within each type; the type a suffix gives.
_SUFFIXES: dict[str, tuple[str, ...]] = {
    "Organization": (
        "人民代表大会常务委员会", "委员会", "管委会", "办公厅", "办公室", "人民政府", "政府",
        "集团", "有限公司", "公司", "大学", "学院", "研究院", "研究所", "医院", "中学", "小学",
        "服务中心", "中心", "法院", "检察院", "审判庭", "银行", "协会", "学会", "基金会",
        "交易所", "总署", "海关", "党委", "市委", "区委", "党工委", "领导小组", "协调小组", "小组",
        "局", "部", "署", "厅", "委",
    ),
    "Place": (
        "自由贸易试验区", "自贸试验区", "自贸区", "示范区", "集聚区", "试验区", "开发区",
        "高新区", "新区", "园区", "产业园", "商圈", "街区", "片区", "经济带", "地区",
        "公园", "美术馆", "博物馆", "图书馆", "大剧院", "剧院", "广场", "机场", "街道",
        "省", "市", "县", "区", "镇", "乡", "路", "河", "江", "湖",
    ),
    "Event": (
        "博览会", "交易会", "展览会", "进博会", "邀请展", "音乐季", "艺术节", "电影节", "文化节",
        "比赛", "大赛", "锦标赛", "运动会", "论坛", "峰会", "全会", "党代会", "代表大会", "奖",
    ),
    "Programme": ("工程", "行动计划", "引导基金", "产业基金", "基金"),
}
# Suffixes of one character, or too common, need a proper-name prefix.
_WEAK_SUFFIXES = frozenset(
    ["局", "部", "署", "厅", "委", "省", "市", "县", "区", "镇", "乡", "路", "河", "江", "湖",
     "奖", "中心", "地区", "政府", "公司", "广场", "小组", "基金"])
# Suffixes that make a name even with common words before them (东方国际集团).
_STRONG_SUFFIXES = frozenset(
    ["集团", "有限公司", "大学", "学院", "研究院", "研究所", "医院", "银行", "中学", "小学",
     "美术馆", "博物馆", "图书馆", "大剧院", "剧院", "审判庭", "法院", "检察院", "基金会"])
_NUMERAL = re.compile(r"^[一二两三四五六七八九十百千万几多首]+[大个项类批张条家所]?$")
# Suffixes that, standing alone, refer back to the last full name ending with them.
_ANAPHOR_SUFFIXES = ("示范区", "试验区", "集聚区", "开发区", "自贸区", "博览会")
# Words that start national designations (国家…示范区): proper although made of common words.
_NATIONAL = ("国家", "全国")
# Tokens that end a name going leftwards (governing verbs, quantifiers, generic modifiers).
_BOUNDARY_WORDS = frozenset("""
推进 依托 打造 办好 举办 主办 承办 建设 加快 持续 全力 积极 主动 深入 全面 落实 贯彻 支持
承接 对接 服务 参与 融入 成为 提升 发展 推动 深化 拓展 加强 实施 开展 完善 引进 培育 争取
吸引 按照 根据 围绕 依据 发挥 推出 形成 实现 加大 聚焦 高质量 高水平 高标准 高起点 全市 全区
全省 全国各 各 一批 若干 一些 多个 首个 等 和 与 及 以及 并 把 将 在 对 为 由 向 从 以 的 是
关于 其中 我国 我市 我区 本市 本区 相关 有关 重点 重要 主要 新 更多 各类 各级 该 这 这些 其
领导 坚强 作为 成立 设立 组建 印发 发布 制定 出台 召开 通过 进一步 优化 规划 改造
获得 连接 获 认定 审定 批准 经 申请 引入 设立 注册 提供 享受 给予 纳入 带动 面向 辐射 拥有
应当 应该 必须 可以 不得 负责 予以 依法 建立健全 高度评价 全力支持 大力支持 大力加强 高度重视
入驻 落户 进入 参加 利用 组织 位于 包括 含 属于 全国性 国际性 区域性 地方性 首批 共建
""".split())
# An unknown (HMM) token starting with a function character ends a name: 及经, 由此.
_FUNCTION_CHARS = "及经由对在把将向与和或并被从为不"
# Names of events made of common words start with a scope word: 国际传统艺术邀请展.
_EVENT_SCOPE = ("国际", "中国", "世界", "全国", "全球", "亚洲")
_STOP_POS = frozenset("p c u uj ul uz ud ug uv d vd ad r m mq q x i l y e o zg w df".split())
_PROPER_POS = frozenset("ns nr nt nz nrt nrfg".split())
_LIST_SEP = "、和与及或"
_CLAUSE_PUNCT = "，。；：！？,.;:!?\n"

_DOC_TITLE = re.compile(r"《([^《》\n]{2,80})》")
_QUOTED = re.compile(r"[“\"「]([^“”\"「」\n]{2,10})[”\"」]")
_CN_NUM = "一二三四五六七八九十百零〇两"
_EVENT_PATTERNS = (
    re.compile(rf"(?:党的|中共)第?[{_CN_NUM}]+大"),
    re.compile(rf"(?:[省市区县]委)?第?[{_CN_NUM}]+届(?:[省市区县]委|中央|全国人大|人大)?第?[{_CN_NUM}]+次"
               r"(?:全会|全体会议|会议)"),
    re.compile(rf"(?:[省市区县]|全国)?第[{_CN_NUM}]+次(?:党代会|全国代表大会|代表大会)"),
)
# A quoted phrase with these characters is a sentence or a list, not a name.
_NOT_A_NAME = re.compile(r"[，,、；;。：:！？!?\s]")
# a road or street named after a place (南京西路, 西藏中路, 北京东路 in Shanghai): not the place
_ROAD_AFTER = re.compile(r"[东西南北中]?(?:路|街(?!道)|大街|大道|巷|弄)")  # 街道: a sub-district


def _suffix_table() -> list[tuple[str, str]]:
    pairs = [(s, t) for t, sfx in _SUFFIXES.items() for s in sfx]
    return sorted(pairs, key=lambda p: -len(p[0]))


@dataclass
class EntityExtractor:
    """Finds entity candidates in text; build once and reuse (the tokenizer is cached).

    Args:
        data_dir: folder holding ``aliases.tsv``, ``userdict.txt`` and ``stopentities.txt``.
    """

    data_dir: Path = DATA_DIR
    _tokenizer: object | None = field(default=None, init=False, repr=False)
    _tags: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        self.aliases = load_aliases(self.data_dir / "aliases.tsv")
        self.stop = load_wordlist(self.data_dir / "stopentities.txt")
        self._suffixes = _suffix_table()
        self._suffix_re = re.compile("|".join(re.escape(s) for s, _ in self._suffixes))
        self._suffix_type = dict(self._suffixes)
        self._by_key: dict[str, AliasEntry] = {}
        for entry in self.aliases:
            for name in (entry.label, *entry.aliases):
                self._by_key.setdefault(normalise_key(name), entry)

    # -- tokenizer ---------------------------------------------------------
    def tokenizer(self):
        """The jieba tokenizer of this extractor, built on first use with the user dictionary."""
        if self._tokenizer is None:
            import jieba.posseg

            userdict = self.data_dir / "userdict.txt"
            tok = shared_tokenizer(userdict)
            tags = dict(jieba.posseg.POSTokenizer(tok).word_tag_tab)
            for line in userdict.read_text(encoding="utf-8").splitlines():
                parts = line.split()
                if len(parts) == 3:
                    tags[parts[0]] = parts[2]
            self._tags = tags
            self._tokenizer = tok
        return self._tokenizer

    def tokens(self, text: str) -> list[tuple[str, str, int, int]]:
        """(word, POS tag, start, end) for every jieba token of ``text``."""
        tok = self.tokenizer()
        tags = self._tags
        return [(w, tags.get(w, "un" if len(w) > 1 else "x"), s, e)
                for w, s, e in tok.tokenize(text)]

    # -- alias table -------------------------------------------------------
    def entry(self, name: str) -> AliasEntry | None:
        """The alias-table row naming ``name`` (canonical or alias), if any."""
        return self._by_key.get(normalise_key(name))

    def _alias_regex(self, context: str) -> tuple[re.Pattern | None, dict[str, AliasEntry]]:
        """One alternation of every alias valid in ``context``, longest first."""
        names: dict[str, AliasEntry] = {}
        for entry in self.aliases:
            scoped = entry.scope is None or any(w in context for w in entry.scope.split("|"))
            for name in (entry.label, *entry.aliases):
                # A short alias of a scoped entry (市委) holds only in scope; full names always do.
                if entry.scope and not scoped and len(name) <= 4:
                    continue
                names.setdefault(name, entry)
        if not names:
            return None, names
        alt = "|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n)))
        return re.compile(alt), names

    # -- main entry point --------------------------------------------------
    def find(self, text: str, context: str = "") -> list[Candidate]:
        """Every entity candidate of ``text``, sorted by offset, non-overlapping except
        inside document titles (《…》), whose inner names are kept too.

        Args:
            text: the clean text.
            context: words that decide scoped aliases (issuer, title, opening lines).
        """
        tokens = self.tokens(text)
        cands: list[Candidate] = []
        cands += self._from_aliases(text, context, tokens)
        cands += self._from_events(text)
        cands += self._from_quotes(text)
        named, unnamed = self._from_suffixes(text, tokens)
        cands += named
        docs = self._from_documents(text)
        chosen = _resolve(cands)
        chosen += _short_forms(unnamed, chosen + docs)
        chosen += _nested_places(cands, chosen)
        chosen = self._link_tails(chosen)
        chosen += self._anaphors(text, chosen, tokens)
        out = sorted(chosen + docs, key=lambda c: (c.start, -c.end, c.label))
        return out

    def _make(self, start: int, end: int, surface: str, etype: str, source: str) -> Candidate:
        entry = self.entry(surface)
        if entry is not None:
            return Candidate(start, end, surface, entry.label, entry.type, source, entry.label_en)
        return Candidate(start, end, surface, normalise_key(surface), etype, source)

    def _from_aliases(self, text: str, context: str, tokens) -> list[Candidate]:
        regex, names = self._alias_regex(context)
        if regex is None:
            return []
        ends = {e for _, _, _, e in tokens}
        out = []
        for m in regex.finditer(text):
            if len(m.group()) <= 3 and m.end() not in ends:
                continue  # 科技部 in 科技部门: the short name is part of a longer word
            entry = names[m.group()]
            if entry.type == "Place" and _ROAD_AFTER.match(text, m.end()):
                continue
            out.append(Candidate(m.start(), m.end(), m.group(), entry.label, entry.type,
                                 "alias", entry.label_en))
        return out

    def _from_documents(self, text: str) -> list[Candidate]:
        out = []
        for m in _DOC_TITLE.finditer(text):
            title = m.group(1).strip()
            if title and not _SPACE.fullmatch(title):
                out.append(Candidate(m.start(1), m.end(1), m.group(1), normalise_key(title),
                                     "Document", "document"))
        return out

    def _from_events(self, text: str) -> list[Candidate]:
        out = []
        for pattern in _EVENT_PATTERNS:
            for m in pattern.finditer(text):
                out.append(self._make(m.start(), m.end(), m.group(), "Event", "event"))
        return out

    def _from_quotes(self, text: str) -> list[Candidate]:
        out = []
        for m in _QUOTED.finditer(text):
            inner = m.group(1)
            if _NOT_A_NAME.search(inner) or inner in self.stop:
                continue
            if re.match(r"(?:的|等)?(?:形式|方式|模式)", text[m.end():m.end() + 4]):
                continue  # 以“跟进投资”形式: a manner, not a name
            if not 2 <= len(inner) <= 8:
                continue
            etype = "Programme"
            for suffix, stype in self._suffixes:
                if inner.endswith(suffix) and len(inner) > len(suffix) and stype == "Event":
                    etype = stype
                    break
            out.append(self._make(m.start(1), m.end(1), inner, etype, "quote"))
        return out

    def _from_suffixes(self, text: str, tokens: list[tuple[str, str, int, int]]
                       ) -> tuple[list[Candidate], list[Candidate]]:
        """Names ending in an organisation/place/event suffix, extended left over name tokens;
        second, the phrases of that shape made only of common words (kept only as short forms)."""
        ends = {e: i for i, (_, _, _, e) in enumerate(tokens)}
        starts = {s: i for i, (_, _, s, _) in enumerate(tokens)}
        out, unnamed = [], []
        for m in self._suffix_re.finditer(text):
            end = m.end()
            if end not in ends:  # suffix must close a token: 区 in 区域 is no suffix
                continue
            suffix = m.group()
            # the token holding the suffix's first character
            i = ends[end]
            while i > 0 and tokens[i][2] > m.start():
                i -= 1
            first = i
            j = first - 1
            while j >= 0 and end - tokens[j][2] <= 24:
                word, tag, _, _ = tokens[j]
                if word in ("和", "与") and self._crosses(text, tokens, j, m.start()):
                    j -= 1  # 工业和科技信息化局, 国家发展和改革委员会
                    continue
                if tag in _STOP_POS or word in _BOUNDARY_WORDS or word in _LIST_SEP \
                        or _NUMERAL.match(word):
                    break
                if tag == "un" and word[0] in _FUNCTION_CHARS:
                    break
                if tag[:1] == "v" and tag != "vn" and any(
                        self._proper(t) for t in tokens[j + 1:first + 1]):
                    break  # 金融机构违反中国人民银行: the verb's object is the name
                if any(ch in _CLAUSE_PUNCT or ch in "“”\"《》()（）·、" for ch in word):
                    break
                j -= 1
            k = j + 1
            # A name does not start with a verb or an adjective: drop them.
            while k < first and tokens[k][1][:1] in ("v", "a", "d") and tokens[k][1] != "vn":
                k += 1
            holder = tokens[first]
            if suffix in _WEAK_SUFFIXES and len(suffix) == 1:
                if holder[2] < m.start():
                    # 城市, 格局, 街镇: the suffix character belongs to a common word
                    if m.start() - holder[2] < 2 or holder[1] not in ("ns", "nt", "nz"):
                        continue
            k = self._cut_to_known_tail(text, tokens, k, ends[end], end)
            start = tokens[k][2]
            if start >= m.start() and holder[2] >= m.start():
                continue  # nothing before the suffix
            name = text[start:end]
            name_tokens = tokens[k:ends[end] + 1]
            cand = self._make(start, end, name, self._suffix_type[suffix], "suffix")
            if self._is_name(name, suffix, name_tokens):
                out.append(cand)
            elif len(name) >= 5 and name not in self.stop:
                unnamed.append(cand)
        return out, unnamed

    def _proper(self, token) -> bool:
        """Whether a token is a proper name (by its tag or the alias table)."""
        # a person's name has two or three characters: 建立健全 tagged nr is no name
        return (token[1] in _PROPER_POS and len(token[0]) > 1
                and not (token[1] == "nr" and len(token[0]) > 3)) or self.entry(token[0]) is not None

    def _crosses(self, text: str, tokens, j: int, suffix_start: int) -> bool:
        """Whether a name going leftwards continues over 和/与 at token ``j``."""
        if j == 0:
            return False
        left = tokens[j - 1]
        if left[1] in _STOP_POS or left[0] in _BOUNDARY_WORDS or not left[1].startswith("n"):
            return False
        if left[0].endswith(tuple(s for s, _ in self._suffixes)):
            return False  # X大学和Y集团: two names
        right = [t for t in tokens[j + 1:] if t[2] < suffix_start]
        return bool(right) and not any(self._proper(t) for t in right)

    def _cut_to_known_tail(self, text: str, tokens, k: int, last: int, end: int) -> int:
        """Start the name at a known name ending it when what precedes is not a name part
        (上海连接长三角地区 → 长三角地区, 做精做实进口博览会 → 进口博览会)."""
        for t in range(k + 1, last + 1):
            if self.entry(text[tokens[t][2]:end]) is None:
                continue
            before = tokens[k:t]
            if any((b[1].startswith("v") and b[1] != "vn") or b[1] == "un" for b in before) \
                    or not any(self._proper(b) for b in before):
                return t
            return k
        return k

    def _is_name(self, name: str, suffix: str, name_tokens) -> bool:
        """Whether a suffix candidate is a proper name rather than a generic phrase."""
        if name in self.stop or len(name) - len(suffix) < 2 or len(name) > 24:
            return False
        if any(name.endswith(w) for w in self.stop if len(w) >= 4):
            return False  # …国际大都市, …国际贸易中心: a role, not a name
        # "<place> + generic phrase" (上海国际贸易中心 as the city's role) is generic too.
        for entry in self.aliases:
            if entry.type == "Place":
                for pname in (entry.label, *entry.aliases):
                    if name.startswith(pname) and name[len(pname):] in self.stop:
                        return False
        suffix_start = name_tokens[0][2] + len(name) - len(suffix)
        prefix_tokens = [t for t in name_tokens if t[2] < suffix_start]
        if suffix in _STRONG_SUFFIXES and len(name) - len(suffix) >= 3:
            return True
        proper = any(self._proper(t) for t in prefix_tokens)
        if not proper and self.entry(name) is None:
            if name.startswith(_NATIONAL) and len(name) >= 8 and suffix not in _WEAK_SUFFIXES:
                return True
            if suffix in _WEAK_SUFFIXES or self._suffix_type[suffix] not in ("Event",):
                return False
            return len(name) >= 6 and name.startswith(_EVENT_SCOPE)
        return True

    def _link_tails(self, cands: list[Candidate]) -> list[Candidate]:
        """Give a short form that ends a longer name of the same type the longer name's label."""
        labels = {}
        for c in cands:
            if c.source in ("alias", "suffix"):
                labels.setdefault(c.type, set()).add(c.label)
        out = []
        for c in cands:
            if c.source == "suffix" and self.entry(c.surface) is None:
                longer = sorted((lab for lab in labels.get(c.type, ())
                                 if lab != c.label and lab.endswith(c.label)
                                 and len(c.label) >= 4), key=lambda lab: (len(lab), lab))
                if len(longer) == 1 or (longer and all(lab.endswith(longer[0]) for lab in longer)):
                    c = Candidate(c.start, c.end, c.surface, longer[0], c.type, "tail", c.label_en)
            out.append(c)
        return out

    def _anaphors(self, text: str, cands: list[Candidate], tokens) -> list[Candidate]:
        """Bare 示范区 / 博览会 … after a full name ending with it: a mention of that name."""
        taken = [(c.start, c.end) for c in cands]
        previous = {s: tokens[i - 1] if i else None for i, (_, _, s, _) in enumerate(tokens)}
        out = []
        pattern = re.compile("|".join(_ANAPHOR_SUFFIXES))
        named = sorted((c for c in cands if c.label.endswith(_ANAPHOR_SUFFIXES)),
                       key=lambda c: c.start)
        for m in pattern.finditer(text):
            if any(s <= m.start() < e for s, e in taken) or m.start() not in previous:
                continue
            prev = previous[m.start()]
            if prev is not None and not (prev[1] in _STOP_POS
                                         or (prev[1].startswith("v") and prev[1] != "vn")):
                continue  # 国家…示范区: part of another name, not a reference
            before = [c for c in named if c.end <= m.start() and c.label.endswith(m.group())]
            if before:
                ref = before[-1]
                out.append(Candidate(m.start(), m.end(), m.group(), ref.label, ref.type,
                                     "anaphor", ref.label_en))
        return out


def _short_forms(unnamed: list[Candidate], kept: list[Candidate]) -> list[Candidate]:
    """Common-word phrases that end a name found elsewhere in the text (临空经济示范区 after
    上海虹桥临空经济示范区): short forms of that name."""
    out = []
    for c in unnamed:
        if any(c.start < k.end and k.start < c.end for k in kept + out):
            continue
        longer = sorted({k.label for k in kept if k.type == c.type and k.label != c.surface
                         and k.label.endswith(c.surface)}, key=lambda lab: (len(lab), lab))
        if longer:
            out.append(Candidate(c.start, c.end, c.surface, longer[0], c.type, "tail", None))
    return out


def _nested_places(cands: list[Candidate], kept: list[Candidate]) -> list[Candidate]:
    """Known places inside a kept organisation or programme name (苏州河 in 苏州河…工程)."""
    hosts = [c for c in kept if c.source in ("suffix", "tail")
             and c.type in ("Organization", "Programme")]
    kept_spans = {(c.start, c.end) for c in kept}
    inner = [c for c in cands if c.source == "alias" and c.type == "Place"
             and (c.start, c.end) not in kept_spans
             and any(h.start <= c.start and c.end <= h.end for h in hosts)]
    return _resolve(inner)


def _resolve(cands: list[Candidate]) -> list[Candidate]:
    """Keep the longest of overlapping candidates (ties: alias > event > quote > suffix)."""
    rank = {"alias": 0, "event": 1, "quote": 2, "suffix": 3}
    order = sorted(cands, key=lambda c: (-(c.end - c.start), rank.get(c.source, 9), c.start))
    taken: list[tuple[int, int]] = []
    kept = []
    for c in order:
        if any(c.start < e and s < c.end for s, e in taken):
            continue
        taken.append((c.start, c.end))
        kept.append(c)
    return kept
