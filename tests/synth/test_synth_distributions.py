"""Distribution sanity: the generated world reproduces the parameters it was drawn from.

Bands are wide enough for a 24,000-firm sample (a few standard errors) and narrow enough to
catch a wrong unit, a lost correlation or a broken calibration.
"""

from __future__ import annotations

from datetime import date
from typing import Any as World

import polars as pl
import pytest

from techfin.synth import load_params

AS_OF = date(2026, 9, 30)
P = load_params()
PROFILE = P["financials"]["profiles"]
WAN = 1_000_000


@pytest.fixture(scope="module")
def latest(world: World) -> pl.DataFrame:
    ent = world.df("enterprises").select("enterprise_id", "profile", "registered_on")
    fin = world.df("financials").filter(pl.col("year") == 2025)
    return ent.join(fin, on="enterprise_id")


def _within(value: float, target: float, rel: float) -> bool:
    return abs(value - target) <= rel * abs(target)


@pytest.mark.parametrize("profile", ["tech_sme", "hnte"])
@pytest.mark.parametrize(
    ("column", "var", "scale"),
    [
        ("revenue_fen", "revenue", WAN),
        ("total_assets_fen", "total_assets", WAN),
        ("employees", "employees", 1),
    ],
)
def test_size_medians_match_the_parameters(
    latest: pl.DataFrame, profile: str, column: str, var: str, scale: int
) -> None:
    sub = latest.filter(pl.col("profile") == profile)
    assert sub.height > 5_000
    median = sub[column].median() / scale
    target = PROFILE[profile][var][0]
    assert _within(median, target, 0.15), (profile, var, median, target)
    # the spread is the parameter's too (P25 within a generous band)
    p25 = sub[column].quantile(0.25) / scale
    assert _within(p25, PROFILE[profile][var][1], 0.35), (profile, var, p25)


@pytest.mark.parametrize("profile", ["tech_sme", "hnte", "srdi"])
def test_ratios_and_loss_share(latest: pl.DataFrame, profile: str) -> None:
    sub = latest.filter(pl.col("profile") == profile)
    rd = (sub["rd_expense_fen"] / sub["revenue_fen"]).median()
    assert _within(rd, PROFILE[profile]["rd_ratio"][0], 0.12), rd
    debt = (sub["total_liabilities_fen"] / sub["total_assets_fen"]).median()
    assert _within(debt, PROFILE[profile]["debt_ratio"][0], 0.1), debt
    tech = (sub["tech_staff"] / sub["employees"]).median()
    assert _within(tech, PROFILE[profile]["tech_staff_share"][0], 0.15), tech
    loss = (sub["net_profit_fen"] < 0).mean()
    assert abs(loss - PROFILE[profile]["loss_share"]) < 0.04, loss


def test_ages_mixes_and_title_shares(world: World) -> None:
    ent = world.df("enterprises")
    age = (pl.lit(AS_OF) - pl.col("registered_on")).dt.total_days() / 365.25
    med = dict(ent.group_by("profile").agg(age.median()).iter_rows())
    for profile in ("tech_sme", "hnte", "little_giant"):
        assert abs(med[profile] - P["age_years"][profile]["median"]) < 1.0, (profile, med)
    plain = ent.filter(pl.col("profile") != "little_giant")
    share_c = (plain["industry_section"] == "C").mean()
    assert abs(share_c - P["industry_mix"]["section_shares"]["default"]["C"]) < 0.03
    lg = ent.filter(pl.col("little_giant"))
    assert (lg["industry_section"] == "C").mean() > 0.8
    gd = (ent["province_code"] == "44").mean()
    assert abs(gd - P["province_mix"]["shares"]["44"]) < 0.015
    pop = P["population"]
    tiers = pop["tier_shares"]
    expected_hnte = sum(tiers[t] * pop["hnte_probability"][t] for t in tiers)
    assert abs(ent["hnte"].mean() - expected_hnte) < 0.02
    assert abs(ent["little_giant"].mean() - tiers["little_giant"]) < 0.004


def test_granted_patent_counts_match_the_guesses(world: World) -> None:
    ent = world.df("enterprises").select("enterprise_id", "profile")
    granted = (
        world.df("patents")
        .filter(pl.col("granted_on").is_not_null())
        .group_by("enterprise_id", "patent_type")
        .len()
    )
    types = pl.DataFrame({"patent_type": ["invention", "utility_model", "design"]})
    full = (
        ent.join(types, how="cross")
        .join(granted, on=["enterprise_id", "patent_type"], how="left")
        .fill_null(0)
    )
    stats = {
        (p, t): (m, z)
        for p, t, m, z in full.group_by("profile", "patent_type")
        .agg(pl.col("len").median(), (pl.col("len") == 0).mean().alias("zero"))
        .iter_rows()
    }
    # data-realism.md: 科小 invention median 1 (35 % none), utility 8; 高企 invention 3, utility 15
    assert stats[("tech_sme", "invention")][0] == 1
    assert abs(stats[("tech_sme", "invention")][1] - 0.35) < 0.03
    assert abs(stats[("tech_sme", "utility_model")][0] - 8) <= 1
    assert abs(stats[("hnte", "invention")][0] - 3) <= 0.5
    assert abs(stats[("hnte", "utility_model")][0] - 15) <= 1.5
    lg = full.filter((pl.col("profile") == "little_giant") & (pl.col("patent_type") == "invention"))
    assert abs(lg["len"].mean() - 22) < 3  # ≈ 22 granted inventions per little giant (MIIT)


def test_patent_survival_and_citations(world: World) -> None:
    p = world.df("patents").filter(
        (pl.col("patent_type") == "invention") & pl.col("granted_on").is_not_null()
    )
    # of inventions filed 5–6 years before as-of, about 70 % still in force (or in grace)
    cohort = p.filter(pl.col("filed_on").dt.year() == 2020)
    alive = cohort["status"].is_in(["in_force", "in_grace"]).mean()
    assert 0.6 < alive < 0.8, alive
    old = p.filter(pl.col("filed_on").dt.year() <= 2014)
    cites = old["forward_citations_5y"]
    assert abs((cites == 0).mean() - 0.55) < 0.05 and abs(cites.mean() - 1.5) < 0.3


def test_credit_register_borrower_shares(world: World) -> None:
    ent = world.df("enterprises").select("enterprise_id", "profile")
    borrowers = world.df("credit_register").select("enterprise_id").unique()
    share = dict(
        ent.with_columns(
            pl.col("enterprise_id").is_in(borrowers["enterprise_id"].implode()).alias("b")
        )
        .group_by("profile")
        .agg(pl.col("b").mean())
        .iter_rows()
    )
    for profile in ("tech_sme", "hnte"):
        target = P["credit_register"]["borrower_share"][profile]
        assert abs(share[profile] - target) < 0.03, (profile, share)


def test_seasonality_of_headcount_and_tax(world: World) -> None:
    ss = world.df("social_security")

    def q(year: int, quarter: int, col: str, name: str) -> pl.DataFrame:
        return ss.filter((pl.col("year") == year) & (pl.col("quarter") == quarter)).select(
            "enterprise_id", pl.col(col).alias(name)
        )

    x = (
        q(2025, 4, "insured_end", "dec")
        .join(q(2026, 1, "insured_min", "feb"), on="enterprise_id")
        .join(q(2026, 2, "insured_end", "jun"), on="enterprise_id")
        .join(q(2026, 3, "insured_end", "sep"), on="enterprise_id")
        .filter(pl.col("dec") >= 50)
    )
    feb = (x["feb"] / x["dec"]).median()
    sep = (x["sep"] / x["jun"]).median()
    assert 0.94 < feb < 0.99, feb  # February dip of 3–5 % (on a growing trend)
    assert 1.01 < sep < 1.05, sep  # Jul–Sep rise of 2–3 %
    vat = (
        world.df("tax")
        .filter(pl.col("year") == 2025)
        .group_by("quarter")
        .agg(pl.col("vat_fen").sum())
    )
    shares = dict(vat.with_columns(pl.col("vat_fen") / pl.col("vat_fen").sum()).iter_rows())
    assert abs(shares[1] - 0.21) < 0.02 and abs(shares[4] - 0.29) < 0.02
    tax = world.df("tax")
    ent = world.df("enterprises").select("enterprise_id", "hnte")
    rates = tax.join(ent, on="enterprise_id").filter(pl.col("hnte"))["cit_rate_percent"]
    assert set(rates.unique().to_list()) <= {5, 15}


def test_customs_exporter_share(world: World) -> None:
    ent = world.df("enterprises")
    exporters = world.df("customs").filter(pl.col("exports_fen") > 0)["enterprise_id"].n_unique()
    assert abs(exporters / ent.height - (1 - P["customs"]["no_export_share"])) < 0.03


def test_funding_rounds_stage_mix_and_sizes(world: World) -> None:
    rounds = world.df("funding_rounds")
    assert rounds.height > 1_000
    mix = dict(rounds["stage"].value_counts(normalize=True).iter_rows())
    assert 0.30 < mix["A"] < 0.46 and 0.14 < mix["angel"] < 0.30
    med = dict(rounds.group_by("stage").agg(pl.col("amount_fen").median() / WAN).iter_rows())
    for stage in ("angel", "A", "B"):
        assert _within(med[stage], P["funding"]["size"][stage][0], 0.25), (stage, med)
    q = rounds["announced_on"].dt.quarter().value_counts(normalize=True)
    q1 = q.filter(pl.col("announced_on") == 1)["proportion"].item()
    assert q1 < 0.23  # Q1 is the seasonal low


def test_truth_labels_are_calibrated_and_informative(world: World) -> None:
    truth = world.df("truth").join(
        world.df("enterprises").select("enterprise_id", "profile"), on="enterprise_id"
    )
    pd_mean = dict(truth.group_by("profile").agg(pl.col("pd_12m").mean()).iter_rows())
    assert abs(pd_mean["hnte"] - P["defaults"]["annual_pd"]["hnte"]) < 0.003
    assert 0.018 < pd_mean["tech_sme"] < 0.032  # 2 %, raised by firms under 3 years (5 %)
    rate = truth["default_12m"].mean()
    assert 0.008 < rate < 0.03
    # signals carry information: overdue borrowers and D-graded firms default more often
    overdue = (
        world.df("credit_register").filter(pl.col("overdue_days") > 0)["enterprise_id"].unique()
    )
    t = truth.with_columns(pl.col("enterprise_id").is_in(overdue.implode()).alias("overdue"))
    by = dict(t.group_by("overdue").agg(pl.col("default_12m").mean()).iter_rows())
    assert by[True] > 3 * by[False], by
    loss_makers = world.df("financials").filter(
        (pl.col("year") == 2025) & (pl.col("net_profit_fen") < 0)
    )["enterprise_id"]
    t = truth.with_columns(pl.col("enterprise_id").is_in(loss_makers.implode()).alias("loss"))
    by = dict(t.group_by("loss").agg(pl.col("default_12m").mean()).iter_rows())
    assert by[True] > 1.5 * by[False], by
