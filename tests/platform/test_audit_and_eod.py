"""Audit chain catches edits; day-end is idempotent and resumes after a crash."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text, update

from techfin.services import audit, eod
from techfin.services.context import Actor
from techfin.services.errors import Conflict
from techfin.store.models import Base
from techfin.store.tables import AuditEntry, EodStepRun, Institution


def test_every_command_is_audited_and_chain_verifies(world):
    count, broken = audit.verify(world.db)
    assert broken is None
    # 3 institutions + 7 users were added by commands
    assert count == 10
    with world.db.read() as s:
        commands = [e.command for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
    assert commands.count("user.add") == 7 and commands.count("institution.add") == 3


def test_editing_a_row_breaks_the_chain_at_that_entry(world):
    with world.db.transaction() as s:
        s.execute(update(AuditEntry).where(AuditEntry.seq == 4).values(reason="nothing to see"))
    _, broken = audit.verify(world.db)
    assert broken is not None and broken.seq == 4 and "edited" in broken.reason


def test_deleting_a_row_breaks_the_chain(world):
    with world.db.transaction() as s:
        s.execute(text("DELETE FROM audit_log WHERE seq = 6"))
    _, broken = audit.verify(world.db)
    assert broken is not None and broken.seq == 6


def _snapshot(db):
    """Every row of every table, for comparing the database before and after."""
    with db.read() as s:
        return {
            t.name: sorted(tuple(map(str, r)) for r in s.execute(t.select()).all())
            for t in Base.metadata.sorted_tables
        }


def test_second_day_end_for_the_same_date_changes_nothing(world):
    system = Actor.system("test")
    day = dt.date(2026, 11, 27)
    first = eod.run(world.db, system, day)
    assert {o.status for o in first} == {"completed"}
    assert eod.business_date(world.db, "BANKA") == day + dt.timedelta(days=1)
    before = _snapshot(world.db)
    second = eod.run(world.db, system, day)
    assert {o.status for o in second} == {"already_completed"}
    assert _snapshot(world.db) == before


def _name_en(db, code):
    with db.read() as s:
        return s.scalar(select(Institution.name_en).where(Institution.code == code))


def test_day_end_resumes_from_the_failed_step(world):
    system = Actor.system("test")
    registry = eod.Registry()
    calls: list[str] = []
    broken = {"on": True}

    @registry.step("first", 1)
    def first(session, institution, date):
        calls.append("first")
        return {"ok": 1}

    @registry.step("second", 2)
    def second(session, institution, date):
        calls.append("second")
        institution.name_en = "written by second"  # must not survive a crash of this step
        if broken["on"]:
            raise RuntimeError("disk full")
        return {"ok": 2}

    day = dt.date(2026, 11, 27)
    outcome = eod.run(world.db, system, day, "BANKA", registry)[0]
    assert outcome.status == "failed"
    assert [s.status for s in outcome.steps] == ["completed", "failed"]
    assert _name_en(world.db, "BANKA") == ""  # the failed step's write was rolled back
    with world.db.read() as s:
        failed = s.scalar(select(EodStepRun).where(EodStepRun.step == "second"))
        assert failed.status == "failed" and "disk full" in failed.error
    assert eod.business_date(world.db, "BANKA") == day  # not advanced

    broken["on"] = False
    calls.clear()
    outcome = eod.run(world.db, system, day, "BANKA", registry)[0]
    assert outcome.status == "completed"
    assert [s.status for s in outcome.steps] == ["skipped", "completed"]
    assert calls == ["second"]  # the completed step was not run again
    assert _name_en(world.db, "BANKA") == "written by second"
    assert eod.business_date(world.db, "BANKA") == day + dt.timedelta(days=1)
    assert audit.verify(world.db)[1] is None


def test_day_end_refuses_a_date_after_the_business_date(world):
    system = Actor.system("test")
    eod.run(world.db, system, dt.date(2026, 11, 27), "BANKA")
    with pytest.raises(Conflict) as err:
        eod.run(world.db, system, dt.date(2026, 11, 30), "BANKA")
    assert err.value.field == "date"


def test_only_the_institutions_administrator_sets_its_business_date(world):
    from techfin.services.errors import Forbidden, NotFound

    day = dt.date(2026, 3, 2)
    with pytest.raises(Forbidden):  # an account manager
        eod.set_business_date(world.db, world.actor("a_am"), "BANKA", day)
    with pytest.raises(NotFound):  # another bank's administrator learns nothing
        eod.set_business_date(world.db, world.actor("b_admin"), "BANKA", day)
    assert eod.business_date(world.db, "BANKA") != day
    eod.set_business_date(world.db, world.actor("a_admin"), "BANKA", day)
    assert eod.business_date(world.db, "BANKA") == day
    with world.db.read() as s:
        last = s.execute(
            select(AuditEntry.command, AuditEntry.actor).order_by(AuditEntry.id.desc()).limit(1)
        ).one()
    assert tuple(last) == ("business_date.set", "a_admin")
