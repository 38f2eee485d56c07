"""The pure origination rules: exposure, delegated authority and routing, committee tally,
expert triggers and advice, payment mode, groups."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from techfin.services.origination_policy import (
    Level,
    Opinion,
    Vote,
    advice,
    authority,
    expert_triggers,
    exposure,
    group_of,
    load_policy,
    payment_mode,
    route,
    tally,
    tech_channel,
)

P = load_policy()
SUB = Level(3, "sub", "tech_subbranch", {})
BRANCH = Level(2, "branch", "branch", {"exposure_yuan": "20000000"})
HEAD = Level(1, "head", "head_office", {})


def test_policy_records_version_and_source():
    assert P.version.startswith("approval-policy") and "unconfirmed" in P.source


def test_exposure_deducts_only_low_risk_collateral_with_haircut():
    items = [
        {"kind": "cash_deposit", "value": "300000"},
        {"kind": "government_bond", "value": "200000"},  # 95 %
        {"kind": "ip", "appraised_value": "9000000"},
    ]
    assert exposure(Decimal("1000000"), items, P) == Decimal("510000.00")
    assert exposure(Decimal("100"), [{"kind": "cash_deposit", "value": "500"}], P) == 0


@given(
    st.decimals(min_value=1, max_value=10**9, places=2),
    st.lists(st.decimals(min_value=0, max_value=10**9, places=2), max_size=4),
)
def test_exposure_is_between_zero_and_the_amount(amount, deposits):
    e = exposure(amount, [{"kind": "cash_deposit", "value": d} for d in deposits], P)
    assert 0 <= e <= amount


def test_authority_by_kind_grade_and_product():
    assert authority(SUB, "T2", "ip_pledge_loan", P) == Decimal("5000000.00")
    assert authority(SUB, "T7", "ip_pledge_loan", P) == Decimal("2500000.00")
    assert authority(SUB, "T2", "credit_loan", P) == Decimal("4000000.00")
    assert authority(SUB, "T8", "ip_pledge_loan", P) == 0
    assert authority(SUB, None, "ip_pledge_loan", P) == Decimal("2500000.00")  # rating pending
    assert authority(BRANCH, "T2", "ip_pledge_loan", P) == Decimal("20000000.00")


def test_route_climbs_to_the_first_level_with_enough_authority():
    levels = [SUB, BRANCH, HEAD]
    r = route(Decimal("4000000"), levels, "T2", "ip_pledge_loan", P)
    assert r["branch_id"] == 3 and not r["escalated"]
    r = route(Decimal("6000000"), levels, "T2", "ip_pledge_loan", P)
    assert r["branch_id"] == 2 and r["escalated"]
    r = route(Decimal("150000000"), levels, "T2", "ip_pledge_loan", P)
    assert r["decider"] == "committee"
    r = route(Decimal("1"), levels, "T9", "ip_pledge_loan", P)  # no delegated authority
    assert r["decider"] == "committee"


@given(
    st.decimals(min_value=1, max_value=10**9, places=2), st.sampled_from([None, "T1", "T5", "T7"])
)
def test_a_larger_exposure_never_routes_lower(amount, grade):
    levels = [SUB, BRANCH, HEAD]
    order = {3: 0, 2: 1, 1: 2, None: 3}
    a = route(amount, levels, grade, "ip_pledge_loan", P)
    b = route(amount * 2, levels, grade, "ip_pledge_loan", P)
    assert order[b["branch_id"]] >= order[a["branch_id"]]


def test_committee_needs_quorum_and_chair_and_the_chair_vetoes():
    chair_yes = Vote(1, True, True)
    assert tally([chair_yes], P)[0] == "pending"  # never alone
    assert tally([chair_yes, Vote(2, True, False)], P)[0] == "pending"
    assert tally([Vote(2, True, False), Vote(3, True, False), Vote(4, True, False)], P)[0] == (
        "pending"  # no chair yet
    )
    assert tally([chair_yes, Vote(2, True, False), Vote(3, False, False)], P)[0] == "approved"
    assert tally([chair_yes, Vote(2, False, False), Vote(3, False, False)], P)[0] == "rejected"
    assert tally([Vote(1, False, True)], P) == ("rejected", "the chair vetoed")
    # 2 of 4 is not a majority
    four = [chair_yes, Vote(2, True, False), Vote(3, False, False), Vote(4, False, False)]
    assert tally(four, P)[0] == "rejected"


@given(st.lists(st.booleans(), min_size=0, max_size=8))
def test_the_chair_alone_never_approves(others):
    votes = [Vote(1, True, True)] + [Vote(i + 2, v, False) for i, v in enumerate(others)]
    outcome, _ = tally(votes, P)
    if outcome == "approved":
        assert len(votes) >= P.committee_quorum
        assert sum(v.approve for v in votes) * 2 > len(votes)


def test_expert_triggers_and_advice_with_dissent():
    assert expert_triggers(Decimal("1000000"), "T3", False, P) == []
    assert len(expert_triggers(Decimal("10000000"), "T6", True, P)) == 3
    a = advice(
        [Opinion("a", 80, True, "yes"), Opinion("b", 70, True, "ok"), Opinion("c", 30, False, "no")]
    )
    assert a["recommendation"] == "support" and a["mean_score"] == "60.0"
    assert a["dissent"] == [{"expert": "c", "opinion": "no", "score": 30}]


def test_payment_mode_threshold_and_groups():
    assert payment_mode(Decimal("10000000"), P) == "self"
    assert payment_mode(Decimal("10000000.01"), P) == "entrusted"
    assert group_of(1, [(2, 1), (2, 3), (4, 5)]) == {1, 2, 3}
    assert group_of(9, []) == {9}


def test_tech_channel_by_granted_title_or_by_rating():
    """A valid granted tech title routes to the tech channel; without one, a tech-flow grade at
    least as good as the policy's (T6) does; otherwise the ordinary channel."""
    assert tech_channel(["hnte"], None, P) == (True, "granted title hnte")
    assert tech_channel([], "T6", P)[0] is True and "grade T6" in tech_channel([], "T6", P)[1]
    assert tech_channel([], "T2", P)[0] is True
    assert tech_channel([], "T7", P) == (
        False,
        "no granted tech title and no tech grade good enough",
    )
    assert tech_channel([], None, P)[0] is False
    assert tech_channel(["some_other_title"], "T9", P)[0] is False
