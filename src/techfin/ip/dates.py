"""Calendar arithmetic for patent periods.

Periods counted in years or months end on the corresponding day of the last month; when that
month has no such day (29 February, 31st) the period ends on the month's last day
(专利法实施细则, time limits). Holiday roll-forward is not applied (no holiday calendar here).
"""

from __future__ import annotations

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months, clamped to the last day of the target month."""
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def add_years(day: date, years: int) -> date:
    """`day` plus `years` years (29 February → 28 February in common years)."""
    return add_months(day, 12 * years)


def full_years_between(start: date, end: date) -> int:
    """Number of whole years n with add_years(start, n) ≤ end (negative if end < start)."""
    n = end.year - start.year
    if add_years(start, n) > end:
        n -= 1
    return n


def full_months_between(start: date, end: date) -> int:
    """Number of whole months n with add_months(start, n) ≤ end (0 when end ≤ start)."""
    if end <= start:
        return 0
    n = (end.year - start.year) * 12 + (end.month - start.month)
    while n > 0 and add_months(start, n) > end:
        n -= 1
    return n
