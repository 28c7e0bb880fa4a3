"""Document metadata: title, dates, issuer, 发文字号, source and keywords."""
from __future__ import annotations

import re
from pathlib import Path

from .cleaning import CleanText
from .records import Metadata

_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_DATE = re.compile(
    r"(\d{4}|[〇零○一二三四五六七八九]{4})\s*[-年/.．]\s*"
    r"(\d{1,2}|[一二三四五六七八九十]{1,3})\s*[-月/.．]\s*"
    r"(\d{1,2}|[一二三四五六七八九十]{1,3})(?!\d)\s*日?"
)
_DATE_LINE = re.compile(r"^[（(]?\s*" + _DATE.pattern + r"\s*[)）]?$")
# the line under a speech or report's title: "——2024年3月5日在第十四届全国人民代表大会第二次会议上"
_SPEECH_DATE_LINE = re.compile(r"^[—－–-]{1,2}\s*" + _DATE.pattern + r"\s*在")
# the line under a law's or resolution's title in plain text:
# "（2020年5月28日第十三届全国人民代表大会第三次会议通过）", amendments after it
_ADOPTION_LINE = re.compile(r"^[（(]\s*" + _DATE.pattern
                            + r"[^（）()]{0,300}(?:通过|公布|发布|批准|修正|修订)[^（）()]{0,300}[)）]$")
# the version date a file of a law or regulation carries in its name: "…条例(2012-04-19).md"
_PATH_DATE = re.compile(r"[（(](\d{4}-\d{2}-\d{2})[)）]$")
# a year that is a field of its own in a file name: "019_2015_2015年…政府工作报告.txt"
_PATH_YEAR = re.compile(r"(?:^|_)((?:19|20)\d\d)_")
_DOC_NUMBER = re.compile(
    r"[\u4e00-\u9fff]{1,15}\s*[〔\[［(（【]\s*\d{4}\s*[〕\]］)）】]\s*第?\s*\d+\s*号"
    r"|[\u4e00-\u9fff]{1,15}令\s*第\s*\d+\s*号"
)
_BODY_ENDING = (r"(?:委员会|党委|区委|市委|省委|县委|中央|国务院|办公厅|办公室|政府|人民代表大会|常委会|会议"
                r"|部|厅|局|署|委|院|办|中心|总局|银行)")
_ISSUER_IN_TITLE = re.compile(rf"^(.{{2,40}}?{_BODY_ENDING})\s*(?:关于|印发|转发|联合印发)")
_BODY = re.compile(rf"^\S{{2,60}}{_BODY_ENDING}$")
_ISSUER_IN_INFO = re.compile(r"(.{2,30}?人民代表大会(?:常务委员会)?|国务院)")


def cn_number(text: str) -> int | None:
    """Value of a number written in Arabic digits or Chinese numerals (up to 9999).

    >>> cn_number("十二"), cn_number("二十"), cn_number("一百零五"), cn_number("7")
    (12, 20, 105, 7)
    """
    if text.isdecimal():
        return int(text)
    units = {"十": 10, "百": 100, "千": 1000}
    total, digit = 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in units:
            total += (1 if digit is None else digit) * units[ch]
            digit = None
        else:
            return None
    return total + (digit or 0)


def parse_date(text: str | None) -> str | None:
    """The first date in ``text`` as ISO ``YYYY-MM-DD``, or ``None``.

    >>> parse_date("发布时间:2022-12-09"), parse_date("2018年7月5日"), parse_date("二〇一九年三月一日")
    ('2022-12-09', '2018-07-05', '2019-03-01')
    """
    if not text:
        return None
    for m in _DATE.finditer(text):
        year_text = m.group(1)
        year = int(year_text) if year_text.isdigit() else int("".join(str(_CN_DIGITS[c]) for c in year_text))
        month, day = cn_number(m.group(2)), cn_number(m.group(3))
        if month and day and 1 <= month <= 12 and 1 <= day <= 31 and 1900 <= year <= 2100:
            return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def _last_date(line: str) -> str | None:
    """The last date of ``line`` (the latest amendment of "（…通过 根据…修正）").

    >>> _last_date("（2001年1月1日通过 根据2017年11月4日第一次修正）")
    '2017-11-04'
    """
    dates = [parse_date(m.group(0)) for m in _DATE.finditer(line)]
    dates = [d for d in dates if d]
    return dates[-1] if dates else None


def find_doc_number(text: str | None) -> str | None:
    """The first 发文字号 in ``text``, its year in 〔〕 whatever brackets were written.

    >>> find_doc_number("国务院办公厅关于…（国办函〔2018〕71号）")
    '国办函〔2018〕71号'
    >>> find_doc_number("国令第707号"), find_doc_number("穗府办规[2022]13号")
    ('国令第707号', '穗府办规〔2022〕13号')
    """
    if not text:
        return None
    m = _DOC_NUMBER.search(text)
    if not m:
        return None
    number = re.sub(r"\s+", "", m.group(0))
    number = re.sub(r"[\[［(（【](\d{4})[\]］)）】]", r"〔\1〕", number)
    # "…关于印发…的通知（穗南开管办〔2017〕1号）": keep only the issuer's abbreviation.
    return re.sub(r"^.*?(?:的通知|的意见|决定|通知|办法|》)", "", number) or number


def issuer_from_title(title: str | None) -> str | None:
    """The issuing body named at the start of a title.

    >>> issuer_from_title("中共长宁区委关于提升长宁城区能级的实施意见")
    '中共长宁区委'
    >>> issuer_from_title("国务院办公厅关于印发全国深化放管服改革工作要点的通知")
    '国务院办公厅'
    """
    if not title:
        return None
    m = _ISSUER_IN_TITLE.match(title)
    return m.group(1).strip() if m else None


def _title_from_path(path: str | None) -> str | None:
    if not path:
        return None
    stem = Path(path).stem
    stem = re.sub(r"^(?:(?:\d+|NA)_)+", "", stem)
    stem = re.sub(r"[（(]\d{4}-\d{2}-\d{2}[)）]$", "", stem)
    stem = re.sub(r"\s*[｜|]\s*[^｜|]+$", "", stem)  # "…｜广州市南沙区人民政府"
    return stem.strip() or None


def _specific(title: str | None, path_title: str | None) -> str | None:
    """The text's title, or the file's name when it ends with that title after a year (six
    work reports are headed just 政府工作报告, their files 2024年中华人民共和国国务院政府工作报告)
    or when the text's first line is a clause cut off at 的, never a title's end (eight
    resolutions open "…听取和审议了国务院总理李强所作的", the title left out of the scrape)."""
    if title and path_title and (title.endswith("的") or (
            path_title.endswith(title) and re.search(r"\d{4}\s*年", path_title[:-len(title)]))):
        return path_title
    return title or path_title


def _issuer(fields: dict[str, str], title: str | None, info_lines: list[str]) -> str | None:
    """The issuing body: the header's 发文机关, else the title's, else the publishing unit, else a law's info lines."""
    # 发布单位 of a front matter is the body that put the text online (上海市应急管理局 for a text of
    # 上海市安全生产委员会, 区政府办公室 for 上海市嘉定区人民政府办公室): the issuer only when the title names
    # none, and only a body (发布机构: 上海市 names a place).
    publisher = fields.get("publisher") or ""
    issuer = fields.get("issuer") or issuer_from_title(title) or (publisher if _BODY.match(publisher) else None)
    if issuer is None:
        for line in info_lines:
            m = _ISSUER_IN_INFO.search(re.sub(r"^\S*\d+日\s*", "", line))
            if m:
                return re.sub(r"第[一二三四五六七八九十]+届", "", m.group(1)).replace("中华人民共和国国务院", "国务院")
    return issuer


def _date_from_path(path: str) -> str | None:
    """The date a file's name gives: a full date, else a year standing as a field of its own."""
    stem = Path(path).stem
    found = _PATH_DATE.search(stem)
    date = parse_date(found.group(1)) if found else None
    if date:
        return date
    found = _PATH_YEAR.search(stem)  # year precision only, e.g. 019_2015_…政府工作报告
    return found.group(1) if found else None


def extract_metadata(clean: CleanText, *, path: str | None = None) -> Metadata:
    """Build :class:`~ingest.records.Metadata` from header fields and the text itself."""
    fields = clean.fields
    lines = clean.text.split("\n")
    nonblank = [line for line in lines if line]
    body = nonblank[1:] if clean.title else nonblank
    near_top = body[:6]
    title = fields.get("title") or _specific(clean.title, _title_from_path(path))

    written = parse_date(fields.get("written"))
    date = parse_date(fields.get("published"))
    info_dates = [
        (parse_date(line), line) for line in clean.info_lines if parse_date(line) and not re.search(r"施行\s*$", line)
    ]
    if date is None and info_dates:
        date = info_dates[-1][0]  # the latest promulgation or amendment
    if date is None:
        for line in near_top + body[-4:][::-1]:
            if _DATE_LINE.match(line) or _SPEECH_DATE_LINE.match(line):
                date = parse_date(line)
                break
    if date is None:
        date = next((_last_date(line) for line in near_top[:2] if _ADOPTION_LINE.match(line)),
                    None)
    if date is None:
        date = written
    if date is None and path:
        date = _date_from_path(path)

    issuer = _issuer(fields, title, clean.info_lines)

    doc_number = find_doc_number(fields.get("doc_number"))
    if doc_number is None:
        for line in near_top[:3]:
            if len(line) <= 30:
                doc_number = find_doc_number(line)
                if doc_number:
                    break
    if doc_number is None:
        for line in reversed(clean.info_lines):
            doc_number = find_doc_number(line)
            if doc_number:
                break

    keywords = tuple(k for k in re.split(r"[\s,，、;；]+", fields.get("keywords", "")) if k)
    return Metadata(
        title=title,
        date=date,
        written_date=written,
        issuer=issuer,
        doc_number=doc_number,
        subject=fields.get("subject"),
        source=fields.get("source"),
        original_source=fields.get("original_source"),
        keywords=keywords,
        status=fields.get("status"),
    )
