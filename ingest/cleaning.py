"""From raw file text to clean text: normalisation, HTML to text, site chrome removal.

The clean text keeps the document's own characters (full-width punctuation is
not converted); what goes away is markup, invisible characters, layout
whitespace at line ends, and the navigation, header and footer lines that a
saved government web page carries around the document. Header lines such as
``发布时间:2022-12-09  文档来源:…`` become fields for :mod:`ingest.metadata`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field


_INVISIBLE = dict.fromkeys(
    [*map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\x7f"), *(c for c in range(32) if c not in (9, 10, 11, 12, 13))],
    None,
)
_LINE_BREAKS = str.maketrans({"\u2028": "\n", "\u2029": "\n", "\x0b": "\n", "\x0c": "\n", "\x85": "\n"})
_INVISIBLE_RE = re.compile("[" + re.escape("".join(map(chr, _INVISIBLE))) + "]")
_LINE_BREAKS_RE = re.compile("[" + re.escape("".join(map(chr, _LINE_BREAKS))) + "]")
_WS = " \t\u3000\u00a0\u2002\u2003\u2009\u202f"

#: Header labels and the metadata field they feed.
META_LABELS = {
    "发布时间": "published", "发布日期": "published", "发稿时间": "published", "发表时间": "published",
    "公布日期": "published", "印发日期": "published", "更新时间": "updated",
    "成文日期": "written", "成文时间": "written",
    "发文机关": "issuer", "发布机关": "issuer", "制发机关": "issuer",
    "发文单位": "issuer", "发布单位": "publisher", "发布机构": "publisher", "状态": "status",
    "发文字号": "doc_number", "文号": "doc_number",
    "主题分类": "subject", "主题类别": "subject",
    "文档来源": "source", "信息来源": "source", "来源": "source", "稿源": "source",
    "关键字": "keywords", "关键词": "keywords", "主题词": "keywords",
    "索引号": "index", "标题": "title", "名称": "title",
    "作者": "ignore", "编辑": "ignore", "责任编辑": "ignore", "浏览次数": "ignore",
    "点击数": "ignore", "访问量": "ignore", "阅读": "ignore", "时效": "ignore", "有效性": "ignore",
    "原文链接": "ignore", "检索时间": "ignore", "检索关键词": "ignore",  # a scraper's notes, not the text's
}
_LABEL_RE = re.compile(
    r"(" + "|".join(sorted(map(re.escape, META_LABELS), key=len, reverse=True)) + r")\s*[:：]\s*"
)

_NAV_WORDS = {
    "邮箱", "搜索", "登录", "注册", "用户登录", "用户注册", "在线客服", "首页", "首 页", "返回首页", "设为首页",
    "加入收藏", "无障碍浏览", "无障碍", "简体版", "繁体版", "简体", "繁体", "English", "EN", "网站地图",
    "联系我们", "友情链接", "打印", "关闭", "打印本页", "关闭窗口", "返回顶部", "分享", "收藏", "大", "中", "小",
    "|", "｜", "", "移动版", "微信", "微博", "长者模式", "退出",
}
_NAV_SPLIT = re.compile(r"[\s|｜/]+")
_CHROME = re.compile(
    r"""^(?:
        [^。<]{0,40}(?:->|>>|»|＞|\s>)[^。<]{0,40}(?:->|>>|»|＞|\s>)[^。<]{0,40}$  # breadcrumbs a->b->c, 首页 > 新闻 > 要闻
      | (?:您现在的位置|您当前的位置|当前位置|所在位置)\s*[:：].*
      | 【?\s*(?:字体|字号|浏览字号)\s*[:：].*
      | [【\[]?\s*(?:打印本页|关闭窗口|打印此页|返回顶部|加入收藏|我要打印|打印|关闭)\s*[】\]]?
      | 分享到\s*[:：]?.*
      | 扫一扫.{0,20}
      | (?:浏览次数|访问量|点击数|阅读次数)\s*[:：]?\s*\d*
    )$""",
    re.VERBOSE,
)
#: A short line from which on everything is page footer.
_FOOTER = re.compile(
    r"^(?:相关报道|相关链接|相关文章|相关新闻|相关阅读|相关稿件|上一篇|下一篇|上一条|下一条|打印本页|关闭窗口"
    r"|【\s*打印|【\s*关闭|联系我们|网站地图|友情链接|版权所有|版权归|Copyright|©|主办单位|主办[:：]"
    r"|注意\s*[:：]\s*如无法下载附件)"
)
#: Wikisource licence templates that close scraped documents.
_LICENCE = re.compile(r"^(?:本作品是中华人民共和国的|本作品来自|本作品在|这部作品在|Public domain$)")
_MD_COMMENT = re.compile(r"^<!--.*?-->$")
_MD_STRONG = re.compile(r"\*\*([^*\n]+?)\*\*")  # **一、总体要求** is a heading, **发布日期**: a header label
_MD_RULE = re.compile(r"^(?:-{3,}|\*{3,}|_{3,})$")
_BARE_ENUMERATOR = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}\s*[、.．]|[（(][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}\s*[.．、])$"
)
_HEADING_START = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}\s*[、.．]|[（(][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}\s*[.．、](?!\d)"
    r"|第[一二三四五六七八九十百零〇\d]+[编章节条]|[①-⑳])"
)
_CONTINUATION_START = "，。、；：）)」』”’》！？,.;:!?…—"
_SENTENCE_END = "。！？；：…!?;:"
_OPENERS_AT_END = "“‘《（(「『【〔"
_ORIGINAL_SOURCE = re.compile(r"[（(]\s*来源\s*[:：]\s*([^()（）\n]{1,40}?)\s*[)）]\s*$")


@dataclass
class CleanText:
    """Clean text of one document and what its header said.

    ``fields`` maps metadata field names (see :data:`META_LABELS`) to raw values;
    ``title`` is the title line (the first line of ``text``) or ``None``;
    ``body_start`` is the offset after the title line; ``info_lines`` are the
    lines before a Markdown ``<!-- INFO END -->`` marker (adoption/amendment dates).
    """

    text: str
    fields: dict[str, str] = field(default_factory=dict)
    title: str | None = None
    body_start: int = 0
    info_lines: list[str] = field(default_factory=list)
    head_lines: list[str] = field(default_factory=list)


def normalise(text: str) -> str:
    """Remove invisible characters and unify line breaks.

    >>> normalise("a\\u200bb\\r\\nc\\rd\\ufeff")
    'ab\\nc\\nd'
    """
    # Regular expressions, not str.translate: translate looks every character up in a dict.
    text = _INVISIBLE_RE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    return _LINE_BREAKS_RE.sub("\n", text)


def looks_like_html(text: str) -> bool:
    """Whether ``text`` is an HTML page rather than plain text or Markdown."""
    head = text[:2000].lstrip().lower()
    return head.startswith(("<!doctype html", "<html", "<?xml")) or bool(
        re.search(r"<(html|body|head)[\s>]", head)
    )


def parse_meta_line(line: str) -> dict[str, str] | None:
    """Read a header line made of ``label:value`` pairs; ``None`` if it is not one.

    >>> parse_meta_line("发布时间:2022-12-09  文档来源:上海长宁文明网  关键字:长宁")
    {'published': '2022-12-09', 'source': '上海长宁文明网', 'keywords': '长宁'}
    """
    if len(line) > 200:
        return None
    matches = list(_LABEL_RE.finditer(line))
    if not matches or matches[0].start() != 0:
        return None
    found: dict[str, str] = {}
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        value = re.sub(r"[【\[].*$", "", line[m.end():end]).strip(_WS + "|｜")
        name = META_LABELS[m.group(1)]
        if value and name != "ignore":
            found.setdefault(name, value)
    return found


def is_chrome(line: str) -> bool:
    """Whether a line is site navigation rather than document text."""
    if _CHROME.match(line):
        return True
    tokens = _NAV_SPLIT.split(line)
    return len(line) <= 60 and all(t in _NAV_WORDS for t in tokens)


def _is_title_like(line: str) -> bool:
    return (
        2 <= len(line) <= 100
        and not line.endswith(("。", "：", ":", "；", "，", ",", "！", "!", "？", "?"))  # 各位代表！ is no title
        and not _HEADING_START.match(line)
        and not is_chrome(line)
    )


def _key(line: str) -> str:
    """A line without punctuation and spaces, to compare titles quoted differently."""
    return re.sub(r"[\W_]+", "", line)


def clean_document(raw: str, *, html: bool = False) -> CleanText:
    """Turn a raw document (text, Markdown or HTML) into :class:`CleanText`."""
    raw = normalise(raw)
    fields: dict[str, str] = {}
    title_hint = None
    if html:
        from .html import html_to_lines  # bs4 and lxml load only for HTML

        lines, html_fields, title_hint = html_to_lines(raw)
        fields.update(html_fields)
    else:
        lines = raw.split("\n")
    lines = [line.strip() for line in lines]
    info_end = _strip_markdown(lines)
    lines = _cut_footer(lines)
    nonblank, meta_rows = _take_header(lines, fields)
    title_index = _title_index(lines, nonblank, meta_rows, fields, title_hint)
    head_lines: list[str] = []
    if title_index is not None:
        head_lines = [line for line in lines[:title_index] if line]
        lines = lines[title_index:]
        if info_end is not None:
            info_end -= title_index
    elif title_hint:
        lines = [title_hint, ""] + lines
        title_index = 0
        if info_end is not None:
            info_end += 2
    title = _whole_title(lines) if title_index is not None and lines else None
    info_lines = []
    if info_end is not None and info_end > 0:
        info_lines = [line for line in lines[1:info_end] if line]

    out = _paragraphs(_join_soft_breaks(lines))
    text = "\n".join(out)
    body_start = len(out[0]) if title is not None and out else 0
    if "original_source" not in fields:
        for line in reversed(out[-40:]):
            m = _ORIGINAL_SOURCE.search(line)
            if m:
                fields["original_source"] = m.group(1).strip()
                break
    return CleanText(
        text=text, fields=fields, title=title, body_start=body_start, info_lines=info_lines, head_lines=head_lines
    )


def _strip_markdown(lines: list[str]) -> int | None:
    """Drop Markdown heading and emphasis markers, rules and comments in place; the line of an INFO END comment.

    The heading text stays; an INFO END comment closes the block of
    adoption/amendment lines under the title.
    """
    info_end = None
    for i, line in enumerate(lines):
        heading = _markdown_heading(line)
        if heading is not None:
            lines[i] = line = heading
        elif _MD_COMMENT.match(line) or _MD_RULE.match(line):
            if "INFO END" in line.upper() and info_end is None:
                info_end = i
            lines[i] = ""
            continue
        if "**" in line:
            lines[i] = _MD_STRONG.sub(r"\1", line).strip()
    return info_end


def _markdown_heading(line: str) -> str | None:
    """The text of a Markdown heading line (``## 总则 ##`` → ``总则``), else ``None``.

    The same as matching ``^#{1,6}\\s+(.*?)\\s*#*$``, without that pattern's
    quadratic time on a long line with long runs of spaces.

    >>> _markdown_heading("## 第一章 总则 ##"), _markdown_heading("#######  x"), _markdown_heading("#x")
    ('第一章 总则', None, None)
    """
    rest = line.lstrip("#")
    if not 1 <= len(line) - len(rest) <= 6 or not rest[:1].isspace():
        return None
    return rest.lstrip().rstrip("#").rstrip()


def _cut_footer(lines: list[str]) -> list[str]:
    """The lines before the page footer: its first marker that follows some text."""
    seen_text = 0
    for i, line in enumerate(lines):
        if line and seen_text >= 1 and ((_FOOTER.match(line) and len(line) <= 60) or _LICENCE.match(line)):
            return lines[:i]
        if line and not is_chrome(line):
            seen_text += 1
    return lines


def _take_header(lines: list[str], fields: dict[str, str]) -> tuple[list[int], list[int]]:
    """Move metadata lines among the first lines into ``fields`` and blank them and chrome.

    Returns the indexes of the lines that were not blank, and those of the metadata lines.
    """
    nonblank = [i for i, line in enumerate(lines) if line]
    meta_rows = []
    for i in nonblank[:15]:
        found = parse_meta_line(lines[i])
        if found is not None:
            fields.update({k: v for k, v in found.items() if k not in fields})
            meta_rows.append(i)
    for i in meta_rows:
        lines[i] = ""
    for i in nonblank:
        if lines[i] and is_chrome(lines[i]):
            lines[i] = ""
    return nonblank, meta_rows


def _title_index(lines: list[str], nonblank: list[int], meta_rows: list[int], fields: dict[str, str],
                 title_hint: str | None) -> int | None:
    """The title line: the header's title field, the page's title, the last title-like
    line above the metadata lines, or a title-like first line."""
    candidates = [i for i in nonblank if lines[i]]
    first = candidates[:15]
    if fields.get("title"):
        found = next((i for i in first if _key(lines[i]) == _key(fields["title"])), None)
        if found is not None:
            return found
    if title_hint:
        found = next((i for i in first if _key(lines[i]) == _key(title_hint)), None)
        if found is None:
            found = next((i for i in first if len(lines[i]) >= 4 and (lines[i] in title_hint or title_hint in lines[i])),
                         None)
        if found is not None:
            return found
    if meta_rows:
        above = [i for i in candidates if i < meta_rows[0] and _is_title_like(lines[i])]
        if above:
            return above[-1]
    if candidates and _is_title_like(lines[candidates[0]]):
        return candidates[0]
    return None


def _whole_title(lines: list[str]) -> str:
    """The title line, joined with a next line holding its last character or two
    (a title broken as "政府工作报" / "告")."""
    title = lines[0]
    if (title and len(lines) > 1 and 1 <= len(lines[1]) <= 2 and re.fullmatch(r"\w+", lines[1])
            and lines[1] not in ("目录", "前言", "序言", "附件", "总则", "正文")):
        title += lines[1]
    return title


def _paragraphs(lines: list[str]) -> list[str]:
    """The lines with blank runs cut to one blank line and none at the end."""
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return out


def _join_soft_breaks(lines: list[str]) -> list[str]:
    """Join lines that a scraper broke inside a paragraph or after a bare number.

    A bare enumerator line such as ``一、`` or ``(一)`` always joins the next
    line. Other single line breaks are soft only in documents that separate
    paragraphs by blank lines (Wikisource scrapes break lines around links):
    there a line that does not end a sentence, or a line starting with a comma
    or closing quote, continues the previous one.
    """
    nonblank = sum(1 for line in lines if line)
    ends = sum(1 for i, line in enumerate(lines) if line and (i + 1 == len(lines) or not lines[i + 1]))
    blank_separated = nonblank > 0 and ends >= 0.5 * nonblank
    out: list[_Joined | str] = []
    pending_blank = False
    for line in lines:
        if not line:
            pending_blank = True
            continue
        prev = out[-1] if out else None
        join = False
        if prev is not None and prev.is_bare_enumerator():
            join = not _HEADING_START.match(line)
        elif prev is not None and not pending_blank and blank_separated and len(out) > 1:
            if line[0] in _CONTINUATION_START or prev.last in _OPENERS_AT_END:
                join = True
            elif prev.last not in _SENTENCE_END and not _HEADING_START.match(line) and not prev.starts_heading():
                join = True
        if join:
            prev.add(line)
        else:
            if pending_blank and out:
                out.append("")
            out.append(_Joined(line))
        pending_blank = False
    return [line if isinstance(line, str) else line.text() for line in out]


class _Joined:
    """A line being joined from stripped lines, without copying it at every join
    (a scrape broken into thousands of lines would take quadratic time)."""

    __slots__ = ("parts", "head", "last")
    #: How much of the start a heading number is looked for in. A numbering longer
    #: than this (第 and 250 numerals) is no heading.
    HEAD = 256

    def __init__(self, line: str):
        self.parts = [line]
        self.head = line[: self.HEAD]
        self.last = line[-1]

    def add(self, line: str) -> None:
        self.parts.append(line)
        self.last = line[-1]
        if len(self.head) < self.HEAD:
            self.head = (self.head + line)[: self.HEAD]

    def is_bare_enumerator(self) -> bool:
        # A bare enumerator has at most five characters besides spaces ("(十二)"), and
        # every part brings at least one: more parts than that are never one.
        return len(self.parts) <= 5 and bool(_BARE_ENUMERATOR.match("".join(self.parts)))

    def starts_heading(self) -> bool:
        return bool(_HEADING_START.match(self.head))

    def text(self) -> str:
        return "".join(self.parts)
