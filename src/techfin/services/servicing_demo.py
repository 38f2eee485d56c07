"""Demo data for the servicing pages (for `techfin demo load`; the lead lists this module in
`techfin.services.demo.DEMO_SEEDERS`).

Over an already loaded world: for the first bank with an account manager, three disbursed
loans to enterprises that consented to it (written into origination's tables as a disbursement
leaves them, since the demo has no applications), with repayments entered through
`servicing.record_payment`: one paid on time, one about 45 days past due (special-mention
floor), one more than 90 days past due (substandard floor); then the servicing day-end steps
for `as_of` (positions, floors and notices, warnings, tasks, watch list).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from techfin.credit.daycount import add_months
from techfin.credit.schedule import Method, Terms, build
from techfin.services import servicing as svc
from techfin.services import servicing_monitoring as mon
from techfin.services.context import Actor, InstitutionKind
from techfin.store.db import Database
from techfin.store.tables import BusinessDate, Consent, Institution, User
from techfin.store.tables_origination import Application, Contract, Loan, LoanScheduleRow


def _loan(
    session: Any, bank_id: int, enterprise_id: int, maker_id: int, start: dt.date, n: int
) -> Loan:
    principal, rate, months = Decimal("1000000.00") * (n + 1), Decimal("0.0395"), 24
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
        enterprises = list(
            session.scalars(
                select(Consent.enterprise_id)
                .where(Consent.grantee_institution_id == bank_id)
                .distinct()
                .order_by(Consent.enterprise_id)
                .limit(3)
            )
        )
        if not enterprises:
            return {"loans": 0}
        if session.get(BusinessDate, bank_id) is None:
            session.add(BusinessDate(institution_id=bank_id, business_date=as_of))
        loans = [
            (_loan(session, bank_id, e, maker_id, start, n).id, n)
            for n, e in enumerate(enterprises)
        ]
    system = Actor.system("demo")
    events = 0
    for loan_id, n in loans:
        with db.read() as session:
            loan = session.get(Loan, loan_id)
            assert loan is not None
            rows = svc.position(session, loan, start).state
            assert rows.schedule is not None
            dues = [(r.due_date, r.payment) for r in rows.schedule.rows if r.due_date <= as_of]
        paid = {0: len(dues), 1: len(dues) - 2, 2: len(dues) - 4}[n % 3]
        for due, amount in dues[: max(paid, 0)]:
            svc.record_payment(db, system, loan_id, amount=amount, value_date=due)
            events += 1
    with db.transaction() as session:
        bank = session.get(Institution, bank_id)
        assert bank is not None
        detail = {
            "positions": mon.day_end_positions(session, bank, as_of),
            "classification": mon.day_end_classification(session, bank, as_of),
            "warnings": mon.day_end_warnings(session, bank, as_of),
        }
    return {"loans": len(loans), "events": events, "day_end": detail}
