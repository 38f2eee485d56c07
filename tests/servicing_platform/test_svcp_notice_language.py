"""Day-end notices on the loan page in the page's language (issue 9): the sentence is built from
the notice's kind and structured detail with translated pieces; the stored English text stays as
it was for the API and the audit. An older notice without the figures in its detail shows its
stored text."""

from __future__ import annotations

import datetime as dt
import html
import re

from svcp_world import PASSWORD, make_loan, set_business_date
from test_svcp_floating import _floating_loan

from techfin.app import create_app
from techfin.credit.pricing import load_lpr_table
from techfin.services import servicing as svc
from techfin.services import servicing_monitoring as mon
from techfin.store.tables import Institution
from techfin.store.tables_servicing import SvcNotice


def _client(world, lang: str):
    from fastapi.testclient import TestClient

    client = TestClient(create_app(world.db, secret_key="test-secret"))
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    client.post(
        "/login",
        data={"username": "s_am", "password": PASSWORD, "csrf_token": csrf.group(1), "next": "/"},
    )
    client.get(f"/lang/{lang}")
    return client


def _notices(client, loan: int) -> dict[str, str]:
    """The notices list of the loan page: kind (the li's class) → its text, tags removed."""
    page = client.get(f"/loans/{loan}")
    assert page.status_code == 200, page.text
    block = re.search(r'<ul id="notices">(.*?)</ul>', page.text, re.S)
    assert block is not None
    items = re.findall(r'<li class="notice-([a-z_]+)">(.*?)</li>', block.group(1), re.S)
    return {kind: " ".join(html.unescape(re.sub(r"<[^>]+>", "", t)).split()) for kind, t in items}


def test_downgrade_and_judgement_due_in_chinese_and_english(world):
    """Nothing paid on the 2026-01-15 loan by 2026-04-20: 64 days past due raise the floor from
    normal to special mention (overdue), and no class has been judged in more than a quarter."""
    loan = make_loan(world)
    day = dt.date(2026, 4, 20)
    set_business_date(world, day)
    with world.db.transaction() as s:
        inst = s.get(Institution, world.bank_id)
        mon.day_end_positions(s, inst, day)
        counts = mon.day_end_classification(s, inst, day)
    assert counts["downgrade"] == 1 and counts["judgement_due"] == 1

    zh = _notices(_client(world, "zh"), loan)
    assert zh["downgrade"] == (
        "2026-04-20 · 下调 · 分类下限由 正常 下调至 关注. 依据: 逾期 (逾期天数 64)"
    )
    assert zh["judgement_due"] == (
        "2026-04-20 · 需重新认定 · 尚未认定风险分类：请复核并签批，至少每季度一次。"
    )
    en = _notices(_client(world, "en"), loan)
    assert "Classification floor raised from" in en["downgrade"]
    assert "overdue (Days past due 64)" in en["downgrade"]
    assert "下调" not in en["downgrade"]
    assert en["judgement_due"].endswith(
        "No judged class recorded yet: review and sign off at least quarterly."
    )

    # the API keeps the stored English sentence and gives the structured detail
    view = svc.loan_view(world.db, world.actor("s_am"), loan)
    down = next(n for n in view["notices"] if n["kind"] == "downgrade")
    assert down["text"].startswith("classification floor raised from normal to special_mention")
    assert down["detail"] == {
        "from": "normal",
        "to": "special_mention",
        "reasons": ["overdue"],
        "days_past_due": 64,
    }


def test_repricing_notice_in_chinese_and_english(world):
    """LPR 1Y − 20 bp from 2024-06-25 (3.25 %); repriced on 2025-06-25 to 2.80 % on the 3.00 %
    fixing of 2025-06-20."""
    loan = _floating_loan(world, start=dt.date(2024, 6, 25), spread_bp="-20")
    day = dt.date(2025, 7, 1)
    set_business_date(world, day)
    with world.db.transaction() as s:
        assert svc.day_end_repricing(s, s.get(Institution, world.bank_id), day)["repriced"] == 1
    fixing = load_lpr_table().in_force(dt.date(2025, 6, 25)).fixing_date.isoformat()
    zh = _notices(_client(world, "zh"), loan)["repriced"]
    assert zh == (
        f"2025-06-25 · 已重定价 · 重定价日 2025-06-25: 3.25 % → 2.80 % "
        f"(LPR 1Y 3.00 %, 报价日 {fixing})"
    )
    en = _notices(_client(world, "en"), loan)["repriced"]
    assert en.endswith(
        f"Repriced on 2025-06-25: 3.25 % → 2.80 % (LPR 1Y 3.00 %, fixing of {fixing})"
    )
    view = svc.loan_view(world.db, world.actor("s_am"), loan)
    (stored,) = [n for n in view["notices"] if n["kind"] == "repriced"]
    assert stored["text"].startswith("repriced on 2025-06-25: 0.0325 → 0.0280")


def test_missing_fixing_notice_links_the_lpr_page(world):
    table = load_lpr_table()
    repricing = table.valid_until() + dt.timedelta(days=5)
    start = dt.date(repricing.year - 1, repricing.month, repricing.day)
    loan = _floating_loan(world, start=start, spread_bp="40", months=24)
    day = repricing + dt.timedelta(days=2)
    set_business_date(world, day)
    with world.db.transaction() as s:
        assert svc.day_end_repricing(s, s.get(Institution, world.bank_id), day)["lpr_missing"] == 1
    client = _client(world, "zh")
    zh = _notices(client, loan)["repricing_lpr_missing"]
    assert "平台LPR表缺少当日报价，暂按最近一期报价计算" in zh
    assert f"报价日 {table.last_date.isoformat()}" in zh
    assert 'href="/market/lpr"' in client.get(f"/loans/{loan}").text
    en = _notices(_client(world, "en"), loan)["repricing_lpr_missing"]
    assert "the platform's LPR table has no fixing for that date" in en


def test_an_older_notice_without_figures_shows_its_stored_text(world):
    loan = make_loan(world)
    with world.db.transaction() as s:
        s.add(
            SvcNotice(
                institution_id=world.bank_id,
                loan_id=loan,
                business_date=dt.date(2026, 2, 1),
                kind="judgement_due",
                text="last judged class (normal) signed off on 2025-10-01, more than a quarter ago",
                detail={"last": 7},
            )
        )
    zh = _notices(_client(world, "zh"), loan)["judgement_due"]
    assert zh.endswith(
        "last judged class (normal) signed off on 2025-10-01, more than a quarter ago"
    )


def test_stale_judgement_and_class_below_the_floor_in_chinese_and_english(world):
    """`normal` judged and signed off on 2026-01-20 (set back: sign-off stamps the wall clock);
    on 2026-04-25 nothing has been paid: the floor is special mention, the judged class is
    better than it, and the sign-off is more than a quarter old."""
    from techfin.store.tables_servicing import SvcClassification

    loan = make_loan(world)
    set_business_date(world, dt.date(2026, 1, 20))
    made = svc.propose_class(
        world.db, world.actor("s_am"), loan, judged_class="normal", rationale="首次认定"
    )
    svc.sign_off_class(world.db, world.actor("s_rm"), made["id"], approve=True)
    with world.db.transaction() as s:
        row = s.get(SvcClassification, made["id"])
        assert row is not None
        row.reviewed_at = dt.datetime(2026, 1, 20, 10, 0)
    day = dt.date(2026, 4, 25)
    set_business_date(world, day)
    with world.db.transaction() as s:
        inst = s.get(Institution, world.bank_id)
        mon.day_end_positions(s, inst, day)
        counts = mon.day_end_classification(s, inst, day)
    assert counts["judgement_due"] == 1 and counts["below_floor"] == 1
    zh = _notices(_client(world, "zh"), loan)
    assert zh["judgement_due"].endswith(
        "上次认定分类 正常 签批于 2026-01-20: 已超过一个季度，请重新复核并签批。"
    )
    assert zh["below_floor"].endswith("认定分类 正常 优于分类下限 关注: 请重新认定分类。")
    en = _notices(_client(world, "en"), loan)
    assert "signed off on 2026-01-20: more than a quarter ago" in en["judgement_due"]
    assert "is better than the classification floor" in en["below_floor"]
