"""Independent reconciliation for `bench/servicing_load.py` (issue 9 item 9).

Everything here starts from what the load clients THEMSELVES recorded (`Book`): each loan's
acknowledged disbursement (amount, value date), the terms of its contract (rate, term, method,
product) and every acknowledged money event (event id, key, kind, amount, value date, mode).
It never calls the server's services. Two checks:

1. `replay_check` — the loan's expected state from the pure domain replay
   (`techfin.credit.servicing.replay`) over the client's own records, compared to the cent with
   the API's loan view and with the row the day-end stored in `svc_positions`.
2. `sql_check` — no replay at all: the database read with plain SQL. The events are exactly the
   acknowledged ones (one row per key and per event id, nothing lost, nothing extra, each with one
   audit entry); the loans are exactly the originated ones; and money is conserved on every
   stored day-end position: what was charged (disbursed + interest billed + penalty and compound
   interest ever charged + the client's fees) equals what was applied (the client's cash − money
   held in suspense or unapplied) plus what is outstanding; principal repaid + outstanding =
   disbursed; and the API ledger's allocations of each payment add up to its amount.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import sqlalchemy as sa

from techfin.credit import servicing as dom
from techfin.credit.accrual import DEFAULT_ALLOCATION_ORDER
from techfin.credit.products import get_product
from techfin.credit.schedule import Method, Subsidy, Terms

CENT = Decimal("0.01")
CASH_KINDS = ("repayment", "prepayment", "subsidy_receipt")
#: Balances compared field by field (money to the cent, the rest exactly).
MONEY_FIELDS = (
    "disbursed",
    "principal_outstanding",
    "principal_not_due",
    "overdue_principal",
    "interest_accrued",
    "interest_billed",
    "interest_unpaid",
    "subsidy_receivable",
    "penalty_interest",
    "compound_interest",
    "penalty_accrued_total",
    "compound_accrued_total",
    "costs",
    "suspense",
    "subsidy_unapplied",
    "subsidy_received",
    "total_paid",
    "recoveries",
    "off_balance_interest",
    "total_due_now",
    "payoff_amount",
)
OTHER_FIELDS = ("status", "days_past_due", "oldest_unpaid_due")
NOT_MONEY = ("loan_id", "as_of", "written_off")


@dataclass(frozen=True)
class LoanRecord:
    """A loan as its originating client saw it acknowledged."""

    loan_id: int
    application_id: int
    product_code: str
    amount: Decimal
    value_date: dt.date
    annual_rate: Decimal
    term_months: int
    method: str
    #: the approved interest-subsidy agreement, as requested: payer, share or rate, until
    subsidy: tuple[str, Decimal | None, Decimal | None, dt.date | None] | None = None


@dataclass(frozen=True)
class EventRecord:
    """A money event as its client saw it acknowledged (201, first result)."""

    loan_id: int
    key: str
    event_id: str
    kind: str
    amount: Decimal
    value_date: dt.date
    mode: str
    payer: str
    description: str


@dataclass
class Book:
    loans: dict[int, LoanRecord] = field(default_factory=dict)
    events: dict[str, EventRecord] = field(default_factory=dict)  # by idempotency key

    def events_of(self, loan_id: int) -> list[EventRecord]:
        return [e for e in self.events.values() if e.loan_id == loan_id]


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


def expected_state(loan: LoanRecord, events: list[EventRecord], as_of: dt.date) -> dom.LoanState:
    """The pure domain replay over the client's records (the loan's product markup and order)."""
    product = get_product(loan.product_code)
    terms = Terms(
        principal=loan.amount,
        annual_rate=loan.annual_rate,
        start=loan.value_date,
        installments=loan.term_months,
        method=Method(loan.method),
        subsidy=None
        if loan.subsidy is None
        else Subsidy(
            payer=loan.subsidy[0],
            share=loan.subsidy[1],
            rate=loan.subsidy[2],
            until=loan.subsidy[3],
        ),
    )
    contract = dom.Contract(
        str(loan.loan_id),
        terms,
        penalty_markup=product.penalty_markup,
        allocation_order=getattr(product, "allocation_order", DEFAULT_ALLOCATION_ORDER),
    )
    domain: list[dom.Event] = [dom.Disbursement("disbursement", loan.value_date, loan.amount)]
    for e in events:
        if e.kind == "repayment":
            domain.append(dom.Repayment(e.event_id, e.value_date, e.amount))
        elif e.kind == "prepayment":
            mode = dom.PrepaymentMode(e.mode or "reamortise")
            domain.append(dom.Prepayment(e.event_id, e.value_date, e.amount, mode))
        elif e.kind == "subsidy_receipt":
            domain.append(dom.SubsidyReceipt(e.event_id, e.value_date, e.amount, e.payer))
        elif e.kind == "fee":
            domain.append(dom.Fee(e.event_id, e.value_date, e.amount, e.description))
        else:
            raise ValueError(f"unexpected kind {e.kind}")
    return dom.replay(contract, domain, as_of)


def _expected_balances(state: dom.LoanState, events: list[EventRecord]) -> dict[str, Any]:
    """The state's balances as the platform shows them. The platform keeps ONE account for the
    subsidy payer (docs/servicing-platform.md, "Receipts"): money the payer sent beyond what was
    billed then (the domain's `subsidy_unapplied`) pays the payer's later billed parts (the
    domain's `subsidy_receivable`), so the two are netted here the same way."""
    out = state.balances()
    net = min(state.subsidy_receivable, state.subsidy_unapplied)
    out["subsidy_receivable"] = str(state.subsidy_receivable - net)
    out["subsidy_unapplied"] = str(state.subsidy_unapplied - net)
    out["subsidy_received"] = str(
        sum((e.amount for e in events if e.kind == "subsidy_receipt"), Decimal(0))
    )
    out["total_due_now"] = str(state.total_due_now)
    out["payoff_amount"] = str(state.payoff_amount)
    return out


def _compare(where: str, loan_id: int, want: dict[str, Any], got: dict[str, Any]) -> list[str]:
    """Every money field of the replayed balances (the list above and any the domain adds)."""
    errors = []
    extra = [k for k in want if k not in MONEY_FIELDS and k not in (*OTHER_FIELDS, *NOT_MONEY)]
    for name in (*MONEY_FIELDS, *extra):
        if name not in got:
            errors.append(f"loan {loan_id}: {where} has no {name}")
            continue
        a, b = _d(want[name]).quantize(CENT), _d(got[name]).quantize(CENT)
        if a != b:
            errors.append(f"loan {loan_id}: {name} replayed {a} != {where} {b}")
    for name in OTHER_FIELDS:
        if want.get(name) != got.get(name):
            errors.append(
                f"loan {loan_id}: {name} replayed {want.get(name)} != {where} {got.get(name)}"
            )
    return errors


def fetch_views(
    base: str, headers: dict[str, str], loan_ids: list[int], as_of: dt.date
) -> tuple[dict[int, dict[str, Any]], list[str]]:
    """The API's loan view of each loan on `as_of` (read after the load, before the day-end)."""
    views: dict[int, dict[str, Any]] = {}
    errors: list[str] = []
    with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
        for loan_id in loan_ids:
            r = http.get(f"/api/loans/{loan_id}", params={"as_of": as_of.isoformat()})
            if r.status_code != 200:
                errors.append(f"GET /api/loans/{loan_id}: {r.status_code} {r.text[:200]}")
                continue
            views[loan_id] = r.json()
    return views, errors


def replay_check(
    book: Book,
    views: dict[int, dict[str, Any]],
    positions: dict[int, dict[str, Any]],
    as_of: dt.date,
) -> list[str]:
    """Check 1: the domain replay of the client's records == API view == day-end position."""
    errors: list[str] = []
    for loan_id, loan in sorted(book.loans.items()):
        try:
            state = expected_state(loan, book.events_of(loan_id), as_of)
        except ValueError as exc:
            errors.append(f"loan {loan_id}: the client's own records do not replay: {exc}")
            continue
        want = _expected_balances(state, book.events_of(loan_id))
        if loan_id in views:
            errors += _compare("API view", loan_id, want, views[loan_id]["balances"])
        pos = positions.get(loan_id)
        if pos is None:
            errors.append(f"loan {loan_id}: no svc_positions row for {as_of} after the day-end")
            continue
        errors += _compare("svc_positions", loan_id, want, pos["balances"])
        if _d(pos["principal_outstanding"]) != state.principal_outstanding:
            errors.append(
                f"loan {loan_id}: svc_positions.principal_outstanding "
                f"{pos['principal_outstanding']} != replayed {state.principal_outstanding}"
            )
        if _d(pos["interest_accrued"]) != state.interest_accrued:
            errors.append(
                f"loan {loan_id}: svc_positions.interest_accrued {pos['interest_accrued']}"
                f" != replayed {state.interest_accrued}"
            )
        if pos["days_past_due"] != state.days_past_due:
            errors.append(
                f"loan {loan_id}: svc_positions.days_past_due {pos['days_past_due']}"
                f" != replayed {state.days_past_due}"
            )
    return errors


def read_positions(engine: sa.Engine, as_of: dt.date) -> dict[int, dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "select loan_id, balances, principal_outstanding, interest_accrued, days_past_due "
                "from svc_positions where as_of = :d"
            ),
            {"d": as_of},
        ).mappings()
        return {int(r["loan_id"]): dict(r) for r in rows}


def sql_check(
    engine: sa.Engine,
    book: Book,
    institution_id: int,
    views: dict[int, dict[str, Any]],
    positions: dict[int, dict[str, Any]],
) -> list[str]:
    """Check 2 (no replay): the database, read with SQL, against the client's records."""
    errors: list[str] = []
    with engine.connect() as conn:
        events = conn.execute(
            sa.text(
                "select loan_id, idempotency_key, event_id, kind, amount, value_date, mode, payer,"
                " description from svc_events where institution_id = :i"
            ),
            {"i": institution_id},
        ).all()
        loans = conn.execute(
            sa.text(
                "select id, principal, start_date, product_code, annual_rate, installments, method"
                " from loans where institution_id = :i"
            ),
            {"i": institution_id},
        ).all()
        audits = conn.execute(
            sa.text(
                "select command, target, reason from audit_log where command in "
                "('servicing.repayment', 'servicing.prepayment', 'servicing.subsidy_receipt', "
                "'servicing.fee')"
            )
        ).all()
        dupes = conn.execute(
            sa.text(
                "select loan_id, idempotency_key, count(*) from svc_events "
                "group by loan_id, idempotency_key having count(*) > 1"
            )
        ).all()
        dup_ids = conn.execute(
            sa.text(
                "select event_id, count(*) from svc_events group by event_id having count(*) > 1"
            )
        ).all()
    for loan_id, key, n in dupes:
        errors.append(f"loan {loan_id}: {n} events share the Idempotency-Key {key}")
    for event_id, n in dup_ids:
        errors.append(f"{n} events share the event id {event_id}")

    # Events: exactly the acknowledged ones.
    by_id = {e.event_id: e for e in book.events.values()}
    seen: set[str] = set()
    for loan_id, key, event_id, kind, amount, value_date, mode, payer, description in events:
        mine = by_id.get(event_id)
        if mine is None:
            errors.append(
                f"loan {loan_id}: event {event_id} ({kind} {amount}, key {key}) is in svc_events "
                "but no client was acknowledged it"
            )
            continue
        seen.add(event_id)
        stored = (loan_id, key, kind, _d(amount), value_date, mode or "", payer, description)
        acked = (
            mine.loan_id,
            mine.key,
            mine.kind,
            mine.amount,
            mine.value_date,
            mine.mode,
            mine.payer,
            mine.description,
        )
        if stored != acked:
            errors.append(f"event {event_id}: stored {stored} != acknowledged {acked}")
    for event_id in set(by_id) - seen:
        e = by_id[event_id]
        errors.append(f"loan {e.loan_id}: acknowledged event {event_id} (key {e.key}) was lost")

    # One audit entry per event.
    audited: dict[str, int] = defaultdict(int)
    for command, target, reason in audits:
        event_id = (reason or "").split(" ", 1)[0]
        audited[event_id] += 1
        mine = by_id.get(event_id)
        if mine is not None and (
            command != f"servicing.{mine.kind}" or target != f"loan:{mine.loan_id}"
        ):
            errors.append(f"event {event_id}: audit entry {command} {target} does not match")
    for event_id, e in by_id.items():
        if audited.get(event_id, 0) != 1:
            errors.append(
                f"loan {e.loan_id}: event {event_id} has {audited.get(event_id, 0)} audit entries"
            )

    # Loans: exactly the originated ones, with the acknowledged amount, date and terms.
    stored_loans = {int(r[0]): r for r in loans}
    for loan_id, rec in book.loans.items():
        row = stored_loans.get(loan_id)
        if row is None:
            errors.append(f"loan {loan_id}: acknowledged disbursement has no loan row")
            continue
        got = (_d(row[1]), row[2], row[3], _d(row[4]), int(row[5]), row[6])
        want = (
            rec.amount,
            rec.value_date,
            rec.product_code,
            rec.annual_rate,
            rec.term_months,
            rec.method,
        )
        if got != want:
            errors.append(f"loan {loan_id}: stored {got} != acknowledged {want}")
    for loan_id in set(stored_loans) - set(book.loans):
        errors.append(f"loan {loan_id} exists but no client saw its disbursement acknowledged")

    # Money is conserved (no replay): charged = applied + outstanding, from the client's cash.
    cash: dict[int, Decimal] = defaultdict(Decimal)
    fees: dict[int, Decimal] = defaultdict(Decimal)
    for e in book.events.values():
        if e.kind in CASH_KINDS:
            cash[e.loan_id] += e.amount
        else:
            fees[e.loan_id] += e.amount
    for loan_id, rec in sorted(book.loans.items()):
        sources: list[tuple[str, dict[str, Any]]] = []
        if loan_id in positions:
            sources.append(("svc_positions", positions[loan_id]["balances"]))
        if loan_id in views:
            sources.append(("API view", views[loan_id]["balances"]))
        for where, b in sources:
            errors += _conservation(where, loan_id, rec, cash[loan_id], fees[loan_id], b)
        view = views.get(loan_id)
        if view is not None:
            errors += _ledger_check(loan_id, view, by_id)
    return errors


def _conservation(
    where: str, loan_id: int, rec: LoanRecord, cash: Decimal, fees: Decimal, b: dict[str, Any]
) -> list[str]:
    errors = []
    if _d(b["disbursed"]) != rec.amount:
        errors.append(
            f"loan {loan_id}: {where} disbursed {b['disbursed']} != acknowledged {rec.amount}"
        )
    if _d(b["total_paid"]) != cash:
        errors.append(
            f"loan {loan_id}: {where} total paid {b['total_paid']} != Σ acknowledged {cash}"
        )
    if b.get("written_off"):
        errors.append(f"loan {loan_id}: {where} shows a write-off nobody entered")
    charged = (
        rec.amount
        + _d(b["interest_billed"])
        + _d(b["penalty_accrued_total"])
        + _d(b["compound_accrued_total"])
        + fees
    )
    applied = cash - _d(b["suspense"]) - _d(b["subsidy_unapplied"])
    outstanding = sum(
        (
            _d(b[k])
            for k in (
                "principal_outstanding",
                "interest_unpaid",
                "subsidy_receivable",
                "penalty_interest",
                "compound_interest",
                "costs",
            )
        ),
        Decimal(0),
    )
    if charged != applied + outstanding:
        errors.append(
            f"loan {loan_id}: {where} does not conserve money: charged {charged} != applied "
            f"{applied} + outstanding {outstanding}"
        )
    parts = ("principal_not_due", "overdue_principal")
    if _d(b[parts[0]]) + _d(b[parts[1]]) != _d(b["principal_outstanding"]):
        errors.append(f"loan {loan_id}: {where} principal not due + overdue != outstanding")
    return errors


def _ledger_check(loan_id: int, view: dict[str, Any], by_id: dict[str, EventRecord]) -> list[str]:
    """Each payment's allocations in the API ledger add up to the acknowledged amount, and
    principal repaid (from the ledger) + outstanding = disbursed."""
    errors = []
    principal_repaid = Decimal(0)
    for entry in view["ledger"]:
        allocations = [(bucket, _d(a)) for bucket, a in entry["allocations"]]
        if entry["kind"] in CASH_KINDS:
            mine = by_id.get(entry["event_id"])
            if mine is None or mine.amount != _d(entry["amount"]):
                errors.append(
                    f"loan {loan_id}: ledger entry {entry['event_id']} is not acknowledged"
                )
            total = sum((a for _b, a in allocations), Decimal(0))
            if total != _d(entry["amount"]):
                errors.append(
                    f"loan {loan_id}: {entry['event_id']} allocates {total} of {entry['amount']}"
                )
        if entry["kind"] in ("repayment", "prepayment", "suspense_applied"):
            principal_repaid += sum(
                (a for b, a in allocations if b in ("principal", "principal_prepaid")), Decimal(0)
            )
    b = view["balances"]
    if principal_repaid + _d(b["principal_outstanding"]) != _d(b["disbursed"]):
        errors.append(
            f"loan {loan_id}: principal repaid {principal_repaid} + outstanding "
            f"{b['principal_outstanding']} != disbursed {b['disbursed']}"
        )
    return errors
