"""The `techfin schedule` CLI contract (issue 7 item 2)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from techfin.cli import app

runner = CliRunner()
EXAMPLE = [
    "schedule",
    "--principal", "5000",
    "--rate", "12",
    "--installments", "18",
    "--frequency", "monthly",
    "--start", "2022-11-01",
    "--method", "annuity",
    "--json",
]  # fmt: skip


def run(*args: str):
    return runner.invoke(app, list(args))


def test_issue_example_prints_the_documented_row():
    result = run(*EXAMPLE)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["rows"][0] == {
        "n": 1,
        "due_date": "2022-12-01",
        "days": 30,
        "principal": "255.00",
        "interest": "50.00",
        "payment": "305.00",
        "balance": "4745.00",
    }
    assert len(data["rows"]) == 18
    assert set(data["totals"]) == {"principal", "interest", "payment"}
    assert data["totals"]["principal"] == "5000.00"
    assert data["rows"][-1]["balance"] == "0.00"
    assert isinstance(data["annual_rate"], str)
    assert 0.12 < float(data["annual_rate"]) < 0.14


def test_all_documented_options():
    result = run(
        *EXAMPLE,
        "--first-due", "2022-12-20",
        "--interest-basis", "per-period",
        "--rounding", "half-even",
        "--decimals", "2",
        "--installment-multiple", "0.01",
        "--grace-principal", "2",
        "--grace-interest", "1",
        "--interest-free", "1",
        "--rate-change", "2023-06-01=10",
        "--rate-change", "2023-12-01=9.5",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert rows[0]["due_date"] == "2022-12-20"
    assert rows[0]["interest"] == "0.00"  # interest-free first period
    assert rows[0]["principal"] == rows[1]["principal"] == "0.00"


@pytest.mark.parametrize("method", ["equal-principal", "flat", "interest-only", "bullet"])
def test_methods(method):
    result = run(*[a if a != "annuity" else method for a in EXAMPLE])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["totals"]["principal"] == "5000.00"


def test_settlement_and_subsidy_extras():
    result = run(
        *EXAMPLE,
        "--method", "equal-principal",
        "--frequency", "quarterly",
        "--installments", "4",
        "--settle-interest", "monthly",
        "--subsidy-share", "50",
        "--subsidy-payer", "科技局",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert any(r["due_date"].endswith("-20") for r in data["rows"])
    assert data["subsidy_payer"] == "科技局"
    assert "subsidy" in data["rows"][0]


def test_table_output():
    result = run(*EXAMPLE[:-1])
    assert result.exit_code == 0, result.output
    assert "Repayment schedule" in result.stdout


@pytest.mark.parametrize(
    ("args", "term"),
    [
        (["--principal", "0"], "principal"),
        (["--principal", "-100"], "principal"),
        (["--rate", "99"], "annual_rate"),
        (["--installments", "0"], "installments"),
        (["--first-due", "2022-10-01"], "first_due"),
        (["--grace-principal", "18"], "grace_principal"),
        (["--grace-interest", "20"], "grace_interest"),
        (["--installment-multiple", "0"], "installment_multiple"),
        (["--rate-change", "2023-05-01=10", "--rate-change", "2023-03-01=9"], "rate_changes[1]"),
        (["--rate-change", "2023-05-01"], "rate_changes[0]"),
        (["--interest-basis", "act-999"], "interest_basis"),
        (["--frequency", "sometimes"], "frequency"),
        (["--start", "2022-13-01"], "start"),
    ],
)
def test_bad_input_is_one_clear_line(args, term):
    result = run(*EXAMPLE, *args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {term}:")
