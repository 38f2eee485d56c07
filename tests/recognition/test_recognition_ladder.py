"""MIIT ladder: innovative SME (2022 附件1), 专精特新 (2022 table / 2026 criteria by as_of),
little giant (2026, unconfirmed): every band edge ±1 unit, pass rules, versions, JSON."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from recognition_edges import MONEY_UNIT, RATIO_UNIT, at_least_edges, at_most_edges

from techfin.recognition import innovative_sme, little_giant, srdi

D = Decimal
INNOV: dict[str, Any] = dict(
    high_value_ip=0,
    class1_ip_own=1,
    class1_ip=1,
    class2_ip=0,
    rd_to_revenue=D("0.05"),
    revenue_growth=D("0.15"),
    debt_ratio=D("0.40"),
    strategic_emerging=True,
    main_business_share=D("0.80"),
)


def innov(**changes: Any) -> innovative_sme.InnovativeSmeResult:
    return innovative_sme.evaluate(**{**INNOV, **changes})


RD = [(D("0.05"), 20), (D("0.03"), 15), (D("0.02"), 10), (D("0.01"), 5)]
GROWTH = [(D("0.15"), 20), (D("0.10"), 15), (D("0.05"), 10), (D(0), 5)]
DEBT = [(D("0.55"), 10), (D("0.75"), 5)]
SHARE = [(D("0.70"), 20), (D("0.60"), 15), (D("0.55"), 10), (D("0.50"), 5)]


@pytest.mark.parametrize(("value", "points"), at_least_edges(RD, 0, RATIO_UNIT))
def test_innovative_rd_edges(value: Decimal, points: int) -> None:
    assert innov(rd_to_revenue=value).parts["rd"] == points


@pytest.mark.parametrize(("value", "points"), at_least_edges(GROWTH, 0, RATIO_UNIT))
def test_innovative_growth_edges(value: Decimal, points: int) -> None:
    assert innov(revenue_growth=value).parts["revenue_growth"] == points


@pytest.mark.parametrize(("value", "points"), at_most_edges(DEBT, 0, RATIO_UNIT))
def test_innovative_debt_edges(value: Decimal, points: int) -> None:
    assert innov(debt_ratio=value).parts["debt_ratio"] == points


@pytest.mark.parametrize(("value", "points"), at_least_edges(SHARE, 0, RATIO_UNIT))
def test_innovative_main_business_edges(value: Decimal, points: int) -> None:
    assert innov(main_business_share=value).parts["main_business_share"] == points


@pytest.mark.parametrize(
    ("counts", "points"),
    [
        ((1, 1, 1, 0), 20),
        ((0, 1, 1, 0), 15),
        ((0, 0, 1, 0), 10),
        ((0, 0, 0, 1), 5),
        ((0, 0, 0, 0), 0),
    ],
)
def test_innovative_core_ip_bands(counts: tuple[int, int, int, int], points: int) -> None:
    hv, own, c1, c2 = counts
    r = innov(high_value_ip=hv, class1_ip_own=own, class1_ip=c1, class2_ip=c2)
    assert r.parts["core_ip"] == points


def test_innovative_field_and_pass_rule() -> None:
    r = innov()
    assert r.total == 15 + 20 + 20 + 10 + 10 + 20 and r.passed
    assert innov(strategic_emerging=False).parts["field"] == 5
    # total 60 exactly, every section at its minimum: innovation 20, growth 15, spec. 25
    r = innov(
        class1_ip_own=0,
        rd_to_revenue=D("0.02"),
        revenue_growth=D("0.05"),
        debt_ratio=D("0.75"),
        main_business_share=D("0.70"),
        strategic_emerging=False,
    )
    assert r.sections == {"innovation": 20, "growth": 15, "specialisation": 25}
    assert r.total == 60 and r.passed
    # 59: one point short is impossible with these bands; drop growth to 10 instead
    r = innov(revenue_growth=D("0.0499"), debt_ratio=D("0.7501"))
    assert r.sections["growth"] == 5 and not r.passed
    # high total but innovation below 20
    r = innov(class1_ip_own=0, class1_ip=0, class2_ip=1, rd_to_revenue=D("0.0199"))
    assert r.sections["innovation"] == 10 and r.total == 70 and not r.passed


def test_innovative_direct_paths_and_eligibility() -> None:
    weak = dict(rd_to_revenue=D(0), class1_ip_own=0, class1_ip=0)
    assert not innov(**weak).passed
    assert innov(**weak, honours=True).direct_qualification == "honours"
    r = innov(**weak, equity_raised_3y=D(500))
    assert r.passed and r.direct_qualification == "equity_raised_3y"
    assert not innov(**weak, equity_raised_3y=D(500) - MONEY_UNIT).passed
    assert not innov(is_sme=False).passed
    assert len(innov().assumptions) == 4


@pytest.mark.parametrize("name", sorted(INNOV))
def test_innovative_missing_input(name: str) -> None:
    with pytest.raises(ValueError, match=name):
        innovative_sme.evaluate(**{k: v for k, v in INNOV.items() if k != name})


def test_innovative_inconsistent_ip_counts() -> None:
    with pytest.raises(ValueError, match="class1_ip"):
        innov(high_value_ip=2, class1_ip=1)


# --- 专精特新 -----------------------------------------------------------------------------
SRDI: dict[str, Any] = dict(
    niche_years=4,
    revenues=[D(3000), D(4000)],
    rd_expenses=[D(200), D(300)],
    main_business_share=D("0.85"),
    debt_ratio=D("0.50"),
    high_value_ip=0,
    class1_ip_own=1,
    class1_ip=1,
    class2_ip=0,
)
SRDI_2022: dict[str, Any] = dict(
    main_revenue_growth_2y=D("0.10"),
    key_field=True,
    digital_level=3,
    quality_items=2,
    net_margin=D("0.10"),
    distinctiveness=10,
    rd_staff_ratio=D("0.20"),
    rd_institution="provincial",
)
V2022 = dt.date(2025, 6, 30)
V2026 = dt.date(2026, 6, 30)


def s22(**changes: Any) -> srdi.SrdiResult:
    return srdi.evaluate(**{**SRDI, **SRDI_2022, **changes}, as_of=V2022)


def s26(**changes: Any) -> srdi.SrdiResult:
    return srdi.evaluate(**{**SRDI, **changes}, as_of=V2026)


def status(r: srdi.SrdiResult, key: str) -> str:
    return next(c.status for c in r.conditions if c.key == key)


def points(r: srdi.SrdiResult, key: str) -> int:
    i = next(i for i in r.items if i.key == key)
    assert i.min == i.max
    return i.min


def test_version_chosen_by_as_of() -> None:
    assert srdi.evaluate(**SRDI, **SRDI_2022, as_of=dt.date(2026, 3, 31)).rule_version == (
        "srdi-2022"
    )
    assert srdi.evaluate(**SRDI, as_of=dt.date(2026, 4, 1)).rule_version == "srdi-2026"
    assert srdi.evaluate(**SRDI).rule_version == "srdi-2026"
    r = s26()
    assert not r.confirmed and any("unconfirmed" in x for x in r.reasons)
    with pytest.raises(ValueError, match="as_of"):
        srdi.evaluate(**SRDI, **SRDI_2022, as_of=dt.date(2021, 1, 1))


def test_srdi_2022_full_score_and_sections() -> None:
    r = s22()
    # 专 5+10+2+5, 精 5+5+10+5, 特 10, 新 8+6+5+8 (R&D 300万 / 7.5 % → 6; provincial → 8)
    assert r.score_min == r.score_max == 22 + 25 + 10 + 8 + 6 + 5 + 8
    assert r.verdict == "passes"


@pytest.mark.parametrize(
    ("value", "pts"),
    at_least_edges([(D("0.80"), 5), (D("0.70"), 3), (D("0.60"), 1)], 0, RATIO_UNIT),
)
def test_srdi_2022_main_business_edges(value: Decimal, pts: int) -> None:
    assert points(s22(main_business_share=value), "main_business_share") == pts


@pytest.mark.parametrize(
    ("value", "pts"),
    at_least_edges(
        [(D("0.10"), 10), (D("0.08"), 8), (D("0.06"), 6), (D("0.04"), 4), (D(0), 2)], 0, RATIO_UNIT
    ),
)
def test_srdi_2022_growth_edges(value: Decimal, pts: int) -> None:
    assert points(s22(main_revenue_growth_2y=value), "main_revenue_growth_2y") == pts


@pytest.mark.parametrize(
    ("value", "pts"),
    at_least_edges(
        [(D("0.10"), 10), (D("0.08"), 8), (D("0.06"), 6), (D("0.04"), 4), (D("0.02"), 2)],
        0,
        RATIO_UNIT,
    ),
)
def test_srdi_2022_net_margin_edges(value: Decimal, pts: int) -> None:
    assert points(s22(net_margin=value), "net_margin") == pts


@pytest.mark.parametrize(
    ("value", "pts"), at_most_edges([(D("0.50"), 5), (D("0.60"), 3), (D("0.70"), 1)], 0, RATIO_UNIT)
)
def test_srdi_2022_debt_edges(value: Decimal, pts: int) -> None:
    assert points(s22(debt_ratio=value), "debt_ratio") == pts


@pytest.mark.parametrize(
    ("value", "pts"),
    at_least_edges([(D("0.20"), 5), (D("0.10"), 3), (D("0.05"), 1)], 0, RATIO_UNIT),
)
def test_srdi_2022_rd_staff_edges(value: Decimal, pts: int) -> None:
    assert points(s22(rd_staff_ratio=value), "rd_staff_ratio") == pts


@pytest.mark.parametrize(
    ("amount", "pts"),
    at_least_edges(
        [(D(500), 10), (D(400), 8), (D(300), 6), (D(200), 4), (D(100), 2)], 0, MONEY_UNIT
    ),
)
def test_srdi_2022_rd_amount_edges(amount: Decimal, pts: int) -> None:
    # revenue large enough that the share stays below 3 %
    r = s22(revenues=[D(100000), D(100000)], rd_expenses=[D(0), amount])
    assert points(r, "rd") == pts


@pytest.mark.parametrize(
    ("share", "pts"),
    at_least_edges(
        [(D("0.10"), 10), (D("0.08"), 8), (D("0.06"), 6), (D("0.04"), 4), (D("0.03"), 2)],
        0,
        RATIO_UNIT,
    ),
)
def test_srdi_2022_rd_share_edges(share: Decimal, pts: int) -> None:
    # revenue 1000万: below 10 % the amount stays under 100万, so the share decides
    r = s22(revenues=[D(1000), D(1000)], rd_expenses=[D(0), D(1000) * share])
    assert points(r, "rd") == pts


@pytest.mark.parametrize(
    ("years", "pts"), [(1, 0), (2, 1), (3, 1), (4, 2), (9, 4), (10, 5), (11, 5), (20, 5)]
)
def test_srdi_2022_niche_years(years: int, pts: int) -> None:
    assert points(s22(niche_years=years), "niche_years") == pts


def test_srdi_2022_small_items() -> None:
    assert points(s22(key_field=False), "key_field") == 0
    assert points(s22(key_field="six_bases"), "key_field") == 3
    assert points(s22(key_field="key"), "key_field") == 5
    with pytest.raises(ValueError, match="key_field"):
        s22(key_field="elsewhere")
    assert [points(s22(digital_level=n), "digital_level") for n in (1, 2, 3, 4)] == [0, 3, 5, 5]
    assert [points(s22(quality_items=n), "quality") for n in (0, 1, 2, 4)] == [0, 3, 5, 5]
    levels = ["national", "provincial", "municipal", "below_municipal", "none"]
    assert [points(s22(rd_institution=x), "rd_institution") for x in levels] == [10, 8, 4, 2, 0]
    with pytest.raises(ValueError, match="rd_institution"):
        s22(rd_institution="county")


def test_srdi_2022_conditions_edges() -> None:
    assert status(s22(niche_years=2), "niche_years") == "met"
    assert status(s22(niche_years=1), "niche_years") == "not met"
    # R&D ≥ 100万 and ≥ 3 % of last year's revenue
    assert status(s22(rd_expenses=[D(0), D(100)], revenues=[D(0), D(3000)]), "rd") == "met"
    assert (
        status(s22(rd_expenses=[D(0), D(100) - MONEY_UNIT], revenues=[D(0), D(3000)]), "rd")
        == "not met"
    )
    assert status(s22(rd_expenses=[D(0), D(120)], revenues=[D(0), D(4000)]), "rd") == "met"
    assert (
        status(s22(rd_expenses=[D(0), D(120)], revenues=[D(0), D(4000) + MONEY_UNIT]), "rd")
        == "not met"
    )
    # revenue ≥ 1000万 or equity ≥ 2000万
    low = dict(rd_expenses=[D(0), D(100)], revenues=[D(0), D(1000)])
    assert status(s22(**low), "revenue") == "met"
    low["revenues"] = [D(0), D(1000) - MONEY_UNIT]
    assert status(s22(**low), "revenue") == "not met"
    assert status(s22(**low, equity_raised_2y=D(2000)), "revenue") == "met"


def test_srdi_2022_score_60_and_provincial_interval() -> None:
    base = s22()
    assert base.score_min == 84
    # drop 24 points → 60 exactly: digital 5→0, quality 5→0, R&D institution 8→0,
    # distinctiveness 10→4
    low: dict[str, Any] = dict(digital_level=1, quality_items=0, rd_institution="none")
    r = s22(**low, distinctiveness=4)
    assert r.score_min == r.score_max == 60
    assert status(r, "score") == "met" and r.verdict == "passes"
    r = s22(**low, distinctiveness=3)
    assert r.score_min == 59 and r.verdict == "fails"
    r = s22(**low, distinctiveness=None)
    assert (r.score_min, r.score_max) == (56, 71) and r.verdict == "needs provincial review"
    r = s22(**low, distinctiveness=None, science_award=True)
    assert r.verdict == "passes"


def test_srdi_2026_edges() -> None:
    assert s26().verdict == "passes"
    assert status(s26(niche_years=3), "niche_years") == "met"
    assert status(s26(niche_years=2), "niche_years") == "not met"
    assert (
        status(s26(revenues=[D(1000), D(1500)], rd_expenses=[D(100), D(100)]), "revenue") == "met"
    )
    r = s26(revenues=[D(1000), D(1500) - MONEY_UNIT], rd_expenses=[D(100), D(100)])
    assert status(r, "revenue") == "not met"
    assert status(s26(main_business_share=D("0.80")), "main_business_share") == "met"
    assert status(s26(main_business_share=D("0.7999")), "main_business_share") == "not met"
    assert status(s26(debt_ratio=D("0.80")), "debt_ratio") == "met"
    assert status(s26(debt_ratio=D("0.8001")), "debt_ratio") == "not met"
    # R&D ≥ 100万 and ≥ 3 % in EACH year
    ok = dict(revenues=[D(3000), D(3400)], rd_expenses=[D(100), D(102)])
    assert status(s26(**ok), "rd") == "met"  # 102 / 3400 = 3 % exactly
    ok["rd_expenses"] = [D(100) - MONEY_UNIT, D(102)]
    assert status(s26(**ok), "rd") == "not met"
    ok["rd_expenses"] = [D(100), D(102) - MONEY_UNIT]
    assert status(s26(**ok), "rd") == "not met"
    assert status(s26(class1_ip=0, class1_ip_own=0), "class1_ip") == "not met"
    assert s26(is_innovative_sme=False).verdict == "fails"


LG: dict[str, Any] = dict(
    revenues=[D(5000), D(5200), D(5512.5)],
    rd_expenses=[D(600), D(600)],
    main_business_share=D("0.90"),
    debt_ratio=D("0.75"),
    class1_ip=4,
    market_rank=3,
)


def lg(**changes: Any) -> srdi.SrdiResult:
    return little_giant.evaluate(**{**LG, **changes})


def lg_status(r: srdi.SrdiResult, key: str) -> str:
    return next(c.status for c in r.conditions if c.key == key)


def test_little_giant_every_edge() -> None:
    r = lg()
    assert r.verdict == "passes" and r.rule_version == "little-giant-2026" and not r.confirmed
    # revenue ≥ 5000 (last year); CAGR: Y2 ≥ Y0 × 1.1025
    assert lg_status(lg(revenues=[D(4000), D(4500), D(5000)]), "revenue") == "met"
    r = lg(revenues=[D(4000), D(4500), D(5000) - MONEY_UNIT])
    assert lg_status(r, "revenue") == "not met"
    assert lg_status(lg(revenues=[D(5000), D(5200), D("5512.49")]), "revenue_cagr") == "not met"
    assert lg_status(lg(revenues=[D(5000), D(5200), D("5512.51")]), "revenue_cagr") == "met"
    assert lg_status(lg(main_business_share=D("0.8999")), "main_business_share") == "not met"
    assert lg_status(lg(debt_ratio=D("0.7501")), "debt_ratio") == "not met"
    assert lg_status(lg(debt_ratio=D("0.7499")), "debt_ratio") == "met"
    assert lg_status(lg(rd_expenses=[D(600), D(600) - MONEY_UNIT]), "rd") == "not met"
    assert lg_status(lg(rd_expenses=[D(600), D("600.01")]), "rd") == "met"
    # ≥ 3 % each year: 5200 × 3 % = 156
    r = lg(revenues=[D(5000), D(20000), D(40000)], rd_expenses=[D(600), D(1200)])
    assert lg_status(r, "rd") == "met"  # 3 % of 20000 = 600, of 40000 = 1200
    r = lg(revenues=[D(5000), D(20000) + MONEY_UNIT, D(40000)], rd_expenses=[D(600), D(1200)])
    assert lg_status(r, "rd") == "not met"
    assert lg_status(lg(class1_ip=3), "class1_ip") == "not met"
    assert lg_status(lg(market_rank=4), "market") == "not met"
    assert lg_status(lg(market_rank=None, market_share=D("0.10")), "market") == "met"
    assert lg_status(lg(market_rank=None, market_share=D("0.0999")), "market") == "not met"
    with pytest.raises(ValueError, match="market_share"):
        lg(market_rank=None)
    with pytest.raises(ValueError, match="as_of"):
        lg(as_of=dt.date(2025, 1, 1))


def test_ladder_json() -> None:
    for r in (innov(), s22(), s26(), lg()):
        d = json.loads(json.dumps(r.to_dict(), ensure_ascii=False))
        assert d["rule_version"]


def test_srdi_2022_direct_path_edges() -> None:
    low: dict[str, Any] = dict(
        digital_level=1, quality_items=0, rd_institution="none", distinctiveness=0
    )  # score 56 without a direct path
    # R&D 1000万 a year scores 10 instead of 6: zero the net margin to stay below 60
    big: dict[str, Any] = dict(low, net_margin=D(0), revenues=[D(20000), D(20000)])
    r = s22(**big, rd_expenses=[D(1000), D(1000)])
    assert r.score_max == 50 and r.verdict == "passes"  # 2-year average R&D ≥ 1000万
    r = s22(**big, rd_expenses=[D(1000), D(1000) - MONEY_UNIT])
    assert r.verdict == "fails"
    assert s22(**low, equity_raised_2y=D(6000)).verdict == "passes"
    assert s22(**low, equity_raised_2y=D(6000) - MONEY_UNIT).verdict == "fails"
    assert s22(**low, maker_china_top500=True).verdict == "passes"


def test_innovative_section_minimum_edges() -> None:
    # growth section exactly 15 passes, 10 fails (other sections high)
    assert innov(revenue_growth=D("0.05"), debt_ratio=D("0.7501")).sections["growth"] == 10
    r = innov(revenue_growth=D("0.10"), debt_ratio=D("0.7501"))
    assert r.sections["growth"] == 15 and r.passed
    r = innov(revenue_growth=D("0.0999"), debt_ratio=D("0.7501"))
    assert r.sections["growth"] == 10 and not r.passed
    # specialisation exactly 15 (other field 5 + share 10) passes, 10 fails
    r = innov(strategic_emerging=False, main_business_share=D("0.55"))
    assert r.sections["specialisation"] == 15 and r.passed
    r = innov(strategic_emerging=False, main_business_share=D("0.5499"))
    assert r.sections["specialisation"] == 10 and not r.passed
