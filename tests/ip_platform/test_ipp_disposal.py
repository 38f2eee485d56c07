"""Disposal: auction floors from policy data, rounds, proceeds applied, recovery rate, accuracy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from ipp_world import P_OK, accepted_valuation

from techfin.services import ip_disposal, ip_pledges, ip_valuation
from techfin.services.errors import Conflict, ValidationFailed


def _registered(world):
    am = world.actor("a_am")
    p = ip_pledges.create_pledge(
        world.db,
        am,
        contract_no="D-1",
        pledgor_name="甲",
        patents=[P_OK],
        debts=[
            {
                "reference": "LN-D",
                "balance": "500000",
                "starts_on": "2026-11-02",
                "matures_on": "2028-11-01",
            }
        ],
        signed_on=dt.date(2026, 11, 2),
    )
    ip_pledges.apply_registration(world.db, am, p["id"], applied_on=dt.date(2026, 11, 2))
    ip_pledges.record_registration(
        world.db, am, p["id"], registration_no="Y-D", registered_on=dt.date(2026, 11, 9)
    )
    return p["id"]


def test_judicial_auction_floors_rounds_and_recovery(world):
    accepted_valuation(world, P_OK, dt.date(2026, 11, 1))  # agency AG1: 636,671.67
    pid = _registered(world)
    rm = world.actor("a_rm")
    d = ip_disposal.open_disposal(
        world.db,
        rm,
        pid,
        route="judicial_auction",
        exposure=Decimal("520000"),
        interest=Decimal("20000"),
        principal=Decimal("500000"),
    )
    # first reserve ≥ 70 % of 636,671.67 = 445,670.169 → 445,670.17; second ≤ 20 % lower
    assert [r["reserve"] for r in d["plan"]] == ["445670.17", "356536.14"]
    with pytest.raises(ValidationFailed, match="below"):
        ip_disposal.record_round(
            world.db,
            rm,
            d["id"],
            held_on=dt.date(2027, 1, 5),
            sold=False,
            reserve=Decimal("400000"),
        )
    ip_disposal.record_round(world.db, rm, d["id"], held_on=dt.date(2027, 1, 5), sold=False)
    with pytest.raises(ValidationFailed, match="below the reserve"):
        ip_disposal.record_round(
            world.db, rm, d["id"], held_on=dt.date(2027, 2, 5), sold=True, price=Decimal("300000")
        )
    ip_disposal.record_round(
        world.db, rm, d["id"], held_on=dt.date(2027, 2, 5), sold=True, price=Decimal("380000")
    )
    closed = ip_disposal.close_disposal(
        world.db,
        rm,
        d["id"],
        closed_on=dt.date(2027, 3, 1),
        costs=Decimal("18000"),
        idempotency_key="k1",
    )
    assert closed["status"] == "sold"
    # 380,000 → costs 18,000, interest 20,000, principal 342,000; shortfall 158,000
    assert closed["allocation"]["principal"] == "342000.00"
    assert closed["allocation"]["shortfall"] == "158000.00"
    # (380,000 − 18,000) ÷ 520,000 = 0.6962
    assert closed["recovery_rate"] == "0.6962"
    again = ip_disposal.close_disposal(
        world.db,
        rm,
        d["id"],
        closed_on=dt.date(2027, 3, 1),
        costs=Decimal("18000"),
        idempotency_key="k1",
    )
    assert again == closed
    with pytest.raises(Conflict):
        ip_disposal.close_disposal(
            world.db,
            rm,
            d["id"],
            closed_on=dt.date(2027, 3, 1),
            costs=Decimal("18000"),
            idempotency_key="other",
        )
    pledge = ip_pledges.pledge_detail(world.db, rm, pid, dt.date(2027, 3, 2))
    assert (
        pledge["status"] == "released" and pledge["release_reason"] == "disposed (judicial_auction)"
    )
    rates = ip_disposal.recovery_rates(world.db, rm)
    assert rates[0]["recovery_rate"] == "0.6962"
    ag1 = ip_valuation.list_agencies(world.db, rm)[0]
    # |380,000 − 636,671.67| ÷ 636,671.67 = 0.4031
    assert ag1["accuracy"] == {"outcomes": 1, "mean_abs_error": "0.4031"}


def test_unlawful_plan_refused_and_unsold_negotiation_recovers_nothing(world):
    pid = _registered(world)
    rm = world.actor("a_rm")
    with pytest.raises(ValidationFailed):
        ip_disposal.open_disposal(
            world.db,
            rm,
            pid,
            route="judicial_auction",
            exposure=Decimal("500000"),
            interest=Decimal("0"),
            principal=Decimal("500000"),
            valuation=Decimal("600000"),
            start_ratio=Decimal("0.6"),
        )
    d = ip_disposal.open_disposal(
        world.db,
        rm,
        pid,
        route="ip_exchange",
        exposure=Decimal("500000"),
        interest=Decimal("0"),
        principal=Decimal("500000"),
        valuation=Decimal("600000"),
    )
    ip_disposal.record_round(
        world.db, rm, d["id"], held_on=dt.date(2027, 1, 5), sold=False, price=Decimal("450000")
    )
    closed = ip_disposal.close_disposal(
        world.db, rm, d["id"], closed_on=dt.date(2027, 2, 1), costs=Decimal("5000")
    )
    assert closed["status"] == "unsold" and closed["recovery_rate"] == "0.0000"
    assert closed["allocation"]["shortfall"] == "505000.00"
