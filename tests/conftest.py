"""Test configuration shared by the whole suite.

Hypothesis runs derandomised with a bounded number of examples in CI (CI=true) so that the
suite is repeatable and finishes in bounded time; locally it explores more.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Cheap argon2 parameters for the many test users (see techfin.services.security).
os.environ.setdefault("TECHFIN_FAST_PASSWORD_HASH", "1")

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

# --- databases: every storage and service test runs on SQLite and on PostgreSQL ----------------

import shutil  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

PG_ADMIN_URL = os.environ.get(
    "TECHFIN_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _pg_available() -> str | None:
    """None when PostgreSQL answers, else the reason."""
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"PostgreSQL at {PG_ADMIN_URL} does not answer ({type(exc).__name__})"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is much faster)."""
    from techfin.store.db import make_engine
    from techfin.store.migrate import upgrade

    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A freshly created PostgreSQL database for this run, migrated, dropped at the end."""
    import sqlalchemy as sa

    from techfin.store.db import make_engine
    from techfin.store.migrate import upgrade

    reason = _pg_available()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true needs PostgreSQL: {reason}")
        pytest.skip(reason)
    name = f"techfin_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_pg(url: str) -> None:
    """Empty every table and restart every sequence. DELETE in reverse dependency order is
    about twenty times faster than one TRUNCATE of seventy tables for these small test sets."""
    import sqlalchemy as sa

    from techfin.store.models import Base

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        sequences = (
            conn.execute(
                sa.text(
                    "SELECT sequence_name FROM information_schema.sequences "
                    "WHERE sequence_schema = 'public'"
                )
            )
            .scalars()
            .all()
        )
        if sequences:
            conn.execute(
                sa.text("; ".join(f'ALTER SEQUENCE "{name}" RESTART' for name in sequences))
            )
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    """A migrated, empty database: SQLite and PostgreSQL in turn."""
    from techfin.store.db import Database

    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "techfin.sqlite3"
        shutil.copy(template, path)
        database = Database(f"sqlite:///{path}")
    else:
        url: str = request.getfixturevalue("pg_database")
        _truncate_pg(url)
        database = Database(url)
    yield database
    database.dispose()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "db" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


# --- browser tests: a real server process and Debian's headless Chromium ----------------------

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


def chromium_path() -> str | None:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    return found


@pytest.fixture
def live_server():
    """Start `techfin serve` on a free port against a database URL; yields a starter that
    returns the base URL. The process is stopped at the end of the test."""
    import socket
    import subprocess
    import sys
    import time

    import httpx

    processes: list[subprocess.Popen[bytes]] = []

    def start(database_url: str) -> str:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        env = {
            **os.environ,
            "TECHFIN_DATABASE_URL": database_url,
            "TECHFIN_SECRET_KEY": "browser-test",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "techfin", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        processes.append(process)
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    return base
            except httpx.HTTPError:
                time.sleep(0.2)
        process.kill()
        raise RuntimeError(
            process.stderr.read().decode() if process.stderr else "server did not start"
        )

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def chromium_page():
    """A fresh page in Debian's headless Chromium driven by Playwright."""
    path = chromium_path()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true needs Debian's chromium (scripts/test.sh installs it)")
        pytest.skip("Debian's chromium is not installed (scripts/test.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        context = browser.new_context()
        yield context.new_page()
        context.close()
        browser.close()
