"""Daily interest accrual, penalty and compound interest, and payment allocation (pure).

The pure part of issue 9 item 1 (official-rules §7b):

- **Daily accrual with cumulative rounding.** The accrued interest up to day k is rounded once,
  and each day's accrual is the difference of two rounded cumulative amounts, so the days of a
  period add up exactly to the period's interest (the schedule's figure) — no drift of a fen.
- **Penalty interest (罚息)** on overdue principal at the contract rate plus a markup of 30–50 %
  (the product says which), and **compound interest (复利)** on unpaid interest at the rate the
  contract sets (usually the penalty rate), both accrued per day on the interest basis.
- **Allocation** of a payment: costs → interest → principal (Civil Code art. 561) unless the
  contract agrees another order; within interest, penalty and compound interest come before
  ordinary interest by default (a bank choice; pass ``order`` to change it).

Day counts come from the schedule engine's `techfin.credit.daycount`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from techfin.credit.daycount import InterestBasis, basis_days
from techfin.money import ZERO, Rounding, quantize, to_decimal

__all__ = [
    "DEFAULT_ALLOCATION_ORDER",
    "PENALTY_MARKUP_MAX",
    "PENALTY_MARKUP_MIN",
    "Allocation",
    "DailyAccrual",
    "accrue_balance",
    "accrue_period",
    "allocate_payment",
    "compound_interest",
    "penalty_interest",
    "penalty_rate",
]

PENALTY_MARKUP_MIN = Decimal("0.30")
PENALTY_MARKUP_MAX = Decimal("0.50")
_YEAR_DAYS = {
    InterestBasis.ACT_360: Decimal(360),
    InterestBasis.THIRTY_360: Decimal(360),
    InterestBasis.ACT_365F: Decimal(365),
}
DEFAULT_ALLOCATION_ORDER: tuple[str, ...] = (
    "costs",
    "penalty_interest",
    "compound_interest",
    "interest",
    "principal",
)


@dataclass(frozen=True)
class DailyAccrual:
    """Interest for one day (`on`, the day accrued for) and the cumulative amount to date."""

    on: dt.date
    amount: Decimal
    cumulative: Decimal


def _days(start: dt.date, end: dt.date) -> int:
    n = (end - start).days
    if n <= 0:
        raise ValueError("end: must be after start")
    return n


def accrue_period(
    *,
    start: dt.date,
    end: dt.date,
    period_interest: Decimal,
    decimals: int = 2,
    rounding: Rounding = Rounding.HALF_UP,
    weights: Sequence[Decimal] | None = None,
) -> list[DailyAccrual]:
    """Spread a period's interest (from the schedule) over its days [start, end).

    Cumulative through day k = round(period_interest × k ÷ days); the last cumulative equals
    `period_interest` exactly, so the daily amounts sum to it. ``weights`` (one per day, none
    negative, not all zero) spread it in proportion instead — the rate in force each day when
    the rate changes inside the period, so that each day accrues at its own rate: cumulative
    through day k = round(period_interest × (w₁ + … + w_k) ÷ (w₁ + … + w_n)).
    """
    total = to_decimal(period_interest, "period_interest")
    if quantize(total, decimals, rounding) != total:
        raise ValueError(f"period_interest: {total} has more than {decimals} decimals")
    n = _days(start, end)
    if weights is not None:
        if len(weights) != n:
            raise ValueError(f"weights: {len(weights)} values for {n} days")
        if any(w < 0 for w in weights) or not any(w > 0 for w in weights):
            raise ValueError("weights: none may be negative and not all zero")
    out: list[DailyAccrual] = []
    previous = ZERO
    running = ZERO
    whole = sum(weights, ZERO) if weights is not None else Decimal(n)
    with localcontext() as ctx:
        ctx.prec = 60  # the ratio stays exact enough that only the final rounding counts
        for k in range(1, n + 1):
            running += weights[k - 1] if weights is not None else 1
            cumulative = quantize(total * running / whole, decimals, rounding)
            out.append(
                DailyAccrual(start + dt.timedelta(days=k - 1), cumulative - previous, cumulative)
            )
            previous = cumulative
    return out


def accrue_balance(
    *,
    balance: Decimal,
    annual_rate: Decimal,
    start: dt.date,
    end: dt.date,
    basis: InterestBasis = InterestBasis.ACT_360,
    decimals: int = 2,
    rounding: Rounding = Rounding.HALF_UP,
) -> list[DailyAccrual]:
    """Accrue interest on a constant balance day by day under a day-count basis.

    Cumulative through day k = round(balance × rate × counted days ÷ year days) (360 for
    ACT/360 and 30/360, 365 for ACT/365F, days counted as `daycount.basis_days`); the sum equals
    the interest of the whole span computed in one go.
    """
    bal = to_decimal(balance, "balance")
    rate = to_decimal(annual_rate, "annual_rate")
    if bal < 0:
        raise ValueError("balance: must not be negative")
    if rate < 0:
        raise ValueError("annual_rate: must not be negative")
    if not basis.is_day_count:
        raise ValueError("basis: daily accrual needs a day-count basis (not per-period)")
    n = _days(start, end)
    # Multiply before dividing: balance × rate × days ÷ year-days, so a cumulative amount that
    # sits exactly on a half fen rounds as the exact value does (days ÷ 360 is not exact).
    year_days = _YEAR_DAYS[basis]
    numerator = bal * rate
    out: list[DailyAccrual] = []
    previous = ZERO
    for k in range(1, n + 1):
        day_end = start + dt.timedelta(days=k)
        counted = k if basis is not InterestBasis.THIRTY_360 else basis_days(start, day_end, basis)
        cumulative = quantize(numerator * counted / year_days, decimals, rounding)
        out.append(DailyAccrual(day_end - dt.timedelta(days=1), cumulative - previous, cumulative))
        previous = cumulative
    return out


def penalty_rate(contract_rate: Decimal, markup: Decimal) -> Decimal:
    """Contract rate × (1 + markup), the markup between 30 % and 50 % (product data)."""
    rate = to_decimal(contract_rate, "contract_rate")
    m = to_decimal(markup, "markup")
    if not PENALTY_MARKUP_MIN <= m <= PENALTY_MARKUP_MAX:
        raise ValueError(
            f"markup: penalty markup must be between {PENALTY_MARKUP_MIN} and "
            f"{PENALTY_MARKUP_MAX}, got {m}"
        )
    if rate <= 0:
        raise ValueError("contract_rate: must be positive")
    return rate * (1 + m)


def penalty_interest(
    *,
    overdue_principal: Decimal,
    contract_rate: Decimal,
    markup: Decimal,
    start: dt.date,
    end: dt.date,
    basis: InterestBasis = InterestBasis.ACT_360,
    decimals: int = 2,
    rounding: Rounding = Rounding.HALF_UP,
) -> list[DailyAccrual]:
    """Penalty interest (罚息) per day on overdue principal from `start` (first overdue day)."""
    return accrue_balance(
        balance=overdue_principal,
        annual_rate=penalty_rate(contract_rate, markup),
        start=start,
        end=end,
        basis=basis,
        decimals=decimals,
        rounding=rounding,
    )


def compound_interest(
    *,
    unpaid_interest: Decimal,
    rate: Decimal,
    start: dt.date,
    end: dt.date,
    basis: InterestBasis = InterestBasis.ACT_360,
    decimals: int = 2,
    rounding: Rounding = Rounding.HALF_UP,
) -> list[DailyAccrual]:
    """Compound interest (复利) per day on unpaid interest at `rate` (as the contract sets)."""
    return accrue_balance(
        balance=unpaid_interest,
        annual_rate=rate,
        start=start,
        end=end,
        basis=basis,
        decimals=decimals,
        rounding=rounding,
    )


@dataclass(frozen=True)
class Allocation:
    """How a payment was applied: amount per bucket in order applied, and any excess."""

    applied: tuple[tuple[str, Decimal], ...]
    unapplied: Decimal

    def amount(self, bucket: str) -> Decimal:
        for name, value in self.applied:
            if name == bucket:
                return value
        return ZERO


def allocate_payment(
    payment: Decimal,
    due: Mapping[str, Decimal],
    *,
    order: Sequence[str] = DEFAULT_ALLOCATION_ORDER,
) -> Allocation:
    """Apply a payment to the amounts due, bucket by bucket in `order`.

    Default: costs → penalty interest → compound interest → interest → principal (Civil Code
    art. 561: costs, then interest, then principal, unless agreed otherwise). `due` names
    buckets from `order`; a missing bucket is zero. What is left after every bucket is
    returned as `unapplied` (the service decides: prepayment or refund).
    """
    pay = to_decimal(payment, "payment")
    if pay < 0:
        raise ValueError("payment: must not be negative")
    if len(set(order)) != len(order):
        raise ValueError("order: a bucket appears twice")
    unknown = sorted(set(due) - set(order))
    if unknown:
        raise ValueError(f"due: unknown bucket(s) {', '.join(unknown)} (order is {list(order)})")
    remaining = pay
    applied: list[tuple[str, Decimal]] = []
    for bucket in order:
        owed = to_decimal(due.get(bucket, ZERO), bucket)
        if owed < 0:
            raise ValueError(f"{bucket}: amount due must not be negative")
        take = min(owed, remaining)
        applied.append((bucket, take))
        remaining -= take
    return Allocation(tuple(applied), remaining)
