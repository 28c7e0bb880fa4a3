"""Saved web pages to lines: site chrome dropped, the gov.cn header table read as fields.

Walks are iterative and pages nested deeper than ``MAX_HTML_DEPTH`` are refused,
so no page can exhaust the stack or take more than linear time.
"""
from __future__ import annotations

import re

from .cleaning import _WS, META_LABELS, parse_meta_line
from .errors import IngestError

#: The deepest element nesting read in an HTML page. Real pages nest a few dozen
#: levels (the corpus at most 18); thousands of levels are an attack or a broken
#: file, and every walk over them costs time in proportion to depth.
MAX_HTML_DEPTH = 256

_DROP_TAGS = (
    "script", "style", "noscript", "template", "iframe", "nav", "header", "footer", "form", "button",
    "select", "input", "textarea", "svg", "canvas", "object", "embed", "link", "meta", "head", "aside",
)
_BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl",
    "dt", "dd", "tr", "table", "tbody", "thead", "blockquote", "pre", "center", "address", "figure",
    "figcaption", "hr", "body", "html",
}
_HEADER_TABLE_LABELS = ("索引号", "主题分类", "发文机关", "成文日期", "发文字号", "发布日期", "标题")
_TITLE_SEPARATORS = re.compile(r"\s*[|｜_—–-]{1,2}\s*")


_CHROME_CLASS = re.compile(
    r"(?:^|[-_\s])(?:nav|navbar|menu|breadcrumbs?|crumbs?|footer|foot|copyright|share|search|login|sidebar|topbar"
    r"|toolbar|weizhi|position|location)(?:[-_\s]|$)",
    re.I,
)


def _is_chrome_element(tag) -> bool:
    if tag.name in ("html", "body"):
        return False
    names = " ".join(tag.get("class") or []) + " " + (tag.get("id") or "")
    return bool(names.strip()) and bool(_CHROME_CLASS.search(names))


def _element_lines(element) -> list[str]:
    """The text of an element, one line per block element, inline text joined."""
    from bs4 import NavigableString, Tag
    from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

    skip = (Comment, Declaration, Doctype, ProcessingInstruction)
    parts: list[str] = []
    # An explicit stack, not recursion: a page may nest elements thousands deep.
    pending = [iter(element.children)]
    closers = [""]
    while pending:
        child = next(pending[-1], None)
        if child is None:
            pending.pop()
            parts.append(closers.pop())
        elif isinstance(child, NavigableString):
            if not isinstance(child, skip):
                parts.append(re.sub(r"[ \t\n\r\f]+", " ", str(child)))
        elif isinstance(child, Tag):
            name = child.name
            if name == "br":
                parts.append("\n")
                continue
            around = " " if name in ("td", "th") else "\n" if name in _BLOCK_TAGS else ""
            parts.append(around)
            pending.append(iter(child.children))
            closers.append(around)
    return [line.strip(_WS) for line in "".join(parts).split("\n")]


def _depth(root) -> int:
    """How deep elements nest below ``root``."""
    from bs4 import Tag

    deepest = 0
    pending = [(root, 0)]
    while pending:
        node, depth = pending.pop()
        deepest = max(deepest, depth)
        pending.extend((child, depth + 1) for child in node.children if isinstance(child, Tag))
    return deepest


def _enclosing_table(tag):
    """The nearest ``<table>`` around ``tag``, or ``None``."""
    parent = tag.parent
    while parent is not None and parent.name != "table":
        parent = parent.parent
    return parent


def _header_table_fields(soup) -> dict[str, str]:
    """Read and remove gov.cn-style header tables (索引号, 发文机关, 成文日期 …)."""
    found: dict[str, str] = {}
    tables = soup.find_all("table")
    # Tables holding another table, found from the inner ones upwards: asking each
    # table for a nested one costs its whole subtree, quadratic on nested tables.
    layout = {id(outer) for outer in map(_enclosing_table, tables) if outer is not None}
    for table in tables:
        if id(table) in layout:
            continue  # a layout table around the whole page
        text = table.get_text(" ", strip=True)
        if len(text) > 1500 or sum(label in text for label in _HEADER_TABLE_LABELS) < 2:
            continue
        cells = [cell.get_text(" ", strip=True) for cell in table.descendants
                 if getattr(cell, "name", None) in ("td", "th")]  # find_all's filters cost more
        i = 0
        while i < len(cells):
            cell = cells[i]
            inline = parse_meta_line(re.sub(r"(?<=\S)\s+(?=\S)", "", cell) if len(cell) < 12 else cell)
            label = re.sub(r"\s+", "", cell).rstrip(":：")
            if label in META_LABELS and i + 1 < len(cells):
                name = META_LABELS[label]
                if name != "ignore" and cells[i + 1] and re.sub(r"\s+", "", cells[i + 1]).rstrip(":：") not in META_LABELS:
                    found.setdefault(name, cells[i + 1].strip(_WS))
                    i += 2
                    continue
            elif inline:
                for k, v in inline.items():
                    found.setdefault(k, v)
            i += 1
        table.decompose()
    return found


def _content_element(body):
    """The element holding the most paragraph text directly (``body`` if none holds much)."""
    best, best_score = None, 0
    for element in body.find_all(["div", "td", "article", "section", "main"]):
        # the children by hand: find_all(recursive=False) costs a filter object per element
        score = sum(len(p.get_text(strip=True)) for p in element.children if getattr(p, "name", None) == "p")
        if score > best_score:
            best, best_score = element, score
    return best if best is not None and best_score >= 80 else body


def html_to_lines(page: str) -> tuple[list[str], dict[str, str], str | None]:
    """Extract the document from a saved web page.

    Returns the lines of the document (a title line, header lines found around
    the content, then the content), the fields of gov.cn header tables and
    ``<meta>`` tags, and the page's title as a hint.
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, "lxml")
    depth = _depth(soup)
    if depth > MAX_HTML_DEPTH:
        raise IngestError(None, f"HTML elements nested {depth} deep (at most {MAX_HTML_DEPTH} are read): "
                                "not a document page")
    fields: dict[str, str] = {}
    for name, field_name in (("ArticleTitle", "title"), ("PubDate", "published"), ("ContentSource", "source"),
                             ("Keywords", "keywords")):
        tag = soup.find("meta", attrs={"name": re.compile(f"^{name}$", re.I)})
        if tag and tag.get("content", "").strip() and field_name != "keywords":
            fields[field_name] = tag["content"].strip()
    page_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(_is_chrome_element):
        if not tag.decomposed:
            tag.decompose()
    fields.update({k: v for k, v in _header_table_fields(soup).items() if k not in fields})

    body = soup.body or soup
    container = _content_element(body)

    headings = [h.get_text(" ", strip=True) for h in body.find_all(["h1", "h2", "h3"])]
    headings = [h for h in headings if len(h) >= 4]
    title = fields.get("title")
    if not title:
        site_parts = [p for p in _TITLE_SEPARATORS.split(page_title) if p]
        for h in headings:
            if page_title and (h in page_title or (site_parts and site_parts[0] in h)):
                title = h
                break
    if not title and headings and container is not body:
        title = headings[0]

    content = [line for line in _element_lines(container) if line]
    lines: list[str] = []
    if container is not body:
        # Header lines (来源, 发布日期 …) sit outside the content element.
        for line in _element_lines(body):
            if line and parse_meta_line(line):
                lines.append(line)
                if len(lines) > 10:
                    break
    if title and not (content and (content[0] == title or title in content[0])):
        lines.insert(0, title)
    return lines + content, fields, title
