"""Loan servicing on the platform (issue 9): money events stored immutably and replayed through
`techfin.credit.servicing.replay`, idempotent repayments, reversals by maker-checker, renewal,
extension and restructuring as new schedules, staff's judged class with sign-off, and the
credit-register report file.

Balances are never stored as the truth: every view replays the loan's events (the original
schedule from origination's `loans` row, then each schedule change in `svc_schedules`).
Each schedule change starts a new segment on its effective date: the previous segment is
replayed to that date, its outstanding principal (plus any capitalised or minus any forgiven
amount) becomes the new segment's principal, its other arrears (interest billed or accrued,
penalty, compound interest, costs) are carried as one cost line, and held money (suspense) as a
payment. Because this happens at replay time, a backdated event before a schedule change still
replays correctly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from techfin.credit import servicing as dom
from techfin.credit.classification import RiskClass, classify, judged_class_allowed
from techfin.credit.daycount import InterestBasis
from techfin.credit.pricing import LprTable, repricing_dates
from techfin.credit.products import Product, get_product
from techfin.credit.schedule import Method, RateChange, Schedule, Subsidy, Terms
from techfin.services import audit
from techfin.services.authz import owned, require_institution, require_role
from techfin.services.context import Actor, Role
from techfin.services.eod import step as eod_step
from techfin.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from techfin.store.db import Database
from techfin.store.tables import BusinessDate, Enterprise, Institution, User
from techfin.store.tables_origination import Application, Contract, Loan
from techfin.store.tables_servicing import (
    SvcClassification,
    SvcEvent,
    SvcNotice,
    SvcPosition,
    SvcRegisterReport,
    SvcReversalRequest,
    SvcSchedule,
    SvcSubsidyAgreement,
    SvcWriteOffRequest,
)

ZERO = Decimal("0.00")
OPS = [Role.ACCOUNT_MANAGER, Role.RISK_MANAGER, Role.ADMIN]
CHECKERS = [Role.RISK_MANAGER, Role.APPROVER]
READERS = [
    Role.ACCOUNT_MANAGER,
    Role.REVIEWER,
    Role.APPROVER,
    Role.RISK_MANAGER,
    Role.ADMIN,
    Role.REGULATOR,
]
PAYMENT_KINDS = ("repayment", "prepayment", "subsidy_receipt", "fee")
#: A judged class older than this many days is due again (at least quarterly).
JUDGEMENT_MAX_AGE_DAYS = 92


# --------------------------------------------------------------------------------------------
# Terms as JSON


def terms_to_json(t: Terms) -> dict[str, Any]:
    return {
        "principal": str(t.principal),
        "annual_rate": str(t.annual_rate),
        "start": t.start.isoformat(),
        "installments": t.installments,
        "method": str(t.method),
        "interest_basis": str(t.interest_basis),
        "due_dates": [d.isoformat() for d in t.due_dates],
        "periods_per_year": None if t.periods_per_year is None else str(t.periods_per_year),
        "rounding": str(t.rounding),
        "decimals": t.decimals,
    }


def terms_from_json(d: dict[str, Any]) -> Terms:
    """Terms from origination's `loans.terms` or a stored schedule change (monthly frequency)."""
    from techfin.money import Rounding

    ppy = d.get("periods_per_year")
    return Terms(
        principal=Decimal(str(d["principal"])),
        annual_rate=Decimal(str(d["annual_rate"])),
        start=dt.date.fromisoformat(str(d["start"])),
        installments=int(d.get("installments") or 0),
        method=Method(str(d.get("method") or "annuity")),
        interest_basis=InterestBasis(str(d.get("interest_basis") or "act-360")),
        due_dates=tuple(dt.date.fromisoformat(x) for x in d.get("due_dates") or ()),
        periods_per_year=None if ppy in (None, "") else Decimal(str(ppy)),
        rounding=Rounding(str(d["rounding"])) if d.get("rounding") else Rounding.HALF_UP,
        decimals=int(d.get("decimals", 2)),
    )


# --------------------------------------------------------------------------------------------
# Replay


@dataclass(frozen=True)
class Segment:
    seq: int
    kind: str  # original | renewal | extension | restructuring
    start: dt.date
    terms: Terms
    carry: dict[str, Any]
    facts: dict[str, Any]
    #: LPR + spread terms (`services.floating`; `loans.terms["floating"]`), None when fixed,
    #: with the platform's LPR table the replay reprices from (decision 1141).
    floating: dict[str, Any] | None = None
    lpr: LprTable | None = dataclasses.field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class RateReset:
    """A floating loan's repricing that has come: from `date` the rate is the LPR fixing in
    force that day + the spread. `lpr_missing`: the platform's table had no fixing for that
    date, so the last one was used and the figure is provisional (decision 1141)."""

    segment: int
    date: dt.date
    previous_rate: Decimal
    rate: Decimal
    fixing_date: dt.date
    lpr: Decimal
    tenor: str
    lpr_missing: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "segment": self.segment,
            "date": self.date.isoformat(),
            "previous_rate": str(self.previous_rate),
            "rate": str(self.rate),
            "fixing_date": self.fixing_date.isoformat(),
            "lpr": str(self.lpr),
            "tenor": self.tenor,
            "lpr_missing": self.lpr_missing,
        }


@dataclass(frozen=True)
class Position:
    """A loan's replayed state on `as_of`: the current segment's state, plus what spans all
    segments (total paid by the borrower, the combined ledger, classification facts)."""

    loan_id: int
    as_of: dt.date
    state: dom.LoanState
    segment: Segment
    total_paid: Decimal
    ledger: tuple[dom.LedgerEntry, ...]
    facts: dict[str, Any]
    #: The subsidy payer's account over every segment (see `replay_events`).
    subsidy_receivable: Decimal = ZERO
    subsidy_unapplied: Decimal = ZERO
    subsidy_received: Decimal = ZERO
    #: A floating loan's repricings up to `as_of` (every segment), the next one to come in the
    #: current segment (rows due after it are projected at today's rate), the rate in force.
    rate_resets: tuple[RateReset, ...] = ()
    next_repricing: dt.date | None = None
    rate_now: Decimal | None = None

    @property
    def rate_in_force(self) -> Decimal:
        """The contract rate on `as_of`: a floating loan's repriced rate (`rate_now`), else the
        current segment's rate with its rate changes applied."""
        if self.rate_now is not None:
            return self.rate_now
        terms = self.segment.terms
        rate = terms.annual_rate
        for change in terms.rate_changes:
            if change.effective <= self.as_of:
                rate = change.annual_rate
        return rate

    def balances(self) -> dict[str, Any]:
        out = self.state.balances()
        out["subsidy_receivable"] = str(self.subsidy_receivable)
        out["subsidy_unapplied"] = str(self.subsidy_unapplied)
        out["subsidy_received"] = str(self.subsidy_received)
        out["loan_id"] = self.loan_id
        out["total_paid"] = str(self.total_paid)
        out["segment"] = self.segment.seq
        out["schedule_kind"] = self.segment.kind
        out["total_due_now"] = str(self.state.total_due_now)
        out["payoff_amount"] = str(self.state.payoff_amount)
        return out


def _segments(session: Session, loan: Loan) -> list[Segment]:
    """The loan's schedule segments; the approved interest-subsidy agreement (if any) is the
    `Terms.subsidy` of every segment that starts before its `until` (all when open-ended).
    A floating loan's segments carry its LPR + spread terms (a schedule change keeps them unless
    it stored `floating: null`) and the platform's LPR table."""
    from techfin.services import market

    base = dict(loan.terms)
    base.setdefault("principal", str(loan.principal))
    base.setdefault("start", loan.start_date.isoformat())
    loan_floating = base.get("floating") or None
    segs = [Segment(0, "original", loan.start_date, terms_from_json(base), {}, {}, loan_floating)]
    for s in session.scalars(
        select(SvcSchedule).where(SvcSchedule.loan_id == loan.id).order_by(SvcSchedule.seq)
    ):
        fl = s.terms.get("floating", loan_floating)
        segs.append(
            Segment(
                s.seq,
                s.kind,
                s.effective_from,
                terms_from_json(s.terms),
                s.carry,
                s.facts,
                fl or None,
            )
        )
    if any(seg.floating for seg in segs):
        table = market.lpr_table(session)
        segs = [dataclasses.replace(seg, lpr=table) if seg.floating else seg for seg in segs]
    agreement = approved_subsidy(session, loan.id)
    if agreement is None:
        return segs
    subsidy = _subsidy_terms(agreement)
    return [
        dataclasses.replace(seg, terms=dataclasses.replace(seg.terms, subsidy=subsidy))
        if subsidy.until is None or seg.start < subsidy.until
        else seg
        for seg in segs
    ]


def _lpr_rate(table: LprTable, seg: Segment, on: dt.date) -> tuple[Decimal, Any, bool]:
    """LPR in force on `on` + the spread; when the table has no fixing for that date, the last
    fixing, flagged `lpr_missing` (decision 1141). A rate below zero is floored at zero."""
    from techfin.services import floating

    f = floating.floating_of({"rate_type": "floating", **(seg.floating or {})})
    assert f is not None
    try:
        rate, fixing = floating.rate_on(table, f, on)
        missing = False
    except ValueError:
        rate, fixing = floating.rate_on(table, f, on, allow_stale=True)
        missing = True
    return max(rate, Decimal(0)), fixing, missing


def _reprice(
    loan: Loan, seg: Segment, terms: Terms, end: dt.date | None, as_of: dt.date
) -> tuple[Terms, list[RateReset], dt.date | None]:
    """A floating segment's rate changes: one for each repricing date that has come (after the
    segment's start, before the next segment, on or before `as_of`) at the fixing in force
    that day + the spread. Dates still to come change nothing: the rows after the next one are
    projected at the current rate. A renewal or restructuring that kept the floating terms
    (`reset_at_start`) starts at the LPR on its own start."""
    from techfin.credit.pricing import LprTenor

    if not seg.floating or seg.lpr is None:
        return terms, [], None
    fl = seg.floating
    f_tenor = str(LprTenor(str(fl.get("lpr_tenor") or "1y")))
    resets: list[RateReset] = []
    rate = terms.annual_rate

    def reset(on: dt.date) -> Decimal:
        assert seg.lpr is not None
        new, fixing, missing = _lpr_rate(seg.lpr, seg, on)
        resets.append(
            RateReset(
                seg.seq,
                on,
                rate,
                new,
                fixing.fixing_date,
                fixing.rate(LprTenor(f_tenor)),
                f_tenor,
                missing,
            )
        )
        return new

    if seg.seq > 0 and fl.get("reset_at_start") and seg.start <= as_of:
        rate = reset(seg.start)
        terms = dataclasses.replace(terms, annual_rate=rate)
    from techfin.services import floating

    f = floating.floating_of({"rate_type": "floating", **fl})
    assert f is not None
    anchor = dt.date.fromisoformat(str(fl.get("anchor") or loan.start_date.isoformat()))
    maturity = terms.principal_dates()[-1]
    changes: list[RateChange] = []
    upcoming: dt.date | None = None
    if maturity > anchor:
        for d in repricing_dates(anchor, maturity, f.repricing):
            if d <= seg.start:
                continue
            if end is not None and d >= end:
                break
            if d > as_of:
                upcoming = d
                break
            new = reset(d)
            if new != rate:
                changes.append(RateChange(d, new))
            rate = new
    if changes:
        terms = dataclasses.replace(terms, rate_changes=tuple(changes))
    return terms, resets, upcoming


def approved_subsidy(session: Session, loan_id: int) -> SvcSubsidyAgreement | None:
    """The loan's approved interest-subsidy agreement (at most one is approved at a time)."""
    return session.scalar(
        select(SvcSubsidyAgreement)
        .where(SvcSubsidyAgreement.loan_id == loan_id, SvcSubsidyAgreement.status == "approved")
        .order_by(SvcSubsidyAgreement.id.desc())
    )


def _subsidy_terms(a: SvcSubsidyAgreement) -> Subsidy:
    return Subsidy(
        payer=a.payer,
        share=None if a.share is None else Decimal(a.share).normalize(),
        rate=None if a.rate is None else Decimal(a.rate).normalize(),
        until=a.until,
    )


def to_event(row: SvcEvent) -> dom.Event:
    amount = None if row.amount is None else Decimal(row.amount)
    if row.kind == "repayment":
        assert amount is not None
        return dom.Repayment(row.event_id, row.value_date, amount)
    if row.kind == "prepayment":
        assert amount is not None
        return dom.Prepayment(
            row.event_id, row.value_date, amount, dom.PrepaymentMode(row.mode or "reamortise")
        )
    if row.kind == "subsidy_receipt":
        assert amount is not None
        return dom.SubsidyReceipt(row.event_id, row.value_date, amount, row.payer)
    if row.kind == "fee":
        assert amount is not None
        return dom.Fee(row.event_id, row.value_date, amount, row.description)
    if row.kind == "write_off":
        return dom.WriteOff(row.event_id, row.value_date, row.reason)
    if row.kind == "reversal":
        assert row.reverses is not None
        return dom.Reversal(row.event_id, row.value_date, row.reverses, row.reason)
    raise ValueError(f"unknown event kind {row.kind}")


def replay_events(
    loan: Loan, segments: list[Segment], events: list[dom.Event], as_of: dt.date
) -> Position:
    """Replay the loan's events through its segments up to `as_of` (pure)."""
    key = str(loan.id)
    live = [s for i, s in enumerate(segments) if i == 0 or s.start <= as_of]
    total_paid = ZERO
    ledger: list[dom.LedgerEntry] = []
    prev: dom.LoanState | None = None
    facts: dict[str, Any] = {}
    state: dom.LoanState | None = None
    # The subsidy payer's account: what earlier segments left owed (and received in excess),
    # and everything the payer's receipts paid.
    payer_owed = payer_excess = received = ZERO
    resets: list[RateReset] = []
    upcoming: dt.date | None = None
    for i, seg in enumerate(live):
        end = live[i + 1].start if i + 1 < len(live) else None
        mine = [
            e
            for e in events
            if (i == 0 or e.value_date >= seg.start) and (end is None or e.value_date < end)
        ]
        # a reversal reaches back into earlier segments: keep the reversed event's segment
        targets = {e.reverses for e in mine if isinstance(e, dom.Reversal)}
        seg_events: list[dom.Event] = list(mine)
        missing = targets - {e.event_id for e in mine}
        if missing:
            raise ValueError(
                "a reversal must be in the same schedule segment as the event it reverses: "
                + ", ".join(sorted(missing))
            )
        terms = seg.terms
        carried_paid = ZERO
        if i == 0:
            seg_events.append(dom.Disbursement("disbursement", loan.start_date, loan.principal))
        else:
            assert prev is not None
            delta = Decimal(str(seg.carry.get("principal_delta", "0")))
            principal = prev.principal_outstanding + delta
            if principal <= 0:
                raise ValueError("nothing outstanding to carry into the new schedule")
            terms = dataclasses.replace(seg.terms, principal=principal)
            # the payer's part of the accrued interest stays the payer's, not the borrower's
            arrears = (
                prev.interest_unpaid
                + prev.borrower_interest_accrued
                + prev.penalty_interest
                + prev.compound_interest
                + prev.costs
            )
            if delta > 0:
                arrears -= delta
            payer_owed += prev.subsidy_receivable + prev.subsidy_accrued
            payer_excess += prev.subsidy_unapplied
            if seg.carry.get("forgive_interest"):
                arrears = ZERO
            seg_events.append(dom.Disbursement(f"seg{seg.seq}", seg.start, principal))
            if arrears > 0:
                seg_events.append(
                    dom.Fee(f"seg{seg.seq}-carry", seg.start, arrears, "arrears carried over")
                )
            if prev.suspense > 0:
                carried_paid = prev.suspense
                seg_events.append(dom.Repayment(f"seg{seg.seq}-suspense", seg.start, prev.suspense))
        terms, seg_resets, upcoming = _reprice(loan, seg, terms, end, as_of)
        resets.extend(seg_resets)
        contract = dom.Contract(
            key,
            terms,
            penalty_markup=penalty_markup(loan.product_code),
            allocation_order=allocation_order(loan.product_code),
        )
        state = dom.replay(contract, seg_events, end if end is not None else as_of)
        total_paid += state.total_paid - carried_paid
        ledger.extend(state.ledger)
        received += sum(
            (a for e in state.ledger if e.kind == "subsidy_receipt" for b, a in e.allocations),
            ZERO,
        )
        facts.update(seg.facts)
        prev = state
    assert state is not None
    # Net the payer's account across segments: an excess receipt in one segment pays what an
    # earlier segment left owed (the domain keeps each segment's receipts apart).
    owed = payer_owed + state.subsidy_receivable
    excess = payer_excess + state.subsidy_unapplied
    net = min(owed, excess)
    return Position(
        loan.id,
        as_of,
        state,
        live[-1],
        total_paid,
        tuple(ledger),
        _parse_facts(facts),
        subsidy_receivable=owed - net,
        subsidy_unapplied=excess - net,
        subsidy_received=received,
        rate_resets=tuple(resets),
        next_repricing=upcoming,
        rate_now=contract.rate_on(as_of) if live[-1].floating else None,
    )


def _parse_facts(facts: dict[str, Any]) -> dict[str, Any]:
    out = dict(facts)
    if isinstance(out.get("restructuring_observation_start"), str):
        out["restructuring_observation_start"] = dt.date.fromisoformat(
            out["restructuring_observation_start"]
        )
    return out


def _event_rows(session: Session, loan_id: int) -> list[SvcEvent]:
    return list(
        session.scalars(select(SvcEvent).where(SvcEvent.loan_id == loan_id).order_by(SvcEvent.id))
    )


def _product(product_code: str) -> Product:
    """The loan's product in the catalogue (products.yaml). A loan always comes from the
    catalogue (origination refuses any other product), so an unknown code is refused rather
    than serviced on house defaults: a product with live loans stays in the catalogue
    (decision 1109)."""
    try:
        return get_product(product_code)
    except ValueError as exc:
        raise Conflict(
            f"the loan's product {product_code!r} is not in the product catalogue; its penalty "
            "markup and payment allocation order come from there",
            field="product_code",
        ) from exc


def penalty_markup(product_code: str) -> Decimal:
    """The product's penalty-interest markup (products.yaml); an unknown product is refused."""
    return _product(product_code).penalty_markup


def allocation_order(product_code: str) -> tuple[str, ...]:
    """The product's agreed payment allocation order (products.yaml, validated there); an
    unknown product is refused."""
    return _product(product_code).allocation_order


def position(session: Session, loan: Loan, as_of: dt.date) -> Position:
    events = [to_event(r) for r in _event_rows(session, loan.id)]
    return replay_events(loan, _segments(session, loan), events, as_of)


def sync_status(loan: Loan, pos: Position) -> None:
    """The loan's stored status follows the replay on the business date: `settled` once the
    borrower owes nothing (a payoff, or money held that covers it — decision 1110), `active`
    again when a reversal or a later fee reopens it. A write-off is set by its approval and
    never undone here."""
    status = pos.state.status.value
    if loan.status == "written_off" or status == "not_disbursed":
        return
    if status != loan.status and status in ("active", "settled", "written_off"):
        loan.status = status


def business_date(session: Session, institution_id: int) -> dt.date:
    row = session.get(BusinessDate, institution_id)
    return row.business_date if row is not None else dt.date.today()


# --------------------------------------------------------------------------------------------
# Access


def _loan(session: Session, actor: Actor, loan_id: int, *, lock: bool = False) -> Loan:
    query = select(Loan).where(Loan.id == loan_id)
    if lock:
        query = query.with_for_update()
    loan = session.scalar(query)
    if loan is None:
        raise NotFound("loan not found")
    require_institution(actor, loan.institution_id, "loan")
    return loan


def _money(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationFailed(f"{field} must be an amount in yuan", field=field) from exc
    if not amount.is_finite() or amount <= 0:
        raise ValidationFailed(f"{field} must be positive", field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed(f"{field} has more than 2 decimals (fen)", field=field)
    return amount.quantize(Decimal("0.01"))


def _reason(reason: str, field: str = "reason") -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed("give a reason", field=field)
    return text[:2000]


def _with_retry(fn: Any) -> Any:
    """Run a write; retry a few times when SQLite reports a lock (PostgreSQL locks rows)."""
    for attempt in range(8):
        try:
            return fn()
        except OperationalError as exc:
            if "locked" not in str(exc).lower() or attempt == 7:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def _event_dict(row: SvcEvent) -> dict[str, Any]:
    return {
        "id": row.id,
        "event_id": row.event_id,
        "loan_id": row.loan_id,
        "kind": row.kind,
        "value_date": row.value_date.isoformat(),
        "amount": None if row.amount is None else str(Decimal(row.amount).quantize(ZERO)),
        "mode": row.mode,
        "payer": row.payer,
        "description": row.description,
        "reverses": row.reverses,
        "reason": row.reason,
        "entered_by": row.entered_by,
        "approved_by": row.approved_by,
        "entered_at": row.entered_at.isoformat() if row.entered_at else None,
    }


# --------------------------------------------------------------------------------------------
# Money events


def _hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _replayed(existing: SvcEvent, request_hash: str) -> dict[str, Any]:
    if existing.request_hash != request_hash:
        raise Conflict(
            "this Idempotency-Key was already used with a different request",
            field="Idempotency-Key",
        )
    assert existing.result is not None
    return {**existing.result, "idempotent_replay": True}


def record_payment(
    db: Database,
    actor: Actor,
    loan_id: int,
    *,
    amount: Any,
    kind: str = "repayment",
    value_date: dt.date | None = None,
    mode: str | None = None,
    payer: str = "",
    description: str = "",
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Record a repayment, prepayment (re-amortise or reduce term), subsidy receipt or fee.

    With an `idempotency_key`, a retry with the same key and body returns the first result and
    creates nothing (a unique constraint on loan and key backs this under concurrency); the
    same key with a different body is a `Conflict`. The event is value-dated `value_date`
    (default: the business date) and may be backdated: replay recomputes everything after it.
    """
    require_role(actor, OPS, "recording a money event")
    if kind not in PAYMENT_KINDS:
        raise ValidationFailed(f"kind must be one of {', '.join(PAYMENT_KINDS)}", field="kind")
    value = _money(amount, "amount")
    if kind == "prepayment":
        mode = mode or "reamortise"
        if mode not in {m.value for m in dom.PrepaymentMode}:
            raise ValidationFailed("mode must be reamortise or reduce-term", field="mode")
    elif mode:
        raise ValidationFailed("mode applies to prepayments only", field="mode")
    key = (idempotency_key or "").strip() or None
    if key is not None and len(key) > 100:
        raise ValidationFailed("Idempotency-Key is at most 100 characters", field="Idempotency-Key")
    request_hash = _hash(
        {
            "kind": kind,
            "amount": str(value),
            "value_date": value_date,
            "mode": mode or "",
            "payer": payer,
            "description": description,
        }
    )

    def attempt() -> dict[str, Any]:
        with db.transaction() as session:
            loan = _loan(session, actor, loan_id, lock=True)
            if key is not None:
                existing = session.scalar(
                    select(SvcEvent).where(
                        SvcEvent.loan_id == loan.id, SvcEvent.idempotency_key == key
                    )
                )
                if existing is not None:
                    return _replayed(existing, request_hash)
            today = business_date(session, loan.institution_id)
            when = value_date or today
            paid_by = payer.strip()
            if kind == "subsidy_receipt":
                # the approved agreement names the payer; a receipt without one is held as
                # unapplied (to return), as the domain does
                agreement = approved_subsidy(session, loan.id)
                if agreement is not None and not paid_by:
                    paid_by = agreement.payer
                elif agreement is not None and paid_by != agreement.payer:
                    raise ValidationFailed(
                        f"the approved subsidy agreement's payer is {agreement.payer}",
                        field="payer",
                    )
            if when < loan.start_date:
                raise ValidationFailed("value date is before the disbursement", field="value_date")
            if when > today:
                raise ValidationFailed(
                    f"value date is after the business date {today}", field="value_date"
                )
            row = SvcEvent(
                institution_id=loan.institution_id,
                loan_id=loan.id,
                event_id=f"{kind[:3].upper()}-{uuid.uuid4().hex[:16]}",
                kind=kind,
                value_date=when,
                amount=value,
                mode=mode or "",
                payer=paid_by[:200],
                description=description[:300],
                entered_by=actor.user_id or None,
                idempotency_key=key,
                request_hash=request_hash,
                entered_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
            )
            events = [to_event(r) for r in _event_rows(session, loan.id)] + [to_event(row)]
            try:
                pos = replay_events(loan, _segments(session, loan), events, max(when, today))
            except ValueError as exc:
                raise ValidationFailed(str(exc), field="amount") from exc
            sync_status(loan, pos)
            result = {"event": _event_dict(row), "balances": pos.balances()}
            result["event"]["id"] = None
            row.result = result
            session.add(row)
            session.flush()
            row.result = {**result, "event": _event_dict(row)}
            audit.record(
                session,
                actor,
                f"servicing.{kind}",
                f"loan:{loan.id}",
                reason=f"{row.event_id} {value} value {when}",
                after={"event": row.event_id, "amount": str(value), "key": key},
            )
            out = dict(row.result)
            out["idempotent_replay"] = False
            return out

    try:
        result: dict[str, Any] = _with_retry(attempt)
        return result
    except IntegrityError:
        if key is None:
            raise
        with db.read() as session:
            existing = session.scalar(
                select(SvcEvent).where(SvcEvent.loan_id == loan_id, SvcEvent.idempotency_key == key)
            )
            if existing is None:
                raise
            return _replayed(existing, request_hash)


def request_reversal(
    db: Database,
    actor: Actor,
    loan_id: int,
    *,
    event_id: str,
    reason: str,
    value_date: dt.date | None = None,
) -> dict[str, Any]:
    """The maker asks to reverse an event; a different user decides (`decide_reversal`)."""
    require_role(actor, OPS, "requesting a reversal")
    why = _reason(reason)
    with db.transaction() as session:
        loan = _loan(session, actor, loan_id, lock=True)
        target = session.scalar(
            select(SvcEvent).where(SvcEvent.loan_id == loan.id, SvcEvent.event_id == event_id)
        )
        if target is None:
            raise NotFound(f"event {event_id} not found", field="event_id")
        if target.kind == "reversal":
            raise ValidationFailed(
                "a reversal cannot be reversed; enter the event again", field="event_id"
            )
        if target.kind == "write_off":
            raise ValidationFailed(
                "a write-off is not reversed (the claim is kept and pursued; money received "
                "later is recorded as a recovery)",
                field="event_id",
            )
        done = session.scalar(
            select(SvcEvent.id).where(SvcEvent.loan_id == loan.id, SvcEvent.reverses == event_id)
        )
        pending = session.scalar(
            select(SvcReversalRequest.id).where(
                SvcReversalRequest.loan_id == loan.id,
                SvcReversalRequest.target_event_id == event_id,
                SvcReversalRequest.status == "pending",
            )
        )
        if done is not None or pending is not None:
            raise Conflict(f"event {event_id} is already reversed or pending", field="event_id")
        when = value_date or business_date(session, loan.institution_id)
        if when < target.value_date:
            raise ValidationFailed(
                "a reversal cannot be dated before the event it reverses", field="value_date"
            )
        req = SvcReversalRequest(
            institution_id=loan.institution_id,
            loan_id=loan.id,
            target_event_id=event_id,
            value_date=when,
            reason=why,
            requested_by=actor.user_id or None,
        )
        session.add(req)
        session.flush()
        audit.record(
            session,
            actor,
            "servicing.reversal_requested",
            f"loan:{loan.id}",
            reason=why,
            after={"request": req.id, "event": event_id},
        )
        return _reversal_dict(req)


def _reversal_dict(r: SvcReversalRequest, session: Session | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": r.id,
        "loan_id": r.loan_id,
        "event_id": r.target_event_id,
        "value_date": r.value_date.isoformat(),
        "reason": r.reason,
        "status": r.status,
        "requested_by": r.requested_by,
        "checked_by": r.checked_by,
        "check_note": r.check_note,
        "reversal_event_id": r.reversal_event_id,
    }
    if session is not None:
        out["requested_by_name"] = _name(session, r.requested_by)
        out["checked_by_name"] = _name(session, r.checked_by)
    return out


Checked = TypeVar("Checked", SvcReversalRequest, SvcSubsidyAgreement, SvcWriteOffRequest)


def _pending_for_checker(
    session: Session,
    actor: Actor,
    model: type[Checked],
    row_id: int,
    what: str,
    maker_of: str,
    note: str,
) -> Checked:
    """The maker-checker step every servicing request shares: the pending request of the
    caller's institution (another's is not found), decided by someone other than its maker; the
    checker, time and note are recorded on it."""
    row = owned(session, actor, model, row_id, what)
    if row.requested_by is not None and row.requested_by == actor.user_id:
        raise Forbidden(f"the maker of a {maker_of} cannot approve or reject it (maker-checker)")
    if row.status != "pending":
        raise Conflict(f"{what} is {row.status}", field="status")
    row.checked_by, row.checked_at, row.check_note = actor.user_id or None, _now(), note
    return row


def _reject(
    session: Session,
    actor: Actor,
    row: SvcReversalRequest | SvcSubsidyAgreement | SvcWriteOffRequest,
    loan: Loan,
    command: str,
    after: dict[str, Any] | None = None,
) -> None:
    """The checker rejects a pending request: its status, and the audit entry with the note."""
    row.status = "rejected"
    audit.record(session, actor, command, f"loan:{loan.id}", reason=row.check_note, after=after)


def decide_reversal(
    db: Database, actor: Actor, request_id: int, *, approve: bool, note: str = ""
) -> dict[str, Any]:
    """The checker approves (the reversal event is written) or rejects; never the maker."""
    require_role(actor, CHECKERS, "deciding a reversal")
    with db.transaction() as session:
        req = _pending_for_checker(
            session, actor, SvcReversalRequest, request_id, "reversal request", "reversal", note
        )
        loan = _loan(session, actor, req.loan_id, lock=True)
        if not approve:
            _reject(session, actor, req, loan, "servicing.reversal_rejected")
            return _reversal_dict(req)
        row = SvcEvent(
            institution_id=loan.institution_id,
            loan_id=loan.id,
            event_id=f"REV-{uuid.uuid4().hex[:16]}",
            kind="reversal",
            value_date=req.value_date,
            reverses=req.target_event_id,
            reason=req.reason,
            entered_by=req.requested_by,
            approved_by=actor.user_id or None,
        )
        events = [to_event(r) for r in _event_rows(session, loan.id)] + [to_event(row)]
        today = business_date(session, loan.institution_id)
        try:
            pos = replay_events(loan, _segments(session, loan), events, max(today, req.value_date))
        except ValueError as exc:
            raise ValidationFailed(str(exc), field="event_id") from exc
        sync_status(loan, pos)
        session.add(row)
        req.status, req.reversal_event_id = "approved", row.event_id
        audit.record(
            session,
            actor,
            "servicing.reversal_approved",
            f"loan:{loan.id}",
            reason=req.reason,
            after={"reversal": row.event_id, "reverses": req.target_event_id},
        )
        return _reversal_dict(req)


# --------------------------------------------------------------------------------------------
# Interest-subsidy agreements (贴息): a third party pays part of the interest; maker-checker

SUBSIDY_MAKERS = [Role.ACCOUNT_MANAGER, Role.RISK_MANAGER]
SUBSIDY_CHECKERS = [Role.APPROVER, Role.RISK_MANAGER]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _fraction(value: Any, field: str) -> Decimal | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationFailed(f"{field} must be a decimal fraction", field=field) from exc
    if not number.is_finite():
        raise ValidationFailed(f"{field} must be a decimal fraction", field=field)
    if number != number.quantize(Decimal("0.00000001")):
        raise ValidationFailed(f"{field} has more than 8 decimals", field=field)
    return number


def _subsidy_dict(a: SvcSubsidyAgreement, session: Session | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": a.id,
        "loan_id": a.loan_id,
        "payer": a.payer,
        "share": None if a.share is None else str(Decimal(a.share).normalize()),
        "rate": None if a.rate is None else str(Decimal(a.rate).normalize()),
        "until": a.until.isoformat() if a.until else None,
        "reference": a.reference,
        "status": a.status,
        "notes": a.notes,
        "requested_by": a.requested_by,
        "checked_by": a.checked_by,
        "check_note": a.check_note,
        "replaced_by": a.replaced_by,
        "created_at": a.created_at.isoformat() if a.created_at else None,
        "checked_at": a.checked_at.isoformat() if a.checked_at else None,
        "ended_at": a.ended_at.isoformat() if a.ended_at else None,
    }
    if session is not None:
        out["requested_by_name"] = _name(session, a.requested_by)
        out["checked_by_name"] = _name(session, a.checked_by)
    return out


def request_subsidy(
    db: Database,
    actor: Actor,
    loan_id: int,
    *,
    payer: str,
    reference: str,
    share: Any = None,
    rate: Any = None,
    until: dt.date | None = None,
    notes: str = "",
) -> dict[str, Any]:
    """An account or risk manager records a third party's interest-subsidy agreement: a
    `share` of the interest (0 < share ≤ 1) or `rate` points of the annual rate, optionally
    for interest accrued before `until`. It applies from the disbursement once a different
    user approves it (`decide_subsidy`).

    `rate` may not exceed the contract rate in force on the business date (`Position.
    rate_in_force`: a floating loan's repriced rate, a schedule change's new rate — not the
    starting `loan.annual_rate`); the approval checks it again on its own business date. The
    domain caps the payer's points at the rate in force on each day anyway
    (`credit/schedule.py`, ``min(sub_rate, rate)``; `credit/servicing.py` `_rate_weights`), so
    on a day the rate falls below the points the payer pays all of that day's interest and never
    more."""
    require_role(actor, SUBSIDY_MAKERS, "requesting an interest subsidy")
    who = (payer or "").strip()
    if not who:
        raise ValidationFailed("name the payer of the subsidy", field="payer")
    if len(who) > 200:
        raise ValidationFailed("payer is at most 200 characters", field="payer")
    ref = (reference or "").strip()
    if not ref:
        raise ValidationFailed(
            "give the agreement's reference (document number)", field="reference"
        )
    if len(ref) > 100:
        raise ValidationFailed("reference is at most 100 characters", field="reference")
    part = _fraction(share, "share")
    points = _fraction(rate, "rate")
    if part is not None and points is not None:
        raise ValidationFailed(
            "give either share (of the interest) or rate (points of the annual rate), not both",
            field="rate",
        )
    if part is None and points is None:
        raise ValidationFailed(
            "give share (of the interest) or rate (points of the annual rate)", field="share"
        )
    if part is not None and not Decimal(0) < part <= Decimal(1):
        raise ValidationFailed(
            f"share must be more than 0 and at most 1 (1 = all the interest), got {part}",
            field="share",
        )
    if points is not None and points <= 0:
        raise ValidationFailed(f"rate must be positive, got {points}", field="rate")
    with db.transaction() as session:
        loan = _loan(session, actor, loan_id, lock=True)
        if loan.status != "active":
            raise Conflict(
                f"the loan is {loan.status}: a subsidy is agreed on an active loan", field="loan"
            )
        if points is not None:
            _check_points(session, loan, points)
        if until is not None and until <= loan.start_date:
            raise ValidationFailed(
                f"until {until} must be after the loan's start {loan.start_date}", field="until"
            )
        pending = session.scalar(
            select(SvcSubsidyAgreement.id).where(
                SvcSubsidyAgreement.loan_id == loan.id, SvcSubsidyAgreement.status == "pending"
            )
        )
        if pending is not None:
            raise Conflict(
                f"subsidy agreement {pending} for this loan is waiting for a decision",
                field="loan",
            )
        row = SvcSubsidyAgreement(
            institution_id=loan.institution_id,
            loan_id=loan.id,
            payer=who,
            share=part,
            rate=points,
            until=until,
            reference=ref,
            notes=(notes or "").strip()[:2000],
            requested_by=actor.user_id or None,
        )
        try:
            _subsidy_terms(row)
        except ValueError as exc:
            raise ValidationFailed(str(exc), field="share") from exc
        session.add(row)
        session.flush()
        out = _subsidy_dict(row, session)
        audit.record(
            session,
            actor,
            "servicing.subsidy_requested",
            f"loan:{loan.id}",
            reason=ref,
            after={k: out[k] for k in ("id", "payer", "share", "rate", "until", "reference")},
        )
        return out


def _check_points(session: Session, loan: Loan, points: Decimal) -> None:
    """Refuse subsidy rate points above the contract rate in force on the business date."""
    today = business_date(session, loan.institution_id)
    in_force = position(session, loan, max(today, loan.start_date)).rate_in_force
    if points > in_force:
        raise ValidationFailed(
            f"rate {points} is more than the loan's rate in force on {today}, {in_force}",
            field="rate",
        )


def decide_subsidy(
    db: Database, actor: Actor, agreement_id: int, *, approve: bool, note: str = ""
) -> dict[str, Any]:
    """An approver or risk manager other than the maker approves or rejects. Approval ends
    the loan's previously approved agreement (`ended`, `replaced_by`): at most one is approved
    at a time, and the approved one governs the loan's interest from disbursement."""
    require_role(actor, SUBSIDY_CHECKERS, "deciding an interest subsidy")
    with db.transaction() as session:
        row = _pending_for_checker(
            session,
            actor,
            SvcSubsidyAgreement,
            agreement_id,
            "subsidy agreement",
            "subsidy agreement",
            note,
        )
        loan = _loan(session, actor, row.loan_id, lock=True)
        if not approve:
            _reject(session, actor, row, loan, "servicing.subsidy_rejected", {"agreement": row.id})
            return _subsidy_dict(row, session)
        if loan.status != "active":
            raise Conflict(
                f"the loan is {loan.status}: a subsidy is agreed on an active loan", field="loan"
            )
        if row.rate is not None:
            _check_points(session, loan, Decimal(row.rate))
        ended = list(
            session.scalars(
                select(SvcSubsidyAgreement).where(
                    SvcSubsidyAgreement.loan_id == loan.id,
                    SvcSubsidyAgreement.status == "approved",
                )
            )
        )
        for old in ended:
            old.status, old.ended_at, old.replaced_by = "ended", _now(), row.id
        row.status = "approved"
        session.flush()
        today = business_date(session, loan.institution_id)
        try:
            pos = position(session, loan, today)
        except ValueError as exc:
            raise ValidationFailed(str(exc), field="subsidy") from exc
        audit.record(
            session,
            actor,
            "servicing.subsidy_approved",
            f"loan:{loan.id}",
            reason=note or row.reference,
            after={
                "agreement": row.id,
                "ends": [o.id for o in ended],
                "subsidy_receivable": str(pos.subsidy_receivable),
                "suspense": str(pos.state.suspense),
            },
        )
        return _subsidy_dict(row, session)


# --------------------------------------------------------------------------------------------
# Renewal, extension, restructuring: a new schedule segment


def _add_segment(
    session: Session,
    actor: Actor,
    loan: Loan,
    *,
    kind: str,
    start: dt.date,
    terms: Terms,
    schedule: Schedule,
    carry: dict[str, Any],
    facts: dict[str, Any],
    detail: dict[str, Any],
    reason: str,
    floating: dict[str, Any] | bool | None = False,
) -> dict[str, Any]:
    """`floating`: False leaves the segment's rate type to the loan (a fixed loan's schedule
    change); a descriptor keeps LPR + spread; None makes a floating loan's new schedule fixed."""
    _not_written_off(loan)
    segs = _segments(session, loan)
    if start <= segs[-1].start:
        raise Conflict(
            f"a schedule change must start after the current schedule's start {segs[-1].start}",
            field="as_of",
        )
    row = SvcSchedule(
        institution_id=loan.institution_id,
        loan_id=loan.id,
        seq=len(segs),
        kind=kind,
        effective_from=start,
        terms=terms_to_json(terms)
        if floating is False
        else {**terms_to_json(terms), "floating": floating},
        rows=[r.to_dict() for r in schedule.rows],
        carry=carry,
        facts={k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in facts.items()},
        detail=detail,
        reason=reason,
        created_by=actor.user_id or None,
    )
    session.add(row)
    session.flush()
    loan.maturity_date = schedule.rows[-1].due_date
    audit.record(
        session,
        actor,
        f"servicing.{kind}",
        f"loan:{loan.id}",
        reason=reason,
        after={"seq": row.seq, "from": start, "maturity": loan.maturity_date},
    )
    return {
        "loan_id": loan.id,
        "seq": row.seq,
        "kind": kind,
        "effective_from": start.isoformat(),
        "terms": row.terms,
        "schedule": row.rows,
        "facts": row.facts,
        "detail": detail,
    }


def _not_written_off(loan: Loan) -> None:
    if loan.status == "written_off":
        raise Conflict("the loan is written off: its schedule no longer changes", field="loan")


def _refused(what: str, exc: Any, field: str) -> ValidationFailed:
    """A domain refusal (`restructure.NotAllowed`) as one error naming every failed check."""
    failed = "; ".join(c.text for c in exc.checks if not c.passed)
    return ValidationFailed(f"{what} refused: {failed}", field=field)


def _change_rate_terms(
    session: Session,
    pos: Position,
    *,
    kind: str,
    start: dt.date,
    rate_type: str | None,
    annual_rate: Decimal | None,
) -> tuple[dict[str, Any] | bool | None, Decimal | None]:
    """The rate terms of a new schedule (decision 1142): a floating loan keeps LPR + its spread
    unless the command gives `rate_type` fixed (then `annual_rate`, or for an extension the rate
    in force, is fixed from the change on). An extension keeps the loan's repricing dates and
    current rate; a renewal or restructuring starts at the LPR on its own start + the spread and
    reprices on its own anniversaries. A fixed loan becomes floating only by a new approval."""
    kind_given = (rate_type or "").strip()
    if kind_given not in ("", "fixed", "floating"):
        raise ValidationFailed(
            f"rate_type: fixed or floating, got {rate_type!r}", field="rate_type"
        )
    current = pos.segment.floating
    if not current:
        if kind_given == "floating":
            raise ValidationFailed(
                "a fixed-rate loan becomes floating only through a new approval",
                field="rate_type",
            )
        return False, annual_rate
    if kind_given == "fixed":
        if annual_rate is None and kind != "extension":
            raise ValidationFailed("give the fixed annual_rate", field="annual_rate")
        return None, annual_rate
    if annual_rate is not None:
        raise ValidationFailed(
            "a floating loan's rate is LPR + its spread: omit annual_rate, or give rate_type "
            "fixed to fix the rate from this change",
            field="annual_rate",
        )
    if kind == "extension":
        return dict(current), None
    descriptor = {**current, "anchor": start.isoformat(), "reset_at_start": True}
    seg = dataclasses.replace(pos.segment, floating=descriptor)
    table = pos.segment.lpr
    if table is None:
        from techfin.services import market

        table = market.lpr_table(session)
    rate, _, _ = _lpr_rate(table, seg, start)
    if rate <= 0:
        raise ValidationFailed(
            f"LPR + spread gives {rate} on {start.isoformat()}: give rate_type fixed",
            field="spread_bp",
        )
    return descriptor, rate


def extend_loan(
    db: Database,
    actor: Actor,
    loan_id: int,
    *,
    new_maturity: dt.date,
    reason: str,
    as_of: dt.date | None = None,
    annual_rate: Decimal | None = None,
    rate_type: str | None = None,
) -> dict[str, Any]:
    """Extension (展期): the outstanding principal re-amortised from `as_of` to `new_maturity`
    (`restructure.extend`, with its limits). A floating loan stays floating (`rate_type` fixed
    fixes it) and keeps its repricing dates."""
    from techfin.credit.restructure import ExtensionRequest, NotAllowed, extend

    require_role(actor, [Role.APPROVER, Role.RISK_MANAGER], "extending a loan")
    why = _reason(reason)
    with db.transaction() as session:
        loan = _loan(session, actor, loan_id, lock=True)
        _not_written_off(loan)
        when = as_of or business_date(session, loan.institution_id)
        pos = position(session, loan, when)
        if pos.state.schedule is None:
            raise Conflict("nothing left to extend", field="loan")
        seg_floating, annual_rate = _change_rate_terms(
            session,
            pos,
            kind="extension",
            start=when,
            rate_type=rate_type,
            annual_rate=annual_rate,
        )
        try:
            request = ExtensionRequest(
                loan_id=str(loan.id),
                original_start=loan.start_date,
                original_maturity=pos.segment.terms.principal_dates()[-1]
                if pos.segment.seq == 0
                else _original_maturity(session, loan),
                new_maturity=new_maturity,
                applied_on=when,
                previous_maturity=loan.maturity_date,
            )
            ext = extend(
                request,
                pos.state.schedule,
                outstanding_principal=pos.state.principal_outstanding,
                as_of=when,
                annual_rate=annual_rate,
            )
        except NotAllowed as exc:
            raise _refused("extension", exc, "new_maturity") from exc
        except ValueError as exc:
            raise ValidationFailed(str(exc), field="new_maturity") from exc
        return _add_segment(
            session,
            actor,
            loan,
            kind="extension",
            start=when,
            terms=ext.terms,
            schedule=ext.schedule,
            carry={"principal_delta": "0"},
            facts={},
            detail={"checks": [c.to_dict() for c in ext.checks], "rule_version": ext.rule_version},
            reason=why,
            floating=seg_floating,
        )


def _original_maturity(session: Session, loan: Loan) -> dt.date:
    base = dict(loan.terms)
    base.setdefault("principal", str(loan.principal))
    base.setdefault("start", loan.start_date.isoformat())
    return terms_from_json(base).principal_dates()[-1]


RENEWAL_CONDITIONS = ("lawful", "operating", "funds_diverted", "missed_interest", "evaded_debt")


def _renewal_conditions(conditions: dict[str, Any] | None) -> dict[str, bool]:
    """The five facts §7a ties a renewed loan's normal class to, each answered true or false by
    the approver: none is assumed (a missing answer would otherwise count as favourable)."""
    given = conditions or {}
    unknown = sorted(set(given) - set(RENEWAL_CONDITIONS))
    if unknown:
        raise ValidationFailed(
            f"conditions: unknown {', '.join(unknown)}; the conditions are "
            + ", ".join(RENEWAL_CONDITIONS),
            field=f"conditions.{unknown[0]}",
        )
    out: dict[str, bool] = {}
    for key in RENEWAL_CONDITIONS:
        value = given.get(key)
        if not isinstance(value, bool):
            raise ValidationFailed(
                f"conditions.{key}: answer true or false (§7a: lawful, operating, funds not "
                "diverted, no interest missed, no debt evaded)",
                field=f"conditions.{key}",
            )
        out[key] = value
    return out


def renew_loan(
    db: Database,
    actor: Actor,
    loan_id: int,
    *,
    borrower_size: str,
    purpose: str,
    applied_on: dt.date,
    investigation_done_on: dt.date | None,
    contracts_signed_on: dt.date | None,
    annual_rate: Decimal | None = None,
    installments: int,
    method: str = "interest-only",
    conditions: dict[str, bool] | None = None,
    reason: str,
    rate_type: str | None = None,
) -> dict[str, Any]:
    """Renewal without prior repayment (无还本续贷, official-rules §7a): checked by
    `restructure.check_renewal`; the new schedule starts on the current maturity date."""
    from techfin.credit.restructure import NotAllowed, RenewalRequest, renew, renewal_terms

    require_role(actor, [Role.APPROVER], "renewing a loan")
    why = _reason(reason)
    cond = _renewal_conditions(conditions)
    with db.transaction() as session:
        loan = _loan(session, actor, loan_id, lock=True)
        _not_written_off(loan)
        today = business_date(session, loan.institution_id)
        maturity = loan.maturity_date
        if today >= maturity:
            raise ValidationFailed("a renewal is done before maturity", field="applied_on")
        pos = position(session, loan, today)
        # The loan's own record speaks first: a borrower past due or with interest unpaid has
        # missed interest (§7a), and is restructured (重组), not renewed.
        unpaid = pos.state.interest_unpaid
        if pos.state.days_past_due > 0 or unpaid > 0:
            raise ValidationFailed(
                f"renewal refused: the loan is {pos.state.days_past_due} days past due with "
                f"{unpaid} of interest unpaid; a borrower in difficulty is restructured, "
                "not renewed without repayment",
                field="renewal",
            )
        seg_floating, annual_rate = _change_rate_terms(
            session,
            pos,
            kind="renewal",
            start=maturity,
            rate_type=rate_type,
            annual_rate=annual_rate,
        )
        if annual_rate is None:
            raise ValidationFailed("give the renewal's annual_rate", field="annual_rate")
        try:
            request = RenewalRequest(
                loan_id=str(loan.id),
                borrower_size=borrower_size,
                purpose=purpose,
                maturity=maturity,
                outstanding_principal=pos.state.principal_outstanding,
                applied_on=applied_on,
                investigation_done_on=investigation_done_on,
                contracts_signed_on=contracts_signed_on,
                lawful=cond["lawful"],
                operating=cond["operating"],
                funds_diverted=cond["funds_diverted"],
                missed_interest=cond["missed_interest"],
                evaded_debt=cond["evaded_debt"],
                days_past_due=pos.state.days_past_due,
            )
            terms = renewal_terms(
                request,
                annual_rate=Decimal(str(annual_rate)),
                installments=installments,
                method=Method(method),
            )
            renewal = renew(request, terms)
        except NotAllowed as exc:
            raise _refused("renewal", exc, "renewal") from exc
        except ValueError as exc:
            raise ValidationFailed(str(exc), field="renewal") from exc
        return _add_segment(
            session,
            actor,
            loan,
            kind="renewal",
            start=maturity,
            terms=renewal.terms,
            schedule=renewal.schedule,
            carry={"principal_delta": "0"},
            facts=renewal.decision.classification_facts(),
            detail={
                "decision": renewal.decision.to_dict(),
                "classification": renewal.classification.to_dict(),
            },
            reason=why,
            floating=seg_floating,
        )


def restructure_loan(
    db: Database,
    actor: Actor,
    loan_id: int,
    *,
    difficulty_evidence: str,
    annual_rate: Decimal | None = None,
    installments: int,
    method: str = "annuity",
    new_principal: Decimal | None = None,
    concessions: list[str] | None = None,
    as_of: dt.date | None = None,
    reason: str,
    rate_type: str | None = None,
) -> dict[str, Any]:
    """Restructuring (重组) for a borrower in difficulty: a new schedule from `as_of`, the
    substandard floor for the observation period (`restructure.restructure`)."""
    from techfin.credit.restructure import Concession, RestructuringRequest, restructure

    require_role(actor, [Role.APPROVER], "restructuring a loan")
    why = _reason(reason)
    with db.transaction() as session:
        loan = _loan(session, actor, loan_id, lock=True)
        _not_written_off(loan)
        when = as_of or business_date(session, loan.institution_id)
        pos = position(session, loan, when)
        if pos.state.schedule is None:
            raise Conflict("nothing left to restructure", field="loan")
        outstanding = pos.state.principal_outstanding
        principal = outstanding if new_principal is None else _money(new_principal, "new_principal")
        seg_floating, annual_rate = _change_rate_terms(
            session,
            pos,
            kind="restructuring",
            start=when,
            rate_type=rate_type,
            annual_rate=annual_rate,
        )
        if annual_rate is None:
            raise ValidationFailed("give the restructured annual_rate", field="annual_rate")
        try:
            new_terms = Terms(
                principal=principal,
                annual_rate=Decimal(str(annual_rate)),
                start=when,
                installments=installments,
                method=Method(method),
            )
            result = restructure(
                RestructuringRequest(
                    loan_id=str(loan.id),
                    as_of=when,
                    old_terms=pos.state.schedule.terms,
                    new_terms=new_terms,
                    outstanding_principal=outstanding,
                    difficulty_evidence=difficulty_evidence,
                    unpaid_interest=pos.state.interest_unpaid,
                    concessions=tuple(Concession(c) for c in concessions or ()),
                    days_past_due=pos.state.days_past_due,
                )
            )
        except ValueError as exc:
            raise ValidationFailed(str(exc), field="restructuring") from exc
        carry = {
            "principal_delta": str(principal - outstanding),
            "forgive_interest": Concession.INTEREST_FORGIVENESS in result.concessions,
        }
        return _add_segment(
            session,
            actor,
            loan,
            kind="restructuring",
            start=when,
            terms=result.terms,
            schedule=result.schedule,
            carry=carry,
            facts=result.classification_facts(),
            detail={
                "concessions": [str(c) for c in result.concessions],
                "observation_end": result.observation_end.isoformat(),
                "difficulty_evidence": difficulty_evidence,
                "classification": result.classification.to_dict(),
            },
            reason=why,
            floating=seg_floating,
        )


# --------------------------------------------------------------------------------------------
# Classification: the floor (rules) and the judged class (staff, maker-checker)


def floor_facts(session: Session, loan: Loan, pos: Position) -> dict[str, Any]:
    """Facts for `classify` besides days past due: the schedule changes' facts, the previous
    judged class, and the borrower's standing at other banks from the credit register."""
    from techfin.store.tables import CreditRegisterLoan

    facts: dict[str, Any] = dict(pos.facts)
    facts.update(_upgrade_history(session, loan, pos))
    from techfin.services.consent import Purpose, system_read

    # The credit register is the borrower's shared data: read under its post-loan consent
    # (and logged), as every other read of hub data.
    consented = system_read(
        session,
        institution_id=loan.institution_id,
        enterprise_id=loan.enterprise_id,
        purpose=Purpose.POST_LOAN_MONITORING,
        what="credit register (classification)",
        on=pos.as_of,
        job="classification",
    )
    others = (
        list(
            session.scalars(
                select(CreditRegisterLoan).where(
                    CreditRegisterLoan.enterprise_id == loan.enterprise_id
                )
            )
        )
        if consented is not None
        else []
    )
    if any(o.classification in ("substandard", "doubtful", "loss") for o in others):
        facts["npl_at_other_bank"] = True
    # The bank's own use-of-funds evidence: a use in a category prohibited for this loan is a
    # recorded fact of an unapproved change of use (a special-mention floor, §7). A keyword hit
    # is only a suspicion for staff to check: it warns (early warning) but sets no floor.
    from techfin.services.servicing_monitoring import fund_use_assessment

    assessment = fund_use_assessment(session, loan, pos.as_of)
    if assessment is not None and any(f.kind == "prohibited" for f in assessment.findings):
        facts["unapproved_change_of_use"] = True
    return facts


_NON_PERFORMING = ("substandard", "doubtful", "loss")
_ORDER = ("normal", "special_mention", "substandard", "doubtful", "loss")


def _upgrade_history(session: Session, loan: Loan, pos: Position) -> dict[str, Any]:
    """What the upgrade rule needs (2023 rules art. on upgrading a non-performing loan): the
    loan's worst class since it last performed — the staff's judgement or a day-end floor —,
    when its arrears were paid (the first day-end after the last one past due), and how many
    repayment periods have fallen due since. A loan that was non-performing stays at least
    substandard until arrears are paid and it has paid normally for 2 periods or 6 months."""
    last = latest_judgement(session, loan.id)
    history = list(
        session.execute(
            select(SvcPosition.as_of, SvcPosition.days_past_due, SvcPosition.floor)
            .where(SvcPosition.loan_id == loan.id, SvcPosition.as_of < pos.as_of)
            .order_by(SvcPosition.as_of)
        ).all()
    )
    worst = last.judged_class if last is not None else None
    for _on, _dpd, floor in history:
        if floor in _NON_PERFORMING and (
            worst is None or _ORDER.index(floor) > _ORDER.index(worst)
        ):
            worst = floor
    if worst is None:
        return {}
    facts: dict[str, Any] = {"previous_class": worst}
    if worst not in _NON_PERFORMING or pos.state.days_past_due > 0:
        return facts
    overdue_days = [on for on, dpd, _f in history if dpd > 0]
    paid_on = (
        next((on for on, dpd, _f in history if on > overdue_days[-1] and dpd == 0), pos.as_of)
        if overdue_days
        else (history[0][0] if history else pos.as_of)
    )
    facts["arrears_paid_on"] = paid_on
    schedule = pos.state.schedule
    dues = [r.due_date for r in schedule.rows] if schedule is not None else []
    facts["on_time_periods_since_arrears_paid"] = sum(1 for d in dues if paid_on < d <= pos.as_of)
    months = 1
    if len(dues) >= 2:
        months = max(1, (dues[1].year - dues[0].year) * 12 + dues[1].month - dues[0].month)
    facts["repayment_period_months"] = months
    return facts


def floor_of(session: Session, loan: Loan, pos: Position) -> Any:
    return classify(
        days_past_due=pos.state.days_past_due,
        as_of=pos.as_of,
        **floor_facts(session, loan, pos),
    )


def latest_judgement(session: Session, loan_id: int) -> SvcClassification | None:
    return session.scalar(
        select(SvcClassification)
        .where(SvcClassification.loan_id == loan_id, SvcClassification.status == "approved")
        .order_by(SvcClassification.reviewed_at.desc(), SvcClassification.id.desc())
    )


def _class_dict(c: SvcClassification) -> dict[str, Any]:
    return {
        "id": c.id,
        "loan_id": c.loan_id,
        "as_of": c.as_of.isoformat(),
        "floor": c.floor,
        "floor_reasons": c.floor_reasons,
        "rule_version": c.rule_version,
        "judged_class": c.judged_class,
        "rationale": c.rationale,
        "status": c.status,
        "proposed_by": c.proposed_by,
        "reviewed_by": c.reviewed_by,
        "review_note": c.review_note,
        "reviewed_at": c.reviewed_at.isoformat() if c.reviewed_at else None,
    }


def propose_class(
    db: Database, actor: Actor, loan_id: int, *, judged_class: str, rationale: str
) -> dict[str, Any]:
    """Staff propose the judged class: never better than today's floor."""
    require_role(actor, [Role.ACCOUNT_MANAGER, Role.RISK_MANAGER], "proposing a risk class")
    why = _reason(rationale, "rationale")
    try:
        judged = RiskClass(judged_class)
    except ValueError as exc:
        raise ValidationFailed(
            "judged_class must be one of " + ", ".join(c.value for c in RiskClass),
            field="judged_class",
        ) from exc
    with db.transaction() as session:
        loan = _loan(session, actor, loan_id)
        today = business_date(session, loan.institution_id)
        pos = position(session, loan, today)
        floor = floor_of(session, loan, pos)
        if not judged_class_allowed(floor.value, judged):
            raise ValidationFailed(
                f"the judged class may not be better than the floor {floor.value.value}: "
                + "; ".join(r.text for r in floor.reasons),
                field="judged_class",
            )
        row = SvcClassification(
            institution_id=loan.institution_id,
            loan_id=loan.id,
            as_of=today,
            floor=floor.value.value,
            floor_reasons=floor.to_dict()["reasons"],
            rule_version=floor.rule_version,
            judged_class=judged.value,
            rationale=why,
            proposed_by=actor.user_id or None,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor,
            "servicing.class_proposed",
            f"loan:{loan.id}",
            reason=why,
            after={"judged": judged.value, "floor": floor.value.value},
        )
        return _class_dict(row)


def sign_off_class(
    db: Database, actor: Actor, classification_id: int, *, approve: bool, note: str = ""
) -> dict[str, Any]:
    """Review and sign-off of a proposed class by another user (maker-checker)."""
    require_role(actor, [Role.RISK_MANAGER, Role.APPROVER], "signing off a risk class")
    with db.transaction() as session:
        row = owned(session, actor, SvcClassification, classification_id, "classification")
        if row.proposed_by is not None and row.proposed_by == actor.user_id:
            raise Forbidden("the proposer cannot sign off their own classification")
        if row.status != "proposed":
            raise Conflict(f"classification is {row.status}", field="status")
        row.status = "approved" if approve else "rejected"
        row.reviewed_by = actor.user_id or None
        row.reviewed_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        row.review_note = note
        audit.record(
            session,
            actor,
            "servicing.class_" + row.status,
            f"loan:{row.loan_id}",
            reason=note,
            after={"judged": row.judged_class, "floor": row.floor},
        )
        return _class_dict(row)


# --------------------------------------------------------------------------------------------
# Write-off (核销): a risk manager requests, an approver decides; conditions as data


@cache
def write_off_rules() -> dict[str, Any]:
    """The house write-off conditions (`credit/data/write_off.yaml`, unconfirmed), validated."""
    text = (resources.files("techfin.credit") / "data" / "write_off.yaml").read_text("utf-8")
    raw: dict[str, Any] = yaml.safe_load(text)
    RiskClass(str(raw["min_class"]))
    for key in ("requester_roles", "checker_roles"):
        raw[key] = [Role(r) for r in raw[key]]
    if set(raw["class_basis"]) - {"floor", "last_signed_off"}:
        raise ValueError("write_off.yaml: class_basis names floor and/or last_signed_off")
    return raw


def write_off_checks(session: Session, loan: Loan, pos: Position) -> list[dict[str, Any]]:
    """Each write-off condition with whether it holds on `pos.as_of`."""
    rules = write_off_rules()
    need = RiskClass(str(rules["min_class"]))
    floor = floor_of(session, loan, pos).value
    last = latest_judgement(session, loan.id)
    judged = RiskClass(last.judged_class) if last is not None else None
    candidates = []
    if "floor" in rules["class_basis"]:
        candidates.append(floor)
    if "last_signed_off" in rules["class_basis"] and judged is not None:
        candidates.append(judged)
    worst = max(candidates, key=lambda c: c.rank) if candidates else floor
    allowed = [c.value for c in RiskClass if c.rank >= need.rank]
    return [
        {
            "code": "class",
            "passed": worst.rank >= need.rank,
            "text": f"the loan's class is {worst.value} (floor {floor.value}, last signed-off "
            f"{judged.value if judged else 'none'}); a write-off needs "
            f"{' or '.join(allowed)} ({rules['version']}, unconfirmed)",
            "floor": floor.value,
            "last_signed_off": judged.value if judged else None,
        }
    ]


def _write_off_dict(r: SvcWriteOffRequest, session: Session | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": r.id,
        "loan_id": r.loan_id,
        "reason": r.reason,
        "evidence": r.evidence,
        "conditions": r.conditions,
        "status": r.status,
        "requested_by": r.requested_by,
        "checked_by": r.checked_by,
        "check_note": r.check_note,
        "value_date": r.value_date.isoformat() if r.value_date else None,
        "write_off_event_id": r.write_off_event_id,
        "created_at": r.created_at.isoformat() if r.created_at else None,
        "checked_at": r.checked_at.isoformat() if r.checked_at else None,
    }
    if session is not None:
        out["requested_by_name"] = _name(session, r.requested_by)
        out["checked_by_name"] = _name(session, r.checked_by)
    return out


def _refuse_write_off(checks: list[dict[str, Any]]) -> None:
    failed = [c for c in checks if not c["passed"]]
    if failed:
        raise ValidationFailed(
            "write-off refused: " + "; ".join(c["text"] for c in failed), field="risk_class"
        )


def request_write_off(
    db: Database, actor: Actor, loan_id: int, *, reason: str, evidence: str
) -> dict[str, Any]:
    """A risk manager asks to write the loan off (核销) with the reason and the evidence on
    file; refused unless the conditions in `write_off.yaml` hold (class at least doubtful by
    the floor or the last signed-off class). An approver other than the maker decides."""
    rules = write_off_rules()
    require_role(actor, rules["requester_roles"], "requesting a write-off")
    why = _reason(reason)
    proof = _reason(evidence, "evidence")
    if len(proof) < int(rules["evidence_min_chars"]):
        raise ValidationFailed(
            f"describe the evidence on file (at least {rules['evidence_min_chars']} characters)",
            field="evidence",
        )
    with db.transaction() as session:
        loan = _loan(session, actor, loan_id, lock=True)
        if loan.status != "active":
            raise Conflict(
                f"the loan is {loan.status}: only an active loan is written off", field="loan"
            )
        pending = session.scalar(
            select(SvcWriteOffRequest.id).where(
                SvcWriteOffRequest.loan_id == loan.id, SvcWriteOffRequest.status == "pending"
            )
        )
        if pending is not None:
            raise Conflict(f"write-off request {pending} is waiting for a decision", field="loan")
        today = business_date(session, loan.institution_id)
        pos = position(session, loan, today)
        checks = write_off_checks(session, loan, pos)
        _refuse_write_off(checks)
        row = SvcWriteOffRequest(
            institution_id=loan.institution_id,
            loan_id=loan.id,
            reason=why,
            evidence=proof,
            conditions={
                "rule_version": rules["version"],
                "as_of": today.isoformat(),
                "checks": checks,
                "balances": pos.balances(),
            },
            requested_by=actor.user_id or None,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor,
            "servicing.write_off_requested",
            f"loan:{loan.id}",
            reason=why,
            after={"request": row.id, "class": checks[0]["text"]},
        )
        return _write_off_dict(row, session)


def decide_write_off(
    db: Database, actor: Actor, request_id: int, *, approve: bool, note: str = ""
) -> dict[str, Any]:
    """An approver other than the maker approves (the conditions are checked again; a
    `write_off` event value-dated the business date is written through the same path as a
    reversal and the loan's status becomes `written_off`) or rejects."""
    rules = write_off_rules()
    require_role(actor, rules["checker_roles"], "deciding a write-off")
    with db.transaction() as session:
        req = _pending_for_checker(
            session, actor, SvcWriteOffRequest, request_id, "write-off request", "write-off", note
        )
        loan = _loan(session, actor, req.loan_id, lock=True)
        if not approve:
            _reject(session, actor, req, loan, "servicing.write_off_rejected", {"request": req.id})
            return _write_off_dict(req, session)
        if loan.status != "active":
            raise Conflict(f"the loan is {loan.status}", field="loan")
        today = business_date(session, loan.institution_id)
        checks = write_off_checks(session, loan, position(session, loan, today))
        _refuse_write_off(checks)
        row = SvcEvent(
            institution_id=loan.institution_id,
            loan_id=loan.id,
            event_id=f"WOF-{uuid.uuid4().hex[:16]}",
            kind="write_off",
            value_date=today,
            reason=req.reason,
            entered_by=req.requested_by,
            approved_by=actor.user_id or None,
        )
        events = [to_event(r) for r in _event_rows(session, loan.id)] + [to_event(row)]
        try:
            pos = replay_events(loan, _segments(session, loan), events, today)
        except ValueError as exc:
            raise ValidationFailed(str(exc), field="loan") from exc
        written = {b: str(a) for b, a in pos.state.written_off}
        session.add(row)
        loan.status = "written_off"
        req.status, req.value_date, req.write_off_event_id = "approved", today, row.event_id
        req.conditions = {**req.conditions, "checks_at_approval": checks, "written_off": written}
        audit.record(
            session,
            actor,
            "servicing.write_off_approved",
            f"loan:{loan.id}",
            reason=req.reason,
            after={"event": row.event_id, "value_date": today, "written_off": written},
        )
        return _write_off_dict(req, session)


# --------------------------------------------------------------------------------------------
# Views


def _name(session: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = session.get(User, user_id)
    return user.username if user else None


def loans(db: Database, actor: Actor, limit: int = 500) -> list[dict[str, Any]]:
    require_role(actor, READERS, "listing loans")
    with db.read() as session:
        query = select(Loan, Enterprise.name).join(Enterprise, Enterprise.id == Loan.enterprise_id)
        if not actor.is_system:
            query = query.where(Loan.institution_id == actor.institution_id)
        out = []
        for loan, name in session.execute(query.order_by(Loan.id.desc()).limit(limit)):
            out.append(
                {
                    "id": loan.id,
                    "enterprise_id": loan.enterprise_id,
                    "enterprise": name,
                    "product_code": loan.product_code,
                    "principal": str(loan.principal),
                    "start_date": loan.start_date.isoformat(),
                    "maturity_date": loan.maturity_date.isoformat(),
                    "status": loan.status,
                }
            )
        return out


def rate_view(pos: Position) -> dict[str, Any]:
    """The loan's rate on `pos.as_of`: fixed, or LPR + spread with its repricings so far, the
    next one, and whether a repricing used a missing fixing (provisional figures)."""
    from techfin.services import floating

    fl = pos.segment.floating
    if not fl:
        return {
            "type": "fixed",
            "text": "fixed",
            "current_rate": str(pos.segment.terms.annual_rate),
        }
    descriptor = {"rate_type": "floating", **fl}
    return {
        "type": "floating",
        "text": floating.describe(descriptor),
        "parts": floating.describe_parts(descriptor),
        "spread_bp": fl.get("spread_bp"),
        "lpr_tenor": fl.get("lpr_tenor"),
        "current_rate": None if pos.rate_now is None else str(pos.rate_now),
        "next_repricing": None if pos.next_repricing is None else pos.next_repricing.isoformat(),
        "repricings": [r.to_dict() for r in pos.rate_resets],
        "lpr_missing": any(r.lpr_missing for r in pos.rate_resets),
    }


def loan_view(
    db: Database, actor: Actor, loan_id: int, as_of: dt.date | None = None
) -> dict[str, Any]:
    """Everything the loan page shows: balances, schedule, events, classification history,
    notices, warnings, milestones, tasks, reviews."""
    from techfin.services import servicing_monitoring as mon

    require_role(actor, READERS, "reading a loan")
    with db.read() as session:
        loan = _loan(session, actor, loan_id)
        when = as_of or business_date(session, loan.institution_id)
        pos = position(session, loan, when)
        floor = floor_of(session, loan, pos)
        enterprise = session.get(Enterprise, loan.enterprise_id)
        events = _event_rows(session, loan.id)
        reversed_ids = {e.reverses for e in events if e.kind == "reversal"}
        schedule = pos.state.schedule
        classes = session.scalars(
            select(SvcClassification)
            .where(SvcClassification.loan_id == loan.id)
            .order_by(SvcClassification.id.desc())
        )
        reversals = session.scalars(
            select(SvcReversalRequest)
            .where(SvcReversalRequest.loan_id == loan.id)
            .order_by(SvcReversalRequest.id.desc())
        )
        segs = session.scalars(
            select(SvcSchedule).where(SvcSchedule.loan_id == loan.id).order_by(SvcSchedule.seq)
        )
        write_offs = session.scalars(
            select(SvcWriteOffRequest)
            .where(SvcWriteOffRequest.loan_id == loan.id)
            .order_by(SvcWriteOffRequest.id.desc())
        )
        subsidies = session.scalars(
            select(SvcSubsidyAgreement)
            .where(SvcSubsidyAgreement.loan_id == loan.id)
            .order_by(SvcSubsidyAgreement.id.desc())
        )
        return {
            "loan": {
                "id": loan.id,
                "enterprise_id": loan.enterprise_id,
                "enterprise": enterprise.name if enterprise else "",
                "product_code": loan.product_code,
                "principal": str(loan.principal),
                "annual_rate": str(loan.annual_rate),
                "method": loan.method,
                "start_date": loan.start_date.isoformat(),
                "maturity_date": loan.maturity_date.isoformat(),
                "status": loan.status,
                "penalty_markup": str(penalty_markup(loan.product_code)),
                "allocation_order": list(allocation_order(loan.product_code)),
            },
            "as_of": when.isoformat(),
            "balances": pos.balances(),
            "floor": floor.to_dict(),
            "rate": rate_view(pos),
            "schedule": [
                {
                    **r.to_dict(),
                    # interest after a repricing still to come: shown at today's rate
                    "projected": pos.next_repricing is not None and r.due_date > pos.next_repricing,
                }
                for r in schedule.rows
            ]
            if schedule is not None
            else [],
            "events": [
                {
                    **_event_dict(e),
                    "reversed": e.event_id in reversed_ids,
                    "entered_by_name": _name(session, e.entered_by),
                }
                for e in events
            ],
            "ledger": [e.to_dict() for e in pos.ledger],
            "reversal_requests": [_reversal_dict(r, session) for r in reversals],
            "subsidies": [_subsidy_dict(a, session) for a in subsidies],
            "write_offs": [_write_off_dict(w, session) for w in write_offs],
            "schedule_changes": [
                {
                    "seq": s.seq,
                    "kind": s.kind,
                    "effective_from": s.effective_from.isoformat(),
                    "reason": s.reason,
                    "detail": s.detail,
                }
                for s in segs
            ],
            "classifications": [_class_dict(c) for c in classes],
            **mon.loan_monitoring(session, loan, when),
        }


# --------------------------------------------------------------------------------------------
# Credit-register report file


def report_dir() -> Path:
    return Path(os.environ.get("TECHFIN_REPORT_DIR", str(Path("var") / "reports")))


def register_records(session: Session, institution_id: int, as_of: dt.date) -> list[dict[str, Any]]:
    from techfin.credit.credit_register_report import record_from_state

    out = []
    query = select(Loan).where(Loan.institution_id == institution_id, Loan.start_date <= as_of)
    for loan in session.scalars(query.order_by(Loan.id)):
        pos = position(session, loan, as_of)
        enterprise = session.get(Enterprise, loan.enterprise_id)
        contract = session.get(Contract, loan.contract_id)
        app = session.get(Application, loan.application_id)
        last = latest_judgement(session, loan.id)
        floor = floor_of(session, loan, pos)
        judged = last.judged_class if last is not None else floor.value.value
        if RiskClass(judged).rank < floor.value.rank:
            judged = floor.value.value
        if pos.state.status is dom.LoanStatus.WRITTEN_OFF:
            judged = RiskClass.LOSS.value  # written off the books: nothing is expected back
        guarantee = (app.guarantee or ["credit"]) if app is not None else ["credit"]
        kinds = {str(g) for g in guarantee}
        gtype = kinds.pop() if len(kinds) == 1 else "mixed"
        if gtype not in ("credit", "guarantee", "mortgage", "pledge", "mixed"):
            gtype = "mixed"
        kinds_of_change = {s.kind for s in _segments(session, loan)}
        branch = str(loan.branch_id or "HO")
        out.append(
            record_from_state(
                pos.state,
                loan_id=str(loan.id),
                branch_code=branch,
                contract_no=contract.number if contract else str(loan.contract_id),
                borrower_uscc=enterprise.uscc if enterprise else "",
                borrower_name=enterprise.name if enterprise else "",
                product_code=loan.product_code,
                disbursement_date=loan.start_date,
                maturity_date=loan.maturity_date,
                contract_amount=Decimal(loan.principal),
                risk_class=judged,
                guarantee_type=gtype,
                renewal_flag="renewal" in kinds_of_change,
                restructured_flag="restructuring" in kinds_of_change,
                first_loan_flag=False,
            )
        )
    return out


def write_register_report(db: Database, actor: Actor, as_of: dt.date) -> dict[str, Any]:
    """Build the outgoing credit-register report for the caller's institution on `as_of`
    (`credit_register_report.build_report`, which validates every record first) and write it
    under `TECHFIN_REPORT_DIR` (default `var/reports`). Nothing is written when invalid."""
    from techfin.credit.credit_register_report import ReportInvalid, build_report

    require_role(actor, [Role.RISK_MANAGER, Role.ADMIN], "writing the credit-register report")
    if actor.institution_id is None:
        raise ValidationFailed("the report is per institution", field="institution")
    with db.transaction() as session:
        institution = session.get(Institution, actor.institution_id)
        assert institution is not None
        records = register_records(session, institution.id, as_of)
        try:
            text = build_report(records, as_of)
        except ReportInvalid as exc:
            raise ValidationFailed(
                f"report invalid, nothing written: {exc}", field="report"
            ) from exc
        folder = report_dir()
        folder.mkdir(parents=True, exist_ok=True)
        # A report once written is kept as it was (its SHA-256 is on record): a second report
        # for the same date gets a file of its own.
        stem = f"credit-register-{institution.code}-{as_of.isoformat()}"
        earlier = session.scalar(
            select(func.count())
            .select_from(SvcRegisterReport)
            .where(
                SvcRegisterReport.institution_id == institution.id,
                SvcRegisterReport.as_of == as_of,
            )
        )
        n = int(earlier or 0) + 1
        path = folder / (f"{stem}.csv" if n == 1 else f"{stem}-{n}.csv")
        while path.exists():  # a file left by another database in the same folder
            n += 1
            path = folder / f"{stem}-{n}.csv"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        digest = hashlib.sha256(text.encode()).hexdigest()
        row = SvcRegisterReport(
            institution_id=institution.id,
            as_of=as_of,
            path=str(path),
            records=len(records),
            sha256=digest,
            written_by=actor.user_id or None,
        )
        session.add(row)
        audit.record(
            session,
            actor,
            "servicing.register_report",
            f"institution:{institution.code}",
            after={"path": str(path), "records": len(records), "sha256": digest},
        )
        return {
            "path": str(path),
            "records": len(records),
            "sha256": digest,
            "as_of": as_of.isoformat(),
        }


REPORT_ROLES = [Role.RISK_MANAGER, Role.ADMIN]


def register_reports(db: Database, actor: Actor, limit: int = 100) -> list[dict[str, Any]]:
    """The credit-register reports written for the caller's institution, newest first."""
    require_role(actor, REPORT_ROLES, "reading the credit-register reports")
    with db.read() as session:
        rows = session.scalars(
            select(SvcRegisterReport)
            .where(SvcRegisterReport.institution_id == actor.institution_id)
            .order_by(SvcRegisterReport.id.desc())
            .limit(limit)
        )
        return [
            {
                "id": r.id,
                "as_of": r.as_of.isoformat(),
                "path": r.path,
                "file_name": Path(r.path).name,
                "records": r.records,
                "sha256": r.sha256,
                "written_by": _name(session, r.written_by),
                "at": r.at.isoformat(timespec="seconds") if r.at else None,
            }
            for r in rows
        ]


def register_report_file(db: Database, actor: Actor, report_id: int) -> tuple[str, bytes]:
    """One report's file (name, bytes), for its own institution only (another's is not found).
    Refused when the file on disk no longer hashes to the SHA-256 recorded when it was written
    (a later report for the same date rewrote it, or it was altered). Each download is audited."""
    require_role(actor, REPORT_ROLES, "reading a credit-register report")
    with db.transaction() as session:
        row = session.get(SvcRegisterReport, report_id)
        if row is None:
            raise NotFound("report not found", field="report")
        require_institution(actor, row.institution_id, "report")
        path = Path(row.path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise Conflict("the report file is no longer on disk", field="report") from exc
        if hashlib.sha256(data).hexdigest() != row.sha256:
            raise Conflict(
                "the file on disk no longer matches this report's SHA-256 (a later report for "
                "the same date rewrote it, or it was altered): download the latest one",
                field="report",
            )
        audit.record(
            session,
            actor,
            "servicing.register_report_read",
            f"report:{row.id}",
            after={"path": row.path, "sha256": row.sha256},
        )
        return path.name, data


# --------------------------------------------------------------------------------------------
# Day-end: floating-rate repricings (decision 1141)


@eod_step("servicing.repricing", order=405)
def day_end_repricing(session: Session, institution: Institution, date: dt.date) -> dict[str, Any]:
    """For each floating loan, a notice per repricing that has come: `repriced` (old rate →
    new rate, the fixing used) once the platform's table has the fixing, or
    `repricing_lpr_missing` while it does not (the replay then uses the last fixing, flagged).
    Each notice is keyed by the repricing date, so a rerun or a later day-end writes nothing
    twice. Never raises for a missing fixing: the institution's day-end goes on."""
    written = missing = 0
    loans_ = session.scalars(
        select(Loan)
        .where(
            Loan.institution_id == institution.id,
            Loan.start_date <= date,
            Loan.status == "active",
        )
        .order_by(Loan.id)
    )
    for loan in loans_:
        if not (loan.terms or {}).get("floating"):
            continue
        pos = position(session, loan, date)
        for r in pos.rate_resets:
            kind = "repricing_lpr_missing" if r.lpr_missing else "repriced"
            exists = session.scalar(
                select(SvcNotice.id).where(
                    SvcNotice.loan_id == loan.id,
                    SvcNotice.kind == kind,
                    SvcNotice.business_date == r.date,
                )
            )
            if exists is not None:
                continue
            lpr = f"LPR {r.tenor} {(r.lpr * 100).normalize()} % of {r.fixing_date.isoformat()}"
            if r.lpr_missing:
                text = (
                    f"repricing on {r.date.isoformat()}: the platform's LPR table has no fixing "
                    f"for that date; computed provisionally on the last one ({lpr}) at "
                    f"{r.rate}; enter the fixing at /market/lpr"
                )
                missing += 1
            else:
                text = f"repriced on {r.date.isoformat()}: {r.previous_rate} → {r.rate} ({lpr})"
                written += 1
            session.add(
                SvcNotice(
                    institution_id=loan.institution_id,
                    loan_id=loan.id,
                    business_date=r.date,
                    kind=kind,
                    text=text[:500],
                    detail=r.to_dict(),
                )
            )
    session.flush()
    return {"repriced": written, "lpr_missing": missing}
