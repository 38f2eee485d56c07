"""Revolving credit lines (随借随还: draw and repay on any day; issue 7 item 3).

Pure functions over a line's terms and its list of events (draws and repayments). Interest
accrues daily on the drawn balance at the annual rate on the line's basis (ACT/360 by default,
official-rules §7b) and is settled on the settlement days (the 20th of each month by default,
结息日) and at maturity.

Day convention (算头不算尾): a draw on day d bears interest for day d; a repayment on day d
stops interest from day d (a same-day draw and repayment costs nothing). The settlement on the
20th covers the days up to and including the 20th; the one at maturity covers the days before
maturity, when the whole balance is due.

Exactness: each constant stretch (same balance, same rate) accrues balance × rate × fraction
exactly; the interest settled on a settlement day is that exact sum rounded once, per the
line's rounding, so a statement never accumulates per-day rounding errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise

from techfin.credit.daycount import InterestBasis, basis_days
from techfin.credit.schedule import InterestSettlement, RateChange, TermsError, conventions
from techfin.money import ZERO, Rounding, quantize

ONE_DAY = timedelta(days=1)


class EventKind(StrEnum):
    DRAW = "draw"
    REPAY = "repay"


@dataclass(frozen=True)
class Event:
    """A draw (提款) or repayment (还款) of principal on a day."""

    on: date
    kind: EventKind
    amount: Decimal


@dataclass(frozen=True)
class RevolvingLine:
    """A revolving line: ``limit`` available for draws from ``available_from`` to
    ``available_until`` (inclusive), everything repaid by ``maturity`` (default: the day after
    the availability ends)."""

    limit: Decimal
    annual_rate: Decimal
    available_from: date
    available_until: date
    maturity: date | None = None
    interest_basis: InterestBasis = InterestBasis.ACT_360
    settlement: InterestSettlement = field(default_factory=InterestSettlement.monthly)
    rate_changes: tuple[RateChange, ...] = ()
    rounding: Rounding = Rounding.HALF_UP
    decimals: int = 2

    def __post_init__(self) -> None:
        if self.limit <= ZERO:
            raise TermsError("limit", f"must be positive, got {self.limit}")
        cap = conventions().rate_sanity_cap
        if not ZERO <= self.annual_rate <= cap:
            raise TermsError("annual_rate", f"{self.annual_rate} outside 0…{cap} (a fraction)")
        if self.available_until < self.available_from:
            raise TermsError("available_until", "is before available_from")
        if self.maturity is not None and self.maturity <= self.available_until:
            raise TermsError("maturity", "must be after the end of the availability period")
        if self.interest_basis is InterestBasis.PER_PERIOD:
            raise TermsError("interest_basis", "a revolving line accrues daily: use a day count")
        previous = self.available_from
        for i, change in enumerate(self.rate_changes):
            if change.effective <= previous:
                raise TermsError(f"rate_changes[{i}]", "effective dates must increase")
            if not ZERO <= change.annual_rate <= cap:
                raise TermsError(f"rate_changes[{i}]", f"rate outside 0…{cap}")
            previous = change.effective

    @property
    def final_date(self) -> date:
        return self.maturity or self.available_until + ONE_DAY

    def rate_on(self, day: date) -> Decimal:
        rate = self.annual_rate
        for change in self.rate_changes:
            if change.effective <= day:
                rate = change.annual_rate
        return rate

    def settlement_days(self) -> list[date]:
        """Settlement days (interest settled at the end of each) and the maturity."""
        days = self.settlement.dates(self.available_from - ONE_DAY, self.final_date)
        return [*days, self.final_date]


@dataclass(frozen=True)
class Stretch:
    """Days ``start``…``end`` (inclusive) at one balance and rate; ``interest`` is exact."""

    start: date
    end: date
    days: int
    balance: Decimal
    annual_rate: Decimal
    interest: Decimal


@dataclass(frozen=True)
class Settlement:
    """Interest settled on ``on`` for the days ``start``…``end`` (inclusive), rounded once."""

    on: date
    start: date
    end: date
    interest: Decimal


@dataclass(frozen=True)
class Statement:
    """Interest statement for days ``start``…``end`` (inclusive); see :func:`statement`."""

    start: date
    end: date
    stretches: tuple[Stretch, ...]
    interest: Decimal
    settlements: tuple[Settlement, ...]
    accrued_unsettled: Decimal
    closing_balance: Decimal


def validate_events(line: RevolvingLine, events: list[Event] | tuple[Event, ...]) -> list[Event]:
    """Events sorted by day (draws before repayments on the same day), checked against the
    limit, the availability period, the maturity and the balance."""
    for i, ev in enumerate(events):
        if ev.amount <= ZERO:
            raise TermsError(f"events[{i}]", f"amount must be positive, got {ev.amount}")
        if ev.amount != quantize(ev.amount, line.decimals, line.rounding):
            raise TermsError(f"events[{i}]", f"amount {ev.amount} has too many decimals")
    order = sorted(
        range(len(events)), key=lambda i: (events[i].on, events[i].kind is EventKind.REPAY)
    )
    balance = ZERO
    for i in order:
        ev = events[i]
        if ev.kind is EventKind.DRAW:
            if not line.available_from <= ev.on <= line.available_until:
                raise TermsError(f"events[{i}]", f"draw on {ev.on} outside the availability period")
            if balance + ev.amount > line.limit:
                raise TermsError(
                    f"events[{i}]",
                    f"draw of {ev.amount} on {ev.on} exceeds the limit {line.limit} "
                    f"(drawn {balance})",
                )
            balance += ev.amount
        else:
            if ev.on > line.final_date:
                raise TermsError(f"events[{i}]", f"repayment on {ev.on} after maturity")
            if ev.amount > balance:
                raise TermsError(
                    f"events[{i}]", f"repayment of {ev.amount} on {ev.on} exceeds the balance"
                )
            balance -= ev.amount
    return [events[i] for i in order]


def balance_on(line: RevolvingLine, events: list[Event] | tuple[Event, ...], day: date) -> Decimal:
    """Drawn balance at the end of ``day`` (the balance that bears interest for that day)."""
    balance = ZERO
    for ev in validate_events(line, events):
        if ev.on > day:
            break
        balance += ev.amount if ev.kind is EventKind.DRAW else -ev.amount
    return balance


def available(line: RevolvingLine, events: list[Event] | tuple[Event, ...], day: date) -> Decimal:
    """Amount that can still be drawn on ``day`` (zero outside the availability period)."""
    if not line.available_from <= day <= line.available_until:
        return ZERO
    return line.limit - balance_on(line, events, day)


def stretches(
    line: RevolvingLine, events: list[Event] | tuple[Event, ...], start: date, end: date
) -> list[Stretch]:
    """Constant-balance, constant-rate stretches covering days start…end (inclusive),
    with their exact interest. Days with a zero balance are left out."""
    ordered = validate_events(line, events)
    cuts: set[date] = {start, end + ONE_DAY}
    for ev in ordered:
        if start < ev.on <= end:
            cuts.add(ev.on)
    for change in line.rate_changes:
        if start < change.effective <= end:
            cuts.add(change.effective)
    for s in line.settlement_days():
        nxt = s + ONE_DAY if s != line.final_date else s
        if start < nxt <= end:
            cuts.add(nxt)
    points = sorted(cuts)
    out: list[Stretch] = []
    idx = 0
    balance = ZERO
    for a, b in pairwise(points):
        while idx < len(ordered) and ordered[idx].on <= a:
            ev = ordered[idx]
            balance += ev.amount if ev.kind is EventKind.DRAW else -ev.amount
            idx += 1
        if balance == ZERO or a >= line.final_date:
            continue
        b_eff = min(b, line.final_date)
        rate = line.rate_on(a)
        denominator = 365 if line.interest_basis is InterestBasis.ACT_365F else 360
        basis = basis_days(a, b_eff, line.interest_basis)
        out.append(
            Stretch(
                start=a,
                end=b_eff - ONE_DAY,
                days=(b_eff - a).days,
                balance=balance,
                annual_rate=rate,
                interest=balance * rate * basis / denominator,
            )
        )
    return out


def settlements(
    line: RevolvingLine, events: list[Event] | tuple[Event, ...], until: date | None = None
) -> list[Settlement]:
    """Interest settled on each settlement day up to ``until`` (default: maturity)."""
    stop = until or line.final_date
    out: list[Settlement] = []
    first = line.available_from
    for s in line.settlement_days():
        if s > stop:
            break
        last = s if s != line.final_date else s - ONE_DAY
        exact = sum((x.interest for x in stretches(line, events, first, last)), ZERO)
        out.append(Settlement(s, first, last, quantize(exact, line.decimals, line.rounding)))
        first = last + ONE_DAY
    return out


def statement(
    line: RevolvingLine, events: list[Event] | tuple[Event, ...], start: date, end: date
) -> Statement:
    """The interest statement for days ``start``…``end`` (inclusive).

    ``stretches``: each constant stretch in the window with its exact interest;
    ``interest``: the window's interest (their exact sum, rounded once);
    ``settlements``: the settlements dated in the window (each for its whole period);
    ``accrued_unsettled``: interest accrued from the last settlement up to ``end``, not yet
    settled (rounded once); ``closing_balance``: the drawn balance at the end of ``end``.
    """
    if end < start:
        raise TermsError("end", "is before start")
    start = max(start, line.available_from)
    end = min(end, line.final_date - ONE_DAY)
    rows = stretches(line, events, start, end)
    settled = [s for s in settlements(line, events) if start <= s.on <= end]
    open_from = line.available_from
    for s in settlements(line, events, end):
        open_from = s.end + ONE_DAY
    open_exact = ZERO
    if open_from <= end:
        open_exact = sum((x.interest for x in stretches(line, events, open_from, end)), ZERO)
    exact = sum((x.interest for x in rows), ZERO)
    return Statement(
        start=start,
        end=end,
        stretches=tuple(rows),
        interest=quantize(exact, line.decimals, line.rounding),
        settlements=tuple(settled),
        accrued_unsettled=quantize(open_exact, line.decimals, line.rounding),
        closing_balance=balance_on(line, events, end),
    )
