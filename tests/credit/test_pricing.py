"""Pricing: LPR look-up, repricing, FTP with the tech subsidy, floor part by part, RAROC."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from techfin.credit.pricing import (
    FixedRate,
    FloatingRate,
    LprTenor,
    Repricing,
    RepricingRule,
    ftp_quote,
    grade_adjustment,
    load_lpr_table,
    load_pricing_policy,
    price_loan,
    rate_path,
    repricing_dates,
)

D = Decimal
d = dt.date


@pytest.mark.parametrize(
    ("on", "one_year", "five_plus"),
    [
        (d(2019, 8, 20), "0.0425", "0.0485"),  # first fixing, on its day
        (d(2024, 7, 21), "0.0345", "0.0395"),  # day before a cut
        (d(2024, 7, 22), "0.0335", "0.0385"),  # the cut's day
        (d(2024, 7, 23), "0.0335", "0.0385"),
        (d(2024, 10, 20), "0.0335", "0.0385"),
        (d(2024, 10, 21), "0.031", "0.036"),
    ],
)
def test_lpr_in_force(on: dt.date, one_year: str, five_plus: str) -> None:
    f = load_lpr_table().in_force(on)
    assert f.one_year == D(one_year)
    assert f.rate(LprTenor.FIVE_YEAR_PLUS) == D(five_plus)
    assert f.fixing_date <= on
    assert f.confidence


def test_lpr_table_keeps_confidence_and_refuses_out_of_range() -> None:
    t = load_lpr_table()
    assert t.in_force(d(2024, 2, 20)).confidence.startswith("public datasets disagree")
    with pytest.raises(ValueError, match="before the first LPR fixing"):
        t.in_force(d(2019, 8, 19))
    last = t.last_date
    t.in_force(last + dt.timedelta(days=29))  # still the last fixing's month
    with pytest.raises(ValueError, match=r"enter the next fixing"):
        t.in_force(t.valid_until())
    assert t.in_force(t.valid_until(), allow_stale=True).fixing_date == last


def test_repricing_dates_anniversary_and_january() -> None:
    assert repricing_dates(d(2024, 1, 31), d(2027, 1, 31), Repricing()) == [
        d(2025, 1, 31),
        d(2026, 1, 31),
    ]
    jan = Repricing(RepricingRule.JANUARY_FIRST)
    assert repricing_dates(d(2024, 3, 15), d(2026, 6, 30), jan) == [d(2025, 1, 1), d(2026, 1, 1)]
    assert repricing_dates(d(2024, 3, 15), d(2026, 1, 1), jan) == [d(2025, 1, 1)]
    assert repricing_dates(d(2024, 1, 31), d(2024, 7, 31), Repricing(months=3)) == [d(2024, 4, 30)]


def test_rate_path_floating_spread_fixed_for_life() -> None:
    terms = FloatingRate(spread_bp=D(50), repricing=Repricing(RepricingRule.JANUARY_FIRST))
    path = rate_path(terms, d(2024, 3, 15), d(2026, 3, 15))
    assert [p.rate for p in path] == [D("0.0395"), D("0.0360"), D("0.0350")]
    assert [p.start for p in path] == [d(2024, 3, 15), d(2025, 1, 1), d(2026, 1, 1)]
    assert path[-1].end == d(2026, 3, 15)
    assert all(p.rate - p.lpr.one_year == D("0.005") for p in path if p.lpr)


def test_rate_path_negative_spread_and_fixed() -> None:
    path = rate_path(FloatingRate(spread_bp=D(-20)), d(2025, 6, 1), d(2026, 6, 1))
    assert [p.rate for p in path] == [D("0.028")]
    assert rate_path(FixedRate(D("0.035")), d(2025, 6, 1), d(2026, 6, 1))[0].rate == D("0.035")
    with pytest.raises(ValueError, match="spread_bp"):
        rate_path(FloatingRate(spread_bp=D(-400)), d(2025, 6, 1), d(2026, 6, 1))


def test_rate_path_beyond_table_needs_explicit_projection() -> None:
    terms = FloatingRate(spread_bp=D(0))
    with pytest.raises(ValueError, match="assume_flat"):
        rate_path(terms, d(2026, 1, 10), d(2028, 1, 10))
    path = rate_path(terms, d(2026, 1, 10), d(2028, 1, 10), assume_flat=True)
    assert [p.projected for p in path] == [False, True]


@pytest.mark.parametrize(
    ("term", "lp"),
    [
        (11, "0.0005"),
        (12, "0.0005"),
        (13, "0.0015"),
        (36, "0.0015"),
        (37, "0.0025"),
        (60, "0.0025"),
        (61, "0.0035"),
    ],
)
def test_liquidity_premium_bands(term: int, lp: str) -> None:
    assert ftp_quote(term_months=term).liquidity_premium == D(lp)


def test_ftp_curve_interpolates_and_uses_repricing_term_for_floating() -> None:
    assert ftp_quote(term_months=18).base == D("0.0175")
    assert ftp_quote(term_months=12).base == D("0.0170")
    assert ftp_quote(term_months=240).base == D("0.0225")  # flat beyond the end
    floating = FloatingRate(spread_bp=D(0), repricing=Repricing(months=12))
    q = ftp_quote(term_months=36, floating=floating)
    assert q.ftp_term_months == 12
    assert q.base == D("0.0170")
    assert q.liquidity_premium == D("0.0015")  # contractual term
    jan = FloatingRate(spread_bp=D(0), repricing=Repricing(RepricingRule.JANUARY_FIRST))
    assert ftp_quote(term_months=36, floating=jan).ftp_term_months == 12


def test_tech_subsidy_goes_to_branch_not_to_gross() -> None:
    plain = ftp_quote(term_months=12)
    tech = ftp_quote(term_months=12, tech_loan=True)
    assert tech.gross == plain.gross
    assert tech.tech_subsidy == load_pricing_policy().tech_ftp_discount > 0
    assert tech.to_branch == plain.gross - tech.tech_subsidy


def test_price_loan_floor_part_by_part_and_raroc() -> None:
    q = price_loan(
        amount=D(10_000_000),
        term_months=12,
        rate=FloatingRate(spread_bp=D(-20)),
        start=d(2025, 6, 1),
        pd=D("0.01"),
        lgd=D("0.45"),
        tech_loan=True,
        grade="T3",
    )
    assert q.offered_rate == D("0.028")
    assert q.ftp.gross == D("0.0175")
    assert q.expected_loss == D("0.0045")
    assert q.capital_charge == D("0.008925")
    assert q.operating_cost == D("0.0060")
    assert q.floor == D("0.036925") == sum((v for _, v in q.floor_parts), D(0))
    assert not q.meets_floor
    assert q.margin_over_floor == D("-0.008925")
    assert q.raroc_without_subsidy == 0
    assert q.raroc_with_subsidy == D("0.003") / D("0.08925")
    assert q.annual_subsidy_amount == D("30000.00")
    assert q.grade_adjustment == D("-0.0010")
    assert q.indicative_rate == D("0.03") + D("0.0030") - D("0.0010")
    j = q.to_dict()
    assert j["floor"] == "0.036925"
    assert len(j["floor_parts"]) == 4


def test_subsidy_does_not_lower_the_floor() -> None:
    kw = {
        "amount": D(1_000_000),
        "term_months": 24,
        "rate": FixedRate(D("0.045")),
        "start": d(2025, 6, 1),
        "pd": D("0.02"),
        "lgd": D("0.5"),
    }
    plain = price_loan(**kw)  # type: ignore[arg-type]
    tech = price_loan(tech_loan=True, **kw)  # type: ignore[arg-type]
    assert tech.floor == plain.floor
    assert tech.offered_rate == plain.offered_rate
    assert tech.raroc_with_subsidy > plain.raroc_with_subsidy == plain.raroc_without_subsidy
    assert plain.annual_subsidy_amount == 0


def test_grade_adjustment_mapping() -> None:
    assert grade_adjustment("T1") < grade_adjustment("T4") == 0 < grade_adjustment("T10")
    values = [grade_adjustment(f"T{i}") for i in range(1, 11)]
    assert values == sorted(values)
    with pytest.raises(ValueError, match="grade"):
        grade_adjustment("T11")


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"amount": D(0)}, "amount"),
        ({"pd": D("1.2")}, "pd"),
        ({"lgd": D("-0.1")}, "lgd"),
        ({"risk_weight": D(0)}, "risk_weight"),
    ],
)
def test_price_loan_bad_input(kw: dict[str, object], field: str) -> None:
    base: dict[str, object] = {
        "amount": D(1),
        "term_months": 12,
        "rate": FixedRate(D("0.04")),
        "start": d(2025, 6, 1),
        "pd": D("0.01"),
        "lgd": D("0.4"),
    }
    base.update(kw)
    with pytest.raises(ValueError, match=field):
        price_loan(**base)  # type: ignore[arg-type]


def test_fixed_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="rate"):
        FixedRate(D(0))
