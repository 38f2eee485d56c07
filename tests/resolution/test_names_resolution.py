"""Name normalisation for entity resolution: examples and properties."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from techfin.enterprises.names import (
    fold_width,
    normalize,
    parse_name,
    pinyin_key,
    place_of_address,
    split_applicants,
)

BRAND_CHARS = "华创芯智源达瑞博联信德新光海天锐睿迈普恒泰鼎汇宏微云数思维精"
WORDS = ["精密机床", "信息技术", "生物医药", "新材料", "计算机", "半导体设备", "物联网"]
CITIES = ["深圳", "苏州", "杭州", "成都", "武汉", "西安", "合肥"]
TECH = ["", "科技", "技术"]

brands = st.text(alphabet=BRAND_CHARS, min_size=2, max_size=3)
names = st.builds(
    lambda city, shi, brand, word, tech, joint: (
        city
        + ("市" if shi else "")
        + brand
        + word
        + tech
        + ("股份有限公司" if joint else "有限公司")
    ),
    st.sampled_from(CITIES),
    st.booleans(),
    brands,
    st.sampled_from(WORDS),
    st.sampled_from(TECH),
    st.booleans(),
)
FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)} | {" ": "\u3000"}


def to_full_width(s: str) -> str:
    return "".join(FULL_WIDTH.get(c, c) for c in s)


def test_parts_of_a_typical_name() -> None:
    p = parse_name("广东省深圳市达弘精密机床股份有限公司")
    assert (p.province, p.city, p.core, p.legal_form) == (
        "广东",
        "深圳",
        "达弘精密机床",
        "joint_stock",
    )
    assert p.brand == "达弘" and p.kind == "company" and p.branch is None


def test_limited_liability_forms_are_one() -> None:
    a = parse_name("深圳新弘信息技术有限公司")
    b = parse_name("深圳新弘信息技术有限责任公司")
    assert a.legal_form == b.legal_form == "limited_liability"
    assert a.core == b.core == "新弘信息技术"


def test_branch_is_stripped_and_kept() -> None:
    p = parse_name("深圳新弘信息技术有限公司北京分公司")
    assert p.core == "新弘信息技术" and p.city == "深圳"
    assert p.branch == "北京分公司" and p.branch_place == "北京"
    en = parse_name("Harbin Tianxing Energy Co., Ltd. Beijing Branch")
    assert en.core == "tianxing energy" and en.branch == "beijing branch"
    assert en.branch_place == "北京" and en.city == "哈尔滨"


def test_place_in_brackets_and_full_width() -> None:
    p = parse_name("华为技术（深圳）有限公司")
    assert (p.core, p.city) == ("华为技术", "深圳")
    q = parse_name("ＡＢＣ科技（北京）有限公司")
    assert q.normalized == "abc科技(北京)有限公司" and q.city == "北京"


def test_english_name() -> None:
    p = parse_name("SHENZHEN XINHONG INFORMATION SYSTEMS TECHNOLOGY CO., LTD.")
    assert p.script == "en" and p.city == "深圳" and p.legal_form == "limited_liability"
    assert p.core == "xinhong information systems technology"
    assert p.stem == "xinhong information systems" and p.brand_py == "xinhong"
    assert parse_name("新弘信息系统技术有限公司").brand_py == "xinhong"


def test_kinds() -> None:
    assert parse_name("清华大学").kind == "institution"
    assert parse_name("张伟").kind == "person"
    assert parse_name("中国科学院计算技术研究所").kind == "institution"
    assert parse_name("深圳张伟科技有限公司").kind == "company"


def test_homophones_share_a_pinyin_key() -> None:
    assert pinyin_key("睿达") == pinyin_key("瑞达") == "ruida"
    assert pinyin_key("芯明") == pinyin_key("新明")
    assert pinyin_key("达弘") != pinyin_key("达飞")


def test_address_place() -> None:
    assert place_of_address("广东省深圳市南山区科技园") == ("广东", "深圳")
    assert place_of_address("北京市海淀区中关村") == ("北京", "北京")
    assert place_of_address("Room 501") == (None, None)


def test_split_applicants_examples() -> None:
    assert split_applicants("深圳新弘有限公司；清华大学、张三;Foo Co., Ltd.") == [
        "深圳新弘有限公司",
        "清华大学",
        "张三",
        "Foo Co., Ltd.",
    ]
    assert split_applicants("张伟，深圳新弘有限公司") == ["张伟", "深圳新弘有限公司"]
    assert split_applicants("ABC Technology Co., Ltd.") == ["ABC Technology Co., Ltd."]
    assert split_applicants(" ；；") == []


@given(st.text(max_size=40))
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@given(names)
def test_full_width_spelling_parses_the_same(name: str) -> None:
    a, b = parse_name(name), parse_name(to_full_width(name))
    assert (a.core, a.city, a.legal_form) == (b.core, b.city, b.legal_form)


@given(names)
def test_legal_form_variant_keeps_the_core(name: str) -> None:
    variant = name.replace("有限公司", "有限责任公司") if "股份" not in name else name
    a, b = parse_name(name), parse_name(variant)
    assert a.core == b.core and a.legal_form == b.legal_form


@given(names, st.sampled_from(CITIES), st.sampled_from(["分公司", "研发中心", "办事处"]))
def test_branch_suffix_keeps_the_parent(name: str, branch_city: str, word: str) -> None:
    parent, branch = parse_name(name), parse_name(name + branch_city + word)
    assert (branch.core, branch.city, branch.legal_form) == (
        parent.core,
        parent.city,
        parent.legal_form,
    )
    assert branch.branch == branch_city + word and branch.branch_place == branch_city


@given(st.sampled_from(CITIES), brands, st.sampled_from(WORDS))
def test_city_prefix_is_extracted(city: str, brand: str, word: str) -> None:
    p = parse_name(f"{city}市{brand}{word}有限公司")
    assert p.city == city and p.core == brand + word and p.brand == brand[:2]


@given(st.lists(names, min_size=1, max_size=4), st.sampled_from(["；", ";", "、", "，", "; "]))
def test_split_applicants_round_trips(parts: list[str], sep: str) -> None:
    assert split_applicants(sep.join(parts)) == parts


@given(st.text(alphabet="ＡＢＣａｂｃ０１２（）　", max_size=20))
def test_fold_width_leaves_no_full_width_ascii(text: str) -> None:
    assert all(not 0xFF01 <= ord(c) <= 0xFF5E for c in fold_width(text))
