"""Disposal of pledged IP on default, and the recovery rate kept for LGD (guidance art. 15).

Official-rules §11: by agreement with the pledgor (sale at an agreed price, including through
an IP exchange or acquisition by an IP operation fund), or through the court — a judicial
auction starts at no less than 70 % of the valuation, and each further round is at most 20 %
lower. The ratios are policy data (`disposal_policy.yaml`). Proceeds are applied costs →
interest → principal (Civil Code art. 561) unless the contract says otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Any

from techfin.ip._data import load
from techfin.money import Rounding, quantize, to_decimal

ZERO = Decimal(0)


class DisposalRoute(StrEnum):
    AGREED_PRICE = "agreed_price"  # negotiated sale with the pledgor
    IP_EXCHANGE = "ip_exchange"  # through an IP exchange
    OPERATION_FUND = "operation_fund"  # acquisition by an IP operation fund
    JUDICIAL_AUCTION = "judicial_auction"


@dataclass(frozen=True, slots=True)
class DisposalPolicy:
    version: str
    source: str
    effective_from: date
    auction_start_min_ratio: Decimal
    round_max_reduction: Decimal
    max_auction_rounds: int


@cache
def disposal_policy() -> DisposalPolicy:
    raw = load("disposal_policy.yaml")
    return DisposalPolicy(
        version=str(raw["version"]),
        source=str(raw["source"]).strip(),
        effective_from=raw["effective_from"],
        auction_start_min_ratio=to_decimal(raw["auction_start_min_ratio"]),
        round_max_reduction=to_decimal(raw["round_max_reduction"]),
        max_auction_rounds=int(raw["max_auction_rounds"]),
    )


def minimum_starting_price(valuation: Decimal, policy: DisposalPolicy | None = None) -> Decimal:
    """Lowest lawful first-round reserve: valuation × 70 %, rounded up to 0.01."""
    policy = policy or disposal_policy()
    return quantize(valuation * policy.auction_start_min_ratio, 2, Rounding.UP)


def minimum_next_reserve(previous: Decimal, policy: DisposalPolicy | None = None) -> Decimal:
    """Lowest lawful reserve for the next round: previous × (1 − 20 %), rounded up to 0.01."""
    policy = policy or disposal_policy()
    return quantize(previous * (1 - policy.round_max_reduction), 2, Rounding.UP)


@dataclass(frozen=True, slots=True)
class AuctionRound:
    round: int
    reserve: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {"round": self.round, "reserve": str(self.reserve)}


def auction_plan(
    valuation: Decimal,
    *,
    start_ratio: Decimal | None = None,
    reduction: Decimal | None = None,
    rounds: int | None = None,
    policy: DisposalPolicy | None = None,
) -> tuple[AuctionRound, ...]:
    """Reserves for each round: start at `start_ratio` × valuation (default: the minimum),
    then lower by `reduction` each round (default: the maximum). Refuses unlawful settings."""
    policy = policy or disposal_policy()
    start_ratio = policy.auction_start_min_ratio if start_ratio is None else start_ratio
    reduction = policy.round_max_reduction if reduction is None else reduction
    rounds = policy.max_auction_rounds if rounds is None else rounds
    if start_ratio < policy.auction_start_min_ratio:
        raise ValueError(f"start_ratio: at least {policy.auction_start_min_ratio} of the valuation")
    if not ZERO <= reduction <= policy.round_max_reduction:
        raise ValueError(f"reduction: between 0 and {policy.round_max_reduction}")
    if rounds < 1:
        raise ValueError("rounds: at least 1")
    reserve = quantize(valuation * start_ratio, 2, Rounding.UP)
    plan = [AuctionRound(1, reserve)]
    for n in range(2, rounds + 1):
        reserve = quantize(reserve * (1 - reduction), 2, Rounding.UP)
        plan.append(AuctionRound(n, reserve))
    return tuple(plan)


def auction_violations(
    valuation: Decimal, reserves: Sequence[Decimal], policy: DisposalPolicy | None = None
) -> tuple[str, ...]:
    """Why a proposed sequence of reserves breaks the auction rules (empty: lawful)."""
    policy = policy or disposal_policy()
    out: list[str] = []
    if not reserves:
        return ("no rounds",)
    if reserves[0] < valuation * policy.auction_start_min_ratio:
        out.append(
            f"round 1 reserve {reserves[0]} below {policy.auction_start_min_ratio} × "
            f"valuation {valuation}"
        )
    for i in range(1, len(reserves)):
        floor = reserves[i - 1] * (1 - policy.round_max_reduction)
        if reserves[i] < floor:
            out.append(
                f"round {i + 1} reserve {reserves[i]} more than "
                f"{policy.round_max_reduction} below round {i} ({reserves[i - 1]})"
            )
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Allocation:
    """How disposal proceeds settle a defaulted loan."""

    proceeds: Decimal
    costs: Decimal
    interest: Decimal
    principal: Decimal
    surplus: Decimal  # returned to the pledgor
    shortfall: Decimal  # still owed after the proceeds

    def to_dict(self) -> dict[str, str]:
        return {k: str(getattr(self, k)) for k in self.__dataclass_fields__}


def apply_proceeds(
    proceeds: Decimal, *, costs: Decimal, interest: Decimal, principal: Decimal
) -> Allocation:
    """Apply proceeds to costs, then interest, then principal (Civil Code art. 561)."""
    if min(proceeds, costs, interest, principal) < 0:
        raise ValueError("amounts must not be negative")
    left = proceeds
    paid = []
    for owed in (costs, interest, principal):
        part = min(left, owed)
        paid.append(part)
        left -= part
    owed_total = costs + interest + principal
    return Allocation(
        proceeds=proceeds,
        costs=paid[0],
        interest=paid[1],
        principal=paid[2],
        surplus=left,
        shortfall=owed_total - sum(paid, ZERO),
    )


def recovery_rate(exposure: Decimal, recovered: Decimal, costs: Decimal = ZERO) -> Decimal:
    """(recovered − costs) ÷ exposure at default, to 4 places, floored at 0 (1 − LGD)."""
    if exposure <= 0:
        raise ValueError("exposure: must be positive")
    return quantize(max(ZERO, recovered - costs) / exposure, 4, Rounding.HALF_UP)


@dataclass(frozen=True, slots=True)
class DisposalOutcome:
    """A finished disposal: route, sold or unsold, price, costs and the recovery it gave."""

    route: DisposalRoute
    sold: bool
    price: Decimal
    costs: Decimal
    exposure: Decimal
    recovery_rate: Decimal
    rounds: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "route": self.route.value,
            "sold": self.sold,
            "price": str(self.price),
            "costs": str(self.costs),
            "exposure": str(self.exposure),
            "recovery_rate": str(self.recovery_rate),
            "rounds": self.rounds,
        }


def disposal_outcome(
    route: DisposalRoute,
    *,
    sold: bool,
    price: Decimal,
    costs: Decimal,
    exposure: Decimal,
    rounds: int = 1,
) -> DisposalOutcome:
    """Record a disposal; an unsold disposal recovers nothing (its costs remain a loss)."""
    recovered = price if sold else ZERO
    return DisposalOutcome(
        route=route,
        sold=sold,
        price=price if sold else ZERO,
        costs=costs,
        exposure=exposure,
        recovery_rate=recovery_rate(exposure, recovered, costs),
        rounds=rounds,
    )
