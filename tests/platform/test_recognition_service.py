"""Recognition from the hub: evaluations stored with their rule versions, re-evaluated at
day-end only when the data changed, shown beside the granted titles."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from sqlalchemy import func, select, update
from typer.testing import CliRunner

from techfin.services import eod
from techfin.services.context import Actor
from techfin.services.recognition import evaluate_enterprise, title_status, titles_side_by_side
from techfin.store.tables import AnnualFinancials, GrantedTitle, Patent, RecognitionEvaluation

AS_OF = dt.date(2026, 10, 31)


def _enrich(db, enterprise_id):
    with db.transaction() as s:
        s.execute(update(AnnualFinancials).values(tech_staff=30))
        for n in range(3):
            s.add(
                Patent(
                    number=f"20211000000{n}.X",
                    enterprise_id=enterprise_id,
                    kind="invention",
                    filed_on=dt.date(2021, 1, 5),
                    granted_on=dt.date(2023, 3, 1),
                    status="granted",
                    ipc="G06N 3/08",
                    as_of=AS_OF,
                )
            )
        s.add(
            GrantedTitle(
                enterprise_id=enterprise_id,
                title="hnte",
                certificate_no="GR202411000123",
                issuer="北京市科学技术委员会",
                valid_from=dt.date(2024, 1, 1),
                valid_to=dt.date(2026, 12, 31),
                as_of=AS_OF,
            )
        )


def test_evaluation_is_stored_with_rule_versions(world):
    _enrich(world.db, world.enterprise_id)
    evaluation = evaluate_enterprise(world.enterprise_id, world.db, as_of=AS_OF)
    ev = evaluation.evaluations
    assert ev["size"]["outcome"] == "small"  # software: 85 staff, 3200万 revenue
    assert ev["tech_sme"]["outcome"] == "qualifies"
    assert ev["tech_sme"]["result"]["direct_qualification"]  # the valid 高企 certificate
    assert evaluation.inputs["class1_ip"] == 3
    assert evaluation.inputs["revenue_wan"] == [Decimal("3200")]
    with world.db.read() as s:
        rows = [
            (r.title, r.outcome, r.rule_version) for r in s.scalars(select(RecognitionEvaluation))
        ]
        side = titles_side_by_side(s, world.enterprise_id, dt.date(2026, 11, 27))
    titles = {"size", "tech_sme", "hnte", "innovative_sme", "srdi", "little_giant", "tags"}
    assert {title for title, _, _ in rows} == titles
    assert all(version for _, outcome, version in rows if outcome != "not_evaluated")
    assert side["granted"][0]["status"] == "expiring"  # 34 days left
    assert {c["title"] for c in side["computed"]} == titles
    ladder = {t: o for t, o, _ in rows if t in ("innovative_sme", "srdi", "little_giant")}
    # the hub lacks e.g. the main-business share: each says what it is missing, nothing guessed
    assert set(ladder.values()) <= {"not_evaluated", "qualifies", "does_not_qualify"}


def test_title_status_edges():
    start, end = dt.date(2024, 1, 1), dt.date(2026, 12, 31)
    assert title_status(start, end, dt.date(2023, 12, 31)) == "not_yet_valid"
    assert title_status(start, end, end - dt.timedelta(days=91)) == "valid"
    assert title_status(start, end, end - dt.timedelta(days=90)) == "expiring"
    assert title_status(start, end, end) == "expiring"
    assert title_status(start, end, end + dt.timedelta(days=1)) == "expired"


def test_day_end_re_evaluates_only_changed_enterprises(world):
    system = Actor.system("test")
    outcome = {o.institution: o for o in eod.run(world.db, system, AS_OF)}
    refresh = {s.step: s.detail for s in outcome["HUB"].steps}["recognition.refresh"]
    assert refresh == {"evaluated": 2, "unchanged": 0}
    bank = {s.step: s.detail for s in outcome["BANKA"].steps}["recognition.refresh"]
    assert bank == {"skipped": "runs at the information hub"}
    with world.db.transaction() as s:
        s.execute(
            update(AnnualFinancials)
            .where(AnnualFinancials.enterprise_id == world.enterprise_id)
            .values(employees=90)
        )
    outcome = {o.institution: o for o in eod.run(world.db, system, AS_OF + dt.timedelta(days=1))}
    refresh = {s.step: s.detail for s in outcome["HUB"].steps}["recognition.refresh"]
    assert refresh == {"evaluated": 1, "unchanged": 1}
    with world.db.read() as s:
        assert s.scalar(select(func.count(RecognitionEvaluation.id))) == 3 * 7


def test_cli_recognize_enterprise_from_the_database(world, monkeypatch):
    monkeypatch.setenv(
        "TECHFIN_DATABASE_URL", world.db.engine.url.render_as_string(hide_password=False)
    )
    from techfin.cli import app

    result = CliRunner().invoke(
        app, ["recognize", "--enterprise", str(world.enterprise_id), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["enterprise_id"] == world.enterprise_id and "size" in data["evaluations"]
    missing = CliRunner().invoke(app, ["recognize", "--enterprise", "999999"])
    assert missing.exit_code == 2 and "999999" in missing.stderr


def test_hnte_needs_the_banks_facts_and_then_evaluates(world):
    from techfin.services.recognition import evaluate_inputs, gather_inputs
    from techfin.store.tables import Enterprise

    _enrich(world.db, world.enterprise_id)
    with world.db.read() as s:
        inputs = gather_inputs(s, s.get(Enterprise, world.enterprise_id), AS_OF)
    without = evaluate_inputs(inputs)["hnte"]
    assert without["outcome"] == "not_evaluated"
    assert "high_tech_revenue_ratio" in without["result"]["missing"]
    facts = {
        "high_tech_revenue_ratio": Decimal("0.8"),
        "conversions_3y": 6,
        "ip_acquisition": "own",
    }
    evaluated = evaluate_inputs(inputs, facts)
    assert evaluated["hnte"]["outcome"] in {"passes", "fails", "needs_expert_review"}
    assert evaluated["hnte"]["rule_version"]
    # one year of data is padded to three with zeros for the earlier years
    assert evaluated["hnte"]["result"]["inputs"]["sales"][:2] == ["0", "0"]
    tags = evaluated["tags"]
    assert (
        tags["outcome"] == ",".join(tags["result"]["keys"]) if tags["result"].get("keys") else True
    )
