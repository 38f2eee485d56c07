"""Patents and their legal events for a chunk of enterprises (vectorised).

Counts of *granted* rights per firm follow a negative binomial per profile and type (median
and zero share from data-realism.md); refused and pending applications are added according to
the grant rate. Survival of a granted right (annual fees paid) is piecewise exponential through
the "in force at 5 and 10 years" figures, capped at the legal term. A right whose next annual
fee is unpaid is `in_grace` for six months and then `lapsed` as of the end of its last paid
year (official-rules.md §2, §11). Application numbers are valid (check digit per §2) and unique
per (year, type): each chunk owns a block of serial numbers.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from techfin.synth import _dates as dt
from techfin.synth._arrow import dates, ints, mask_null, strings_from_matrix, take
from techfin.synth.identifiers import patent_matrix
from techfin.synth.params import PATENT_TYPES, PROFILES, SECTIONS, nb_draw
from techfin.synth.schema import table

if TYPE_CHECKING:
    from techfin.synth.firms import Context

SERIAL_SPACE = 10_000_000
# output names, as techfin.codes.patent.PatentType spells them (params.yaml says "utility")
PATENT_TYPE_NAMES = ("invention", "utility_model", "design")
SERIAL_BASE = 100_000  # serials start at 0100000: numbers look like the real ones
DAYS_PER_MONTH = 30.436875
DAYS_PER_YEAR = 365.2425


def _nb_k_for_zero_share(zero_share: float, mean: float) -> float:
    """Dispersion k with P(0) = (k / (k + mean))^k = zero_share (bisection; P(0) falls with k)."""
    lo, hi = 1e-3, 50.0
    for _ in range(100):
        mid = (lo + hi) / 2
        p0 = (mid / (mid + mean)) ** mid
        if p0 > zero_share:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _fee_table(rows: list[list[int]], max_year: int) -> np.ndarray:
    """Annual fee in yuan by year of life (index 1..max_year)."""
    out = np.zeros(max_year + 2, dtype=np.int64)
    prev = 0
    for upto, fee in rows:
        out[prev + 1 : upto + 1] = fee
        prev = upto
    out[prev + 1 :] = rows[-1][1]
    return out


def generate_patents(
    ctx: Context,
    rng: np.random.Generator,
    chunk: int,
    ent_id: np.ndarray,
    profile: np.ndarray,
    section: np.ndarray,
    registered: np.ndarray,
    gidx: np.ndarray,
) -> dict[str, pa.Table]:
    P = ctx.params["patents"]
    as_of = ctx.as_of_days
    n = len(ent_id)
    earliest = dt.to_days(date.fromisoformat(P["earliest_filing"]))
    start = np.maximum(registered, earliest)

    firm_parts, type_parts, granted_parts = [], [], []
    for t_i, type_name in enumerate(PATENT_TYPES):
        mean = np.array([P["granted_per_firm"][p][type_name]["mean"] for p in PROFILES])[profile]
        ks = np.array([P["granted_per_firm"][p][type_name]["k"] for p in PROFILES])
        granted = np.zeros(n, dtype=np.int64)
        for p_i in range(len(PROFILES)):
            sel = profile == p_i
            if sel.any():
                granted[sel] = nb_draw(rng, mean[sel].astype(float), float(ks[p_i]))
        rate = float(P["grant_rate"][type_name])
        other = rng.poisson(granted * (1 / rate - 1) + 0.3 * (1 - rate))
        total = granted + other
        firm = np.repeat(np.arange(n), total)
        # the first `granted` applications of each firm are the ones meant to be granted
        pos = np.arange(len(firm)) - np.repeat(np.cumsum(total) - total, total)
        firm_parts.append(firm)
        type_parts.append(np.full(len(firm), t_i))
        granted_parts.append(pos < granted[firm])
    firm = np.concatenate(firm_parts)
    ptype = np.concatenate(type_parts)
    meant = np.concatenate(granted_parts)
    order = np.lexsort((ptype, firm))  # firm-major, then type: a stable, readable row order
    firm, ptype, meant = firm[order], ptype[order], meant[order]
    m = len(firm)

    med = np.array([P["months_to_decision"][t][0] for t in PATENT_TYPES], dtype=float)[ptype]
    sig = np.array([P["months_to_decision"][t][1] for t in PATENT_TYPES], dtype=float)[ptype]
    delay = np.maximum(
        1, np.rint(med * np.exp(sig * rng.standard_normal(m)) * DAYS_PER_MONTH)
    ).astype(np.int64)
    s = start[firm]
    u = rng.random(m)
    latest_for_grant = as_of - delay
    can_grant = meant & (latest_for_grant > s)
    span = np.where(can_grant, latest_for_grant - s, as_of - s)
    filed = s + np.floor(u * np.maximum(span, 0)).astype(np.int64)
    decided = filed + delay
    granted = can_grant
    pending = ~granted & (decided > as_of)
    rejected = ~granted & ~pending

    # legal term and survival
    design_new = filed >= dt.to_days(date(2021, 6, 1))
    term_table = P["legal_term_years"]
    term = np.array([term_table[t] for t in PATENT_TYPES])[ptype]
    term = np.where((ptype == 2) & ~design_new, term_table["design_before_2021_06_01"], term)
    s5 = np.array([P["in_force"][t][5] for t in PATENT_TYPES], dtype=float)[ptype]
    s10 = np.array([P["in_force"][t][10] for t in PATENT_TYPES], dtype=float)[ptype]
    h1 = -np.log(s5) / 5
    h2 = -np.log(s10 / s5) / 5
    e = rng.exponential(1.0, m)
    life = np.where(e < 5 * h1, e / h1, 5 + (e - 5 * h1) / h2)
    grant_year_of_life = np.floor((decided - filed) / DAYS_PER_YEAR).astype(np.int64) + 1
    paid_years = np.clip(np.ceil(life).astype(np.int64), grant_year_of_life, term)
    expires = dt.add_years(filed, term) - 1
    lapse_at = dt.add_years(filed, paid_years)  # end of the last paid year
    grace = int(P["grace_months"])
    grace_end = dt.add_months(lapse_at, grace)
    full_term = paid_years >= term
    # current year of life: the k with anniversary k-1 <= as_of < anniversary k (exact)
    year_now = np.floor((as_of - filed) / DAYS_PER_YEAR).astype(np.int64) + 1
    year_now = np.where(dt.add_years(filed, year_now) <= as_of, year_now + 1, year_now)
    year_now = np.where(dt.add_years(filed, year_now - 1) > as_of, year_now - 1, year_now)
    expired = granted & full_term & (expires <= as_of)
    lapsed = granted & ~full_term & (grace_end <= as_of)
    in_grace = granted & ~full_term & (lapse_at <= as_of) & ~lapsed
    in_force = granted & ~expired & ~lapsed & ~in_grace
    status = np.select(
        [pending, rejected, in_force, in_grace, lapsed, expired], [0, 1, 2, 3, 4, 5], default=0
    )
    status_on = np.select(
        [pending, rejected, in_force, in_grace, lapsed, expired],
        [filed, decided, decided, lapse_at, lapse_at, expires],
        default=filed,
    )
    paid_through = np.where(
        in_force, np.minimum(year_now, term), np.where(expired, term, paid_years)
    )

    # next annual fee (for rights still alive)
    fees = {t: _fee_table(P["annual_fee_yuan"][t], 20) for t in PATENT_TYPES}
    fee_matrix = np.stack([fees[t] for t in PATENT_TYPES])
    next_year = np.minimum(paid_through + 1, fee_matrix.shape[1] - 1)
    reduced = rng.random(m) < float(P["fee_reduction_probability"])
    pay_share = np.where(reduced, float(P["fee_reduction_enterprise"]), 1.0)
    alive = in_force | in_grace
    has_next = alive & (paid_through < term)
    next_due = np.where(in_grace, lapse_at, dt.add_years(filed, paid_through))
    next_fee = np.rint(fee_matrix[ptype, next_year] * pay_share).astype(np.int64)

    claims_med = np.array([P["claims"][t][0] for t in PATENT_TYPES], dtype=float)[ptype]
    claims_sig = np.array([P["claims"][t][1] for t in PATENT_TYPES], dtype=float)[ptype]
    claims = np.maximum(
        1, np.rint(claims_med * np.exp(claims_sig * rng.standard_normal(m)))
    ).astype(np.int64)
    ipc_lists = [P["ipc_by_section"][sname] for sname in SECTIONS]
    ipc_flat = [c for lst in ipc_lists for c in lst]
    ipc_off = np.cumsum([0] + [len(x) for x in ipc_lists])[:-1]
    ipc_cnt = np.array([len(x) for x in ipc_lists])
    sec = section[firm]
    ipc_idx = ipc_off[sec] + np.floor(rng.random(m) * ipc_cnt[sec]).astype(np.int64)
    cz = P["citations_5y"]
    k = _nb_k_for_zero_share(float(cz["zero_share"]), float(cz["mean"]))
    exposure = np.clip((as_of - np.where(granted, decided, filed)) / (5 * DAYS_PER_YEAR), 0, 1)
    cites = nb_draw(rng, float(cz["mean"]) * exposure * granted, k)

    acquired = granted & (rng.random(m) < float(P["acquired_share"]))
    alive_until = np.where(lapsed | in_grace, lapse_at, np.where(expired, expires, as_of))
    acquired_on = decided + np.floor(rng.random(m) * np.maximum(alive_until - decided, 0)).astype(
        np.int64
    )

    # pledges: a few granted rights of a few firms
    pledge_firm = rng.random(n) < float(P["pledge_firm_share"])
    pp_med, pp_sig = P["pledge_patents_per_firm"]
    want = np.maximum(1, np.rint(pp_med * np.exp(pp_sig * rng.standard_normal(n)))).astype(int)
    eligible = granted & (ptype < 2) & pledge_firm[firm]
    rank = np.cumsum(eligible) - 1
    first_of_firm = np.searchsorted(firm, np.arange(n))
    before = np.where(
        first_of_firm < m, np.concatenate([[0], np.cumsum(eligible)])[first_of_firm], 0
    )
    firm_rank = rank - before[firm]
    pledged_any = eligible & (firm_rank < want[firm])
    p_start = decided + np.floor(rng.random(m) * np.maximum(alive_until - decided, 0)).astype(
        np.int64
    )
    active = pledged_any & (in_force) & (rng.random(m) < float(P["pledge_active_share"]))
    release = p_start + np.floor(rng.random(m) * np.maximum(alive_until - p_start, 0)).astype(
        np.int64
    )
    pa_med, pa_sig = P["pledge_amount"]
    firm_amount = pa_med * np.exp(pa_sig * rng.standard_normal(n)) * 1_000_000  # fen
    n_pledged = np.bincount(firm[pledged_any], minlength=n)
    pledge_amount = (
        np.rint(firm_amount[firm] / np.maximum(n_pledged[firm], 1) / 100).astype(np.int64) * 100
    )

    # application numbers: each chunk owns a block of serials per (year, type)
    fyear = dt.year_of(filed)
    type_digit = ptype + 1
    block = (SERIAL_SPACE - SERIAL_BASE) // ctx.n_chunks
    key = fyear * 10 + type_digit
    order = np.lexsort((np.arange(m), key))
    sorted_key = key[order]
    first = np.searchsorted(sorted_key, sorted_key, side="left")
    rank_in_key = np.empty(m, dtype=np.int64)
    rank_in_key[order] = np.arange(m) - first
    if m and rank_in_key.max() >= block:
        raise ValueError("too many patents per (year, type) in a chunk for the serial space")
    serial = SERIAL_BASE + chunk * block + rank_in_key
    number_matrix = patent_matrix(fyear, type_digit, serial)
    numbers = strings_from_matrix(number_matrix)

    statuses = ["pending", "rejected", "in_force", "in_grace", "lapsed", "expired"]
    ipc = take(ipc_flat, ipc_idx)
    patents = table(
        "patents",
        {
            "application_no": numbers,
            "enterprise_id": ent_id[firm],
            "patent_type": take(PATENT_TYPE_NAMES, ptype),
            "filed_on": dates(filed),
            "granted_on": dates(decided, granted),
            "status": take(statuses, status),
            "status_on": dates(status_on),
            "expires_on": dates(expires, granted),
            "claims": claims,
            "ipc": mask_null(ipc, ptype != 2),
            "forward_citations_5y": cites,
            "fee_paid_through_year": ints(paid_through, granted),
            "next_fee_due_on": dates(next_due, has_next),
            "next_fee_yuan": ints(next_fee, has_next),
            "fee_reduction_percent": ints(np.where(reduced, 70, 0), granted),
            "acquired": acquired,
            "pledged": active,
        },
    )

    # legal events
    ev: list[tuple[np.ndarray, np.ndarray, str, np.ndarray | None, np.ndarray | None]] = [
        (np.ones(m, dtype=bool), filed, "filing", None, None),
        (granted, decided, "grant", None, None),
        (rejected, decided, "rejection", None, None),
        (in_grace | lapsed, lapse_at, "annual_fee_unpaid", None, None),
        (lapsed, grace_end, "lapse_unpaid_fee", None, None),
        (expired, expires, "expiry", None, None),
        (acquired, acquired_on, "transfer_in", rng.integers(0, 4, m), None),
        (pledged_any, p_start, "pledge_registered", np.full(m, 4), pledge_amount),
        (pledged_any & ~active, release, "pledge_released", np.full(m, 4), None),
    ]
    parties = [*ctx.params.lexicon["universities"][:3], "个人发明人", ""]
    lenders = [x[0] for x in ctx.params.lexicon["lenders"]]
    cols: dict[str, list[pa.Array]] = {k: [] for k in ("row", "event_on", "event", "cp", "amt")}
    for mask, when, name, party, amount in ev:
        idx = np.nonzero(mask)[0]
        cols["row"].append(pa.array(idx, type=pa.int64()))
        cols["event_on"].append(pa.array(when[idx], type=pa.int64()))
        cols["event"].append(take([name], np.zeros(len(idx), dtype=np.int64)))
        if name.startswith("pledge"):
            cp = take(lenders, rng.integers(0, len(lenders), len(idx)))
        elif party is not None:
            cp = take(parties, party[idx])
        else:
            cp = pa.nulls(len(idx), pa.string())
        cols["cp"].append(cp)
        cols["amt"].append(
            pa.array(amount[idx], type=pa.int64())
            if amount is not None
            else pa.nulls(len(idx), pa.int64())
        )
    row = pa.concat_arrays(cols["row"]).to_numpy()
    when = pa.concat_arrays(cols["event_on"]).to_numpy()
    # by patent, then by date; same-day events keep their listed order (stable sort; the
    # groups arrive sorted by patent, so the merge sort finds long runs)
    key = row * (1 << 24) + (when - when.min() if when.size else when)
    ev_order = np.argsort(key, kind="stable")
    idx_arr = pa.array(ev_order, type=pa.int64())
    events = table(
        "patent_events",
        {
            "application_no": strings_from_matrix(number_matrix[row[ev_order]]),
            "enterprise_id": ent_id[firm[row[ev_order]]],
            "event_on": dates(when[ev_order]),
            "event": pa.concat_arrays(cols["event"]).take(idx_arr),
            "counterparty": pa.concat_arrays(cols["cp"]).take(idx_arr),
            "amount_fen": pa.concat_arrays(cols["amt"]).take(idx_arr),
        },
    )
    del gidx
    return {"patents": patents, "patent_events": events}
