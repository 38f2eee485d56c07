"""The credit commands: products list/check, pricing quote/lpr, working-capital — the same
JSON as the API, and bad input as exit 2 with one stderr line naming the field."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from techfin.cli import app

PROFILE = {
    "titles": ["hnte"],
    "grade": "T3",
    "size": "small",
    "years_operating": 3,
    "features": ["pledgeable_ip"],
    "requested_amount": "2000000",
    "requested_term_months": 12,
}
QUOTE = {
    "amount": "5000000",
    "term_months": 12,
    "start": "2024-06-30",
    "spread_bp": "20",
    "pd": "0.02",
    "lgd": "0.45",
    "tech_loan": True,
    "grade": "T3",
}
WC = {
    "sales_revenue": "36000000",
    "cost_of_sales": "27000000",
    "sales_margin": "0.10",
    "expected_sales_growth": "0.20",
    "inventory": ["4000000", "5000000"],
    "receivables": ["6000000", "6000000"],
    "prepayments": ["500000", "700000"],
    "payables": ["3000000", "3500000"],
    "advance_receipts": ["1000000", "1000000"],
    "own_funds": "2000000",
}


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(app, list(args), input=input)

    return invoke


@pytest.fixture
def write(tmp_path):
    def write_json(data, name="input.json"):
        path = tmp_path / name
        path.write_text(json.dumps(data) if not isinstance(data, str) else data)
        return str(path)

    return write_json


def assert_bad(result, field: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {field}"), lines[0]


def test_products_list_json_and_text(run):
    result = run("products", "list", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert len(data["products"]) >= 10
    text = run("products", "list")
    assert text.exit_code == 0
    for p in data["products"]:
        assert p["code"] in text.stdout
    assert "risk sharing: yes" in text.stdout and "guarantee: credit" in text.stdout


def test_products_check(run, write):
    result = run("products", "check", "--input", write(PROFILE), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert "credit_loan" in data["eligible"] and "talent_loan" not in data["eligible"]
    text = run("products", "check", "--input", write(PROFILE))
    assert "eligible: " in text.stdout and "recognised talent programme" in text.stdout


def test_products_check_reads_standard_input(run):
    result = run("products", "check", "--input", "-", "--json", input=json.dumps(PROFILE))
    assert result.exit_code == 0 and "credit_loan" in json.loads(result.stdout)["eligible"]


def test_pricing_quote(run, write):
    result = run("pricing", "quote", "--input", write(QUOTE), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    parts = sum(Decimal(p["rate"]) for p in data["floor_parts"])
    assert parts == Decimal(data["floor"])
    text = run("pricing", "quote", "--input", write(QUOTE))
    assert "floor" in text.stdout and "RAROC without subsidy" in text.stdout


def test_pricing_lpr(run):
    result = run("pricing", "lpr", "--date", "2024-07-01", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["fixing_date"] == "2024-06-20"
    assert "2024-06-20" in run("pricing", "lpr", "--date", "2024-07-01").stdout
    assert_bad(run("pricing", "lpr", "--date", "1 July"), "date")
    assert_bad(run("pricing", "lpr", "--date", "2001-01-01"), "date")


def test_working_capital(run, write):
    result = run("working-capital", "--input", write(WC), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["basis_kind"] == "official" and Decimal(data["new_loan_need"]) > 0
    text = run("working-capital", "--input", write(WC))
    assert "operating cycle days" in text.stdout and "new loan need" in text.stdout
    startup = run(
        "working-capital",
        "--input",
        write({"basis": "startup", "tax_declared_sales_12m": "1200000"}),
        "--json",
    )
    assert json.loads(startup.stdout)["basis_kind"] == "startup"


@pytest.mark.parametrize(
    ("command", "data", "field"),
    [
        (("products", "check"), {**PROFILE, "size": "giant"}, "size"),
        (("products", "check"), {**PROFILE, "grade": "T0"}, "grade"),
        (("pricing", "quote"), {**QUOTE, "pd": "2"}, "pd"),
        (("pricing", "quote"), {**QUOTE, "fixed_rate_percent": "4"}, "fixed_rate_percent"),
        (("pricing", "quote"), {k: v for k, v in QUOTE.items() if k != "amount"}, "amount"),
        (("working-capital",), {**WC, "sales_margin": "-0.2"}, "sales_margin"),
        (("working-capital",), {**WC, "payables": ["1"]}, "payables"),
        (("working-capital",), {**WC, "basis": "guess"}, "basis"),
        (("pricing", "quote"), {**QUOTE, "amount": "1e999999"}, "amount"),
    ],
)
def test_bad_input_is_exit_2_and_one_line(run, write, command, data, field):
    assert_bad(run(*command, "--input", write(data)), field)


def test_unreadable_or_malformed_input(run, write, tmp_path):
    assert_bad(run("pricing", "quote", "--input", str(tmp_path / "missing.json")), "input")
    assert_bad(run("working-capital", "--input", write("{oops")), "input")
    assert_bad(run("products", "check", "--input", write("[1, 2]")), "body")
