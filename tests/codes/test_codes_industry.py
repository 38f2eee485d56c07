"""GB/T 4754-2017 data and the SME-size, high-tech and strategic-emerging mappings."""

from __future__ import annotations

import pytest

from techfin.codes import industry as ind


def test_counts_match_the_standard() -> None:
    assert len(ind.all_codes("section")) == 20
    assert ind.all_codes("section") == list("ABCDEFGHIJKLMNOPQRST")
    assert len(ind.all_codes("division")) == 97
    assert len(ind.all_codes("group")) == 473
    assert len(ind.all_codes("class")) == 1381


def test_structure_is_consistent() -> None:
    for code in ind.all_codes():
        item = ind.lookup(code)
        assert item is not None
        if item.level == "section":
            assert item.parent is None
            continue
        assert item.parent is not None
        parent = ind.lookup(item.parent)
        assert parent is not None
        assert code.startswith(item.parent) or parent.level == "section"
        assert parent.section == item.section


def test_divisions_fall_in_their_sections() -> None:
    expected = {
        "01": "A",
        "06": "B",
        "13": "C",
        "43": "C",
        "44": "D",
        "47": "E",
        "51": "F",
        "53": "G",
        "61": "H",
        "63": "I",
        "66": "J",
        "70": "K",
        "71": "L",
        "73": "M",
        "76": "N",
        "80": "O",
        "83": "P",
        "84": "Q",
        "86": "R",
        "91": "S",
        "97": "T",
    }
    for division, section in expected.items():
        item = ind.lookup(division)
        assert item is not None and item.section == section


def test_lookup_and_parent_chain() -> None:
    chain = ind.parent_chain("6513")
    assert [i.code for i in chain] == ["I", "65", "651", "6513"]
    assert [i.name for i in chain] == [
        "信息传输、软件和信息技术服务业",
        "软件和信息技术服务业",
        "软件开发",
        "应用软件开发",
    ]
    single = ind.lookup("019")  # group implied by its only class 0190
    assert single is not None and single.name == "其他农业" and single.level == "group"
    assert ind.lookup("6550") is not None and ind.lookup("6599") is not None
    assert ind.lookup("3973") is not None
    assert ind.lookup("9999") is None
    assert ind.lookup("X") is None


def test_2017_edition_not_2011() -> None:
    # 2011 had 6550 集成电路设计; 2017 moved it to 6520 and added 3491 industrial robots.
    item = ind.lookup("6520")
    assert item is not None and item.name == "集成电路设计"
    robot = ind.lookup("3491")
    assert robot is not None and robot.name == "工业机器人制造"


def test_validate_normalises_section_prefix_and_full_width() -> None:
    result = ind.validate("ｃ３９７３")
    assert result.valid
    assert result.normalised == "3973"
    assert "section letter 'C' prefix removed" in result.normalisations
    assert "full-width characters converted to half-width" in result.normalisations
    assert result.parts["group"] == "397"
    assert result.parts["class_name"] == "集成电路制造"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("X3973", "section letter 'X' does not match class 3973, which is in section C"),
        ("9999", "'9999' is not a code in GB/T 4754-2017"),
        ("12345", "is not of the form"),
        ("", "empty code"),
    ],
)
def test_validate_rejects(code: str, message: str) -> None:
    result = ind.validate(code)
    assert not result.valid
    assert message in result.errors[0]


@pytest.mark.parametrize(
    ("code", "group"),
    [
        ("0111", "agriculture"),
        ("0519", "agriculture"),
        ("0610", "industry"),
        ("3973", "industry"),
        ("4411", "industry"),
        ("4710", "construction"),
        ("5176", "wholesale"),
        ("5292", "retail"),
        ("5431", "transport"),
        ("5920", "warehousing"),
        ("6020", "postal"),
        ("6110", "accommodation"),
        ("6210", "catering"),
        ("6312", "information_transmission"),
        ("6431", "information_transmission"),
        ("6513", "software_it_services"),
        ("7010", "real_estate_development"),
        ("7020", "property_management"),
        ("7211", "leasing_business_services"),
        ("7320", "other"),
        ("7520", "other"),
        ("C", "industry"),
        ("I65", "software_it_services"),
    ],
)
def test_sme_size_group(code: str, group: str) -> None:
    assert ind.sme_size_group(code) == group
    assert group in ind.SME_SIZE_GROUPS


def test_every_class_has_exactly_one_answer() -> None:
    seen = set()
    for code in ind.all_codes("class"):
        try:
            seen.add(ind.sme_size_group(code))
        except ind.OutOfScope:
            assert code.startswith("53") or ind.parent_chain(code)[0].code == "J"
    assert seen == set(ind.SME_SIZE_GROUPS)


def test_sme_out_of_scope_and_unknown() -> None:
    with pytest.raises(ind.OutOfScope, match="railway"):
        ind.sme_size_group("5311")
    with pytest.raises(ind.OutOfScope, match="financial"):
        ind.sme_size_group("6621")
    with pytest.raises(ind.OutOfScope, match="several"):
        ind.sme_size_group("K")
    with pytest.raises(ind.UnknownIndustryCode):
        ind.sme_size_group("9999")


def test_high_tech_manufacturing() -> None:
    assert ind.high_tech_manufacturing("2761") == "医药制造业"
    assert ind.high_tech_manufacturing("27") == "医药制造业"
    assert ind.high_tech_manufacturing("3741") == "航空、航天器及设备制造业"
    assert ind.high_tech_manufacturing("3973") == "电子及通信设备制造业"
    assert ind.high_tech_manufacturing("3911") == "计算机及办公设备制造业"
    assert ind.high_tech_manufacturing("4014") == "医疗仪器设备及仪器仪表制造业"
    assert ind.high_tech_manufacturing("2664") == "信息化学品制造业"
    assert ind.high_tech_manufacturing("1311") is None
    assert ind.high_tech_manufacturing("6513") is None  # a service, not manufacturing
    assert ind.high_tech_manufacturing("39") is None  # spans two categories
    # 3964 service robots came with the 2019 amendment, after the 2017 list.
    assert ind.high_tech_manufacturing("3964") is None
    assert ind.high_tech_manufacturing("3963") == "电子及通信设备制造业"


def test_strategic_emerging() -> None:
    assert ind.strategic_emerging("6513") == ["新一代信息技术产业"]
    assert ind.strategic_emerging("3612") == ["新能源汽车产业"]
    assert ind.strategic_emerging("1311") == []
    partial = ind.strategic_emerging_matches("3670")
    assert [(m.field, m.partial) for m in partial] == [("new_energy_vehicles", True)]
    assert "生物产业" in ind.strategic_emerging("2762")


def test_mapping_files_point_at_real_classes() -> None:
    classes = set(ind.all_codes("class"))
    assert set(ind._high_tech()) <= classes
    assert set(ind._strategic()) <= classes


def test_rule_versions_are_recorded() -> None:
    versions = ind.rule_versions()
    assert set(versions) == {
        "gbt4754",
        "sme_size_groups",
        "high_tech_manufacturing",
        "strategic_emerging",
    }
    assert all(versions.values())
