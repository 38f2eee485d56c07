"""Demo data for the origination pages (a `techfin.services.demo.DEMO_SEEDERS` module).

`seed(db, as_of=...)` works over an already loaded demo world, at BANK-HX and BANK-JN, only
through the origination services (each call checks roles and tenancy, writes its events and
audit entries), so every row is one the product itself would have written:

* BANK-HX's admin dedicates tech-channel reviewers and approvers (art. 11); head office sets a
  tech credit quota for the sub-branch (small, so the second loan records a request to head
  office); a risk manager sets customer and group credit lines, an account manager records a
  group link from KYC. The branches' delegated limits come with the world
  (`branches.delegated_limits`: head office 500m, branch 100m, tech sub-branch 30m).
* Applications (IP-pledge loans: the demo world's enterprises grade T7–T9 on the expert
  scorecard, and the tech credit loan serves T6 or better) for enterprises that consented to
  the bank, at each status: a draft with missing items, submitted, at the expert committee with
  opinions pending, past the experts with a dissent (one drawn expert declared a conflict and
  is never drawn), at the credit committee with a vote cast, approved with conditions,
  contracted with the pledge condition open, and disbursed (loans with schedules, use of funds
  partly evidenced) — one of them in the ordinary channel. The first loan's instalments due
  by the as-of date are repaid through `services.servicing.record_payment`; the committee's
  loan is left unpaid, so the next servicing day-end (`techfin eod run --date 2026-10-31`)
  finds it past due. (`servicing_demo` runs before this seeder, so its day-end results stay
  those of its own three loans.)

Experts answer under their own logins, and the world gives only four tech experts a login
(`expert.exp-t001` … `t004`) among forty. The services draw experts at random by a seed the
reviewer gives; the demo takes the first seed whose draw falls on experts with a login (a real
reviewer does not choose the seed). Event times are the time of seeding, so the channel-time
table shows seconds, not days.

Origination dates every business fact by the bank's business date (营业日, decision 1057), so
the seeder works through the bank's days as a bank would: it sets the business date (through
`eod.set_business_date`, audited under the bank's admin) to 90 days before the as-of date to
open the applications, to each disbursed example's day (75, 40 and 20 days before) to take it
from the file to the loan — the whole path and the drawdown on that day, value-dated that day,
never backdated — and to the as-of date for the applications still on their way; then it puts
the business date back as it found it (the as-of date if the bank had none). Deterministic for a
given world; a database where BANK-HX already has applications is skipped.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from techfin.services import eod, users
from techfin.services import experts as expert_registry
from techfin.services import origination as orig
from techfin.services.context import Actor
from techfin.services.errors import ServiceError
from techfin.services.origination_policy import load_policy
from techfin.store.db import Database
from techfin.store.tables import (
    Branch,
    BusinessDate,
    Consent,
    Enterprise,
    Expert,
    Institution,
    Patent,
    User,
)
from techfin.store.tables_origination import (
    Application,
    ApplicationEvent,
    ExpertOpinion,
    LoanScheduleRow,
)

PRODUCT = "ip_pledge_loan"
APPRAISED = "8000000"
MAX_SEEDS = 200_000
# the business days of the demo, in days before the as-of date: applications opened, then each
# disbursed example taken from its file to the loan on its own day
OPENED_DAYS_BEFORE = 90
DISBURSED_DAYS_BEFORE = {"disbursed": 75, "disbursed_committee": 40, "disbursed_ordinary": 20}

REPORT = (
    "On-site visit {on}: R&D centre and pilot line inspected; order book and VAT invoices "
    "checked against the hub's tax records; the invention patent offered in pledge is in "
    "force with fees paid. Management plans to use the loan for working capital of the "
    "next production batch."
)


def _actor(db: Database, username: str) -> Actor:
    with db.read() as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
    if user_id is None:
        raise LookupError(f"no user {username}")
    return users.actor_by_id(db, user_id)


def _draw_seed(
    db: Database, application_id: int, institution_id: int, with_login: set[int]
) -> int | None:
    """The first draw seed whose experts all have a login (what `draw_experts` would draw)."""
    n = load_policy().expert_count
    with db.read() as session:
        app = session.get(Application, application_id)
        assert app is not None
        enterprise = session.get(Enterprise, app.enterprise_id)
        assert enterprise is not None
        field, enterprise_id = enterprise.industry_code, enterprise.id
    pool = expert_registry.eligible(
        db, kind="tech", field=field, enterprise_id=enterprise_id, institution_id=institution_id
    )
    if len(pool) < n:
        pool = expert_registry.eligible(
            db, kind="tech", field=None, enterprise_id=enterprise_id, institution_id=institution_id
        )
    if len(pool) < n or len([x for x in pool if x.id in with_login]) < n:
        return None
    for seed in range(MAX_SEEDS):
        if all(x.id in with_login for x in random.Random(seed).sample(pool, n)):
            return seed
    return None


class _Bank:
    """One bank's staff and the steps of the path, each a service call."""

    def __init__(self, db: Database, code: str, prefix: str, as_of: dt.date) -> None:
        self.db, self.code, self.as_of = db, code, as_of

        def a(name: str) -> Actor:
            return _actor(db, f"{prefix}.{name}")

        self.admin = a("admin")
        self.am = a("am.11.1")
        self.reviewer = a("reviewer.1")
        self.approver = a("approver.1")
        self.chair = a("approver")
        self.risk_branch = a("risk_manager.1")
        self.risk_head = a("risk_manager")
        self.reviewer_ordinary = a("reviewer.2")
        with db.read() as session:
            self.institution_id = session.scalar(
                select(Institution.id).where(Institution.code == code)
            )
            rows = session.execute(
                select(Expert.id, Expert.user_id)
                .where(Expert.kind == "tech", Expert.user_id.is_not(None))
                .order_by(Expert.id)
            ).all()
        self.expert_ids = {int(e) for e, _u in rows}
        self.expert_users = {
            int(e): users.actor_by_id(db, int(u)) for e, u in rows if u is not None
        }
        self.notes: list[str] = []

    # --- the bank's business date -----------------------------------------------------------

    def business_date(self) -> dt.date | None:
        assert self.institution_id is not None
        with self.db.read() as session:
            row = session.get(BusinessDate, self.institution_id)
            return None if row is None else row.business_date

    def set_business_date(self, day: dt.date) -> None:
        if self.business_date() != day:
            eod.set_business_date(self.db, self.admin, self.code, day)

    # --- steps -----------------------------------------------------------------------------

    def complete_and_submit(self, app_id: int) -> dict[str, Any]:
        orig.update_file(
            self.db,
            self.am,
            app_id,
            investigation_report=REPORT.format(on=(self.as_of - dt.timedelta(days=100))),
            milestones=[
                {
                    "kind": "revenue",
                    "text": "Revenue of the next four quarters above the last four",
                    "due": (self.as_of + dt.timedelta(days=270)).isoformat(),
                },
                {
                    "kind": "funding_round",
                    "text": "Close the next equity round",
                    "due": (self.as_of + dt.timedelta(days=360)).isoformat(),
                },
            ],
        )
        return orig.submit(self.db, self.am, app_id)

    def review(self, app_id: int, channel: str) -> dict[str, Any]:
        who = self.reviewer if channel == "tech" else self.reviewer_ordinary
        return orig.review(
            self.db,
            who,
            app_id,
            opinion="File complete; pledge capacity covers the amount; to the experts on the "
            "technology.",
        )

    def draw(self, app_id: int, channel: str) -> list[Actor] | None:
        assert self.institution_id is not None
        seed = _draw_seed(self.db, app_id, self.institution_id, self.expert_ids)
        if seed is None:
            self.notes.append(f"application {app_id}: no draw of experts with logins")
            return None
        who = self.reviewer if channel == "tech" else self.reviewer_ordinary
        view = orig.draw_experts(self.db, who, app_id, seed=seed)
        del view
        with self.db.read() as session:
            drawn = session.scalars(
                select(ExpertOpinion.expert_id)
                .where(ExpertOpinion.application_id == app_id)
                .order_by(ExpertOpinion.id)
            ).all()
        return [self.expert_users[int(x)] for x in drawn]

    def opinions(self, app_id: int, experts: list[Actor], *, answer: int, dissent: bool) -> None:
        texts = [
            (82, True, "Core process patented and in production; the team can deliver."),
            (74, True, "Technology credible; market adoption slower than the plan says."),
            (48, False, "Dissent: a competing process is cheaper; the patent's scope is narrow."),
        ]
        for i, expert in enumerate(experts[:answer]):
            score, support, text = texts[i] if (dissent or i < 2) else (70, True, texts[1][2])
            orig.submit_opinion(self.db, expert, app_id, score=score, support=support, opinion=text)

    def approve(self, app_id: int, *, insurance: bool = False) -> dict[str, Any]:
        conditions = (
            [{"kind": "insurance_in_force", "text": "IP enforcement insurance in force"}]
            if insurance
            else None
        )
        return orig.decide(
            self.db,
            self.approver,
            app_id,
            decision="approve",
            reason="Within delegated authority; pledge capacity and the experts' advice support "
            "the amount.",
            conditions=conditions,
        )

    def committee(self, app_id: int, *, votes: int) -> dict[str, Any]:
        members = [
            (self.chair, True, "Chair: approve; collateral and advice adequate."),
            (self.approver, True, "Approve; monitor the revenue milestone."),
            (self.risk_branch, True, "Approve with the pledge registered before drawdown."),
        ]
        view: dict[str, Any] = {}
        for i, (who, ok, text) in enumerate(members[:votes]):
            view = orig.committee_vote(self.db, who, app_id, approve=ok, reason=text, chair=i == 0)
        return view

    def contract(self, app_id: int) -> dict[str, Any]:
        return orig.make_contract(self.db, self.am, app_id)

    def disburse(self, app_id: int, *, fund_use: Decimal | None) -> int:
        """Conditions met, the drawdown requested and checked, on the business date (which is
        its value date) — the seeder has set it to the example's day."""
        value_date = self.business_date()
        assert value_date is not None
        view = orig.get_application(self.db, self.am, app_id)
        contract_id = int(view["contract"]["id"])
        for c in view["contract"]["conditions"]:
            if c["status"] == "open":
                orig.meet_condition(
                    self.db,
                    self.am,
                    int(c["id"]),
                    evidence=f"CNIPA pledge registration Y{value_date:%Y%m%d}{app_id:05d}",
                )
        d = orig.request_disbursement(
            self.db, self.am, contract_id, idempotency_key=f"demo-{self.code}-{app_id}"
        )
        done = orig.check_disbursement(
            self.db,
            self.risk_head,
            int(d["id"]),
            approve=True,
            reason="Conditions met, lines and quota checked, payee verified.",
        )
        loan_id = int(done["loan_id"])
        if fund_use is not None:
            orig.record_fund_use(
                self.db,
                self.am,
                loan_id,
                amount=fund_use,
                description="Raw materials for the pilot batch (VAT invoice and payment voucher)",
                payee_name="某材料供应商",
            )
        return loan_id


def _candidates(db: Database, institution_id: int, limit: int) -> list[tuple[int, str]]:
    """Enterprises with a live credit-assessment consent to the bank and a granted invention
    patent to pledge, in id order."""
    with db.read() as session:
        consented = set(
            session.scalars(
                select(Consent.enterprise_id).where(
                    Consent.grantee_institution_id == institution_id,
                    Consent.purpose == "credit_assessment",
                    Consent.revoked_at.is_(None),
                )
            )
        )
        out: list[tuple[int, str]] = []
        seen: set[int] = set()
        rows = session.execute(
            select(Patent.enterprise_id, Patent.number)
            .where(
                Patent.kind == "invention",
                Patent.granted_on.is_not(None),
                Patent.enterprise_id.in_(consented),
            )
            .order_by(Patent.enterprise_id, Patent.id)
        ).all()
        for eid, number in rows:
            if eid is not None and eid not in seen:
                seen.add(eid)
                out.append((int(eid), str(number)))
            if len(out) >= limit:
                break
        return out


Slot = tuple[str, Callable[[dict[str, Any]], bool]]


def _is(channel: str, *grades: str) -> Callable[[dict[str, Any]], bool]:
    return lambda v: v.get("channel") == channel and (not grades or v.get("grade") in grades)


def _fits(view: dict[str, Any]) -> bool:
    """Only the manager's own items are missing (report and milestones)."""
    missing = view["file"].get("missing", [])
    return all(m in ("investigation report", "post-loan milestones") for m in missing)


def _seed_bank(db: Database, code: str, prefix: str, as_of: dt.date, full: bool) -> dict[str, Any]:
    bank = _Bank(db, code, prefix, as_of)
    assert bank.institution_id is not None
    found = bank.business_date()
    try:
        return _seed_bank_days(bank, prefix, full)
    finally:
        bank.set_business_date(found or as_of)


def _seed_bank_days(bank: _Bank, prefix: str, full: bool) -> dict[str, Any]:
    db, code, as_of = bank.db, bank.code, bank.as_of
    out: dict[str, Any] = {"bank": code, "applications": {}, "loans": []}
    assert bank.institution_id is not None
    with db.read() as session:
        opened = session.scalar(
            select(ApplicationEvent.id).where(
                ApplicationEvent.institution_id == bank.institution_id,
                ApplicationEvent.action == "open",
            )
        )
        if opened is not None:
            return {"bank": code, "skipped": "the bank already has applications"}
        t1 = session.scalar(select(Branch.id).where(Branch.code == f"{code}-01-T1"))
    bank.set_business_date(as_of - dt.timedelta(days=OPENED_DAYS_BEFORE))
    if full:
        for name in ("reviewer", "reviewer.1", "approver", "approver.1"):
            orig.designate_channel_staff(db, bank.admin, username=f"{prefix}.{name}")
        if t1 is not None:
            orig.set_tech_quota(
                db,
                bank.risk_head,
                branch_id=int(t1),
                period_start=dt.date(as_of.year, 1, 1),
                period_end=dt.date(as_of.year, 12, 31),
                amount=Decimal("5000000"),
            )
    # slot name → what the opened application must be; order = priority
    slots: list[Slot] = (
        [
            ("disbursed", _is("tech", "T7")),
            ("disbursed_committee", _is("tech", "T8")),
            ("disbursed_ordinary", _is("ordinary", "T7")),
            ("contracted", _is("tech", "T7")),
            ("approved", _is("tech", "T7")),
            ("dissent", _is("tech", "T7")),
            ("committee", _is("tech", "T8")),
            ("experts", _is("tech")),
            ("submitted", _is("tech")),
        ]
        if full
        else [("disbursed", _is("tech", "T7")), ("submitted", _is("tech"))]
    )
    filled: dict[str, tuple[int, int]] = {}
    draft_kept = False
    for enterprise_id, patent in _candidates(db, bank.institution_id, 60):
        if len(filled) == len(slots) and draft_kept:
            break
        open_slots = [s for s in slots if s[0] not in filled]
        amount = Decimal("3000000") if len(filled) % 2 == 0 else Decimal("4000000")
        try:
            view = orig.open_application(
                db,
                bank.am,
                enterprise_id=enterprise_id,
                product_code=PRODUCT,
                amount=amount,
                term_months=24,
                guarantee=["pledge"],
                collateral=[
                    {
                        "kind": "ip",
                        "ip_type": "invention",
                        "reference": patent,
                        "appraised_value": APPRAISED,
                    }
                ],
                purpose="Working capital for the next production batch",
            )
        except ServiceError as exc:
            bank.notes.append(f"enterprise {enterprise_id}: {exc.detail}")
            continue
        slot = next((name for name, ok in open_slots if _fits(view) and ok(view)), None)
        if slot is None:
            draft_kept = True  # stays a draft with its missing items listed
            out["applications"].setdefault("draft", []).append(view["id"])
            continue
        filled[slot] = (int(view["id"]), enterprise_id)
    loans: list[int] = []
    for name, _ok in slots:
        if name not in filled:
            bank.notes.append(f"no enterprise for the {name} example")
            continue
        app_id, enterprise_id = filled[name]
        # the disbursed examples come first in `slots`, so the business date only moves forward
        bank.set_business_date(as_of - dt.timedelta(days=DISBURSED_DAYS_BEFORE.get(name, 0)))
        try:
            _advance(bank, name, app_id, enterprise_id, filled, loans)
        except ServiceError as exc:
            bank.notes.append(f"{name} (application {app_id}): {exc.detail}")
        out["applications"][name] = app_id
    out["loans"] = loans
    bank.set_business_date(as_of)
    if full and "disbursed" in filled and loans:
        out["repayments"] = _repay(bank, loans[0])
    if bank.notes:
        out["notes"] = bank.notes
    return out


def _repay(bank: _Bank, loan_id: int) -> int:
    """Servicing: the first loan's instalments due by the as-of date paid on their due dates
    (the loan disbursed by the committee is left unpaid: past due at the next day-end)."""
    from techfin.services import servicing

    with bank.db.read() as session:
        dues = session.execute(
            select(LoanScheduleRow.n, LoanScheduleRow.due_date, LoanScheduleRow.payment)
            .where(LoanScheduleRow.loan_id == loan_id, LoanScheduleRow.due_date <= bank.as_of)
            .order_by(LoanScheduleRow.n)
        ).all()
    for n, due, payment in dues:
        servicing.record_payment(
            bank.db,
            bank.am,
            loan_id,
            amount=payment,
            value_date=due,
            payer="borrower's settlement account",
            idempotency_key=f"demo-{bank.code}-{loan_id}-{n}",
        )
    return len(dues)


def _advance(
    bank: _Bank,
    name: str,
    app_id: int,
    enterprise_id: int,
    filled: dict[str, tuple[int, int]],
    loans: list[int],
) -> None:
    db, as_of = bank.db, bank.as_of
    view = bank.complete_and_submit(app_id)
    if name == "submitted":
        return
    channel = str(view["channel"])
    if name in ("disbursed", "disbursed_committee"):
        # credit lines first: the customer's own, and a group line over a KYC shareholder link
        start = as_of - dt.timedelta(days=120)
        orig.set_credit_line(
            db,
            bank.risk_head,
            enterprise_id=enterprise_id,
            scope="customer",
            limit_amount=Decimal("5000000"),
            sublimits={PRODUCT: "5000000"},
            valid_from=start,
            valid_to=start + dt.timedelta(days=365),
        )
        if name == "disbursed" and "contracted" in filled:
            other = filled["contracted"][1]
            orig.add_group_link(
                db,
                bank.am,
                owner_enterprise_id=enterprise_id,
                owned_enterprise_id=other,
                share=Decimal("0.60"),
                source="kyc",
                as_of=start,
            )
            orig.set_credit_line(
                db,
                bank.risk_head,
                enterprise_id=enterprise_id,
                scope="group",
                limit_amount=Decimal("12000000"),
                valid_from=start,
                valid_to=start + dt.timedelta(days=365),
            )
    if name == "dissent":
        # the fourth expert declares a conflict with this enterprise: never drawn for it
        conflicted = bank.expert_users[max(bank.expert_users)]
        expert_registry.declare_conflict(
            db,
            conflicted,
            expert_id=max(bank.expert_users),
            enterprise_id=enterprise_id,
            reason="Former technical adviser to the applicant (2023–2025)",
        )
    view = bank.review(app_id, channel)
    if view["status"] == "experts":
        experts = bank.draw(app_id, channel)
        if experts is None:
            return
        if name == "experts":
            bank.opinions(app_id, experts, answer=1, dissent=False)
            return
        bank.opinions(app_id, experts, answer=len(experts), dissent=name == "dissent")
    if name == "dissent":
        return
    view = orig.get_application(db, bank.am, app_id)
    if view["status"] == "committee":
        view = bank.committee(app_id, votes=1 if name == "committee" else 3)
        if name == "committee":
            return
    elif view["status"] == "decision":
        view = bank.approve(app_id, insurance=name == "approved")
    if name == "approved":
        return
    bank.contract(app_id)
    if name == "contracted":
        return
    loans.append(
        bank.disburse(app_id, fund_use=Decimal("1200000.00") if name == "disbursed" else None)
    )


def seed(db: Database, *, as_of: dt.date) -> dict[str, Any]:
    """Seed origination over an already loaded demo world; returns what it made."""
    out: dict[str, Any] = {}
    for code, prefix, full in (("BANK-HX", "hx", True), ("BANK-JN", "jn", False)):
        try:
            out[code] = _seed_bank(db, code, prefix, as_of, full)
        except LookupError as exc:  # a world without these users
            out[code] = {"skipped": str(exc)}
    return out
