"""The domain steps of the day-end flow (issue 9 item 8), without database or web:
disbursed loan → repayment → overdue → replay on the day-end date → classification floor
raised → early warning → task."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from techfin.credit.classification import RiskClass
from techfin.credit.schedule import Terms, build
from techfin.credit.servicing import Contract, Disbursement, Event, Repayment, replay
from techfin.credit.warnings import SignalsInput, evaluate

START = dt.date(2025, 1, 15)
TERMS = Terms(principal=D("120000.00"), annual_rate=D("0.06"), start=START, installments=12)
CONTRACT = Contract("L-1", TERMS)
ROWS = build(TERMS).rows
EVENTS: list[Event] = [
    Disbursement("d", START, D("120000.00")),
    Repayment("r1", ROWS[0].due_date, ROWS[0].payment),  # installment 1 on time
]


def _day_end(day: dt.date) -> tuple[RiskClass, int, str, set[str]]:
    state = replay(CONTRACT, EVENTS, day)
    floor = state.classify()
    warning = evaluate(SignalsInput("E-1", day, days_past_due=state.days_past_due))
    return floor.value, warning.score, warning.level, {t.task for t in warning.tasks}


def test_overdue_raises_the_floor_and_a_warning_with_a_task() -> None:
    """Installment 2 (due 2025-03-15) is never paid."""
    assert _day_end(dt.date(2025, 3, 15)) == (RiskClass.NORMAL, 0, "green", set())
    floor, score, level, tasks = _day_end(dt.date(2025, 3, 16))  # 1 day past due
    assert floor is RiskClass.SPECIAL_MENTION
    assert (score, level) == (10, "green")
    assert "collection_call" in tasks
    floor, score, level, tasks = _day_end(dt.date(2025, 4, 14))  # 30 days
    assert (floor, score, level) == (RiskClass.SPECIAL_MENTION, 25, "yellow")
    assert {"collection_call", "desk_review"} <= tasks
    floor, score, level, tasks = _day_end(dt.date(2025, 6, 14))  # 91 days
    assert (floor, score, level) == (RiskClass.SUBSTANDARD, 50, "orange")
    assert {"site_visit", "watch_list"} <= tasks


@given(st.integers(0, 500), st.integers(0, 500))
def test_floor_and_warning_never_improve_as_the_loan_stays_unpaid(a: int, b: int) -> None:
    """Nothing paid after installment 1: a later day-end is never better."""
    early, late = sorted((a, b))
    d1 = ROWS[1].due_date + dt.timedelta(days=early)
    d2 = ROWS[1].due_date + dt.timedelta(days=late)
    f1, s1, _, _ = _day_end(d1)
    f2, s2, _, _ = _day_end(d2)
    assert f2.rank >= f1.rank
    assert s2 >= s1
