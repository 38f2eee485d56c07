"""Monthly LPR fixings entered on the platform extend the packaged table (maker-checker)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from platform_world import PASSWORD
from sqlalchemy import select

from techfin.app import create_app
from techfin.credit.pricing import load_lpr_table
from techfin.services import market, users
from techfin.services.context import Actor
from techfin.services.errors import Conflict, Forbidden, ValidationFailed
from techfin.services.origination_file import pricing_part
from techfin.services.origination_policy import load_policy
from techfin.store.tables import AuditEntry

PACKAGED = load_lpr_table()


def _next_fixing_date(last: dt.date) -> dt.date:
    year, month = (last.year + last.month // 12, last.month % 12 + 1)
    return dt.date(year, month, 21)


NEXT = _next_fixing_date(PACKAGED.last_date)


@pytest.fixture
def ops(world):
    with world.db.transaction() as s:
        for name in ("hub_admin1", "hub_admin2"):
            users.add_user(
                s,
                Actor.system("test"),
                username=name,
                password=PASSWORD,
                role="admin",
                institution_code="HUB",
                display_name=name,
            )
    return world


def _propose(world, who="hub_admin1", **kw):
    args = {
        "fixing_date": NEXT,
        "one_year_percent": "2.95",
        "five_year_plus_percent": "3.45",
        "source": "全国银行间同业拆借中心公告",
        "today": NEXT,
    }
    args.update(kw)
    return market.propose_lpr_fixing(world.db, world.actor(who), **args)


def test_a_confirmed_fixing_extends_the_table_pricing_reads(ops):
    later = NEXT + dt.timedelta(days=10)
    with ops.db.read() as s, pytest.raises(ValueError, match="needs an LPR fixing"):
        market.lpr_table(s).in_force(later)
    entry = _propose(ops)
    assert entry["status"] == "pending"
    with ops.db.read() as s:  # pending is not yet in force
        assert market.lpr_table(s).last_date == PACKAGED.last_date
    done = market.decide_lpr_fixing(ops.db, ops.actor("hub_admin2"), entry["id"], approve=True)
    assert (done["status"], done["entered_by"], done["checked_by"]) == (
        "confirmed",
        "hub_admin1",
        "hub_admin2",
    )
    with ops.db.read() as s:
        table = market.lpr_table(s)
        fixing = table.in_force(later)
        commands = [e.command for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert fixing.fixing_date == NEXT
    assert (fixing.one_year, fixing.five_year_plus) == (Decimal("0.0295"), Decimal("0.0345"))
    assert table.fixings[:-1] == PACKAGED.fixings  # history is the packaged one, untouched
    assert commands[-2:] == ["market.lpr_propose", "market.lpr_confirm"]
    # the origination file prices on the new fixing, without the stale-table warning
    policy = load_policy()
    args = {
        "amount": Decimal("1000000.00"),
        "term_months": 12,
        "start": later,
        "grade": None,
        "pd": None,
        "guarantee": [],
        "tech": True,
        "policy": policy,
    }
    stale = pricing_part(**args)
    fresh = pricing_part(**args, lpr_table=table)
    assert stale["lpr_warning"] and fresh["lpr_warning"] is None
    assert fresh["priced_on"] == later.isoformat()
    spread = Decimal(policy.raw["base_spread_bp"]) / 10000
    assert Decimal(fresh["offered_rate"]) == Decimal("0.0295") + spread


def test_maker_checker_and_only_the_platform_operator(ops):
    for who in ("a_admin", "a_am"):  # a bank's administrator or staff cannot set market data
        with pytest.raises(Forbidden):
            _propose(ops, who)
    entry = _propose(ops)
    with pytest.raises(Forbidden, match="cannot also confirm"):
        market.decide_lpr_fixing(ops.db, ops.actor("hub_admin1"), entry["id"], approve=True)
    with pytest.raises(Forbidden):
        market.decide_lpr_fixing(ops.db, ops.actor("a_admin"), entry["id"], approve=True)
    # one pending entry at a time
    with pytest.raises(Conflict):
        _propose(ops, "hub_admin2")
    # a rejection needs its reason and leaves the month open for a corrected entry
    with pytest.raises(ValidationFailed) as err:
        market.decide_lpr_fixing(ops.db, ops.actor("hub_admin2"), entry["id"], approve=False)
    assert err.value.field == "note"
    market.decide_lpr_fixing(
        ops.db, ops.actor("hub_admin2"), entry["id"], approve=False, note="typo in 5y"
    )
    with pytest.raises(Conflict):
        market.decide_lpr_fixing(ops.db, ops.actor("hub_admin2"), entry["id"], approve=True)
    with ops.db.read() as s:
        assert market.lpr_table(s).last_date == PACKAGED.last_date
    again = _propose(ops, "hub_admin2", five_year_plus_percent="3.50")
    assert again["status"] == "pending" and again["five_year_plus_percent"] == "3.50"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"fixing_date": NEXT + dt.timedelta(days=31)}, "fixing_date"),  # skips a month
        ({"fixing_date": PACKAGED.last_date}, "fixing_date"),  # already in the table
        ({"fixing_date": NEXT.replace(day=19)}, "fixing_date"),  # before publication day
        ({"today": NEXT - dt.timedelta(days=1)}, "fixing_date"),  # in the future
        ({"one_year_percent": "2.97"}, "one_year_percent"),  # not a multiple of 0.05
        ({"one_year_percent": "abc"}, "one_year_percent"),
        ({"five_year_plus_percent": "0"}, "five_year_plus_percent"),
        ({"five_year_plus_percent": "35"}, "five_year_plus_percent"),
        ({"source": "  "}, "source"),
    ],
)
def test_bad_entries_name_the_field(ops, change, field):
    with pytest.raises(ValidationFailed) as err:
        _propose(ops, **change)
    assert err.value.field == field
    with ops.db.read() as s:
        assert s.scalar(select(AuditEntry).where(AuditEntry.command.like("market.%"))) is None


def test_over_http(ops):
    if dt.date.today() < NEXT:  # the packaged table reaches last month: nothing to enter yet
        pytest.skip("the next fixing is not published yet")
    client = TestClient(create_app(ops.db, secret_key="test-secret"))

    def auth(name):
        r = client.post("/api/token", json={"username": name, "password": PASSWORD})
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    h1, h2, bank = auth("hub_admin1"), auth("hub_admin2"), auth("a_am")
    later = (NEXT + dt.timedelta(days=5)).isoformat()
    refused = client.get(f"/api/lpr?date={later}", headers=bank)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    body = {
        "fixing_date": NEXT.isoformat(),
        "one_year_percent": "2.95",
        "five_year_plus_percent": "3.45",
        "source": "NIFC notice",
    }
    bad = client.post("/api/lpr/fixings", json={**body, "one_year_percent": "2.96"}, headers=h1)
    assert bad.status_code == 422 and bad.json()["field"] == "one_year_percent"
    assert client.post("/api/lpr/fixings", json=body, headers=bank).status_code == 403
    created = client.post("/api/lpr/fixings", json=body, headers=h1)
    assert created.status_code == 201
    eid = created.json()["id"]
    self_check = client.post(f"/api/lpr/fixings/{eid}/decision", json={"approve": True}, headers=h1)
    assert self_check.status_code == 403
    ok = client.post(f"/api/lpr/fixings/{eid}/decision", json={"approve": True}, headers=h2)
    assert ok.status_code == 200 and ok.json()["status"] == "confirmed"
    answer = client.get(f"/api/lpr?date={later}", headers=bank).json()
    assert (answer["fixing_date"], answer["one_year_percent"]) == (NEXT.isoformat(), "2.95")
    listing = client.get("/api/lpr/fixings", headers=bank).json()
    assert listing["last_fixing_date"] == NEXT.isoformat() and listing["can_enter"] is False
    assert client.get("/api/lpr/fixings", headers=h1).json()["can_enter"] is True


def _csrf(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def _page_login(client: TestClient, username: str) -> None:
    page = client.get("/login")
    client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": _csrf(page.text)},
    )


def test_the_page_enters_and_confirms_with_messages(ops):
    if dt.date.today() < NEXT:
        pytest.skip("the next fixing is not published yet")
    maker = TestClient(create_app(ops.db, secret_key="test-secret"))
    _page_login(maker, "hub_admin1")
    page = maker.get("/market/lpr")
    assert page.status_code == 200 and 'id="lpr-form"' in page.text
    assert PACKAGED.last_date.isoformat() in page.text
    form = {
        "csrf_token": _csrf(page.text),
        "fixing_date": NEXT.isoformat(),
        "one_year_percent": "3.01",
        "five_year_plus_percent": "3.50",
        "source": "NIFC notice",
    }
    bad = maker.post("/market/lpr", data=form)
    assert "one_year_percent" in bad.text and 'role="alert"' in bad.text
    maker.post("/market/lpr", data={**form, "one_year_percent": "3.00"})
    listed = maker.get("/market/lpr").text
    assert "NIFC notice" in listed and 'action="/market/lpr/' not in listed  # not the maker's own
    checker = TestClient(create_app(ops.db, secret_key="test-secret"))
    _page_login(checker, "hub_admin2")
    page = checker.get("/market/lpr").text
    assert 'action="/market/lpr/' in page
    entry_id = int(page.split('action="/market/lpr/')[1].split('"')[0])
    checker.post(f"/market/lpr/{entry_id}", data={"csrf_token": _csrf(page), "decision": "approve"})
    with ops.db.read() as s:
        assert market.lpr_table(s).last_date == NEXT
    bank = TestClient(create_app(ops.db, secret_key="test-secret"))
    _page_login(bank, "a_admin")
    seen = bank.get("/market/lpr").text
    assert NEXT.isoformat() in seen and 'id="lpr-form"' not in seen
