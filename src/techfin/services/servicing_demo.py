"""Demo data for the servicing pages (for `techfin demo load`; the lead lists this module in
`techfin.services.demo.DEMO_SEEDERS`).

Over an already loaded world: for the first bank with an account manager, up to five
disbursed loans to enterprises that consented to it (written into origination's tables as a
disbursement leaves them, since the demo has no applications); everything after that goes
through the servicing services, as staff would enter it:

- repayments through `servicing.record_payment`: one loan paid on time, one about 45 days past
  due (special-mention floor), one more than 90 days past due (substandard floor);
- a loan with an approved interest-subsidy agreement (区科技局 pays half the interest for the
  first year: requested by the account manager, approved by an approver): the borrower pays
  its share of each installment, the payer one receipt for the first quarter;
- a loan never repaid (over 360 days past due: loss floor), written off (核销): requested by a
  risk manager with the reason and the evidence on file, approved by an approver;

then the servicing day-end steps for `as_of` (positions, floors and notices, warnings, tasks,
watch list), which pass over the written-off loan.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from techfin.credit.daycount import add_months
from techfin.credit.schedule import Method, Terms, build
from techfin.services import servicing as svc
from techfin.services import servicing_monitoring as mon
from techfin.services import users
from techfin.services.context import Actor, InstitutionKind
from techfin.store.db import Database
from techfin.store.tables import BusinessDate, Consent, Institution, User
from techfin.store.tables_origination import Application, Contract, Loan, LoanScheduleRow

SUBSIDY_PAYER = "区科技局"
SUBSIDY_REFERENCE = "区科发〔2026〕8号"


def _loan(
    session: Any,
    bank_id: int,
    enterprise_id: int,
    maker_id: int,
    start: dt.date,
    principal: Decimal,
) -> Loan:
    rate, months = Decimal("0.0395"), 24
    terms = Terms(principal=principal, annual_rate=rate, start=start, installments=months)
    schedule = build(terms)
    app = Application(
        institution_id=bank_id,
        enterprise_id=enterprise_id,
        product_code="credit_loan",
        amount=principal,
        term_months=months,
        method=str(Method.ANNUITY),
        exposure=principal,
        status="disbursed",
        prepared_by=maker_id,
        guarantee=["credit"],
        milestones=[
            {
                "kind": "funding_round",
                "text": "Series B closed",
                "due": add_months(start, 6).isoformat(),
            },
        ],
    )
    session.add(app)
    session.flush()
    contract = Contract(
        institution_id=bank_id,
        application_id=app.id,
        number=f"DEMO-SVC-{app.id:06d}",
        enterprise_id=enterprise_id,
        product_code="credit_loan",
        amount=principal,
        annual_rate=rate,
        term_months=months,
        method=str(Method.ANNUITY),
        made_by=maker_id,
    )
    session.add(contract)
    session.flush()
    loan = Loan(
        institution_id=bank_id,
        enterprise_id=enterprise_id,
        contract_id=contract.id,
        application_id=app.id,
        product_code="credit_loan",
        channel="tech",
        principal=principal,
        annual_rate=rate,
        method=str(Method.ANNUITY),
        interest_basis=str(terms.interest_basis),
        installments=months,
        start_date=start,
        maturity_date=schedule.rows[-1].due_date,
        terms={
            "principal": str(principal),
            "annual_rate": str(rate),
            "start": start.isoformat(),
            "installments": months,
            "method": str(Method.ANNUITY),
            "interest_basis": str(terms.interest_basis),
        },
        conventions_version=schedule.conventions_version,
    )
    session.add(loan)
    session.flush()
    for r in schedule.rows:
        session.add(
            LoanScheduleRow(
                loan_id=loan.id,
                n=r.n,
                due_date=r.due_date,
                days=r.days,
                principal=r.principal,
                interest=r.interest,
                payment=r.payment,
                balance=r.balance,
            )
        )
    return loan


def _staff(session: Session, bank_id: int, role: str) -> int | None:
    found: int | None = session.scalar(
        select(User.id)
        .where(User.institution_id == bank_id, User.role == role)
        .order_by(User.id)
        .limit(1)
    )
    return found


def seed(db: Database, *, as_of: dt.date) -> dict[str, Any]:
    """Seed servicing over an already loaded demo world; returns what it made."""
    start = add_months(as_of, -8)
    with db.transaction() as session:
        row = session.execute(
            select(Institution.id, User.id)
            .join(User, User.institution_id == Institution.id)
            .where(
                Institution.kind == InstitutionKind.BANK.value,
                User.role == "account_manager",
            )
            .order_by(Institution.code, User.id)
        ).first()
        if row is None:
            return {"loans": 0}
        bank_id, maker_id = row
        risk_id = _staff(session, bank_id, "risk_manager")
        approver_id = _staff(session, bank_id, "approver")
        enterprises = list(
            session.scalars(
                select(Consent.enterprise_id)
                .where(Consent.grantee_institution_id == bank_id)
                .distinct()
                .order_by(Consent.enterprise_id)
                .limit(5)
            )
        )
        if not enterprises:
            return {"loans": 0}
        if session.get(BusinessDate, bank_id) is None:
            session.add(BusinessDate(institution_id=bank_id, business_date=as_of))
        # the three repayment situations, then the subsidised and the written-off loan
        loans = [
            (_loan(session, bank_id, e, maker_id, start, Decimal("1000000.00") * (n + 1)).id, n)
            for n, e in enumerate(enterprises[:3])
        ]
        subsidised = written_off = None
        if len(enterprises) > 3 and approver_id is not None:
            subsidised = _loan(
                session, bank_id, enterprises[3], maker_id, start, Decimal("2000000.00")
            ).id
        if len(enterprises) > 4 and risk_id is not None and approver_id is not None:
            # disbursed 14 months ago and never repaid: over 360 days past due (loss floor)
            written_off = _loan(
                session,
                bank_id,
                enterprises[4],
                maker_id,
                add_months(as_of, -14),
                Decimal("800000.00"),
            ).id
    system = Actor.system("demo")
    events = 0
    for loan_id, n in loans:
        dues = _dues(db, loan_id, as_of)
        paid = {0: len(dues), 1: len(dues) - 2, 2: len(dues) - 4}[n % 3]
        for due, amount, _part in dues[: max(paid, 0)]:
            svc.record_payment(db, system, loan_id, amount=amount, value_date=due)
            events += 1
    report: dict[str, Any] = {}
    if subsidised is not None:
        assert approver_id is not None
        events += _subsidy(db, subsidised, maker_id, approver_id, start, as_of)
        report["subsidised_loan"] = subsidised
    if written_off is not None:
        assert risk_id is not None and approver_id is not None
        _write_off(db, written_off, risk_id, approver_id)
        events += 1
        report["written_off_loan"] = written_off
    with db.transaction() as session:
        bank = session.get(Institution, bank_id)
        assert bank is not None
        detail = {
            "positions": mon.day_end_positions(session, bank, as_of),
            "classification": mon.day_end_classification(session, bank, as_of),
            "warnings": mon.day_end_warnings(session, bank, as_of),
        }
    count = len(loans) + (subsidised is not None) + (written_off is not None)
    return {"loans": count, "events": events, **report, "day_end": detail}


def _dues(db: Database, loan_id: int, as_of: dt.date) -> list[tuple[dt.date, Decimal, Decimal]]:
    """(due date, what the borrower pays, the subsidy payer's part) of each row due by
    `as_of`, with the loan's approved subsidy agreement applied."""
    with db.read() as session:
        loan = session.get(Loan, loan_id)
        assert loan is not None
        state = svc.position(session, loan, loan.start_date).state
        assert state.schedule is not None
        return [
            (r.due_date, r.borrower_payment, r.subsidy or Decimal("0.00"))
            for r in state.schedule.rows
            if r.due_date <= as_of
        ]


def _subsidy(
    db: Database, loan_id: int, maker_id: int, checker_id: int, start: dt.date, as_of: dt.date
) -> int:
    """区科技局 pays half the interest for the first year (maker-checker), the borrower its
    share of every installment due, the payer one receipt for the first three."""
    made = svc.request_subsidy(
        db,
        users.actor_by_id(db, maker_id),
        loan_id,
        payer=SUBSIDY_PAYER,
        reference=SUBSIDY_REFERENCE,
        share="0.5",
        until=add_months(start, 12),
        notes="科技型中小企业贷款贴息：首年利息的50%",
    )
    svc.decide_subsidy(
        db, users.actor_by_id(db, checker_id), made["id"], approve=True, note="贴息文件已核"
    )
    system = Actor.system("demo")
    dues = _dues(db, loan_id, as_of)
    for due, amount, _part in dues:
        svc.record_payment(db, system, loan_id, amount=amount, value_date=due)
    first_quarter = dues[:3]
    if first_quarter:
        svc.record_payment(
            db,
            system,
            loan_id,
            amount=sum((s for _d, _a, s in first_quarter), Decimal("0.00")),
            kind="subsidy_receipt",
            value_date=first_quarter[-1][0] + dt.timedelta(days=10),
        )
    return len(dues) + (1 if first_quarter else 0)


def _write_off(db: Database, loan_id: int, maker_id: int, checker_id: int) -> None:
    """A risk manager requests the write-off (reason and evidence on file), an approver
    approves it: a `write_off` event on the business date, the loan `written_off`."""
    made = svc.request_write_off(
        db,
        users.actor_by_id(db, maker_id),
        loan_id,
        reason="借款人破产清算终结，担保与追偿手段已用尽",
        evidence="法院民事裁定书（破产程序终结）、清偿分配表及追偿记录已归档",
    )
    svc.decide_write_off(
        db, users.actor_by_id(db, checker_id), made["id"], approve=True, note="符合核销条件"
    )
