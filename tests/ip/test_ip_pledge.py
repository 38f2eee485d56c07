"""Pledge: registration refusals (§11), policy exceptions, collateral value, LTV, disposal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from techfin.ip.disposal import (
    DisposalRoute,
    apply_proceeds,
    auction_plan,
    auction_violations,
    disposal_outcome,
    minimum_next_reserve,
    minimum_starting_price,
    recovery_rate,
)
from techfin.ip.patents import EventKind as K
from techfin.ip.patents import LegalEvent, Patent, PatentType
from techfin.ip.pledge import (
    PledgedItem,
    RefusalReason,
    collateral_value,
    ltv,
    pledge_policy,
    policy_exceptions,
    position,
    registration_refusals,
    repayment_to_restore,
    top_up_needed,
)
from techfin.ip.status import derive_status
from techfin.ip.valuation import real_option, relief_from_royalty

D = Decimal
FILED = date(2015, 3, 10)
INV = Patent("201510123456.7", PatentType.INVENTION, FILED, owners=("A Co", "B Univ"))
GRANT = LegalEvent(K.GRANTED, date(2018, 6, 20))
PAID5 = LegalEvent(K.FEE_PAID, date(2019, 3, 1), fee_year=5)


def reasons(
    events: list[LegalEvent],
    applied: date,
    maturity: date,
    consent: tuple[str, ...] = ("B Univ",),
) -> set[RefusalReason]:
    found = registration_refusals(
        INV, events, applied_on=applied, debt_maturity=maturity, consenting_co_owners=consent
    )
    return {r.reason for r in found}


def test_clean_registration_has_no_refusal() -> None:
    assert reasons([GRANT, PAID5], date(2019, 4, 1), date(2022, 4, 1)) == set()


def test_each_official_refusal_reason() -> None:
    ok = date(2022, 4, 1)
    # fee year 5 unpaid and in grace on 2019-04-01
    assert RefusalReason.FEES_UNPAID_OR_IN_GRACE in reasons([GRANT], date(2019, 4, 1), ok)
    # debt past the patent's expiry (term ends 2035-03-10)
    assert RefusalReason.DEBT_PAST_EXPIRY in reasons(
        [GRANT, PAID5], date(2019, 4, 1), date(2035, 3, 10)
    )
    assert RefusalReason.DEBT_PAST_EXPIRY not in reasons(
        [GRANT, PAID5], date(2019, 4, 1), date(2035, 3, 9)
    )
    pledged = [GRANT, PAID5, LegalEvent(K.PLEDGE_REGISTERED, date(2019, 3, 20))]
    assert RefusalReason.ALREADY_PLEDGED in reasons(pledged, date(2019, 4, 1), ok)
    inval = [GRANT, PAID5, LegalEvent(K.INVALIDATION_REQUESTED, date(2019, 3, 20))]
    assert RefusalReason.INVALIDATION_STARTED in reasons(inval, date(2019, 4, 1), ok)
    pres = [GRANT, PAID5, LegalEvent(K.PRESERVATION_ORDERED, date(2019, 3, 20))]
    assert RefusalReason.PRESERVATION_ORDER in reasons(pres, date(2019, 4, 1), ok)
    lifted = [*pres, LegalEvent(K.PRESERVATION_LIFTED, date(2019, 3, 25))]
    assert reasons(lifted, date(2019, 4, 1), ok) == set()
    assert RefusalReason.CO_OWNER_CONSENT_MISSING in reasons(
        [GRANT, PAID5], date(2019, 4, 1), ok, consent=()
    )
    lapsed = reasons([GRANT], date(2019, 10, 1), ok)
    assert {RefusalReason.FEES_UNPAID_OR_IN_GRACE, RefusalReason.NOT_IN_FORCE} <= lapsed


def test_policy_exceptions_remaining_life_and_term() -> None:
    policy = pledge_policy("city_programme")  # inventions need ≥ 10 years remaining
    s = derive_status(INV, [GRANT, PAID5], date(2026, 4, 1))  # ends 2035-03-10: < 10 years
    found = policy_exceptions(
        s, "invention", policy, loan_start=date(2026, 4, 1), loan_maturity=date(2030, 4, 1)
    )
    assert any("remaining legal life" in f for f in found)
    assert any("loan term" in f for f in found)
    house = pledge_policy()
    ok = policy_exceptions(
        s, "invention", house, loan_start=date(2026, 4, 1), loan_maturity=date(2029, 4, 1)
    )
    assert ok == ()


def test_collateral_value_is_appraised_times_pledge_rate_and_never_real_option() -> None:
    """House policy: invention 25 %, utility model 15 % (official-rules §11 large bank)."""
    house = pledge_policy()
    assert collateral_value(D("4000000"), "invention", house) == D("1000000.00")
    assert collateral_value(D("1000000.05"), "utility_model", house) == D("150000.00")
    v = relief_from_royalty(revenues=[100], royalty_rate="0.1", tax_rate=0, discount_rate=0)
    assert collateral_value(v, "invention", house) == D("2.50")
    option = real_option(
        pv_cash_flows=100, investment=80, years=2, volatility="0.3", risk_free="0.02"
    )
    with pytest.raises(ValueError, match="never a collateral basis"):
        collateral_value(option, "invention", house)
    with pytest.raises(ValueError, match="no pledge rate"):
        collateral_value(D(1), "copyright", house)


def test_ltv_and_repayment_to_restore() -> None:
    """Loan 1,200,000 against an invention appraised 4,000,000 at target 25 %:
    LTV 0.30 > 0.25 → repay 1,200,000 − 0.25 × 4,000,000 = 200,000, or add
    1,200,000 ÷ 0.25 − 4,000,000 = 800,000 of appraised value."""
    assert ltv(D(1_200_000), D(4_000_000)) == D("0.3000")
    assert ltv(D(1), D(0)) is None
    assert repayment_to_restore(D(1_200_000), D(4_000_000), D("0.25")) == D("200000.00")
    assert repayment_to_restore(D(900_000), D(4_000_000), D("0.25")) == 0
    assert top_up_needed(D(1_200_000), D(4_000_000), D("0.25")) == D("800000.00")
    pos = position(D(1_200_000), [PledgedItem("P1", "invention", D(4_000_000))], pledge_policy())
    assert pos.breach and pos.target_ltv == D("0.25") and pos.repayment_to_restore == 200_000


def test_pool_ltv_mixed_types_and_dead_patent_counts_zero() -> None:
    """Pool: invention 4,000,000 (25 %) + utility model 2,000,000 (15 %) → collateral
    1,300,000, target 1,300,000 / 6,000,000 = 0.2166. Two drawdowns total 1,200,000: LTV 0.2.
    When the utility model lapses the pool is worth 4,000,000 and the target is 0.25:
    LTV 0.30 → repay 200,000."""
    house = pledge_policy()
    items = [
        PledgedItem("P1", "invention", D(4_000_000)),
        PledgedItem("P2", "utility_model", D(2_000_000)),
    ]
    pos = position([D(700_000), D(500_000)], items, house)
    assert pos.collateral_value == D(1_300_000)
    assert pos.target_ltv == D("0.2166")
    assert pos.ltv == D("0.2000") and not pos.breach
    items[1] = PledgedItem("P2", "utility_model", D(2_000_000), in_force=False)
    pos = position(D(1_200_000), items, house)
    assert pos.breach and pos.ltv == D("0.3000") and pos.repayment_to_restore == D(200_000)


def test_judicial_auction_reserves() -> None:
    """Valuation 1,000,000: round 1 ≥ 700,000; round 2 ≥ 560,000 (20 % lower at most)."""
    assert minimum_starting_price(D(1_000_000)) == D("700000.00")
    assert minimum_next_reserve(D(700_000)) == D("560000.00")
    plan = auction_plan(D(1_000_000))
    assert [r.reserve for r in plan] == [D("700000.00"), D("560000.00")]
    assert auction_violations(D(1_000_000), [D(700_000), D(560_000)]) == ()
    bad = auction_violations(D(1_000_000), [D(690_000), D(500_000)])
    assert len(bad) == 2
    with pytest.raises(ValueError, match="start_ratio"):
        auction_plan(D(1_000_000), start_ratio=D("0.6"))
    with pytest.raises(ValueError, match="reduction"):
        auction_plan(D(1_000_000), reduction=D("0.25"))


def test_proceeds_and_recovery_rate() -> None:
    """Proceeds 600,000 on costs 20,000, interest 30,000, principal 1,000,000:
    principal receives 550,000, shortfall 1,050,000 − 600,000 = 450,000;
    recovery (600,000 − 20,000) / 1,050,000 = 0.552381 → 0.5524."""
    a = apply_proceeds(D(600_000), costs=D(20_000), interest=D(30_000), principal=D(1_000_000))
    assert (a.costs, a.interest, a.principal) == (D(20_000), D(30_000), D(550_000))
    assert a.shortfall == D(450_000) and a.surplus == 0
    assert recovery_rate(D(1_050_000), D(600_000), D(20_000)) == D("0.5524")
    unsold = disposal_outcome(
        DisposalRoute.JUDICIAL_AUCTION,
        sold=False,
        price=D(0),
        costs=D(5_000),
        exposure=D(1_000_000),
        rounds=2,
    )
    assert unsold.recovery_rate == 0
    sold = disposal_outcome(
        DisposalRoute.IP_EXCHANGE, sold=True, price=D(800_000), costs=D(0), exposure=D(1_000_000)
    )
    assert sold.recovery_rate == D("0.8000")


def test_unregistered_pledge_is_not_collateral() -> None:
    house = pledge_policy()
    items = [PledgedItem("P1", "invention", D(4_000_000), registered=False)]
    pos = position(D(500_000), items, house)
    assert pos.appraised_value == 0 and pos.collateral_value == 0
    assert pos.ltv is None and pos.breach
    assert pos.repayment_to_restore == D(500_000)


def test_checked_patent_validates_the_number_and_reads_the_type() -> None:
    from techfin.ip.patents import checked_patent

    p = checked_patent("200710308494.X", date(2007, 12, 1), owners=("A Co",))
    assert p.patent_type is PatentType.INVENTION and p.owners == ("A Co",)
    with pytest.raises(ValueError, match="check"):
        checked_patent("200710308494.1", date(2007, 12, 1))


def test_loan_equal_to_collateral_value_is_no_breach() -> None:
    """636,671.67 appraised × 25 % = 159,167.9175 of collateral: a loan of 159,167.91 is within
    it and must not be flagged (rounding the target down to 0.2499 used to flag it)."""
    items = [PledgedItem("P1", "invention", D("636671.67"))]
    within = position(D("159167.91"), items, pledge_policy())
    assert not within.breach and within.repayment_to_restore == 0
    over = position(D("159200.00"), items, pledge_policy())
    assert over.breach and over.repayment_to_restore > 0
