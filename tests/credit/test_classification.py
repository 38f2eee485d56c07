"""Classification floors (official-rules §7): every band at its edge and one day either side."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from techfin.credit.classification import (
    Classification,
    RiskClass,
    classify,
    judged_class_allowed,
    load_rules,
)

AS_OF = dt.date(2025, 6, 30)


@pytest.mark.parametrize(
    ("dpd", "expected"),
    [
        (0, "normal"),
        (1, "special_mention"),
        (89, "special_mention"),
        (90, "special_mention"),
        (91, "substandard"),
        (269, "substandard"),
        (270, "substandard"),
        (271, "doubtful"),
        (359, "doubtful"),
        (360, "doubtful"),
        (361, "loss"),
        (5000, "loss"),
    ],
)
def test_days_past_due_bands(dpd: int, expected: str) -> None:
    c = classify(days_past_due=dpd)
    assert c.value == expected
    assert isinstance(c.value, str)
    assert c.rule_version == "NFRA-CBIRC-2023-1"


@pytest.mark.parametrize(
    ("dpd", "expected"), [(6, "normal"), (7, "normal"), (8, "special_mention")]
)
def test_operational_delay_exception_edge(dpd: int, expected: str) -> None:
    c = classify(days_past_due=dpd, operational_delay_cause="core banking outage 2025-06-20")
    assert c.value == expected
    assert c.reasons  # the exception (or its refusal) is recorded


def test_operational_delay_needs_a_cause() -> None:
    assert classify(days_past_due=3).value == "special_mention"
    assert classify(days_past_due=3, operational_delay_cause="  ").value == "special_mention"


@pytest.mark.parametrize(
    ("facts", "expected", "code"),
    [
        ({"unapproved_change_of_use": True}, "special_mention", "change_of_use"),
        ({"new_loan_repays_old": True}, "special_mention", "new_loan_repays_old"),
        ({"npl_at_other_bank": True}, "special_mention", "npl_at_other_bank"),
        ({"credit_impaired": True}, "substandard", "credit_impaired"),
    ],
)
def test_single_fact_floors(facts: dict[str, object], expected: str, code: str) -> None:
    c = classify(days_past_due=0, **facts)
    assert c.value == expected
    assert [r.code for r in c.reasons] == [code]


def test_eligible_renewal_sets_no_floor() -> None:
    c = classify(days_past_due=0, new_loan_repays_old=True, eligible_renewal=True)
    assert c.value == "normal"


@pytest.mark.parametrize(
    ("overdue", "expected"),
    [("1999.99", "normal"), ("2000", "normal"), ("2000.01", "substandard")],
)
def test_cross_bank_twenty_percent_edge(overdue: str, expected: str) -> None:
    c = classify(
        days_past_due=0, debt_all_banks=Decimal(10000), debt_over_90_days_all_banks=overdue
    )
    assert c.value == expected


def test_cross_bank_rule_is_for_corporate_borrowers() -> None:
    c = classify(
        days_past_due=0,
        corporate_borrower=False,
        debt_all_banks=100,
        debt_over_90_days_all_banks=50,
    )
    assert c.value == "normal"


@pytest.mark.parametrize(
    ("npl", "expected"), [("99.99", "normal"), ("100", "normal"), ("100.01", "substandard")]
)
def test_whole_borrower_ten_percent_edge(npl: str, expected: str) -> None:
    c = classify(days_past_due=0, claims_at_bank="1000", non_performing_claims_at_bank=npl)
    assert c.value == expected


def test_amount_pairs_must_come_together_and_be_consistent() -> None:
    with pytest.raises(ValueError, match="claims_at_bank"):
        classify(days_past_due=0, claims_at_bank=100)
    with pytest.raises(ValueError, match="exceeds"):
        classify(days_past_due=0, claims_at_bank=100, non_performing_claims_at_bank=101)
    with pytest.raises(ValueError, match="debt_all_banks"):
        classify(days_past_due=0, debt_over_90_days_all_banks=1)


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (dt.date(2025, 3, 14), "substandard"),
        (dt.date(2025, 3, 15), "normal"),
        (dt.date(2025, 3, 16), "normal"),
    ],
)
def test_restructured_observation_year_edge(as_of: dt.date, expected: str) -> None:
    c = classify(
        days_past_due=0,
        restructured=True,
        restructuring_observation_start=dt.date(2024, 3, 15),
        as_of=as_of,
    )
    assert c.value == expected


def test_restructured_needs_dates() -> None:
    with pytest.raises(ValueError, match="restructuring_observation_start"):
        classify(days_past_due=0, restructured=True, as_of=AS_OF)


def _upgrade(**kw: object) -> Classification:
    base: dict[str, object] = {
        "previous_class": "substandard",
        "arrears_paid_on": dt.date(2025, 1, 10),
        "on_time_periods_since_arrears_paid": 6,
        "repayment_period_months": 1,
        "as_of": dt.date(2025, 7, 10),
    }
    base.update(kw)
    return classify(days_past_due=0, **base)


def test_upgrade_monthly_needs_six_months() -> None:
    assert _upgrade(as_of=dt.date(2025, 7, 9)).value == "substandard"
    assert _upgrade(as_of=dt.date(2025, 7, 10)).value == "normal"
    assert _upgrade(as_of=dt.date(2025, 7, 11)).value == "normal"


def test_upgrade_semiannual_needs_two_periods_when_longer() -> None:
    # 2 periods of 6 months = 12 months > 6 months: whichever is longer.
    kw = {"repayment_period_months": 6, "on_time_periods_since_arrears_paid": 2}
    assert _upgrade(as_of=dt.date(2026, 1, 9), **kw).value == "substandard"
    assert _upgrade(as_of=dt.date(2026, 1, 10), **kw).value == "normal"


def test_upgrade_needs_two_on_time_periods_and_paid_arrears() -> None:
    assert _upgrade(on_time_periods_since_arrears_paid=1).value == "substandard"
    assert _upgrade(on_time_periods_since_arrears_paid=2).value == "normal"
    c = _upgrade(arrears_paid_on=None)
    assert c.value == "substandard"
    assert c.reasons[0].code == "upgrade_arrears_unpaid"
    # a previously normal or special-mention loan is not held back
    assert _upgrade(previous_class="special_mention", arrears_paid_on=None).value == "normal"


def test_unknown_facts_are_named() -> None:
    with pytest.raises(ValueError, match="colour, npl_elsewhere"):
        classify(days_past_due=0, npl_elsewhere=True, colour="red")


@pytest.mark.parametrize(
    "kw",
    [
        {"days_past_due": -1},
        {"days_past_due": True},
        {"days_past_due": 0, "credit_impaired": "yes"},
        {"days_past_due": 0, "previous_class": "bad"},
        {"days_past_due": 0, "as_of": dt.date(2023, 6, 30)},
    ],
)
def test_bad_input(kw: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        classify(**kw)  # type: ignore[arg-type]


def test_worst_floor_wins_and_all_reasons_kept() -> None:
    c = classify(days_past_due=100, npl_at_other_bank=True, credit_impaired=True, as_of=AS_OF)
    assert c.value == RiskClass.SUBSTANDARD
    assert {r.code for r in c.reasons} == {
        "dpd_substandard",
        "npl_at_other_bank",
        "credit_impaired",
    }
    assert c.non_performing
    assert c.to_dict()["reasons"][0]["floor"] == "substandard"


def test_rules_are_versioned_data() -> None:
    r = load_rules(dt.date(2023, 7, 1))
    assert r.effective_from == dt.date(2023, 7, 1)
    assert "2023" in r.source


def test_judged_class_allowed() -> None:
    assert judged_class_allowed("substandard", "substandard")
    assert judged_class_allowed("substandard", "loss")
    assert not judged_class_allowed("substandard", "special_mention")
    assert judged_class_allowed(RiskClass.NORMAL, "normal")
    with pytest.raises(ValueError):
        judged_class_allowed("normal", "fine")


_facts = st.fixed_dictionaries(
    {},
    optional={
        "operational_delay_cause": st.sampled_from(["system outage", ""]),
        "unapproved_change_of_use": st.booleans(),
        "npl_at_other_bank": st.booleans(),
        "credit_impaired": st.booleans(),
        "new_loan_repays_old": st.booleans(),
    },
)


@given(dpd=st.integers(0, 800), extra=st.integers(0, 800), facts=_facts)
def test_floor_never_improves_as_days_past_due_grow(
    dpd: int, extra: int, facts: dict[str, object]
) -> None:
    a = classify(days_past_due=dpd, **facts)
    b = classify(days_past_due=dpd + extra, **facts)
    assert b.value.rank >= a.value.rank
    assert judged_class_allowed(a.value, b.value)
