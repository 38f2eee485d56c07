"""Tech-based SME (国科发政〔2017〕115号, 2022 guide): every band edge ±1 unit, eligibility
edges, the pass rule, missing inputs, direct qualification, assumptions, JSON."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from recognition_edges import MONEY_UNIT, RATIO_UNIT, at_least_edges

from techfin.recognition import tech_sme

D = Decimal
BASE: dict[str, Any] = dict(
    employees=50,
    sales=D(1000),
    total_assets=D(2000),
    tech_staff_ratio=D("0.30"),
    rd_to_sales=D("0.06"),
    rd_to_cost=D("0.30"),
    class1_ip=1,
    class2_ip=0,
)

TECH_STAFF = [(D("0.30"), 20), (D("0.25"), 16), (D("0.20"), 12), (D("0.15"), 8), (D("0.10"), 4)]
RD_SALES = [(D("0.06"), 50), (D("0.05"), 40), (D("0.04"), 30), (D("0.03"), 20), (D("0.02"), 10)]
RD_COST = [(D("0.30"), 50), (D("0.25"), 40), (D("0.20"), 30), (D("0.15"), 20), (D("0.10"), 10)]
CLASS2 = [(4, 24), (3, 18), (2, 12), (1, 6)]


def run(**changes: Any) -> tech_sme.TechSmeResult:
    return tech_sme.evaluate(**{**BASE, **changes})


@pytest.mark.parametrize(("value", "points"), at_least_edges(TECH_STAFF, 0, RATIO_UNIT))
def test_tech_staff_edges(value: Decimal, points: int) -> None:
    assert run(tech_staff_ratio=value).parts["tech_staff"] == points


@pytest.mark.parametrize(("value", "points"), at_least_edges(RD_SALES, 0, RATIO_UNIT))
def test_rd_to_sales_edges(value: Decimal, points: int) -> None:
    assert run(rd_to_sales=value, rd_to_cost=D(0)).parts["rd"] == points


@pytest.mark.parametrize(("value", "points"), at_least_edges(RD_COST, 0, RATIO_UNIT))
def test_rd_to_cost_edges(value: Decimal, points: int) -> None:
    assert run(rd_to_cost=value, rd_to_sales=D(0)).parts["rd"] == points


def test_rd_takes_the_higher() -> None:
    r = run(rd_to_sales=D("0.03"), rd_to_cost=D("0.25"))
    assert r.parts["rd"] == 40


@pytest.mark.parametrize(("value", "points"), at_least_edges(CLASS2, 0, 1))
def test_class2_edges(value: int, points: int) -> None:
    assert run(class1_ip=0, class2_ip=value).parts["results"] == points


def test_class1_gives_30_whatever_class2() -> None:
    assert run(class1_ip=1, class2_ip=0).parts["results"] == 30
    assert run(class1_ip=0, class2_ip=10).parts["results"] == 24


@pytest.mark.parametrize(
    ("field", "limit", "unit"),
    [
        ("employees", 500, 1),
        ("sales", D(20000), MONEY_UNIT),
        ("total_assets", D(20000), MONEY_UNIT),
    ],
)
def test_eligibility_edges(field: str, limit: Any, unit: Any) -> None:
    assert run(**{field: limit}).eligible
    assert run(**{field: limit - unit}).eligible
    over = run(**{field: limit + unit})
    assert not over.eligible and not over.passed
    assert any(c.key == field and c.status == "not met" for c in over.eligibility)


def test_pass_rule_total_60_and_tech_staff_nonzero() -> None:
    # 4 + 20 + 30 = 54 fails; 4 + 30 + 30 = 64 passes; exactly 60: 12 + 30 + 18
    assert not run(tech_staff_ratio=D("0.10"), rd_to_sales=D("0.03"), rd_to_cost=D(0)).passed
    r = run(
        tech_staff_ratio=D("0.20"), rd_to_sales=D("0.04"), rd_to_cost=D(0), class1_ip=0, class2_ip=3
    )
    assert r.total == 60 and r.passed
    r = run(
        tech_staff_ratio=D("0.20"), rd_to_sales=D("0.04"), rd_to_cost=D(0), class1_ip=0, class2_ip=2
    )
    assert r.total == 54 + 0 and not r.passed
    # tech staff 0 with 80 points elsewhere fails
    r = run(tech_staff_ratio=D("0.0999"))
    assert r.total == 80 and r.parts["tech_staff"] == 0 and not r.passed


@pytest.mark.parametrize("name", sorted(BASE))
def test_missing_scored_input_raises_naming_it(name: str) -> None:
    args = {k: v for k, v in BASE.items() if k != name}
    with pytest.raises(ValueError, match=name):
        tech_sme.evaluate(**args)


def test_float_refused() -> None:
    with pytest.raises(ValueError, match="tech_staff_ratio"):
        run(tech_staff_ratio=0.3)


def test_direct_qualification_and_eligibility() -> None:
    weak = dict(tech_staff_ratio=D(0), rd_to_sales=D(0), rd_to_cost=D(0), class1_ip=0)
    assert not run(**weak).passed
    r = run(**weak, hnte_certificate=True)
    assert r.passed and r.direct_qualification == "hnte_certificate"
    r = run(**weak, led_standard=True, employees=501)
    assert not r.passed


def test_assumptions_listed_and_negatives_fail() -> None:
    r = run()
    assert r.passed and len(r.assumptions) == 6
    assert any("major_incident" in a for a in r.assumptions)
    r = run(major_incident=True, registered_in_china=True)
    assert not r.passed and not r.eligible
    assert len(r.assumptions) == 4


def test_json() -> None:
    d = json.loads(json.dumps(run().to_dict(), ensure_ascii=False))
    assert d["rule_version"] == "tech-sme-2022"
    assert d["parts"] == {"tech_staff": 20, "rd": 50, "results": 30}
    assert d["total"] == 100 and d["passed"] is True


def test_total_edge_58_60_62() -> None:
    # reachable totals around 60: 16 + 30 + 12 = 58 fails, 12 + 30 + 18 = 60 and
    # 20 + 30 + 12 = 62 pass
    common = dict(rd_to_sales=D("0.04"), rd_to_cost=D(0), class1_ip=0)
    r58 = run(tech_staff_ratio=D("0.25"), class2_ip=2, **common)
    r60 = run(tech_staff_ratio=D("0.20"), class2_ip=3, **common)
    r62 = run(tech_staff_ratio=D("0.30"), class2_ip=2, **common)
    assert (r58.total, r58.passed) == (58, False)
    assert (r60.total, r60.passed) == (60, True)
    assert (r62.total, r62.passed) == (62, True)
