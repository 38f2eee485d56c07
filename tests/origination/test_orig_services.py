"""Origination services on SQLite and PostgreSQL: the whole path from application to loan, and
the controls (maker-checker, delegated authority and escalation, the credit committee's rules,
conflicted experts, conditions precedent, credit lines, payment mode, idempotency, tenancy)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from orig_world import OrigWorld, build_orig_world, head_office_refers_grade_to_committee
from sqlalchemy import select

from techfin.credit.grade_policy import grade_levers
from techfin.services import audit, experts
from techfin.services import origination as o
from techfin.services.context import Actor
from techfin.services.errors import Conflict, ConsentRequired, Forbidden, NotFound, ValidationFailed
from techfin.store.tables import AuditEntry
from techfin.store.tables_origination import Application

IP = [{"kind": "ip", "ip_type": "invention", "appraised_value": "8000000", "patent": "ZL1"}]
MILESTONES = [{"kind": "revenue", "text": "2026 revenue ≥ 40m", "due": "2027-03-31"}]


@pytest.fixture
def world(db) -> OrigWorld:
    return build_orig_world(db)


@pytest.fixture
def sqlite_world(db) -> OrigWorld:
    """The controls that do not depend on the database run on SQLite only, to keep the suite
    within its time budget; the path, committee, escalation and maker-checker tests run on
    both databases."""
    if db.dialect != "sqlite":
        pytest.skip("database-independent control: SQLite only (time budget)")
    return build_orig_world(db)


def _open(w: OrigWorld, amount: str = "2000000", **kw) -> dict:
    args = {
        "enterprise_id": w.enterprise_id,
        "product_code": "ip_pledge_loan",
        "amount": Decimal(amount),
        "term_months": 12,
        "method": "annuity",
        "guarantee": ["pledge"],
        "collateral": IP,
    }
    args.update(kw)
    return o.open_application(w.db, w.actor("a_am"), **args)


def _submitted(w: OrigWorld, amount: str = "2000000", **kw) -> dict:
    app = _open(w, amount, **kw)
    o.update_file(
        w.db, w.actor("a_am"), app["id"], investigation_report="visited", milestones=MILESTONES
    )
    return o.submit(w.db, w.actor("a_am"), app["id"])


def _to_decision(w: OrigWorld, amount: str = "2000000", **kw) -> dict:
    app = _submitted(w, amount, **kw)
    app = o.review(w.db, w.actor("a_reviewer"), app["id"], opinion="sound")
    if app["status"] == "experts":
        app = o.draw_experts(w.db, w.actor("a_reviewer"), app["id"], seed=7)
        for e in app["experts"]:
            o.submit_opinion(
                w.db, w.actor(e["expert"]), app["id"], score=75, support=True, opinion="ok"
            )
        app = o.get_application(w.db, w.actor("a_am"), app["id"])
    return app


def test_whole_path_to_a_loan_with_its_schedule(world):
    w = world
    app = _open(w)
    assert app["status"] == "draft" and app["channel"] == "tech"
    assert app["file"]["titles"]["valid_granted"] == ["hnte"]
    assert app["file"]["ip"]["pledge_capacity"] == "2000000.00"  # 8m × 25 % invention rate
    assert app["file"]["product"]["eligible"] is True
    assert app["file"]["schedule"]["totals"]["principal"] == "2000000.00"
    # the credit file's grade levers are the grade policy's (decision 0608)
    levers = grade_levers(app["file"]["rating"]["grade"])
    assert app["file"]["rating"]["approval_route"] == levers.approval_route
    assert app["file"]["rating"]["grade_policy"] == "grade_policy@grade-policy-2026.1"
    assert app["file"]["pricing"]["grade_policy"] == "grade_policy@grade-policy-2026.1"
    assert Decimal(app["file"]["pricing"]["grade_adjustment"]) == Decimal(
        levers.pricing_adjustment_bp
    ) / Decimal(10_000)
    # pricing below the risk-based floor is put before the approver, not hidden
    assert app["file"]["pricing"]["meets_floor"] is False  # this world's T-grade prices low
    assert any("below the risk-based floor" in x for x in app["warnings"])
    with pytest.raises(ValidationFailed) as exc:
        o.submit(w.db, w.actor("a_am"), app["id"])
    assert "investigation report" in exc.value.detail and "post-loan milestones" in exc.value.detail

    app = _to_decision(w)
    assert app["status"] == "decision"
    assert app["expert_advice"]["recommendation"] == "support"
    assert app["expert_advice"]["fees"] == "6000.00"
    app = o.decide(
        w.db,
        w.actor("a_bj_approver"),
        app["id"],
        decision="approve",
        reason="good tech",
        conditions=[{"kind": "insurance_in_force", "text": "credit insurance"}],
    )
    assert app["status"] == "approved"
    assert {c["kind"] for c in app["approved_conditions"]} == {
        "pledge_registered",
        "insurance_in_force",
    }
    app = o.make_contract(w.db, w.actor("a_am"), app["id"])
    conds = app["contract"]["conditions"]
    with pytest.raises(Conflict, match="conditions precedent open"):
        o.request_disbursement(w.db, w.actor("a_am"), app["contract"]["id"])
    o.meet_condition(w.db, w.actor("a_am"), conds[0]["id"], evidence="pledge reg. 2026-001")
    with pytest.raises(Conflict, match="credit insurance"):
        o.request_disbursement(w.db, w.actor("a_am"), app["contract"]["id"])
    o.meet_condition(w.db, w.actor("a_am"), conds[1]["id"], evidence="policy P-9")
    d = o.request_disbursement(w.db, w.actor("a_am"), app["contract"]["id"], idempotency_key="k1")
    again = o.request_disbursement(
        w.db, w.actor("a_am"), app["contract"]["id"], idempotency_key="k1"
    )
    assert again["id"] == d["id"] and d["payment_mode"] == "self"
    with pytest.raises(Forbidden):
        o.check_disbursement(w.db, w.actor("a_am"), d["id"], approve=True, reason="x")
    d = o.check_disbursement(w.db, w.actor("a_risk"), d["id"], approve=True, reason="complete")
    assert d["status"] == "disbursed" and d["loan_id"]
    loan = o.get_loan(w.db, w.actor("a_am"), d["loan_id"])
    assert loan["status"] == "active" and len(loan["schedule"]) == 12
    assert sum(Decimal(r["principal"]) for r in loan["schedule"]) == Decimal("2000000.00")
    assert loan["schedule"][-1]["balance"] == "0.00"
    loan = o.record_fund_use(
        w.db, w.actor("a_am"), loan["id"], amount=Decimal("500000"), description="equipment"
    )
    assert loan["fund_use"]["unevidenced"] == "1500000.00"
    final = o.get_application(w.db, w.actor("a_am"), app["id"])
    assert final["status"] == "disbursed"
    assert [e["action"] for e in final["events"]][:4] == [
        "open",
        "submit",
        "review",
        "expert_advice",
    ]
    times = o.channel_times(w.db, w.actor("a_am"))
    review = next(s for s in times["steps"] if s["step"] == "review")
    assert review["tech"]["n"] == 1 and review["ordinary"]["n"] == 0
    commands = set(w.db.read().__enter__().scalars(select(AuditEntry.command)))
    assert {"origination.open", "origination.approve", "origination.disburse"} <= commands
    assert audit.verify(w.db)[1] is None


def test_maker_and_reviewer_cannot_approve(world):
    w = world
    app = _to_decision(w)
    with pytest.raises(Forbidden):
        o.decide(w.db, w.actor("a_am"), app["id"], decision="approve", reason="mine")
    with pytest.raises(Forbidden):
        o.decide(w.db, w.actor("a_reviewer"), app["id"], decision="approve", reason="mine")
    # an approver recorded as this application's reviewer is refused by maker-checker
    approver = w.actor("a_bj_approver")
    with w.db.transaction() as s:
        s.get(Application, app["id"]).reviewed_by = approver.user_id
    with pytest.raises(Forbidden, match="maker-checker"):
        o.decide(w.db, approver, app["id"], decision="approve", reason="mine")
    with pytest.raises(Forbidden):  # the maker cannot review their own file either
        o.review(w.db, w.actor("a_am"), _submitted(w)["id"], opinion="self")


def test_above_the_limit_escalates(world):
    w = world
    app = _to_decision(w, "2000000")
    # T7 halves authority: 3m × 0.5 = 1.5m at the sub-branch < 2m, so the branch decides
    assert app["route"]["escalated"] is True
    assert app["route"]["branch_name"] == "北京分行"
    with pytest.raises(Forbidden, match="escalate"):
        o.decide(w.db, w.actor("a_approver"), app["id"], decision="approve", reason="fast")
    # an approver outside the application's approval line is refused, whatever their authority
    from techfin.services import users
    from techfin.store.tables import Institution

    with w.db.transaction() as s:
        bank = s.scalar(select(Institution).where(Institution.code == "BANKA"))
        users.add_branch(
            s,
            Actor.system("test"),
            institution_id=bank.id,
            code="SH",
            name="上海分行",
            kind="branch",
            parent_id=w.branch_ids["HO"],
            delegated_limits={"exposure_yuan": "90000000"},
        )
        users.add_user(
            s,
            Actor.system("test"),
            username="a_sh_approver",
            password="correct-horse-1",
            role="approver",
            institution_code="BANKA",
            branch_code="SH",
        )
    with pytest.raises(Forbidden, match="approval line"):
        o.decide(w.db, w.actor("a_sh_approver"), app["id"], decision="approve", reason="x")
    small = _to_decision(w, "1000000")
    assert small["route"]["escalated"] is False
    done = o.decide(w.db, w.actor("a_approver"), small["id"], decision="approve", reason="ok")
    assert done["status"] == "approved"


def test_an_amount_above_the_grades_limit_is_refused_at_submission(sqlite_world):
    """The grade's limit multiple caps the product's maximum (decision 0608): this world's
    enterprise is T7 (0.60), so 26m under the 30m IP-pledge loan is refused, naming why."""
    w = sqlite_world
    app = _open(w, "26000000", collateral=[{**IP[0], "appraised_value": "120000000"}])
    assert app["file"]["rating"]["grade"] == "T7"
    assert app["file"]["product"]["eligible"] is False
    assert app["file"]["product"]["max_amount"] == "18000000.00"
    o.update_file(
        w.db, w.actor("a_am"), app["id"], investigation_report="visited", milestones=MILESTONES
    )
    with pytest.raises(ValidationFailed) as exc:
        o.submit(w.db, w.actor("a_am"), app["id"])
    assert exc.value.field == "file"
    assert (
        "amount 26,000,000.00 is above the maximum 18,000,000.00 "
        "(grade T7: 0.60 × the product's maximum 30,000,000.00)"
    ) in str(exc.value)


def test_credit_committee_quorum_majority_and_chair_veto(world):
    w = world
    # the head office refers T7 to the credit committee (its own grade factor 0 wins)
    head_office_refers_grade_to_committee(w.db)  # T7 at 16m is within its 0.6 × 30m
    app = _to_decision(w, "16000000", collateral=[{**IP[0], "appraised_value": "120000000"}])
    assert app["route"]["decider"] == "committee" and app["status"] == "committee"
    with pytest.raises(Conflict):  # no single approver decides a committee case
        o.decide(w.db, w.actor("a_ho_approver"), app["id"], decision="approve", reason="x")
    app = o.committee_vote(
        w.db, w.actor("a_chair"), app["id"], approve=True, reason="y", chair=True
    )
    assert app["status"] == "committee"  # the chair cannot approve alone
    app = o.committee_vote(w.db, w.actor("a_member1"), app["id"], approve=True, reason="y")
    assert app["status"] == "committee"  # quorum is 3
    app = o.committee_vote(w.db, w.actor("a_member2"), app["id"], approve=False, reason="n")
    assert app["status"] == "approved" and app["decision_reason"].startswith("credit committee")
    with pytest.raises(Conflict):
        o.committee_vote(w.db, w.actor("a_member1"), app["id"], approve=True, reason="again")

    vetoed = _to_decision(w, "16000000", collateral=[{**IP[0], "appraised_value": "120000000"}])
    o.committee_vote(w.db, w.actor("a_member1"), vetoed["id"], approve=True, reason="y")
    vetoed = o.committee_vote(
        w.db, w.actor("a_chair"), vetoed["id"], approve=False, reason="veto", chair=True
    )
    assert vetoed["status"] == "rejected" and "vetoed" in vetoed["decision_reason"]


def test_a_conflicted_expert_cannot_be_drawn(sqlite_world):
    w = sqlite_world
    conflicted = w.expert_ids["expert1"]
    experts.declare_conflict(
        w.db,
        Actor.system("test"),
        expert_id=conflicted,
        reason="adviser to the borrower",
        enterprise_id=w.enterprise_id,
    )
    for seed in range(4):
        app = _submitted(w)
        app = o.review(w.db, w.actor("a_reviewer"), app["id"], opinion="ok")
        app = o.draw_experts(w.db, w.actor("a_reviewer"), app["id"], seed=seed)
        assert conflicted not in {e["expert_id"] for e in app["experts"]}
        assert len(app["experts"]) == 3
    with pytest.raises(NotFound):  # not drawn, so nothing to answer
        o.submit_opinion(w.db, w.actor("expert1"), app["id"], score=90, support=True, opinion="x")
    experts.declare_conflict(
        w.db,
        Actor.system("test"),
        expert_id=w.expert_ids["expert2"],
        reason="x",
        enterprise_id=w.enterprise_id,
    )
    app = o.review(w.db, w.actor("a_reviewer"), _submitted(w)["id"], opinion="ok")
    with pytest.raises(ValidationFailed, match="only 2"):
        o.draw_experts(w.db, w.actor("a_reviewer"), app["id"], seed=1)


def test_disbursement_is_blocked_while_a_condition_is_open(sqlite_world):
    w = sqlite_world
    app = _to_decision(w, "1000000")
    app = o.decide(w.db, w.actor("a_approver"), app["id"], decision="approve", reason="ok")
    app = o.make_contract(w.db, w.actor("a_am"), app["id"])
    cond = app["contract"]["conditions"][0]
    assert cond["kind"] == "pledge_registered" and cond["status"] == "open"
    with pytest.raises(Conflict, match="Pledge registered"):
        o.request_disbursement(w.db, w.actor("a_am"), app["contract"]["id"])
    o.meet_condition(w.db, w.actor("a_am"), cond["id"], evidence="reg 1")
    d = o.request_disbursement(w.db, w.actor("a_am"), app["contract"]["id"])
    assert d["status"] == "requested"


def test_credit_lines_sublimits_and_group(sqlite_world):
    w = sqlite_world
    o.add_group_link(
        w.db,
        w.actor("a_am"),
        owner_enterprise_id=w.other_enterprise_id,
        owned_enterprise_id=w.enterprise_id,
        share=Decimal("0.6"),
    )
    o.set_credit_line(
        w.db,
        w.actor("a_ho_approver"),
        enterprise_id=w.enterprise_id,
        scope="customer",
        limit_amount=Decimal("5000000"),
        sublimits={"ip_pledge_loan": "1500000"},
    )
    app = _to_decision(w, "1000000")
    app = o.decide(
        w.db,
        w.actor("a_approver"),
        app["id"],
        decision="reduce",
        reason="smaller",
        approved_amount=Decimal("900000"),
    )
    assert app["approved_amount"] == "900000.00"
    app = o.make_contract(w.db, w.actor("a_am"), app["id"])
    o.meet_condition(w.db, w.actor("a_am"), app["contract"]["conditions"][0]["id"], evidence="r")
    d = o.request_disbursement(w.db, w.actor("a_am"), app["contract"]["id"])
    o.check_disbursement(w.db, w.actor("a_risk"), d["id"], approve=True, reason="ok")
    lines = o.credit_lines(w.db, w.actor("a_am"), w.enterprise_id)
    assert lines[0]["used"] == "900000.00"
    assert lines[0]["sublimits"]["ip_pledge_loan"]["available"] == "600000.00"
    # a group line on the parent covers the subsidiary's drawdowns
    o.set_credit_line(
        w.db,
        w.actor("a_ho_approver"),
        enterprise_id=w.other_enterprise_id,
        scope="group",
        limit_amount=Decimal("1000000"),
    )
    group = [
        x for x in o.credit_lines(w.db, w.actor("a_am"), w.enterprise_id) if x["scope"] == "group"
    ]
    assert group[0]["members"] == sorted([w.enterprise_id, w.other_enterprise_id])
    assert group[0]["available"] == "100000.00"
    app2 = _to_decision(w, "1000000")
    app2 = o.decide(w.db, w.actor("a_approver"), app2["id"], decision="approve", reason="ok")
    app2 = o.make_contract(w.db, w.actor("a_am"), app2["id"])
    o.meet_condition(w.db, w.actor("a_am"), app2["contract"]["conditions"][0]["id"], evidence="r")
    with pytest.raises(Conflict, match=r"sub-limit|available"):
        o.request_disbursement(w.db, w.actor("a_am"), app2["contract"]["id"])


def test_exposure_net_of_low_risk_collateral_and_entrusted_payment(sqlite_world):
    w = sqlite_world
    deposit = {"kind": "cash_deposit", "value": "10000000"}
    app = _to_decision(w, "12000000", collateral=[IP[0] | {"appraised_value": "60000000"}, deposit])
    assert app["exposure"] == "2000000.00"  # 12m − 10m deposit; IP does not reduce exposure
    assert app["route"]["branch_name"] == "北京分行"
    app = o.decide(w.db, w.actor("a_bj_approver"), app["id"], decision="approve", reason="ok")
    app = o.make_contract(w.db, w.actor("a_am"), app["id"])
    o.meet_condition(w.db, w.actor("a_am"), app["contract"]["conditions"][0]["id"], evidence="r")
    with pytest.raises(ValidationFailed, match="受托支付"):
        o.request_disbursement(w.db, w.actor("a_am"), app["contract"]["id"])
    d = o.request_disbursement(
        w.db,
        w.actor("a_am"),
        app["contract"]["id"],
        payee_name="Supplier Ltd",
        payee_account="6222000011112222",
    )
    assert d["payment_mode"] == "entrusted"


def test_consent_tenancy_and_queues(world):
    w = world
    with pytest.raises(ConsentRequired):
        o.open_application(
            w.db,
            w.actor("b_am"),
            enterprise_id=w.enterprise_id,
            product_code="credit_loan",
            amount=Decimal("1000000"),
            term_months=12,
        )
    app = _submitted(w)
    with pytest.raises(NotFound):
        o.get_application(w.db, w.actor("b_am"), app["id"])
    assert [a["id"] for a in o.queue(w.db, w.actor("a_reviewer"))] == [app["id"]]
    assert o.queue(w.db, w.actor("a_approver")) == []
    with pytest.raises(ValidationFailed, match="method"):
        _open(w, method="revolving")


def test_return_and_reject_need_reasons(sqlite_world):
    w = sqlite_world
    app = _to_decision(w, "1000000")
    with pytest.raises(ValidationFailed):
        o.decide(w.db, w.actor("a_approver"), app["id"], decision="return", reason=" ")
    app = o.decide(w.db, w.actor("a_approver"), app["id"], decision="return", reason="more data")
    assert app["status"] == "returned"
    app = o.update_file(w.db, w.actor("a_am"), app["id"], investigation_report="more data added")
    app = o.submit(w.db, w.actor("a_am"), app["id"])
    assert app["status"] == "submitted"
    app = o.review(w.db, w.actor("a_reviewer"), app["id"], opinion="weak cash flow")
    assert app["status"] == "decision"  # the experts' earlier advice stands
    app = o.decide(w.db, w.actor("a_approver"), app["id"], decision="reject", reason="cash flow")
    assert app["status"] == "rejected" and app["decision_reason"] == "cash flow"
    with pytest.raises(Conflict):
        o.make_contract(w.db, w.actor("a_am"), app["id"])


def test_tech_quota_counts_tech_loans_and_requests_more(sqlite_world):
    w = sqlite_world
    today = dt.date.today()
    o.set_tech_quota(
        w.db,
        Actor.system("test"),
        branch_id=w.branch_ids["ZGC"],
        period_start=today.replace(month=1, day=1),
        period_end=today.replace(month=12, day=31),
        amount=Decimal("500000"),
    )
    app = _to_decision(w, "1000000")
    app = o.decide(w.db, w.actor("a_approver"), app["id"], decision="approve", reason="ok")
    app = o.make_contract(w.db, w.actor("a_am"), app["id"])
    o.meet_condition(w.db, w.actor("a_am"), app["contract"]["conditions"][0]["id"], evidence="r")
    d = o.request_disbursement(w.db, w.actor("a_am"), app["contract"]["id"])
    d = o.check_disbursement(w.db, w.actor("a_risk"), d["id"], approve=True, reason="ok")
    assert d["status"] == "disbursed"  # the quota never turns the loan away
    usage = o.quota_usage(w.db, w.actor("a_am"), w.branch_ids["ZGC"])
    assert usage[0]["used"] == "1000000.00" and usage[0]["requests"]


def test_day_end_watches_use_of_funds_and_milestones(sqlite_world):
    from techfin.services.eod import REGISTRY, _load_steps
    from techfin.store.tables import Institution

    w = sqlite_world
    app = _to_decision(w, "1000000")
    app = o.decide(w.db, w.actor("a_approver"), app["id"], decision="approve", reason="ok")
    app = o.make_contract(w.db, w.actor("a_am"), app["id"])
    o.meet_condition(w.db, w.actor("a_am"), app["contract"]["conditions"][0]["id"], evidence="r")
    d = o.request_disbursement(w.db, w.actor("a_am"), app["contract"]["id"])
    o.check_disbursement(w.db, w.actor("a_risk"), d["id"], approve=True, reason="ok")
    _load_steps()
    watch = REGISTRY.steps["origination.fund_use_watch"].function
    with w.db.transaction() as s:
        bank = s.scalar(select(Institution).where(Institution.code == "BANKA"))
        today = dt.date.today()
        assert watch(s, bank, today)["fund_use_evidence_overdue"] == 0  # inside the window
        later = watch(s, bank, today + dt.timedelta(days=31))
        assert later["fund_use_evidence_overdue"] == 1
        assert watch(s, bank, dt.date(2027, 3, 31))["milestones_due"] == 1
        assert watch(s, bank, dt.date(2027, 3, 31)) == watch(s, bank, dt.date(2027, 3, 31))


def test_ordinary_channel_beside_the_tech_channel_and_rating_pending(sqlite_world, monkeypatch):
    import sys

    w = sqlite_world
    ordinary = _open(w, enterprise_id=w.other_enterprise_id)  # no granted title, grade T7
    assert ordinary["channel"] == "ordinary"
    assert "no granted tech title" in ordinary["channel_reason"]
    o.update_file(
        w.db, w.actor("a_am"), ordinary["id"], investigation_report="r", milestones=MILESTONES
    )
    o.submit(w.db, w.actor("a_am"), ordinary["id"])
    o.review(w.db, w.actor("a_reviewer"), ordinary["id"], opinion="ok")
    tech = _submitted(w)
    o.review(w.db, w.actor("a_reviewer"), tech["id"], opinion="ok")
    steps = {s["step"]: s for s in o.channel_times(w.db, w.actor("a_am"))["steps"]}
    assert steps["review"]["tech"]["n"] == 1 and steps["review"]["ordinary"]["n"] == 1
    # without the rating engine the file says "rating pending" and cannot be submitted
    monkeypatch.setitem(sys.modules, "techfin.rating.expert", None)
    pending = _open(w)
    assert pending["file"]["rating"]["status"] == "pending"
    assert "rating pending" in pending["missing"] and pending["grade"] is None


def test_the_disbursement_check_rechecks_the_credit_line(sqlite_world):
    w = sqlite_world
    o.set_credit_line(
        w.db,
        w.actor("a_ho_approver"),
        enterprise_id=w.enterprise_id,
        scope="customer",
        limit_amount=Decimal("1500000"),
    )
    requests = []
    for _ in range(2):
        app = _to_decision(w, "1000000")
        app = o.decide(w.db, w.actor("a_approver"), app["id"], decision="approve", reason="ok")
        app = o.make_contract(w.db, w.actor("a_am"), app["id"])
        cond = app["contract"]["conditions"][0]["id"]
        o.meet_condition(w.db, w.actor("a_am"), cond, evidence="reg")
        requests.append(o.request_disbursement(w.db, w.actor("a_am"), app["contract"]["id"]))
    o.check_disbursement(w.db, w.actor("a_risk"), requests[0]["id"], approve=True, reason="ok")
    with pytest.raises(Conflict, match=r"exceeds the available 500,000\.00"):
        o.check_disbursement(w.db, w.actor("a_risk"), requests[1]["id"], approve=True, reason="ok")


def test_dedicated_tech_channel_reviewers(sqlite_world):
    w = sqlite_world
    tech = _submitted(w)
    ordinary = _submitted(w, enterprise_id=w.other_enterprise_id)
    assert ordinary["channel"] == "ordinary"
    with pytest.raises(Forbidden):  # only an admin designates
        o.designate_channel_staff(w.db, w.actor("a_reviewer"), username="a_reviewer")
    o.designate_channel_staff(w.db, w.actor("a_admin"), username="a_reviewer")
    assert o.channel_staff(w.db, w.actor("a_am")) == [
        {"username": "a_reviewer", "role": "reviewer", "channel": "tech"}
    ]
    assert [a["id"] for a in o.queue(w.db, w.actor("a_reviewer2"))] == [ordinary["id"]]
    with pytest.raises(Forbidden, match="dedicated reviewers"):
        o.review(w.db, w.actor("a_reviewer2"), tech["id"], opinion="not mine")
    assert o.review(w.db, w.actor("a_reviewer2"), ordinary["id"], opinion="ok")["status"]
    assert o.review(w.db, w.actor("a_reviewer"), tech["id"], opinion="ok")["status"] == "experts"
    with pytest.raises(ValidationFailed):
        o.designate_channel_staff(w.db, w.actor("a_admin"), username="a_am")


def test_head_office_decides_quota_requests(sqlite_world):
    """Beyond the quota a tech loan still disburses and a request goes to head office: a
    sub-branch approver cannot decide it, a head-office approver can (with a reason); approving
    raises the quota; a second decision is refused; both are audited."""
    from techfin.services import quota_requests
    from techfin.services.errors import Conflict, Forbidden, ValidationFailed
    from techfin.store.tables import AuditEntry

    w = sqlite_world
    today = dt.date.today()
    o.set_tech_quota(
        w.db,
        Actor.system("test"),
        branch_id=w.branch_ids["ZGC"],
        period_start=today.replace(month=1, day=1),
        period_end=today.replace(month=12, day=31),
        amount=Decimal("500000"),
    )
    app = _to_decision(w, "1000000")
    app = o.decide(w.db, w.actor("a_approver"), app["id"], decision="approve", reason="ok")
    app = o.make_contract(w.db, w.actor("a_am"), app["id"])
    o.meet_condition(w.db, w.actor("a_am"), app["contract"]["conditions"][0]["id"], evidence="r")
    d = o.request_disbursement(w.db, w.actor("a_am"), app["contract"]["id"])
    o.check_disbursement(w.db, w.actor("a_risk"), d["id"], approve=True, reason="ok")
    pending = quota_requests.requests(w.db, w.actor("a_am"))
    assert len(pending) == 1 and pending[0]["requested"] == "500000.00"
    with pytest.raises(Forbidden):
        quota_requests.decide(
            w.db, w.actor("a_approver"), pending[0]["id"], approve=True, reason="x"
        )
    with pytest.raises(ValidationFailed):
        quota_requests.decide(
            w.db, w.actor("a_ho_approver"), pending[0]["id"], approve=True, reason=" "
        )
    done = quota_requests.decide(
        w.db, w.actor("a_ho_approver"), pending[0]["id"], approve=True, reason="tech lending plan"
    )
    assert done["status"] == "approved" and done["quota_amount"] == "1000000.00"
    usage = o.quota_usage(w.db, w.actor("a_am"), w.branch_ids["ZGC"])
    assert usage[0]["headroom"] == "0.00"
    report = quota_requests.usage(w.db, w.actor("a_ho_approver"))
    assert [(u["amount"], u["used"], u["headroom"]) for u in report] == [
        ("1000000.00", "1000000.00", "0.00")
    ]
    with pytest.raises(Conflict):
        quota_requests.decide(
            w.db, w.actor("a_admin"), pending[0]["id"], approve=False, reason="no"
        )
    assert quota_requests.requests(w.db, w.actor("a_am")) == []
    with w.db.read() as s:
        assert "quota.approve" in set(s.scalars(select(AuditEntry.command)))


def test_quota_requests_over_http(sqlite_world):
    from fastapi.testclient import TestClient
    from orig_world import PASSWORD

    from techfin.app import create_app

    client = TestClient(create_app(sqlite_world.db, secret_key="t"))
    token = client.post("/api/token", json={"username": "a_ho_approver", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert client.get("/api/quota-requests", headers=headers).json() == []
    # the page shows each branch's usage and the requests
    page = client.get("/login")
    import re

    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post(
        "/login", data={"username": "a_ho_approver", "password": PASSWORD, "csrf_token": csrf}
    )
    quota_page = client.get("/quota")
    assert quota_page.status_code == 200 and 'id="quota-usage"' in quota_page.text
    missing = client.post(
        "/api/quota-requests/999", headers=headers, json={"decision": "approve", "reason": "x"}
    )
    assert missing.status_code == 404
    bad = client.post(
        "/api/quota-requests/1", headers=headers, json={"decision": "maybe", "reason": "x"}
    )
    assert bad.status_code == 422 and bad.json()["field"] == "decision"


def test_a_committee_voter_cannot_do_the_disbursement_check(sqlite_world):
    """The disbursement check (放款审核) is independent of approval: a risk manager who voted in
    the credit committee on the application is refused; another risk manager checks it."""
    w = sqlite_world
    head_office_refers_grade_to_committee(w.db)  # T7 at 16m is within its 0.6 × 30m
    app = _to_decision(w, "16000000", collateral=[{**IP[0], "appraised_value": "120000000"}])
    o.committee_vote(w.db, w.actor("a_chair"), app["id"], approve=True, reason="y", chair=True)
    o.committee_vote(w.db, w.actor("a_member1"), app["id"], approve=True, reason="y")
    app = o.committee_vote(w.db, w.actor("a_member2"), app["id"], approve=True, reason="y")
    assert app["status"] == "approved"
    app = o.make_contract(w.db, w.actor("a_am"), app["id"])
    for condition in app["contract"]["conditions"]:
        o.meet_condition(w.db, w.actor("a_am"), condition["id"], evidence="done")
    d = o.request_disbursement(
        w.db,
        w.actor("a_am"),
        app["contract"]["id"],
        payee_name="中芯设备有限公司",
        payee_account="110-2026-0001",
    )
    with pytest.raises((Forbidden, Conflict, ValidationFailed)) as refused:
        o.check_disbursement(w.db, w.actor("a_member2"), d["id"], approve=True, reason="ok")
    assert "independent of the approval" in refused.value.detail
    done = o.check_disbursement(w.db, w.actor("a_risk"), d["id"], approve=True, reason="ok")
    assert done["status"] == "disbursed"


def test_dedicated_tech_channel_approvers(sqlite_world):
    """Once head office names dedicated approvers for the tech channel, another approver —
    even one with enough authority — cannot decide a tech application."""
    w = sqlite_world
    o.designate_channel_staff(w.db, w.actor("a_admin"), username="a_bj_approver")
    app = _to_decision(w, "1000000")  # within the tech sub-branch approver's own authority
    with pytest.raises(Forbidden, match="dedicated"):
        o.decide(w.db, w.actor("a_approver"), app["id"], decision="approve", reason="mine")
    done = o.decide(w.db, w.actor("a_bj_approver"), app["id"], decision="approve", reason="ok")
    assert done["status"] == "approved"


def test_a_guarantee_adds_its_condition_precedent(sqlite_world):
    """Pledge + guarantee: both the pledge registration and the signed guarantee contract are
    conditions precedent; disbursement waits for the guarantee too."""
    w = sqlite_world
    app = _to_decision(w, "1000000", guarantee=["pledge", "guarantee"])
    app = o.decide(w.db, w.actor("a_approver"), app["id"], decision="approve", reason="ok")
    assert {c["kind"] for c in app["approved_conditions"]} >= {
        "pledge_registered",
        "guarantee_signed",
    }
    app = o.make_contract(w.db, w.actor("a_am"), app["id"])
    conds = {c["kind"]: c for c in app["contract"]["conditions"]}
    o.meet_condition(w.db, w.actor("a_am"), conds["pledge_registered"]["id"], evidence="reg 7")
    with pytest.raises(Conflict, match=r"(?i)guarantee"):
        o.request_disbursement(w.db, w.actor("a_am"), app["contract"]["id"])
    o.meet_condition(w.db, w.actor("a_am"), conds["guarantee_signed"]["id"], evidence="GC-1")
    assert o.request_disbursement(w.db, w.actor("a_am"), app["contract"]["id"])["status"]


def test_every_step_to_the_loan_is_audited_and_experts_turnaround_recorded(sqlite_world):
    """Open → file → submit → review → experts → opinions → decision → contract → condition →
    disbursement request → disbursement: one audit entry per command, the chain intact; each
    expert opinion carries its fee and turnaround."""
    from techfin.services import audit
    from techfin.store.tables import AuditEntry

    w = sqlite_world
    app = _to_decision(w, "1000000")
    assert app["experts"], "a tech application of this size goes to the expert committee"
    for opinion in app["experts"]:
        assert opinion["fee"] is not None and opinion["turnaround_hours"] is not None
        assert opinion["turnaround_hours"] >= 0
    app = o.decide(w.db, w.actor("a_approver"), app["id"], decision="approve", reason="ok")
    app = o.make_contract(w.db, w.actor("a_am"), app["id"])
    for condition in app["contract"]["conditions"]:
        o.meet_condition(w.db, w.actor("a_am"), condition["id"], evidence="done")
    d = o.request_disbursement(w.db, w.actor("a_am"), app["contract"]["id"])
    o.check_disbursement(w.db, w.actor("a_risk"), d["id"], approve=True, reason="ok")
    with w.db.read() as s:
        commands = [c for c in s.scalars(select(AuditEntry.command).order_by(AuditEntry.seq))]
    steps = [
        "origination.open",
        "origination.update_file",
        "origination.submit",
        "origination.review",
        "origination.draw_experts",
        "origination.expert_opinion",
        "origination.approve",
        "origination.contract",
        "origination.condition_met",
        "origination.request_disbursement",
        "origination.disburse",
    ]
    for step in steps:
        assert step in commands, step
    positions = [commands.index(step) for step in steps]
    assert positions == sorted(positions)  # in the order they happened
    assert audit.verify(w.db)[1] is None
