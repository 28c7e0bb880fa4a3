"""Pinyin and English names of Chinese entity names (ingest.names)."""
from __future__ import annotations

import pytest

from policykg.ingest.names import english_name, pinyin_name


@pytest.mark.parametrize("name, expected", [
    # word by word, as names are written in pinyin (GB/T 16159): not 上海市人 / 民政 / 府
    ("上海市人民政府办公厅", "Shanghai Shi Renmin Zhengfu Bangongting"),
    ("中国人民银行", "Zhongguo Renmin Yinhang"),
    ("复旦大学附属华山医院", "Fudan Daxue Fushu Huashan Yiyuan"),
    ("国家发展和改革委员会", "Guojia Fazhan He Gaige Weiyuanhui"),
    ("东华大学", "Donghua Daxue"),
    # 长 begins a word of a name as cháng wherever the word stands
    ("中共长宁区委", "Zhonggong Changning Qu Wei"),
    ("长三角一体化示范区", "Changsanjiao Yitihua Shifanqu"),
    ("长效机制", "Changxiao Jizhi"),
    # a place's unit apart from its name; a short name is one word
    ("上海市长宁区", "Shanghai Shi Changning Qu"),
    ("浙江省", "Zhejiang Sheng"),
    ("长宁", "Changning"),
    ("进博会", "Jinbohui"),
    ("虹桥临空经济示范区", "Hongqiao Linkong Jingji Shifanqu"),
    # an ordinal is one word, its measure word another
    ("第十四届全国人民代表大会第三次会议", "Di-shisi Jie Quanguo Renmin Daibiao Dahui Di-san Ci Huiyi"),
    ("一带一路", "Yidai Yilu"),
])
def test_pinyin_names_are_written_word_by_word(name, expected):
    assert pinyin_name(name) == expected


def test_a_name_not_all_chinese_or_of_one_character_has_no_pinyin():
    assert pinyin_name("互联网+") is None and pinyin_name("市") is None and pinyin_name("") is None


@pytest.mark.parametrize("name, etype, expected", [
    ("东华大学", "Organization", "Donghua University"),
    ("徐汇区", "Place", "Xuhui District"),
    ("西藏自治区", "Place", "Xizang Autonomous Region"),
    ("浙江省", "Place", "Zhejiang Province"),
    ("乐山市", "Place", "Leshan City"),
    ("上海市", "Place", "Shanghai"),
    ("上海虹桥国际机场", "Place", "Shanghai Hongqiao International Airport"),
    # not administrative units, or not of the type the rule needs
    ("城市", "Place", None),
    ("北外滩地区", "Place", None),
    ("虹桥临空经济示范区", "Place", None),
    ("东华大学", "Place", None),
    ("中共长宁区委", "Organization", None),
])
def test_english_names_by_rule(name, etype, expected):
    assert english_name(name, etype) == expected
