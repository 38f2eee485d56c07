"""Enterprises and everything recorded about them, one chunk at a time (vectorised NumPy).

Every chunk draws from its own `numpy.random.Generator`, seeded from (master seed, chunk
number) and split into independent streams per subject, so a chunk's rows depend only on the
seed, the chunk number and the total size — never on which process made it or in what order.

Two latent factors per firm drive the correlations a rating model should find: `size`
(revenue, assets, staff, loans) and `health` (margins, growth, leverage, tax grade, overdue
days, court records and — through a logistic link — the 12-month default label in `truth`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
from scipy.special import expit, logit, ndtr, ndtri

from techfin.synth import _dates as dt
from techfin.synth._arrow import (
    ascii_matrix,
    dates,
    digit_matrix,
    hstack,
    join,
    mask_null,
    strings_from_matrix,
    take,
)
from techfin.synth.identifiers import org_bodies, uscc_matrix
from techfin.synth.params import (
    PROFILES,
    SECTIONS,
    Params,
    intercept_for_mean,
    logit_sigma,
    lognormal_sigma,
    truncated_mu,
)
from techfin.synth.schema import SCHEMAS, table

FEN_PER_WAN = 1_000_000  # 1 万元 = 10,000 yuan = 1,000,000 fen
TECH_SME, HNTE, SRDI, LITTLE_GIANT = range(4)
GRADES = ("A", "B", "M", "C", "D")
CLASSES = ("normal", "special_mention", "substandard", "doubtful", "loss")
USCC_REFORM = date(2015, 10, 1)


@dataclass(frozen=True)
class Context:
    """Everything a chunk needs, computed once per run."""

    params: Params
    seed: int
    as_of: date
    total: int
    chunk_size: int
    n_chunks: int
    as_of_days: int = 0
    places: dict[str, Any] = field(default_factory=dict)
    industries: dict[str, Any] = field(default_factory=dict)
    dist: dict[str, Any] = field(default_factory=dict)


def _q3(triple: list[float]) -> tuple[float, float, float]:
    return float(triple[0]), float(triple[1]), float(triple[2])


def build_context(params: Params, seed: int, as_of: date, total: int, chunk_size: int) -> Context:
    lex = params.lexicon
    # places: one flat table of districts with their sampling weight
    listed = params["province_mix"]["shares"]
    rest = float(params["province_mix"]["rest"])
    others = [c for c in lex["provinces"] if c not in listed]
    prov_share = {c: float(listed.get(c, 0.0)) for c in lex["provinces"]}
    for c in others:
        prov_share[c] = rest / len(others)
    rows: list[tuple[str, str, str, str, float]] = []
    for code in sorted(lex["provinces"]):
        prov = lex["provinces"][code]
        city_w = np.array([2.0] + [1.0] * (len(prov["cities"]) - 1))
        city_w /= city_w.sum()
        for (city, name_city, districts), cw in zip(prov["cities"], city_w, strict=True):
            for d in districts:
                rows.append((code, city, name_city, d, prov_share[code] * cw / len(districts)))
    weights = np.array([r[4] for r in rows])
    municipalities = set(lex["municipalities"])
    places = {
        "province_code": [r[0] for r in rows],
        "province": [lex["provinces"][r[0]]["name"] for r in rows],
        "city": [r[1] for r in rows],
        "name_city": [r[2] for r in rows],
        "name_city_shi": [r[2] + ("" if r[2] in municipalities else "市") for r in rows],
        "city_en": [lex["city_pinyin"][r[1]] for r in rows],
        "district": np.array([int(r[3]) for r in rows]),
        "district_str": [r[3] for r in rows],
        "court_abbr": [lex["court_abbreviations"][r[0]] for r in rows],
        "p": weights / weights.sum(),
    }
    inds: list[list[str]] = []
    offsets, counts = [], []
    for sec in SECTIONS:
        offsets.append(len(inds))
        counts.append(len(lex["industries"][sec]))
        inds.extend(lex["industries"][sec])
    from techfin.codes.industry import sme_size_group

    industries = {
        "size_group": [sme_size_group(i[0]) for i in inds],
        "code": [i[0] for i in inds],
        # official names from the codes engineer's GB/T 4754-2017 table (the lexicon's copy is
        # for readers of the YAML only)
        "name": [_industry_name(i[0]) for i in inds],
        "word": [i[2] for i in inds],
        "word_en": [i[3] for i in inds],
        "offset": np.array(offsets),
        "count": np.array(counts),
    }

    fin = params["financials"]
    caps = fin["tech_sme_caps"]
    dist: dict[str, Any] = {}
    for var in ("revenue", "employees", "total_assets", "registered_capital"):
        mus, sigmas, fcaps = [], [], []
        for prof in PROFILES:
            med, p25, p75 = _q3(fin["profiles"][prof][var])
            sigma = lognormal_sigma(p25, p75)
            cap = caps.get(var) if prof == "tech_sme" else None
            if cap is not None:
                mu = truncated_mu(med, sigma, float(cap))
                fcap = float(ndtr((np.log(float(cap)) - mu) / sigma)) * 0.9999
            else:
                mu, fcap = float(np.log(med)), 1.0
            mus.append(mu)
            sigmas.append(sigma)
            fcaps.append(fcap)
        dist[var] = (np.array(mus), np.array(sigmas), np.array(fcaps))
    for var in ("rd_ratio",):
        trip = [_q3(fin["profiles"][p][var]) for p in PROFILES]
        dist[var] = (
            np.log([t[0] for t in trip]),
            np.array([lognormal_sigma(t[1], t[2]) for t in trip]),
        )
    for var in ("tech_staff_share", "debt_ratio"):
        trip = [_q3(fin["profiles"][p][var]) for p in PROFILES]
        dist[var] = (logit([t[0] for t in trip]), np.array([logit_sigma(t[1], t[2]) for t in trip]))
    trip = [_q3(fin["profiles"][p]["revenue_growth"]) for p in PROFILES]
    dist["growth"] = (
        np.log1p([t[0] for t in trip]),
        np.array([(np.log1p(t[2]) - np.log1p(t[1])) / (2 * 0.6745) for t in trip]),
    )
    sd = float(fin["net_margin_sd"])
    dist["net_margin"] = (
        np.array([-sd * float(ndtri(fin["profiles"][p]["loss_share"])) for p in PROFILES]),
        sd,
    )
    gm = [_q3(fin["gross_margin_by_section"][s]) for s in SECTIONS]
    dist["gross_margin"] = (
        logit([g[0] for g in gm]),
        np.array([logit_sigma(g[1], g[2]) for g in gm]),
    )
    dpar = params["defaults"]
    load = float(dpar["health_loading"])
    dist["pd_alpha"] = np.array(
        [intercept_for_mean(float(dpar["annual_pd"][p]), load) for p in PROFILES]
    )
    dist["pd_alpha_young"] = intercept_for_mean(float(dpar["young_firm_pd"]), load)
    g = params["tax"]["credit_grade"]
    # grades A/B/C/D via an ordered probit on health; M drawn separately (no or short record)
    good = np.array([float(g["shares"][k]) for k in ("A", "B", "C", "D")])
    good = good / good.sum()
    dist["grade_cuts"] = ndtri(np.cumsum(good)[:-1])
    n_chunks = max(1, -(-total // chunk_size))
    return Context(
        params=params,
        seed=seed,
        as_of=as_of,
        total=total,
        chunk_size=chunk_size,
        n_chunks=n_chunks,
        as_of_days=dt.to_days(as_of),
        places=places,
        industries=industries,
        dist=dist,
    )


def _industry_name(code: str) -> str:
    from techfin.codes.industry import lookup

    item = lookup(code)
    if item is None or item.level != "class":
        raise ValueError(f"lexicon.yaml: {code} is not a GB/T 4754-2017 class")
    return item.name


def _choice(
    rng: np.random.Generator, shares: dict[str, float], keys: tuple[str, ...] | list[str], n: int
) -> np.ndarray:
    p = np.array([float(shares[k]) for k in keys])
    return rng.choice(len(keys), size=n, p=p / p.sum())


def _lq(z: np.ndarray, med: float, p25: float, p75: float) -> np.ndarray:
    return med * np.exp(lognormal_sigma(p25, p75) * z)


def _fen(wan: np.ndarray) -> np.ndarray:
    return np.asarray(np.rint(wan * FEN_PER_WAN).astype(np.int64))


def generate_chunk(ctx: Context, chunk: int) -> dict[str, pa.Table]:
    """All per-enterprise tables for chunk number `chunk`."""
    from techfin.synth.patents import generate_patents

    start = chunk * ctx.chunk_size
    n = min(ctx.chunk_size, ctx.total - start)
    streams = np.random.SeedSequence([ctx.seed, 0xC4A7, chunk]).spawn(10)
    r_firm, r_fin, r_q, r_pat, r_title, r_round, r_loan, r_court, r_truth, r_misc = (
        np.random.default_rng(s) for s in streams
    )
    P = ctx.params
    as_of = ctx.as_of_days
    gidx = np.arange(start, start + n, dtype=np.int64)
    ent_id = gidx + 1

    # --- who they are -------------------------------------------------------------------
    pop = P["population"]
    tier = _choice(r_firm, pop["tier_shares"], ("little_giant", "srdi", "plain"), n)
    p_hnte = np.array([pop["hnte_probability"][t] for t in ("little_giant", "srdi", "plain")])
    hnte_holder = r_firm.random(n) < p_hnte[tier]
    profile = np.where(
        tier == 0, LITTLE_GIANT, np.where(tier == 1, SRDI, np.where(hnte_holder, HNTE, TECH_SME))
    )
    mix = P["industry_mix"]["section_shares"]
    sec_default = _choice(r_firm, mix["default"], SECTIONS, n)
    sec_lg = _choice(r_firm, mix["little_giant"], SECTIONS, n)
    section = np.where(profile == LITTLE_GIANT, sec_lg, sec_default)
    ind = ctx.industries
    ind_idx = ind["offset"][section] + np.floor(r_firm.random(n) * ind["count"][section]).astype(
        np.int64
    )
    place = r_firm.choice(len(ctx.places["p"]), size=n, p=ctx.places["p"])
    zone_p = np.array([pop["in_hitech_zone"][k] for k in PROFILES])
    in_zone = r_firm.random(n) < zone_p[profile]

    ages = P["age_years"]
    med = np.array([ages[k]["median"] for k in PROFILES], dtype=float)
    sig = np.array([ages[k]["sigma"] for k in PROFILES], dtype=float)
    amin = np.array([ages[k]["minimum"] for k in PROFILES], dtype=float)
    age = np.clip(
        med[profile] * np.exp(sig[profile] * r_firm.standard_normal(n)),
        amin[profile],
        float(ages["maximum"]),
    )
    registered = as_of - np.floor(age * 365.25).astype(np.int64)
    registered = np.maximum(
        registered, dt.to_days(date.fromisoformat(ages["earliest_registration"]))
    )
    reg_year = dt.year_of(registered)

    z_size = r_firm.standard_normal(n)
    z_health = r_firm.standard_normal(n)

    # --- latest-year financials -------------------------------------------------------------
    fin = P["financials"]
    corr = fin["correlation"]

    def sized(var: str, z: np.ndarray) -> np.ndarray:
        mu, sigma, fcap = ctx.dist[var]
        u = ndtr(z) * fcap[profile]
        return np.asarray(np.exp(mu[profile] + sigma[profile] * ndtri(u)))

    def mixz(rho: float, z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return np.asarray(rho * z + np.sqrt(1 - rho * rho) * rng.standard_normal(n))

    revenue = sized("revenue", z_size)
    assets = sized("total_assets", mixz(float(corr["assets_size"]), z_size, r_fin))
    employees = np.maximum(
        3, np.rint(sized("employees", mixz(float(corr["employees_size"]), z_size, r_fin)))
    ).astype(np.int64)
    capital = sized("registered_capital", mixz(0.5, z_size, r_fin))
    mu, sigma = ctx.dist["rd_ratio"]
    rd_ratio = np.clip(np.exp(mu[profile] + sigma[profile] * r_fin.standard_normal(n)), 0.0, 0.6)
    mu, sigma = ctx.dist["tech_staff_share"]
    tech_share = expit(mu[profile] + sigma[profile] * r_fin.standard_normal(n))
    mu, sigma = ctx.dist["debt_ratio"]
    debt_logit = mu[profile] + sigma[profile] * mixz(-0.35, z_health, r_fin)
    mu, sigma = ctx.dist["growth"]
    log_growth = mu[profile] + sigma[profile] * mixz(0.4, z_health, r_fin)
    mu, sd = ctx.dist["net_margin"]
    nm_lo, nm_hi = fin["net_margin_range"]
    net_margin = mu[profile] + sd * mixz(0.6, z_health, r_fin)
    mu, sigma = ctx.dist["gross_margin"]
    gm_logit = mu[section] + sigma[section] * r_fin.standard_normal(n)

    # --- four calendar years: Y-3 … Y-1 reported, Y (the as-of year) for quarterly data -----
    y_last = ctx.as_of.year - 1
    years = np.arange(y_last - 2, y_last + 2)
    ny = 4
    noise = fin["year_noise"]
    g_year = log_growth[:, None] + noise["growth_sd"] * r_fin.standard_normal((n, ny))
    rev = np.empty((n, ny))
    rev[:, 2] = revenue
    rev[:, 3] = revenue * np.exp(g_year[:, 3])
    rev[:, 1] = revenue / np.exp(g_year[:, 2])
    rev[:, 0] = rev[:, 1] / np.exp(g_year[:, 1])
    ast = np.empty((n, ny))
    ast[:, 2] = assets
    asset_step = np.exp(0.6 * g_year + 0.05 * r_fin.standard_normal((n, ny)))
    ast[:, 3] = assets * asset_step[:, 3]
    ast[:, 1] = assets / asset_step[:, 2]
    ast[:, 0] = ast[:, 1] / asset_step[:, 1]
    emp = np.empty((n, ny))
    emp[:, 2] = employees
    emp_step = np.exp(0.5 * g_year)
    emp[:, 3] = employees * emp_step[:, 3]
    emp[:, 1] = employees / emp_step[:, 2]
    emp[:, 0] = emp[:, 1] / emp_step[:, 1]
    emp = np.maximum(1, np.rint(emp)).astype(np.int64)
    emp[:, 2] = employees
    nm = np.clip(
        net_margin[:, None] + noise["margin_sd"] * r_fin.standard_normal((n, ny)), nm_lo, nm_hi
    )
    rdr = np.clip(rd_ratio[:, None] * np.exp(0.1 * r_fin.standard_normal((n, ny))), 0.0, 0.6)
    gm = expit(gm_logit[:, None] + 0.1 * r_fin.standard_normal((n, ny)))
    other = float(fin["min_other_expense_ratio"])
    # R&D is expensed: gross margin must cover R&D, other costs and the net margin
    gm = np.maximum(gm, np.minimum(nm + rdr + other, 0.95))
    nm = np.minimum(nm, gm - rdr - other)
    dr = expit(debt_logit[:, None] + noise["debt_logit_sd"] * r_fin.standard_normal((n, ny)))

    revenue_fen = _fen(rev)
    assets_fen = _fen(ast)
    cost_fen = np.rint(revenue_fen * (1 - gm)).astype(np.int64)
    profit_fen = np.rint(revenue_fen * nm).astype(np.int64)
    rd_fen = np.rint(revenue_fen * rdr).astype(np.int64)
    dom_med, dom_p25, dom_p75 = _q3(fin["rd_domestic_share"])
    dom = np.clip(
        expit(
            logit(min(dom_med, 0.999))
            + logit_sigma(dom_p25, min(dom_p75, 0.999)) * r_fin.standard_normal(n)
        ),
        0.0,
        1.0,
    )
    low_dom = r_fin.random(n) < float(fin["rd_domestic_below_60_share"])
    dom = np.where(low_dom, 0.3 + 0.29 * r_fin.random(n), np.maximum(dom, 0.6))
    rd_dom_fen = np.rint(rd_fen * dom[:, None]).astype(np.int64)
    liab_fen = np.rint(assets_fen * dr).astype(np.int64)
    net_fen = assets_fen - liab_fen
    rounds = _rounds(ctx, r_round, ent_id, profile, registered, z_size)
    rounds, raised_fen, div_fen = _roll_equity(
        ctx, r_fin, rounds, start, years, profit_fen, assets_fen, net_fen
    )
    liab_fen = assets_fen - net_fen
    tech_staff = np.rint(emp * tech_share[:, None]).astype(np.int64)

    wc = fin["working_capital_days"]
    wsig = float(fin["working_capital_sigma"])

    def days_of(key: str) -> np.ndarray:
        base = np.array([float(wc[key][s]) for s in SECTIONS])[section]
        return base * np.exp(wsig * r_fin.standard_normal(n))

    inv = np.rint(cost_fen * days_of("inventory")[:, None] / 360)
    rec = np.rint(revenue_fen * days_of("receivables")[:, None] / 360)
    pre = np.rint(cost_fen * days_of("prepayments")[:, None] / 360)
    pay = np.rint(cost_fen * days_of("payables")[:, None] / 360)
    adv = np.rint(revenue_fen * days_of("advance_receipts")[:, None] / 360)
    current = inv + rec + pre
    limit = float(fin["max_current_share_of_assets"]) * assets_fen
    scale = np.where(current > limit, limit / np.maximum(current, 1), 1.0)
    inv, rec, pre = (np.floor(x * scale).astype(np.int64) for x in (inv, rec, pre))
    owed = pay + adv
    scale = np.where(owed > liab_fen, liab_fen / np.maximum(owed, 1), 1.0)
    pay, adv = (np.floor(x * scale).astype(np.int64) for x in (pay, adv))

    # tax credit grade per year: ordered on health, M for a firm's first year of record
    gpar = P["tax"]["credit_grade"]
    m_share = float(gpar["shares"]["M"])
    g_load = min(0.95, float(gpar["health_loading"]))
    latent = -g_load * z_health[:, None] + np.sqrt(1 - g_load**2) * r_fin.standard_normal((n, ny))
    grade = np.searchsorted(ctx.dist["grade_cuts"], latent)  # 0 A, 1 B, 2 C, 3 D
    grade = np.array([0, 1, 3, 4])[grade]
    new = (years[None, :] <= reg_year[:, None]) | (r_fin.random((n, ny)) < m_share * 0.8)
    grade = np.where(new, GRADES.index(str(gpar["new_firm_grade"])), grade)

    # --- titles -----------------------------------------------------------------------------
    caps = fin["tech_sme_caps"]
    within_caps = (
        (employees <= caps["employees"])
        & (revenue_fen[:, 2] <= caps["revenue"] * FEN_PER_WAN)
        & (assets_fen[:, 2] <= caps["total_assets"] * FEN_PER_WAN)
    )
    tech_sme = within_caps & (
        (profile == TECH_SME) | (r_title.random(n) < float(pop["hnte_registers_tech_sme"]))
    )
    srdi = profile >= SRDI
    little_giant = profile == LITTLE_GIANT
    innovative = srdi | (r_title.random(n) < float(pop["innovative_probability_plain"]))
    titles = _titles(
        ctx,
        r_title,
        ent_id,
        gidx,
        place,
        registered,
        hnte_holder,
        tech_sme,
        innovative,
        srdi,
        little_giant,
    )
    tech_sme_current = tech_sme & _tech_sme_current(ctx)

    # --- names ------------------------------------------------------------------------------
    names = _names(ctx, r_misc, profile, place, ind_idx, registered)

    # --- identity ---------------------------------------------------------------------------
    ma_style = registered >= dt.to_days(USCC_REFORM)
    salt = int(np.random.SeedSequence([ctx.seed, 0x05CC]).generate_state(1)[0])
    bodies = org_bodies(gidx, ma_style, salt)
    uscc = strings_from_matrix(uscc_matrix(ctx.places["district"][place], bodies))

    size_class = _size_class(ctx, ind_idx, employees, revenue_fen[:, 2], assets_fen[:, 2])
    enterprises = table(
        "enterprises",
        {
            "enterprise_id": ent_id,
            "uscc": uscc,
            "name": names["name"],
            "name_en": names["name_en"],
            "former_name": names["former_name"],
            "former_name_until": names["former_name_until"],
            "registered_on": dates(registered),
            "province_code": take(ctx.places["province_code"], place),
            "province": take(ctx.places["province"], place),
            "city": take(ctx.places["city"], place),
            "area_code": take(ctx.places["district_str"], place),
            "industry_code": take(ind["code"], ind_idx),
            "industry_section": take(["C", "I", "M", "other"], section),
            "industry_name": take(ind["name"], ind_idx),
            "legal_form": names["legal_form"],
            "registered_capital_fen": _fen(capital),
            "employees": employees,
            "size_class": size_class,
            "profile": take(PROFILES, profile),
            "in_hitech_zone": in_zone,
            "hnte": hnte_holder,
            "tech_sme": tech_sme_current,
            "innovative_sme": innovative,
            "srdi": srdi,
            "little_giant": little_giant,
        },
    )

    # --- annual financials (rows from the registration year on) -----------------------------
    fy = slice(0, 3)
    rows = years[None, fy] >= reg_year[:, None]
    r_i, r_y = np.nonzero(rows)

    def pick(a: np.ndarray) -> np.ndarray:
        return a[:, fy][r_i, r_y]

    financials = table(
        "financials",
        {
            "enterprise_id": ent_id[r_i],
            "year": years[r_y],
            "revenue_fen": pick(revenue_fen),
            "cost_of_sales_fen": pick(cost_fen),
            "net_profit_fen": pick(profit_fen),
            "total_assets_fen": pick(assets_fen),
            "total_liabilities_fen": pick(liab_fen),
            "net_assets_fen": pick(net_fen),
            "equity_raised_fen": pick(raised_fen),
            "dividends_fen": pick(div_fen),
            "rd_expense_fen": pick(rd_fen),
            "rd_domestic_fen": pick(rd_dom_fen),
            "inventory_fen": pick(inv),
            "receivables_fen": pick(rec),
            "payables_fen": pick(pay),
            "prepayments_fen": pick(pre),
            "advance_receipts_fen": pick(adv),
            "employees": pick(emp),
            "tech_staff": pick(tech_staff),
            "tax_credit_grade": take(GRADES, pick(grade)),
        },
    )

    quarterly = _quarterly(
        ctx, r_q, ent_id, section, profile, hnte_holder, years, rev, nm, rdr, emp, ast, registered
    )

    patents = generate_patents(ctx, r_pat, chunk, ent_id, profile, section, registered, gidx)
    loans = _loans(ctx, r_loan, ent_id, profile, z_size, z_health, liab_fen[:, 2])
    court = _court(ctx, r_court, ent_id, z_health, place, registered)
    truth = _truth(ctx, r_truth, ent_id, profile, z_health, age)
    conflicts = _conflicts(ctx, r_misc, ent_id, uscc, registered)
    out = {
        "enterprises": enterprises,
        "financials": financials,
        **quarterly,
        "titles": titles,
        **patents,
        "funding_rounds": rounds,
        "credit_register": loans,
        "court_records": court,
        "expert_conflicts": conflicts,
        "truth": truth,
    }
    if chunk == 0:
        out["users"] = _enterprise_users(ctx, uscc, names["name"])
    return out


# -------------------------------------------------------------------------------------------


def _tech_sme_current(ctx: Context) -> bool:
    """A 科小 registration is for one calendar year; before this year's round opens (the issue
    window's start) no firm holds a current one."""
    start = ctx.params["titles"]["tech_sme_issue_window"][0]
    m, d = (int(x) for x in start.split("-"))
    return ctx.as_of >= date(ctx.as_of.year, m, d)


def _latest_window_year(ctx: Context, start: str) -> int:
    m, d = (int(x) for x in start.split("-"))
    return ctx.as_of.year if ctx.as_of >= date(ctx.as_of.year, m, d) else ctx.as_of.year - 1


def _titles(
    ctx: Context,
    rng: np.random.Generator,
    ent_id: np.ndarray,
    gidx: np.ndarray,
    place: np.ndarray,
    registered: np.ndarray,
    hnte: np.ndarray,
    tech_sme: np.ndarray,
    innovative: np.ndarray,
    srdi: np.ndarray,
    little_giant: np.ndarray,
) -> pa.Table:
    T = ctx.params["titles"]
    as_of = ctx.as_of_days
    prov = np.array([int(c) for c in ctx.places["province_code"]])[place]
    district = ctx.places["district"][place]
    parts: list[dict[str, Any]] = []

    def issue(mask: np.ndarray, window_key: str, back: int, min_years: int) -> np.ndarray:
        start, end = T[window_key]
        latest = _latest_window_year(ctx, start)
        k = rng.integers(0, back, size=mask.sum()) if back > 0 else np.zeros(mask.sum(), int)
        yrs = latest - k
        earliest = dt.add_years(registered[mask], min_years)
        yrs = np.maximum(yrs, dt.year_of(earliest))
        d = dt.window(rng, yrs, start, end)
        d = np.maximum(d, earliest)
        return np.asarray(np.minimum(d, as_of))

    def add(
        mask: np.ndarray,
        title: str,
        issued: np.ndarray,
        valid_years: int | None,
        number: pa.Array,
        issuer: str,
    ) -> None:
        if valid_years is None:
            until = dt.ymd(dt.year_of(issued), 12, 31)
        else:
            until = dt.add_years(issued, valid_years) - 1
        parts.append(
            {
                "enterprise_id": ent_id[mask],
                "title": take([title], np.zeros(int(mask.sum()), int)),
                "certificate_no": number,
                "issued_on": dates(issued),
                "valid_until": dates(until),
                "issuer": take([issuer], np.zeros(int(mask.sum()), int)),
            }
        )

    serial = (gidx * 7_368_787 + ctx.seed) % 1_000_000
    if hnte.any():
        d = issue(hnte, "hnte_issue_window", T["hnte_validity_years"], 1)
        num = hstack(
            ascii_matrix("GR", int(hnte.sum())),
            digit_matrix(dt.year_of(d), 4),
            digit_matrix(prov[hnte], 2),
            digit_matrix(serial[hnte], 6),
        )
        add(
            hnte,
            "hnte",
            d,
            T["hnte_validity_years"],
            strings_from_matrix(num),
            "高新技术企业认定管理机构",
        )
    if tech_sme.any():
        d = issue(tech_sme, "tech_sme_issue_window", 0, 0)  # no minimum age for 科小
        num = hstack(
            digit_matrix(dt.year_of(d), 4),
            digit_matrix(district[tech_sme], 6),
            digit_matrix(serial[tech_sme] % 100_000, 5),
        )
        add(tech_sme, "tech_sme", d, None, strings_from_matrix(num), "省级科技管理部门")
    for mask, title, key, years, prefix, issuer, min_years in (
        (innovative, "innovative_sme", "srdi_issue_window", 3, "CX", "省级中小企业主管部门", 1),
        (
            srdi,
            "srdi",
            "srdi_issue_window",
            T["srdi_validity_years"],
            "ZJTX",
            "省级中小企业主管部门",
            3,
        ),
        (
            little_giant,
            "little_giant",
            "little_giant_issue_window",
            T["little_giant_validity_years"],
            "XJR",
            "工业和信息化部",
            3,
        ),
    ):
        if not mask.any():
            continue
        d = issue(mask, key, years, min_years)
        m = int(mask.sum())
        num = hstack(
            ascii_matrix(prefix, m),
            digit_matrix(prov[mask], 2),
            digit_matrix(dt.year_of(d), 4),
            digit_matrix(serial[mask] % 100_000, 5),
        )
        add(mask, title, d, years, strings_from_matrix(num), issuer)
    if not parts:
        return table(
            "titles",
            {
                k: []
                for k in (
                    "enterprise_id",
                    "title",
                    "certificate_no",
                    "issued_on",
                    "valid_until",
                    "issuer",
                )
            },
        )
    cols = {
        k: pa.concat_arrays(
            [pa.array(p[k]) if not isinstance(p[k], pa.Array) else p[k] for p in parts]
        )
        for k in parts[0]
    }
    t = table("titles", cols)
    return t.sort_by([("enterprise_id", "ascending"), ("title", "ascending")])


def _names(
    ctx: Context,
    rng: np.random.Generator,
    profile: np.ndarray,
    place: np.ndarray,
    ind_idx: np.ndarray,
    registered: np.ndarray,
) -> dict[str, pa.Array]:
    lex = ctx.params.lexicon
    N = ctx.params["naming"]
    n = len(profile)
    chars = [c[0] for c in lex["brand_chars"]]
    pinyin = [c[1] for c in lex["brand_chars"]]
    b1 = rng.integers(0, len(chars), n)
    b2 = rng.integers(0, len(chars), n)
    b2 = np.where(b2 == b1, (b2 + 1) % len(chars), b2)
    city_shi = rng.random(n) < float(N["city_suffix_share"])
    city = pa.array(
        np.where(
            city_shi,
            np.array(ctx.places["name_city_shi"], dtype=object)[place],
            np.array(ctx.places["name_city"], dtype=object)[place],
        ).tolist(),
        type=pa.string(),
    )
    js_p = np.array([N["joint_stock_share"][k] for k in PROFILES])[profile]
    joint = rng.random(n) < js_p
    suffix = take(["有限公司", "股份有限公司"], joint.astype(np.int64))
    word = take(ctx.industries["word"], ind_idx)
    # no "科技" after an industry word that already ends in 科技 / 技术
    plain_word = np.array([not w.endswith(("科技", "技术")) for w in ctx.industries["word"]])
    tw = np.where(plain_word[ind_idx], rng.integers(0, 3, n), 1)
    tech_word = take(["科技", "", "技术"], tw)
    brand = join(take(chars, b1), take(chars, b2))
    name = join(city, brand, word, tech_word, suffix)
    # former names: an older brand or an older industry word
    has_former = rng.random(n) < float(N["former_name_share"])
    old_b2 = (b2 + 1 + rng.integers(0, len(chars) - 2, n)) % len(chars)
    old_b2 = np.where(old_b2 == b1, (old_b2 + 1) % len(chars), old_b2)
    old_suffix = take(["有限公司", "有限公司"], joint.astype(np.int64))
    former = join(
        city,
        take(chars, b1),
        take(chars, old_b2),
        take(["电子", "科技", "实业", "技术"], rng.integers(0, 4, n)),
        old_suffix,
    )
    until = registered + np.floor(rng.random(n) * (ctx.as_of_days - registered)).astype(np.int64)
    en_p = np.array([N["english_name_share"][k] for k in PROFILES])[profile]
    has_en = rng.random(n) < en_p
    import pyarrow.compute as pc

    # no "Technology Technology": the suffix adds the word only after a word without it
    tech_en = np.array(["Technolog" in w for w in ctx.industries["word_en"]])
    en_suffix = np.where(tech_en[ind_idx], 0, rng.integers(0, 3, n))
    brand_en = join(take(pinyin, b1), pc.utf8_lower(take(pinyin, b2)))
    name_en = join(
        take(ctx.places["city_en"], place),
        " ",
        brand_en,
        " ",
        take(ctx.industries["word_en"], ind_idx),
        take([" Co., Ltd.", " Co., Ltd.", " Technology Co., Ltd."], en_suffix),
    )
    return {
        "name": name,
        "name_en": mask_null(name_en, has_en),
        "former_name": mask_null(former, has_former),
        "former_name_until": dates(until, has_former),
        "legal_form": take(["limited_liability", "joint_stock"], joint.astype(np.int64)),
    }


def _size_class(
    ctx: Context,
    ind_idx: np.ndarray,
    staff: np.ndarray,
    revenue_fen: np.ndarray,
    assets_fen: np.ndarray,
) -> pa.Array:
    """SME size (large / medium / small / micro) per 工信部联企业〔2011〕300号.

    A vectorised kernel over the recognition engine's own thresholds
    (`techfin.recognition.size.groups`) and industry groups
    (`techfin.codes.industry.sme_size_group`); the tests check it against
    `techfin.recognition.size.classify` row by row. Money compared exactly in fen.
    """
    from techfin.recognition.size import groups

    rules = groups()
    metrics = {"employees": staff, "revenue": revenue_fen, "assets": assets_fen}
    unit = {"employees": 1, "revenue": FEN_PER_WAN, "assets": FEN_PER_WAN}
    group_of_class = np.array(ctx.industries["size_group"], dtype=object)[ind_idx]

    def reaches(bounds: dict[str, Any]) -> np.ndarray:
        ok = np.ones(len(staff), dtype=bool)
        for metric, threshold in bounds.items():
            ok &= metrics[metric] >= int(threshold) * unit[metric]
        return ok

    out = np.full(len(staff), "micro", dtype=object)
    for key in sorted(set(ctx.industries["size_group"])):
        g = rules[key]
        mine = group_of_class == key
        out = np.where(mine & reaches(g["small"]), "small", out)
        out = np.where(mine & reaches(g["medium"]), "medium", out)
        out = np.where(mine & reaches(g["sme_ceiling"]), "large", out)
    return pa.array(out.tolist(), type=pa.string())


def _quarters(ctx: Context) -> list[tuple[int, int]]:
    y, q = ctx.as_of.year, (ctx.as_of.month - 1) // 3 + 1
    # the last complete quarter before as_of (a quarter ending on as_of counts as complete)
    end_of_current = dt.quarter_end(y, q)
    if end_of_current > ctx.as_of_days:
        q -= 1
        if q == 0:
            y, q = y - 1, 4
    out = []
    for _ in range(12):
        out.append((y, q))
        q -= 1
        if q == 0:
            y, q = y - 1, 4
    return out[::-1]


def _quarterly(
    ctx: Context,
    rng: np.random.Generator,
    ent_id: np.ndarray,
    section: np.ndarray,
    profile: np.ndarray,
    hnte: np.ndarray,
    years: np.ndarray,
    rev: np.ndarray,
    nm: np.ndarray,
    rdr: np.ndarray,
    emp: np.ndarray,
    ast: np.ndarray,
    registered: np.ndarray,
) -> dict[str, pa.Table]:
    P = ctx.params
    S = P["seasonality"]
    n = len(ent_id)
    quarters = _quarters(ctx)
    nq = len(quarters)
    qy = np.array([y for y, _ in quarters])
    qq = np.array([q for _, q in quarters])
    yi = qy - years[0]  # index into the four years
    q_end = np.array([dt.quarter_end(y, q) for y, q in quarters])
    alive = q_end[None, :] >= registered[:, None]

    # monthly social-security series: log-linear trend between mid-year staff figures
    months = np.arange(36)
    m_year = np.repeat(qy, 3)
    m_num = np.concatenate([[3 * q - 2, 3 * q - 1, 3 * q] for q in qq])
    t = (m_year - years[0]) + (m_num - 0.5) / 12 - 0.5
    t = np.clip(t, 0, 3)
    i0 = np.minimum(np.floor(t).astype(int), 2)
    frac = t - i0
    lemp = np.log(emp.astype(float))
    base = np.exp(lemp[:, i0] * (1 - frac) + lemp[:, i0 + 1] * frac)
    dip_lo, dip_hi = S["february_dip"]
    rise_lo, rise_hi = S["july_september_rise"]
    dip = dip_lo + (dip_hi - dip_lo) * rng.random((n, 1))
    rise = rise_lo + (rise_hi - rise_lo) * rng.random((n, 1))
    factor = np.ones((n, 36))
    factor = np.where((m_num == 2)[None, :], 1 - dip, factor)
    factor = np.where(np.isin(m_num, [7, 8, 9])[None, :], 1 + rise, factor)
    staff_m = np.maximum(1, np.rint(base * factor * np.exp(0.01 * rng.standard_normal((n, 36)))))
    c_med, c_p25, c_p75 = _q3(S["insured_coverage"])
    cover = expit(logit(c_med) + logit_sigma(c_p25, c_p75) * rng.standard_normal((n, 1)))
    insured_m = np.minimum(staff_m, np.rint(staff_m * cover))
    del months
    sm = staff_m.reshape(n, nq, 3)
    im = insured_m.reshape(n, nq, 3)
    staff_end = sm[:, :, 2].astype(np.int64)
    ins_end = im[:, :, 2].astype(np.int64)
    ins_avg = np.rint(im.mean(axis=2)).astype(np.int64)
    ins_min = im.min(axis=2).astype(np.int64)

    r_i, r_q = np.nonzero(alive)
    common = {"enterprise_id": ent_id[r_i], "year": qy[r_q], "quarter": qq[r_q]}
    social = table(
        "social_security",
        {
            **common,
            "staff_end": staff_end[r_i, r_q],
            "insured_end": ins_end[r_i, r_q],
            "insured_avg": ins_avg[r_i, r_q],
            "insured_min": ins_min[r_i, r_q],
        },
    )

    # tax: quarterly revenue by the seasonal shares
    season = np.array(S["revenue_by_quarter"], dtype=float)
    rev_q = rev[:, yi] * season[qq - 1][None, :] * np.exp(0.08 * rng.standard_normal((n, nq)))
    T = P["tax"]
    vat_rate = np.array([T["vat_rate_by_section"][s] for s in SECTIONS])[section]
    va_med, va_p25, va_p75 = _q3(T["vat_value_added_share"])
    va = expit(logit(va_med) + logit_sigma(va_p25, va_p75) * rng.standard_normal(n))
    vat = np.rint(rev_q * FEN_PER_WAN * (vat_rate * va)[:, None]).astype(np.int64)
    profit_y = rev * nm[:, [0, 1, 2, 2]]
    taxable = np.maximum(
        0.0, profit_y - float(T["rd_super_deduction"]) * rev * rdr[:, [0, 1, 2, 2]]
    )
    small = T["small_low_profit"]
    slp = (
        (taxable <= small["taxable_income"])
        & (emp <= small["employees"])
        & (ast <= small["total_assets"])
    )
    rate = np.where(hnte[:, None], float(T["cit_hnte"]), float(T["cit_standard"]))
    rate = np.where(slp & ~hnte[:, None], float(T["cit_small_low_profit"]), rate)
    rate = np.where(slp & hnte[:, None], np.minimum(rate, float(T["cit_small_low_profit"])), rate)
    cit_year = taxable * rate
    cit = np.rint(cit_year[:, yi] * season[qq - 1][None, :] * FEN_PER_WAN).astype(np.int64)
    tax = table(
        "tax",
        {
            **common,
            "vat_fen": vat[r_i, r_q],
            "cit_fen": cit[r_i, r_q],
            "cit_rate_percent": np.rint(rate[:, yi] * 100).astype(np.int64)[r_i, r_q],
        },
    )

    # customs
    C = P["customs"]
    exporter = rng.random(n) >= float(C["no_export_share"])
    mean, conc = (
        float(C["export_share_of_revenue"]["mean"]),
        float(C["export_share_of_revenue"]["concentration"]),
    )
    share = rng.beta(mean * conc, (1 - mean) * conc, n)
    i_med, i_p25, i_p75 = _q3(C["import_to_export"])
    imp_ratio = _lq(rng.standard_normal(n), i_med, i_p25, i_p75)
    importer_only = ~exporter & (rng.random(n) < float(C["importer_without_exports"]))
    exports = np.where(exporter[:, None], rev_q * share[:, None], 0.0) * np.exp(
        0.15 * rng.standard_normal((n, nq))
    )
    imports = np.where(exporter[:, None], exports * imp_ratio[:, None], 0.0)
    imports = np.where(
        importer_only[:, None], rev_q * 0.05 * np.exp(0.5 * rng.standard_normal((n, 1))), imports
    )
    trade = alive & (exporter | importer_only)[:, None]
    c_i, c_q = np.nonzero(trade)
    customs = table(
        "customs",
        {
            "enterprise_id": ent_id[c_i],
            "year": qy[c_q],
            "quarter": qq[c_q],
            "exports_fen": _fen(exports)[c_i, c_q],
            "imports_fen": _fen(imports)[c_i, c_q],
        },
    )

    # utilities
    U = P["utilities"]
    kwh = np.array([U["power_kwh_per_wan_revenue"][s] for s in SECTIONS], dtype=float)[section]
    wat = np.array([U["water_m3_per_wan_revenue"][s] for s in SECTIONS], dtype=float)[section]
    firm_noise = np.exp(float(U["sigma"]) * rng.standard_normal((n, 1)))
    q_noise = np.exp(0.05 * rng.standard_normal((n, nq)))
    power = (rev_q * kwh[:, None] + staff_end * float(U["power_kwh_per_staff_quarter"])) * (
        firm_noise * q_noise
    )
    water = (rev_q * wat[:, None] + staff_end * float(U["water_m3_per_staff_quarter"])) * (
        firm_noise * q_noise
    )
    utilities = table(
        "utilities",
        {
            **common,
            "power_kwh": np.rint(power).astype(np.int64)[r_i, r_q],
            "water_m3": np.rint(water).astype(np.int64)[r_i, r_q],
        },
    )
    del profile
    return {"social_security": social, "tax": tax, "customs": customs, "utilities": utilities}


def _rounds(
    ctx: Context,
    rng: np.random.Generator,
    ent_id: np.ndarray,
    profile: np.ndarray,
    registered: np.ndarray,
    z_size: np.ndarray,
) -> pa.Table:
    F = ctx.params["funding"]
    n = len(ent_id)
    share = np.array([F["funded_share"][k] for k in PROFILES], dtype=float)
    loading = float(F["funded_size_loading"])
    alpha = np.array([intercept_for_mean(float(x), -loading) for x in share])
    funded = rng.random(n) < expit(alpha[profile] + loading * z_size)
    stages = ["angel", "A", "B", "C", "strategic"]
    first = _choice(rng, F["first_stage"], ["angel", "A", "B", "strategic"], n)
    first = np.where(first == 3, 4, first)
    idx = np.nonzero(funded)[0]
    stage = first[idx]
    when = dt.add_months(
        registered[idx],
        np.rint(24 * np.exp(0.5 * rng.standard_normal(len(idx)))).astype(np.int64),
    )
    investors = [code for code, _, _ in ctx.params.lexicon["institutions"]["investor"]]
    qw = np.array(F["quarter_weights"], dtype=float)
    out: dict[str, list[np.ndarray]] = {
        k: [] for k in ("e", "no", "stage", "when", "amt", "post", "lead")
    }
    active = np.ones(len(idx), dtype=bool)
    for round_no in range(1, 7):
        ok = active & (when <= ctx.as_of_days)
        # Q1 is the seasonal low: move some Q1 rounds into April
        q1 = (dt.month_of(when) <= 3) & (rng.random(len(when)) < 1 - qw[0] / 0.25)
        moved = dt.add_months(when, 3)
        when = np.where(q1 & (moved <= ctx.as_of_days), moved, when)
        if ok.any():
            sel = np.nonzero(ok)[0]
            med = np.array([F["size"][s][0] for s in stages], dtype=float)[stage[sel]]
            sg = np.array([F["size"][s][1] for s in stages], dtype=float)[stage[sel]]
            amount = med * np.exp(sg * rng.standard_normal(len(sel)))
            d_med, d_p25, d_p75 = _q3(F["dilution"])
            dil = np.clip(_lq(rng.standard_normal(len(sel)), d_med, d_p25, d_p75), 0.03, 0.45)
            out["e"].append(ent_id[idx[sel]])
            out["no"].append(np.full(len(sel), round_no))
            out["stage"].append(stage[sel])
            out["when"].append(when[sel])
            # announced in whole 万元
            out["amt"].append(np.maximum(1, np.rint(amount)).astype(np.int64) * FEN_PER_WAN)
            out["post"].append(np.rint(amount / dil).astype(np.int64) * FEN_PER_WAN)
            out["lead"].append(rng.integers(0, len(investors), len(sel)))
        active = ok & (rng.random(len(idx)) < float(F["continue_probability"]))
        if not active.any():
            break
        gap_med = np.array([F["months_between"][s][0] for s in stages], dtype=float)[stage]
        gap_sig = np.array([F["months_between"][s][1] for s in stages], dtype=float)[stage]
        gap = np.maximum(
            3, np.rint(gap_med * np.exp(gap_sig * rng.standard_normal(len(stage))))
        ).astype(np.int64)
        when = dt.add_months(when, gap)
        nxt = np.minimum(np.where(stage == 4, 1, stage + 1), 3)
        strategic = rng.random(len(stage)) < float(F["strategic_share"])
        stage = np.where(strategic, 4, nxt)

    def cat(key: str) -> np.ndarray:
        return np.concatenate(out[key]) if out[key] else np.zeros(0, dtype=np.int64)

    t = table(
        "funding_rounds",
        {
            "enterprise_id": cat("e"),
            "round_no": cat("no"),
            "stage": take(stages, cat("stage")),
            "announced_on": dates(cat("when")),
            "amount_fen": cat("amt"),
            "post_money_fen": cat("post"),
            "lead_investor_code": take(investors, cat("lead")),
        },
    )
    return t.sort_by([("enterprise_id", "ascending"), ("round_no", "ascending")])


def _roll_equity(
    ctx: Context,
    rng: np.random.Generator,
    rounds: pa.Table,
    start: int,
    years: np.ndarray,
    profit_fen: np.ndarray,
    assets_fen: np.ndarray,
    net_fen: np.ndarray,
) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """Tie the years' balance sheets together through equity (in place on the fen arrays).

    The latest year's net assets stay as drawn; each earlier year's are rolled back so that
    net assets(t) = net assets(t−1) + net profit(t) + equity raised(t) − dividends(t) holds to
    the fen. A profitable year pays out more (up to its whole profit) when the year before
    would otherwise end with net assets under 5 % of its assets. A round in the reported
    years is scaled down (never below 2 %) when it would be more than 70 % of the year-end
    net assets — a firm cannot have raised more than it holds.
    Where rolling back leaves liabilities under 5 % of assets, the year's assets are raised.
    Returns the rounds table (amounts possibly scaled), equity raised and dividends by year.
    """
    fin = ctx.params["financials"]
    n, ny = net_fen.shape
    r_ent = rounds.column("enterprise_id").to_numpy() - (start + 1)
    r_day = rounds.column("announced_on").cast(pa.int32()).to_numpy().astype(np.int64)
    r_t = dt.year_of(r_day) - years[0]
    amount = rounds.column("amount_fen").to_numpy().copy()
    post = rounds.column("post_money_fen").to_numpy().copy()
    payer = rng.random(n) < float(fin["dividend_payer_share"])
    payout = np.where(payer, rng.random(n) * float(fin["dividend_max_payout"]), 0.0)
    div = np.rint(np.maximum(profit_fen, 0) * payout[:, None]).astype(np.int64)
    raised = np.zeros((n, ny), dtype=np.int64)
    cap_share = float(fin["max_round_share_of_net_assets"])
    for t in (2, 1, 0):
        sel = r_t == t
        if sel.any():
            eq = np.bincount(r_ent[sel], weights=amount[sel].astype(float), minlength=n)
            cap = cap_share * np.maximum(net_fen[:, t], 0)
            scale = np.where(eq > cap, np.clip(cap / np.maximum(eq, 1.0), 0.02, 1.0), 1.0)
            s_r = scale[r_ent[sel]]
            amount[sel] = np.maximum(1, np.rint(amount[sel] * s_r / FEN_PER_WAN)) * FEN_PER_WAN
            post[sel] = np.maximum(1, np.rint(post[sel] * s_r / FEN_PER_WAN)) * FEN_PER_WAN
            raised[:, t] = np.bincount(
                r_ent[sel], weights=amount[sel].astype(float), minlength=n
            ).astype(np.int64)
        if t > 0:
            # a profitable year that would leave the year before with net assets under 5 % of
            # assets must have paid out more: raise its dividend, at most to its profit
            floor = assets_fen[:, t - 1] // 20
            short = floor - (net_fen[:, t] - profit_fen[:, t] - raised[:, t] + div[:, t])
            extra = np.clip(short, 0, np.maximum(profit_fen[:, t] - div[:, t], 0))
            div[:, t] += extra
            net_fen[:, t - 1] = net_fen[:, t] - profit_fen[:, t] - raised[:, t] + div[:, t]
            low = assets_fen[:, t - 1] - net_fen[:, t - 1] < assets_fen[:, t - 1] // 20
            need = np.ceil(net_fen[:, t - 1] / 0.95).astype(np.int64)
            assets_fen[:, t - 1] = np.where(low, need, assets_fen[:, t - 1])
    rounds = rounds.set_column(
        rounds.schema.get_field_index("amount_fen"), "amount_fen", pa.array(amount, pa.int64())
    )
    rounds = rounds.set_column(
        rounds.schema.get_field_index("post_money_fen"),
        "post_money_fen",
        pa.array(post, pa.int64()),
    )
    return rounds, raised, div


def _loans(
    ctx: Context,
    rng: np.random.Generator,
    ent_id: np.ndarray,
    profile: np.ndarray,
    z_size: np.ndarray,
    z_health: np.ndarray,
    liabilities_fen: np.ndarray,
) -> pa.Table:
    R = ctx.params["credit_register"]
    lex = ctx.params.lexicon
    n = len(ent_id)
    share = np.array([R["borrower_share"][k] for k in PROFILES], dtype=float)
    loading = float(R["borrower_size_loading"])
    # intercepts that keep each profile's borrower share while larger firms borrow more often
    alpha = np.array([intercept_for_mean(float(x), -loading) for x in share])
    borrower = rng.random(n) < expit(alpha[profile] + loading * z_size)
    sigma = float(R["balance_sigma"])
    mean = np.array([R["mean_balance"][k] for k in PROFILES], dtype=float)[profile]
    rho = float(R["balance_size_loading"])
    total = mean * np.exp(
        -sigma * sigma / 2
        + sigma * (rho * z_size + np.sqrt(1 - rho * rho) * rng.standard_normal(n))
    )
    total_fen = np.minimum(
        _fen(total),
        np.floor(liabilities_fen * float(R["max_share_of_liabilities"])).astype(np.int64),
    )
    borrower &= total_fen >= 100_000 * 100  # at least 10万 yuan
    lo, mean_count = R["loans_per_borrower"]
    count = np.minimum(6, lo + rng.poisson(float(mean_count) - lo, n))
    count = np.where(borrower, count, 0)
    firm = np.repeat(np.arange(n), count)
    m = len(firm)
    loan_no = np.arange(m) - np.repeat(np.cumsum(count) - count, count) + 1
    w = rng.gamma(1.0, 1.0, m)
    wsum = np.bincount(firm, weights=w, minlength=n)
    balance = (
        np.floor(total_fen[firm] * w / np.maximum(wsum[firm], 1e-12) / 100).astype(np.int64) * 100
    )
    products = list(R["product"])
    product = _choice(rng, R["product"], products, m)
    guarantee_keys = list(R["guarantee"])
    guarantee = _choice(rng, R["guarantee"], guarantee_keys, m)
    guarantee = np.where(
        np.array(products)[product] == "ip_pledge", guarantee_keys.index("pledge"), guarantee
    )
    tmin = np.array([R["term_months"][p][0] for p in products])[product]
    tmax = np.array([R["term_months"][p][1] for p in products])[product]
    term = tmin + np.floor(rng.random(m) * (tmax - tmin + 1)).astype(np.int64)
    term = np.where(term > 12, (term // 12) * 12, term)
    elapsed = np.floor(rng.random(m) * term).astype(np.int64)
    as_of = ctx.as_of_days
    opened = dt.add_months(np.full(m, as_of), -elapsed) - rng.integers(0, 28, m)
    matures = dt.add_months(opened, term)
    s_lo, s_hi = R["spread_bp"]
    rate = float(R["lpr_1y"]) + (s_lo + (s_hi - s_lo) * rng.random(m)) / 100.0
    rate = np.round(rate, 2)
    # overdue: one loan of a stressed borrower falls behind
    base = float(logit(float(R["overdue_base_rate"])))
    p_over = expit(base - float(R["overdue_health_loading"]) * z_health)
    overdue_firm = borrower & (rng.random(n) < p_over)
    od_med, od_sig = R["overdue_days"]
    days_firm = np.maximum(1, np.rint(od_med * np.exp(od_sig * rng.standard_normal(n)))).astype(
        np.int64
    )
    also = (loan_no == 1) | (rng.random(m) < float(R["overdue_other_loans"]))
    overdue = np.where(overdue_firm[firm] & also, days_firm[firm], 0)
    overdue = np.minimum(overdue, np.maximum(0, as_of - opened))
    cls = np.select(
        [overdue > 360, overdue > 270, overdue > 90, overdue > 0], [4, 3, 2, 1], default=0
    )
    watch = rng.random(m) < float(R["special_mention_without_overdue"]) * np.exp(
        -0.8 * z_health[firm]
    )
    cls = np.where((cls == 0) & watch, 1, cls)
    lenders = lex["lenders"]
    lender = rng.choice(
        len(lenders), size=m, p=np.array(lex["lender_weights"]) / np.sum(lex["lender_weights"])
    )
    return table(
        "credit_register",
        {
            "enterprise_id": ent_id[firm],
            "loan_no": loan_no,
            "reported_on": dates(np.full(m, as_of)),
            "lender": take([x[0] for x in lenders], lender),
            "lender_kind": take([x[1] for x in lenders], lender),
            "product": take(products, product),
            "guarantee": take(guarantee_keys, guarantee),
            "balance_fen": balance,
            "opened_on": dates(opened),
            "matures_on": dates(matures),
            "rate_percent": rate,
            "classification": take(CLASSES, cls),
            "overdue_days": overdue,
        },
    )


def _court(
    ctx: Context,
    rng: np.random.Generator,
    ent_id: np.ndarray,
    z_health: np.ndarray,
    place: np.ndarray,
    registered: np.ndarray,
) -> pa.Table:
    C = ctx.params["court"]
    n = len(ent_id)
    load = float(C["health_loading"])
    enforce = rng.random(n) < expit(float(logit(float(C["enforcement_share"]))) - load * z_health)
    dishonest = rng.random(n) < expit(float(logit(float(C["dishonest_share"]))) - load * z_health)
    enforce |= dishonest
    rows = []
    for mask, kind in ((enforce, "enforcement"), (dishonest, "dishonest")):
        idx = np.nonzero(mask)[0]
        start = np.maximum(registered[idx], ctx.as_of_days - 3 * 365)
        filed = start + np.floor(rng.random(len(idx)) * (ctx.as_of_days - start + 1)).astype(
            np.int64
        )
        amount = _fen(C["amount"][0] * np.exp(C["amount"][1] * rng.standard_normal(len(idx))))
        status = np.where(rng.random(len(idx)) < (0.6 if kind == "enforcement" else 0.3), 1, 0)
        serial = rng.integers(1, 20000, len(idx))
        # enforcement by the intermediate court of the firm's city: （2024）粤03执1234号
        abbr = take(ctx.places["court_abbr"], place[idx])
        court_code = take([d[2:4] for d in ctx.places["district_str"]], place[idx])
        year = dt.year_of(filed)
        case = join(
            "（",
            pa.array(year.astype(str).tolist(), type=pa.string()),
            "）",
            abbr,
            court_code,
            "执",
            pa.array(serial.astype(str).tolist(), type=pa.string()),
            "号",
        )
        court = join(take(ctx.places["name_city_shi"], place[idx]), "中级人民法院")
        rows.append(
            {
                "enterprise_id": ent_id[idx],
                "kind": take([kind], np.zeros(len(idx), int)),
                "case_no": case,
                "court": court,
                "filed_on": dates(filed),
                "amount_fen": amount,
                "status": take(
                    ["open", "closed"] if kind == "enforcement" else ["listed", "removed"], status
                ),
            }
        )
    schema = SCHEMAS["court_records"]
    cols = {
        k: pa.concat_arrays([pa.array(r[k]).cast(schema.field(k).type) for r in rows])
        for k in rows[0]
    }
    t = table("court_records", cols)
    return t.sort_by([("enterprise_id", "ascending"), ("kind", "descending")])


def _truth(
    ctx: Context,
    rng: np.random.Generator,
    ent_id: np.ndarray,
    profile: np.ndarray,
    z_health: np.ndarray,
    age: np.ndarray,
) -> pa.Table:
    D = ctx.params["defaults"]
    load = float(D["health_loading"])
    alpha = ctx.dist["pd_alpha"][profile]
    young = age < float(D["young_firm_years"])
    alpha = np.where(young, np.maximum(alpha, ctx.dist["pd_alpha_young"]), alpha)
    pd = expit(alpha - load * z_health)
    default = rng.random(len(ent_id)) < pd
    when = ctx.as_of_days + rng.integers(1, 366, len(ent_id))
    return table(
        "truth",
        {
            "enterprise_id": ent_id,
            "as_of": dates(np.full(len(ent_id), ctx.as_of_days)),
            "pd_12m": np.round(pd, 6),
            "default_12m": default,
            "default_on": dates(when, default),
        },
    )


def _conflicts(
    ctx: Context,
    rng: np.random.Generator,
    ent_id: np.ndarray,
    uscc: pa.Array,
    registered: np.ndarray,
) -> pa.Table:
    w = ctx.params["world"]
    n = len(ent_id)
    count = int(rng.poisson(n * float(w["expert_conflicts_per_1000_firms"]) / 1000))
    count = min(count, n)
    codes = [f"EXP-T{i + 1:03d}" for i in range(w["tech_experts"])] + [
        f"EXP-P{i + 1:03d}" for i in range(w["ip_experts"])
    ]
    firms = np.sort(rng.choice(n, size=count, replace=False)) if count else np.zeros(0, int)
    expert = rng.integers(0, len(codes), count)
    relation = rng.integers(0, 4, count)
    since = registered[firms] + np.floor(
        rng.random(count) * (ctx.as_of_days - registered[firms])
    ).astype(np.int64)
    return table(
        "expert_conflicts",
        {
            "expert_code": take(codes, expert),
            "enterprise_id": ent_id[firms],
            "uscc": uscc.take(pa.array(firms, type=pa.int64())),
            "relation": take(
                ["shareholder", "former_employee", "relative_of_officer", "paid_advisor"], relation
            ),
            "since": dates(since),
        },
    )


def _enterprise_users(ctx: Context, uscc: pa.Array, names: pa.Array) -> pa.Table:
    k = min(int(ctx.params["world"]["enterprise_logins"]), len(uscc))
    pattern = str(ctx.params["world"]["password_pattern"])
    users = [f"ent{i + 1:03d}" for i in range(k)]
    from techfin.synth.world import person_names

    people = person_names(np.random.default_rng([ctx.seed, 0xE17]), ctx.params.lexicon, k)
    return table(
        "users",
        {
            "username": users,
            "password": [pattern.format(username=u) for u in users],
            "role": ["enterprise"] * k,
            "display_name": [
                f"{p}（{nm}）" for p, nm in zip(people, names.to_pylist()[:k], strict=True)
            ],
            "institution_code": [None] * k,
            "branch_code": [None] * k,
            "enterprise_uscc": uscc.to_pylist()[:k],
            "expert_code": [None] * k,
        },
    )
