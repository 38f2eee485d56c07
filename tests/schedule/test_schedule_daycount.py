from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from techfin.credit.daycount import (
    InterestBasis,
    add_months,
    basis_days,
    days_30_360,
    period_fraction,
    year_fraction,
)


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (date(2024, 1, 1), date(2024, 2, 1), 30),
        (date(2024, 1, 31), date(2024, 2, 29), 29),  # D1 31 → 30; Feb 29 stays
        (date(2024, 1, 30), date(2024, 3, 31), 60),  # D2 31 → 30 because D1 is 30
        (date(2024, 1, 15), date(2024, 3, 31), 76),  # D2 31 kept because D1 < 30
        (date(2024, 1, 1), date(2025, 1, 1), 360),
    ],
)
def test_thirty_360_bond_basis(start, end, days):
    assert days_30_360(start, end) == days
    assert basis_days(start, end, InterestBasis.THIRTY_360) == days


def test_year_fractions():
    a, b = date(2024, 2, 1), date(2024, 3, 1)
    assert year_fraction(a, b, InterestBasis.ACT_360) == Decimal(29) / 360
    assert year_fraction(a, b, InterestBasis.ACT_365F) == Decimal(29) / 365
    assert year_fraction(a, b, InterestBasis.THIRTY_360) == Decimal(30) / 360
    with pytest.raises(ValueError, match="per-period"):
        year_fraction(a, b, InterestBasis.PER_PERIOD)


def test_period_fraction_per_period_and_broken():
    ppy = Decimal(12)
    one = Decimal(1) / ppy
    assert period_fraction(date(2024, 1, 1), date(2024, 2, 1), InterestBasis.PER_PERIOD, ppy) == one
    broken = period_fraction(
        date(2024, 1, 10), date(2024, 3, 1), InterestBasis.PER_PERIOD, ppy, date(2024, 2, 1)
    )
    assert broken == one * 51 / 29


def test_add_months_clamps_to_month_end():
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert add_months(date(2025, 3, 31), -1) == date(2025, 2, 28)
    assert add_months(date(2025, 2, 28), 1, day=31) == date(2025, 3, 31)
