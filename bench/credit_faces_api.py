"""Benchmark: what the credit faces add on top of the domain code.

Run: .venv/bin/python bench/credit_faces_api.py [--requests 300]

For the same terms, side by side in one run:

1. the domain call alone: ``build(terms).to_dict()`` (the schedule engine, Decimal, with the
   IRR), ``price_loan``, ``eligible_products``;
2. the face without HTTP: ``parse(ScheduleIn, body)`` → ``compute_schedule`` → ``schedule_json``
   (what the page and the CLI call);
3. ``POST /api/schedule`` through FastAPI's in-process TestClient with a bearer token looked up
   in a SQLite database (routing, auth, pydantic, JSON) — no network;
4. the same for ``POST /api/pricing/quote`` and ``POST /api/products/check`` against their
   domain calls.

Medians of per-call times (ms) and the ratio face ÷ domain. The requests are bounded in count
and stay inside this process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

os.environ.setdefault("TECHFIN_FAST_PASSWORD_HASH", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "credit_faces"))

SCHEDULES = {
    "annuity 18 m": {
        "principal": "5000",
        "rate": "12",
        "installments": 18,
        "start": "2022-11-01",
    },
    "equal-principal 60 m, quarterly int., subsidy": {
        "principal": "3000000",
        "rate": "4.35",
        "installments": 60,
        "start": "2024-01-10",
        "method": "equal-principal",
        "settle_interest": "quarterly",
        "subsidy_share": "50",
    },
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
PROFILE = {
    "titles": ["hnte"],
    "grade": "T3",
    "size": "small",
    "years_operating": 3,
    "features": ["pledgeable_ip"],
    "requested_amount": "2000000",
    "requested_term_months": 12,
}


def median_ms(fn: Callable[[], Any], n: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    n = parser.parse_args().requests

    from credit_faces_world import app_client, bearer

    from techfin.api.credit import (
        ProfileIn,
        QuoteIn,
        ScheduleIn,
        check_products,
        compute_schedule,
        parse,
        quote_loan,
        schedule_json,
        schedule_terms,
    )
    from techfin.credit.pricing import FloatingRate, price_loan
    from techfin.credit.products import EnterpriseProfile, eligible_products
    from techfin.credit.schedule import build
    from techfin.store.db import Database
    from techfin.store.migrate import upgrade

    tmp = tempfile.mkdtemp()
    db = Database(f"sqlite:///{tmp}/bench.sqlite3")
    upgrade(db.engine)
    client = app_client(db)
    client.headers.update(bearer(client))

    print(f"credit faces benchmark — {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"CPU: {cpu_model()}, nproc {os.cpu_count()}, load {os.getloadavg()[0]:.1f}")
    print(f"{n} calls each; median ms per call\n")
    header = f"{'case':56} {'domain':>8} {'face':>8} {'HTTP':>8} {'HTTP/dom':>9}"
    print(header)
    print("-" * len(header))

    def row(name: str, domain: float, face: float, http: float) -> None:
        print(f"{name:56} {domain:8.3f} {face:8.3f} {http:8.3f} {http / domain:8.1f}x")

    for name, body in SCHEDULES.items():
        terms = schedule_terms(parse(ScheduleIn, body))
        response = client.post("/api/schedule", json=body)
        assert response.status_code == 200, response.text
        assert response.json() == schedule_json(build(terms))  # same answer on every path
        row(
            f"schedule: {name}",
            median_ms(lambda t=terms: build(t).to_dict(), n),
            median_ms(lambda b=body: schedule_json(compute_schedule(parse(ScheduleIn, b))), n),
            median_ms(lambda b=body: client.post("/api/schedule", json=b), n),
        )

    rate = FloatingRate(Decimal(20))
    row(
        "pricing quote",
        median_ms(
            lambda: price_loan(
                amount=Decimal(5000000),
                term_months=12,
                rate=rate,
                start=dt.date(2024, 6, 30),
                pd=Decimal("0.02"),
                lgd=Decimal("0.45"),
                tech_loan=True,
                grade="T3",
            ),
            n,
        ),
        median_ms(lambda: quote_loan(parse(QuoteIn, QUOTE)), n),
        median_ms(lambda: client.post("/api/pricing/quote", json=QUOTE), n),
    )
    profile = EnterpriseProfile(
        titles=frozenset({"hnte"}),
        grade="T3",
        size="small",
        years_operating=3,
        features=frozenset({"pledgeable_ip"}),
        requested_amount=Decimal(2000000),
        requested_term_months=12,
    )
    row(
        "product check (10 products)",
        median_ms(lambda: eligible_products(profile), n),
        median_ms(lambda: check_products(parse(ProfileIn, PROFILE)), n),
        median_ms(lambda: client.post("/api/products/check", json=PROFILE), n),
    )
    baseline = median_ms(lambda: client.get("/api/me"), n)
    print(
        f"\nbaseline GET /api/me (bearer token lookup + TestClient, no credit code): {baseline:.3f}"
    )
    db.dispose()


if __name__ == "__main__":
    main()
