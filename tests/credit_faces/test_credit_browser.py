"""Browser test: a real headless Chromium logs in, opens the loan calculator, recalculates
through HTMX (no full reload), sees the chart drawn and an error next to the field; and the
catalogue page lists the products. Against a real server process."""

from __future__ import annotations

from pathlib import Path

import pytest
from credit_faces_world import PASSWORD, build_users

from techfin.store.db import Database
from techfin.store.migrate import upgrade

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path: Path, live_server):
    url = f"sqlite:///{tmp_path / 'credit-browser.sqlite3'}"
    db = Database(url)
    upgrade(db.engine)
    build_users(db)
    db.dispose()
    base = live_server(url)
    yield base


@pytest.fixture
def page(chromium_page):
    return chromium_page


def test_calculator_and_catalogue_in_a_browser(server, page):
    page.goto(server + "/calculator")
    page.fill("#username", "c_am")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#schedule-table")
    page.wait_for_selector("#schedule-chart canvas")  # ECharts drew the chart
    first = page.locator("#schedule-table tbody tr").first.locator("td")
    assert first.nth(3).inner_text() == "255.00" and first.nth(6).inner_text() == "4745.00"
    # mark the window: an HTMX swap keeps it, a full reload would lose it
    page.evaluate("window.__noReload = true")
    page.fill("#f-installments", "6")
    page.click("#calculate")
    page.wait_for_function("document.querySelectorAll('#schedule-table tbody tr').length === 6")
    assert page.evaluate("window.__noReload") is True
    page.wait_for_selector("#schedule-chart canvas")
    assert "installments=6" in page.url  # the URL can be shared
    page.fill("#f-principal", "-1")
    page.click("#calculate")
    page.wait_for_selector("#error-principal")
    assert "principal" in page.locator("#error-principal").inner_text()
    assert page.locator("#schedule-table").count() == 0
    assert page.evaluate("window.__noReload") is True

    # the catalogue, through the nav link
    page.click("nav a[href='/products']")
    page.wait_for_selector("#products-summary")
    assert page.locator("section.product").count() >= 10
    assert "科技信用贷" in page.locator("#product-credit_loan h2").inner_text()
    # the product check answers in place
    page.evaluate("window.__noReload = true")
    page.check("input[name=titles][value=hnte]")
    page.select_option("#p-grade", "T7")
    page.fill("#p-years", "3")
    page.click("#check-products")
    page.wait_for_selector("#check-table")
    assert page.evaluate("window.__noReload") is True
    assert "T7" in page.locator("#check-credit_loan").inner_text()
