"""Agency library, conflicts, rotation, internal-valuation threshold and maker-checker."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from ipp_world import P_OK, RELIEF_INPUTS, accepted_valuation

from techfin.services import experts, ip_valuation
from techfin.services.context import Actor
from techfin.services.errors import Forbidden, NotFound, ValidationFailed

ON = dt.date(2026, 11, 2)


def _order(world, user="a_am", mode="agency", agency="AG1", exposure="3000000"):
    return ip_valuation.order_valuation(
        world.db,
        world.actor(user),
        patent=P_OK,
        exposure=Decimal(exposure),
        mode=mode,
        agency_id=world.agency_ids[agency] if mode == "agency" else None,
        field="software",
        on=ON,
    )


def _report_is_computed_by_the_domain_and_recorded_with_method_and_inputs(world):
    v = _order(world)
    assert v["status"] == "ordered" and len(v["expert_ids"]) == 2
    done = ip_valuation.submit_report(
        world.db,
        world.actor("a_am"),
        v["id"],
        method="relief_from_royalty",
        inputs=RELIEF_INPUTS,
        valued_on=ON,
    )
    # Hand-worked: Σ revenue × 5 % × 75 % ÷ 1.12^t for t = 1..5
    # = 150000/1.12 + 165000/1.12² + 180000/1.12³ + 195000/1.12⁴ + 210000/1.12⁵ = 636,671.67
    assert done["value"] == "636671.67"
    assert done["method"] == "relief_from_royalty"
    assert done["inputs"]["royalty_rate"] == "0.05"
    assert len(done["result"]["years"]) == 5 and done["result"]["sensitivity"]


def _income_forecast_cut_to_remaining_legal_life(world):
    v = _order(world)
    long_forecast = {**RELIEF_INPUTS, "revenues": ["1000000"] * 12}
    done = ip_valuation.submit_report(
        world.db,
        world.actor("a_am"),
        v["id"],
        method="relief_from_royalty",
        inputs=long_forecast,
        valued_on=ON,
    )
    # 8.35 years left on 2026-11-02: nine revenue years, the last one 35 % of a year
    assert len(done["result"]["years"]) == 9
    assert done["result"]["platform_notes"]


def _maker_cannot_accept_and_checker_can(world):
    v = _order(world)
    am = world.actor("a_am")
    ip_valuation.submit_report(
        world.db,
        am,
        v["id"],
        method="cost_approach",
        inputs={"replacement_cost": "2000000", "functional": "0.2"},
        valued_on=ON,
    )
    rm_maker = world.actor("a_rm")
    v2 = _order(world, user="a_rm")
    ip_valuation.submit_report(
        world.db,
        rm_maker,
        v2["id"],
        method="cost_approach",
        inputs={"replacement_cost": "2000000"},
        valued_on=ON,
    )
    with pytest.raises(Forbidden, match="maker-checker"):
        ip_valuation.decide_valuation(world.db, rm_maker, v2["id"], accept=True, reason="ok")
    with pytest.raises(Forbidden):  # an account manager is no checker
        ip_valuation.decide_valuation(world.db, am, v["id"], accept=True, reason="ok")
    ok = ip_valuation.decide_valuation(world.db, rm_maker, v["id"], accept=True, reason="ok")
    assert ok["status"] == "accepted" and ok["value"] == "1600000.00"


def _internal_valuation_only_below_the_policy_amount(world):
    small = _order(world, mode="internal", exposure="4999999.99")
    assert small["mode"] == "internal" and small["agency_id"] is None
    with pytest.raises(ValidationFailed, match="internal valuation is allowed below"):
        _order(world, mode="internal", exposure="5000000")


def _conflicted_agency_cannot_be_assigned(world):
    ip_valuation.declare_agency_conflict(
        world.db,
        Actor.system("test"),
        agency_id=world.agency_ids["AG1"],
        enterprise_id=world.enterprise_id,
        reason="audits the pledgor",
    )
    with pytest.raises(ValidationFailed, match="conflict of interest"):
        _order(world)
    assert _order(world, agency="AG2")["agency_id"] == world.agency_ids["AG2"]


def _conflicted_experts_are_not_drawn(world):
    system = Actor.system("test")
    ids = [
        x.id
        for x in experts.eligible(
            world.db,
            kind="ip",
            field="software",
            enterprise_id=world.enterprise_id,
            institution_id=None,
        )
    ]
    experts.declare_conflict(
        world.db, system, expert_id=ids[0], reason="shareholder", enterprise_id=world.enterprise_id
    )
    v = _order(world)
    assert ids[0] not in v["expert_ids"]
    experts.declare_conflict(
        world.db, system, expert_id=ids[1], reason="adviser", enterprise_id=world.enterprise_id
    )
    with pytest.raises(ValidationFailed, match="unconflicted"):
        _order(world)


def _rotation_limits_consecutive_valuations_by_one_agency(world):
    for _ in range(3):
        accepted_valuation(world, P_OK, ON)
    with pytest.raises(ValidationFailed, match="rotation"):
        _order(world)
    assert _order(world, agency="AG2")["status"] == "ordered"


def _agency_user_records_its_report_but_other_bank_sees_nothing(world):
    v = _order(world)
    agency_user = world.actor("ag1_user")
    done = ip_valuation.submit_report(
        world.db,
        agency_user,
        v["id"],
        method="market_approach",
        inputs={"comparables": ["1000000", "1200000"], "adjustments": ["1", "0.9"]},
        valued_on=ON,
    )
    assert done["value"] == "1040000.00"
    with pytest.raises(NotFound):
        ip_valuation.valuation_detail(world.db, world.actor("b_am"), v["id"])
    with pytest.raises(ValidationFailed, match="decimal strings"):
        ip_valuation.submit_report(
            world.db,
            agency_user,
            _order(world)["id"],
            method="cost_approach",
            inputs={"replacement_cost": 1000.5},
            valued_on=ON,
        )


def _library_lists_accuracy(world):
    listed = ip_valuation.list_agencies(world.db, world.actor("a_am"))
    assert [a["institution_code"] for a in listed] == ["AG1", "AG2"]
    assert listed[0]["accuracy"] == {"outcomes": 0, "mean_abs_error": None}


# One database world per test keeps the suite fast on PostgreSQL; scenarios run in an order
# where none disturbs the next (conflicts and rotation come last).


def test_reports_maker_checker_and_internal_threshold(world):
    _report_is_computed_by_the_domain_and_recorded_with_method_and_inputs(world)
    _income_forecast_cut_to_remaining_legal_life(world)
    _maker_cannot_accept_and_checker_can(world)
    _internal_valuation_only_below_the_policy_amount(world)
    _agency_user_records_its_report_but_other_bank_sees_nothing(world)
    _library_lists_accuracy(world)


def test_rotation_and_conflicted_agencies(world):
    _rotation_limits_consecutive_valuations_by_one_agency(world)
    _conflicted_agency_cannot_be_assigned(world)


def test_conflicted_experts_are_not_drawn(world):
    _conflicted_experts_are_not_drawn(world)
