"""The credit pages: the catalogue and the loan calculator (table, chart data, HTMX partial,
errors next to the field), login required."""

from __future__ import annotations

import json
import re

import pytest
from credit_faces_world import app_client, login


@pytest.fixture
def anonymous(db):
    return app_client(db)


@pytest.fixture
def browser(anonymous):
    login(anonymous, "en")
    return anonymous


def test_pages_need_a_login(anonymous):
    for path in ("/products", "/calculator", "/calculator?principal=1000"):
        response = anonymous.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=")


def check_catalogue_page_shows_every_product(browser):
    response = browser.get("/products")
    assert response.status_code == 200
    html = response.text
    api = browser.get("/api/products")  # session cookie is not a bearer token
    assert api.status_code == 401
    for code in ("credit_loan", "ip_pledge_loan", "revolving_line", "tech_ma_loan"):
        assert f'id="product-{code}"' in html
    assert 'id="products-summary"' in html and 'id="catalogue-version"' in html
    section = html.split('id="product-credit_loan"')[1].split("</section>")[0]
    assert "Credit (unsecured)" in section  # guarantee type
    assert "High-tech enterprise" in section and "Little giant" in section  # eligible titles
    assert "T6" in section  # worst grade served
    assert "100,000.00 – 10,000,000.00" in section  # amount limits
    assert "1 – 36" in section  # term limits
    assert "LPR + spread" in section and "-30 … 150 bp" in section  # pricing rule
    assert 'class="risk-sharing">Yes' in section
    ma = html.split('id="product-tech_ma_loan"')[1].split("</section>")[0]
    assert "acquisition price" in ma
    assert 'href="/calculator"' in html  # nav link


def check_catalogue_page_in_chinese(browser):
    browser.get("/lang/zh?next=/products")
    html = browser.get("/products").text
    assert "科技信用贷" in html and "信贷产品" in html and "风险分担" in html
    assert "高新技术企业" in html and "等额本息" in html


def check_calculator_defaults_to_the_issue_example(browser):
    response = browser.get("/calculator")
    assert response.status_code == 200
    html = response.text
    assert 'id="calculator-form"' in html and 'hx-get="/calculator"' in html
    assert "/static/vendor/echarts.min.js" in html
    first = re.search(r"<tbody><tr>(.*?)</tr>", html.split('id="schedule-table"')[1]).group(1)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", first)
    assert cells == ["1", "2022-12-01", "30", "255.00", "50.00", "305.00", "4745.00"]
    chart = json.loads(re.search(r'id="schedule-chart-data">(.*?)</script>', html, re.S).group(1))
    assert len(chart["principal"]) == 18 and chart["balance"][-1] == 0
    assert chart["principal"][0] == 255 and chart["interest"][0] == 50


def check_calculator_submitted_terms_and_htmx_partial(browser):
    params = {
        "principal": "120000",
        "rate": "6",
        "installments": "12",
        "frequency": "quarterly",
        "start": "2024-01-15",
        "method": "equal-principal",
        "interest_basis": "act-360",
        "rounding": "half-up",
        "decimals": "2",
        "installment_multiple": "1",
        "grace_principal": "0",
        "grace_interest": "0",
        "interest_free": "0",
        "rate_changes": "2025-01-15=5.5",
        "subsidy_share": "50",
        "subsidy_payer": "district",
    }
    full = browser.get("/calculator", params=params)
    assert full.status_code == 200 and "<html" in full.text
    assert full.text.count('<tr><td class="num">') == 12
    assert 'id="total-principal">120,000.00' in full.text
    assert "Borrower pays" in full.text  # the subsidy columns
    partial = browser.get("/calculator", params=params, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "<html" not in partial.text and partial.text.lstrip().startswith('<div id="calculator">')
    assert 'id="schedule-table"' in partial.text and 'id="schedule-chart-data"' in partial.text
    assert 'value="2025-01-15=5.5"' in partial.text or "2025-01-15=5.5" in partial.text


BAD_TERMS = [
    ({"principal": "0"}, "principal"),
    ({"rate": "99"}, "rate"),
    ({"installments": "0"}, "installments"),
    ({"first_due": "2022-10-01"}, "first_due"),
    ({"installment_multiple": "0"}, "installment_multiple"),
    ({"rate_changes": "next year"}, "rate_changes"),
    ({"grace_principal": "40"}, "grace_principal"),
    ({"method": "balloon"}, "method"),
]


def check_calculator_errors_are_shown_next_to_the_field(browser):
    for patch, field in BAD_TERMS:
        params = {"principal": "5000", "rate": "12", "installments": "18", "start": "2022-11-01"}
        params.update(patch)
        full = browser.get("/calculator", params=params)
        assert full.status_code == 422, field
        assert f'id="error-{field}"' in full.text and 'id="calc-error"' in full.text
        assert 'id="schedule-table"' not in full.text
        partial = browser.get("/calculator", params=params, headers={"HX-Request": "true"})
        assert partial.status_code == 200  # htmx swaps only 2xx
        assert f'id="error-{field}"' in partial.text
        assert f'<label class="invalid" for="f-{field}">' in partial.text, field
        assert f'aria-describedby="error-{field}"' in partial.text
    # user input echoed in an error is escaped
    params = {"principal": "5000", "rate": "12", "installments": "18", "start": "2022-11-01"}
    evil = browser.get("/calculator", params={**params, "rate_changes": "<script>x()</script>"})
    assert "<script>x()" not in evil.text and "&lt;script&gt;x()" in evil.text


def test_catalogue_page(browser):
    check_catalogue_page_shows_every_product(browser)
    check_catalogue_page_in_chinese(browser)


def test_calculator_page(browser):
    check_calculator_defaults_to_the_issue_example(browser)
    check_calculator_submitted_terms_and_htmx_partial(browser)
    check_calculator_errors_are_shown_next_to_the_field(browser)


def test_product_check_on_the_catalogue_page(browser):
    page = browser.get("/products").text
    assert 'id="product-check-form"' in page and 'hx-get="/products/check"' in page
    params = [
        ("titles", "hnte"),
        ("grade", "T3"),
        ("size", "small"),
        ("years_operating", "3"),
        ("features", "pledgeable_ip"),
        ("requested_amount", "2000000"),
        ("requested_term_months", "12"),
    ]
    partial = browser.get("/products/check", params=params, headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.text
    row = partial.text.split('id="check-credit_loan"')[1].split("</tr>")[0]
    assert "tag yes" in row and "10,000,000.00" in row
    row = partial.text.split('id="check-talent_loan"')[1].split("</tr>")[0]
    assert "tag no" in row and "recognised talent programme" in row
    worse = [(k, "T9" if k == "grade" else v) for k, v in params]
    full = browser.get("/products/check", params=worse)
    assert full.status_code == 200 and 'id="products-summary"' in full.text
    row = full.text.split('id="check-credit_loan"')[1].split("</tr>")[0]
    assert "grade T9 is worse than the product&#39;s T6" in row
    assert "<option selected>T9</option>" in full.text  # the form keeps its values
    bad = browser.get("/products/check", params=[("years_operating", "many")])
    assert bad.status_code == 422 and 'id="check-error"' in bad.text
    assert "years_operating" in bad.text
    bad = browser.get("/products/check", params=[("grade", "T99")], headers={"HX-Request": "true"})
    assert bad.status_code == 200 and "grade:" in bad.text
