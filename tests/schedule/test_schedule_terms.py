"""Schedule engine: every term does what it says, and bad terms fail naming the term."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from techfin.credit.daycount import InterestBasis
from techfin.credit.schedule import (
    Frequency,
    FrequencyUnit,
    InterestSettlement,
    Method,
    PaymentStep,
    RateChange,
    Subsidy,
    Terms,
    TermsError,
    build,
    conventions,
    effective_annual_rate,
)
from techfin.money import Rounding

D = Decimal
START = date(2025, 1, 10)


def terms(**kw) -> Terms:
    base = dict(principal=D(1200000), annual_rate=D("0.045"), start=START, installments=6)
    base.update(kw)
    return Terms(**base)


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "term"),
    [
        ({"principal": D(0)}, "principal"),
        ({"principal": D(-5)}, "principal"),
        ({"principal": D("1.001")}, "principal"),
        ({"annual_rate": D("12")}, "annual_rate"),
        ({"annual_rate": D("-0.01")}, "annual_rate"),
        ({"installments": 0}, "installments"),
        ({"first_due": date(2025, 1, 5)}, "first_due"),
        ({"first_due": START}, "first_due"),
        ({"grace_principal": 6}, "grace_principal"),
        ({"grace_interest": 7}, "grace_interest"),
        ({"interest_free": 6}, "interest_free"),
        ({"installment_multiple": D(0)}, "installment_multiple"),
        ({"decimals": 9}, "decimals"),
        (
            {
                "rate_changes": (
                    RateChange(date(2025, 4, 1), D("0.04")),
                    RateChange(date(2025, 3, 1), D("0.035")),
                )
            },
            "rate_changes[1]",
        ),
        ({"rate_changes": (RateChange(date(2025, 1, 1), D("0.04")),)}, "rate_changes[0]"),
        ({"rate_changes": (RateChange(date(2026, 1, 1), D("0.04")),)}, "rate_changes[0]"),
        ({"method": Method.STEPPED}, "step_principal_percents"),
        (
            {"method": Method.STEPPED, "step_principal_percents": (D(50), D(40)) + (D(0),) * 4},
            "step_principal_percents",
        ),
        ({"due_dates": (date(2025, 3, 1), date(2025, 2, 1))}, "installments"),
        ({"installments": 0, "due_dates": (date(2025, 3, 1), date(2025, 2, 1))}, "due_dates"),
        (
            {
                "interest_basis": InterestBasis.PER_PERIOD,
                "interest_settlement": InterestSettlement(),
            },
            "interest_basis",
        ),
        ({"method": Method.BULLET, "grace_principal": 1}, "grace_principal"),
    ],
)
def test_bad_terms_name_the_term(kw, term):
    with pytest.raises(TermsError) as info:
        terms(**kw)
    assert info.value.term == term
    assert str(info.value).startswith(term + ":")


def test_frequency_parsing():
    assert Frequency.parse("monthly") == Frequency(FrequencyUnit.MONTH, 1)
    assert Frequency.parse("quarterly") == Frequency(FrequencyUnit.MONTH, 3)
    assert Frequency.parse("every-2-weeks") == Frequency(FrequencyUnit.WEEK, 2)
    assert Frequency.parse("every-10-days") == Frequency(FrequencyUnit.DAY, 10)
    assert Frequency.parse("every-1-month") == Frequency(FrequencyUnit.MONTH, 1)
    with pytest.raises(TermsError, match=r"^frequency:"):
        Frequency.parse("fortnightlyish")
    with pytest.raises(TermsError, match=r"^frequency:"):
        Frequency.parse("every-0-days")


def test_conventions_are_versioned_data():
    conv = conventions()
    assert conv.version
    assert conv.settlement_day == 20
    assert conv.default_interest_basis is InterestBasis.ACT_360
    assert build(terms()).conventions_version == conv.version


# -- the issue's example ---------------------------------------------------------------------


@pytest.mark.parametrize("basis", [InterestBasis.PER_PERIOD, InterestBasis.ACT_360])
def test_issue_example_first_row(basis):
    """5000 at 12 % over 18 months from 2022-11-01: 255.00 + 50.00 = 305.00, 4745.00 left,
    when the installment is rounded to whole yuan (the CLI default multiple of 1)."""
    s = build(
        Terms(
            principal=D(5000),
            annual_rate=D("0.12"),
            start=date(2022, 11, 1),
            installments=18,
            interest_basis=basis,
            installment_multiple=D(1),
        )
    )
    first = s.rows[0].to_dict()
    assert first == {
        "n": 1,
        "due_date": "2022-12-01",
        "days": 30,
        "principal": "255.00",
        "interest": "50.00",
        "payment": "305.00",
        "balance": "4745.00",
    }
    # Without the multiple the exact annuity is 304.91.
    exact = build(
        Terms(
            principal=D(5000),
            annual_rate=D("0.12"),
            start=date(2022, 11, 1),
            installments=18,
            interest_basis=InterestBasis.PER_PERIOD,
        )
    )
    assert exact.rows[0].payment == D("304.91")


# -- methods ---------------------------------------------------------------------------------


def test_equal_principal():
    s = build(terms(method=Method.EQUAL_PRINCIPAL))
    assert {r.principal for r in s.rows} == {D(200000)}
    assert s.rows[0].interest == D("4650.00")  # 1,200,000 × 4.5 % × 31 / 360


def test_equal_principal_last_absorbs_rounding():
    s = build(terms(principal=D(1000), installments=3, method=Method.EQUAL_PRINCIPAL))
    assert [r.principal for r in s.rows] == [D("333.33"), D("333.33"), D("333.34")]


def test_flat_interest_is_add_on():
    s = build(terms(method=Method.FLAT))
    # 1,200,000 × 4.5 % × 181 / 360 = 27,150 spread over 6 installments.
    assert s.totals.interest == D("27150.00")
    assert {r.interest for r in s.rows} == {D("4525.00")}
    assert s.annual_rate > D("0.08")  # add-on interest costs almost twice the quoted rate


def test_interest_only_then_balloon():
    s = build(terms(method=Method.INTEREST_ONLY))
    assert [r.principal for r in s.rows[:-1]] == [D("0.00")] * 5
    assert s.rows[-1].principal == D(1200000)
    assert s.rows[1].interest == D("4200.00")  # 28 days of February


def test_bullet_is_one_row():
    s = build(terms(method=Method.BULLET))
    assert len(s.rows) == 1
    row = s.rows[0]
    assert (row.due_date, row.days, row.principal, row.interest) == (
        date(2025, 7, 10),
        181,
        D(1200000),
        D("27150.00"),
    )


def test_stepped_principal_percentages():
    pct = (D(10), D(10), D(20), D(20), D(20), D(20))
    s = build(terms(method=Method.STEPPED, step_principal_percents=pct))
    assert [r.principal for r in s.rows] == [D(120000)] * 2 + [D(240000)] * 4


def test_stepped_payments():
    steps = (PaymentStep(3, D(100000)), PaymentStep(3, D(300000)))
    s = build(terms(method=Method.STEPPED, step_payments=steps))
    assert [r.payment for r in s.rows[:5]] == [D(100000)] * 3 + [D(300000)] * 2
    assert s.totals.principal == D(1200000)
    with pytest.raises(TermsError, match=r"^step_payments:"):
        build(terms(method=Method.STEPPED, step_payments=(PaymentStep(6, D(1000)),)))


# -- dates -----------------------------------------------------------------------------------


def test_broken_first_period_per_period_basis():
    s = build(terms(first_due=date(2025, 2, 20), interest_basis=InterestBasis.PER_PERIOD))
    # 41 days against a regular period of 31 (Jan 20 – Feb 20): 41/31 of a month.
    assert s.rows[0].days == 41
    assert s.rows[0].interest == D("5951.61")
    assert s.rows[1].interest == D("3761.53")  # a regular month: balance × 4.5 % ÷ 12
    assert [r.due_date.day for r in s.rows] == [20] * 6


def test_month_end_anchor_clamps():
    s = build(terms(start=date(2025, 1, 31), method=Method.EQUAL_PRINCIPAL))
    assert [r.due_date for r in s.rows][:3] == [
        date(2025, 2, 28),
        date(2025, 3, 28),
        date(2025, 4, 28),
    ]
    s = build(terms(start=date(2024, 12, 15), first_due=date(2025, 1, 31)))
    assert [r.due_date for r in s.rows][:3] == [
        date(2025, 1, 31),
        date(2025, 2, 28),
        date(2025, 3, 31),
    ]


def test_interest_settled_on_the_20th_principal_quarterly():
    """The usual Chinese corporate loan: interest on the 20th of each month (结息日),
    principal on its own quarterly dates; rows are the union."""
    s = build(
        terms(
            method=Method.EQUAL_PRINCIPAL,
            frequency=Frequency.parse("quarterly"),
            installments=4,
            interest_settlement=InterestSettlement.monthly(),
        )
    )
    dates = [r.due_date for r in s.rows]
    principal_dates = [date(2025, 4, 10), date(2025, 7, 10), date(2025, 10, 10), date(2026, 1, 10)]
    assert set(principal_dates) <= set(dates)
    assert {d for d in dates if d.day == 20} == {
        date(y, m, 20) for y, m in [(2025, m) for m in range(1, 13)]
    }
    assert len(dates) == 16
    # interest accrues only up to each row: the 10 days to Jan 20 on 1.2 million
    assert s.rows[0].interest == D("1500.00")
    # a principal date settles the interest accrued since the 20th on the old balance
    apr10 = next(r for r in s.rows if r.due_date == date(2025, 4, 10))
    assert (apr10.principal, apr10.interest) == (D(300000), D("3150.00"))
    assert s.totals.principal == D(1200000)


def test_interest_settled_quarterly_on_the_20th():
    s = build(
        terms(
            method=Method.INTEREST_ONLY,
            installments=1,
            frequency=Frequency.parse("every-12-months"),
            interest_settlement=InterestSettlement.quarterly(),
        )
    )
    assert [r.due_date for r in s.rows] == [
        date(2025, 3, 20),
        date(2025, 6, 20),
        date(2025, 9, 20),
        date(2025, 12, 20),
        date(2026, 1, 10),
    ]
    assert s.rows[0].interest == D("10350.00")  # 69 days × 1.2 m × 4.5 % / 360


def test_explicit_dates():
    dues = (date(2025, 5, 1), date(2025, 9, 1), date(2026, 1, 1))
    s = build(
        terms(
            installments=0,
            due_dates=dues,
            method=Method.EQUAL_PRINCIPAL,
            interest_dates=(date(2025, 3, 1), date(2025, 7, 1)),
        )
    )
    assert [r.due_date for r in s.rows] == sorted({*dues, date(2025, 3, 1), date(2025, 7, 1)})
    assert s.totals.principal == D(1200000)


# -- grace, rate changes, subsidy ------------------------------------------------------------


def test_principal_grace_then_annuity_over_the_remaining_periods():
    s = build(terms(grace_principal=2))
    assert [r.principal for r in s.rows[:2]] == [D("0.00"), D("0.00")]
    fresh = build(terms(start=date(2025, 3, 10), installments=4))
    assert s.rows[2].payment == fresh.rows[0].payment


def test_interest_grace_defers_and_collects():
    plain = build(terms(method=Method.EQUAL_PRINCIPAL))
    grace = build(terms(method=Method.EQUAL_PRINCIPAL, grace_interest=2))
    assert [r.interest for r in grace.rows[:2]] == [D("0.00"), D("0.00")]
    assert grace.rows[2].interest == sum(r.interest for r in plain.rows[:3])
    assert grace.totals.interest == plain.totals.interest


def test_interest_free_waives():
    plain = build(terms(method=Method.EQUAL_PRINCIPAL))
    free = build(terms(method=Method.EQUAL_PRINCIPAL, interest_free=2))
    assert [r.interest for r in free.rows[:2]] == [D("0.00"), D("0.00")]
    assert free.rows[2:] == plain.rows[2:]


def test_rate_change_reamortises_from_its_period():
    change = RateChange(date(2025, 3, 20), D("0.035"))
    s = build(terms(rate_changes=(change,)))
    before = build(terms())
    assert s.rows[:2] == before.rows[:2]
    # March 10 → April 10 mixes 10 days at 4.5 % and 21 at 3.5 % on 802,873.95.
    assert s.rows[2].interest == D("2642.79")
    new_level = s.rows[2].payment
    assert new_level != s.rows[0].payment
    assert all(r.payment == new_level for r in s.rows[3:-1])


def test_subsidy_share_splits_each_interest():
    s = build(terms(subsidy=Subsidy("科技局", share=D("0.5"))))
    for r in s.rows:
        assert r.subsidy is not None
        assert r.subsidy + r.borrower_interest == r.interest
        assert abs(r.subsidy - r.borrower_interest) <= D("0.01")
    assert s.to_dict()["subsidy_payer"] == "科技局"
    assert s.annual_rate < build(terms()).annual_rate


def test_subsidy_rate_points():
    s = build(terms(method=Method.EQUAL_PRINCIPAL, subsidy=Subsidy("gov", rate=D("0.02"))))
    assert s.rows[0].subsidy == D("2066.67")  # 1.2 m × 2 % × 31 / 360
    assert s.rows[0].borrower_interest == D("2583.33")
    capped = build(terms(method=Method.EQUAL_PRINCIPAL, subsidy=Subsidy("gov", rate=D("0.09"))))
    assert all(r.subsidy == r.interest for r in capped.rows)
    assert capped.annual_rate == D("0.000000")


def test_subsidy_until_a_date():
    s = build(
        terms(
            method=Method.EQUAL_PRINCIPAL,
            subsidy=Subsidy("gov", share=D(1), until=date(2025, 3, 10)),
        )
    )
    assert [r.subsidy == r.interest for r in s.rows] == [True, True] + [False] * 4
    assert all(r.subsidy == 0 for r in s.rows[2:])


# -- rounding and the annual rate ------------------------------------------------------------


def test_rounding_modes_and_multiple():
    up = build(terms(installment_multiple=D(100), rounding=Rounding.UP))
    assert up.rows[0].payment % 100 == 0
    assert up.totals.principal == D(1200000)
    half_even = build(
        terms(
            decimals=0,
            principal=D(1000),
            installments=3,
            method=Method.EQUAL_PRINCIPAL,
            rounding=Rounding.HALF_EVEN,
        )
    )
    assert [r.principal for r in half_even.rows] == [D(333), D(333), D(334)]


def test_annual_rate_is_effective_irr():
    s = build(
        terms(interest_basis=InterestBasis.PER_PERIOD, annual_rate=D("0.12"), installments=12)
    )
    # (1 + 1 %)^12 − 1 = 12.68 %, up to the actual-day spacing of the dates.
    assert abs(s.annual_rate - D("0.126825")) < D("0.002")
    flows = [(date(2025, 1, 1), D(100)), (date(2026, 1, 1), D(-110))]
    assert effective_annual_rate(flows) == D("0.100000")
