"""Browser test: headless Chromium opens an enterprise's rating page against a real server,
rates it, and checks that the ECharts radar chart drew on its canvas."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from rp_world import PASSWORD, build_world

from techfin.store.db import Database
from techfin.store.migrate import upgrade

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="Debian's chromium is not installed (scripts/test.sh installs it)",
    ),
]
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'rating_browser.sqlite3'}"
    db = Database(url)
    upgrade(db.engine)
    world = build_world(db)
    db.dispose()
    port = _free_port()
    env = {**os.environ, "TECHFIN_DATABASE_URL": url, "TECHFIN_SECRET_KEY": "browser-test"}
    process = subprocess.Popen(
        [sys.executable, "-m", "techfin", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError(
            process.stderr.read().decode() if process.stderr else "server did not start"
        )
    yield base, world.enterprise_id
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        yield context.new_page()
        context.close()
        browser.close()


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
