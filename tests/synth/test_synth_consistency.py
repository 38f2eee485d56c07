"""Internal consistency: accounting identities, caps, dates, titles and flags agree."""

from __future__ import annotations

from datetime import date
from typing import Any as World

import polars as pl

AS_OF = date(2026, 9, 30)
WAN = 1_000_000  # fen per 万元


def test_balance_sheet_identity_and_ordering(world: World) -> None:
    f = world.df("financials")
    assert f.height > 60_000
    assert (f["total_assets_fen"] == f["total_liabilities_fen"] + f["net_assets_fen"]).all()
    assert (f["total_assets_fen"] > 0).all() and (f["total_liabilities_fen"] >= 0).all()
    assert (f["cost_of_sales_fen"] <= f["revenue_fen"]).all()
    assert (f["rd_domestic_fen"] <= f["rd_expense_fen"]).all()
    # R&D is expensed: what is left after cost of sales and R&D covers the net profit
    left = f["revenue_fen"] - f["cost_of_sales_fen"] - f["rd_expense_fen"]
    assert (f["net_profit_fen"] <= left).all()
    current = f["inventory_fen"] + f["receivables_fen"] + f["prepayments_fen"]
    assert (current <= f["total_assets_fen"]).all()
    assert (f["payables_fen"] + f["advance_receipts_fen"] <= f["total_liabilities_fen"]).all()
    assert (f["tech_staff"] <= f["employees"]).all() and (f["employees"] >= 1).all()
    assert f["tax_credit_grade"].is_in(["A", "B", "M", "C", "D"]).all()


def test_net_assets_roll_forward_through_profit_equity_and_dividends(world: World) -> None:
    f = world.df("financials").sort("enterprise_id", "year")
    prev = f.select(
        "enterprise_id",
        (pl.col("year") + 1).alias("year"),
        pl.col("net_assets_fen").alias("prev_net"),
    )
    j = f.join(prev, on=["enterprise_id", "year"])
    assert j.height > 40_000
    moved = j["prev_net"] + j["net_profit_fen"] + j["equity_raised_fen"] - j["dividends_fen"]
    assert (moved == j["net_assets_fen"]).all()
    assert (f["dividends_fen"] >= 0).all() and (f["equity_raised_fen"] >= 0).all()
    assert (f["dividends_fen"] <= f["net_profit_fen"].clip(lower_bound=0)).all()
    assert (f["net_assets_fen"] < 0).mean() < 0.01
    # equity raised in a year is the sum of that year's funding rounds
    rounds = world.df("funding_rounds").with_columns(pl.col("announced_on").dt.year().alias("year"))
    per = rounds.group_by("enterprise_id", "year").agg(pl.col("amount_fen").sum())
    k = f.join(per, on=["enterprise_id", "year"], how="left").fill_null(0)
    assert (k["amount_fen"] == k["equity_raised_fen"]).all()
    assert (k["equity_raised_fen"] > 0).sum() > 100


def test_three_years_before_the_as_of_year(world: World) -> None:
    f = world.df("financials")
    assert sorted(f["year"].unique().to_list()) == [2023, 2024, 2025]
    ent = world.df("enterprises").select("enterprise_id", "registered_on", "employees")
    j = f.join(ent, on="enterprise_id")
    assert (j["year"] >= j["registered_on"].dt.year()).all()
    older = ent.filter(pl.col("registered_on") < pl.date(2023, 1, 1))
    per_firm = f.group_by("enterprise_id").len()
    got = older.join(per_firm, on="enterprise_id")
    assert (got["len"] == 3).all() and got.height == older.height
    # the enterprise table's headcount is the latest year's
    latest = j.filter(pl.col("year") == 2025)
    assert (latest["employees"] == latest["employees_right"]).all()


def test_tech_sme_caps_are_respected(world: World) -> None:
    ent = world.df("enterprises")
    f = world.df("financials").filter(pl.col("year") == 2025)
    titles = world.df("titles").filter(pl.col("title") == "tech_sme")
    assert titles.height > 5_000
    j = titles.join(f, on="enterprise_id")
    assert j.height == titles.height
    assert (j["employees"] <= 500).all()
    assert (j["revenue_fen"] <= 20_000 * WAN).all()
    assert (j["total_assets_fen"] <= 20_000 * WAN).all()
    # the cap binds: firms outside it exist among the others
    big = f.filter(pl.col("revenue_fen") > 20_000 * WAN)
    assert big.height > 0
    assert not big.join(titles, on="enterprise_id").height
    assert ent.filter(pl.col("tech_sme")).height == titles.height


def test_no_event_after_as_of(world: World) -> None:
    event_dates = {
        "enterprises": ["registered_on", "former_name_until"],
        "titles": ["issued_on"],
        "patents": ["filed_on", "granted_on", "status_on"],
        "patent_events": ["event_on"],
        "funding_rounds": ["announced_on"],
        "credit_register": ["opened_on", "reported_on"],
        "court_records": ["filed_on"],
        "expert_conflicts": ["since"],
    }
    for table, cols in event_dates.items():
        df = world.df(table)
        assert df.height > 0, table
        for c in cols:
            assert df[c].drop_nulls().max() <= AS_OF, (table, c)
    ent = world.df("enterprises")
    assert (
        ent["former_name_until"].drop_nulls()
        >= ent.filter(pl.col("former_name_until").is_not_null())["registered_on"]
    ).all()
    for table in ("social_security", "tax", "utilities", "customs"):
        q = world.df(table)
        last = q.select((pl.col("year") * 10 + pl.col("quarter")).max()).item()
        assert last == 20263, table  # Q3 2026 ends on the as-of date
        assert q.select((pl.col("year") * 10 + pl.col("quarter")).n_unique()).item() == 12
    # only the truth label looks forward
    truth = world.df("truth")
    d = truth["default_on"].drop_nulls()
    assert (d > AS_OF).all() and (d <= date(2027, 9, 30)).all()
    assert truth.filter(pl.col("default_12m"))["default_on"].null_count() == 0


def test_quarterly_rows_start_after_registration(world: World) -> None:
    ent = world.df("enterprises").select("enterprise_id", "registered_on")
    ss = world.df("social_security").join(ent, on="enterprise_id")
    quarter_end = pl.date(pl.col("year"), pl.col("quarter") * 3, 1).dt.month_end()
    assert ss.filter(quarter_end < pl.col("registered_on")).height == 0
    assert (ss["insured_end"] <= ss["staff_end"]).all()
    assert (ss["insured_min"] <= ss["insured_avg"]).all()


def test_titles_are_valid_at_as_of_and_match_the_flags(world: World) -> None:
    ent = world.df("enterprises")
    t = world.df("titles").join(ent.select("enterprise_id", "registered_on"), on="enterprise_id")
    assert (t["issued_on"] <= AS_OF).all() and (t["valid_until"] >= AS_OF).all()
    hnte = t.filter(pl.col("title") == "hnte")
    # 高企: registered at least one year before certification; certificate valid three years
    assert (hnte["issued_on"] >= hnte["registered_on"].dt.offset_by("1y")).all()
    assert (hnte["valid_until"] == hnte["issued_on"].dt.offset_by("3y").dt.offset_by("-1d")).all()
    for flag in ("hnte", "tech_sme", "innovative_sme", "srdi", "little_giant"):
        holders = set(t.filter(pl.col("title") == flag)["enterprise_id"].to_list())
        flagged = set(ent.filter(pl.col(flag))["enterprise_id"].to_list())
        assert holders == flagged, flag
    # every little giant is also a 专精特新 and an innovative SME
    lg = ent.filter(pl.col("little_giant"))
    assert lg.height > 100 and lg["srdi"].all() and lg["innovative_sme"].all()


def test_patent_states_follow_fees_and_terms(world: World) -> None:
    p = world.df("patents")
    granted = p.filter(pl.col("granted_on").is_not_null())
    assert (granted["granted_on"] > granted["filed_on"]).all()
    assert p.filter(pl.col("granted_on").is_null())["status"].is_in(["pending", "rejected"]).all()
    in_force = p.filter(pl.col("status") == "in_force")
    assert (in_force["expires_on"] > AS_OF).all()
    assert (in_force["next_fee_due_on"].drop_nulls() > AS_OF).all()
    grace = p.filter(pl.col("status") == "in_grace")
    assert grace.height > 0
    assert (grace["status_on"] <= AS_OF).all()
    assert (grace["status_on"].dt.offset_by("6mo") > AS_OF).all()
    lapsed = p.filter(pl.col("status") == "lapsed")
    assert (lapsed["status_on"].dt.offset_by("6mo") <= AS_OF).all()
    expired = p.filter(pl.col("status") == "expired")
    assert (expired["expires_on"] <= AS_OF).all()
    # only live rights are pledged; a pledged right has its registration event
    assert p.filter(pl.col("pledged"))["status"].eq("in_force").all()
    ev = world.df("patent_events")
    reg = set(ev.filter(pl.col("event") == "pledge_registered")["application_no"].to_list())
    assert set(p.filter(pl.col("pledged"))["application_no"].to_list()) <= reg
    firsts = ev.group_by("application_no").agg(pl.col("event").first())
    assert firsts["event"].eq("filing").all()
    assert ev.height >= p.height
    fees = p.filter(pl.col("next_fee_yuan").is_not_null())
    assert (
        fees["next_fee_yuan"]
        .is_in([270, 360, 600, 900, 1200, 1800, 2000, 2400, 3000, 4000, 6000, 8000, 180, 270, 540])
        .all()
    )


def test_credit_register_classes_follow_overdue_days(world: World) -> None:
    loans = world.df("credit_register")
    assert loans.height > 5_000
    assert (loans["balance_fen"] > 0).all() and (loans["balance_fen"] % 100 == 0).all()
    assert (loans["matures_on"] > loans["opened_on"]).all()
    floors = {"substandard": 91, "doubtful": 271, "loss": 361}
    for cls, days in floors.items():
        sub = loans.filter(pl.col("classification") == cls)
        assert (sub["overdue_days"] >= days).all(), cls
    assert loans.filter(pl.col("overdue_days") > 0)["classification"].ne("normal").all()
    ent = world.df("enterprises").select("enterprise_id")
    assert loans.join(ent, on="enterprise_id", how="anti").height == 0
    # bank loans never exceed the borrower's liabilities
    f = world.df("financials").filter(pl.col("year") == 2025)
    per = loans.group_by("enterprise_id").agg(pl.col("balance_fen").sum())
    j = per.join(f, on="enterprise_id")
    assert (j["balance_fen"] <= j["total_liabilities_fen"]).all()


def test_world_has_every_role_kind_and_valid_links(world: World) -> None:
    users = world.df("users")
    inst = world.df("institutions")
    branches = world.df("branches")
    roles = {
        "account_manager",
        "reviewer",
        "approver",
        "expert",
        "risk_manager",
        "underwriter",
        "regulator",
        "admin",
        "enterprise",
    }
    assert set(users["role"].unique().to_list()) == roles
    assert users["username"].n_unique() == users.height
    assert (users["password"].str.len_chars() >= 8).all()
    kinds = {
        "bank",
        "insurer",
        "guarantor",
        "government_fund",
        "regulator",
        "valuation_agency",
        "investor",
    }
    assert set(inst["kind"].unique().to_list()) == kinds
    assert set(branches["kind"].unique().to_list()) == {"head_office", "branch", "tech_subbranch"}
    known = set(inst["code"].to_list())
    assert set(users["institution_code"].drop_nulls().to_list()) <= known
    assert set(users["branch_code"].drop_nulls().to_list()) <= set(branches["code"].to_list())
    ams = users.filter(pl.col("role") == "account_manager").join(
        branches, left_on="branch_code", right_on="code"
    )
    assert ams["kind"].eq("tech_subbranch").all()
    ent_users = users.filter(pl.col("role") == "enterprise")
    ent = world.df("enterprises")
    assert set(ent_users["enterprise_uscc"].to_list()) <= set(ent["uscc"].to_list())
    experts = world.df("experts")
    assert set(experts["kind"].unique().to_list()) == {"tech", "ip"}
    assert (experts["fields"].list.len() >= 1).all()
    exp_users = users.filter(pl.col("role") == "expert")
    assert set(exp_users["expert_code"].to_list()) <= set(experts["code"].to_list())
    conflicts = world.df("expert_conflicts")
    assert set(conflicts["expert_code"].to_list()) <= set(experts["code"].to_list())
    assert set(world.df("funding_rounds")["lead_investor_code"].to_list()) <= known


def test_an_early_year_as_of_keeps_flags_dates_and_quarters_coherent() -> None:
    """Before the yearly 科小 round opens no registration is current; the rest still holds."""
    import pyarrow as pa

    import techfin.synth as synth

    as_of = date(2026, 2, 15)
    batches = list(synth.generate(77, 3_000, as_of=as_of, chunk_size=1_500))
    t = {
        n: pl.from_arrow(pa.concat_tables([b.tables[n] for b in batches[1:]]))
        for n in ("enterprises", "titles", "financials", "tax", "patents", "patent_events")
    }
    ent, titles = t["enterprises"], t["titles"]
    valid = titles.filter((pl.col("issued_on") <= as_of) & (pl.col("valid_until") >= as_of))
    for flag in ("hnte", "tech_sme", "innovative_sme", "srdi", "little_giant"):
        holders = set(valid.filter(pl.col("title") == flag)["enterprise_id"].to_list())
        assert holders == set(ent.filter(pl.col(flag))["enterprise_id"].to_list()), flag
    assert not ent["tech_sme"].any()
    # last year's 科小 registrations are on record, expired
    assert titles.filter(pl.col("title") == "tech_sme")["valid_until"].max() == date(2025, 12, 31)
    assert sorted(t["financials"]["year"].unique().to_list()) == [2023, 2024, 2025]
    last = t["tax"].select((pl.col("year") * 10 + pl.col("quarter")).max()).item()
    assert last == 20254
    assert t["patents"]["filed_on"].max() <= as_of
    assert t["patent_events"]["event_on"].max() <= as_of
    assert titles["issued_on"].max() <= as_of
