"""Browser test: headless Chromium opens an enterprise's rating page against a real server,
rates it, and checks that the ECharts radar chart drew on its canvas."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rp_world import PASSWORD, build_world

from techfin.store.db import Database
from techfin.store.migrate import upgrade

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path: Path, live_server):
    url = f"sqlite:///{tmp_path / 'rating_browser.sqlite3'}"
    db = Database(url)
    upgrade(db.engine)
    world = build_world(db)
    db.dispose()
    base = live_server(url)
    yield base, world.enterprise_id


@pytest.fixture
def page(chromium_page):
    return chromium_page


# Count canvas pixels that are not fully transparent: > 0 once ECharts has drawn the radar.
DRAWN_PIXELS = """() => {
  const c = document.querySelector('#radar-chart canvas');
  if (!c) return -1;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
  return n;
}"""


def test_rating_page_draws_the_radar_chart(server, page):
    base, eid = server
    page.goto(base + "/login")
    page.fill("#username", "a_am")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#home-title")
    page.goto(f"{base}/rating/enterprises/{eid}")
    page.wait_for_selector("#no-rating")
    page.click("#rate-now")
    page.wait_for_selector("#grade")
    assert page.locator("#grade").inner_text().startswith("T")
    page.wait_for_selector("#radar-chart canvas")
    page.wait_for_function(f"({DRAWN_PIXELS})() > 500")
    assert page.evaluate(DRAWN_PIXELS) > 500
    assert page.locator("#history tbody tr").count() == 1
    page.screenshot(
        path=str(Path(os.environ.get("TMPDIR", "/tmp")) / "rating_page.png"), full_page=True
    )
