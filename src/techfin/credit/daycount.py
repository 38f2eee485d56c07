"""Interest bases (day-count conventions) for loan schedules and revolving lines.

Official-rules §7b: Chinese corporate loans accrue daily interest at the annual rate ÷ 360
(ACT/360) — the corporate default. The other bases are what peers and consumer products use:

- ``PER_PERIOD``: annual rate ÷ periods per year for every regular period, whatever the
  number of days (Fineract "same as repayment period", the textbook annuity);
- ``ACT_360``: actual days ÷ 360;
- ``ACT_365F``: actual days ÷ 365, leap years included (ISDA "Actual/365 (Fixed)");
- ``THIRTY_360``: 30/360 Bond Basis (ISDA 2006 §4.16(f)): a day 31 becomes 30 at the
  start, and at the end only when the start is on day 30 or 31.

All functions are pure and exact (``Decimal`` fractions, no floats).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum


class InterestBasis(StrEnum):
    """How a period's share of the annual rate is counted."""

    PER_PERIOD = "per-period"
    ACT_360 = "act-360"
    ACT_365F = "act-365f"
    THIRTY_360 = "30-360"

    @property
    def is_day_count(self) -> bool:
        return self is not InterestBasis.PER_PERIOD


def days_30_360(start: date, end: date) -> int:
    """Days between two dates under 30/360 Bond Basis (ISDA 2006 §4.16(f))."""
    d1 = min(start.day, 30)
    d2 = end.day
    if d2 == 31 and d1 == 30:
        d2 = 30
    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)


def basis_days(start: date, end: date, basis: InterestBasis) -> int:
    """Days counted by the basis between ``start`` (inclusive) and ``end`` (exclusive)."""
    if basis is InterestBasis.THIRTY_360:
        return days_30_360(start, end)
    return (end - start).days


def year_fraction(start: date, end: date, basis: InterestBasis) -> Decimal:
    """Fraction of a year between two dates for a day-count basis.

    ``PER_PERIOD`` has no year fraction of its own (it depends on the period length):
    use :func:`period_fraction`.
    """
    if basis is InterestBasis.ACT_360 or basis is InterestBasis.THIRTY_360:
        return Decimal(basis_days(start, end, basis)) / Decimal(360)
    if basis is InterestBasis.ACT_365F:
        return Decimal((end - start).days) / Decimal(365)
    raise ValueError("interest_basis: per-period has no year fraction; use period_fraction")


def period_fraction(
    start: date,
    end: date,
    basis: InterestBasis,
    periods_per_year: Decimal,
    regular_start: date | None = None,
) -> Decimal:
    """Fraction of a year for one schedule period [start, end).

    For ``PER_PERIOD`` a regular period is exactly ``1 / periods_per_year``. A broken period
    (``start`` differs from ``regular_start``, the date one regular period before ``end``)
    is pro-rated by actual days against that regular period: a first period of 45 days
    where the regular one has 30 counts 1.5 periods.
    """
    if basis.is_day_count:
        return year_fraction(start, end, basis)
    if periods_per_year <= 0:
        raise ValueError("periods_per_year: must be positive for the per-period basis")
    one = Decimal(1) / periods_per_year
    if regular_start is None or regular_start == start:
        return one
    regular_days = (end - regular_start).days
    if regular_days <= 0:
        raise ValueError("regular_start: must be before the period end")
    return one * Decimal((end - start).days) / Decimal(regular_days)


def add_months(anchor: date, months: int, day: int | None = None) -> date:
    """``anchor`` moved by ``months`` calendar months, keeping ``day`` (default the
    anchor's day) and clamping to the month's last day (Jan 31 + 1 month = Feb 28/29)."""
    total = anchor.year * 12 + (anchor.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    want = anchor.day if day is None else day
    return date(year, month, min(want, calendar.monthrange(year, month)[1]))


def add_days(anchor: date, days: int) -> date:
    return anchor + timedelta(days=days)
