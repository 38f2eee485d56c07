"""Day-end: accrual and days past due, classification floors with notices, early warnings with
tasks and the watch list; judged class with sign-off; co-investor information under consent or
NDA; idempotent per date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from svcp_world import make_loan, set_business_date

from techfin.services import consent, eod
from techfin.services import servicing as svc
from techfin.services import servicing_monitoring as mon
from techfin.services.context import Actor
from techfin.services.errors import ConsentRequired, Forbidden, NotFound, ValidationFailed
from techfin.store.tables import Institution
from techfin.store.tables_servicing import SvcNotice, SvcPosition, SvcTask, SvcWarning, SvcWatch


def _run_steps(world, date: dt.date) -> list[dict]:
    with world.db.transaction() as s:
        inst = s.get(Institution, world.bank_id)
        return [
            mon.day_end_positions(s, inst, date),
            mon.day_end_classification(s, inst, date),
            mon.day_end_warnings(s, inst, date),
        ]


def _rows(world, table) -> int:
    with world.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(table)))


def test_eod_run_overdue_raises_floor_warns_and_opens_a_task(world):
    loan = make_loan(world)
    am = world.actor("s_am")
    system = Actor.system("test")
    set_business_date(world, dt.date(2026, 2, 14))
    for day in (14, 15, 16):
        outcome = eod.run(world.db, system, dt.date(2026, 2, day), "SBANK")[0]
        assert outcome.status == "completed", outcome
    view = svc.loan_view(world.db, am, loan, as_of=dt.date(2026, 2, 16))
    assert view["balances"]["days_past_due"] == 1
    assert view["floor"]["value"] == "special_mention"
    kinds = [n["kind"] for n in view["notices"]]
    assert kinds == ["downgrade"]
    assert view["warnings"][0]["level"] == "green" and view["warnings"][0]["score"] == 10
    assert [t["task"] for t in view["tasks"]] == ["collection_call"]
    assert view["tasks"][0]["due_on"] == "2026-02-18"
    # a completed date is not run again and nothing is duplicated
    again = eod.run(world.db, system, dt.date(2026, 2, 16), "SBANK")[0]
    assert again.status == "already_completed"
    assert _rows(world, SvcTask) == 1 and _rows(world, SvcNotice) == 1
    # paying the arrears brings the floor back: an upgrade notice at the next day-end
    svc.record_payment(world.db, am, loan, amount="10400.00")
    eod.run(world.db, system, dt.date(2026, 2, 17), "SBANK")
    view = svc.loan_view(world.db, am, loan, as_of=dt.date(2026, 2, 17))
    assert view["floor"]["value"] == "normal"
    assert [n["kind"] for n in view["notices"]] == ["upgrade", "downgrade"]


def test_steps_are_idempotent_for_a_date(world):
    make_loan(world)
    first = _run_steps(world, dt.date(2026, 3, 20))
    counts = [_rows(world, t) for t in (SvcPosition, SvcNotice, SvcWarning, SvcTask)]
    second = _run_steps(world, dt.date(2026, 3, 20))
    assert [_rows(world, t) for t in (SvcPosition, SvcNotice, SvcWarning, SvcTask)] == counts
    assert first[0] == second[0]
    assert counts[0] == 1 and counts[3] >= 1


def test_investor_info_needs_consent_or_nda_and_feeds_the_watch_list(world):
    loan = make_loan(world)
    vc = world.actor("vc_admin")
    ent = world.actor("s_ent")
    with pytest.raises(ConsentRequired):
        mon.push_investor_info(
            world.db, vc, world.enterprise_id, kind="down_round", on=dt.date(2026, 3, 1)
        )
    with pytest.raises(Forbidden):  # a bank is not an investor
        mon.push_investor_info(
            world.db,
            world.actor("s_am"),
            world.enterprise_id,
            kind="down_round",
            on=dt.date(2026, 3, 1),
        )
    mon.record_nda(
        world.db,
        ent,
        world.enterprise_id,
        investor_code="VC1",
        reference="NDA-2026-7",
        signed_on=dt.date(2026, 1, 1),
        valid_to=dt.date(2030, 1, 1),
    )
    pushed = mon.push_investor_info(
        world.db,
        vc,
        world.enterprise_id,
        kind="down_round",
        on=dt.date(2026, 3, 1),
        detail="B round at -30 %",
    )
    assert pushed["basis"] == "nda"
    consent.grant(
        world.db,
        ent,
        enterprise_id=world.enterprise_id,
        grantee_code="VC1",
        purpose="investment",
        expires_on=dt.date.today() + dt.timedelta(days=300),
    )
    second = mon.push_investor_info(
        world.db, vc, world.enterprise_id, kind="follow_on_round", on=dt.date(2026, 1, 10)
    )
    assert second["basis"] == "consent"
    # 30+ days past due (25) + down round (15) − follow-on (10) = 30: yellow, no watch
    _run_steps(world, dt.date(2026, 3, 20))
    with world.db.read() as s:
        w = s.scalar(select(SvcWarning).where(SvcWarning.loan_id == loan))
        assert {f["code"] for f in w.fired} == {"overdue_here", "down_round", "follow_on_round"}
        assert (w.score, w.level) == (30, "yellow")
        assert s.scalar(select(func.count(SvcWatch.id))) == 0
    mon.push_investor_info(
        world.db, vc, world.enterprise_id, kind="investor_exit", on=dt.date(2026, 3, 10)
    )
    _run_steps(world, dt.date(2026, 3, 21))
    listed = mon.watch_list(world.db, world.actor("s_rm"))
    assert len(listed) == 1 and listed[0]["latest_level"] == "orange"
    tasks = {t["task"] for t in mon.tasks(world.db, world.actor("s_rm"))}
    assert {"collection_call", "investor_call", "site_visit", "watch_list"} <= tasks


def _judged_class_is_never_below_floor_and_needs_another_signer(world):
    loan = make_loan(world)
    am, rm, rm2 = world.actor("s_am"), world.actor("s_rm"), world.actor("s_rm2")
    set_business_date(world, dt.date(2026, 3, 1))  # 14 days past due: special mention floor
    with pytest.raises(ValidationFailed) as err:
        svc.propose_class(world.db, am, loan, judged_class="normal", rationale="fine")
    assert err.value.field == "judged_class"
    proposed = svc.propose_class(
        world.db, rm, loan, judged_class="substandard", rationale="cash flow weak"
    )
    with pytest.raises(Forbidden):
        svc.sign_off_class(world.db, rm, proposed["id"], approve=True)
    signed = svc.sign_off_class(world.db, rm2, proposed["id"], approve=True, note="agreed")
    assert signed["status"] == "approved" and signed["floor"] == "special_mention"
    svc.propose_class(world.db, am, loan, judged_class="doubtful", rationale="worse")
    history = svc.loan_view(world.db, am, loan)["classifications"]
    assert [c["status"] for c in history] == ["proposed", "approved"]


def _judgement_due_notice_after_a_quarter(world):
    loan = make_loan(world, start=dt.date(2025, 10, 15), months=24)
    am = world.actor("s_am")
    set_business_date(world, dt.date(2026, 1, 20))
    for m in (11, 12):
        svc.record_payment(world.db, am, loan, amount="5400.00", value_date=dt.date(2025, m, 15))
    svc.record_payment(world.db, am, loan, amount="5400.00", value_date=dt.date(2026, 1, 15))
    _run_steps(world, dt.date(2026, 1, 20))
    with world.db.read() as s:
        kinds = set(s.scalars(select(SvcNotice.kind).where(SvcNotice.loan_id == loan)))
    assert "judgement_due" in kinds


def _milestones_reviews_and_tasks_are_audited(world):
    loan = make_loan(
        world,
        milestones=[{"kind": "product_launch", "text": "Launch the v2 chip", "due": "2026-02-01"}],
    )
    am, rm = world.actor("s_am"), world.actor("s_rm")
    _run_steps(world, dt.date(2026, 4, 20))
    with world.db.read() as s:
        w = s.scalar(select(SvcWarning).where(SvcWarning.loan_id == loan))
        assert "delayed_product_launch" in {f["code"] for f in w.fired}
    mon.record_milestone(world.db, am, loan, 0, achieved_on=dt.date(2026, 4, 1), note="launched")
    with pytest.raises(NotFound):
        mon.record_milestone(world.db, am, loan, 5, note="no such")
    view = svc.loan_view(world.db, rm, loan)
    assert view["milestones"][0]["achieved_on"] == "2026-04-01"
    review = mon.write_review(
        world.db, rm, loan, period="2026Q1", conclusion="watch", text="Launch late; watch"
    )
    assert review["conclusion"] == "watch"
    open_tasks = mon.tasks(world.db, rm)
    done = mon.complete_task(world.db, rm, open_tasks[0]["id"], "called the CFO")
    assert done["status"] == "done"
    added = mon.add_to_watch(world.db, rm, loan, reason="launch slipped")
    removed = mon.remove_from_watch(world.db, rm, added["id"], reason="launched")
    assert removed["removed_on"] is not None


def test_milestones_judged_class_and_judgement_due(world):
    """One database setup for several checks (each on its own loans)."""
    _milestones_reviews_and_tasks_are_audited(world)
    _judged_class_is_never_below_floor_and_needs_another_signer(world)
    _judgement_due_notice_after_a_quarter(world)


def test_a_non_performing_loan_stays_substandard_after_its_arrears_are_paid(world):
    """2023 rules: upgrading a non-performing loan needs arrears paid AND normal payment for 2
    periods or 6 months. Paying the arrears alone must not bring the floor back to normal."""
    loan = make_loan(world)
    am = world.actor("s_am")
    _run_steps(world, dt.date(2026, 6, 1))  # more than 90 days past due
    view = svc.loan_view(world.db, am, loan, as_of=dt.date(2026, 6, 1))
    assert view["floor"]["value"] == "substandard"
    set_business_date(world, dt.date(2026, 6, 2))
    due = svc.loan_view(world.db, am, loan, as_of=dt.date(2026, 6, 2))["balances"]["total_due_now"]
    svc.record_payment(world.db, am, loan, amount=due, value_date=dt.date(2026, 6, 2))
    _run_steps(world, dt.date(2026, 6, 3))
    after = svc.loan_view(world.db, am, loan, as_of=dt.date(2026, 6, 3))
    assert after["balances"]["days_past_due"] == 0
    assert after["floor"]["value"] == "substandard"
    assert any("upgrade" in r["code"] for r in after["floor"]["reasons"])


def test_investor_info_over_http(world):
    """`POST /api/enterprises/{id}/investor-info`: 403 without consent or NDA, 403 for a bank,
    201 under an NDA the enterprise recorded (over `POST …/ndas`)."""
    from fastapi.testclient import TestClient
    from svcp_world import PASSWORD

    from techfin.app import create_app

    client = TestClient(create_app(world.db, secret_key="t"))

    def headers(username: str) -> dict[str, str]:
        token = client.post("/api/token", json={"username": username, "password": PASSWORD})
        return {"Authorization": f"Bearer {token.json()['access_token']}"}

    url = f"/api/enterprises/{world.enterprise_id}/investor-info"
    body = {"kind": "follow_on_round", "on": "2026-03-01", "amount": "80000000"}
    refused = client.post(url, headers=headers("vc_admin"), json=body)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert client.post(url, headers=headers("s_am"), json=body).status_code == 403
    nda = client.post(
        f"/api/enterprises/{world.enterprise_id}/ndas",
        headers=headers("s_ent"),
        json={
            "investor": "VC1",
            "reference": "NDA-9",
            "signed_on": "2026-01-01",
            "valid_to": "2030-01-01",
        },
    )
    assert nda.status_code == 201, nda.text
    pushed = client.post(url, headers=headers("vc_admin"), json=body)
    assert pushed.status_code == 201, pushed.text
    bad = client.post(url, headers=headers("vc_admin"), json={**body, "on": "not a date"})
    assert bad.status_code == 422 and bad.json()["field"] == "on"


def test_hub_data_drives_warnings_only_under_consent(world):
    """A 45 % headcount drop and a dishonest-debtor listing in the hub fire their warnings at
    day-end — but only once the borrower consents to post-loan monitoring; the read is then in
    the enterprise's access log under the job's name."""
    from techfin.store.tables import CourtRecord, SocialSecurityRecord

    make_loan(world)
    with world.db.transaction() as s:
        s.add(
            SocialSecurityRecord(
                enterprise_id=world.enterprise_id,
                quarter="2025Q3",
                insured_staff=100,
                as_of=dt.date(2025, 10, 31),
            )
        )
        s.add(
            SocialSecurityRecord(
                enterprise_id=world.enterprise_id,
                quarter="2025Q4",
                insured_staff=55,
                as_of=dt.date(2026, 1, 31),
            )
        )
        s.add(
            CourtRecord(
                enterprise_id=world.enterprise_id,
                kind="dishonest",
                case_no="(2026)京01执1号",
                filed_on=dt.date(2026, 2, 1),
                as_of=dt.date(2026, 2, 5),
            )
        )

    def fired(date: dt.date) -> set[str]:
        _run_steps(world, date)
        with world.db.read() as s:
            row = s.scalar(select(SvcWarning).where(SvcWarning.as_of == date))
            return {f["code"] for f in row.fired}

    assert not fired(dt.date(2026, 2, 12)) & {"headcount_drop", "dishonest_listing"}
    consent.grant(
        world.db,
        world.actor("s_ent"),
        enterprise_id=world.enterprise_id,
        grantee_code="SBANK",
        purpose="post_loan_monitoring",
        expires_on=dt.date.today() + dt.timedelta(days=365),
    )
    codes = fired(dt.date(2026, 2, 13))
    assert "headcount_drop" in codes
    assert "dishonest_debtor" in codes
    log = consent.access_log(world.db, world.actor("s_ent"), world.enterprise_id)
    assert any(a.user == "system:eod" and a.purpose == "post_loan_monitoring" for a in log)


def test_tax_drop_and_other_bank_npl_warn_and_raise_the_floor(world):
    """Under consent: VAT+CIT down 60 % on a year earlier fires `tax_drop_yoy`; a substandard loan
    at another bank in the credit register fires `npl_other_bank` and makes the floor at least
    special mention (2023 rules: non-performing at another bank)."""
    from decimal import Decimal

    from techfin.store.tables import CreditRegisterLoan, TaxRecord

    loan = make_loan(world)
    with world.db.transaction() as s:
        for quarter, vat, on in (
            ("2024Q4", "100000", dt.date(2025, 1, 31)),
            ("2025Q4", "40000", dt.date(2026, 1, 31)),
        ):
            s.add(
                TaxRecord(
                    enterprise_id=world.enterprise_id,
                    quarter=quarter,
                    vat=Decimal(vat),
                    cit=Decimal(0),
                    as_of=on,
                )
            )
        s.add(
            CreditRegisterLoan(
                enterprise_id=world.enterprise_id,
                lender="某商业银行",
                loan_ref="X-1",
                balance=Decimal("3000000"),
                classification="substandard",
                overdue_days=120,
                as_of=dt.date(2026, 1, 31),
            )
        )
    consent.grant(
        world.db,
        world.actor("s_ent"),
        enterprise_id=world.enterprise_id,
        grantee_code="SBANK",
        purpose="post_loan_monitoring",
        expires_on=dt.date.today() + dt.timedelta(days=365),
    )
    _run_steps(world, dt.date(2026, 2, 12))
    with world.db.read() as s:
        row = s.scalar(select(SvcWarning).where(SvcWarning.as_of == dt.date(2026, 2, 12)))
        codes = {f["code"] for f in row.fired}
    assert {"tax_drop_yoy", "npl_other_bank"} <= codes
    view = svc.loan_view(world.db, world.actor("s_am"), loan, as_of=dt.date(2026, 2, 12))
    assert view["floor"]["value"] != "normal"


def test_credit_register_records_come_in_through_the_hub(world):
    """Incoming register facts: a push of the central credit register's records through the hub
    (the same path as a file) reaches the loan's classification at day-end."""
    from techfin.services import ingest

    loan = make_loan(world)
    consent.grant(
        world.db,
        world.actor("s_ent"),
        enterprise_id=world.enterprise_id,
        grantee_code="SBANK",
        purpose="post_loan_monitoring",
        expires_on=dt.date.today() + dt.timedelta(days=365),
    )
    report = ingest.ingest_records(
        world.db,
        Actor.system("test"),
        "credit_register",
        [
            {
                "统一社会信用代码": "91110000600037341L",
                "授信机构": "某农商行",
                "借据号": "JJ-7",
                "余额": "2,000,000",
                "五级分类": "可疑",
                "逾期天数": 200,
                "数据日期": "2026-01-31",
            },
            {
                "uscc": "91110000600037341L",
                "lender": "x",
                "loan_ref": "bad",
                "balance": "-5",
                "classification": "normal",
                "as_of": "2026-01-31",
            },
        ],
        today=dt.date(2026, 2, 12),
    )
    assert (report.loaded, report.quarantined) == (1, 1)
    _run_steps(world, dt.date(2026, 2, 12))
    view = svc.loan_view(world.db, world.actor("s_am"), loan, as_of=dt.date(2026, 2, 12))
    assert view["floor"]["value"] != "normal"
    assert any(
        "another bank" in r["text"] or "other_bank" in r["code"] for r in view["floor"]["reasons"]
    )


def _consent_to_monitoring(world) -> None:
    consent.grant(
        world.db,
        world.actor("s_ent"),
        enterprise_id=world.enterprise_id,
        grantee_code="SBANK",
        purpose="post_loan_monitoring",
        expires_on=dt.date.today() + dt.timedelta(days=365),
    )


def _warning(world, date: dt.date, loan: int | None = None) -> dict:
    """The day-end's warning row (of the loan, when given) as a dict."""
    with world.db.read() as s:
        query = select(SvcWarning).where(SvcWarning.as_of == date)
        if loan is not None:
            query = query.where(SvcWarning.loan_id == loan)
        row = s.scalar(query)
        assert row is not None
        return {
            "score": row.score,
            "level": row.level,
            "fired": row.fired,
            "not_evaluated": row.not_evaluated,
            "rule_version": row.rule_version,
            "tasks": row.tasks,
        }


def test_revenue_power_and_customs_drops_through_the_hub_warn_only_under_consent(world):
    """The hub loads tax (declared revenue), grid (power) and customs (exports) records through
    its ingest, as any push. Revenue 1,000,000 (2024Q4) → 900,000 (2025Q3) → 400,000 (2025Q4):
    55.6 % quarter over quarter (band ≥ 50 %: 20) and 60 % year over year (band ≥ 40 %: 25);
    power 100,000 → 30,000 kWh year over year, 70 % (band ≥ 60 %: 15); exports 5,000,000 →
    1,000,000 year over year, 80 % (band ≥ 60 %: 10). Without consent nothing is read and the
    three rules are listed as not evaluated; with it each fires with its figures, the level is
    red (70) and the reads are in the enterprise's access log under the job's name."""
    from techfin.services import ingest

    make_loan(world)
    uscc, system = "91110000600037341L", Actor.system("test")
    loads = {
        "tax": [
            {
                "统一社会信用代码": uscc,
                "所属期": "2024Q4",
                "申报销售收入": "1,000,000",
                "数据日期": "2025-01-31",
            },
            {
                "uscc": uscc,
                "quarter": "2025Q3",
                "declared_revenue": "900000",
                "as_of": "2025-10-31",
            },
            {
                "uscc": uscc,
                "quarter": "2025Q4",
                "declared_revenue": "400000",
                "as_of": "2026-01-31",
            },
        ],
        "utilities": [
            {"uscc": uscc, "quarter": "2024Q4", "power_kwh": 100000, "as_of": "2025-01-31"},
            {"uscc": uscc, "quarter": "2025Q4", "用电量": 30000, "as_of": "2026-01-31"},
        ],
        "customs": [
            {"uscc": uscc, "quarter": "2024Q4", "exports": "5000000", "as_of": "2025-01-31"},
            {"uscc": uscc, "quarter": "2025Q4", "出口额": "1000000", "as_of": "2026-01-31"},
        ],
    }
    for source, records in loads.items():
        report = ingest.ingest_records(
            world.db, system, source, records, today=dt.date(2026, 2, 11)
        )
        assert (report.loaded, report.quarantined) == (len(records), 0), report.to_dict()

    drops = {"revenue_drop_qoq", "revenue_drop_yoy", "power_drop_yoy", "customs_drop_yoy"}
    _run_steps(world, dt.date(2026, 2, 12))
    before = _warning(world, dt.date(2026, 2, 12))
    assert not {f["code"] for f in before["fired"]} & drops
    assert {n["code"] for n in before["not_evaluated"]} >= drops
    assert not [
        a
        for a in consent.access_log(world.db, world.actor("s_ent"), world.enterprise_id)
        if a.user == "system:eod"
    ]

    _consent_to_monitoring(world)
    _run_steps(world, dt.date(2026, 2, 13))
    row = _warning(world, dt.date(2026, 2, 13))
    fired = {f["code"]: f for f in row["fired"]}
    assert drops <= set(fired)
    assert (
        "revenue fell 55.6 % quarter over quarter (900000.00 → 400000.00 in 2025Q4)"
        in (fired["revenue_drop_qoq"]["evidence"])
    )
    assert "revenue fell 60.0 % year over year" in fired["revenue_drop_yoy"]["evidence"]
    assert (
        "power_use fell 70.0 % year over year (100000 → 30000 in 2025Q4)"
        in (fired["power_drop_yoy"]["evidence"])
    )
    assert "customs_value fell 80.0 % year over year" in fired["customs_drop_yoy"]["evidence"]
    assert [fired[c]["weight"] for c in sorted(drops)] == [10, 15, 20, 25]
    assert (row["score"], row["level"]) == (70, "red")
    assert not {n["code"] for n in row["not_evaluated"]} & drops
    log = consent.access_log(world.db, world.actor("s_ent"), world.enterprise_id)
    assert any(
        a.user == "system:eod" and a.purpose == "post_loan_monitoring" and a.institution == "SBANK"
        for a in log
    )


def test_a_stale_hub_reading_is_not_scored_as_news(world):
    """The latest revenue is for 2025Q4. Through 2026-06-30 it is one of the last two complete
    quarters and its drop fires; from 2026-07-01 (2026Q3) no newer figure has come in, so the
    drop rules say the reading is stale instead of scoring a half-year-old drop as news."""
    from techfin.services import ingest

    make_loan(world)
    _consent_to_monitoring(world)
    records = [
        {"uscc": "91110000600037341L", "quarter": q, "declared_revenue": v, "as_of": on}
        for q, v, on in (
            ("2024Q4", "1000000", "2025-01-31"),
            ("2025Q4", "400000", "2026-01-31"),
        )
    ]
    ingest.ingest_records(
        world.db, Actor.system("test"), "tax", records, today=dt.date(2026, 2, 11)
    )
    _run_steps(world, dt.date(2026, 6, 30))
    fresh = _warning(world, dt.date(2026, 6, 30))
    assert "revenue_drop_yoy" in {f["code"] for f in fresh["fired"]}
    _run_steps(world, dt.date(2026, 7, 1))
    stale = _warning(world, dt.date(2026, 7, 1))
    assert "revenue_drop_yoy" not in {f["code"] for f in stale["fired"]}
    assert {
        "code": "revenue_drop_yoy",
        "reason": "latest revenue reading (2025Q4) is stale",
    } in stale["not_evaluated"]


def _api(world):
    from fastapi.testclient import TestClient
    from svcp_world import PASSWORD

    from techfin.app import create_app

    client = TestClient(create_app(world.db, secret_key="t"))

    def headers(username: str) -> dict[str, str]:
        token = client.post("/api/token", json={"username": username, "password": PASSWORD})
        return {"Authorization": f"Bearer {token.json()['access_token']}"}

    return client, headers


def test_funds_off_purpose_from_use_of_funds_evidence_warns_and_opens_a_task(world):
    """Evidence recorded over the API after disbursement: a wealth product (a category
    prohibited for a working-capital loan) and a "raw materials" payment whose description says
    购房 (real estate, suspected). Day-end raises `funds_off_purpose` naming both evidence items
    and their rules, and opens `use_of_funds_check`. Day-end of the day before the evidence was
    recorded does not see it. No consent is needed: the evidence is the bank's own record. A
    bad category is a problem naming `category`, and nothing is recorded."""
    from techfin.store.tables import AuditEntry
    from techfin.store.tables_origination import FundUseEvidence

    loan = make_loan(world)  # business date 2026-02-10
    client, headers = _api(world)
    am = headers("s_am")
    url = f"/api/origination/loans/{loan}/fund-use"
    bad = client.post(
        url, headers=am, json={"amount": "1.00", "description": "x", "category": "casino"}
    )
    assert bad.status_code == 422, bad.text
    assert bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["field"] == "category" and "casino" in bad.json()["detail"]
    assert _rows(world, FundUseEvidence) == 0
    refused = client.post(url, headers=headers("o_am"), json={"amount": "1.00", "description": "x"})
    assert refused.status_code in (403, 404)  # another bank's loan
    first = client.post(
        url,
        headers=am,
        json={
            "amount": "50000.00",
            "description": "认购银行理财产品",
            "payee_name": "某银行理财子公司",
            "category": "wealth_products",
        },
    )
    assert first.status_code == 201, first.text
    second = client.post(
        url,
        headers=am,
        json={"amount": "20000.00", "description": "预付购房款", "category": "raw_materials"},
    )
    assert second.status_code == 201, second.text
    evidence = second.json()["fund_use"]["evidence"]
    assert [(e["category"], e["recorded_on"]) for e in evidence] == [
        ("wealth_products", "2026-02-10"),
        ("raw_materials", "2026-02-10"),
    ]
    assert second.json()["fund_use"]["unevidenced"] == "50000.00"
    wealth, house = (e["id"] for e in evidence)

    _run_steps(world, dt.date(2026, 2, 9))
    assert "funds_off_purpose" not in {
        f["code"] for f in _warning(world, dt.date(2026, 2, 9))["fired"]
    }
    outcome = eod.run(world.db, Actor.system("test"), dt.date(2026, 2, 10), "SBANK")[0]
    assert outcome.status == "completed", outcome
    row = _warning(world, dt.date(2026, 2, 10))
    fired = {f["code"]: f for f in row["fired"]}
    off = fired["funds_off_purpose"]
    assert off["weight"] == 30
    assert f"evidence #{wealth} of 2026-02-10" in off["evidence"]
    assert "category wealth_products (理财、资管及信托产品) is prohibited" in off["evidence"]
    assert f"evidence #{house} of 2026-02-10" in off["evidence"]
    assert "“购房” suggests real_estate" in off["evidence"]
    assert "use-of-funds evidence" in off["evidence"]
    tasks = [t for t in mon.tasks(world.db, world.actor("s_rm")) if t["loan_id"] == loan]
    check = [t for t in tasks if t["task"] == "use_of_funds_check"]
    assert len(check) == 1 and check[0]["due_on"] == "2026-02-15"
    assert check[0]["because"] == "funds_off_purpose"
    with world.db.read() as s:
        audited = s.scalars(
            select(AuditEntry.target).where(AuditEntry.command == "origination.fund_use")
        ).all()
    assert audited == [f"loan:{loan}", f"loan:{loan}"]


def test_principal_unevidenced_after_the_window_warns_from_rule_version_2026_2(world):
    """Disbursed 2026-11-01, 100,000.00 of 120,000.00 evidenced: the 30-day window closes at
    the day-end of 2026-12-01. `funds_unevidenced` is a rule of early-warning version
    techfin-ew-2026-2 (in force from 2026-12-01): on 2026-11-30 nothing fires (window open, old
    version), on 2026-12-01 it fires with the amount and opens `use_of_funds_evidence`."""
    from techfin.services import origination as orig

    loan = make_loan(world, start=dt.date(2026, 11, 1))
    set_business_date(world, dt.date(2026, 11, 5))
    orig.record_fund_use(
        world.db,
        world.actor("s_am"),
        loan,
        amount="100000.00",
        description="晶圆采购",
        payee_name="某晶圆厂",
        category="raw_materials",
    )
    _run_steps(world, dt.date(2026, 11, 30))
    early = _warning(world, dt.date(2026, 11, 30), loan)
    assert early["rule_version"] == "techfin-ew-2026-1"
    assert not {f["code"] for f in early["fired"]} & {"funds_unevidenced", "funds_off_purpose"}
    _run_steps(world, dt.date(2026, 12, 1))
    row = _warning(world, dt.date(2026, 12, 1), loan)
    assert row["rule_version"] == "techfin-ew-2026-2"
    fired = {f["code"]: f for f in row["fired"]}
    assert "funds_off_purpose" not in fired
    assert fired["funds_unevidenced"]["weight"] == 10
    assert (
        "CNY 20,000.00 of CNY 120,000.00 not evidenced by 2026-12-01"
        in (fired["funds_unevidenced"]["evidence"])
    )
    assert "use_of_funds_evidence" in {t["task"] for t in row["tasks"]}


def test_repaying_this_banks_loan_is_off_purpose_unless_the_loan_was_renewed(world):
    """Evidence "repay this bank's loan" is the purpose of a renewal without prior repayment
    (the renewal segment is on the loan); on a loan never renewed it is 借新还旧 and warns."""
    from decimal import Decimal

    from techfin.services import origination as orig

    renewed = make_loan(world, months=12, method="interest-only")
    plain = make_loan(world, months=12, method="interest-only")
    ap, am = world.actor("s_ap"), world.actor("s_am")
    set_business_date(world, dt.date(2026, 12, 1))
    due = svc.loan_view(world.db, ap, renewed)["balances"]["total_due_now"]
    svc.record_payment(world.db, am, renewed, amount=due, value_date=dt.date(2026, 12, 1))
    svc.renew_loan(
        world.db,
        ap,
        renewed,
        borrower_size="small",
        purpose="working_capital",
        applied_on=dt.date(2026, 11, 20),
        investigation_done_on=dt.date(2026, 11, 28),
        contracts_signed_on=dt.date(2026, 12, 1),
        annual_rate=Decimal("0.05"),
        installments=12,
        reason="renew the working-capital loan",
        conditions={
            "lawful": True,
            "operating": True,
            "funds_diverted": False,
            "missed_interest": False,
            "evaded_debt": False,
        },
    )
    for loan in (renewed, plain):
        orig.record_fund_use(
            world.db,
            am,
            loan,
            amount=Decimal("120000.00"),
            description="归还本行借款",
            category="repay_own_loan",
        )
    _run_steps(world, dt.date(2026, 12, 1))
    assert "funds_off_purpose" not in {
        f["code"] for f in _warning(world, dt.date(2026, 12, 1), renewed)["fired"]
    }
    fired = {f["code"]: f for f in _warning(world, dt.date(2026, 12, 1), plain)["fired"]}
    assert "借新还旧" in fired["funds_off_purpose"]["evidence"]
    assert "funds_unevidenced" not in fired  # fully evidenced


def test_a_prohibited_use_of_funds_sets_the_change_of_use_floor_a_suspicion_does_not(world):
    """Evidence in a category prohibited for the loan is a recorded change of use: from the
    day-end of the day it is recorded the floor is special mention with that reason. A keyword
    hit alone (declared raw materials, description says 购房) warns but sets no floor."""
    from techfin.services import origination as orig

    suspected = make_loan(world)  # business date 2026-02-10
    orig.record_fund_use(
        world.db,
        world.actor("s_am"),
        suspected,
        amount=Decimal("20000.00"),
        description="预付购房款",
        category="raw_materials",
    )
    prohibited = make_loan(world)
    _run_steps(world, dt.date(2026, 2, 10))
    am = world.actor("s_am")
    for loan in (suspected, prohibited):
        view = svc.loan_view(world.db, am, loan, as_of=dt.date(2026, 2, 10))
        assert view["floor"]["value"] == "normal"
    orig.record_fund_use(
        world.db,
        am,
        prohibited,
        amount=Decimal("50000.00"),
        description="认购银行理财产品",
        category="wealth_products",
    )
    set_business_date(world, dt.date(2026, 2, 11))
    _run_steps(world, dt.date(2026, 2, 11))
    view = svc.loan_view(world.db, am, prohibited, as_of=dt.date(2026, 2, 11))
    assert view["floor"]["value"] == "special_mention"
    assert [r["code"] for r in view["floor"]["reasons"]] == ["change_of_use"]
    assert "downgrade" in [n["kind"] for n in view["notices"]]
    calm = svc.loan_view(world.db, am, suspected, as_of=dt.date(2026, 2, 11))
    assert calm["floor"]["value"] == "normal"
    for loan in (suspected, prohibited):
        fired = {f["code"] for f in _warning(world, dt.date(2026, 2, 11), loan)["fired"]}
        assert "funds_off_purpose" in fired


def test_a_done_task_is_not_reopened_while_its_cause_persists_only_when_it_returns(world):
    """Overdue on 2026-02-16 opens `collection_call`; staff close it; the loan stays overdue on
    the 17th: no new task. The arrears are paid (the cause goes away); the next instalment is
    missed: a new episode, a new task."""
    loan = make_loan(world)
    am, rm = world.actor("s_am"), world.actor("s_rm")

    def calls() -> list[dict]:
        return [
            t
            for t in mon.tasks(world.db, rm, status="all")
            if t["loan_id"] == loan and t["task"] == "collection_call"
        ]

    _run_steps(world, dt.date(2026, 2, 16))
    assert [t["status"] for t in calls()] == ["open"]
    mon.complete_task(world.db, rm, calls()[0]["id"], "called the CFO: pays on the 18th")
    _run_steps(world, dt.date(2026, 2, 17))  # still overdue: the same episode
    assert [t["status"] for t in calls()] == ["done"]
    set_business_date(world, dt.date(2026, 2, 18))
    svc.record_payment(world.db, am, loan, amount="10400.00", value_date=dt.date(2026, 2, 18))
    _run_steps(world, dt.date(2026, 2, 18))
    assert [t["status"] for t in calls()] == ["done"]
    _run_steps(world, dt.date(2026, 3, 16))  # the March instalment missed: a new episode
    assert sorted(t["status"] for t in calls()) == ["done", "open"]
