"""Rating features from hub records: throughput of the pure kernel (no peer library computes
this catalogue; the figure is for capacity planning).

    .venv/bin/python bench/rating_platform_features.py [--enterprises 2000] [--patents 100000]
        [--database URL]   # also time the service over a hub (after `techfin demo load`)

Prints medians over repeats: enterprises per second of `compute_features`, seconds to build
the patent cohorts, and (with --database) enterprises per second of `all_features`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time
from decimal import Decimal

from techfin.enterprises import features as F

AS_OF = dt.date(2026, 10, 31)


def _patents(rng: random.Random, n: int) -> list[F.PatentFacts]:
    out = []
    for i in range(n):
        filed = dt.date(rng.randint(2008, 2024), rng.randint(1, 12), rng.randint(1, 28))
        granted = filed + dt.timedelta(days=rng.randint(300, 1500)) if rng.random() < 0.8 else None
        row = {
            "number": f"P{i}",
            "kind": rng.choice(["invention", "invention", "utility", "design"]),
            "filed_on": filed,
            "granted_on": granted if granted and granted <= AS_OF else None,
            "status": rng.choice(["in_force", "in_force", "lapsed", ""]),
            "ipc": rng.choice(["G06F 16/00", "H04L 9/00;G06F 21/00", "A61K 31/00", "C07D 1/00"]),
            "claims": rng.randint(1, 30),
            "forward_citations": rng.randint(0, 20),
        }
        out.append(F.patent_facts(row, AS_OF))
    return out


def _records(rng: random.Random, patents: list[F.PatentFacts]) -> F.EnterpriseRecords:
    def m(x: float) -> Decimal:
        return Decimal(f"{x:.2f}")

    quarters = [f"{y}Q{q}" for y in (2024, 2025, 2026) for q in (1, 2, 3, 4)][:11]
    return F.EnterpriseRecords(
        registered_on=dt.date(rng.randint(2005, 2024), 6, 1),
        financials=[
            {
                "year": y,
                "revenue": m(rng.uniform(1e6, 5e8)),
                "net_profit": m(rng.uniform(-1e7, 3e7)),
                "total_assets": m(rng.uniform(1e6, 5e8)),
                "total_liabilities": m(rng.uniform(1e5, 3e8)),
                "rd_expense": m(rng.uniform(1e5, 5e7)),
                "employees": rng.randint(10, 2000),
                "tech_staff": rng.randint(1, 500),
            }
            for y in (2023, 2024, 2025)
        ],
        social_security=[{"quarter": q, "insured_staff": rng.randint(10, 2000)} for q in quarters],
        tax=[
            {
                "quarter": q,
                "vat": m(rng.uniform(0, 1e6)),
                "cit": m(rng.uniform(0, 5e5)),
                "declared_revenue": m(rng.uniform(1e5, 1e8)),
                "tax_credit_grade": "A",
            }
            for q in quarters
        ],
        customs=[
            {"quarter": q, "exports": m(rng.uniform(0, 1e7)), "imports": None} for q in quarters
        ],
        patents=rng.sample(patents, rng.randint(0, 40)),
        funding_rounds=[
            {"closed_on": dt.date(2024, 5, 1), "amount": m(3e7), "lead_investor": "红杉资本"}
        ],
        credit_loans=[{"lender": "工商银行", "balance": m(5e6), "classification": "normal"}],
        court=[],
        titles=[
            {"title": "hnte", "valid_from": dt.date(2024, 1, 1), "valid_to": dt.date(2027, 1, 1)}
        ],
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=2000)
    ap.add_argument("--patents", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--database", default=None)
    a = ap.parse_args()
    rng = random.Random(20261127)
    patents = _patents(rng, a.patents)
    build = []
    for _ in range(a.repeats):
        t = time.perf_counter()
        cohorts = F.Cohorts.build(patents)
        build.append(time.perf_counter() - t)
    print(f"cohorts over {a.patents} patents: median {statistics.median(build):.3f} s")
    records = [_records(rng, patents) for _ in range(a.enterprises)]
    rates = []
    for _ in range(a.repeats):
        t = time.perf_counter()
        for r in records:
            F.compute_features(r, AS_OF, cohorts)
        rates.append(a.enterprises / (time.perf_counter() - t))
    print(f"compute_features: median {statistics.median(rates):,.0f} enterprises/s")
    if a.database:
        from techfin.services import rating_features
        from techfin.services.context import Actor
        from techfin.store.db import Database

        db = Database(a.database)
        svc = []
        for _ in range(max(1, a.repeats // 2)):
            t = time.perf_counter()
            n = len(rating_features.all_features(db, Actor.system("bench"), AS_OF))
            svc.append(n / (time.perf_counter() - t))
        print(f"all_features over {n} hub enterprises: median {statistics.median(svc):,.0f} /s")


if __name__ == "__main__":
    main()
