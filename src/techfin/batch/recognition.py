"""Vectorised recognition kernel: SME size, tech-based SME, high-tech enterprise, innovative
SME, 专精特新 (2026 criteria) and little giant over whole registries (Arrow / Parquet
columns, NumPy), agreeing exactly with `techfin.recognition`.

Exactness (issue 4, item 4): amounts are integer **fen** (万元 × 10^6) in int64 columns
`*_fen`, ratios are integer **parts per million** in `*_ppm` columns, counts are integers.
A ratio is compared with a threshold p/q by integer cross-multiplication
(`ratio_ppm · q >= p · 10^6`; R&D intensity as `Σrd · q >= p · Σsales`), never as a float.
The one comparison whose cross-multiplication overflows int64 — HNTE growth,
½(Y2/Y1 + Y3/Y2) − 1 ≥ t, i.e. q(Y2² + Y1·Y3) ≥ 2(p + q)·Y1·Y2 on fen amounts — is screened
in float64 and every row within 1e-9 of a band edge is re-decided with exact Python integers
(decision 0204). Thresholds are read from the same rule data files as the per-enterprise API.

Columns (nullable where the API parameter is optional; a null in a required column, or a
value the API would refuse, sets `<rule>_invalid` instead of raising):

- size: `size_group` (English key of the 16 groups), `employees`, `revenue_fen`, `assets_fen`;
- tech SME: `employees`, `sales_fen`, `total_assets_fen`, `tech_staff_ratio_ppm`,
  `rd_to_sales_ppm`, `rd_to_cost_ppm`, `class1_ip`, `class2_ip`, flags `hnte_certificate`,
  `national_award`, `provincial_rd_institution`, `led_standard`, `registered_in_china`,
  `prohibited_products`, `major_incident`, `misconduct`, `abnormal_operation`,
  `serious_dishonesty`;
- HNTE: `tech_staff_ratio_ppm`, `rd_y1_fen` … `rd_y3_fen`, `sales_y1_fen` … `sales_y3_fen`,
  `high_tech_revenue_ratio_ppm`, `class1_ip`, `class2_ip`, `ip_acquisition` ('own' /
  'transferred'), `conversions_3y`, `net_assets_y1_fen` … `net_assets_y3_fen`, `standards`,
  `tech_advancement`, `core_support`, `rd_management` (expert points as integers),
  `pin_<item>` for the expert points within a band, `domestic_rd_share_ppm`,
  `registered_on` (date), `owns_core_ip`, `in_supported_field`, `major_incident`;
- innovative SME: `high_value_ip`, `class1_ip_own`, `class1_ip`, `class2_ip`,
  `rd_to_revenue_ppm`, `revenue_growth_ppm` (may be negative), `debt_ratio_ppm`,
  `strategic_emerging`, `main_business_share_ppm`, `science_award`, `honours`,
  `rd_institution`, `equity_raised_3y_fen`, `is_sme`, `abnormal_or_dishonest`,
  `prohibited_products`, `major_incident`;
- 专精特新 (2026 criteria only) and little giant: `revenue_y1_fen` … `revenue_y3_fen`
  (营业收入, oldest first; 专精特新 uses the last two), `rd_y2_fen`, `rd_y3_fen`,
  `main_business_share_ppm`, `debt_ratio_ppm`, the IP counts, `niche_years`,
  `equity_raised_2y_fen`, `is_innovative_sme`; little giant also `market_share_ppm`,
  `market_rank`, `is_srdi`.

One flag column serves every rule set that asks the same question (e.g. `major_incident`).

`reference(table)` runs the per-enterprise API on every row and returns the same columns: the
agreement test and `bench/recognition_batch.py` compare the two.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any, cast

import numpy as np
import pyarrow as pa

from techfin.recognition import hnte, innovative_sme, little_giant, size, srdi, tech_sme
from techfin.recognition.hnte import EXPERT_ITEMS
from techfin.recognition.rules import RuleSet, frac, load

PPM = 10**6
FEN_PER_WAN = 10**6
VERDICTS = np.array(["fails", "needs expert review", "passes"], dtype=object)
SIZES = np.array(["large", "medium", "small", "micro"], dtype=object)
TECH_SME_FLAGS = ("hnte_certificate", "national_award", "provincial_rd_institution", "led_standard")
TECH_SME_NEGATIVES = (
    "prohibited_products",
    "major_incident",
    "misconduct",
    "abnormal_operation",
    "serious_dishonesty",
)
I64 = np.int64
Arr = np.ndarray[Any, Any]


# --- column access -----------------------------------------------------------------------
class Columns:
    """NumPy views of an Arrow table's columns: values with nulls filled, plus null masks."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self.n = table.num_rows

    def has(self, name: str) -> bool:
        return name in self.table.column_names

    def int(self, name: str, fill: int = 0) -> tuple[Arr, Arr]:
        """(int64 values with nulls → fill, null mask); an absent column is all null."""
        if not self.has(name) or pa.types.is_null(self.table.column(name).type):
            return np.full(self.n, fill, dtype=I64), np.ones(self.n, dtype=bool)
        col = self.table.column(name)
        null = col.is_null().to_numpy(zero_copy_only=False)
        values = col.fill_null(fill).to_numpy(zero_copy_only=False).astype(I64, copy=False)
        return values, null

    def flag(self, name: str) -> tuple[Arr, Arr]:
        """(bool values with nulls → False, null mask)."""
        if not self.has(name) or pa.types.is_null(self.table.column(name).type):
            return np.zeros(self.n, dtype=bool), np.ones(self.n, dtype=bool)
        col = self.table.column(name)
        null = col.is_null().to_numpy(zero_copy_only=False)
        return col.fill_null(False).to_numpy(zero_copy_only=False).astype(bool), null

    def text(self, name: str) -> Arr:
        if not self.has(name):
            return np.full(self.n, None, dtype=object)
        return np.asarray(self.table.column(name).to_pylist(), dtype=object)

    def codes(self, name: str, labels: Sequence[str]) -> Arr:
        """Position of each row's text in `labels` (-1 for null or anything else), computed
        on the column's dictionary rather than row by row."""
        if not self.has(name) or pa.types.is_null(self.table.column(name).type):
            return np.full(self.n, -1, dtype=I64)
        encoded = self.table.column(name).combine_chunks().dictionary_encode()
        lookup = np.array(
            [labels.index(v) if v in labels else -1 for v in encoded.dictionary.to_pylist()] + [-1],
            dtype=I64,
        )
        idx = encoded.indices.fill_null(len(lookup) - 1).to_numpy(zero_copy_only=False)
        return lookup[idx]  # type: ignore[no-any-return]


def _nulls(mask: Arr, values: Any) -> Arr:
    """An object array of `values` with None where `mask` is True."""
    out: Arr = np.empty(len(mask), dtype=object)
    out[:] = list(values) if isinstance(values, np.ndarray) else values
    out[np.asarray(mask, dtype=bool)] = None
    return out


def _pq(value: Any) -> tuple[int, int]:
    f = frac(value)
    return f.numerator, f.denominator


def _ratio_ge(ppm: Arr, threshold: Any) -> Arr:
    """ppm / 10^6 ≥ p/q  ⇔  ppm · q ≥ p · 10^6 (integers)."""
    p, q = _pq(threshold)
    return ppm * q >= p * PPM


def _ratio_le(ppm: Arr, threshold: Any) -> Arr:
    p, q = _pq(threshold)
    return ppm * q <= p * PPM


def _fen(amount_wan: Any) -> int:
    f = Fraction(Decimal(str(amount_wan))) * FEN_PER_WAN
    if f.denominator != 1:
        raise ValueError(f"rule data: {amount_wan} 万元 is not a whole number of fen")
    return int(f)


def _select(conditions: Sequence[Arr], values: Sequence[int], default: int) -> Arr:
    return np.select(list(conditions), list(values), default=default).astype(I64)


# --- SME size ----------------------------------------------------------------------------
def size_kernel(c: Columns, rules: RuleSet | None = None) -> dict[str, Arr]:
    """`size` (large/medium/small/micro or None) and `size_invalid` per row."""
    rules = rules or load("sme_size")
    groups: Mapping[str, Any] = rules.data["groups"]
    names = list(groups)
    key = c.codes("size_group", names)
    metric = {
        "employees": c.int("employees"),
        "revenue": c.int("revenue_fen"),
        "assets": c.int("assets_fen"),
    }
    scale = {"employees": 1, "revenue": FEN_PER_WAN, "assets": FEN_PER_WAN}
    level = np.full(c.n, -1, dtype=I64)
    invalid = np.ones(c.n, dtype=bool)
    for position, g in enumerate(groups.values()):
        rows = key == position
        if not rows.any():
            continue
        needed = set(g["sme_ceiling"]) | set(g["medium"]) | set(g["small"])
        bad = np.zeros(c.n, dtype=bool)
        for m in needed:
            values, null = metric[m]
            bad |= null | (values < 0)

        def reaches(bounds: Mapping[str, Any]) -> Arr:
            ok = np.ones(c.n, dtype=bool)
            for m, t in bounds.items():
                limit = t * scale[m] if m == "employees" else _fen(t)
                ok &= metric[m][0] >= limit
            return ok

        lv = _select(
            [reaches(g["sme_ceiling"]), reaches(g["medium"]), reaches(g["small"])], [0, 1, 2], 3
        )
        level = np.where(rows, lv, level)
        invalid = np.where(rows, bad, invalid)
    out = _nulls(invalid, SIZES[np.clip(level, 0, 3)])
    return {"size": out, "size_invalid": invalid}


# --- tech-based SME ----------------------------------------------------------------------
def tech_sme_kernel(c: Columns, rules: RuleSet | None = None) -> dict[str, Arr]:
    rules = rules or load("tech_sme")
    d = rules.data
    staff, n1 = c.int("employees")
    sales, n2 = c.int("sales_fen")
    assets, n3 = c.int("total_assets_fen")
    tsr, n4 = c.int("tech_staff_ratio_ppm")
    r_sales, n5 = c.int("rd_to_sales_ppm")
    r_cost, n6 = c.int("rd_to_cost_ppm")
    ip1, n7 = c.int("class1_ip")
    ip2, n8 = c.int("class2_ip")
    invalid = n1 | n2 | n3 | n4 | n5 | n6 | n7 | n8
    for v in (staff, sales, assets, tsr, r_sales, r_cost, ip1, ip2):
        invalid |= v < 0
    invalid |= (tsr > PPM) | (r_cost > PPM)

    def points(values: Arr, bands: Sequence[Mapping[str, Any]]) -> Arr:
        conds = [_ratio_ge(values, b["at_least"]) for b in bands if "at_least" in b]
        pts = [int(b["points"]) for b in bands if "at_least" in b]
        return _select(conds, pts, int(bands[-1]["points"]))

    ts = points(tsr, d["tech_staff"]["bands"])
    rd = np.maximum(points(r_sales, d["rd"]["to_sales"]), points(r_cost, d["rd"]["to_cost"]))
    c2 = d["results"]["class2"]
    res2 = _select(
        [ip2 >= b["at_least"] for b in c2 if "at_least" in b],
        [int(b["points"]) for b in c2 if "at_least" in b],
        int(c2[-1]["points"]),
    )
    res = np.where(ip1 >= 1, int(d["results"]["class1_points"]), res2)
    total = ts + rd + res
    e = d["eligibility"]
    eligible = (
        (staff <= e["employees_at_most"])
        & (sales <= _fen(e["sales_at_most"]))
        & (assets <= _fen(e["total_assets_at_most"]))
    )
    registered, _ = c.flag("registered_in_china")
    reg_null = c.flag("registered_in_china")[1]
    eligible &= registered | reg_null
    for name in TECH_SME_NEGATIVES:
        bad, _ = c.flag(name)
        eligible &= ~bad
    direct = np.zeros(c.n, dtype=bool)
    for name in TECH_SME_FLAGS:
        direct |= c.flag(name)[0]
    score_pass = (total >= d["pass"]["total_at_least"]) & (ts != 0)
    passed = eligible & (score_pass | direct)
    return {
        "tech_sme_total": total,
        "tech_sme_tech_staff": ts,
        "tech_sme_rd": rd,
        "tech_sme_results": res,
        "tech_sme_eligible": eligible,
        "tech_sme_passed": passed,
        "tech_sme_invalid": invalid,
    }


# --- high-tech enterprise ----------------------------------------------------------------
def _growth_points(y: tuple[Arr, Arr, Arr], bands: Sequence[Mapping[str, Any]]) -> tuple[Arr, Arr]:
    """Band points [lo, hi] of g = ½(Y2/Y1 + Y3/Y2) − 1 (Y1 = 0: Y3/Y2 − 1; Y2 ≤ 0 or
    Y1 < 0: band F). Float screen, exact integers within 1e-9 of an edge."""
    y1, y2, _ = y
    zero = (y2 <= 0) | (y1 < 0)
    f1, f2, f3 = (a.astype(np.float64) for a in y)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(y1 == 0, f3 / f2 - 1.0, 0.5 * (f2 / f1 + f3 / f2) - 1.0)
    scored = [b for b in bands if "at_least" in b or "above" in b]
    edges = [frac(b["at_least"] if "at_least" in b else b["above"]) for b in scored]
    strict = ["above" in b for b in scored]
    near = np.zeros(len(g), dtype=bool)
    for t in edges:
        near |= np.abs(g - float(t)) < 1e-9
    near &= ~zero
    reached = []
    for t, is_strict in zip(edges, strict, strict=True):
        reached.append(~zero & ((g > float(t)) if is_strict else (g >= float(t))))
    idx = np.nonzero(near)[0]
    if len(idx):
        # exact: Python integers in object arrays (no overflow), only for near-edge rows
        a, b, cc = (v[idx].astype(object) for v in y)
        first_zero = y1[idx] == 0
        for k, (t, is_strict) in enumerate(zip(edges, strict, strict=True)):
            p, q = t.numerator, t.denominator
            # Y1 = 0: Y3/Y2 − 1 ≥ p/q ⇔ q·Y3 ≥ (p + q)·Y2
            # else:   q·(Y2² + Y1·Y3) ≥ 2(p + q)·Y1·Y2   (Y1, Y2 > 0)
            lhs = np.where(first_zero, q * cc, q * (b * b + a * cc))
            rhs = np.where(first_zero, (p + q) * b, 2 * (p + q) * a * b)
            diff = lhs - rhs
            reached[k][idx] = (diff > 0) if is_strict else (diff >= 0)
    lo = _select(reached, [int(b["points"][0]) for b in scored], int(bands[-1]["points"][0]))
    hi = _select(reached, [int(b["points"][1]) for b in scored], int(bands[-1]["points"][1]))
    return lo, hi


def hnte_kernel(
    c: Columns, rules: RuleSet | None = None, as_of: dt.date | None = None
) -> dict[str, Arr]:
    rules = rules or load("hnte", as_of)
    cond = rules.data["conditions"]
    inn = rules.data["innovation"]
    n = c.n
    tsr, invalid = c.int("tech_staff_ratio_ppm")
    invalid = invalid | (tsr < 0) | (tsr > PPM)
    rd: list[Arr] = []
    sales: list[Arr] = []
    na: list[Arr] = []
    for y in (1, 2, 3):
        for store, name in (
            (rd, f"rd_y{y}_fen"),
            (sales, f"sales_y{y}_fen"),
            (na, f"net_assets_y{y}_fen"),
        ):
            v, null = c.int(name)
            invalid |= null
            if store is not na:
                invalid |= v < 0
            store.append(v)
    htr, null = c.int("high_tech_revenue_ratio_ppm")
    invalid |= null | (htr < 0) | (htr > PPM)
    ip1, n1 = c.int("class1_ip")
    ip2, n2 = c.int("class2_ip")
    conv, n3 = c.int("conversions_3y")
    invalid |= n1 | n2 | n3 | (ip1 < 0) | (ip2 < 0) | (conv < 0)
    dom, dom_null = c.int("domestic_rd_share_ppm")
    invalid |= ~dom_null & ((dom < 0) | (dom > PPM))

    ip = inn["ip"]

    # expert-judged items: null → full range; a value → exact (range checked)
    def expert(name: str, top: int) -> tuple[Arr, Arr]:
        nonlocal invalid
        v, null = c.int(name)
        invalid |= ~null & ((v < 0) | (v > top))
        return np.where(null, 0, v), np.where(null, top, v)

    adv = expert("tech_advancement", 8)
    core = expert("core_support", 8)
    mgmt = expert("rd_management", 20)
    # IP quantity
    q = ip["quantity"]
    c2b = q["class2"]
    has1 = ip1 >= q["class1"]["at_least"]
    conds = [has1] + [~has1 & (ip2 >= b["at_least"]) for b in c2b if "at_least" in b]
    pts = [q["class1"]["points"]] + [b["points"] for b in c2b if "at_least" in b]
    quantity = (
        _select(conds, [p[0] for p in pts], c2b[-1]["points"][0]),
        _select(conds, [p[1] for p in pts], c2b[-1]["points"][1]),
    )
    # IP acquisition
    way = c.text("ip_acquisition")
    held = (ip1 + ip2) > 0
    own = way == "own"
    transferred = way == "transferred"
    invalid |= held & ~(own | transferred)
    acq = ip["acquisition"]
    acquisition = (
        _select(
            [~held, own],
            [acq["none"]["points"][0], acq["own"]["points"][0]],
            acq["transferred"]["points"][0],
        ),
        _select(
            [~held, own],
            [acq["none"]["points"][1], acq["own"]["points"][1]],
            acq["transferred"]["points"][1],
        ),
    )
    std, std_null = c.flag("standards")
    took, didnt = ip["standards"]["took_part"], ip["standards"]["did_not"]
    standards = (
        np.where(std_null, 0, np.where(std, took[0], didnt[0])).astype(I64),
        np.where(std_null, took[1], np.where(std, took[1], didnt[1])).astype(I64),
    )
    # conversion: yearly average ≥ k ⇔ total ≥ k · years
    cv = inn["conversion"]
    years = int(cv["years"])
    cb = [b for b in cv["bands"] if "at_least" in b]
    conv_conds = [conv >= b["at_least"] * years for b in cb]
    conversion = (
        _select(conv_conds, [b["points"][0] for b in cb], cv["bands"][-1]["points"][0]),
        _select(conv_conds, [b["points"][1] for b in cb], cv["bands"][-1]["points"][1]),
    )
    g_bands = inn["growth"]["bands"]
    growth_na = _growth_points((na[0], na[1], na[2]), g_bands)
    growth_sales = _growth_points((sales[0], sales[1], sales[2]), g_bands)
    items: dict[str, tuple[Arr, Arr]] = {
        "ip_advancement": adv,
        "ip_core_support": core,
        "ip_quantity": quantity,
        "ip_acquisition": acquisition,
        "ip_standards": standards,
        "conversion": conversion,
        "rd_management": mgmt,
        "growth_net_assets": growth_na,
        "growth_sales": growth_sales,
    }
    for key in EXPERT_ITEMS:
        pin, null = c.int(f"pin_{key}")
        lo, hi = items[key]
        invalid |= ~null & ((pin < lo) | (pin > hi))
        items[key] = (np.where(null, lo, pin), np.where(null, hi, pin))
    cap = int(ip["maximum"])
    ip_keys = [k for k in items if k.startswith("ip_")]
    other = [k for k in items if not k.startswith("ip_")]
    smin = np.minimum(cap, sum(items[k][0] for k in ip_keys)) + sum(items[k][0] for k in other)
    smax = np.minimum(cap, sum(items[k][1] for k in ip_keys)) + sum(items[k][1] for k in other)

    # conditions: met (True), not met (False); the score may be unknown
    met = np.ones(n, dtype=bool)
    reg = c.table.column("registered_on") if c.has("registered_on") else None
    if reg is not None:
        reg_null = reg.is_null().to_numpy(zero_copy_only=False)
        if (~reg_null).any():
            if as_of is None:
                invalid |= ~reg_null
            else:
                days = reg.cast(pa.int32()).fill_null(0).to_numpy(zero_copy_only=False)
                r = days.astype("datetime64[D]")
                month_start = r.astype("datetime64[M]")
                day = (r - month_start.astype("datetime64[D]")).astype(I64)
                anniv = (
                    month_start + np.timedelta64(12 * int(cond["registered_years_at_least"]), "M")
                ).astype("datetime64[D]") + day
                met &= reg_null | (anniv <= np.datetime64(as_of, "D"))
    owns, owns_null = c.flag("owns_core_ip")
    met &= np.where(owns_null, held, owns)
    field, field_null = c.flag("in_supported_field")
    met &= field | field_null
    met &= _ratio_ge(tsr, cond["tech_staff_ratio_at_least"])
    total_rd = rd[0] + rd[1] + rd[2]
    total_sales = sales[0] + sales[1] + sales[2]
    last = sales[2]
    tiers = cond["rd_intensity"]
    p_need = _select(
        [last <= _fen(t["sales_at_most"]) for t in tiers if "sales_at_most" in t],
        [_pq(t["at_least"])[0] for t in tiers if "sales_at_most" in t],
        _pq(tiers[-1]["at_least"])[0],
    )
    q_need = _select(
        [last <= _fen(t["sales_at_most"]) for t in tiers if "sales_at_most" in t],
        [_pq(t["at_least"])[1] for t in tiers if "sales_at_most" in t],
        _pq(tiers[-1]["at_least"])[1],
    )
    met &= (total_sales > 0) & (total_rd * q_need >= p_need * total_sales)
    met &= dom_null | _ratio_ge(dom, cond["domestic_rd_share_at_least"])
    met &= _ratio_ge(htr, cond["high_tech_revenue_ratio_at_least"])
    incident, _ = c.flag("major_incident")
    met &= ~incident
    bar = int(cond["innovation_score_above"])
    verdict = np.where(~met | (smax <= bar), 0, np.where(smin > bar, 2, 1))
    return {
        "hnte_score_min": smin.astype(I64),
        "hnte_score_max": smax.astype(I64),
        "hnte_verdict": _nulls(invalid, VERDICTS[verdict]),
        "hnte_invalid": invalid,
    }


# --- MIIT ladder: innovative SME, 专精特新 (2026 criteria), little giant ------------------
VERDICT_2 = np.array(["fails", "passes"], dtype=object)


def _counts(c: Columns, names: Sequence[str]) -> tuple[list[Arr], Arr]:
    values = []
    invalid = np.zeros(c.n, dtype=bool)
    for name in names:
        v, null = c.int(name)
        invalid |= null | (v < 0)
        values.append(v)
    return values, invalid


def _ip_points(table: Mapping[str, Any], hv: Arr, own: Arr, c1: Arr, c2: Arr) -> Arr:
    return _select(
        [hv >= 1, own >= 1, c1 >= 1, c2 >= 1],
        [
            int(table["high_value_class1"]),
            int(table["own_class1"]),
            int(table["class1"]),
            int(table["class2"]),
        ],
        int(table["none"]),
    )


def _bands_ge(ppm: Arr, bands: Sequence[Mapping[str, Any]]) -> Arr:
    scored = [b for b in bands if "at_least" in b]
    return _select(
        [_ratio_ge(ppm, b["at_least"]) for b in scored],
        [int(b["points"]) for b in scored],
        int(bands[-1]["points"]),
    )


def _bands_le(ppm: Arr, bands: Sequence[Mapping[str, Any]]) -> Arr:
    scored = [b for b in bands if "at_most" in b]
    return _select(
        [_ratio_le(ppm, b["at_most"]) for b in scored],
        [int(b["points"]) for b in scored],
        int(bands[-1]["points"]),
    )


def innovative_sme_kernel(c: Columns, as_of: dt.date | None = None) -> dict[str, Arr]:
    d = load("innovative_sme", as_of).data
    (hv, own, c1, c2), invalid = _counts(
        c, ("high_value_ip", "class1_ip_own", "class1_ip", "class2_ip")
    )
    invalid |= (hv > c1) | (own > c1)
    rd, n1 = c.int("rd_to_revenue_ppm")
    growth, n2 = c.int("revenue_growth_ppm")
    debt, n3 = c.int("debt_ratio_ppm")
    share, n4 = c.int("main_business_share_ppm")
    se, n5 = c.flag("strategic_emerging")
    invalid |= n1 | n2 | n3 | n4 | n5 | (rd < 0) | (debt < 0) | (share < 0) | (share > PPM)
    equity, eq_null = c.int("equity_raised_3y_fen")
    invalid |= ~eq_null & (equity < 0)
    ip = _ip_points(d["core_ip"], hv, own, c1, c2)
    rd_pts = _bands_ge(rd, d["rd_to_revenue"])
    g_pts = _bands_ge(growth, d["revenue_growth"])
    debt_pts = _bands_le(debt, d["debt_ratio"])
    field = np.where(se, int(d["field"]["strategic_emerging"]), int(d["field"]["other"]))
    share_pts = _bands_ge(share, d["main_business_share"])
    total = ip + rd_pts + g_pts + debt_pts + field + share_pts
    p = d["pass"]
    score_pass = (
        (total >= p["total_at_least"])
        & (ip + rd_pts >= p["innovation_at_least"])
        & (g_pts + debt_pts >= p["growth_at_least"])
        & (field + share_pts >= p["specialisation_at_least"])
    )
    direct = c.flag("science_award")[0] | c.flag("honours")[0] | c.flag("rd_institution")[0]
    direct |= ~eq_null & (equity >= _fen(d["direct_qualification"]["equity_raised_3y_at_least"]))
    sme, sme_null = c.flag("is_sme")
    eligible = (sme | sme_null) & ~c.flag("abnormal_or_dishonest")[0]
    eligible &= ~c.flag("prohibited_products")[0] & ~c.flag("major_incident")[0]
    return {
        "innovative_sme_total": total,
        "innovative_sme_passed": eligible & (score_pass | direct),
        "innovative_sme_invalid": invalid,
    }


def _common_ladder(c: Columns) -> tuple[dict[str, Arr], Arr]:
    """Columns both srdi-2026 and little-giant read: last 2 years of R&D, shares, debt."""
    v: dict[str, Arr] = {}
    invalid = np.zeros(c.n, dtype=bool)
    for name in (
        "rd_y2_fen",
        "rd_y3_fen",
        "main_business_share_ppm",
        "debt_ratio_ppm",
        "class1_ip",
    ):
        v[name], null = c.int(name)
        invalid |= null | (v[name] < 0)
    invalid |= v["main_business_share_ppm"] > PPM
    return v, invalid


def _each_year_rd(c_: Mapping[str, Any], rd: Sequence[Arr], rev: Sequence[Arr]) -> Arr:
    p, q = _pq(c_["rd_to_revenue_each_year_at_least"])
    amount = _fen(c_.get("rd_amount_each_year_at_least", 0))
    ok = np.ones(len(rd[0]), dtype=bool)
    for r, v in zip(rd, rev, strict=True):
        ok &= (r >= amount) & (v > 0) & (r * q >= p * v)
    return ok


def srdi_kernel(c: Columns, as_of: dt.date | None = None) -> dict[str, Arr]:
    rules = load("srdi", as_of)
    if "criteria" not in rules.data:
        raise ValueError(
            f"as_of: the batch kernel implements srdi-2026 only, not {rules.version}; "
            "evaluate earlier dates one enterprise at a time (techfin.recognition.srdi)"
        )
    k = rules.data["criteria"]
    v, invalid = _common_ladder(c)
    _, ip_invalid = _counts(c, ("high_value_ip", "class1_ip_own", "class2_ip"))
    invalid |= ip_invalid
    niche, n1 = c.int("niche_years")
    r2, n2 = c.int("revenue_y2_fen")
    r3, n3 = c.int("revenue_y3_fen")
    invalid |= n1 | n2 | n3 | (niche < 0) | (r2 < 0) | (r3 < 0)
    equity, eq_null = c.int("equity_raised_2y_fen")
    invalid |= ~eq_null & (equity < 0)
    equity = np.where(eq_null, 0, equity)
    title, title_null = c.flag("is_innovative_sme")
    ok = title | title_null
    ok &= niche >= k["niche_years_at_least"]
    ok &= (r3 >= _fen(k["revenue_at_least"])) | (equity >= _fen(k["equity_raised_2y_at_least"]))
    ok &= _ratio_ge(v["main_business_share_ppm"], k["main_business_share_at_least"])
    ok &= _ratio_le(v["debt_ratio_ppm"], k["debt_ratio_at_most"])
    ok &= _each_year_rd(k, (v["rd_y2_fen"], v["rd_y3_fen"]), (r2, r3))
    ok &= v["class1_ip"] >= k["class1_ip_at_least"]
    return {"srdi_verdict": _nulls(invalid, VERDICT_2[ok.astype(I64)]), "srdi_invalid": invalid}


def little_giant_kernel(c: Columns, as_of: dt.date | None = None) -> dict[str, Arr]:
    k = load("little_giant", as_of).data["criteria"]
    v, invalid = _common_ladder(c)
    rev = []
    for y in (1, 2, 3):
        r, null = c.int(f"revenue_y{y}_fen")
        invalid |= null | (r < 0)
        rev.append(r)
    share, share_null = c.int("market_share_ppm")
    rank, rank_null = c.int("market_rank")
    invalid |= (share_null & rank_null) | (~share_null & ((share < 0) | (share > PPM)))
    invalid |= ~rank_null & (rank < 0)
    title, title_null = c.flag("is_srdi")
    ok = title | title_null
    ok &= rev[2] >= _fen(k["revenue_at_least"])
    ok &= _ratio_ge(v["main_business_share_ppm"], k["main_business_share_at_least"])
    p, q = _pq(k["revenue_cagr_2y_at_least"])  # Y2 ≥ Y0 (1 + p/q)² ⇔ Y2 q² ≥ Y0 (q + p)²
    ok &= (rev[0] > 0) & (rev[2] * q * q >= rev[0] * (q + p) * (q + p))
    ok &= _ratio_le(v["debt_ratio_ppm"], k["debt_ratio_at_most"])
    ok &= v["rd_y2_fen"] + v["rd_y3_fen"] >= _fen(k["rd_total_2y_at_least"])
    ok &= _each_year_rd(k, (v["rd_y2_fen"], v["rd_y3_fen"]), (rev[1], rev[2]))
    ok &= v["class1_ip"] >= k["class1_ip_at_least"]
    ok &= (~share_null & _ratio_ge(share, k["market_share_at_least"])) | (
        ~rank_null & (rank >= 1) & (rank <= k["market_rank_at_most"])
    )
    return {
        "little_giant_verdict": _nulls(invalid, VERDICT_2[ok.astype(I64)]),
        "little_giant_invalid": invalid,
    }


KERNELS: dict[str, Callable[..., dict[str, Arr]]] = {
    "size": size_kernel,
    "tech_sme": tech_sme_kernel,
    "hnte": hnte_kernel,
    "innovative_sme": innovative_sme_kernel,
    "srdi": srdi_kernel,
    "little_giant": little_giant_kernel,
}
ALL_RULE_SETS = tuple(KERNELS)


def default_rule_sets(as_of: dt.date | None = None) -> tuple[str, ...]:
    """Every rule set the kernel can evaluate on `as_of`: 专精特新 only under its 2026
    criteria and little giant only from 2026-04-01 (the versions encoded)."""
    names = ["size", "tech_sme", "hnte", "innovative_sme"]
    try:
        if "criteria" in load("srdi", as_of).data:
            names.append("srdi")
        load("little_giant", as_of)
        names.append("little_giant")
    except ValueError:
        pass
    return tuple(names)


def evaluate_table(
    table: pa.Table,
    rule_sets: Sequence[str] | None = None,
    as_of: dt.date | None = None,
) -> pa.Table:
    """Evaluate the rule sets over every row; returns the result columns as an Arrow table.
    Rows whose inputs the API would refuse have `<rule>_invalid` = True (other outputs of
    that rule are then meaningless)."""
    c = Columns(table)
    out: dict[str, Arr] = {}
    for name in default_rule_sets(as_of) if rule_sets is None else rule_sets:
        if name == "size":
            out.update(size_kernel(c))
        elif name == "tech_sme":
            out.update(tech_sme_kernel(c))
        else:
            out.update(KERNELS[name](c, as_of=as_of))
    return pa.table({k: pa.array(v) for k, v in out.items()})


def evaluate_parquet(path: str, **kwargs: Any) -> pa.Table:
    """Read a Parquet file of the columns above and evaluate it (see `evaluate_table`)."""
    import pyarrow.parquet as pq

    return evaluate_table(pq.read_table(path), **kwargs)


# --- the per-enterprise path, row by row (reference for tests and benchmarks) -------------
def _wan(fen: int | None) -> Decimal | None:
    return None if fen is None else Decimal(fen).scaleb(-6)


def _ratio(ppm: int | None) -> Decimal | None:
    return None if ppm is None else Decimal(ppm).scaleb(-6)


def reference_row(
    row: Mapping[str, Any],
    rule_sets: Sequence[str] | None = None,
    as_of: dt.date | None = None,
) -> dict[str, Any]:
    """Evaluate one row with the public API (`techfin.recognition`), output as the kernel's."""
    if rule_sets is None:
        rule_sets = default_rule_sets(as_of)
    out: dict[str, Any] = {}
    if "size" in rule_sets:
        try:
            r = size.classify(
                row.get("size_group") or "?",
                employees=row.get("employees"),
                revenue=_wan(row.get("revenue_fen")),
                assets=_wan(row.get("assets_fen")),
            )
            out.update(size=r.size, size_invalid=False)
        except ValueError:
            out.update(size=None, size_invalid=True)
    if "tech_sme" in rule_sets:
        try:
            t = tech_sme.evaluate(
                employees=row.get("employees"),
                sales=_wan(row.get("sales_fen")),
                total_assets=_wan(row.get("total_assets_fen")),
                tech_staff_ratio=_ratio(row.get("tech_staff_ratio_ppm")),
                rd_to_sales=_ratio(row.get("rd_to_sales_ppm")),
                rd_to_cost=_ratio(row.get("rd_to_cost_ppm")),
                class1_ip=row.get("class1_ip"),
                class2_ip=row.get("class2_ip"),
                **{
                    k: row.get(k)
                    for k in (*TECH_SME_FLAGS, "registered_in_china", *TECH_SME_NEGATIVES)
                },
            )
            out.update(
                tech_sme_total=t.total,
                tech_sme_tech_staff=t.parts["tech_staff"],
                tech_sme_rd=t.parts["rd"],
                tech_sme_results=t.parts["results"],
                tech_sme_eligible=t.eligible,
                tech_sme_passed=t.passed,
                tech_sme_invalid=False,
            )
        except ValueError:
            out.update(tech_sme_invalid=True)
    if "hnte" in rule_sets:
        try:
            pins = {k: row[f"pin_{k}"] for k in EXPERT_ITEMS if row.get(f"pin_{k}") is not None}
            h = hnte.evaluate(
                tech_staff_ratio=_ratio(row.get("tech_staff_ratio_ppm")),
                rd_expenses=cast(Any, [_wan(row.get(f"rd_y{y}_fen")) for y in (1, 2, 3)]),
                sales=cast(Any, [_wan(row.get(f"sales_y{y}_fen")) for y in (1, 2, 3)]),
                high_tech_revenue_ratio=_ratio(row.get("high_tech_revenue_ratio_ppm")),
                class1_ip=row.get("class1_ip"),
                class2_ip=row.get("class2_ip"),
                ip_acquisition=row.get("ip_acquisition"),
                conversions_3y=row.get("conversions_3y"),
                net_assets=cast(Any, [_wan(row.get(f"net_assets_y{y}_fen")) for y in (1, 2, 3)]),
                standards=row.get("standards"),
                tech_advancement=row.get("tech_advancement"),
                core_support=row.get("core_support"),
                rd_management=row.get("rd_management"),
                expert_points=pins,
                domestic_rd_share=_ratio(row.get("domestic_rd_share_ppm")),
                registered_on=row.get("registered_on"),
                owns_core_ip=row.get("owns_core_ip"),
                in_supported_field=row.get("in_supported_field"),
                major_incident=row.get("major_incident"),
                as_of=as_of,
            )
            out.update(
                hnte_score_min=h.score_min,
                hnte_score_max=h.score_max,
                hnte_verdict=h.verdict,
                hnte_invalid=False,
            )
        except ValueError:
            out.update(hnte_verdict=None, hnte_invalid=True)
    if "innovative_sme" in rule_sets:
        try:
            i = innovative_sme.evaluate(
                high_value_ip=row.get("high_value_ip"),
                class1_ip_own=row.get("class1_ip_own"),
                class1_ip=row.get("class1_ip"),
                class2_ip=row.get("class2_ip"),
                rd_to_revenue=_ratio(row.get("rd_to_revenue_ppm")),
                revenue_growth=_ratio(row.get("revenue_growth_ppm")),
                debt_ratio=_ratio(row.get("debt_ratio_ppm")),
                strategic_emerging=row.get("strategic_emerging"),
                main_business_share=_ratio(row.get("main_business_share_ppm")),
                science_award=row.get("science_award"),
                honours=row.get("honours"),
                rd_institution=row.get("rd_institution"),
                equity_raised_3y=_wan(row.get("equity_raised_3y_fen")),
                is_sme=row.get("is_sme"),
                abnormal_or_dishonest=row.get("abnormal_or_dishonest"),
                prohibited_products=row.get("prohibited_products"),
                major_incident=row.get("major_incident"),
                as_of=as_of,
            )
            out.update(
                innovative_sme_total=i.total,
                innovative_sme_passed=i.passed,
                innovative_sme_invalid=False,
            )
        except ValueError:
            out.update(innovative_sme_invalid=True)
    ladder = {
        "rd_expenses": cast(Any, [_wan(row.get("rd_y2_fen")), _wan(row.get("rd_y3_fen"))]),
        "main_business_share": _ratio(row.get("main_business_share_ppm")),
        "debt_ratio": _ratio(row.get("debt_ratio_ppm")),
        "class1_ip": row.get("class1_ip"),
        "as_of": as_of,
    }
    if "srdi" in rule_sets:
        try:
            sr = srdi.evaluate(
                niche_years=row.get("niche_years"),
                revenues=cast(Any, [_wan(row.get(f"revenue_y{y}_fen")) for y in (2, 3)]),
                high_value_ip=row.get("high_value_ip"),
                class1_ip_own=row.get("class1_ip_own"),
                class2_ip=row.get("class2_ip"),
                equity_raised_2y=_wan(row.get("equity_raised_2y_fen")),
                is_innovative_sme=row.get("is_innovative_sme"),
                **ladder,
            )
            out.update(srdi_verdict=sr.verdict, srdi_invalid=False)
        except ValueError:
            out.update(srdi_verdict=None, srdi_invalid=True)
    if "little_giant" in rule_sets:
        try:
            g = little_giant.evaluate(
                revenues=cast(Any, [_wan(row.get(f"revenue_y{y}_fen")) for y in (1, 2, 3)]),
                market_share=_ratio(row.get("market_share_ppm")),
                market_rank=row.get("market_rank"),
                is_srdi=row.get("is_srdi"),
                **ladder,
            )
            out.update(little_giant_verdict=g.verdict, little_giant_invalid=False)
        except ValueError:
            out.update(little_giant_verdict=None, little_giant_invalid=True)
    return out


def reference(
    table: pa.Table,
    rule_sets: Sequence[str] | None = None,
    as_of: dt.date | None = None,
) -> list[dict[str, Any]]:
    """`reference_row` over every row of `table`."""
    if rule_sets is None:
        rule_sets = default_rule_sets(as_of)
    return [reference_row(row, rule_sets, as_of) for row in table.to_pylist()]


# --- generated records with exact boundaries (agreement test, benchmark) ------------------
SIZE_GROUPS = tuple(load("sme_size").data["groups"])
BOOL_COLUMNS = (
    *TECH_SME_FLAGS,
    *TECH_SME_NEGATIVES,
    "registered_in_china",
    "standards",
    "owns_core_ip",
    "in_supported_field",
    "strategic_emerging",
    "science_award",
    "honours",
    "rd_institution",
    "abnormal_or_dishonest",
    "is_sme",
    "is_innovative_sme",
    "is_srdi",
)


def sample_table(n: int, seed: int = 0, as_of: dt.date = dt.date(2026, 6, 30)) -> pa.Table:
    """`n` synthetic records in the kernel's column layout. Many sit exactly on a band edge
    or one unit (1 person, 1 fen, 1 ppm, 1 point) either side: R&D intensity exactly 5 % /
    4 % / 3 %, last-year sales exactly 5000万 and 2亿, HNTE scores exactly 69 / 70 / 71,
    growth exactly on 35/25/15/5/0 %, size thresholds, tech-SME bands and eligibility limits;
    a few rows hold nulls or out-of-band expert points (refused by the API)."""
    rng = np.random.default_rng(seed)
    cols: dict[str, Any] = {}

    def pick(p: float) -> Arr:
        return rng.random(n) < p

    def jitter() -> Arr:
        return rng.integers(-1, 2, n)

    def snap(values: Arr, edges: Sequence[int], p: float) -> Arr:
        chosen = np.asarray(edges, dtype=I64)[rng.integers(0, len(edges), n)] + jitter()
        return np.where(pick(p), chosen, values)

    # size
    groups = load("sme_size").data["groups"]
    cols["size_group"] = np.asarray(SIZE_GROUPS, dtype=object)[rng.integers(0, 16, n)]
    emp_edges = sorted(
        {
            int(v)
            for g in groups.values()
            for lv in ("sme_ceiling", "medium", "small")
            for m, v in g[lv].items()
            if m == "employees"
        }
        | {500}
    )
    wan_edges = sorted(
        {
            _fen(v)
            for g in groups.values()
            for lv in ("sme_ceiling", "medium", "small")
            for m, v in g[lv].items()
            if m != "employees"
        }
        | {_fen(20000)}
    )
    employees = np.exp(rng.normal(4.0, 1.5, n)).astype(I64)
    cols["employees"] = snap(employees, emp_edges, 0.5)
    revenue = (np.exp(rng.normal(8.0, 2.0, n)) * FEN_PER_WAN).astype(I64)
    cols["revenue_fen"] = snap(revenue, wan_edges, 0.5)
    assets = (np.exp(rng.normal(8.0, 2.0, n)) * FEN_PER_WAN).astype(I64)
    cols["assets_fen"] = snap(assets, wan_edges, 0.5)
    # tech SME
    cols["sales_fen"] = snap(revenue, [_fen(20000)], 0.2)
    cols["total_assets_fen"] = snap(assets, [_fen(20000)], 0.2)
    ts_edges = [
        int(Fraction(frac(b["at_least"])) * PPM)
        for b in load("tech_sme").data["tech_staff"]["bands"]
        if "at_least" in b
    ] + [100_000]
    cols["tech_staff_ratio_ppm"] = snap(rng.integers(0, 600_001, n), ts_edges, 0.5)
    rd_s = [
        int(frac(b["at_least"]) * PPM)
        for b in load("tech_sme").data["rd"]["to_sales"]
        if "at_least" in b
    ]
    rd_c = [
        int(frac(b["at_least"]) * PPM)
        for b in load("tech_sme").data["rd"]["to_cost"]
        if "at_least" in b
    ]
    cols["rd_to_sales_ppm"] = snap(rng.integers(0, 100_001, n), rd_s, 0.5)
    cols["rd_to_cost_ppm"] = snap(rng.integers(0, 400_001, n), rd_c, 0.5)
    cols["class1_ip"] = np.where(pick(0.5), 0, rng.integers(0, 6, n))
    cols["class2_ip"] = rng.integers(0, 8, n)

    def flags(p_true: float, p_null: float) -> Arr:
        r = rng.random(n)
        return _nulls(r < p_null, r < p_null + p_true)

    for name in (*TECH_SME_FLAGS, *TECH_SME_NEGATIVES, "registered_in_china"):
        cols[name] = (
            flags(0.03, 0.8)
            if name != "registered_in_china"
            else _nulls(~pick(0.05), np.zeros(n, dtype=bool))
        )
    # HNTE: sales (3 years, multiples of 100 fen), R&D with exact intensities
    last = (np.exp(rng.normal(8.5, 1.5, n)) * 100).astype(I64) * 10_000
    last = np.where(pick(0.3), np.where(pick(0.5), _fen(5000), _fen(20000)) + jitter(), last)
    sales = [
        (last * rng.uniform(0.5, 1.5, n)).astype(I64) // 100 * 100,
        (last * rng.uniform(0.5, 1.5, n)).astype(I64) // 100 * 100,
        last,
    ]
    sales[0] = np.where(pick(0.1), 0, sales[0])
    total = sales[0] + sales[1] + sales[2]
    pct = np.asarray([5, 4, 3], dtype=I64)[rng.integers(0, 3, n)]
    want = total * pct // 100 + jitter()
    want = np.where(pick(0.3), (total * rng.uniform(0, 0.12, n)).astype(I64), want)
    want = np.maximum(want, 0)
    rd1 = want // 3
    cols["rd_y1_fen"], cols["rd_y2_fen"], cols["rd_y3_fen"] = rd1, rd1, want - 2 * rd1
    cols["sales_y1_fen"], cols["sales_y2_fen"], cols["sales_y3_fen"] = sales
    # growth exactly on a band edge (Y1 = 0 or full formula), else random
    y2 = (np.exp(rng.normal(8, 1.5, n)) * 100).astype(I64) * 100
    t_pct = np.asarray([35, 25, 15, 5, 0], dtype=I64)[rng.integers(0, 5, n)]
    y3 = y2 * (100 + t_pct) // 100 + jitter()
    y1 = np.where(pick(0.5), 0, y2)  # y1 = y2: g = ½(1 + Y3/Y2) − 1, edges at 2t
    y3 = np.where(y1 == 0, y3, y2 * (100 + 2 * t_pct) // 100 + jitter())
    rand = pick(0.4)
    y1 = np.where(rand, (y2 * rng.uniform(-0.2, 1.5, n)).astype(I64), y1)
    y3 = np.where(rand, (y2 * rng.uniform(0.5, 2.0, n)).astype(I64), y3)
    cols["net_assets_y1_fen"], cols["net_assets_y2_fen"], cols["net_assets_y3_fen"] = y1, y2, y3
    cols["high_tech_revenue_ratio_ppm"] = snap(rng.integers(450_000, 1_000_001, n), [600_000], 0.3)
    cols["domestic_rd_share_ppm"] = _nulls(
        pick(0.5), snap(rng.integers(300_000, 1_000_001, n), [600_000], 0.3)
    )
    cols["ip_acquisition"] = np.asarray(["own", "transferred", None], dtype=object)[
        rng.choice(3, n, p=[0.7, 0.28, 0.02])
    ]
    cols["conversions_3y"] = snap(rng.integers(0, 20, n), [3, 6, 9, 12, 15], 0.5)
    cols["standards"] = flags(0.3, 0.3)

    def maybe(values: Arr, p_null: float) -> Arr:
        return _nulls(pick(p_null), values)

    cols["tech_advancement"] = maybe(rng.integers(0, 9, n), 0.4)
    cols["core_support"] = maybe(rng.integers(0, 9, n), 0.4)
    cols["rd_management"] = maybe(rng.integers(0, 21, n), 0.4)
    for key, top in (
        ("ip_quantity", 8),
        ("ip_acquisition", 6),
        ("ip_standards", 2),
        ("conversion", 30),
        ("growth_net_assets", 10),
        ("growth_sales", 10),
    ):
        cols[f"pin_{key}"] = maybe(rng.integers(0, top + 1, n), 0.97)
    # score template rows: every item exact, total 69 / 70 / 71
    tpl = pick(0.15)
    target = np.asarray([69, 70, 71], dtype=I64)[rng.integers(0, 3, n)]
    cols["class1_ip"] = np.where(tpl, 1, cols["class1_ip"])
    cols["ip_acquisition"] = np.where(tpl, "own", cols["ip_acquisition"])
    cols["standards"] = np.where(tpl, False, cols["standards"])
    cols["conversions_3y"] = np.where(tpl, 15, cols["conversions_3y"])
    for k in ("net_assets", "sales"):
        for y in (1, 2, 3):
            cols[f"{k}_y{y}_fen"] = np.where(tpl, cols[f"{k}_y2_fen"], cols[f"{k}_y{y}_fen"])
    q_pin, a_pin, c_pin = rng.integers(7, 9, n), rng.integers(1, 7, n), rng.integers(25, 31, n)
    adv, core = rng.integers(0, 9, n), rng.integers(0, 9, n)
    ip_sum = np.minimum(30, q_pin + a_pin + adv + core)
    mgmt = np.clip(target - ip_sum - c_pin, 0, 20)
    for name, v in (
        ("pin_ip_quantity", q_pin),
        ("pin_ip_acquisition", a_pin),
        ("pin_conversion", c_pin),
        ("tech_advancement", adv),
        ("core_support", core),
        ("rd_management", mgmt),
    ):
        cols[name] = np.where(tpl, v, cols[name]).astype(object)
    for name in ("pin_ip_standards", "pin_growth_net_assets", "pin_growth_sales"):
        cols[name] = _nulls(tpl, cols[name])
    # template rows meet the other conditions mostly, so the score decides
    cols["high_tech_revenue_ratio_ppm"] = np.where(
        tpl, 800_000, cols["high_tech_revenue_ratio_ppm"]
    )
    cols["tech_staff_ratio_ppm"] = np.where(
        tpl, np.maximum(cols["tech_staff_ratio_ppm"], 100_000), cols["tech_staff_ratio_ppm"]
    )
    # registration dates around the one-year anniversary
    base = np.datetime64(as_of, "D") - np.timedelta64(365, "D")
    reg = base + rng.integers(-3, 4, n).astype("timedelta64[D]")
    reg = np.where(pick(0.1), np.datetime64("2024-02-29"), reg)
    cols["registered_on"] = pa.array(list(_nulls(pick(0.5), reg.astype(object))), type=pa.date32())
    for name in ("owns_core_ip", "in_supported_field"):
        cols[name] = flags(0.95, 0.9)
    cols["major_incident"] = flags(0.02, 0.7)
    for name in ("owns_core_ip", "in_supported_field", "major_incident"):
        cols[name] = _nulls(tpl, cols[name])
    # MIIT ladder (innovative SME, 专精特新 2026, little giant)
    c1 = cols["class1_ip"]
    cols["high_value_ip"] = np.where(pick(0.2), np.minimum(c1, 1), 0)
    cols["class1_ip_own"] = np.where(pick(0.5), np.minimum(c1, rng.integers(0, 3, n)), 0)
    cols["high_value_ip"] = np.where(pick(0.003), c1 + 1, cols["high_value_ip"])  # refused
    cols["rd_to_revenue_ppm"] = snap(
        rng.integers(0, 80_001, n), [10_000, 20_000, 30_000, 50_000], 0.5
    )
    cols["revenue_growth_ppm"] = snap(
        rng.integers(-300_000, 500_001, n), [0, 50_000, 100_000, 150_000], 0.5
    )
    cols["debt_ratio_ppm"] = snap(rng.integers(0, 1_200_001, n), [550_000, 750_000, 800_000], 0.5)
    cols["main_business_share_ppm"] = snap(
        rng.integers(300_000, 1_000_001, n),
        [500_000, 550_000, 600_000, 700_000, 800_000, 900_000],
        0.5,
    )
    cols["main_business_share_ppm"] = np.minimum(cols["main_business_share_ppm"], PPM)
    cols["strategic_emerging"] = flags(0.4, 0.002)
    for name in ("science_award", "honours", "rd_institution", "abnormal_or_dishonest"):
        cols[name] = flags(0.03, 0.8)
    cols["is_sme"] = flags(0.1, 0.85)
    cols["is_innovative_sme"] = flags(0.8, 0.5)
    cols["is_srdi"] = flags(0.8, 0.5)
    cols["equity_raised_3y_fen"] = _nulls(
        pick(0.7), snap(rng.integers(0, 10**9, n), [_fen(500)], 0.5)
    )
    cols["equity_raised_2y_fen"] = _nulls(
        pick(0.7), snap(rng.integers(0, 3 * 10**9, n), [_fen(2000)], 0.5)
    )
    cols["niche_years"] = snap(rng.integers(0, 11, n), [3], 0.4)
    rev = [sales[0].copy(), sales[1].copy(), sales[2].copy()]
    # revenue exactly 1500万 / 5000万 last year; CAGR exactly 5 % (Y2 = Y0 × 441/400)
    rev[2] = snap(rev[2], [_fen(1500), _fen(5000)], 0.3)
    cagr = pick(0.2)
    y0 = rng.integers(1, 2 * 10**7, n) * 400
    rev[0] = np.where(cagr, y0, rev[0])
    rev[2] = np.where(cagr, y0 // 400 * 441 + jitter(), rev[2])
    # R&D exactly 3 % of revenue in the last year, exactly 100万 / 600万 a year
    rd3 = np.where(pick(0.3), rev[2] * 3 // 100 + jitter(), cols["rd_y3_fen"])
    rd3 = np.where(pick(0.15), _fen(100) + jitter(), rd3)
    rd3 = np.where(pick(0.1), _fen(600) + jitter(), rd3)
    cols["rd_y3_fen"] = np.maximum(rd3, 0)
    cols["rd_y2_fen"] = np.where(pick(0.15), _fen(600), cols["rd_y2_fen"])
    cols["revenue_y1_fen"], cols["revenue_y2_fen"], cols["revenue_y3_fen"] = rev
    share_null = pick(0.5)
    cols["market_share_ppm"] = _nulls(share_null, snap(rng.integers(0, 300_001, n), [100_000], 0.5))
    rank_null = pick(0.5) & ~share_null
    cols["market_rank"] = _nulls(rank_null | pick(0.003), rng.integers(1, 6, n))
    # little-giant template rows: every criterion on or one unit beside its edge
    lg = pick(0.1)
    y0 = np.full(n, _fen(4600))
    y2_ = y0 // 400 * 441  # CAGR exactly 5 %
    for name, value in (
        ("class1_ip", 3 + rng.integers(0, 3, n)),
        ("main_business_share_ppm", 900_000 + jitter()),
        ("debt_ratio_ppm", 750_000 + jitter()),
        ("rd_y2_fen", np.full(n, _fen(600))),
        ("rd_y3_fen", _fen(600) + jitter()),
        ("revenue_y1_fen", y0),
        ("revenue_y2_fen", np.full(n, _fen(4800))),
        ("revenue_y3_fen", y2_ + jitter()),
    ):
        cols[name] = np.where(lg, value, cols[name])
    rank_missing = np.array([v is None for v in cols["market_rank"]], dtype=bool)
    ranks = np.where(rank_missing, 0, cols["market_rank"]).astype(I64)
    cols["market_rank"] = _nulls(~lg & rank_missing, np.where(lg, 2 + rng.integers(0, 3, n), ranks))
    # a few nulls in required columns (the API refuses them)
    for name in ("employees", "tech_staff_ratio_ppm", "sales_y2_fen", "conversions_3y"):
        cols[name] = _nulls(pick(0.002), cols[name])
    arrays = {}
    for name, values in cols.items():
        if isinstance(values, pa.Array):
            arrays[name] = values
        elif name in ("size_group", "ip_acquisition"):
            arrays[name] = pa.array(list(values), type=pa.string())
        elif name in BOOL_COLUMNS:
            arrays[name] = pa.array(list(values), type=pa.bool_())
        else:
            arrays[name] = pa.array(
                list(values) if values.dtype == object else values, type=pa.int64()
            )
    return pa.table(arrays)
