"""What a question asks for beyond its subject, and whether a passage gives it: a figure (of a
kind: an area, a percentage, an age, money, days, a distance, a weight) or a person holding an
office; and whether it is phrased as a question at all (``kg.search.noanswer`` refuses a
question whose best answers do not give what it asks).
"""
from __future__ import annotations

import re

__all__ = ["asked_units", "asks_figure", "asks_person", "asks_time", "asks_year_of_report",
           "gives_figure", "gives_time", "is_question", "named_years", "names_person"]

#: What a figure measures, asked with "what is the …" in English.
_QUANTITIES = (r"(percentage|percent|share|proportion|rate|amount|number|size|area|fee|price"
               r"|cost|age|budget|ratio|gdp|population|output|revenue|salary|wage|premium|fine"
               r"|maturity|target)s?")
#: …between "what is" and that word, no verb: "what is planned to keep prices stable" asks
#: what is done.
_NOT_VERB = r"(?!(?:to|planned|done|being|expected|needed|required|proposed|meant|said|going)\b)"
#: …"how much" of these asks a degree, which no figure measures ("how much autonomy will city
#: governments get": 更大自主权).
_DEGREE = (r"(?!\s+(autonomy|freedom|discretion|say|control|influence|flexibility|leeway"
           r"|latitude|attention|emphasis|importance|priority)\b)")
_ASKS_FIGURE = re.compile(
    r"\b(how (many|much" + _DEGREE + r"|long|large|big|tall|old|often|far|high)"
    r"|what (percentage|percent|share"
    r"|proportion|rate|amount|number|size|area|fee|price|cost|age|budget|ratio|target)"
    r"|(which|what) year|when (did|will|was|is|does)"
    # "what is the total area of …", "what was Changning's GDP", "what GDP target did …"
    r"|what\s+(is|was|are|were|will\s+be)\s+(" + _NOT_VERB + r"[\w'\-]+\s+){0,5}?" + _QUANTITIES
    + r"\b(?!\s+(used|spent|set|based|made|determined|decided|calculated))" +
    r"|what\s+([\w'\-]+\s+){0,3}?" + _QUANTITIES + r"\s+(did|does|do|will|was|is|has|have)"
    # "the monthly pension in yuan", "battery range in km": the unit asked for
    r"|in\s+(yuan|rmb|(us\s+)?dollars|square\s+(kilo)?met(re|er)s|kilomet(re|er)s|km|metres|meters"
    r"|tons|tonnes|percent)"
    r"|what\s+will\s+([\w'\-]+\s+){0,5}?" + _QUANTITIES
    + r"(\s+(for|of|in)\s+[\w'\-]+){0,2}\s+be\b(?!\s+(used|spent|done|made|given|for))"
    r")\b"
    r"|多少|几[个天年岁次名家项倍月周种所条]|多大|多长|多高|多久|多远|百分之几|比例是|比重是"
    r"|什么时候|哪一年|何时|哪年", re.IGNORECASE)
_NUMBER = r"(?:\d+(?:\.\d+)?|[零一二两三四五六七八九十百千万亿]+)"
_UNITS = ("%", "％", "个百分点", "百分点", "亿", "万", "千", "元", "美元", "平方", "立方", "公里", "千米",
          "厘米", "毫米", "米", "公顷", "亩", "吨", "千克", "公斤", "毫克", "克", "毫升", "升", "度",
          "天", "日", "周", "个月", "月", "周岁", "岁", "年", "倍", "人", "户", "家", "个", "项", "次",
          "座", "所", "条", "台", "辆", "件", "小时", "分钟", "秒", "分", "名", "份", "成")
# the longest units first, and a unit may follow another ("7000亿元", "十八周岁"), so that a
# figure's whole unit is seen
_UNIT = "(?:" + "|".join(sorted(map(re.escape, _UNITS), key=len, reverse=True)) + ")"
# "3700多万学生", "300余家": an approximate figure puts 多 or 余 before its unit
_FIGURE = re.compile(_NUMBER + r"\s*[多余]?" + _UNIT + "+|[百千万]分之" + _NUMBER)
# a year or an article's number is not the figure a question asks for
_NOT_FIGURES = re.compile(r"(?:19|20)\d\d年|第" + _NUMBER + r"[条款项章节]")


_QUESTION = re.compile(
    r"^\s*(how|what|which|who|whom|whose|where|when|why|is|are|was|were|can|could|does|do|did"
    r"|should|will|would)\b|\?\s*$|[？吗]|什么|怎么|怎样|如何|哪|谁|多少|几|为什么|是否",
    re.IGNORECASE)


def is_question(text: str) -> bool:
    """Whether ``text`` is phrased as a question rather than typed as keywords.

    >>> is_question("how many calories in a banana"), is_question("elderly care")
    (True, False)
    >>> is_question("电影"), is_question("哪些任务涉及航空？")
    (False, True)
    """
    return bool(_QUESTION.search(text))


#: A question asking who holds an office now ("who is the current party secretary of …",
#: 上海市人大常委会现任主任是谁): a person's name answers it, not a role ("区长任组长" answers
#: who leads a group, which these words do not ask).
_OFFICES_EN = (r"(party\s+)?secretar(y|y-general)|mayor|governor|minister|premier|president"
               r"|chair(man|woman|person)|director(-general)?|ceo|ambassador|spokes(man|woman|person)")
_OFFICES_ZH = r"书记|市长|区长|县长|省长|局长|部长|主席|总理|院长|校长|董事长|总经理|委员长|秘书长|主任"
_ASKS_PERSON = re.compile(
    rf"\bwho\s+(is|was|are)\s+(currently\s+)?(the\s+)?((current|present|incumbent|new)\s+)?"
    rf"([\w'\-]+\s+){{0,4}}?({_OFFICES_EN})\b|\bname\s+of\s+the\s+(current\s+)?({_OFFICES_EN})\b"
    rf"|({_OFFICES_ZH})(现在|目前)?(是谁|叫什么)|谁(是|担任)[^，,。？?]{{0,20}}({_OFFICES_ZH})",
    re.IGNORECASE)


#: The commonest surnames (and 习; not 任, which is also "to serve as"): a person named
#: beside an office or 同志 in the texts.
_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
             "苏魏吕丁沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
             "龚邵万钱严覃武戴莫孔向汤习温")
_NAMED_PERSON = re.compile(
    rf"(?:{_OFFICES_ZH}|总书记)[{_SURNAMES}][\u4e00-\u9fff]{{1,2}}(?=[，,、。；;（(\s]|同志|$)"
    rf"|[{_SURNAMES}][\u4e00-\u9fff]{{1,2}}(?:同志|先生|女士|总书记|{_OFFICES_ZH}"
    rf"|(?:担?任|兼任)[^，,。；;]{{0,20}}(?:{_OFFICES_ZH}))")


def names_person(text: str) -> bool:
    """Whether ``text`` names a person: beside an office or 同志 (a bare name is rarely cut
    as one by a dictionary, and a dictionary's "names" include 高峰 and 高水平).

    >>> names_person("以习近平同志为核心的党中央"), names_person("区委书记任领导小组组长")
    (True, False)
    """
    return bool(_NAMED_PERSON.search(text))


def asks_person(question: str) -> bool:
    """Whether ``question`` asks who holds an office.

    >>> asks_person("Who is the current party secretary of Changning District?")
    True
    >>> asks_person("上海市人大常委会现任主任是谁"), asks_person("Who is responsible for pensions?")
    (True, False)
    """
    return bool(_ASKS_PERSON.search(question))


def asks_figure(question: str) -> bool:
    """Whether ``question`` asks for a figure: an amount, a count, a length, a date."""
    return bool(_ASKS_FIGURE.search(question))


#: A sum of money named as such ("in yuan", 多少元, 多少钱) is answered in money only …
_SUM = (re.compile(r"\byuan\b|\brmb\b|dollars|多少钱|多少[万亿]?元|金额", re.IGNORECASE), ("元",))
#: … a fine, fee or price also by a share or a multiple of something, unless money is named
_PRICE = (re.compile(r"\bfees?\b|\bfines?\b|\bprices?\b|\bcosts?\b|\bbudget|\bpremiums?\b"
                     r"|费用|罚款|价格|预算|保费", re.IGNORECASE),
          ("元", "倍", "%", "％", "百分", "千分"))
#: Kinds of figure a question may name, each with the units a figure of that kind is written
#: in: an area asked for is not answered by an amount of money.
_KINDS = (
    (re.compile(r"square\s*(kilo)?met|\bsq\.?\s*(km|m)\b|km2|km²|hectares?|\bacres?\b"
                r"|平方|公顷|亩|面积", re.IGNORECASE), ("平方", "公顷", "亩")),
    (re.compile(r"per\s?cent|\bproportion\b|百分|比例|比重|占比", re.IGNORECASE),
     ("%", "％", "百分", "成")),
    (re.compile(r"how old|what age|(?<!-)\bages?\b|\baged\b|years old|几岁|年龄|年满|周岁",
                re.IGNORECASE), ("岁",)),
    _SUM,
    _PRICE,
    (re.compile(r"how many (days|weeks|months|hours)|多少天|几天|几个月|多少个月|几小时|多少小时"
                r"|多长时间|多久", re.IGNORECASE), ("天", "日", "周", "月", "年", "小时", "分钟")),
    (re.compile(r"kilomet|\bkm\b|\bmetres?\b|\bmeters?\b|\bmiles?\b|多少公里|多少米|多远",
                re.IGNORECASE), ("米", "公里", "千米")),
    (re.compile(r"\btons?\b|\btonnes?\b|\bkilograms?\b|\bkg\b|多少吨|多少公斤|多少千克",
                re.IGNORECASE), ("吨", "克", "公斤")),
)


#: "per square metre", "per 50 kg", 每平方米: what a rate is counted by, not the kind asked
_PER = re.compile(r"\bper\s+(?!cent\b)(\d+\s*)?(square\s+)?[a-z]+"
                  r"|每\s*(\d+|[一二两三四五六七八九十百千万]+)?"
                  r"\s*(平方(公里|千米|米)?|公顷|亩|公里|千米|米|吨|千克|公斤|克)", re.IGNORECASE)


#: A question asking when something happened or will happen: a time answers it (a year, a
#: month, a day; this year, the end of the year), not any figure.
_ASKS_TIME = re.compile(
    r"\bwhen\s+(did|will|was|were)\b|\b(which|what)\s+year\b|\bwhat\s+date\b"
    r"|什么时候|哪一年|哪年|何时|哪天|哪一天|几月|几号", re.IGNORECASE)
_TIME = re.compile(
    r"(?:1[89]|20)\d\d\s*年|[〇零一二三四五六七八九]{4}年|\d{4}[-/.]\d{1,2}"
    r"|" + _NUMBER + r"\s*月(?:份|底|初|中旬|上旬|下旬)?|" + _NUMBER + r"\s*[日号]"
    r"|今年|明年|去年|年底|年末|年初|年内|上半年|下半年"
    # "自公布之日起施行", "自标明的制发日起计算": a law's time is often a day named by its event
    r"|之日|日起")


def asks_time(question: str) -> bool:
    """Whether ``question`` asks when.

    >>> asks_time("When did the rules take effect?"), asks_time("上海国际芭蕾舞比赛哪一年举办")
    (True, True)
    >>> asks_time("When is a tenderer considered capable?"), asks_time("how many")
    (False, False)
    """
    return bool(_ASKS_TIME.search(question))


#: …and one asking which year a report said something: the date of the passage's document
#: answers it ("哪一年的政府工作报告提出…": the report's year, which its passage need not repeat);
#: not a year of anything else ("党代会是哪一年召开的": a page's date is not the congress's).
_ASKS_YEAR = re.compile(r"\b(which|what)\s+year\b|哪一年|哪年|哪个年份", re.IGNORECASE)
_REPORTS = re.compile(r"报告|决议|公报|白皮书|\breports?\b|\bresolutions?\b|\bcommuniqu",
                      re.IGNORECASE)


def asks_year_of_report(question: str) -> bool:
    """Whether ``question`` asks which year's report (resolution, communiqué) says something.

    >>> asks_year_of_report("北交所哪年设立 政府工作报告"), asks_year_of_report("党代会哪一年召开")
    (True, False)
    >>> asks_year_of_report("Which year's work report first named 6G?")
    True
    """
    return bool(_ASKS_YEAR.search(question) and _REPORTS.search(question))


def gives_time(text: str) -> bool:
    """Whether ``text`` says when: a year, a month, a day, a period.

    >>> gives_time("自2024年1月1日起施行"), gives_time("一九五六年"), gives_time("今年要抓好")
    (True, True, True)
    >>> gives_time("罚款五千元"), gives_time("自标明的制发日起计算")
    (False, True)
    """
    return bool(_TIME.search(text))


def asked_units(question: str) -> tuple[str, ...]:
    """The units of the kinds of figure ``question`` names (an area, a percentage, an age,
    money, days, a distance, a weight), none when it names no kind.

    >>> asked_units("How large in square kilometres is the zone?")
    ('平方', '公顷', '亩')
    >>> asked_units("每次献血采集多少毫升"), asked_units("what percentage")
    ((), ('%', '％', '百分', '成'))
    """
    found: list[str] = []
    question = _PER.sub(" ", question)
    for kind in _KINDS:
        pattern, units = kind
        if pattern.search(question):
            if kind is _PRICE and _SUM[1][0] in found:
                continue  # "the fine in yuan": money, not a share
            found += units
            # "square kilometres" is no distance, the "age" of "percentage" no age
            question = pattern.sub(lambda m: "_" * len(m.group()), question)
    return tuple(found)


def gives_figure(text: str, units: tuple[str, ...] = ()) -> bool:
    """Whether ``text`` holds a figure (a number with a unit; years and article numbers
    aside), in one of ``units`` when any are given.

    >>> gives_figure("罚款五千元"), gives_figure("罚款五千元", ("平方",))
    (True, False)
    >>> gives_figure("处以项目合同金额千分之五以上千分之十以下的罚款", asked_units("罚款多少"))
    True
    >>> gives_figure("拟安排7000亿元", ("元",)), gives_figure("年满十八周岁", ("岁",))
    (True, True)
    >>> gives_figure("3700多万学生受益"), gives_figure("300余家")
    (True, True)
    >>> asked_units("How many people did old-age insurance cover?")
    ()
    """
    found = (m.group(0) for m in _FIGURE.finditer(_NOT_FIGURES.sub(" ", text)))
    return any(not units or any(unit in figure for unit in units) for figure in found)


#: A year a question names: 2024年, "in 2031"; not an amount ("2000元", "2000 yuan"), nor a
#: piece of a longer number.
_YEAR = re.compile(
    r"(?<![\d.,])((?:1[89]|20)\d\d)(?:(?=\s*年)|(?![\d%％]|[.,]\d|\s*(?:[万亿元吨米个人]|yuan|rmb|dollars?"
    r"|usd|km|kilomet|metres?|meters?|people|persons?|tons?|tonnes?|percent|cases|units)))",
    re.IGNORECASE)


def named_years(question: str) -> tuple[str, ...]:
    """The years ``question`` names, in order, each once.

    >>> named_years("What GDP growth target did the State Council set for 2026?")
    ('2026',)
    >>> named_years("2018年至2022年全国新建了多少个机场"), named_years("罚款2000元以下")
    (('2018', '2022'), ())
    >>> named_years("Between 2018 and 2022, how much"), named_years("2,000 or 2000.5 tons")
    (('2018', '2022'), ())
    >>> named_years("a 2000 yuan fine"), named_years("Tokyo 2020 Olympics")
    ((), ('2020',))
    """
    return tuple(dict.fromkeys(m.group(1) for m in _YEAR.finditer(question)))
