"""Entity resolution in the hub: sure matches merge, uncertain ones wait for a person, and
merges and unmerges are audited commands."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from sqlalchemy import select

from techfin.enterprises.resolution_eval import make_eval_set
from techfin.services import audit, resolution
from techfin.services.context import Actor
from techfin.services.errors import Conflict, ValidationFailed
from techfin.store.tables import AuditEntry, Enterprise, Patent, ResolutionLink

SYSTEM = Actor.system("test")


@pytest.fixture(scope="module")
def eval_set():
    return make_eval_set(7, 300, records=120)


def load(db, eval_set):
    ids = {}
    with db.transaction() as s:
        for row in eval_set.registry.iter_rows(named=True):
            former = row.get("former_name")
            e = Enterprise(
                uscc=row["uscc"],
                name=row["name"],
                name_en=row.get("name_en") or "",
                former_names=[former] if isinstance(former, str) and former else list(former or []),
                industry_code="6513",
                area_code=row.get("area_code") or "",
                registered_on=row.get("registered_on") or dt.date(2015, 1, 1),
                as_of=dt.date(2026, 6, 30),
            )
            s.add(e)
            s.flush()
            ids[row["enterprise_id"]] = e.id
        for n, row in enumerate(eval_set.records.iter_rows(named=True)):
            s.add(
                Patent(
                    number=f"2023100{n:05d}.X",
                    applicants=[row["name"]],
                    kind="invention",
                    filed_on=dt.date(2023, 1, 1),
                    as_of=dt.date(2026, 6, 30),
                )
            )
    keys = {
        f"2023100{n:05d}.X": r["record_key"]
        for n, r in enumerate(eval_set.records.iter_rows(named=True))
    }
    return ids, keys


def test_resolution_links_patents_and_queues_the_uncertain(db, eval_set):
    ids, keys = load(db, eval_set)
    report = resolution.run(db, SYSTEM, "patents")
    assert report.records == eval_set.records.height
    assert report.auto_merged > 0
    truth = {
        (r["record_key"], r["part"]): ids.get(r["enterprise_id"])
        for r in eval_set.truth.iter_rows(named=True)
    }
    with db.read() as s:
        linked = [(p.number, p.enterprise_id) for p in s.scalars(select(Patent)) if p.enterprise_id]
    right = sum(1 for number, eid in linked if truth.get((keys[number], 0)) == eid)
    assert right / len(linked) >= 0.95  # auto-merges are precise
    # a second run decides nothing twice
    again = resolution.run(db, SYSTEM, "patents")
    assert again.auto_merged == 0


def test_confirm_and_reject_are_audited_and_move_the_link(db, eval_set):
    load(db, eval_set)
    resolution.run(db, SYSTEM, "patents")
    queue = resolution.review_queue(db, SYSTEM)
    if not queue:
        pytest.skip("this generated set put nothing in the review band")
    first = queue[0]
    with pytest.raises(ValidationFailed):
        resolution.decide(db, SYSTEM, first.id, confirm=True, reason=" ")
    confirmed = resolution.decide(db, SYSTEM, first.id, confirm=True, reason="same address")
    assert confirmed.status == "confirmed"
    number = first.record_key.split("#")[0]
    with db.read() as s:
        assert (
            s.scalar(select(Patent.enterprise_id).where(Patent.number == number))
            == first.enterprise_id
        )
    with pytest.raises(Conflict):
        resolution.decide(db, SYSTEM, first.id, confirm=False, reason="changed my mind")
    # unmerge an automatic merge
    with db.read() as s:
        auto = s.scalar(
            select(ResolutionLink).where(
                ResolutionLink.status == "auto", ResolutionLink.record_key.like("%#0")
            )
        )
        auto_id, auto_number = auto.id, auto.record_key.split("#")[0]
    resolution.decide(db, SYSTEM, auto_id, confirm=False, reason="different company")
    with db.read() as s:
        assert s.scalar(select(Patent.enterprise_id).where(Patent.number == auto_number)) is None
        commands = [e.command for e in s.scalars(select(AuditEntry))]
    assert "resolution.merge" in commands and "resolution.unmerge" in commands
    assert audit.verify(db)[1] is None


def test_only_the_hub_resolves(db):
    from techfin.services import users

    with db.transaction() as s:
        users.add_institution(s, SYSTEM, code="BANKA", name="甲银行", kind="bank")
        users.add_user(
            s,
            SYSTEM,
            username="a_admin",
            password="long-enough-1",
            role="admin",
            institution_code="BANKA",
        )
    with pytest.raises(ValidationFailed):
        resolution.run(db, users.authenticate(db, "a_admin", "long-enough-1"), "patents")
    with pytest.raises(ValidationFailed):
        resolution.run(db, SYSTEM, "payroll")


def test_eval_set_is_a_polars_frame(eval_set):
    assert isinstance(eval_set.records, pl.DataFrame) and eval_set.truth.height > 0


def test_funding_and_tech_transfer_records_are_resolved_too(db, eval_set):
    from decimal import Decimal

    from techfin.store.tables import FundingRound, TechTransferProject

    ids, _ = load(db, eval_set)
    truth = {
        r["record_key"]: ids.get(r["enterprise_id"])
        for r in eval_set.truth.iter_rows(named=True)
        if r["part"] == 0
    }
    records = [r for r in eval_set.records.iter_rows(named=True) if truth.get(r["record_key"])][:60]
    with db.transaction() as s:
        for n, r in enumerate(records):
            s.add(
                FundingRound(
                    investee_name=r["name"],
                    stage="a",
                    closed_on=dt.date(2025, 1, 1),
                    amount=Decimal("50000000.00"),
                    as_of=dt.date(2026, 6, 30),
                )
            )
            s.add(
                TechTransferProject(
                    project_id=f"TT{n:04d}",
                    title="专利许可",
                    seller_name="某大学",
                    buyer_name=r["name"],
                    signed_on=dt.date(2025, 3, 1),
                    as_of=dt.date(2026, 6, 30),
                )
            )
    funding = resolution.run(db, SYSTEM, "funding")
    transfer = resolution.run(db, SYSTEM, "tech_transfer")
    assert funding.records == 60 and funding.auto_merged > 0
    assert transfer.records == 120 and transfer.auto_merged > 0  # sellers and buyers
    expected = {r["name"]: truth[r["record_key"]] for r in records}
    with db.read() as s:
        rounds = [(f.investee_name, f.enterprise_id) for f in s.scalars(select(FundingRound))]
        buyers = [
            (t.buyer_name, t.buyer_enterprise_id) for t in s.scalars(select(TechTransferProject))
        ]
    for linked in (rounds, buyers):
        merged = [(name, eid) for name, eid in linked if eid is not None]
        assert merged and sum(expected[name] == eid for name, eid in merged) / len(merged) >= 0.95
