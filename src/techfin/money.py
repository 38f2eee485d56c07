"""Money and rates: the one place that decides how amounts are rounded.

Money is `Decimal` in yuan. Official rules often speak in 万元 (ten thousand yuan); convert at
the boundary of the domain function that needs it with `wan_to_yuan` / `yuan_to_wan`.
Rates are annual `Decimal` fractions (0.0435 = 4.35 %) unless a name says `percent`.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from enum import StrEnum
from typing import Final

CENT: Final = Decimal("0.01")
WAN: Final = Decimal(10000)
ZERO: Final = Decimal(0)


class Rounding(StrEnum):
    """Rounding modes a product may choose."""

    HALF_EVEN = "half-even"
    HALF_UP = "half-up"
    UP = "up"
    DOWN = "down"

    @property
    def decimal_mode(self) -> str:
        return {
            Rounding.HALF_EVEN: decimal.ROUND_HALF_EVEN,
            Rounding.HALF_UP: decimal.ROUND_HALF_UP,
            Rounding.UP: decimal.ROUND_UP,
            Rounding.DOWN: decimal.ROUND_DOWN,
        }[self]


def to_decimal(value: object, field: str = "value") -> Decimal:
    """Convert str/int/Decimal to Decimal; refuse floats and non-finite values.

    Floats are refused because a binary fraction is never the amount a person meant.
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise ValueError(f"{field}: expected a number, got a boolean")
    elif isinstance(value, int | str):
        try:
            result = Decimal(str(value).strip().replace(",", ""))
        except decimal.InvalidOperation as exc:
            raise ValueError(f"{field}: not a number: {value!r}") from exc
    else:
        raise ValueError(f"{field}: expected Decimal, int or str, got {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"{field}: must be finite, got {value!r}")
    return result


def quantize(amount: Decimal, decimals: int = 2, rounding: Rounding = Rounding.HALF_UP) -> Decimal:
    """Round `amount` to `decimals` places with the given mode."""
    exponent = Decimal(1).scaleb(-decimals)
    return amount.quantize(exponent, rounding=rounding.decimal_mode)


def round_to_multiple(amount: Decimal, multiple: Decimal, rounding: Rounding) -> Decimal:
    """Round `amount` to a multiple of `multiple` (e.g. an installment to whole yuan)."""
    if multiple <= 0:
        raise ValueError("multiple: must be positive")
    units = (amount / multiple).quantize(Decimal(1), rounding=rounding.decimal_mode)
    return units * multiple


def cents(amount: Decimal) -> Decimal:
    """Round to the fen, half-up (the usual default for a single displayed amount)."""
    return quantize(amount, 2, Rounding.HALF_UP)


def wan_to_yuan(amount_wan: Decimal) -> Decimal:
    return amount_wan * WAN


def yuan_to_wan(amount_yuan: Decimal) -> Decimal:
    return amount_yuan / WAN
