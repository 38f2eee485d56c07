"""Use-of-funds evidence with its category (issue 9 item 6): validated against
`credit/data/fund_use_rules.yaml`, dated by the bank's business date, audited, all-or-nothing;
tenancy and role checked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from orig_world import OrigWorld, build_orig_world
from sqlalchemy import func, select
from test_orig_services import _to_decision

from techfin.services import origination as o
from techfin.services.errors import Forbidden, NotFound, ValidationFailed
from techfin.store.tables import AuditEntry, BusinessDate, Institution
from techfin.store.tables_origination import FundUseEvidence


@pytest.fixture
def world(db) -> OrigWorld:
    return build_orig_world(db)


def _loan(w: OrigWorld) -> int:
    app = _to_decision(w, "1000000")
    app = o.decide(w.db, w.actor("a_approver"), app["id"], decision="approve", reason="ok")
    app = o.make_contract(w.db, w.actor("a_am"), app["id"])
    o.meet_condition(w.db, w.actor("a_am"), app["contract"]["conditions"][0]["id"], evidence="r")
    d = o.request_disbursement(w.db, w.actor("a_am"), app["contract"]["id"])
    d = o.check_disbursement(w.db, w.actor("a_risk"), d["id"], approve=True, reason="ok")
    return int(d["loan_id"])


def _count(w: OrigWorld) -> int:
    with w.db.read() as s:
        return int(s.scalar(select(func.count(FundUseEvidence.id))))


def test_evidence_carries_a_validated_category_and_the_business_date(world):
    w = world
    loan = _loan(w)
    am = w.actor("a_am")
    view = o.record_fund_use(
        w.db, am, loan, amount=Decimal("300000.00"), description="  wafers  ", payee_name="Fab"
    )
    first = view["fund_use"]["evidence"][0]
    assert (first["category"], first["description"], first["payee"]) == (
        "unspecified",
        "wafers",
        "Fab",
    )
    assert first["recorded_on"] == dt.date.today().isoformat()  # no business date: the clock
    with w.db.transaction() as s:
        bank = s.scalar(select(Institution).where(Institution.code == "BANKA"))
        s.add(BusinessDate(institution_id=bank.id, business_date=dt.date(2031, 5, 6)))
    view = o.record_fund_use(
        w.db,
        w.actor("a_risk"),
        loan,
        amount=Decimal("200000"),
        description="购置研发设备",
        category="rd_equipment",
    )
    second = view["fund_use"]["evidence"][1]
    assert (second["category"], second["recorded_on"]) == ("rd_equipment", "2031-05-06")
    assert (second["category_zh"], second["category_en"]) == (
        "研发设备购置",
        "R&D equipment (capitalised)",
    )
    assert view["fund_use"]["evidenced"] == "500000.00"
    assert view["fund_use"]["unevidenced"] == "500000.00"
    with w.db.read() as s:
        reasons = s.scalars(
            select(AuditEntry.reason)
            .where(AuditEntry.command == "origination.fund_use")
            .order_by(AuditEntry.seq)
        ).all()
    assert reasons == ["wafers", "购置研发设备"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "casino"}, "category"),
        ({"description": "   "}, "description"),
        ({"description": "x" * 301}, "description"),
        ({"payee_name": "p" * 201}, "payee_name"),
        ({"amount": Decimal("0")}, "amount"),
        ({"amount": Decimal("1.001")}, "amount"),
        ({"amount": 1.5}, "amount"),
    ],
)
def test_bad_evidence_names_its_field_and_records_nothing(world, change, field):
    if world.db.dialect != "sqlite" and field != "category":
        pytest.skip("database-independent validation: SQLite only (time budget)")
    loan = _loan(world)
    args = {"amount": Decimal("10.00"), "description": "wages", "category": "wages", **change}
    with pytest.raises(ValidationFailed) as err:
        o.record_fund_use(world.db, world.actor("a_am"), loan, **args)
    assert err.value.field == field
    assert _count(world) == 0


def test_only_the_lending_banks_managers_record_evidence(world):
    if world.db.dialect != "sqlite":
        pytest.skip("database-independent control: SQLite only (time budget)")
    loan = _loan(world)
    args = {"amount": Decimal("10.00"), "description": "wages", "category": "wages"}
    with pytest.raises(Forbidden):
        o.record_fund_use(world.db, world.actor("a_reviewer"), loan, **args)
    with pytest.raises((Forbidden, NotFound)):
        o.record_fund_use(world.db, world.actor("b_am"), loan, **args)
    with pytest.raises(NotFound):
        o.record_fund_use(world.db, world.actor("a_am"), loan + 999, **args)
    assert _count(world) == 0


def test_the_application_page_lists_the_evidence_with_its_category(world):
    """The loan on the application page lists each evidence item with its category in the
    page's language."""
    import re

    from fastapi.testclient import TestClient
    from orig_world import PASSWORD

    from techfin.app import create_app

    if world.db.dialect != "sqlite":
        pytest.skip("page rendering: SQLite only (time budget)")
    loan = _loan(world)
    view = o.record_fund_use(
        world.db,
        world.actor("a_am"),
        loan,
        amount=Decimal("1234.50"),
        description="购买测试仪器",
        payee_name="仪器公司",
        category="rd_expense",
    )
    client = TestClient(create_app(world.db, secret_key="test-secret"))
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    client.post(
        "/login",
        data={"username": "a_am", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    url = f"/origination/{view['application_id']}"
    zh = client.get(url)
    assert zh.status_code == 200, zh.text[:500]
    table = zh.text[zh.text.index('id="fund-use-evidence"') :]
    assert "用途类别" in table and "研发费用" in table and "仪器公司" in table
    client.get(f"/lang/en?next={url}")
    en = client.get(url).text
    assert "R&amp;D expenses (trials, testing, contracted research)" in en
