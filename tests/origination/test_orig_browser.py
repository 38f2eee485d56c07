"""In a real headless Chromium, through the pages: apply → review → expert opinions → approve →
contract → condition met → disbursement check → disbursed (a loan with its schedule)."""

from __future__ import annotations

from pathlib import Path

import pytest
from orig_world import PASSWORD, build_orig_world

from techfin.store.db import Database
from techfin.store.migrate import upgrade

pytestmark = pytest.mark.browser


@pytest.fixture
def orig_server(tmp_path: Path, live_server):
    url = f"sqlite:///{tmp_path / 'orig.sqlite3'}"
    db = Database(url)
    upgrade(db.engine)
    world = build_orig_world(db)
    db.dispose()
    base = live_server(url)
    yield base, world


@pytest.fixture
def orig_page(chromium_page):
    return chromium_page


def login(page, base: str, username: str, target: str) -> None:
    if page.locator("#logout").count():
        page.click("#logout")
        page.wait_for_selector("#login-submit")
    page.goto(base + "/login?next=" + target)
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_load_state()


def text(page, selector: str) -> str:
    return page.locator(selector).inner_text().strip()


def test_apply_to_disbursed_through_the_pages(orig_server, orig_page):
    base, world = orig_server
    page = orig_page
    login(page, base, "a_am", "/origination")
    page.click("#orig-new")
    page.fill("#enterprise_id", str(world.enterprise_id))
    page.select_option("#product_code", "ip_pledge_loan")
    page.fill("#amount", "2000000")
    page.fill("#term_months", "12")
    page.check("#g_pledge")
    page.fill("#ip_patent", "ZL202110000000.X")
    page.fill("#ip_appraised_value", "8000000")
    page.click("#orig-open")
    page.wait_for_selector("#app-status")
    app_url = page.url
    assert text(page, "#app-status") == "草稿"
    assert text(page, "#app-channel") == "科技专营"
    assert "investigation report" in text(page, "#missing")
    page.click("#submit-app")  # incomplete: refused with the missing items
    assert "investigation report" in text(page, "p.error")
    page.fill("#investigation_report", "实地走访：订单饱满，研发团队稳定")
    page.fill("#m_revenue", "2026 年营收不低于 4000 万元")
    page.fill("#m_revenue_due", "2027-03-31")
    page.click("#save-file")
    page.wait_for_selector("#submit-app")
    assert page.locator("#missing").count() == 0
    page.click("#submit-app")
    assert text(page, "#app-status") == "待审查"

    login(page, base, "a_reviewer", "/origination")
    page.click("#orig-queue a.queue-link")
    page.fill("#opinion", "技术先进，第一还款来源充足")
    page.click("#review-submit")
    assert text(page, "#app-status") == "专家咨询中"
    page.click("#draw-experts")
    names = page.locator("#experts tbody tr td:first-child").all_inner_texts()
    assert len(names) == 3

    for name in names:
        login(page, base, name, "/origination")
        page.click("#orig-queue a.queue-link")
        page.fill("#score", "80")
        page.fill("#expert-opinion", "核心专利有效，技术领先")
        page.click("#opinion-submit")
        page.wait_for_selector("#app-status")
    assert text(page, "#app-status") == "待审批"

    login(page, base, "a_bj_approver", app_url.removeprefix(base))
    assert "支持" in text(page, "#expert-advice")
    page.select_option("#decision-kind", "approve")
    page.fill("#decision-reason", "专家一致支持，质押充足")
    page.click("#decision-submit")
    assert text(page, "#app-status") == "已批准"

    login(page, base, "a_am", app_url.removeprefix(base))
    page.click("#make-contract")
    assert text(page, "#app-status") == "已签合同"
    page.click("#request-disbursement")  # blocked: the pledge is not registered yet
    assert "conditions" in text(page, "p.error")
    cond = page.locator("#conditions button").first.get_attribute("id").removeprefix("meet-")
    page.fill(f"#evidence-{cond}", "质押登记通知书 2026-0001")
    page.click(f"#meet-{cond}")
    assert text(page, f"#cond-{cond}-status") == "已满足"
    page.click("#request-disbursement")
    assert "待审核" in text(page, "#disbursements")

    login(page, base, "a_risk", app_url.removeprefix(base))
    button = page.locator("#disbursements button").first
    did = button.get_attribute("id").removeprefix("check-")
    page.fill(f"#check-reason-{did}", "合同、登记、用途资料齐全")
    button.click()
    assert text(page, "#app-status") == "已放款"
    assert page.locator("#loan-schedule tbody tr").count() == 12
