"""The credit API: catalogue, product check, schedule, pricing quote, working capital, LPR —
each behind a bearer token, each bad input a problem+json naming the field."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from credit_faces_world import app_client, bearer
from typer.testing import CliRunner

from techfin.cli import app as cli_app

PROBLEM = "application/problem+json"


@pytest.fixture
def api(db):
    client = app_client(db)
    client.headers.update(bearer(client))
    return client


def assert_problem(response, field: str, status: int = 422) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["field"] == field, body
    assert body["detail"].startswith(field), body
    return body


def no_floats(value) -> None:
    """Money and rates travel as decimal strings, never JSON floats."""
    if isinstance(value, dict):
        for v in value.values():
            no_floats(v)
    elif isinstance(value, list):
        for v in value:
            no_floats(v)
    else:
        assert not isinstance(value, float), value


# --------------------------------------------------------------------------- auth


ENDPOINTS = [
    ("get", "/api/products"),
    ("post", "/api/products/check"),
    ("post", "/api/schedule"),
    ("post", "/api/pricing/quote"),
    ("post", "/api/working-capital"),
    ("get", "/api/lpr?date=2024-01-02"),
]


def test_every_endpoint_needs_a_token(db):
    client = app_client(db)
    for method, path in ENDPOINTS:
        kwargs = {"json": {}} if method == "post" else {}
        response = getattr(client, method)(path, **kwargs)
        assert response.status_code == 401, path
        assert response.headers["content-type"].startswith(PROBLEM)
    client.headers["Authorization"] = "Bearer not-a-token"
    assert client.get("/api/products").status_code == 401


# --------------------------------------------------------------------------- catalogue


def check_catalogue_lists_every_product_with_its_terms(api):
    body = api.get("/api/products").json()
    no_floats(body)
    assert body["version"] and body["source"]
    codes = [p["code"] for p in body["products"]]
    for code in ("credit_loan", "ip_pledge_loan", "revolving_line", "tech_ma_loan"):
        assert code in codes
    ma = next(p for p in body["products"] if p["code"] == "tech_ma_loan")
    assert ma["amount"]["share_of"] == {"basis": "acquisition_price", "share": "0.80"}
    assert ma["term_months"]["max"] == 120
    credit = next(p for p in body["products"] if p["code"] == "credit_loan")
    assert credit["guarantee_types"] == [["credit"]]
    assert credit["eligibility"]["max_grade"] == "T6"
    assert credit["risk_sharing"] is True
    assert credit["amount"] == {"min": "100000", "max": "10000000", "share_of": None}
    assert credit["pricing"]["rule"] == "lpr_plus_spread"


def check_product_check_says_which_qualify_and_why_not(api):
    profile = {
        "titles": ["hnte"],
        "grade": "T3",
        "size": "small",
        "years_operating": 3,
        "features": ["pledgeable_ip"],
        "requested_amount": "2000000",
        "requested_term_months": 12,
    }
    body = api.post("/api/products/check", json=profile).json()
    no_floats(body)
    assert "credit_loan" in body["eligible"] and "ip_pledge_loan" in body["eligible"]
    assert "policy_pledge_loan" not in body["eligible"]
    policy = next(p for p in body["products"] if p["code"] == "policy_pledge_loan")
    assert policy["eligible"] is False
    assert any("insurance policy" in r for r in policy["reasons"])
    # a worse grade loses the credit loan, with the reason
    body = api.post("/api/products/check", json={**profile, "grade": "T9"}).json()
    credit = next(p for p in body["products"] if p["code"] == "credit_loan")
    assert not credit["eligible"] and "grade T9 is worse than the product's T6" in credit["reasons"]


BAD_PROFILES = [
    ({"size": "huge"}, "size"),
    ({"grade": "T11"}, "grade"),
    ({"titles": ["nobel"]}, "titles"),
    ({"requested_amount": "-5"}, "requested_amount"),
    ({"requested_amount": "lots"}, "requested_amount"),
    ({"years_operating": "x"}, "years_operating"),
    ({"colour": "red"}, "colour"),
    ({"offered_guarantee": ["hope"]}, "offered_guarantee"),
]


def check_product_check_bad_input_names_the_field(api):
    for patch, field in BAD_PROFILES:
        assert_problem(api.post("/api/products/check", json={"titles": ["hnte"], **patch}), field)


# --------------------------------------------------------------------------- schedule

ISSUE_TERMS = {
    "principal": "5000",
    "rate": "12",
    "installments": 18,
    "frequency": "monthly",
    "start": "2022-11-01",
    "method": "annuity",
}


def check_schedule_reproduces_the_issue_example_row(api):
    body = api.post("/api/schedule", json=ISSUE_TERMS).json()
    no_floats(body)
    assert body["rows"][0] == {
        "n": 1,
        "due_date": "2022-12-01",
        "days": 30,
        "principal": "255.00",
        "interest": "50.00",
        "payment": "305.00",
        "balance": "4745.00",
    }
    assert len(body["rows"]) == 18
    assert body["rows"][-1]["balance"] == "0.00"
    assert Decimal(body["totals"]["principal"]) == Decimal("5000")
    assert Decimal(body["totals"]["payment"]) == sum(Decimal(r["payment"]) for r in body["rows"])
    assert Decimal(body["annual_rate"]) > Decimal("0.12")


def check_schedule_is_the_same_json_as_the_cli_contract(api):
    body = api.post(
        "/api/schedule",
        json={
            **ISSUE_TERMS,
            "method": "equal-principal",
            "interest_basis": "act-365f",
            "grace_principal": 2,
            "rate_changes": [{"date": "2023-06-01", "rate": "10.5"}],
            "subsidy_share": "50",
            "subsidy_payer": "district",
        },
    ).json()
    args = [
        "schedule", "--principal", "5000", "--rate", "12", "--installments", "18",
        "--frequency", "monthly", "--start", "2022-11-01", "--method", "equal-principal",
        "--interest-basis", "act-365f", "--grace-principal", "2",
        "--rate-change", "2023-06-01=10.5", "--subsidy-share", "50",
        "--subsidy-payer", "district", "--json",
    ]  # fmt: skip
    result = CliRunner().invoke(cli_app, args)
    assert result.exit_code == 0, result.output
    cli = json.loads(result.stdout)
    assert body == cli  # one shape: rows, totals, annual_rate(_percent), versions, subsidy
    assert "subsidy" in body["rows"][0]


def check_schedule_explicit_dates_stepped_and_interest_dates(api):
    body = api.post(
        "/api/schedule",
        json={
            "principal": "1000000",
            "rate": "4.35",
            "start": "2024-01-10",
            "due_dates": ["2024-07-10", "2025-01-10", "2026-01-10"],
            "method": "stepped",
            "step_principal_percents": ["20", "30", "50"],
            "interest_dates": ["2024-03-20", "2024-06-20", "2024-09-20", "2024-12-20"],
        },
    ).json()
    principal_rows = [r for r in body["rows"] if r["principal"] != "0.00"]
    assert [r["due_date"] for r in principal_rows] == ["2024-07-10", "2025-01-10", "2026-01-10"]
    assert [r["principal"] for r in principal_rows] == ["200000.00", "300000.00", "500000.00"]
    assert "2024-03-20" in [r["due_date"] for r in body["rows"]]
    assert body["rows"][-1]["balance"] == "0.00"


BAD_TERMS = [
    ({"principal": "0"}, "principal"),
    ({"principal": "-100"}, "principal"),
    ({"principal": "abc"}, "principal"),
    ({"rate": "99"}, "rate"),
    ({"installments": 0}, "installments"),
    ({"first_due": "2022-10-01"}, "first_due"),
    ({"grace_principal": 18}, "grace_principal"),
    ({"installment_multiple": "0"}, "installment_multiple"),
    ({"principal": "1e999999"}, "principal"),  # would overflow Decimal in the engine
    ({"method": "balloon"}, "method"),
    ({"method": "stepped", "step_principal_percents": ["50", "40"]}, "step_principal_percents"),
    ({"step_payments": [{"periods": 18, "payment": "300"}]}, "method"),
    ({"due_dates": ["2023-02-01", "2023-01-01"], "installments": 0}, "due_dates"),
    ({"interest_dates": ["2022-10-01"]}, "interest_dates"),
    ({"frequency": "fortnightly-ish"}, "frequency"),
    ({"start": "2022-13-01"}, "start"),
    (
        {
            "rate_changes": [
                {"date": "2023-06-01", "rate": "10"},
                {"date": "2023-03-01", "rate": "9"},
            ]
        },
        "rate_changes[1]",
    ),
]


def check_schedule_bad_input_names_the_term(api):
    for patch, field in BAD_TERMS:
        assert_problem(api.post("/api/schedule", json={**ISSUE_TERMS, **patch}), field)


def check_schedule_missing_field_and_malformed_json(api):
    terms = dict(ISSUE_TERMS)
    del terms["principal"]
    assert_problem(api.post("/api/schedule", json=terms), "principal")
    response = api.post(
        "/api/schedule", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and response.json()["field"] == "body"


# --------------------------------------------------------------------------- pricing

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


def check_pricing_quote_floor_part_by_part_and_raroc(api):
    body = api.post("/api/pricing/quote", json=QUOTE).json()
    no_floats(body)
    parts = [Decimal(p["rate"]) for p in body["floor_parts"]]
    assert len(parts) == 4 and sum(parts) == Decimal(body["floor"])
    assert body["lpr"]["fixing_date"] == "2024-06-20"
    assert Decimal(body["offered_rate"]) == Decimal(body["lpr"]["one_year"]) + Decimal("0.002")
    assert Decimal(body["margin_over_floor"]) == Decimal(body["offered_rate"]) - Decimal(
        body["floor"]
    )
    assert body["meets_floor"] is (Decimal(body["margin_over_floor"]) >= 0)
    # the tech subsidy raises the branch's RAROC, never lowers the floor
    assert Decimal(body["raroc_with_subsidy"]) > Decimal(body["raroc_without_subsidy"])
    assert body["ftp"]["tech_subsidy"] != "0.000000"
    assert body["grade_adjustment"] == "-0.001000"
    no_tech = api.post("/api/pricing/quote", json={**QUOTE, "tech_loan": False}).json()
    assert no_tech["floor"] == body["floor"]
    assert no_tech["raroc_with_subsidy"] == no_tech["raroc_without_subsidy"]


def check_pricing_quote_fixed_rate(api):
    terms = {k: v for k, v in QUOTE.items() if k != "spread_bp"}
    body = api.post("/api/pricing/quote", json={**terms, "fixed_rate_percent": "3.9"}).json()
    assert body["offered_rate"] == "0.039000" and body["lpr"] is None
    assert body["rate_type"] == "fixed"


BAD_QUOTES = [
    ({"amount": "0"}, "amount"),
    ({"pd": "1.5"}, "pd"),
    ({"lgd": "-0.1"}, "lgd"),
    ({"grade": "A+"}, "grade"),
    ({"start": "2010-01-01"}, "start"),
    ({"fixed_rate_percent": "4"}, "fixed_rate_percent"),
    ({"tenor": "10y"}, "tenor"),
    ({"spread_bp": "-500"}, "spread_bp"),
    ({"term_months": 0}, "term_months"),
    ({"repricing_months": 0}, "repricing_months"),
]


def check_pricing_bad_input_names_the_field(api):
    for patch, field in BAD_QUOTES:
        assert_problem(api.post("/api/pricing/quote", json={**QUOTE, **patch}), field)


# --------------------------------------------------------------------------- working capital

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
    "term_months": 24,
}


def check_working_capital_step_by_step(api):
    body = api.post("/api/working-capital", json=WC).json()
    no_floats(body)
    assert body["basis_kind"] == "official" and body["rule_version"]
    steps = {s["name"]: s for s in body["steps"]}
    # receivable days on sales revenue, inventory days on cost of sales, both on averages
    assert steps["receivables days"]["value"] == "60.00"  # 360 × 6,000,000 ÷ 36,000,000
    assert steps["inventory days"]["value"] == "60.00"  # 360 × 4,500,000 ÷ 27,000,000
    assert "cost of sales" in steps["inventory days"]["formula"]
    assert Decimal(body["new_loan_need"]) == Decimal(body["working_capital"]) - 2000000
    assert body["term"]["allowed"] is True


def check_working_capital_startup_basis(api):
    body = api.post(
        "/api/working-capital",
        json={"basis": "startup", "confirmed_orders": "3000000", "equity_raised_recent": "8000000"},
    ).json()
    assert body["basis_kind"] == "startup" and set(body["bases"]) == {"orders", "equity_raised"}
    assert "not the §7c estimate" in body["basis"]
    assert Decimal(body["new_loan_need"]) == min(Decimal(v) for v in body["bases"].values())


BAD_SIZINGS = [
    ({"sales_revenue": "0"}, "sales_revenue"),
    ({"sales_margin": "-0.05"}, "sales_margin"),
    ({"inventory": ["100"]}, "inventory"),
    ({"inventory": ["100", "1e30"]}, "inventory"),
    ({"term_months": 72}, None),  # a term over the cap is reported, not an error
    ({"basis": "vibes"}, "basis"),
    ({"receivables": "lots"}, "receivables"),
]


def check_working_capital_bad_input_names_the_field(api):
    for patch, field in BAD_SIZINGS:
        response = api.post("/api/working-capital", json={**WC, **patch})
        if field is None:
            assert response.status_code == 200 and response.json()["term"]["allowed"] is False
        else:
            assert_problem(response, field)


def check_working_capital_startup_needs_a_basis(api):
    response = api.post("/api/working-capital", json={"basis": "startup"})
    assert_problem(response, "confirmed_orders, tax_declared_sales_12m, equity_raised_recent")
    response = api.post("/api/working-capital", json=["not", "an", "object"])
    assert response.status_code == 422 and response.headers["content-type"].startswith(PROBLEM)


# --------------------------------------------------------------------------- LPR


def check_lpr_in_force_on_a_date(api):
    body = api.get("/api/lpr", params={"date": "2024-07-21"}).json()
    assert body["fixing_date"] <= "2024-07-21"
    assert Decimal(body["one_year"]) * 100 == Decimal(body["one_year_percent"])
    on_day = api.get("/api/lpr", params={"date": body["fixing_date"]}).json()
    assert on_day["fixing_date"] == body["fixing_date"]


def check_lpr_bad_dates_name_the_field(api):
    assert_problem(api.get("/api/lpr", params={"date": "2019-01-01"}), "date")
    assert_problem(api.get("/api/lpr", params={"date": "2099-01-01"}), "date")
    assert_problem(api.get("/api/lpr", params={"date": "yesterday"}), "date")


# --------------------------------------------------------------------------- one database
# setup per endpoint (each runs on SQLite and PostgreSQL)


def test_catalogue_and_product_check(api):
    check_catalogue_lists_every_product_with_its_terms(api)
    check_product_check_says_which_qualify_and_why_not(api)
    check_product_check_bad_input_names_the_field(api)


def test_schedule(api):
    check_schedule_reproduces_the_issue_example_row(api)
    check_schedule_is_the_same_json_as_the_cli_contract(api)
    check_schedule_explicit_dates_stepped_and_interest_dates(api)
    check_schedule_bad_input_names_the_term(api)
    check_schedule_missing_field_and_malformed_json(api)


def test_pricing_quote(api):
    check_pricing_quote_floor_part_by_part_and_raroc(api)
    check_pricing_quote_fixed_rate(api)
    check_pricing_bad_input_names_the_field(api)


def test_working_capital(api):
    check_working_capital_step_by_step(api)
    check_working_capital_startup_basis(api)
    check_working_capital_bad_input_names_the_field(api)
    check_working_capital_startup_needs_a_basis(api)


def test_lpr(api):
    check_lpr_in_force_on_a_date(api)
    check_lpr_bad_dates_name_the_field(api)
