"""The levers the rating page / API show for a grade are the levers credit applies (decision
0608): one test per lever, each over all ten grades. `rating.policy_levers` is what the API
(`/api/rating/grades/{grade}/policy`) and the rating page show with every rating."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal as D

import pytest

from techfin.credit.grade_policy import GRADES
from techfin.credit.pricing import FloatingRate, price_loan
from techfin.credit.products import EnterpriseProfile, check_product, load_catalogue
from techfin.money import Rounding, quantize
from techfin.services import rating
from techfin.services.origination_policy import Level, authority, load_policy, route

# Meets every non-grade condition of every product (titles, size, years, features).
PROFILE = EnterpriseProfile(
    titles=frozenset({"hnte", "srdi"}),
    grade="T1",
    size="medium",
    years_operating=8,
    features=frozenset(
        {
            "pledgeable_ip",
            "pledgeable_policy",
            "core_enterprise_receivables",
            "high_tech_manufacturing",
            "external_equity_round",
            "recognised_talent",
            "acquisition_target",
        }
    ),
)
BRANCH = Level(None, "分行", "branch", {})


def _grade_refused(reasons: tuple[str, ...]) -> bool:
    return any(r.startswith(("grade ", "needs a tech-flow grade")) for r in reasons)


def test_rating_grades_are_credits_grades() -> None:
    assert tuple(rating.grades()) == GRADES


@pytest.mark.parametrize("grade", GRADES)
def test_pricing_adjustment_shown_is_what_pricing_applies(grade: str) -> None:
    shown = rating.policy_levers(grade)["pricing_adjustment_bp"]
    quote = price_loan(
        amount=D(1_000_000),
        term_months=12,
        rate=FloatingRate(spread_bp=D(0)),
        start=dt.date(2025, 6, 1),
        pd=D("0.01"),
        lgd=D("0.45"),
        grade=grade,
    )
    assert quote.grade_adjustment == D(shown) / D(10_000)
    assert quote.to_dict()["grade_policy"] == rating.policy_levers(grade)["source"]


@pytest.mark.parametrize("grade", GRADES)
def test_eligible_products_shown_are_what_eligibility_applies(grade: str) -> None:
    shown = rating.policy_levers(grade)["eligible_products"]
    profile = dataclasses.replace(PROFILE, grade=grade)
    served = [
        p.code
        for p in load_catalogue().products
        if not _grade_refused(check_product(p, profile).reasons)
    ]
    assert sorted(served) == sorted(shown)
    names = {p["code"]: p["name_zh"] for p in rating.policy_levers(grade)["products"]}
    assert list(names) == shown and all(names.values())


@pytest.mark.parametrize("grade", GRADES)
def test_limit_multiple_shown_is_what_the_product_check_applies(grade: str) -> None:
    multiple = D(rating.policy_levers(grade)["limit_multiple"])
    profile = dataclasses.replace(PROFILE, grade=grade)
    for code in rating.policy_levers(grade)["eligible_products"]:
        product = next(p for p in load_catalogue().products if p.code == code)
        if product.amount_share_basis is not None:
            continue  # capped by its basis too; the grade cap is checked on the others
        cap = quantize(product.amount_max * multiple, 2, Rounding.DOWN)
        at_cap = check_product(product, dataclasses.replace(profile, requested_amount=cap))
        assert at_cap.max_amount == cap and at_cap.eligible, (code, at_cap.reasons)
        above = check_product(product, dataclasses.replace(profile, requested_amount=cap + 1))
        assert not above.eligible
        assert any(r.startswith("amount ") and "above the maximum" in r for r in above.reasons)


@pytest.mark.parametrize("grade", GRADES)
def test_authority_factor_shown_is_what_origination_applies(grade: str) -> None:
    factor = D(rating.policy_levers(grade)["authority_factor"])
    # a product with no product factor, a branch with no limits of its own: 20m × grade factor
    assert authority(BRANCH, grade, "ip_pledge_loan", load_policy()) == quantize(
        D(20_000_000) * factor, 2
    )


@pytest.mark.parametrize("grade", GRADES)
def test_approval_route_shown_is_how_origination_routes(grade: str) -> None:
    levers = rating.policy_levers(grade)
    decided = route(D(100_000), [BRANCH], grade, "ip_pledge_loan", load_policy())["decider"]
    if levers["approval_route"] == "delegated":
        assert decided == "approver"
    elif levers["approval_route"] == "committee":
        assert decided == "committee"
    else:  # decline: no product a firm of this grade could apply for
        assert levers["approval_route"] == "decline" and not levers["eligible_products"]


def test_grade_cap_refusal_names_the_grade() -> None:
    profile = dataclasses.replace(PROFILE, grade="T7", requested_amount=D(26_000_000))
    product = next(p for p in load_catalogue().products if p.code == "ip_pledge_loan")
    check = check_product(product, profile)
    assert not check.eligible
    assert (
        "amount 26,000,000.00 is above the maximum 18,000,000.00 "
        "(grade T7: 0.60 × the product's maximum 30,000,000.00)"
    ) in check.reasons
