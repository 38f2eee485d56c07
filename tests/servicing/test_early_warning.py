"""Post-loan early warning (issue 9 item 6): rules as data, score, level, evidence, tasks."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from techfin.credit.warnings import (
    MetricReading,
    Milestone,
    SignalEvent,
    SignalsInput,
    Warning,
    evaluate,
    load_rules,
)

AS_OF = dt.date(2026, 6, 30)


def test_quiet_borrower_is_green_and_lists_missing_inputs() -> None:
    w = evaluate(SignalsInput("E0", AS_OF))
    assert isinstance(w, Warning)
    assert (w.score, w.level, w.fired, w.tasks) == (0, "green", (), ())
    assert ("headcount_drop", "no headcount reading") in w.not_evaluated
    assert w.rule_version == load_rules(AS_OF).version


def test_every_rule_names_its_source_data() -> None:
    rules = load_rules()
    assert rules.rules and all(r.source_data.strip() for r in rules.rules)
    kinds = {r.event for r in rules.rules if r.kind == "event"}
    assert {
        "ip_lapse",
        "ip_invalidation",
        "ip_pledge_transfer",
        "dishonest_debtor",
        "enforcement",
        "overdue_other_bank",
        "npl_other_bank",
        "funds_off_purpose",
        "follow_on_round",
        "down_round",
        "investor_exit",
    } <= kinds
    metrics = {r.metric for r in rules.rules if r.kind == "drop"}
    assert {"headcount", "revenue", "tax_paid", "power_use", "customs_value"} <= metrics


def test_drops_pick_the_highest_band_with_evidence() -> None:
    """Revenue 1,000 → 600 is a 40 % quarter-over-quarter drop (band ≥ 30 %: 10 points);
    1,100 → 600 year over year is 45.5 % (band ≥ 40 %: 25 points). Headcount 100 → 81 is a
    19 % drop: below the 20 % band, nothing fires. Total 35 → yellow."""
    w = evaluate(
        SignalsInput(
            "E1",
            AS_OF,
            metrics={
                "revenue": MetricReading(D(600), D(1000), D(1100)),
                "headcount": MetricReading(D(81), D(100)),
            },
        )
    )
    fired = {f.code: f for f in w.fired}
    assert set(fired) == {"revenue_drop_qoq", "revenue_drop_yoy"}
    assert fired["revenue_drop_qoq"].weight == 10
    assert fired["revenue_drop_yoy"].weight == 25
    assert "45.5 %" in fired["revenue_drop_yoy"].evidence
    assert (w.score, w.level) == (35, "yellow")
    tasks = {t.task: t for t in w.tasks}
    assert tasks["cash_flow_review"].due_on == AS_OF + dt.timedelta(days=15)
    assert tasks["desk_review"].because == "level yellow"


def test_events_in_window_co_investor_news_and_red_level() -> None:
    """Dishonesty listing (40) + NPL at another bank (40) + down round (15) = 95 → red with
    the red tasks; an enforcement hit older than the 180-day window does not count; a
    follow-on round (−10) lowers the score."""
    events = [
        SignalEvent("dishonest_debtor", dt.date(2026, 6, 1), "case 2026-xx", "court"),
        SignalEvent("npl_other_bank", dt.date(2026, 5, 15), "Bank B substandard", "register"),
        SignalEvent("down_round", dt.date(2026, 4, 1), "B round −30 %", "Fund X"),
        SignalEvent("enforcement", dt.date(2025, 12, 1), "old case", "court"),
    ]
    w = evaluate(SignalsInput("E2", AS_OF, events=events))
    assert [f.code for f in w.fired] == ["dishonest_debtor", "npl_other_bank", "down_round"]
    assert (w.score, w.level) == (95, "red")
    assert {"risk_committee", "reclassify", "watch_list", "legal_review"} <= {
        t.task for t in w.tasks
    }
    assert w.tasks == tuple(sorted(w.tasks, key=lambda t: (t.due_in_days, t.task)))
    calmer = evaluate(
        SignalsInput(
            "E2",
            AS_OF,
            events=[*events, SignalEvent("follow_on_round", dt.date(2026, 6, 20), "C round")],
        )
    )
    assert calmer.score == 85


def test_score_is_clamped() -> None:
    good = evaluate(
        SignalsInput("E3", AS_OF, events=[SignalEvent("follow_on_round", dt.date(2026, 6, 1))])
    )
    assert (good.score, good.level) == (0, "green")
    kinds = [r.event for r in load_rules(AS_OF).rules if r.kind == "event"]
    bad = evaluate(SignalsInput("E3", AS_OF, events=[SignalEvent(k, AS_OF) for k in kinds]))
    assert bad.score == 100 and bad.level == "red"


def test_milestones() -> None:
    """Revenue target 10,000,000 due 2026-03-31 with 20 % tolerance: 7,900,000 is missed
    (below 8,000,000), 8,000,000 is not. Next round due 2026-02-01 with 90 days' grace: not
    closed by 2026-06-30 → missed; product launch due 2026-05-15 (60 days' grace) still
    within grace."""
    ms = [
        Milestone(
            "revenue_target", dt.date(2026, 3, 31), "FY revenue", None, D(10_000_000), D(7_900_000)
        ),
        Milestone("next_round", dt.date(2026, 2, 1), "Series B"),
        Milestone("product_launch", dt.date(2026, 5, 15), "v2 launch"),
    ]
    w = evaluate(SignalsInput("E4", AS_OF, milestones=ms))
    assert [f.code for f in w.fired] == ["missed_revenue_target", "delayed_next_round"]
    ok = dataclasses.replace(ms[0], actual=D(8_000_000))
    w2 = evaluate(SignalsInput("E4", AS_OF, milestones=[ok, ms[2]]))
    assert w2.fired == ()
    achieved = dataclasses.replace(ms[1], achieved_on=dt.date(2026, 4, 1))
    assert evaluate(SignalsInput("E4", AS_OF, milestones=[achieved])).fired == ()


def test_unknown_event_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        evaluate(SignalsInput("E5", AS_OF, events=[SignalEvent("ip_lapsed", AS_OF)]))


@given(
    st.integers(1, 10_000),
    st.integers(0, 10_000),
    st.integers(0, 10_000),
)
def test_a_bigger_drop_never_lowers_the_score(prev: int, cur: int, lower: int) -> None:
    worse = min(cur, lower)

    def score(current: int) -> int:
        m = {"revenue": MetricReading(D(current), D(prev), D(prev))}
        w = evaluate(SignalsInput("E", AS_OF, metrics=m))
        assert 0 <= w.score <= 100
        return w.score

    assert score(worse) >= score(cur)
