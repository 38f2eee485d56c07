"""Servicing: event replay vs a day-by-day close-of-business loop; warnings; register report.

Run: .venv/bin/python bench/servicing_replay.py [N]

N loans (default 1,000): 12-month annuities of 100,000–5,000,000 yuan at 2.5–6 % (ACT/360,
penalty markup 50 %), each installment paid 0–40 days late (a third on time), replayed to
30 days after maturity. Compared on the same loans:

- techfin `servicing.replay`: event-driven; penalty and compound interest accumulated exactly
  between events and rounded cumulatively once;
- a day-by-day close-of-business loop (the way Fineract-style COB jobs and frappe/lending's
  daily accrual documents work): every day posts a penalty and a compound amount rounded to the
  fen, then applies that day's payments in the same order (costs → penalty → compound →
  interest → principal).

Reports medians of 3 runs (ms per loan) and how often / by how much the day-by-day penalty
totals differ from the exact figure. Also: `warnings.evaluate` per borrower and
`credit_register_report.build_report` per record.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np

from techfin.credit.credit_register_report import build_report
from techfin.credit.schedule import Schedule, Terms, build
from techfin.credit.servicing import Contract, Disbursement, Event, Repayment, replay
from techfin.credit.warnings import MetricReading, SignalEvent, SignalsInput, evaluate

CENT = Decimal("0.01")
START = dt.date(2025, 1, 15)
MARKUP = Decimal("0.5")


def loans(n: int, seed: int = 7) -> list[tuple[Contract, Schedule, list[Event], dt.date]]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        principal = Decimal(int(rng.integers(1_000, 50_000))) * 100
        rate = Decimal(int(rng.integers(250, 600))) / 10000
        terms = Terms(principal=principal, annual_rate=rate, start=START, installments=12)
        schedule = build(terms)
        events: list[Event] = [Disbursement(f"d{i}", START, principal)]
        for k, row in enumerate(schedule.rows):
            late = 0 if rng.random() < 1 / 3 else int(rng.integers(1, 41))
            # Pay the installment plus a margin that covers the penalty; the rest is suspense.
            amount = row.payment + Decimal(int(rng.integers(0, 500)))
            events.append(Repayment(f"r{i}-{k}", row.due_date + dt.timedelta(days=late), amount))
        as_of = schedule.rows[-1].due_date + dt.timedelta(days=30)
        out.append((Contract(f"L{i}", terms, penalty_markup=MARKUP), schedule, events, as_of))
    return out


def day_by_day(
    schedule: Schedule, events: list[Event], as_of: dt.date, round_daily: bool = True
) -> Decimal:
    """Penalty total of a daily loop posting rounded amounts (the comparison approach).

    With ``round_daily=False`` the loop keeps exact amounts and rounds the running total
    (a check that it then agrees with techfin's replay)."""
    rate = schedule.terms.annual_rate * (1 + MARKUP)
    due = {r.due_date: r for r in schedule.rows}
    pays: dict[dt.date, Decimal] = {}
    for e in events:
        if isinstance(e, Repayment):
            pays[e.value_date] = pays.get(e.value_date, Decimal(0)) + e.amount
    overdue_p = overdue_i = pen = comp = suspense = Decimal(0)
    pen_total = comp_total = pen_num = comp_num = Decimal(0)
    day = START
    while day < as_of:
        row = due.get(day)
        if row is not None:
            overdue_p += row.principal
            overdue_i += row.interest
        money = pays.get(day, Decimal(0)) + suspense
        for bucket in ("pen", "comp", "i", "p"):
            owed = {"pen": pen, "comp": comp, "i": overdue_i, "p": overdue_p}[bucket]
            take = min(owed, money)
            money -= take
            if bucket == "pen":
                pen -= take
            elif bucket == "comp":
                comp -= take
            elif bucket == "i":
                overdue_i -= take
            else:
                overdue_p -= take
        suspense = money
        if round_daily:
            daily_pen = (overdue_p * rate / 360).quantize(CENT, ROUND_HALF_UP)
            daily_comp = (overdue_i * rate / 360).quantize(CENT, ROUND_HALF_UP)
            pen += daily_pen
            comp += daily_comp
            pen_total += daily_pen
        else:
            pen_num += overdue_p * rate
            comp_num += overdue_i * rate
            new_pen = (pen_num / 360).quantize(CENT, ROUND_HALF_UP)
            new_comp = (comp_num / 360).quantize(CENT, ROUND_HALF_UP)
            pen += new_pen - pen_total
            comp += new_comp - comp_total
            pen_total, comp_total = new_pen, new_comp
        day += dt.timedelta(days=1)
    return pen_total


def timed(fn: Callable[[], Any], runs: int = 3) -> tuple[float, Any]:
    times = []
    result: Any = None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    data = loans(n)
    print(f"{n} loans; {os.cpu_count()} CPUs, {cpu_model()}; {dt.date.today().isoformat()}")

    t_replay, states = timed(lambda: [replay(c, ev, a) for c, _, ev, a in data])
    t_daily, daily = timed(lambda: [day_by_day(s, ev, a) for _, s, ev, a in data])
    exact = [st.penalty_accrued_total for st in states]
    diffs = [abs(d - e) for d, e in zip(daily, exact, strict=True)]
    differ = sum(1 for d in diffs if d)
    cumulative = [day_by_day(s, ev, a, round_daily=False) for _, s, ev, a in data]
    agree = sum(1 for c, e in zip(cumulative, exact, strict=True) if c == e)
    print(f"day-by-day loop with cumulative rounding agrees with techfin on {agree}/{n} loans")
    print(f"techfin replay      : {t_replay / n * 1000:8.3f} ms/loan")
    print(
        f"day-by-day COB loop : {t_daily / n * 1000:8.3f} ms/loan"
        f"  (ratio {t_daily / t_replay:.2f}× techfin)"
    )
    print(
        f"penalty totals that differ from techfin's exact cumulative figure: {differ}/{n} "
        f"(max {max(diffs)} yuan, mean {statistics.fmean(float(d) for d in diffs):.4f})"
    )

    inputs = [
        SignalsInput(
            f"E{i}",
            dt.date(2026, 6, 30),
            metrics={
                "revenue": MetricReading(Decimal(600 + i % 500), Decimal(1000), Decimal(1100))
            },
            events=[SignalEvent("down_round", dt.date(2026, 5, 1))] if i % 3 == 0 else [],
        )
        for i in range(n * 10)
    ]
    t_warn, _ = timed(lambda: [evaluate(x) for x in inputs])
    print(f"warnings.evaluate   : {t_warn / len(inputs) * 1e6:8.1f} µs/borrower")

    records = [
        {
            "branch_code": "BJ001",
            "loan_id": st.loan_id,
            "contract_no": f"HT-{st.loan_id}",
            "borrower_uscc": "91350100M000100Y43",
            "borrower_name": "星河智能科技有限公司",
            "product_code": "credit_loan",
            "currency": "CNY",
            "disbursement_date": START,
            "maturity_date": dt.date(2026, 1, 15),
            "contract_amount": st.disbursed,
            "principal_balance": st.principal_outstanding,
            "overdue_principal": st.overdue_principal,
            "overdue_interest": st.interest_unpaid + st.penalty_interest + st.compound_interest,
            "days_past_due": st.days_past_due,
            "risk_class": "normal" if st.days_past_due == 0 else "special_mention",
            "guarantee_type": "credit",
            "renewal_flag": False,
            "restructured_flag": False,
            "first_loan_flag": False,
            "status": st.status.value,
        }
        for st in states
        if st.days_past_due <= 90
    ]
    as_of = states[0].as_of if states else START
    same_day = [r for r, st in zip(records, states, strict=False) if st.as_of == as_of]
    t_rep, text = timed(lambda: build_report(same_day, as_of))
    print(
        f"build_report        : {t_rep / max(1, len(same_day)) * 1e6:8.1f} µs/record "
        f"({len(same_day)} records, {len(text)} characters)"
    )


if __name__ == "__main__":
    main()
