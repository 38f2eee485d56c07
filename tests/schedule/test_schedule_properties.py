"""Property tests of the schedule engine (hypothesis, profiles from tests/conftest.py)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import assume, given
from hypothesis import strategies as st

from techfin.credit.daycount import InterestBasis, basis_days
from techfin.credit.schedule import (
    Frequency,
    FrequencyUnit,
    InterestSettlement,
    Method,
    RateChange,
    Subsidy,
    Terms,
    build,
)
from techfin.money import ZERO, Rounding, quantize

D = Decimal

frequencies = st.sampled_from(
    [
        Frequency(FrequencyUnit.MONTH, 1),
        Frequency(FrequencyUnit.MONTH, 3),
        Frequency(FrequencyUnit.WEEK, 2),
        Frequency(FrequencyUnit.DAY, 30),
    ]
)


@st.composite
def terms(draw, plain: bool = False, method: Method | None = None) -> Terms:
    decimals = draw(st.sampled_from([0, 2]))
    unit = D(1).scaleb(-decimals)
    principal = D(draw(st.integers(1_000, 50_000_000))) * unit * 100
    rate = D(draw(st.integers(0, 2400))) / D(10000)
    n = draw(st.integers(1, 60))
    start = date(2020, 1, 1) + timedelta(days=draw(st.integers(0, 2500)))
    freq = draw(frequencies)
    basis = draw(st.sampled_from(list(InterestBasis)))
    chosen = method or draw(
        st.sampled_from(
            [
                Method.ANNUITY,
                Method.EQUAL_PRINCIPAL,
                Method.FLAT,
                Method.INTEREST_ONLY,
                Method.BULLET,
            ]
        )
    )
    first_due = None
    if draw(st.booleans()):
        # A short broken first period (a long one can cost more interest than the level
        # installment of a long loan: that row then pays interest only; tested elsewhere).
        regular = (freq.step(start, 1) - start).days
        first_due = start + timedelta(days=draw(st.integers(1, regular)))
    kwargs: dict = {}
    if not plain and n > 1:
        if chosen not in (Method.INTEREST_ONLY, Method.BULLET):
            kwargs["grace_principal"] = draw(st.integers(0, n - 1))
        kwargs["grace_interest"] = draw(st.integers(0, n - 1))
        kwargs["interest_free"] = draw(st.integers(0, min(2, n - 1)))
    if not plain and draw(st.booleans()):
        kwargs["subsidy"] = Subsidy("gov", share=D(draw(st.integers(1, 100))) / 100)
    if draw(st.booleans()):
        kwargs["installment_multiple"] = draw(st.sampled_from([D(1), D(10)]))
    t = Terms(
        principal=principal,
        annual_rate=rate,
        start=start,
        installments=n,
        method=chosen,
        frequency=freq,
        first_due=first_due,
        interest_basis=basis,
        rounding=draw(st.sampled_from([Rounding.HALF_EVEN, Rounding.HALF_UP, Rounding.UP])),
        decimals=decimals,
        **kwargs,
    )
    if not plain and chosen is not Method.FLAT and basis.is_day_count and draw(st.booleans()):
        dates = t.principal_dates()
        if dates[-1] - start > timedelta(days=2):
            eff = start + timedelta(days=draw(st.integers(1, (dates[-1] - start).days - 1)))
            new = D(draw(st.integers(0, 2400))) / D(10000)
            settle = draw(st.sampled_from([None, InterestSettlement.monthly()]))
            t = Terms(
                **{
                    **t.__dict__,
                    "rate_changes": (RateChange(eff, new),),
                    "interest_settlement": settle,
                }
            )
    return t


@given(terms())
def test_principal_repays_exactly_and_balance_never_negative(t: Terms):
    s = build(t)
    assert sum((r.principal for r in s.rows), ZERO) == t.principal
    assert s.rows[-1].balance == 0
    balance = t.principal
    for r in s.rows:
        assert r.principal >= 0 and r.interest >= 0
        assert r.payment == r.principal + r.interest
        balance -= r.principal
        assert r.balance == balance
        assert r.balance >= 0
        if r.subsidy is not None:
            assert 0 <= r.subsidy <= r.interest
    assert [r.due_date for r in s.rows] == sorted({r.due_date for r in s.rows})
    assert s.totals.principal == t.principal


@given(terms(plain=True, method=Method.ANNUITY))
def test_annuity_payments_equal_within_rounding(t: Terms):
    # A multiple coarse against the installment repays early (rows of zero): not a level plan.
    multiple = t.installment_multiple or 0
    assume(multiple * t.installments * t.installments * 2 <= t.principal)
    s = build(t)
    payments = [r.payment for r in s.rows]
    level = payments[0]
    assert all(p == level for p in payments[:-1])
    unit = t.installment_multiple or D(1).scaleb(-t.decimals)
    # The last row absorbs the rounding of the level amount (≤ one unit per row) and of each
    # row's interest (half a unit), compounded by the periodic rate.
    growth = (1 + float(t.annual_rate) * 120 / 365) ** len(payments)  # ≥ any period's factor
    step = float(unit) + float(D(1).scaleb(-t.decimals))
    bound = step * len(payments) * growth
    assert abs(float(payments[-1] - level)) <= bound


def _expected_interest(t: Terms, s, i: int) -> Decimal:
    row = s.rows[i]
    prev_date = t.start if i == 0 else s.rows[i - 1].due_date
    balance = t.principal if i == 0 else s.rows[i - 1].balance
    if t.interest_basis is InterestBasis.PER_PERIOD:
        if t.method is Method.BULLET:
            return None  # spans several periods; checked by the engine's own pro-rating
        frac = 1 / Fraction(t.ppy)
        if i == 0 and t.first_due is not None:
            regular = t.frequency.step(t.first_due, -1)
            frac *= Fraction((row.due_date - prev_date).days, (row.due_date - regular).days)
    else:
        days = basis_days(prev_date, row.due_date, t.interest_basis)
        frac = Fraction(days, 365 if t.interest_basis is InterestBasis.ACT_365F else 360)
    exact = Fraction(balance) * Fraction(t.annual_rate) * frac
    return quantize(D(exact.numerator) / D(exact.denominator), t.decimals, t.rounding)


@given(
    terms(
        plain=True,
        method=None,
    )
)
def test_interest_equals_the_basis_formula_per_row(t: Terms):
    assume(t.method is not Method.FLAT)
    s = build(t)
    for i, row in enumerate(s.rows):
        expected = _expected_interest(t, s, i)
        if expected is not None:
            assert row.interest == expected, (i, row)
