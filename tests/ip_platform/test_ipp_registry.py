"""Legal events through the hub, and a patent's status derived for any as-of date."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from ipp_world import P_GRACE, P_OK, legal_events

from techfin.services import ip_registry
from techfin.services.context import Actor
from techfin.services.errors import Forbidden, NotFound


def _status_and_remaining_life_derived_for_any_date(world):
    am = world.actor("a_am")
    view = ip_registry.patent_view(world.db, am, P_OK, dt.date(2026, 11, 27))
    assert view.status["state"] == "in_force"
    # term ends 2035-03-10: 3025 days from 2026-11-27, ÷ 365.25 rounded down → 8.28
    assert view.status["term_end"] == "2035-03-10"
    assert view.status["remaining_days"] == (dt.date(2035, 3, 10) - dt.date(2026, 11, 27)).days
    assert view.status["remaining_years"] == "8.28"
    assert view.high_value["high_value"] is True
    assert "maintained_over_10_years" in view.high_value["reasons"]
    # Earlier date, same events: pending before the grant.
    early = ip_registry.patent_view(world.db, am, P_OK, dt.date(2017, 1, 1))
    assert early.status["state"] == "pending" and early.high_value["high_value"] is False
    assert [e["kind"] for e in view.events][:2] == ["granted", "fee_paid"]


def _unpaid_fee_grace_then_lapse_at_end_of_last_paid_year(world):
    am = world.actor("a_am")
    grace = ip_registry.patent_view(world.db, am, P_GRACE, dt.date(2025, 6, 15))
    assert grace.status["state"] == "in_grace"
    lapsed = ip_registry.patent_view(world.db, am, P_GRACE, dt.date(2026, 11, 27))
    assert lapsed.status["state"] == "lapsed"
    assert lapsed.status["ended_on"] == "2025-05-01"  # due date of the first unpaid year (7)
    assert lapsed.status["remaining_years"] == "0.00"


def _restoration_loaded_later_revives_the_patent(world):
    system = Actor.system("test")
    report = ip_registry.push_legal_events(
        world.db,
        system,
        [
            {
                "number": P_GRACE,
                "kind": "restored",
                "on": "2025-12-01",
                "fee_year": 7,
                "as_of": "2026-10-31",
            },
            {
                "number": P_GRACE,
                "kind": "fee_paid",
                "on": "2026-04-20",
                "fee_year": 8,
                "as_of": "2026-10-31",
            },
        ],
        today=dt.date(2026, 11, 27),
    )
    assert report.loaded == 2
    view = ip_registry.patent_view(world.db, world.actor("a_am"), P_GRACE, dt.date(2026, 11, 27))
    assert view.status["state"] == "in_force"


def _load_quarantines_bad_rows_and_is_idempotent(world, tmp_path):
    system = Actor.system("test")
    rows = [
        {"申请号": P_OK, "事件": "许可备案", "生效日": "2026-02-01", "as_of": "2026-10-31"},
        {"number": "201510123456.7", "kind": "granted", "on": "2018-01-01", "as_of": "2026-10-31"},
        {"number": "202010345678.9", "kind": "granted", "on": "2021-01-01", "as_of": "2026-10-31"},
        {"number": P_OK, "kind": "fee_paid", "on": "2026-03-01", "as_of": "2026-10-31"},
        {"number": P_OK, "kind": "exploded", "on": "2026-03-01", "as_of": "2026-10-31"},
        {
            "number": P_OK,
            "kind": "fee_paid",
            "on": "2026-03-10",
            "fee_year": 12,
            "as_of": "2026-10-31",
        },
    ]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    report = ip_registry.load_legal_events(world.db, system, path, today=dt.date(2026, 11, 27))
    assert report.read == 6 and report.loaded == 1 and report.quarantined == 4
    assert report.duplicates == 1  # year-12 payment already loaded with the world
    reasons = " ".join(report.reasons)
    assert "check character" in reasons
    assert "no patent record" in reasons
    assert "fee_year" in reasons
    assert "kind: must be one of" in reasons
    again = ip_registry.load_legal_events(world.db, system, path, today=dt.date(2026, 11, 27))
    assert again.repeat is True and again.batch == report.batch


def _only_hub_admins_load_events(world):
    with pytest.raises(Forbidden):
        ip_registry.push_legal_events(world.db, world.actor("a_am"), legal_events()[:1])


def _unknown_patent_is_not_found(world):
    with pytest.raises(NotFound):
        ip_registry.patent_view(world.db, world.actor("a_am"), "202010345678.9", dt.date.today())


# One database world per test keeps the suite fast on PostgreSQL (each `db` set-up truncates
# every table); the scenarios run in an order where none disturbs the next.


def test_status_derived_from_events_for_any_date(world):
    _status_and_remaining_life_derived_for_any_date(world)
    _unpaid_fee_grace_then_lapse_at_end_of_last_paid_year(world)
    _only_hub_admins_load_events(world)
    _unknown_patent_is_not_found(world)


def test_events_loaded_later_change_the_derived_status(world, tmp_path):
    _restoration_loaded_later_revives_the_patent(world)
    _load_quarantines_bad_rows_and_is_idempotent(world, tmp_path)
