"""High-tech enterprise (国科发火〔2016〕32号, 工作指引〔2016〕195号): the eight conditions,
every band edge ±1 unit, the score interval, "above 70" (70 fails), missing inputs, JSON."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from recognition_edges import MONEY_UNIT, RATIO_UNIT

from techfin.recognition import hnte

D = Decimal
# every item pinned: IP 8+8+8+6+0 = 30, conversion 30, R&D management 20, growth 0 + 0 = 80
EXACT: dict[str, Any] = dict(
    tech_staff_ratio=D("0.20"),
    rd_expenses=[D(300), D(300), D(300)],
    sales=[D(3000), D(3000), D(3000)],
    high_tech_revenue_ratio=D("0.70"),
    class1_ip=1,
    class2_ip=0,
    ip_acquisition="own",
    conversions_3y=15,
    net_assets=[D(100), D(100), D(100)],
    standards=False,
    tech_advancement=8,
    core_support=8,
    rd_management=20,
    expert_points={"ip_quantity": 8, "ip_acquisition": 6, "conversion": 30},
)
REQUIRED = [
    "tech_staff_ratio",
    "rd_expenses",
    "sales",
    "high_tech_revenue_ratio",
    "class1_ip",
    "class2_ip",
    "conversions_3y",
    "net_assets",
]


def run(**changes: Any) -> hnte.HnteResult:
    return hnte.evaluate(**{**EXACT, **changes})


def cond(result: hnte.HnteResult, key: str) -> str:
    return next(c.status for c in result.conditions if c.key == key)


def item(result: hnte.HnteResult, key: str) -> tuple[int, int]:
    i = next(i for i in result.items if i.key == key)
    return i.min, i.max


def test_exact_score_80_passes() -> None:
    r = run()
    assert (r.score_min, r.score_max) == (80, 80)
    assert r.verdict == "passes" and r.passes
    assert len(r.conditions) == 8


@pytest.mark.parametrize(
    ("rd_management", "score", "verdict"), [(9, 69, "fails"), (10, 70, "fails"), (11, 71, "passes")]
)
def test_score_must_be_above_70(rd_management: int, score: int, verdict: str) -> None:
    r = run(rd_management=rd_management)
    assert (r.score_min, r.score_max) == (score, score)
    assert r.verdict == verdict
    assert cond(r, "innovation_score") == ("met" if score > 70 else "not met")


def test_interval_and_needs_expert_review() -> None:
    r = run(
        tech_advancement=None,
        core_support=None,
        rd_management=None,
        expert_points=None,
        standards=None,
    )
    # IP: [0,8]+[0,8]+[7,8]+[1,6]+[0,2] → [8, 30 capped]; conversion [25,30]; R&D [0,20]
    assert (r.score_min, r.score_max) == (8 + 25, 30 + 30 + 20)
    assert r.verdict == "needs expert review"
    assert cond(r, "innovation_score") == "unknown"
    assert r.score_exact == 0  # growth items are exact zeros
    assert r.score_judged == (33, 82)


def test_interval_max_70_fails_and_min_71_passes() -> None:
    # leave only R&D management open: 60 + [0, 20]; pin IP lower to move the interval
    r = run(rd_management=None, tech_advancement=0)  # [52, 72]
    assert (r.score_min, r.score_max) == (52, 72) and r.verdict == "needs expert review"
    r = run(rd_management=None, tech_advancement=0, core_support=0)  # [44, 64]
    assert r.score_max < 70 and r.verdict == "fails"
    r = run(rd_management=None, core_support=0, tech_advancement=2)
    assert (r.score_min, r.score_max) == (46, 66)
    r = run(tech_advancement="A")  # [7, 8] → [79, 80]
    assert (r.score_min, r.score_max) == (79, 80) and r.verdict == "passes"
    r = run(rd_management=10, tech_advancement="A")  # [69, 70]: the maximum 70 still fails
    assert (r.score_min, r.score_max) == (69, 70) and r.verdict == "fails"
    r = run(rd_management=11, tech_advancement="A")  # [70, 71]
    assert r.verdict == "needs expert review"
    r = run(rd_management=12, tech_advancement="A")  # [71, 72]
    assert r.verdict == "passes"


@pytest.mark.parametrize(
    ("value", "status"), [(D("0.10"), "met"), (D("0.1001"), "met"), (D("0.0999"), "not met")]
)
def test_tech_staff_edge(value: Decimal, status: str) -> None:
    assert cond(run(tech_staff_ratio=value), "tech_staff") == status


# (last year's sales, required ratio): ≤ 5000 → 5 %, 5000–20000 → 4 %, > 20000 → 3 %
TIERS = [
    (D(5000), D("0.05")),
    (D(5000) + MONEY_UNIT, D("0.04")),
    (D(20000), D("0.04")),
    (D(20000) + MONEY_UNIT, D("0.03")),
    (D(1), D("0.05")),
    (D(100000), D("0.03")),
]


@pytest.mark.parametrize(("last_sales", "need"), TIERS)
@pytest.mark.parametrize("delta", [D(0), RATIO_UNIT, -RATIO_UNIT])
def test_rd_intensity_tier_edges(last_sales: Decimal, need: Decimal, delta: Decimal) -> None:
    ratio = need + delta
    sales = [last_sales, last_sales, last_sales]
    rd = [last_sales * ratio] * 3
    r = run(sales=sales, rd_expenses=rd)
    assert cond(r, "rd_intensity") == ("not met" if delta < 0 else "met")


def test_rd_intensity_band_chosen_by_last_year() -> None:
    # 3-year ratio 4.5 %: enough above 5000万 last-year sales, not at exactly 5000万
    at = run(sales=[D(5000)] * 3, rd_expenses=[D(225)] * 3)
    above = run(sales=[D(5000), D(5000), D("5000.01")], rd_expenses=[D(225)] * 3)
    assert cond(at, "rd_intensity") == "not met"
    assert cond(above, "rd_intensity") == "met"


def test_rd_intensity_with_no_sales() -> None:
    r = run(sales=[D(0)] * 3, rd_expenses=[D(1)] * 3)
    assert cond(r, "rd_intensity") == "not met" and r.verdict == "fails"


@pytest.mark.parametrize(
    ("value", "status"), [(D("0.60"), "met"), (D("0.6001"), "met"), (D("0.5999"), "not met")]
)
def test_domestic_rd_and_high_tech_revenue_edges(value: Decimal, status: str) -> None:
    assert cond(run(domestic_rd_share=value), "rd_intensity") == status
    assert cond(run(high_tech_revenue_ratio=value), "high_tech_revenue") == status


def test_registered_one_year_edge() -> None:
    reg = dt.date(2024, 11, 27)
    assert cond(run(registered_on=reg, as_of=dt.date(2025, 11, 27)), "registered_one_year") == "met"
    r = run(registered_on=reg, as_of=dt.date(2025, 11, 26))
    assert cond(r, "registered_one_year") == "not met" and r.verdict == "fails"
    assert cond(run(registered_on=reg, as_of=dt.date(2025, 11, 28)), "registered_one_year") == "met"
    leap = dt.date(2024, 2, 29)
    assert cond(run(registered_on=leap, as_of=dt.date(2025, 2, 28)), "registered_one_year") == (
        "not met"
    )
    assert cond(run(registered_on=leap, as_of=dt.date(2025, 3, 1)), "registered_one_year") == "met"
    with pytest.raises(ValueError, match="as_of"):
        run(registered_on=reg)


GROWTH = [(D("0.35"), (9, 10)), (D("0.25"), (7, 8)), (D("0.15"), (5, 6)), (D("0.05"), (3, 4))]


def _growth_expected(g: Decimal) -> tuple[int, int]:
    for t, pts in GROWTH:
        if g >= t:
            return pts
    return (1, 2) if g > 0 else (0, 0)


@pytest.mark.parametrize(
    "g",
    sorted(
        {t + d for t, _ in GROWTH for d in (0, RATIO_UNIT, -RATIO_UNIT)}
        | {D(0), RATIO_UNIT, -RATIO_UNIT}
    ),
)
def test_growth_band_edges(g: Decimal) -> None:
    # Y1 = 0 → g = Y3/Y2 − 1; Y2 = 100 makes 0.01 万元 on Y3 one unit of g
    values = [D(0), D(100), D(100) * (1 + g)]
    r = run(net_assets=values, sales=[D(0), D(3000), D(3000) * (1 + g)])
    assert item(r, "growth_net_assets") == _growth_expected(g)
    assert item(r, "growth_sales") == _growth_expected(g)


def test_growth_full_formula_and_zero_rules() -> None:
    assert item(run(net_assets=[D(100), D(100), D(170)]), "growth_net_assets") == (9, 10)
    assert item(run(net_assets=[D(100), D(100), D("169.99")]), "growth_net_assets") == (7, 8)
    # ½(120/100 + 150/120) − 1 = 0.225 → C
    assert item(run(net_assets=[D(100), D(120), D(150)]), "growth_net_assets") == (5, 6)
    assert item(run(net_assets=[D(100), D(0), D(500)]), "growth_net_assets") == (0, 0)
    assert item(run(net_assets=[D(-10), D(100), D(500)]), "growth_net_assets") == (0, 0)
    assert hnte.growth_rate([D(0), D(100), D(135)]) == D("0.35")


CONVERSION = {5: (25, 30), 4: (19, 24), 3: (13, 18), 2: (7, 12), 1: (1, 6), 0: (0, 0)}


@pytest.mark.parametrize("total", sorted({3 * k + d for k in range(1, 6) for d in (-1, 0, 1)}))
def test_conversion_edges(total: int) -> None:
    expected = CONVERSION[min(5, total // 3)]  # yearly average ≥ k ⇔ total ≥ 3k
    assert item(run(conversions_3y=total, expert_points=None), "conversion") == expected


@pytest.mark.parametrize(
    ("c1", "c2", "expected"),
    [
        (1, 0, (7, 8)),
        (0, 6, (5, 6)),
        (0, 5, (5, 6)),
        (0, 4, (3, 4)),
        (0, 3, (3, 4)),
        (0, 2, (1, 2)),
        (0, 1, (1, 2)),
        (0, 0, (0, 0)),
    ],
)
def test_ip_quantity_edges(c1: int, c2: int, expected: tuple[int, int]) -> None:
    r = run(class1_ip=c1, class2_ip=c2, expert_points=None)
    assert item(r, "ip_quantity") == expected
    assert cond(r, "core_ip") == ("met" if c1 + c2 else "not met")


def test_ip_acquisition_and_cap() -> None:
    r = run(expert_points=None, ip_acquisition="transferred")
    assert item(r, "ip_acquisition") == (1, 3)
    r = run(
        standards=True,
        expert_points={"ip_quantity": 8, "ip_acquisition": 6, "ip_standards": 2, "conversion": 30},
    )
    assert (r.score_min, r.score_max) == (80, 80)  # IP capped at 30
    with pytest.raises(ValueError, match="ip_acquisition"):
        run(ip_acquisition=None)
    assert item(run(ip_acquisition=None, class1_ip=0, expert_points=None), "ip_acquisition") == (
        0,
        0,
    )


@pytest.mark.parametrize("name", REQUIRED)
def test_missing_input_raises_naming_it(name: str) -> None:
    with pytest.raises(ValueError, match=name):
        hnte.evaluate(**{k: v for k, v in EXACT.items() if k != name})


def test_bad_expert_input() -> None:
    with pytest.raises(ValueError, match="ip_quantity"):
        run(expert_points={"ip_quantity": 5})  # band A is 7–8
    with pytest.raises(ValueError, match="tech_advancement"):
        run(tech_advancement=9)
    with pytest.raises(ValueError, match="expert_points"):
        run(expert_points={"nonsense": 1})
    with pytest.raises(ValueError, match="sales"):
        run(sales=[D(1), D(2)])


def test_assumptions_and_incident() -> None:
    r = run()
    keys = " ".join(r.assumptions)
    for k in ("registered_one_year", "supported_field", "domestic_rd_share", "no_major_incident"):
        assert k in keys
    r = run(major_incident=True)
    assert r.verdict == "fails" and cond(r, "no_major_incident") == "not met"
    r = run(in_supported_field=False)
    assert r.verdict == "fails"


def test_json() -> None:
    d = json.loads(json.dumps(run(rd_management=None).to_dict(), ensure_ascii=False))
    assert d["rule_version"] == "hnte-2016" and d["verdict"] == "needs expert review"
    assert d["score"] == {"min": 60, "max": 80, "exact": 60, "judged": [0, 20], "must_be_above": 70}
    assert d["inputs"]["sales"] == ["3000", "3000", "3000"]
