"""Loan servicing: a loan's money events as immutable values and a pure replay (issue 9 item 1).

Guidance art. 11 asks for exact post-loan servicing; official-rules §7b sets the conventions:
daily interest at the annual rate ÷ 360, penalty interest (罚息) on overdue principal at the
contract rate + 30–50 % (the contract carries the product's markup), compound interest (复利)
on unpaid interest, third-party interest subsidies (贴息), and payments allocated costs →
interest → principal (Civil Code art. 561) unless the contract agrees another order.

The model, in one paragraph: a `Contract` holds the schedule terms and the servicing terms.
What happens to the loan is a list of immutable events (`Disbursement`, `Repayment`,
`Prepayment`, `SubsidyReceipt`, `Fee`, `WriteOff`, `Reversal`). Nothing is ever edited: a
mistaken event is reversed by id and, if needed, entered again with the right values (a
backdated event is simply an event with an earlier value date). `replay(contract, events,
as_of)` orders the events by value date and then by a tie-breaker that does not depend on the
order of entry (kind, then event id), walks the days from disbursement to `as_of`, bills the
scheduled dues on their dates (`LedgerEntry` of kind ``scheduled_due``), accrues penalty and
compound interest, allocates each payment, rebuilds the schedule with
`techfin.credit.schedule.build` after a prepayment, and returns the `LoanState`.

Day conventions (see ``docs/servicing.md``):

- A row due on day D is billed at the start of D; a payment value-dated D pays it on time.
- Interest accrues for each day before ``as_of``; the accrued figure is the schedule's period
  interest spread with cumulative rounding (`accrual.accrue_period`), so the accrual on the day
  before a due date equals the schedule's interest for the period.
- An amount due on D and still unpaid at the end of D is overdue; days past due on ``as_of``
  count from the oldest unpaid principal or (borrower's) interest due date, so a payment on D+k
  was k days late and bears k days of penalty (or compound) interest.
- Penalty and compound interest accumulate exactly (balance × rate × days, divided by the
  year days once) and are rounded cumulatively over the loan's life: the rounded total never
  drifts from the exact one by more than half a fen.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, localcontext
from enum import StrEnum
from itertools import pairwise
from typing import Any

from techfin.credit.accrual import (
    DEFAULT_ALLOCATION_ORDER,
    PENALTY_MARKUP_MAX,
    PENALTY_MARKUP_MIN,
    accrue_period,
    allocate_payment,
    penalty_rate,
)
from techfin.credit.classification import Classification, classify
from techfin.credit.daycount import InterestBasis, basis_days
from techfin.credit.schedule import (
    Frequency,
    Method,
    PaymentStep,
    Row,
    Schedule,
    Terms,
    build,
)
from techfin.money import ZERO, Rounding, quantize, to_decimal

__all__ = [
    "Contract",
    "Disbursement",
    "Event",
    "Fee",
    "LedgerEntry",
    "LoanState",
    "LoanStatus",
    "Prepayment",
    "PrepaymentMode",
    "Repayment",
    "Reversal",
    "SubsidyReceipt",
    "WriteOff",
    "replay",
]

_YEAR_DAYS = {
    InterestBasis.ACT_360: Decimal(360),
    InterestBasis.THIRTY_360: Decimal(360),
    InterestBasis.ACT_365F: Decimal(365),
}


# --------------------------------------------------------------------------------------------
# Contract


@dataclass(frozen=True)
class Contract:
    """The servicing terms of one loan.

    ``terms`` are the schedule terms as approved (``principal`` is the amount to disburse,
    ``start`` the planned disbursement date; the disbursement event's amount and date replace
    both). ``penalty_markup`` is the product's markup over the contract rate for penalty
    interest (30–50 %, official-rules §7b; the platform passes the product's
    ``penalty_markup`` from ``products.yaml``; 50 % is the default here). ``compound_rate``
    is the annual rate charged on unpaid interest; ``None`` means the penalty rate (the PBOC
    interest rules' practice).
    ``allocation_order`` names the buckets a payment fills, in order (default costs → penalty
    → compound → interest → principal, `accrual.DEFAULT_ALLOCATION_ORDER`).
    ``off_balance_interest_days``: billed interest unpaid for more than this many days is
    reported as off-balance-sheet interest (`LoanState.off_balance_interest`); the 90-day
    default is **unconfirmed** (official-rules §7b says "from memory; confirm").
    """

    loan_id: str
    terms: Terms
    penalty_markup: Decimal = Decimal("0.50")
    compound_rate: Decimal | None = None
    allocation_order: tuple[str, ...] = DEFAULT_ALLOCATION_ORDER
    off_balance_interest_days: int = 90

    def __post_init__(self) -> None:
        if not self.loan_id.strip():
            raise ValueError("loan_id: must not be empty")
        if not PENALTY_MARKUP_MIN <= self.penalty_markup <= PENALTY_MARKUP_MAX:
            raise ValueError(
                f"penalty_markup: must be between {PENALTY_MARKUP_MIN} and "
                f"{PENALTY_MARKUP_MAX} (official-rules §7b), got {self.penalty_markup}"
            )
        if self.off_balance_interest_days < 0:
            raise ValueError("off_balance_interest_days: must not be negative")
        if self.compound_rate is not None and self.compound_rate < 0:
            raise ValueError("compound_rate: must not be negative")
        if sorted(self.allocation_order) != sorted(DEFAULT_ALLOCATION_ORDER):
            raise ValueError(
                "allocation_order: must name each of "
                f"{', '.join(DEFAULT_ALLOCATION_ORDER)} exactly once"
            )

    @property
    def accrual_basis(self) -> InterestBasis:
        """Day count for penalty and compound interest (ACT/360 when the schedule is per-period)."""
        basis = self.terms.interest_basis
        return basis if basis.is_day_count else InterestBasis.ACT_360

    def rate_on(self, day: dt.date) -> Decimal:
        """The contract rate in force on ``day`` (the terms' rate changes applied)."""
        rate = self.terms.annual_rate
        for change in self.terms.rate_changes:
            if change.effective <= day:
                rate = change.annual_rate
        return rate

    def penalty_rate_on(self, day: dt.date) -> Decimal:
        rate = self.rate_on(day)
        if rate <= 0:
            return ZERO
        return penalty_rate(rate, self.penalty_markup)

    def compound_rate_on(self, day: dt.date) -> Decimal:
        return self.penalty_rate_on(day) if self.compound_rate is None else self.compound_rate


# --------------------------------------------------------------------------------------------
# Events (immutable; entered, never edited)


class PrepaymentMode(StrEnum):
    """After a partial prepayment: keep the dates and lower the installment, or keep the
    installment and shorten the term."""

    REAMORTISE = "reamortise"
    REDUCE_TERM = "reduce-term"


def _check_event(event_id: str, amount: Decimal | None) -> None:
    if not event_id.strip():
        raise ValueError("event_id: must not be empty")
    if amount is not None:
        to_decimal(amount, "amount")
        if amount <= 0:
            raise ValueError(f"amount: must be positive, got {amount}")
        if amount != quantize(amount, 2):
            raise ValueError(f"amount: {amount} has more than 2 decimals")


@dataclass(frozen=True)
class Disbursement:
    """The loan is paid out: ``amount`` on ``value_date`` (one per loan)."""

    event_id: str
    value_date: dt.date
    amount: Decimal

    def __post_init__(self) -> None:
        _check_event(self.event_id, self.amount)


@dataclass(frozen=True)
class Repayment:
    """The borrower pays ``amount``: allocated to what is due in the contract's order; any
    excess is held (``suspense``) and applied to the next dues as they are billed."""

    event_id: str
    value_date: dt.date
    amount: Decimal

    def __post_init__(self) -> None:
        _check_event(self.event_id, self.amount)


@dataclass(frozen=True)
class Prepayment:
    """An early repayment: settles what is due and the interest accrued to ``value_date``,
    then repays principal not yet due; the schedule is rebuilt by ``mode``."""

    event_id: str
    value_date: dt.date
    amount: Decimal
    mode: PrepaymentMode = PrepaymentMode.REAMORTISE

    def __post_init__(self) -> None:
        _check_event(self.event_id, self.amount)


@dataclass(frozen=True)
class SubsidyReceipt:
    """A third party (``payer``) pays its share of billed interest (贴息); oldest first.
    What exceeds the subsidy receivable is recorded as unapplied (to return to the payer)."""

    event_id: str
    value_date: dt.date
    amount: Decimal
    payer: str = ""

    def __post_init__(self) -> None:
        _check_event(self.event_id, self.amount)


@dataclass(frozen=True)
class Fee:
    """A cost charged to the borrower (costs are paid first)."""

    event_id: str
    value_date: dt.date
    amount: Decimal
    description: str = ""

    def __post_init__(self) -> None:
        _check_event(self.event_id, self.amount)


@dataclass(frozen=True)
class WriteOff:
    """Everything outstanding is written off; accrual stops; later payments are recoveries."""

    event_id: str
    value_date: dt.date
    reason: str = ""

    def __post_init__(self) -> None:
        _check_event(self.event_id, None)


@dataclass(frozen=True)
class Reversal:
    """Reverses the event ``reverses`` (an id): once the reversal's value date is reached the
    reversed event is treated as never having happened — the loan is replayed without it."""

    event_id: str
    value_date: dt.date
    reverses: str
    reason: str = ""

    def __post_init__(self) -> None:
        _check_event(self.event_id, None)
        if not self.reverses.strip():
            raise ValueError("reverses: must name an event id")


Event = Disbursement | Repayment | Prepayment | SubsidyReceipt | Fee | WriteOff | Reversal

# Same-day order: money out, then charges, then money in, then write-off.
_KIND_RANK: dict[type[Any], int] = {
    Disbursement: 0,
    Fee: 1,
    SubsidyReceipt: 2,
    Repayment: 3,
    Prepayment: 4,
    WriteOff: 5,
    Reversal: 6,
}
_KIND_NAME: dict[type[Any], str] = {
    Disbursement: "disbursement",
    Fee: "fee",
    SubsidyReceipt: "subsidy_receipt",
    Repayment: "repayment",
    Prepayment: "prepayment",
    WriteOff: "write_off",
    Reversal: "reversal",
}


def _order_key(event: Event) -> tuple[dt.date, int, str]:
    return (event.value_date, _KIND_RANK[type(event)], event.event_id)


# --------------------------------------------------------------------------------------------
# State


class LoanStatus(StrEnum):
    NOT_DISBURSED = "not_disbursed"
    ACTIVE = "active"
    SETTLED = "settled"
    WRITTEN_OFF = "written_off"


@dataclass(frozen=True)
class LedgerEntry:
    """One line of the loan's ledger: an entered event or a derived one (``scheduled_due``,
    ``accrual``), with what it billed or how its money was allocated (bucket, amount)."""

    event_id: str
    kind: str
    value_date: dt.date
    amount: Decimal
    allocations: tuple[tuple[str, Decimal], ...] = ()
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "kind": self.kind,
            "value_date": self.value_date.isoformat(),
            "amount": str(self.amount),
            "allocations": [[b, str(a)] for b, a in self.allocations],
            "note": self.note,
        }


@dataclass(frozen=True)
class LoanState:
    """Balances of one loan on ``as_of`` (after the events value-dated up to ``as_of``).

    Amounts are yuan. ``principal_outstanding`` = ``principal_not_due`` + ``overdue_principal``.
    ``interest_accrued`` is the current period's whole interest accrued for the days before
    ``as_of`` and not yet billed (the accounting figure: borrower's and subsidy payer's parts);
    ``subsidy_accrued`` is the subsidy payer's part of it and ``borrower_interest_accrued`` the
    borrower's (``interest_accrued`` = ``borrower_interest_accrued`` + ``subsidy_accrued``;
    without a subsidy ``subsidy_accrued`` is zero). ``interest_billed`` is the total interest
    billed so far (both parts); ``interest_unpaid`` the borrower's billed interest not paid;
    ``subsidy_receivable`` the payer's billed part not received. Penalty and compound
    interest are what is outstanding; ``*_accrued_total`` what was ever charged.
    ``off_balance_interest`` is the part of ``interest_unpaid`` billed more than the
    contract's ``off_balance_interest_days`` ago (a reporting view; it is still owed).
    """

    loan_id: str
    as_of: dt.date
    status: LoanStatus
    disbursed: Decimal
    principal_outstanding: Decimal
    principal_not_due: Decimal
    overdue_principal: Decimal
    interest_accrued: Decimal
    subsidy_accrued: Decimal
    interest_billed: Decimal
    interest_unpaid: Decimal
    subsidy_receivable: Decimal
    penalty_interest: Decimal
    compound_interest: Decimal
    penalty_accrued_total: Decimal
    compound_accrued_total: Decimal
    costs: Decimal
    suspense: Decimal
    subsidy_unapplied: Decimal
    total_paid: Decimal
    days_past_due: int
    oldest_unpaid_due: dt.date | None
    written_off: tuple[tuple[str, Decimal], ...]
    recoveries: Decimal
    off_balance_interest: Decimal
    schedule: Schedule | None
    ledger: tuple[LedgerEntry, ...]
    reversed_event_ids: tuple[str, ...]

    @property
    def total_due_now(self) -> Decimal:
        """What the borrower must pay today to be current (excluding subsidy receivable)."""
        return (
            self.costs
            + self.penalty_interest
            + self.compound_interest
            + self.interest_unpaid
            + self.overdue_principal
        )

    @property
    def borrower_interest_accrued(self) -> Decimal:
        """The borrower's part of ``interest_accrued`` (the whole of it without a subsidy)."""
        return self.interest_accrued - self.subsidy_accrued

    @property
    def payoff_amount(self) -> Decimal:
        """What the borrower must pay to settle the loan today: what is due now, the principal
        not yet due and the borrower's part of the accrued interest, less money already held
        (``suspense``). The subsidy payer's parts (``subsidy_receivable``, ``subsidy_accrued``)
        are not the borrower's to pay; a `Prepayment` of exactly this amount value-dated
        ``as_of`` settles the loan."""
        return max(
            ZERO,
            self.total_due_now
            + self.principal_not_due
            + self.borrower_interest_accrued
            - self.suspense,
        )

    def classify(self, **facts: Any) -> Classification:
        """The classification floor on ``as_of`` for this state's days past due (other facts,
        e.g. ``npl_at_other_bank``, as `classification.classify` takes them)."""
        return classify(days_past_due=self.days_past_due, as_of=self.as_of, **facts)

    def balances(self) -> dict[str, Any]:
        """The state without the ledger and schedule objects (for comparisons and JSON)."""
        return {
            "loan_id": self.loan_id,
            "as_of": self.as_of.isoformat(),
            "status": self.status.value,
            "disbursed": str(self.disbursed),
            "principal_outstanding": str(self.principal_outstanding),
            "principal_not_due": str(self.principal_not_due),
            "overdue_principal": str(self.overdue_principal),
            "interest_accrued": str(self.interest_accrued),
            "borrower_interest_accrued": str(self.borrower_interest_accrued),
            "subsidy_accrued": str(self.subsidy_accrued),
            "interest_billed": str(self.interest_billed),
            "interest_unpaid": str(self.interest_unpaid),
            "subsidy_receivable": str(self.subsidy_receivable),
            "penalty_interest": str(self.penalty_interest),
            "compound_interest": str(self.compound_interest),
            "penalty_accrued_total": str(self.penalty_accrued_total),
            "compound_accrued_total": str(self.compound_accrued_total),
            "costs": str(self.costs),
            "suspense": str(self.suspense),
            "subsidy_unapplied": str(self.subsidy_unapplied),
            "total_paid": str(self.total_paid),
            "days_past_due": self.days_past_due,
            "oldest_unpaid_due": self.oldest_unpaid_due.isoformat()
            if self.oldest_unpaid_due
            else None,
            "written_off": {b: str(a) for b, a in self.written_off},
            "recoveries": str(self.recoveries),
            "off_balance_interest": str(self.off_balance_interest),
        }

    def to_dict(self) -> dict[str, Any]:
        out = self.balances()
        out["schedule"] = self.schedule.to_dict() if self.schedule is not None else None
        out["ledger"] = [e.to_dict() for e in self.ledger]
        out["reversed_event_ids"] = list(self.reversed_event_ids)
        return out


# --------------------------------------------------------------------------------------------
# Replay


@dataclass
class _Due:
    """One billed amount (principal or interest part) with its due date and what is left."""

    due_date: dt.date
    bucket: str  # "principal", "interest" (borrower part) or "subsidy"
    left: Decimal


class _Replay:
    def __init__(self, contract: Contract) -> None:
        self.c = contract
        self.basis = contract.accrual_basis
        self.year_days = _YEAR_DAYS[self.basis]
        self.rounding: Rounding = contract.terms.rounding
        self.clock: dt.date | None = None
        self.schedule: Schedule | None = None
        self.schedule_start: dt.date | None = None
        self.next_row = 0
        self.principal_not_due = ZERO
        self.dues: list[_Due] = []
        self.disbursed = ZERO
        self.interest_billed = ZERO
        self.costs = ZERO
        self.suspense = ZERO
        self.subsidy_unapplied = ZERO
        self.total_paid = ZERO
        self.recoveries = ZERO
        # Exact numerators (Σ balance × rate × days) and rounded totals.
        self.penalty_num = ZERO
        self.compound_num = ZERO
        self.penalty_total = ZERO
        self.compound_total = ZERO
        self.penalty_paid = ZERO
        self.compound_paid = ZERO
        self.written_off: tuple[tuple[str, Decimal], ...] = ()
        self.status = LoanStatus.NOT_DISBURSED
        self.periods_billed = 0
        self.ledger: list[LedgerEntry] = []

    # Buckets --------------------------------------------------------------------------------

    def bucket_total(self, bucket: str) -> Decimal:
        return sum((d.left for d in self.dues if d.bucket == bucket), ZERO)

    @property
    def penalty_outstanding(self) -> Decimal:
        return self.penalty_total - self.penalty_paid

    @property
    def compound_outstanding(self) -> Decimal:
        return self.compound_total - self.compound_paid

    def due_now(self) -> dict[str, Decimal]:
        return {
            "costs": self.costs,
            "penalty_interest": self.penalty_outstanding,
            "compound_interest": self.compound_outstanding,
            "interest": self.bucket_total("interest"),
            "principal": self.bucket_total("principal"),
        }

    def pay(self, bucket: str, amount: Decimal) -> None:
        """Reduce a bucket by ``amount`` (dues oldest first)."""
        if amount <= 0:
            return
        if bucket == "costs":
            self.costs -= amount
        elif bucket == "penalty_interest":
            self.penalty_paid += amount
        elif bucket == "compound_interest":
            self.compound_paid += amount
        else:
            left = amount
            for due in self.dues:
                if due.bucket == bucket and due.left > 0 and left > 0:
                    take = min(due.left, left)
                    due.left -= take
                    left -= take
            if left != 0:  # pragma: no cover - allocate_payment never over-allocates
                raise AssertionError(f"{bucket}: over-allocated by {left}")
        self.dues = [d for d in self.dues if d.left > 0]

    def allocate(self, amount: Decimal) -> tuple[list[tuple[str, Decimal]], Decimal]:
        allocation = allocate_payment(amount, self.due_now(), order=self.c.allocation_order)
        applied = [(b, a) for b, a in allocation.applied if a > 0]
        for bucket, value in applied:
            self.pay(bucket, value)
        return applied, allocation.unapplied

    # Time -----------------------------------------------------------------------------------

    def accrue_to(self, day: dt.date) -> None:
        """Penalty and compound interest for the days [clock, day) on the overdue amounts."""
        assert self.clock is not None
        if day <= self.clock or self.status is not LoanStatus.ACTIVE:
            self.clock = max(self.clock, day)
            return
        overdue_principal = self.bucket_total("principal")
        unpaid_interest = self.bucket_total("interest")
        if overdue_principal > 0 or unpaid_interest > 0:
            # Cut the span where the contract rate changes.
            cuts = [self.clock, day]
            cuts += [
                rc.effective for rc in self.c.terms.rate_changes if self.clock < rc.effective < day
            ]
            points = sorted(set(cuts))
            for a, b in pairwise(points):
                days = Decimal(basis_days(a, b, self.basis))
                self.penalty_num += overdue_principal * self.c.penalty_rate_on(a) * days
                self.compound_num += unpaid_interest * self.c.compound_rate_on(a) * days
            penalty_total = quantize(self.penalty_num / self.year_days, 2, self.rounding)
            compound_total = quantize(self.compound_num / self.year_days, 2, self.rounding)
            added_p = penalty_total - self.penalty_total
            added_c = compound_total - self.compound_total
            self.penalty_total, self.compound_total = penalty_total, compound_total
            if added_p or added_c:
                self.ledger.append(
                    LedgerEntry(
                        event_id=f"accrual@{day.isoformat()}",
                        kind="accrual",
                        value_date=day,
                        amount=added_p + added_c,
                        allocations=(("penalty_interest", added_p), ("compound_interest", added_c)),
                        note=f"overdue principal {overdue_principal}, unpaid interest "
                        f"{unpaid_interest}, days {self.clock.isoformat()}–{day.isoformat()}",
                    )
                )
        self.clock = day

    def advance(self, day: dt.date) -> None:
        """Bill every row due on or before ``day`` (at the start of its day), accruing between."""
        while self.schedule is not None and self.status is LoanStatus.ACTIVE:
            rows = self.schedule.rows
            if self.next_row >= len(rows) or rows[self.next_row].due_date > day:
                break
            row = rows[self.next_row]
            self.accrue_to(row.due_date)
            self.bill(row)
            self.next_row += 1
        self.accrue_to(day)

    def bill(self, row: Row) -> None:
        subsidy = row.subsidy or ZERO
        borrower_interest = row.interest - subsidy
        self.principal_not_due -= row.principal
        self.interest_billed += row.interest
        for bucket, amount in (
            ("principal", row.principal),
            ("interest", borrower_interest),
            ("subsidy", subsidy),
        ):
            if amount > 0:
                self.dues.append(_Due(row.due_date, bucket, amount))
        self.periods_billed += 1
        allocations: list[tuple[str, Decimal]] = [
            ("principal", row.principal),
            ("interest", borrower_interest),
        ]
        if subsidy:
            allocations.append(("subsidy", subsidy))
        self.ledger.append(
            LedgerEntry(
                event_id=f"due@{row.due_date.isoformat()}",
                kind="scheduled_due",
                value_date=row.due_date,
                amount=row.payment,
                allocations=tuple(allocations),
                note=f"row {row.n}",
            )
        )
        if self.suspense > 0:
            applied, left = self.allocate(self.suspense)
            if applied:
                self.suspense = left
                self.ledger.append(
                    LedgerEntry(
                        event_id=f"suspense@{row.due_date.isoformat()}",
                        kind="suspense_applied",
                        value_date=row.due_date,
                        amount=sum((a for _, a in applied), ZERO),
                        allocations=tuple(applied),
                    )
                )
        self.settle_if_covered(row.due_date, f"due@{row.due_date.isoformat()}")
        self.maybe_settle()

    def settle_if_covered(self, day: dt.date, cause: str) -> None:
        """Money held covers everything the borrower owes on ``day`` (`LoanState.payoff_amount`
        is zero): the loan is settled there and then, as a prepayment of the held money would
        settle it — the borrower's part of the interest accrued to ``day`` is billed (the
        payer's part becomes the payer's receivable), the held money pays what is due and the
        principal not yet due, and what is left beyond that stays held, to return to the
        borrower. Without this the loan stayed active to maturity, accruing interest that the
        held money then paid (decision 1110). Held money short of the payoff stays held and
        pays the next dues as they are billed."""
        if self.status is not LoanStatus.ACTIVE or self.suspense <= 0:
            return
        accrued = self.interest_accrued(day)
        payer_part = self.subsidy_accrued(day)
        owed = sum(self.due_now().values(), ZERO) + self.principal_not_due + accrued - payer_part
        if owed <= 0 or self.suspense < owed:
            return
        if accrued > 0:
            self.interest_billed += accrued
            if accrued - payer_part > 0:
                self.dues.append(_Due(day, "interest", accrued - payer_part))
            if payer_part > 0:
                self.dues.append(_Due(day, "subsidy", payer_part))
        applied, left = self.allocate(self.suspense)
        to_principal = min(left, self.principal_not_due)
        if to_principal > 0:
            applied.append(("principal_prepaid", to_principal))
        self.principal_not_due -= to_principal
        self.suspense = left - to_principal
        self.schedule, self.next_row = None, 0
        of_which = f" (subsidy {payer_part})" if payer_part else ""
        billed = f"accrued interest {accrued}{of_which} billed; " if accrued else ""
        self.ledger.append(
            LedgerEntry(
                event_id=f"suspense@{day.isoformat()}/{cause}",
                kind="suspense_applied",
                value_date=day,
                amount=sum((a for _, a in applied), ZERO),
                allocations=tuple(applied),
                note=f"held money covers the payoff after {cause}: {billed}loan settled, "
                f"{self.suspense} left to return",
            )
        )

    def maybe_settle(self) -> None:
        """Settled once the borrower owes nothing. The subsidy payer's receivable does not keep
        the loan open: it stays on the loan's subsidy account and later receipts still pay it."""
        if (
            self.status is LoanStatus.ACTIVE
            and self.disbursed > 0
            and self.principal_not_due == 0
            and not any(d.bucket != "subsidy" for d in self.dues)
            and self.costs == 0
            and self.penalty_outstanding == 0
            and self.compound_outstanding == 0
        ):
            self.status = LoanStatus.SETTLED

    # Accrued regular interest ------------------------------------------------------------------

    def current_row(self) -> tuple[dt.date, Row] | None:
        if self.schedule is None or self.next_row >= len(self.schedule.rows):
            return None
        assert self.schedule_start is not None
        rows = self.schedule.rows
        start = self.schedule_start if self.next_row == 0 else rows[self.next_row - 1].due_date
        return start, rows[self.next_row]

    def subsidy_accrued(self, as_of: dt.date) -> Decimal:
        """The subsidy payer's part of `interest_accrued` on ``as_of``: the current row's
        subsidy spread over the row's subsidised days (those before the subsidy's ``until``,
        all of them without one) with cumulative rounding, as the interest is spread over the
        whole row — so on the day before the due date it equals the row's subsidy, and past
        ``until`` it stops growing. Never more than `interest_accrued` on the same day."""
        current = self.current_row()
        if current is None or self.status is not LoanStatus.ACTIVE:
            return ZERO
        start, row = current
        days = (as_of - start).days
        if days <= 0 or not row.subsidy or row.subsidy <= 0:
            return ZERO
        end = row.due_date
        assert self.schedule is not None
        subsidy = self.schedule.terms.subsidy
        if subsidy is not None and subsidy.until is not None and start < subsidy.until < end:
            end = subsidy.until
        daily = accrue_period(
            start=start,
            end=end,
            period_interest=row.subsidy,
            decimals=self.c.terms.decimals,
            rounding=self.rounding,
            weights=self._rate_weights(
                start, end, subsidy.rate if subsidy is not None and subsidy.rate else None
            ),
        )
        return min(daily[min(days, len(daily)) - 1].cumulative, self.interest_accrued(as_of))

    def interest_accrued(self, as_of: dt.date) -> Decimal:
        """The current period's interest for the days [period start, as_of), cumulative rounding."""
        current = self.current_row()
        if current is None or self.status is not LoanStatus.ACTIVE:
            return ZERO
        start, row = current
        days = (as_of - start).days
        if days <= 0 or row.interest == 0:
            return ZERO
        daily = accrue_period(
            start=start,
            end=row.due_date,
            period_interest=row.interest,
            decimals=self.c.terms.decimals,
            rounding=self.rounding,
            weights=self._rate_weights(start, row.due_date),
        )
        return daily[min(days, len(daily)) - 1].cumulative

    def _rate_weights(
        self, start: dt.date, end: dt.date, cap: Decimal | None = None
    ) -> list[Decimal] | None:
        """The rate in force on each day of [start, end) (at most ``cap``) when the rate changes
        inside the span, so that accrual follows each day's rate; None when it does not change
        (every day weighs the same)."""
        assert self.schedule is not None
        terms = self.schedule.terms
        if not any(start < rc.effective < end for rc in terms.rate_changes):
            return None
        out = []
        day = start
        while day < end:
            rate = terms.annual_rate
            for rc in terms.rate_changes:
                if rc.effective <= day:
                    rate = rc.annual_rate
            out.append(rate if cap is None else min(rate, cap))
            day += dt.timedelta(days=1)
        return out

    # Events ----------------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        kind = _KIND_NAME[type(event)]
        if isinstance(event, Disbursement):
            self.disburse(event)
            return
        if self.status is LoanStatus.NOT_DISBURSED:
            raise ValueError(
                f"{event.event_id}: {kind} on {event.value_date.isoformat()} before disbursement"
            )
        if isinstance(event, Fee):
            if self.status is LoanStatus.WRITTEN_OFF:
                raise ValueError(f"{event.event_id}: fee after write-off")
            self.costs += event.amount
            if self.status is LoanStatus.SETTLED:
                self.status = LoanStatus.ACTIVE
            self.ledger.append(
                LedgerEntry(
                    event.event_id,
                    kind,
                    event.value_date,
                    event.amount,
                    (("costs", event.amount),),
                    event.description,
                )
            )
        elif isinstance(event, SubsidyReceipt):
            self.total_paid += event.amount
            take = min(event.amount, self.bucket_total("subsidy"))
            self.pay("subsidy", take)
            excess = event.amount - take
            self.subsidy_unapplied += excess
            allocations = [("subsidy", take)] if take else []
            if excess:
                allocations.append(("subsidy_unapplied", excess))
            self.ledger.append(
                LedgerEntry(
                    event.event_id,
                    kind,
                    event.value_date,
                    event.amount,
                    tuple(allocations),
                    event.payer,
                )
            )
        elif isinstance(event, Repayment | Prepayment):
            self.receive(event)
        elif isinstance(event, WriteOff):
            self.write_off(event)
        self.settle_if_covered(event.value_date, event.event_id)
        self.maybe_settle()

    def disburse(self, event: Disbursement) -> None:
        if self.status is not LoanStatus.NOT_DISBURSED:
            raise ValueError(f"{event.event_id}: the loan is already disbursed (one per loan)")
        terms = dataclasses.replace(self.c.terms, principal=event.amount, start=event.value_date)
        self.schedule = build(terms)
        self.schedule_start = event.value_date
        self.next_row = 0
        self.principal_not_due = event.amount
        self.disbursed = event.amount
        self.clock = event.value_date
        self.status = LoanStatus.ACTIVE
        self.ledger.append(
            LedgerEntry(
                event.event_id,
                "disbursement",
                event.value_date,
                event.amount,
                (("principal", event.amount),),
                f"schedule conventions {self.schedule.conventions_version}",
            )
        )

    def receive(self, event: Repayment | Prepayment) -> None:
        kind = _KIND_NAME[type(event)]
        self.total_paid += event.amount
        if self.status is LoanStatus.WRITTEN_OFF:
            self.recoveries += event.amount
            self.ledger.append(
                LedgerEntry(
                    event.event_id,
                    kind,
                    event.value_date,
                    event.amount,
                    (("recovery", event.amount),),
                    "received after write-off",
                )
            )
            return
        if isinstance(event, Prepayment) and self.principal_not_due > 0:
            # Bill the interest accrued to the prepayment date; the schedule restarts there.
            accrued = self.interest_accrued(event.value_date)
            payer_part = self.subsidy_accrued(event.value_date)
            if accrued > 0:
                self.interest_billed += accrued
                # with a subsidy the payer's part of the accrued interest is the payer's
                if accrued - payer_part > 0:
                    self.dues.append(_Due(event.value_date, "interest", accrued - payer_part))
                if payer_part > 0:
                    self.dues.append(_Due(event.value_date, "subsidy", payer_part))
            self.apply_suspense_to_prepayment(event)
            applied, left = self.allocate(event.amount)
            to_principal = min(left, self.principal_not_due)
            left -= to_principal
            if to_principal:
                applied.append(("principal_prepaid", to_principal))
                self.principal_not_due -= to_principal
            note = self.rebuild(event.value_date, event.mode)
            if accrued:
                of_which = f" (subsidy {payer_part})" if payer_part else ""
                note = f"accrued interest {accrued}{of_which} billed; {note}"
        else:
            if isinstance(event, Prepayment):
                self.apply_suspense_to_prepayment(event)
            applied, left = self.allocate(event.amount)
            note = ""
        if left > 0:
            self.suspense += left
            applied.append(("suspense", left))
        self.ledger.append(
            LedgerEntry(event.event_id, kind, event.value_date, event.amount, tuple(applied), note)
        )

    def apply_suspense_to_prepayment(self, event: Prepayment) -> None:
        """Money held in suspense is the borrower's: a prepayment uses it first (what is due,
        then principal not yet due), as `LoanState.payoff_amount` deducts it."""
        if self.suspense <= 0:
            return
        applied, left = self.allocate(self.suspense)
        to_principal = min(left, self.principal_not_due)
        if to_principal:
            applied.append(("principal_prepaid", to_principal))
            self.principal_not_due -= to_principal
            left -= to_principal
        if not applied:
            return
        self.suspense = left
        self.ledger.append(
            LedgerEntry(
                event_id=f"suspense@{event.value_date.isoformat()}/{event.event_id}",
                kind="suspense_applied",
                value_date=event.value_date,
                amount=sum((a for _, a in applied), ZERO),
                allocations=tuple(applied),
                note=f"held money applied with prepayment {event.event_id}",
            )
        )

    def rebuild(self, day: dt.date, mode: PrepaymentMode) -> str:
        """A new schedule from ``day`` for the principal not yet due (after a prepayment)."""
        assert self.schedule is not None
        old = self.schedule
        remaining_rows = old.rows[self.next_row :]
        if self.principal_not_due == 0 or not remaining_rows:
            self.schedule = None if self.principal_not_due == 0 else old
            if self.schedule is None:
                self.next_row = 0
            return "principal repaid in full"
        t = old.terms
        principal_dates = [d for d in t.principal_dates() if d > day]
        interest_dates = [r.due_date for r in remaining_rows if r.due_date not in principal_dates]
        elapsed = len(t.principal_dates()) - len(principal_dates)
        rate = self.c.rate_on(day)
        # The contract's method, not the current schedule's: a term reduction builds a
        # stepped schedule that must not be carried into the next rebuild.
        method = self.c.terms.method
        base = dataclasses.replace(
            t,
            method=Method.ANNUITY if method is Method.STEPPED else method,
            step_payments=(),
            step_principal_percents=(),
            principal=self.principal_not_due,
            annual_rate=rate,
            start=day,
            installments=0,
            first_due=None,
            due_dates=tuple(principal_dates),
            periods_per_year=t.ppy if not t.interest_basis.is_day_count else t.periods_per_year,
            interest_settlement=None,
            interest_dates=tuple(interest_dates),
            grace_principal=_remaining_grace(t.grace_principal, elapsed, len(principal_dates)),
            grace_interest=_remaining_grace(t.grace_interest, elapsed, len(principal_dates)),
            interest_free=_remaining_grace(t.interest_free, elapsed, len(principal_dates)),
            rate_changes=tuple(rc for rc in t.rate_changes if rc.effective > day),
        )
        note = f"re-amortised over {len(principal_dates)} period(s)"
        if mode is PrepaymentMode.REDUCE_TERM and t.method in (
            Method.ANNUITY,
            Method.EQUAL_PRINCIPAL,
        ):
            new, count = _reduce_term(base, old, self.next_row)
            note = f"term reduced to {count} of {len(principal_dates)} remaining period(s)"
        else:
            new = build(base)
        self.schedule = new
        self.schedule_start = day
        self.next_row = 0
        return note

    def write_off(self, event: WriteOff) -> None:
        if self.status is LoanStatus.WRITTEN_OFF:
            raise ValueError(f"{event.event_id}: the loan is already written off")
        parts = (
            ("principal", self.principal_not_due + self.bucket_total("principal")),
            ("interest", self.bucket_total("interest")),
            ("penalty_interest", self.penalty_outstanding),
            ("compound_interest", self.compound_outstanding),
            ("costs", self.costs),
        )
        self.written_off = tuple((b, a) for b, a in parts if a > 0)
        total = sum((a for _, a in self.written_off), ZERO)
        self.principal_not_due = ZERO
        self.dues = [d for d in self.dues if d.bucket == "subsidy"]
        self.penalty_paid = self.penalty_total
        self.compound_paid = self.compound_total
        self.costs = ZERO
        self.status = LoanStatus.WRITTEN_OFF
        self.ledger.append(
            LedgerEntry(
                event.event_id, "write_off", event.value_date, total, self.written_off, event.reason
            )
        )


def _remaining_grace(periods: int, elapsed: int, remaining: int) -> int:
    left = max(0, periods - elapsed)
    return left if left < remaining else 0


def _reduce_term(base: Terms, old: Schedule, next_row: int) -> tuple[Schedule, int]:
    """Keep the installment (annuity) or the principal per period (equal principal) and use
    as few of the remaining principal dates as that needs; the last one absorbs the rest."""
    dates = base.due_dates
    n_all = len(dates)
    old_rows = [r for r in old.rows[next_row:] if r.principal > 0]
    if not old_rows:
        return build(base), n_all
    if base.method is Method.EQUAL_PRINCIPAL:
        return _reduce_term_equal_principal(base, old_rows[0].principal)
    installment = old_rows[0].payment
    # The smallest count whose stepped schedule (installment kept, last row the remainder)
    # ends with a last payment no larger than the installment.
    for count in range(1, n_all + 1):
        stepped = _stepped(base, dates[:count], installment)
        if stepped is None:
            continue
        try:
            schedule = build(stepped)
        except ValueError:
            continue
        last = schedule.rows[-1]
        if last.payment <= installment or count == n_all:
            return schedule, count
    return build(base), n_all


_SHARE_QUANTUM = Decimal("1e-20")


def _reduce_term_equal_principal(base: Terms, per_period: Decimal) -> tuple[Schedule, int]:
    """Keep the principal per period: ceil(balance ÷ per period) amortising periods, each
    repaying ``per_period`` and the last the rest (a stepped schedule by principal shares)."""
    dates = base.due_dates
    grace = base.grace_principal
    amortising = int((base.principal / per_period).to_integral_value(rounding=ROUND_CEILING))
    count = grace + amortising
    if count >= len(dates) or amortising < 2:
        return build(base), len(dates)
    # The schedule engine repays principal × share ÷ 100 a period and checks that the shares add
    # up to exactly 100. A share with a finite number of decimals (20: far below a fen on any
    # balance) makes that sum exact; the last share takes the rest.
    with localcontext() as ctx:
        ctx.prec = 60
        share = (per_period * 100 / base.principal).quantize(_SHARE_QUANTUM)
        percents = (*([share] * (amortising - 1)), 100 - share * (amortising - 1))
    maturity = dates[count - 1]
    terms = dataclasses.replace(
        base,
        method=Method.STEPPED,
        due_dates=dates[:count],
        interest_dates=tuple(d for d in base.interest_dates if d < maturity),
        grace_interest=_remaining_grace(base.grace_interest, 0, count),
        interest_free=_remaining_grace(base.interest_free, 0, count),
        rate_changes=tuple(rc for rc in base.rate_changes if rc.effective < maturity),
        step_principal_percents=percents,
    )
    return build(terms), count


def _stepped(base: Terms, dates: Sequence[dt.date], installment: Decimal) -> Terms | None:
    maturity = dates[-1]
    count = len(dates)
    grace = _remaining_grace(base.grace_principal, 0, count)
    amortising = count - grace
    if amortising < 1:
        return None
    return dataclasses.replace(
        base,
        method=Method.STEPPED if amortising > 1 else Method.ANNUITY,
        due_dates=tuple(dates),
        frequency=Frequency(),
        interest_dates=tuple(d for d in base.interest_dates if d < maturity),
        grace_principal=grace,
        grace_interest=_remaining_grace(base.grace_interest, 0, count),
        interest_free=_remaining_grace(base.interest_free, 0, count),
        rate_changes=tuple(rc for rc in base.rate_changes if rc.effective < maturity),
        step_payments=(PaymentStep(amortising, installment),) if amortising > 1 else (),
    )


def replay(contract: Contract, events: Iterable[Event], as_of: dt.date) -> LoanState:
    """Replay a loan's events up to ``as_of`` and return its state (pure; see module doc).

    Events value-dated after ``as_of`` are ignored; a reversal whose value date is on or
    before ``as_of`` removes the event it names (which must exist and must not itself be a
    reversal). Event ids must be unique. The order of ``events`` does not matter.
    """
    with localcontext() as ctx:
        ctx.prec = 60
        return _replay(contract, list(events), as_of)


def _replay(contract: Contract, events: list[Event], as_of: dt.date) -> LoanState:
    by_id: dict[str, Event] = {}
    for e in events:
        if e.event_id in by_id:
            raise ValueError(f"event_id: {e.event_id!r} appears twice")
        by_id[e.event_id] = e
    reversed_ids: set[str] = set()
    for e in events:
        if isinstance(e, Reversal) and e.value_date <= as_of:
            target = by_id.get(e.reverses)
            if target is None:
                raise ValueError(f"{e.event_id}: reverses unknown event {e.reverses!r}")
            if isinstance(target, Reversal):
                raise ValueError(
                    f"{e.event_id}: a reversal cannot be reversed; enter the event again"
                )
            if e.value_date < target.value_date:
                raise ValueError(f"{e.event_id}: dated before the event it reverses")
            reversed_ids.add(target.event_id)
    live = sorted(
        (e for e in events if e.value_date <= as_of and e.event_id not in reversed_ids),
        key=_order_key,
    )
    r = _Replay(contract)
    for event in live:
        if isinstance(event, Reversal):
            r.ledger.append(
                LedgerEntry(
                    event.event_id,
                    "reversal",
                    event.value_date,
                    ZERO,
                    (),
                    f"reverses {event.reverses}" + (f": {event.reason}" if event.reason else ""),
                )
            )
            continue
        if r.clock is not None:
            r.advance(event.value_date)
        r.apply(event)
    if r.clock is not None:
        r.advance(as_of)
    return _state(r, contract, as_of, tuple(sorted(reversed_ids)))


def _state(
    r: _Replay, contract: Contract, as_of: dt.date, reversed_ids: tuple[str, ...]
) -> LoanState:
    overdue_principal = r.bucket_total("principal")
    unpaid = [d for d in r.dues if d.bucket in ("principal", "interest") and d.left > 0]
    oldest = min((d.due_date for d in unpaid), default=None)
    dpd = (as_of - oldest).days if oldest is not None and as_of > oldest else 0
    return LoanState(
        loan_id=contract.loan_id,
        as_of=as_of,
        status=r.status,
        disbursed=r.disbursed,
        principal_outstanding=r.principal_not_due + overdue_principal,
        principal_not_due=r.principal_not_due,
        overdue_principal=overdue_principal,
        interest_accrued=r.interest_accrued(as_of),
        subsidy_accrued=r.subsidy_accrued(as_of),
        interest_billed=r.interest_billed,
        interest_unpaid=r.bucket_total("interest"),
        subsidy_receivable=r.bucket_total("subsidy"),
        penalty_interest=r.penalty_outstanding,
        compound_interest=r.compound_outstanding,
        penalty_accrued_total=r.penalty_total,
        compound_accrued_total=r.compound_total,
        costs=r.costs,
        suspense=r.suspense,
        subsidy_unapplied=r.subsidy_unapplied,
        total_paid=r.total_paid,
        days_past_due=dpd,
        oldest_unpaid_due=oldest,
        written_off=r.written_off,
        recoveries=r.recoveries,
        off_balance_interest=sum(
            (
                d.left
                for d in r.dues
                if d.bucket == "interest"
                and (as_of - d.due_date).days > contract.off_balance_interest_days
            ),
            ZERO,
        ),
        schedule=r.schedule,
        ledger=tuple(r.ledger),
        reversed_event_ids=reversed_ids,
    )
