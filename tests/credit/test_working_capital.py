"""Working-capital sizing (official-rules §7c) checked against a hand computation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from techfin.credit.working_capital import (
    StartupBasisInputs,
    WorkingCapitalInputs,
    average,
    check_term,
    size_startup_working_capital,
    size_working_capital,
)

D = Decimal


def _inputs(**kw: object) -> WorkingCapitalInputs:
    base: dict[str, object] = {
        "sales_revenue": D(10_000_000),
        "cost_of_sales": D(8_000_000),
        "sales_margin": D("0.10"),
        "expected_sales_growth": D("0.20"),
        "inventory": [D(1_600_000), D(2_400_000)],
        "receivables": [D(2_000_000), D(3_000_000)],
        "prepayments": [D(200_000), D(200_000)],
        "payables": [D(1_000_000), D(1_400_000)],
        "advance_receipts": [D(500_000), D(500_000)],
        "own_funds": D(1_000_000),
        "existing_working_capital_loans": D(500_000),
        "other_sources": D(10_000),
    }
    base.update(kw)
    return WorkingCapitalInputs(**base)  # type: ignore[arg-type]


def test_hand_computed_example() -> None:
    # inventory 90 d (on cost), receivables 90 d (on revenue), prepayments 9 d (on cost),
    # payables 54 d (on cost), advance receipts 18 d (on revenue): cycle 117 d.
    s = size_working_capital(_inputs())
    by_name = {step.name: step.value for step in s.steps}
    assert by_name["inventory days"] == D("90.00")
    assert by_name["receivables days"] == D("90.00")
    assert by_name["prepayments days"] == D("9.00")
    assert by_name["payables days"] == D("54.00")
    assert by_name["advance_receipts days"] == D("18.00")
    assert s.cycle_days == D(117)
    assert by_name["turnover (times a year)"] == D("3.0769")
    assert by_name["next year's funded cost of sales"] == D("10800000.00")
    # 10.8 M × 117 / 360 = 3.51 M
    assert s.working_capital == D("3510000.00")
    assert s.new_loan_need == D("2000000.00")
    assert s.term.allowed
    assert "§7c" in s.basis
    assert s.rule_version == "NFRA-2024-2"
    assert s.to_dict()["new_loan_need"] == "2000000.00"


def test_averages_not_closing_balances() -> None:
    # the same closing balances with different openings give a different answer
    a = size_working_capital(_inputs(inventory=[D(2_400_000), D(2_400_000)]))
    assert a.working_capital > size_working_capital(_inputs()).working_capital
    assert average([D(1), D(2), D(3), D(6)]) == D(3)
    with pytest.raises(ValueError, match="inventory: give at least two"):
        size_working_capital(_inputs(inventory=[D(2_400_000)]))


def test_need_is_never_negative() -> None:
    s = size_working_capital(_inputs(own_funds=D(9_000_000)))
    assert s.new_loan_need == 0
    assert any(step.name == "working-capital gap" and step.value < 0 for step in s.steps)


def test_non_positive_cycle() -> None:
    s = size_working_capital(_inputs(payables=[D(8_000_000), D(8_000_000)]))
    assert s.turnover is None
    assert s.working_capital == 0


def test_loss_making_refused_with_pointer_to_alternative() -> None:
    with pytest.raises(ValueError, match="size_startup_working_capital"):
        size_working_capital(_inputs(sales_margin=D("-0.05")))


@pytest.mark.parametrize(
    ("months", "reason", "allowed"),
    [
        (35, None, True),
        (36, None, True),
        (37, None, False),
        (37, "equipment commissioning cycle of 4 years", True),
        (59, "x", True),
        (60, "x", True),
        (61, "x", False),
    ],
)
def test_term_caps(months: int, reason: str | None, allowed: bool) -> None:
    assert check_term(months, extended_term_reason=reason).allowed is allowed


def test_term_bad_input() -> None:
    with pytest.raises(ValueError, match="term_months"):
        check_term(0)


def test_startup_alternative_basis_is_labelled_and_prudent() -> None:
    s = size_startup_working_capital(
        StartupBasisInputs(
            confirmed_orders=D(4_000_000),
            advance_receipts_on_orders=D(1_000_000),
            tax_declared_sales_12m=D(6_000_000),
            equity_raised_recent=D(20_000_000),
            existing_working_capital_loans=D(200_000),
        )
    )
    assert s.bases == {
        "orders": D("1500000.00"),
        "tax_declared_sales": D("1200000.00"),
        "equity_raised": D("5000000.00"),
    }
    assert s.combined == D("1200000.00")
    assert s.new_loan_need == D("1000000.00")
    assert "bank policy" in s.basis and "not" in s.policy_status
    with pytest.raises(ValueError, match="at least one"):
        size_startup_working_capital(StartupBasisInputs())
