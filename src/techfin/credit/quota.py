"""The separate tech credit quota (单列信贷规模) per branch and period: usage, headroom, and
what happens when a loan would exceed it.

Implements the pure part of issue 7 item 7 (guidance art. 10; official-rules §7b): head office
gives each branch a ring-fenced amount for tech lending per period. A loan that fits is counted
against it; a loan that would exceed it **raises a quota request to head office — never a
rejection**: the quota protects tech lending and is no reason to turn a tech borrower away. The
request's approval workflow and persistence belong to the service layer.

Usage is the sum of amounts counted against the quota in the period (drawdowns or commitments,
as the bank's policy says; a negative use releases quota, e.g. a cancelled commitment).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from techfin.money import ZERO, Rounding, quantize, round_to_multiple, to_decimal

__all__ = [
    "QuotaAction",
    "QuotaDecision",
    "QuotaIncrease",
    "QuotaRequest",
    "QuotaStatus",
    "QuotaUse",
    "TechCreditQuota",
    "check_loan_against_quota",
    "quota_status",
]

DEFAULT_LOW_THRESHOLD = Decimal("0.90")


@dataclass(frozen=True)
class TechCreditQuota:
    """The quota of one branch for one period (both dates inclusive), in yuan."""

    branch: str
    period_start: dt.date
    period_end: dt.date
    amount: Decimal

    def __post_init__(self) -> None:
        if self.period_end < self.period_start:
            raise ValueError("period_end: before period_start")
        if to_decimal(self.amount, "amount") < 0:
            raise ValueError("amount: quota must not be negative")
        if not self.branch.strip():
            raise ValueError("branch: must be named")

    def covers(self, on: dt.date) -> bool:
        return self.period_start <= on <= self.period_end


@dataclass(frozen=True)
class QuotaUse:
    """An amount counted against a branch's quota on a date (negative releases quota)."""

    branch: str
    on: dt.date
    amount: Decimal
    loan_id: str = ""


@dataclass(frozen=True)
class QuotaIncrease:
    """An increase head office approved for a branch and period."""

    branch: str
    approved_on: dt.date
    amount: Decimal
    request_id: str = ""


@dataclass(frozen=True)
class QuotaStatus:
    branch: str
    period_start: dt.date
    period_end: dt.date
    base_quota: Decimal
    approved_increases: Decimal
    total_quota: Decimal
    used: Decimal
    headroom: Decimal
    utilisation: Decimal | None
    running_low: bool
    uses_counted: int


def quota_status(
    quota: TechCreditQuota,
    uses: Iterable[QuotaUse],
    increases: Iterable[QuotaIncrease] = (),
    *,
    low_threshold: Decimal = DEFAULT_LOW_THRESHOLD,
) -> QuotaStatus:
    """Usage and headroom of a branch's quota, counting only that branch's uses and approved
    increases dated inside the period. `running_low` when utilisation ≥ `low_threshold`
    (a default of 90 %, a bank setting, not an official number)."""
    base = to_decimal(quota.amount, "amount")
    counted = [u for u in uses if u.branch == quota.branch and quota.covers(u.on)]
    used = sum((to_decimal(u.amount, "use amount") for u in counted), ZERO)
    extra = ZERO
    for inc in increases:
        if inc.branch == quota.branch and quota.covers(inc.approved_on):
            value = to_decimal(inc.amount, "increase amount")
            if value <= 0:
                raise ValueError("increase amount: must be positive")
            extra += value
    total = base + extra
    headroom = total - used
    utilisation = None if total == 0 else used / total
    running_low = headroom <= 0 or (utilisation is not None and utilisation >= low_threshold)
    return QuotaStatus(
        branch=quota.branch,
        period_start=quota.period_start,
        period_end=quota.period_end,
        base_quota=base,
        approved_increases=extra,
        total_quota=total,
        used=used,
        headroom=headroom,
        utilisation=utilisation,
        running_low=running_low,
        uses_counted=len(counted),
    )


class QuotaAction(StrEnum):
    WITHIN_QUOTA = "within_quota"
    REQUEST_QUOTA = "request_quota"


@dataclass(frozen=True)
class QuotaRequest:
    """A request to head office for more quota; the loan goes on being processed meanwhile."""

    branch: str
    period_start: dt.date
    period_end: dt.date
    amount: Decimal
    shortfall: Decimal
    loan_id: str
    reason: str


@dataclass(frozen=True)
class QuotaDecision:
    action: QuotaAction
    loan_amount: Decimal
    headroom_before: Decimal
    headroom_after: Decimal
    request: QuotaRequest | None
    message: str

    @property
    def rejects_loan(self) -> bool:
        """Always False: the quota never turns a tech borrower away."""
        return False


def check_loan_against_quota(
    quota: TechCreditQuota,
    uses: Iterable[QuotaUse],
    *,
    amount: Decimal,
    on: dt.date,
    loan_id: str = "",
    increases: Iterable[QuotaIncrease] = (),
    request_multiple: Decimal | None = None,
) -> QuotaDecision:
    """Decide what a new tech loan of `amount` on `on` does to the branch's quota.

    Within the headroom → ``within_quota``. Beyond it → ``request_quota`` with a request for the
    shortfall (rounded up to `request_multiple` when given, e.g. whole millions); the loan is not
    rejected.
    """
    value = to_decimal(amount, "amount")
    if value <= 0:
        raise ValueError(f"amount: must be positive, got {value}")
    if not quota.covers(on):
        raise ValueError(
            f"on: {on.isoformat()} is outside the quota period "
            f"{quota.period_start.isoformat()} – {quota.period_end.isoformat()}"
        )
    status = quota_status(quota, uses, increases)
    before = status.headroom
    after = before - value
    if after >= 0:
        return QuotaDecision(
            QuotaAction.WITHIN_QUOTA,
            value,
            before,
            after,
            None,
            f"within the tech credit quota of {quota.branch}: headroom "
            f"{quantize(before, 2)} → {quantize(after, 2)}",
        )
    shortfall = -after
    requested = shortfall
    if request_multiple is not None:
        requested = round_to_multiple(shortfall, to_decimal(request_multiple), Rounding.UP)
    request = QuotaRequest(
        branch=quota.branch,
        period_start=quota.period_start,
        period_end=quota.period_end,
        amount=requested,
        shortfall=shortfall,
        loan_id=loan_id,
        reason=(
            f"tech loan {loan_id or '(new)'} of {quantize(value, 2)} exceeds the headroom "
            f"{quantize(before, 2)} by {quantize(shortfall, 2)}"
        ),
    )
    return QuotaDecision(
        QuotaAction.REQUEST_QUOTA,
        value,
        before,
        after,
        request,
        f"request {quantize(requested, 2)} more tech credit quota from head office; the loan "
        "continues through approval (the quota is never a reason to decline a tech borrower)",
    )
