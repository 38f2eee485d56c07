"""Outgoing credit-register report, techfin layout v1 (issue 9 item 5)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest

from techfin.credit.credit_register_report import (
    COLUMNS,
    ReportInvalid,
    build_report,
    read_report,
    record_from_state,
)
from techfin.credit.schedule import Subsidy, Terms
from techfin.credit.servicing import Contract, Disbursement, Prepayment, replay

AS_OF = dt.date(2026, 6, 30)


def _loan(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "branch_code": "BJ001",
        "loan_id": "L-1",
        "contract_no": "HT-2025-0001",
        "borrower_uscc": "91350100M000100Y43",
        "borrower_name": "星河智能科技有限公司",
        "product_code": "credit_loan",
        "currency": "CNY",
        "disbursement_date": dt.date(2025, 7, 1),
        "maturity_date": dt.date(2027, 7, 1),
        "contract_amount": D("1000000.00"),
        "principal_balance": D("600000.00"),
        "overdue_principal": D("0.00"),
        "overdue_interest": D("0.00"),
        "days_past_due": 0,
        "risk_class": "normal",
        "guarantee_type": "credit",
        "renewal_flag": False,
        "restructured_flag": False,
        "first_loan_flag": True,
        "status": "active",
    }
    base.update(changes)
    return base


def test_valid_report_round_trips() -> None:
    text = build_report(
        [
            _loan(),
            _loan(
                loan_id="L-2",
                borrower_name='Acme "Quantum", Ltd',
                overdue_principal=D("50000.00"),
                overdue_interest=D("1234.56"),
                days_past_due=95,
                risk_class="substandard",
            ),
        ],
        AS_OF,
    )
    lines = text.split("\n")
    assert lines[0] == ",".join(c.name for c in COLUMNS)
    assert text.endswith("\n") and "\r" not in text
    rows = read_report(text)
    assert len(rows) == 2
    assert rows[0]["report_date"] == "2026-06-30"
    assert rows[0]["principal_balance"] == "600000.00"
    assert rows[0]["first_loan_flag"] == "Y" and rows[0]["renewal_flag"] == "N"
    assert rows[1]["borrower_name"] == 'Acme "Quantum", Ltd'
    assert rows[1]["days_past_due"] == "95"


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"borrower_uscc": "91350100M000100Y44"}, "borrower_uscc", "GB 32100"),
        ({"contract_amount": 1000000.0}, "contract_amount", "float"),
        ({"principal_balance": D("1.001")}, "principal_balance", "2 decimals"),
        ({"principal_balance": D("-1.00")}, "principal_balance", "negative"),
        ({"principal_balance": D("1000000.01")}, "principal_balance", "exceeds"),
        ({"overdue_principal": D("600000.01")}, "overdue_principal", "exceeds"),
        ({"risk_class": "bad"}, "risk_class", "not one of"),
        ({"currency": "USD"}, "currency", "not one of"),
        ({"maturity_date": dt.date(2025, 6, 1)}, "maturity_date", "after"),
        ({"days_past_due": 3}, "days_past_due", "nothing is overdue"),
        ({"overdue_principal": D("10.00")}, "days_past_due", "principal is overdue"),
        (
            {"overdue_principal": D("10.00"), "days_past_due": 91},
            "risk_class",
            "better than the floor substandard",
        ),
        ({"contract_no": None}, "contract_no", "missing"),
        ({"borrower_name": "x" * 201}, "borrower_name", "longer than 200"),
        ({"branch_code": "BJ 01"}, "branch_code", "letters"),
        ({"status": "settled"}, "principal_balance", "must be 0"),
        ({"renewal_flag": "yes"}, "renewal_flag", "Y/N"),
        ({"days_past_due": "3"}, "days_past_due", "whole number"),
        ({"extra": 1}, "extra", "unknown field"),
    ],
)
def test_invalid_record_names_loan_and_field_and_nothing_is_written(
    changes: dict[str, Any], field: str, fragment: str
) -> None:
    with pytest.raises(ReportInvalid) as info:
        build_report([_loan(loan_id="OK-1"), _loan(loan_id="BAD-7", **changes)], AS_OF)
    errors = info.value.errors
    assert errors, "expected errors"
    assert all(e.loan == "BAD-7" for e in errors)
    assert any(e.field == field and fragment in e.message for e in errors), errors


def test_all_problems_are_listed_and_duplicates_caught() -> None:
    with pytest.raises(ReportInvalid) as info:
        build_report([_loan(), _loan(), _loan(loan_id=None, currency="EUR", risk_class="x")], AS_OF)
    found = {(e.loan, e.field) for e in info.value.errors}
    assert ("L-1", "loan_id") in found
    assert {("#3", "loan_id"), ("#3", "currency"), ("#3", "risk_class")} <= found


def test_record_from_servicing_state() -> None:
    terms = Terms(
        principal=D("120000.00"), annual_rate=D("0.06"), start=dt.date(2025, 1, 15), installments=12
    )
    state = replay(
        Contract("L-9", terms),
        [Disbursement("d", dt.date(2025, 1, 15), D("120000.00"))],
        dt.date(2025, 2, 25),
    )
    rec = record_from_state(
        state,
        branch_code="SH01",
        contract_no="HT-9",
        borrower_uscc="91110000600037341L",
        borrower_name="示例科技",
        product_code="credit_loan",
        disbursement_date=dt.date(2025, 1, 15),
        maturity_date=dt.date(2026, 1, 15),
        contract_amount=D("120000.00"),
        risk_class="special_mention",
        guarantee_type="credit",
        renewal_flag=False,
        restructured_flag=False,
        first_loan_flag=False,
    )
    row = read_report(build_report([rec], dt.date(2025, 2, 25)))[0]
    # 620.00 unpaid interest + 24.28 penalty + 1.55 compound (see test_servicing_replay).
    assert row["overdue_interest"] == "645.83"
    assert row["overdue_principal"] == "9711.20"
    assert row["days_past_due"] == "10"
    with pytest.raises(ReportInvalid, match="risk_class"):
        build_report([{**rec, "risk_class": "normal"}], dt.date(2025, 2, 25))


def test_subsidised_loan_paid_off_by_the_borrower_is_reported_settled() -> None:
    """The borrower prepays its payoff (decision 1108) while the subsidy payer still owes its
    half of the accrued interest: the loan is settled for the register (no principal, nothing
    overdue) — an active status with no principal would be refused by the layout."""
    terms = Terms(
        principal=D("120000.00"),
        annual_rate=D("0.06"),
        start=dt.date(2025, 1, 15),
        installments=12,
        subsidy=Subsidy(payer="区科技局", share=D("0.5")),
    )
    contract = Contract("L-10", terms)
    disb = Disbursement("d", dt.date(2025, 1, 15), D("120000.00"))
    day = dt.date(2025, 1, 22)
    payoff = replay(contract, [disb], day).payoff_amount
    assert payoff == D("120070.00")  # 120,000.00 + the borrower's half of 7 × 20.00
    state = replay(contract, [disb, Prepayment("p", day, payoff)], day)
    assert state.subsidy_receivable == D("70.00")
    rec = record_from_state(
        state,
        branch_code="SH01",
        contract_no="HT-10",
        borrower_uscc="91110000600037341L",
        borrower_name="示例科技",
        product_code="credit_loan",
        disbursement_date=dt.date(2025, 1, 15),
        maturity_date=dt.date(2026, 1, 15),
        contract_amount=D("120000.00"),
        risk_class="normal",
        guarantee_type="credit",
        renewal_flag=False,
        restructured_flag=False,
        first_loan_flag=False,
    )
    row = read_report(build_report([rec], day))[0]
    assert row["status"] == "settled"
    assert row["principal_balance"] == "0.00" and row["overdue_interest"] == "0.00"
