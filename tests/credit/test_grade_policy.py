"""The grade policy (credit/data/grade_policy.yaml): the one home of what a tech-flow grade means
for credit (decision 0608), checked against the catalogue and against the legacy keys it
replaced."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal as D
from importlib import resources

import pytest
import yaml

from techfin.credit.grade_policy import (
    GRADES,
    grade_levers,
    load_grade_policy,
    parse_grade_policy,
)
from techfin.credit.products import load_catalogue
from techfin.services.origination_policy import _check as check_approval_policy
from techfin.services.origination_policy import load_policy


def _raw() -> dict:
    text = (resources.files("techfin.credit") / "data" / "grade_policy.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def test_every_product_named_is_in_the_catalogue_and_every_product_is_served() -> None:
    codes = {p.code for p in load_catalogue().products}
    assert load_grade_policy().products() <= codes
    assert load_grade_policy().products() == codes  # a product served at no grade is refused


def test_is_versioned_and_marked_unconfirmed() -> None:
    policy = load_grade_policy()
    assert policy.version == "grade-policy-2026.1"
    assert "unconfirmed" in policy.source
    assert policy.effective_from == dt.date(2024, 1, 1)
    assert set(policy.grades) == set(GRADES)


def test_worst_grade_served_is_derived_and_unchanged() -> None:
    """The catalogue's `max_grade` is derived from the grade policy; the values are what
    products.yaml said before the move (eligibility did not change)."""
    before = {
        "credit_loan": "T6",
        "ip_pledge_loan": "T8",
        "policy_pledge_loan": "T8",
        "supply_chain_receivables_loan": "T8",
        "working_capital_loan": "T8",
        "high_tech_manufacturing_term_loan": "T6",
        "revolving_line": "T6",
        "equity_linked_loan": "T8",
        "talent_loan": None,
        "tech_ma_loan": "T5",
    }
    assert {p.code: p.max_grade for p in load_catalogue().products} == before


def test_values_credit_applied_before_the_move() -> None:
    """pricing_policy's grade_adjustment_bp and approval_policy's grade_factor, as they were."""
    bp = [-30, -20, -10, 0, 10, 25, 45, 70, 100, 150]
    factor = ["1", "1", "1", "1", "1", "0.5", "0.5", "0", "0", "0"]
    assert [grade_levers(g).pricing_adjustment_bp for g in GRADES] == bp
    assert [grade_levers(g).authority_factor for g in GRADES] == [D(f) for f in factor]
    assert grade_levers(None).authority_factor == D("0.5")
    assert grade_levers(None).eligible_products == ("talent_loan",)


def test_approval_route_is_derived() -> None:
    routes = [grade_levers(g).approval_route for g in GRADES]
    assert routes == ["delegated"] * 7 + ["committee"] * 3
    raw = _raw()
    raw["grades"]["T10"]["eligible_products"] = []
    raw["ungraded"]["eligible_products"] = []
    assert parse_grade_policy(raw).levers("T10").approval_route == "decline"


def test_limit_multiples_never_raise_a_products_maximum() -> None:
    multiples = [grade_levers(g).limit_multiple for g in GRADES]
    assert all(D(0) < m <= 1 for m in multiples)
    assert multiples == sorted(multiples, reverse=True)


def test_unknown_grade_is_refused() -> None:
    with pytest.raises(ValueError, match="grade"):
        grade_levers("T11")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda r: r["grades"].pop("T10"), "exactly T1"),
        (lambda r: r["grades"]["T3"]["eligible_products"].remove("tech_ma_loan"), "not T3"),
        (
            lambda r: [r["grades"][g]["eligible_products"].clear() for g in ("T9", "T10")],
            "needs no grade but is not served at T9",
        ),
        (lambda r: r["grades"]["T2"].update(limit_multiple="1.5"), "limit_multiple"),
        (lambda r: r["grades"]["T2"].update(limit_multiple="0"), "limit_multiple"),
        (lambda r: r["grades"]["T2"].update(pricing_adjustment_bp=1.5), "whole number"),
        (lambda r: r["grades"]["T2"].update(authority_factor="-1"), "negative"),
        (lambda r: r["grades"]["T2"].update(approval_route="branch"), "needs exactly"),
        (lambda r: r["grades"]["T1"]["eligible_products"].append("talent_loan"), "twice"),
    ],
)
def test_bad_policies_are_refused(edit, message: str) -> None:
    raw = copy.deepcopy(_raw())
    edit(raw)
    with pytest.raises(ValueError, match=message):
        parse_grade_policy(raw)


def test_the_old_homes_no_longer_carry_grade_levers() -> None:
    """One home: the keys the grade policy replaced are gone and refused if they come back."""
    pricing = (resources.files("techfin.credit") / "data" / "pricing_policy.yaml").read_text()
    assert "grade_adjustment_bp:" not in pricing
    products = (resources.files("techfin.credit") / "data" / "products.yaml").read_text()
    assert "max_grade:" not in products
    raw = copy.deepcopy(dict(load_policy().raw))
    assert "grade_factor" not in raw["delegated_authority"]
    raw["delegated_authority"] = {**raw["delegated_authority"], "grade_factor": {"T8": "0"}}
    with pytest.raises(ValueError, match="grade_policy"):
        check_approval_policy(raw)
