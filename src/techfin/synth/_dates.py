"""Vectorised calendar arithmetic on days since 1970-01-01 (int64 arrays)."""

from __future__ import annotations

from datetime import date

import numpy as np

EPOCH = date(1970, 1, 1)


def to_days(d: date) -> int:
    return (d - EPOCH).days


def from_days(days: int) -> date:
    return date.fromordinal(EPOCH.toordinal() + int(days))


def civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) of days since 1970-01-01 (H. Hinnant's integer algorithm)."""
    z = np.asarray(days, dtype=np.int64) + 719468
    era = np.floor_divide(z, 146097)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = np.where(mp < 10, mp + 3, mp - 9)
    y = yoe + era * 400 + (m <= 2)
    return y, m, d


def days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of (year, month, day) arrays."""
    m = np.asarray(month, dtype=np.int64)
    y = np.asarray(year, dtype=np.int64) - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * np.where(m > 2, m - 3, m + 9) + 2) // 5 + np.asarray(day, dtype=np.int64) - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return np.asarray(era * 146097 + doe - 719468)


def year_of(days: np.ndarray) -> np.ndarray:
    return civil(days)[0]


def month_of(days: np.ndarray) -> np.ndarray:
    """Month 1–12."""
    return civil(days)[1]


def add_months(days: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """Same day of month `months` later, clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    y, m, d = civil(days)
    total = y * 12 + (m - 1) + np.asarray(months, dtype=np.int64)
    ty, tm = np.floor_divide(total, 12), total % 12 + 1
    first = days_from_civil(ty, tm, np.ones_like(ty))
    nxt = total + 1
    length = days_from_civil(np.floor_divide(nxt, 12), nxt % 12 + 1, np.ones_like(ty)) - first
    return np.asarray(first + np.minimum(d, length) - 1)


def add_years(days: np.ndarray, years: np.ndarray | int) -> np.ndarray:
    """Same month and day `years` later (29 Feb → 28 Feb in a common year)."""
    y, m, d = civil(days)
    ty = y + np.asarray(years, dtype=np.int64)
    leap = (ty % 4 == 0) & ((ty % 100 != 0) | (ty % 400 == 0))
    d = np.where((m == 2) & (d == 29) & ~leap, 28, d)
    return days_from_civil(ty, m, d)


def ymd(year: np.ndarray | int, month: int, day: int) -> np.ndarray:
    """Days of (year, month, day) for an array of years."""
    y = np.asarray(year, dtype=np.int64)
    return days_from_civil(y, np.full_like(y, month), np.full_like(y, day))


def window(rng: np.random.Generator, years: np.ndarray, start: str, end: str) -> np.ndarray:
    """A uniformly random day between `start` and `end` ("MM-DD") of each year."""
    sm, sd = (int(x) for x in start.split("-"))
    em, ed = (int(x) for x in end.split("-"))
    lo = ymd(years, sm, sd)
    hi = ymd(years, em, ed)
    return np.asarray(lo + np.floor(rng.random(len(years)) * (hi - lo + 1)).astype(np.int64))


def quarter_end(year: int, quarter: int) -> int:
    """Days of the last day of a calendar quarter."""
    nxt = date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1)
    return to_days(nxt) - 1
