"""A small world for servicing-platform tests: two banks and an investor, staff of each role,
an enterprise, and a disbursed loan built directly in origination's tables."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from techfin.credit.products import get_product
from techfin.credit.schedule import Method, Terms, build
from techfin.services import users
from techfin.services.context import Actor
from techfin.store.db import Database
from techfin.store.tables import BusinessDate, Enterprise, User
from techfin.store.tables_origination import Application, Contract, Loan, LoanScheduleRow

PASSWORD = "correct-horse-1"
START = dt.date(2026, 1, 15)


@dataclass
class SvcWorld:
    db: Database
    enterprise_id: int
    bank_id: int
    other_bank_id: int
    actors: dict[str, Actor] = field(default_factory=dict)

    def actor(self, username: str) -> Actor:
        if username not in self.actors:
            self.actors[username] = users.authenticate(self.db, username, PASSWORD)
        return self.actors[username]


def build_svc_world(db: Database, business_date: dt.date = dt.date(2026, 2, 10)) -> SvcWorld:
    system = Actor.system("test")
    with db.transaction() as s:
        bank = users.add_institution(s, system, code="SBANK", name="服务银行", kind="bank")
        other = users.add_institution(s, system, code="OBANK", name="他行", kind="bank")
        users.add_institution(s, system, code="VC1", name="创投一号", kind="investor")
        users.add_institution(s, system, code="HUB", name="信息平台", kind="platform")
        e = Enterprise(
            uscc="91110000600037341L",
            name="北京甲科技有限公司",
            industry_code="6513",
            province="北京",
            area_code="110000",
            registered_on=dt.date(2015, 3, 1),
            registered_capital=Decimal("5000000.00"),
            as_of=dt.date(2026, 1, 1),
        )
        s.add(e)
        s.flush()
        for username, role, inst, ent in (
            ("s_am", "account_manager", "SBANK", None),
            ("s_am2", "account_manager", "SBANK", None),
            ("s_rm", "risk_manager", "SBANK", None),
            ("s_rm2", "risk_manager", "SBANK", None),
            ("s_ap", "approver", "SBANK", None),
            ("o_am", "account_manager", "OBANK", None),
            ("vc_admin", "admin", "VC1", None),
            ("s_ent", "enterprise", "HUB", e.id),
        ):
            users.add_user(
                s,
                system,
                username=username,
                password=PASSWORD,
                role=role,
                institution_code=inst,
                display_name=username,
                enterprise_id=ent,
            )
        s.add(BusinessDate(institution_id=bank.id, business_date=business_date))
        world = SvcWorld(db, e.id, bank.id, other.id)
    return world


def make_loan(
    world: SvcWorld,
    *,
    principal: str = "120000.00",
    rate: str = "0.06",
    months: int = 12,
    start: dt.date = START,
    method: str = "annuity",
    milestones: list[dict[str, str]] | None = None,
    product: str = "credit_loan",
) -> int:
    """A disbursed loan written straight into origination's tables (application → contract →
    loan with its schedule rows), as `origination.check_disbursement` would leave it.

    ``product`` must be in the catalogue (``credit/data/products.yaml``): servicing takes the
    penalty markup and allocation order from it. The default, the credit loan, has the default
    order (costs → penalty → compound → interest → principal) and a 50 % markup, which the
    tests' hand-computed penalty figures assume."""
    get_product(product)  # a loan always comes from the catalogue (ValueError otherwise)
    terms = Terms(
        principal=Decimal(principal),
        annual_rate=Decimal(rate),
        start=start,
        installments=months,
        method=Method(method),
    )
    schedule = build(terms)
    with world.db.transaction() as s:
        am = s.query(User).filter(User.username == "s_am").one()
        app = Application(
            institution_id=world.bank_id,
            enterprise_id=world.enterprise_id,
            product_code=product,
            amount=Decimal(principal),
            term_months=months,
            method=method,
            exposure=Decimal(principal),
            status="disbursed",
            prepared_by=am.id,
            milestones=milestones or [],
            guarantee=["credit"],
        )
        s.add(app)
        s.flush()
        contract = Contract(
            institution_id=world.bank_id,
            application_id=app.id,
            number=f"C-{app.id:06d}",
            enterprise_id=world.enterprise_id,
            product_code=product,
            amount=Decimal(principal),
            annual_rate=Decimal(rate),
            term_months=months,
            method=method,
            made_by=am.id,
        )
        s.add(contract)
        s.flush()
        loan = Loan(
            institution_id=world.bank_id,
            enterprise_id=world.enterprise_id,
            contract_id=contract.id,
            application_id=app.id,
            product_code=product,
            channel="tech",
            principal=Decimal(principal),
            annual_rate=Decimal(rate),
            method=method,
            interest_basis=str(terms.interest_basis),
            installments=months,
            start_date=start,
            maturity_date=schedule.rows[-1].due_date,
            terms={
                "principal": principal,
                "annual_rate": rate,
                "start": start.isoformat(),
                "installments": months,
                "method": method,
                "interest_basis": str(terms.interest_basis),
                "frequency": "monthly",
                "rounding": str(terms.rounding),
                "decimals": terms.decimals,
            },
            conventions_version=schedule.conventions_version,
        )
        s.add(loan)
        s.flush()
        for r in schedule.rows:
            s.add(
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
        return loan.id


def set_business_date(world: SvcWorld, date: dt.date) -> None:
    with world.db.transaction() as s:
        row = s.get(BusinessDate, world.bank_id)
        assert row is not None
        row.business_date = date
