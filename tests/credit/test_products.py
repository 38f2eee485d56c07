"""Product catalogue as data, the product check with reasons, and loan tags."""

from __future__ import annotations

from decimal import Decimal

import pytest

from techfin.credit.products import (
    EnterpriseProfile,
    EquityLink,
    ProductCheck,
    eligible_products,
    get_product,
    load_catalogue,
    loan_tags,
)

D = Decimal

TEN = {
    "credit_loan",
    "ip_pledge_loan",
    "policy_pledge_loan",
    "supply_chain_receivables_loan",
    "working_capital_loan",
    "high_tech_manufacturing_term_loan",
    "revolving_line",
    "equity_linked_loan",
    "talent_loan",
    "tech_ma_loan",
}


def _by_code(profile: EnterpriseProfile) -> dict[str, ProductCheck]:
    return {c.code: c for c in eligible_products(profile)}


def test_catalogue_has_the_ten_products_with_all_fields() -> None:
    cat = load_catalogue()
    assert {p.code for p in cat.products} == TEN
    for p in cat.products:
        assert p.name_zh and p.name_en
        assert p.amount_min < p.amount_max
        assert 1 <= p.term_min_months <= p.term_max_months
        assert p.methods and p.interest_bases and p.guarantee_types
        assert p.pricing["rule"] == "lpr_plus_spread"
    ma = get_product("tech_ma_loan")
    assert ma.amount_share == D("0.80") and ma.amount_share_basis == "acquisition_price"
    assert ma.term_max_months == 120
    assert get_product("credit_loan").guarantee_types == (frozenset({"credit"}),)
    assert get_product("equity_linked_loan").equity_link_required
    with pytest.raises(ValueError, match="product"):
        get_product("mortgage")
    # collateral requirements and risk sharing are data of each product
    assert get_product("credit_loan").collateral == ()
    assert get_product("ip_pledge_loan").collateral  # the pledged IP, in words
    assert get_product("policy_pledge_loan").collateral
    assert get_product("ip_pledge_loan").risk_sharing and get_product("credit_loan").risk_sharing
    assert not get_product("tech_ma_loan").risk_sharing


STRONG = EnterpriseProfile(
    titles=frozenset({"hnte", "srdi"}),
    grade="T3",
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


def test_strong_profile_qualifies_for_everything() -> None:
    checks = eligible_products(STRONG)
    assert len(checks) == 10
    assert all(c.eligible for c in checks), [(c.code, c.reasons) for c in checks if c.reasons]


def test_reasons_for_a_weak_profile() -> None:
    weak = EnterpriseProfile(titles=frozenset(), grade="T9", size="large", years_operating=0)
    checks = _by_code(weak)
    credit = checks["credit_loan"]
    assert not credit.eligible
    reasons = " | ".join(credit.reasons)
    assert "needs one of the titles" in reasons
    assert "grade T9 is worse than the product's T6" in reasons
    assert "size large is not served" in reasons
    assert "needs at least 1" in reasons
    assert "pledge" in " ".join(checks["ip_pledge_loan"].reasons)


@pytest.mark.parametrize(("grade", "ok"), [("T5", True), ("T6", True), ("T7", False)])
def test_grade_edge(grade: str, ok: bool) -> None:
    p = EnterpriseProfile(
        titles=frozenset({"tech_sme"}), grade=grade, size="small", years_operating=3
    )
    assert _by_code(p)["credit_loan"].eligible is ok


def test_missing_grade_is_a_reason() -> None:
    p = EnterpriseProfile(titles=frozenset({"tech_sme"}), size="small", years_operating=3)
    c = _by_code(p)["credit_loan"]
    assert not c.eligible
    assert "needs a tech-flow grade" in c.reasons[0]
    assert _by_code(p)["talent_loan"].reasons == (
        "needs a founder or key researcher on a recognised talent programme",
    )


@pytest.mark.parametrize(
    ("amount", "ok"),
    [(D("79999999.99"), True), (D("80000000.00"), True), (D("80000000.01"), False)],
)
def test_ma_loan_capped_at_80_percent_of_price(amount: Decimal, ok: bool) -> None:
    from dataclasses import replace

    p = replace(STRONG, acquisition_price=D(100_000_000), requested_amount=amount)
    c = _by_code(p)["tech_ma_loan"]
    assert c.max_amount == D("80000000.00")
    assert c.eligible is ok


@pytest.mark.parametrize(("term", "ok"), [(119, True), (120, True), (121, False), (11, False)])
def test_ma_term_edge(term: int, ok: bool) -> None:
    from dataclasses import replace

    c = _by_code(replace(STRONG, requested_term_months=term))["tech_ma_loan"]
    assert c.eligible is ok


@pytest.mark.parametrize(
    ("amount", "ok"),
    [(D("99999.99"), False), (D(100000), True), (D(10_000_000), True), (D("10000000.01"), False)],
)
def test_credit_loan_amount_edges(amount: Decimal, ok: bool) -> None:
    from dataclasses import replace

    assert _by_code(replace(STRONG, requested_amount=amount))["credit_loan"].eligible is ok


def test_guarantee_type_must_match_a_combination() -> None:
    from dataclasses import replace

    checks = _by_code(replace(STRONG, offered_guarantee=frozenset({"pledge", "guarantee"})))
    assert checks["ip_pledge_loan"].eligible
    assert not checks["credit_loan"].eligible
    assert "accepts credit" in checks["credit_loan"].reasons[0]


def test_equity_link_terms_recorded() -> None:
    from dataclasses import replace

    link = EquityLink("Example Capital", "Series A", D(20_000_000), "warrant", "")
    c = _by_code(replace(STRONG, equity_link=link, equity_round_amount=D(20_000_000)))[
        "equity_linked_loan"
    ]
    assert not c.eligible
    assert "option / warrant terms" in c.reasons[0]
    assert c.max_amount == D("10000000.00")
    link2 = EquityLink("Example Capital", "Series A", D(20_000_000), "warrant", "1 % at A price")
    assert _by_code(replace(STRONG, equity_link=link2))["equity_linked_loan"].eligible


def test_loss_making_blocks_ma_only_where_policy_says() -> None:
    from dataclasses import replace

    checks = _by_code(replace(STRONG, loss_making=True))
    assert not checks["tech_ma_loan"].eligible
    assert checks["credit_loan"].eligible


@pytest.mark.parametrize(
    "bad",
    [
        {"titles": frozenset({"unicorn"})},
        {"features": frozenset({"rich"})},
        {"size": "huge"},
        {"grade": "A"},
        {"offered_guarantee": frozenset({"hope"})},
    ],
)
def test_bad_profile(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        eligible_products(EnterpriseProfile(**bad))  # type: ignore[arg-type]


def test_loan_tags_first_loan_from_register() -> None:
    t = loan_tags(prior_bank_loan=False, guarantee_types={"credit"}, term_months=12)
    assert t == {"first_loan", "credit_loan"}
    t = loan_tags(prior_bank_loan=True, guarantee_types={"pledge"}, term_months=13)
    assert t == {"medium_long_term"}
    t = loan_tags(
        prior_bank_loan=True,
        guarantee_types={"credit"},
        term_months=12,
        renewal_without_repayment=True,
        tech_borrower=True,
    )
    assert t == {"credit_loan", "renewal", "tech_loan"}
    with pytest.raises(ValueError, match="guarantee_types"):
        loan_tags(prior_bank_loan=True, guarantee_types=set(), term_months=12)


def test_penalty_markup_is_product_data_within_the_rules() -> None:
    from techfin.credit.products import _markup
    from techfin.services.errors import Conflict
    from techfin.services.servicing import penalty_markup

    assert get_product("talent_loan").penalty_markup == D("0.30")
    assert get_product("ip_pledge_loan").penalty_markup == D("0.50")
    assert penalty_markup("talent_loan") == D("0.30")  # servicing reads it from the product
    with pytest.raises(Conflict) as err:  # a loan always comes from the catalogue (1109)
        penalty_markup("no_such_product")
    assert err.value.field == "product_code"
    with pytest.raises(ValueError, match=r"between 0\.30 and 0\.50"):
        _markup({"code": "x", "penalty_markup": "0.60"})


def test_allocation_order_is_product_data_principal_last() -> None:
    from techfin.credit.accrual import DEFAULT_ALLOCATION_ORDER
    from techfin.credit.products import _allocation_order
    from techfin.services.errors import Conflict
    from techfin.services.servicing import allocation_order

    for p in load_catalogue().products:
        assert sorted(p.allocation_order) == sorted(DEFAULT_ALLOCATION_ORDER), p.code
        assert p.allocation_order[-1] == "principal", p.code
    assert get_product("credit_loan").allocation_order == DEFAULT_ALLOCATION_ORDER
    # the talent loan's contract agrees ordinary interest before penalty and compound interest
    talent = ("costs", "interest", "penalty_interest", "compound_interest", "principal")
    assert get_product("talent_loan").allocation_order == talent
    assert allocation_order("talent_loan") == talent  # servicing reads it from the product
    with pytest.raises(Conflict):
        allocation_order("no_such_product")
    assert _allocation_order({"code": "x"}) == DEFAULT_ALLOCATION_ORDER
    # interest before costs is a lawful agreed order (art. 561 "unless agreed"), accepted
    agreed = ["interest", "costs", "penalty_interest", "compound_interest", "principal"]
    assert _allocation_order({"code": "x", "allocation_order": agreed}) == tuple(agreed)


@pytest.mark.parametrize(
    ("order", "message"),
    [
        (["costs", "penalty_interest", "compound_interest", "principal"], "interest missing"),
        (
            ["costs", "interest", "interest", "penalty_interest", "compound_interest", "principal"],
            "interest named more than once",
        ),
        (
            ["costs", "fees", "penalty_interest", "compound_interest", "interest", "principal"],
            "unknown bucket",
        ),
        (
            ["costs", "principal", "penalty_interest", "compound_interest", "interest"],
            "principal must come last",
        ),
        ("costs, interest, principal", "must be a list"),
    ],
)
def test_bad_allocation_order_names_product_and_field(order: object, message: str) -> None:
    from techfin.credit.products import _allocation_order

    with pytest.raises(ValueError, match=message) as err:
        _allocation_order({"code": "odd_loan", "allocation_order": order})
    assert "odd_loan" in str(err.value) and "allocation_order" in str(err.value)
