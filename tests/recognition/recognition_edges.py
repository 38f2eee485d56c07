"""Helpers for band-edge tests: at every edge and one unit either side.

The expected points come from the test's own copy of the official table (not from the data
files), so a typo in a data file fails a test."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

RATIO_UNIT = Decimal("0.0001")  # 0.01 percentage point
MONEY_UNIT = Decimal("0.01")  # 0.01 万元 = 100 yuan

Table = Sequence[tuple[Decimal | int, int]]


def at_least_edges(
    table: Table, floor_points: int, unit: Decimal | int
) -> list[tuple[Decimal | int, int]]:
    """`table` lists (threshold, points) from the highest threshold down ("≥ threshold");
    below the last threshold the points are `floor_points`. Returns (value, expected)."""

    def expected(v: Decimal | int) -> int:
        return next((pts for t, pts in table if v >= t), floor_points)

    values = sorted({v for t, _ in table for v in (t - unit, t, t + unit)})
    return [(v, expected(v)) for v in values]


def at_most_edges(
    table: Table, ceiling_points: int, unit: Decimal | int
) -> list[tuple[Decimal | int, int]]:
    """`table` lists (ceiling, points) from the lowest ceiling up ("≤ ceiling"); above the
    last ceiling the points are `ceiling_points`."""

    def expected(v: Decimal | int) -> int:
        return next((pts for t, pts in table if v <= t), ceiling_points)

    values = sorted({v for t, _ in table for v in (t - unit, t, t + unit)})
    return [(v, expected(v)) for v in values]
