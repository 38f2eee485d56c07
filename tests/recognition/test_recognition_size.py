"""SME size (工信部联企业〔2011〕300号): the 16 groups' thresholds, every band edge ±1 unit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from techfin.recognition import size
from techfin.recognition.rules import load

# The notice's table, written out independently of the data file (persons, 万元).
# group: (metrics ceiling, medium lower bounds, small lower bounds)
NOTICE: dict[str, tuple[dict[str, int], dict[str, int], dict[str, int]]] = {
    "agriculture": ({"revenue": 20000}, {"revenue": 500}, {"revenue": 50}),
    "industry": (
        {"employees": 1000, "revenue": 40000},
        {"employees": 300, "revenue": 2000},
        {"employees": 20, "revenue": 300},
    ),
    "construction": (
        {"revenue": 80000, "assets": 80000},
        {"revenue": 6000, "assets": 5000},
        {"revenue": 300, "assets": 300},
    ),
    "wholesale": (
        {"employees": 200, "revenue": 40000},
        {"employees": 20, "revenue": 5000},
        {"employees": 5, "revenue": 1000},
    ),
    "retail": (
        {"employees": 300, "revenue": 20000},
        {"employees": 50, "revenue": 500},
        {"employees": 10, "revenue": 100},
    ),
    "transport": (
        {"employees": 1000, "revenue": 30000},
        {"employees": 300, "revenue": 3000},
        {"employees": 20, "revenue": 200},
    ),
    "warehousing": (
        {"employees": 200, "revenue": 30000},
        {"employees": 100, "revenue": 1000},
        {"employees": 20, "revenue": 100},
    ),
    "postal": (
        {"employees": 1000, "revenue": 30000},
        {"employees": 300, "revenue": 2000},
        {"employees": 20, "revenue": 100},
    ),
    "accommodation": (
        {"employees": 300, "revenue": 10000},
        {"employees": 100, "revenue": 2000},
        {"employees": 10, "revenue": 100},
    ),
    "catering": (
        {"employees": 300, "revenue": 10000},
        {"employees": 100, "revenue": 2000},
        {"employees": 10, "revenue": 100},
    ),
    "information_transmission": (
        {"employees": 2000, "revenue": 100000},
        {"employees": 100, "revenue": 1000},
        {"employees": 10, "revenue": 100},
    ),
    "software_it_services": (
        {"employees": 300, "revenue": 10000},
        {"employees": 100, "revenue": 1000},
        {"employees": 10, "revenue": 50},
    ),
    "real_estate_development": (
        {"revenue": 200000, "assets": 10000},
        {"revenue": 1000, "assets": 5000},
        {"revenue": 100, "assets": 2000},
    ),
    "property_management": (
        {"employees": 1000, "revenue": 5000},
        {"employees": 300, "revenue": 1000},
        {"employees": 100, "revenue": 500},
    ),
    "leasing_business_services": (
        {"employees": 300, "assets": 120000},
        {"employees": 100, "assets": 8000},
        {"employees": 10, "assets": 100},
    ),
    "other": ({"employees": 300}, {"employees": 100}, {"employees": 10}),
}

NAMES = {
    "agriculture": "农、林、牧、渔业",
    "industry": "工业",
    "construction": "建筑业",
    "wholesale": "批发业",
    "retail": "零售业",
    "transport": "交通运输业",
    "warehousing": "仓储业",
    "postal": "邮政业",
    "accommodation": "住宿业",
    "catering": "餐饮业",
    "information_transmission": "信息传输业",
    "software_it_services": "软件和信息技术服务业",
    "real_estate_development": "房地产开发经营",
    "property_management": "物业管理",
    "leasing_business_services": "租赁和商务服务业",
    "other": "其他未列明行业",
}

UNIT: dict[str, Decimal] = {
    "employees": Decimal(1),
    "revenue": Decimal("0.01"),
    "assets": Decimal("0.01"),
}
LEVELS = ("large", "medium", "small")
BELOW = {"large": "medium", "medium": "small", "small": "micro"}


def test_data_matches_the_notice() -> None:
    groups = size.groups()
    assert set(groups) == set(NOTICE)
    for key, (ceiling, medium, small) in NOTICE.items():
        g = groups[key]
        assert g["name"] == NAMES[key]
        assert g["sme_ceiling"] == ceiling, key
        assert g["medium"] == medium, key
        assert g["small"] == small, key


def _edge_cases() -> list[tuple[str, str, str, str]]:
    cases = []
    for key, bounds in NOTICE.items():
        for level, b in zip(LEVELS, bounds, strict=True):
            for metric in b:
                for delta in ("at", "below", "above"):
                    cases.append((key, level, metric, delta))
    return cases


@pytest.mark.parametrize(("key", "level", "metric", "delta"), _edge_cases())
def test_every_band_edge(key: str, level: str, metric: str, delta: str) -> None:
    bounds = dict(zip(LEVELS, NOTICE[key], strict=True))[level]
    values: dict[str, int | Decimal] = {
        m: Decimal(v) if m != "employees" else v for m, v in bounds.items()
    }
    # metrics of the group not used at this level: put them at this level's fellow bounds or,
    # if absent there, high enough not to matter
    for m in set(NOTICE[key][0]) | set(NOTICE[key][1]) | set(NOTICE[key][2]):
        values.setdefault(m, 10**7 if m == "employees" else Decimal(10**7))
    edge = bounds[metric]
    step = UNIT[metric]
    moved: Decimal = {"at": Decimal(edge), "below": edge - step, "above": edge + step}[delta]
    values[metric] = int(moved) if metric == "employees" else Decimal(moved)
    result = size.classify(key, **values)  # type: ignore[arg-type]
    expected = BELOW[level] if delta == "below" else level
    assert result.size == expected, (key, level, metric, delta, values, result.reason)
    assert result.is_sme == (expected != "large")
    assert result.rule_version == "sme-size-2011"


def test_either_ceiling_makes_an_sme() -> None:
    # 1000 staff but revenue below 40000: an SME (medium), not large
    assert size.classify("工业", employees=1500, revenue=39999).size == "medium"
    assert size.classify("industry", employees=999, revenue=50000).size == "medium"
    assert size.classify("industry", employees=1000, revenue=40000).size == "large"


def test_medium_needs_both_bounds() -> None:
    # many staff but little revenue: small, not medium
    assert size.classify("industry", employees=900, revenue=1999).size == "small"
    assert size.classify("industry", employees=19, revenue=30000).size == "micro"


@pytest.mark.parametrize("key", sorted(NOTICE))
def test_chinese_name_and_english_key_agree(key: str) -> None:
    values = {m: 1 for m in NOTICE[key][0]}
    a = size.classify(key, **values)  # type: ignore[arg-type]
    b = size.classify(NAMES[key], **values)  # type: ignore[arg-type]
    assert a.to_dict() == b.to_dict()
    assert a.size == "micro"


@pytest.mark.parametrize("key", sorted(NOTICE))
def test_missing_metric_raises_naming_it(key: str) -> None:
    metrics = sorted(set(NOTICE[key][0]) | set(NOTICE[key][1]))
    for missing in metrics:
        values = {m: 1 for m in metrics if m != missing}
        with pytest.raises(ValueError, match=missing):
            size.classify(key, **values)  # type: ignore[arg-type]


def test_unknown_industry_and_bad_input() -> None:
    with pytest.raises(ValueError, match="industry"):
        size.classify("banking", employees=1, revenue=1)
    with pytest.raises(ValueError, match="revenue"):
        size.classify("industry", employees=1, revenue=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="employees"):
        size.classify("industry", employees=-1, revenue=1)


def test_result_serialises() -> None:
    import json

    r = size.classify("软件和信息技术服务业", employees=100, revenue=Decimal("1000.00"))
    d = json.loads(json.dumps(r.to_dict(), ensure_ascii=False))
    assert d["size"] == "medium" and d["rule_version"] == load("sme_size").version
    assert d["inputs"]["revenue"] == "1000.00"


def test_gbt4754_code() -> None:
    industry = pytest.importorskip("techfin.codes.industry")
    if not hasattr(industry, "sme_size_group"):
        pytest.skip("techfin.codes.industry.sme_size_group not available yet")
    key = industry.sme_size_group("6513")  # application software
    r = size.classify("I6513", employees=100, revenue=1000)
    assert r.industry == key
    assert r.industry == "software_it_services" and r.size == "medium"
    assert size.classify("C3911", employees=300, revenue=2000).industry == "industry"
    with pytest.raises(ValueError):
        size.classify("I", employees=1, revenue=1)  # a section spanning several groups
