"""Pledge pools: registration workflow with §11 refusals, LTV, day-end alerts and the queue."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from ipp_world import P_GRACE, P_INVAL, P_OK, P_UTIL, accepted_valuation
from sqlalchemy import select

from techfin.services import eod, ip_pledges, ip_registry
from techfin.services.context import Actor
from techfin.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from techfin.store.tables import AuditEntry
from techfin.store.tables_ip import IpAlert

SIGNED = dt.date(2026, 11, 2)


def _pledge(
    world, patents, *, user="a_am", no="ZY-1", matures="2028-11-01", balance="300000", consents=None
):
    return ip_pledges.create_pledge(
        world.db,
        world.actor(user),
        contract_no=no,
        pledgor_name="北京甲科技有限公司",
        pledgor_enterprise_id=world.enterprise_id,
        patents=patents,
        debts=[
            {
                "kind": "loan",
                "reference": f"LN-{no}",
                "balance": balance,
                "starts_on": "2026-11-02",
                "matures_on": matures,
            },
        ],
        signed_on=SIGNED,
        consenting_co_owners=consents,
    )


def _registered(world, patents=(P_OK,), no="ZY-1", balance="300000"):
    p = _pledge(world, list(patents), no=no, balance=balance)
    am = world.actor("a_am")
    applied = ip_pledges.apply_registration(world.db, am, p["id"], applied_on=SIGNED)
    assert applied["status"] == "applied", applied["refusals"]
    return ip_pledges.record_registration(
        world.db, am, p["id"], registration_no=f"Y2026-{no}", registered_on=dt.date(2026, 11, 9)
    )


def _refusals_for_the_section_11_reasons(world):
    am = world.actor("a_am")
    # fees in grace on the application date
    p = _pledge(world, [P_GRACE], no="G")
    out = ip_pledges.apply_registration(world.db, am, p["id"], applied_on=dt.date(2025, 6, 15))
    assert out["status"] == "refused"
    assert {r["reason"] for r in out["refusals"]} == {"fees_unpaid_or_in_grace"}
    # invalidation started, co-owner consent missing
    p = _pledge(world, [P_INVAL], no="I")
    out = ip_pledges.apply_registration(world.db, am, p["id"], applied_on=SIGNED)
    assert {r["reason"] for r in out["refusals"]} == {
        "invalidation_started",
        "co_owner_consent_missing",
    }
    # debt past expiry (utility model's term ends 2026-04-01: not in force either)
    p = _pledge(world, [P_OK], no="E", matures="2035-03-10")
    out = ip_pledges.apply_registration(world.db, am, p["id"], applied_on=SIGNED)
    assert {r["reason"] for r in out["refusals"]} == {"debt_past_expiry"}
    p = _pledge(world, [P_UTIL], no="U")
    out = ip_pledges.apply_registration(world.db, am, p["id"], applied_on=SIGNED)
    assert "not_in_force" in {r["reason"] for r in out["refusals"]}


def _already_pledged_and_preservation_are_refused(world):
    _registered(world)
    am = world.actor("a_am")
    p = _pledge(world, [P_OK], no="TWO")
    out = ip_pledges.apply_registration(world.db, am, p["id"], applied_on=dt.date(2026, 11, 20))
    assert {r["reason"] for r in out["refusals"]} == {"already_pledged"}
    ip_registry.push_legal_events(
        world.db,
        Actor.system("t"),
        [
            {
                "number": P_GRACE,
                "kind": "restored",
                "on": "2025-12-01",
                "fee_year": 7,
                "as_of": "2026-10-31",
            },
            {
                "number": P_GRACE,
                "kind": "fee_paid",
                "on": "2026-04-20",
                "fee_year": 8,
                "as_of": "2026-10-31",
            },
            {
                "number": P_GRACE,
                "kind": "preservation_ordered",
                "on": "2026-10-01",
                "reference": "(2026)京01执保1号",
                "as_of": "2026-10-31",
            },
        ],
        today=dt.date(2026, 11, 27),
    )
    p = _pledge(world, [P_GRACE], no="PRES")
    out = ip_pledges.apply_registration(world.db, am, p["id"], applied_on=dt.date(2026, 11, 20))
    assert {r["reason"] for r in out["refusals"]} == {"preservation_order"}


def _not_effective_collateral_until_registered_and_ltv(world):
    accepted_valuation(world, P_OK, dt.date(2026, 11, 1))  # 636,671.67
    am = world.actor("a_am")
    p = _pledge(world, [P_OK], balance="120000")
    draft = ip_pledges.pledge_detail(world.db, am, p["id"], dt.date(2026, 11, 10))
    assert draft["pool_position"]["appraised_value"] == "0"
    assert draft["pool_position"]["breach"] is True
    ip_pledges.apply_registration(world.db, am, p["id"], applied_on=SIGNED)
    ip_pledges.record_registration(
        world.db, am, p["id"], registration_no="Y2026-1", registered_on=dt.date(2026, 11, 9)
    )
    live = ip_pledges.pledge_detail(world.db, am, p["id"], dt.date(2026, 11, 10))
    pos = live["pool_position"]
    assert pos["appraised_value"] == "636671.67"
    assert pos["collateral_value"] == "159167.91"  # × 25 %, rounded down
    assert pos["ltv"] == "0.1885"  # 120000 / 636671.67
    assert pos["breach"] is False
    assert live["debts"][0]["position"]["ltv"] == "0.1885"
    loan = ip_pledges.loan_position(world.db, am, "LN-ZY-1", dt.date(2026, 11, 10))
    assert loan["position"]["ltv"] == "0.1885"
    view = ip_registry.patent_view(world.db, am, P_OK, dt.date(2026, 11, 10))
    assert view.status["pledged"] is True and view.pledges[0]["status"] == "registered"
    return p


def _bank_b_cannot_see_bank_a_pledges_or_alerts(world):
    p = _registered(world)
    ip_pledges.run_monitoring(world.db, world.actor("a_rm"), dt.date(2026, 11, 10))
    b_am, b_rm = world.actor("b_am"), world.actor("b_rm")
    with pytest.raises(NotFound):
        ip_pledges.pledge_detail(world.db, b_am, p["id"])
    assert ip_pledges.list_pledges(world.db, b_am) == []
    assert ip_pledges.alert_queue(world.db, b_rm) == []
    alert = ip_pledges.alert_queue(world.db, world.actor("a_rm"))[0]
    with pytest.raises(NotFound):
        ip_pledges.acknowledge_alert(world.db, b_rm, alert["id"])
    view = ip_registry.patent_view(world.db, b_am, P_OK, dt.date(2026, 11, 10))
    assert view.pledges == [] and view.valuations == []


def test_day_end_raises_alerts_once_with_policy_actions(world):
    system = Actor.system("t")
    p = _registered(world, balance="300000")
    eod.set_business_date(world.db, system, "BANKA", dt.date(2026, 11, 10))
    eod.run(world.db, system, dt.date(2026, 11, 10), "BANKA")
    rows = ip_pledges.alert_queue(world.db, world.actor("a_rm"))
    kinds = {a["kind"] for a in rows}
    # never valued: revaluation due at once; no value → LTV breach with repayment = balance
    assert kinds == {"revaluation_due", "ltv_breach"}
    breach = next(a for a in rows if a["kind"] == "ltv_breach")
    assert breach["amount"] == "300000.00"
    assert breach["actions"] == ["top_up_or_repay", "freeze_drawdowns"]
    assert breach["severity"] == "critical" and rows[0]["kind"] == "ltv_breach"
    again = ip_pledges.run_monitoring(world.db, world.actor("a_rm"), dt.date(2026, 11, 10))
    assert again["alerts_raised"] == 0
    # the next day the breach is still being worked: not raised again
    next_day = ip_pledges.run_monitoring(world.db, world.actor("a_rm"), dt.date(2026, 11, 11))
    assert next_day["alerts_raised"] == 0 and next_day["alerts_already_open"] == 2
    # an invalidation request and a transfer after the pledge raise their own alerts
    ip_registry.push_legal_events(
        world.db,
        system,
        [
            {
                "number": P_OK,
                "kind": "invalidation_requested",
                "on": "2026-11-12",
                "as_of": "2026-11-20",
            },
            {
                "number": P_OK,
                "kind": "transferred",
                "on": "2026-11-13",
                "owners": "丁公司",
                "as_of": "2026-11-20",
            },
        ],
        today=dt.date(2026, 11, 27),
    )
    out = ip_pledges.run_monitoring(world.db, world.actor("a_rm"), dt.date(2026, 11, 20))
    kinds = {a["kind"] for a in ip_pledges.alert_queue(world.db, world.actor("a_rm"))}
    assert {"invalidation", "transfer"} <= kinds
    assert out["alerts_raised"] >= 2
    with world.db.read() as s:
        assert all(a.pledge_id == p["id"] for a in s.scalars(select(IpAlert)))


def _alert_acknowledged_then_closed_with_reason_audited(world):
    rm = world.actor("a_rm")
    ip_pledges.run_monitoring(world.db, rm, dt.date(2026, 11, 10))
    alert = ip_pledges.alert_queue(world.db, rm, "open")[0]
    with pytest.raises(Forbidden):
        ip_pledges.acknowledge_alert(world.db, world.actor("a_am"), alert["id"])
    acked = ip_pledges.acknowledge_alert(world.db, rm, alert["id"], "looking")
    assert acked["status"] == "acknowledged"
    with pytest.raises(Conflict):
        ip_pledges.acknowledge_alert(world.db, rm, alert["id"])
    with pytest.raises(ValueError):
        ip_pledges.close_alert(world.db, rm, alert["id"], "  ")
    closed = ip_pledges.close_alert(world.db, rm, alert["id"], "pledgor topped up collateral")
    assert closed["status"] == "closed"
    assert closed["close_reason"] == "pledgor topped up collateral"
    with world.db.read() as s:
        entries = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.target == f"alert:{alert['id']}")
            .order_by(AuditEntry.seq)
        ).all()
        assert [(e.command, e.actor) for e in entries] == [
            ("ip.acknowledge_alert", "a_rm"),
            ("ip.close_alert", "a_rm"),
        ]
        assert entries[1].reason == "pledgor topped up collateral"


def _release_ends_the_pledge(world, p):
    am = world.actor("a_am")
    out = ip_pledges.release_pledge(
        world.db, am, p["id"], released_on=dt.date(2026, 11, 20), reason="loan repaid"
    )
    assert out["status"] == "released" and out["effective"] is False
    view = ip_registry.patent_view(world.db, am, P_OK, dt.date(2026, 11, 21))
    assert view.status["pledged"] is False
    with pytest.raises(Conflict):
        ip_pledges.release_pledge(
            world.db, am, p["id"], released_on=dt.date(2026, 11, 21), reason="again"
        )


def _balance_update_changes_ltv(world, p):
    out = ip_pledges.set_balance(
        world.db, world.actor("a_am"), p["id"], reference="LN-ZY-1", balance=Decimal("100000")
    )
    assert out["debts"][0]["balance"] == "100000.00"
    assert out["debts"][0]["position"]["ltv"] == "0.1571"  # 100000 / 636671.67


# One database world per test keeps the suite fast on PostgreSQL; the scenarios run in an
# order where none disturbs the next.


def test_registration_refused_for_the_section_11_reasons(world):
    _refusals_for_the_section_11_reasons(world)
    _already_pledged_and_preservation_are_refused(world)


def test_collateral_only_once_registered_ltv_balance_and_release(world):
    p = _not_effective_collateral_until_registered_and_ltv(world)
    _balance_update_changes_ltv(world, p)
    _release_ends_the_pledge(world, p)


def test_tenancy_and_the_audited_alert_queue(world):
    _bank_b_cannot_see_bank_a_pledges_or_alerts(world)
    _alert_acknowledged_then_closed_with_reason_audited(world)


def test_a_pool_secures_a_credit_line_too(world):
    """One pool securing a loan and a credit line: each debt gets its own position, and the
    credit line's is read by its reference like a loan's."""
    accepted_valuation(world, P_OK, dt.date(2026, 11, 1))  # 636,671.67 → collateral 159,167.91
    am = world.actor("a_am")
    p = ip_pledges.create_pledge(
        world.db,
        am,
        contract_no="ZY-CL",
        pledgor_name="北京甲科技有限公司",
        pledgor_enterprise_id=world.enterprise_id,
        patents=[P_OK],
        debts=[
            {
                "kind": "loan",
                "reference": "LN-CL-1",
                "balance": "60000",
                "starts_on": "2026-11-02",
                "matures_on": "2028-11-01",
            },
            {
                "kind": "credit_line",
                "reference": "CL-2026-7",
                "balance": "40000",
                "starts_on": "2026-11-02",
                "matures_on": "2027-11-01",
            },
        ],
        signed_on=SIGNED,
    )
    ip_pledges.apply_registration(world.db, am, p["id"], applied_on=SIGNED)
    ip_pledges.record_registration(
        world.db, am, p["id"], registration_no="Y2026-CL", registered_on=dt.date(2026, 11, 9)
    )
    detail = ip_pledges.pledge_detail(world.db, am, p["id"], dt.date(2026, 11, 10))
    assert {d["kind"] for d in detail["debts"]} == {"loan", "credit_line"}
    assert detail["pool_position"]["loan"] == "100000.00"
    line = ip_pledges.loan_position(world.db, am, "CL-2026-7", dt.date(2026, 11, 10))
    assert line["position"]["loan"] == "40000.00" and line["position"]["breach"] is False
    with pytest.raises(ValidationFailed):
        ip_pledges.create_pledge(
            world.db,
            am,
            contract_no="ZY-X",
            pledgor_name="x",
            patents=[P_OK],
            debts=[
                {
                    "kind": "overdraft",
                    "reference": "OD-1",
                    "balance": "1",
                    "starts_on": "2026-11-02",
                    "matures_on": "2027-11-01",
                }
            ],
            signed_on=SIGNED,
        )
