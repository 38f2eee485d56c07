"""Optimal binning with monotonic constraints, weight of evidence and information value.

The approach a modelling team expects (Siddiqi, *Credit Risk Scorecards*; Navas-Palencia,
*Optimal binning*, 2020), computed with NumPy rather than a general solver:

1. **Pre-binning.** Numeric values are first cut at 100 quantiles of their finite values
   (observed values, so cut points read like the data: ``np.quantile(method="higher")`` on at
   most 250k sampled values, then one pass of vectorised comparisons); a bin is
   ``[lower, upper)``; a
   best-first CART (Gini) over that histogram picks up to ``n_prebins`` pre-bins of at least
   ``min_bin_size`` rows (``prebinning="cart"``, the default; ``"quantile"`` takes
   ``n_prebins`` equal-frequency groups instead). User-fixed cut points are always cut
   points. Categories are ordered by their (smoothed) event rate and, when there are more
   than ``n_prebins`` of them, grouped by cumulative count.
2. **Optimal merging.** A dynamic programme over the pre-bins picks the segmentation with the
   largest information value such that every bin holds at least ``min_bin_size`` of the rows,
   at most ``max_n_bins`` bins are used, user-fixed cut points stay cut points, and the event
   rate follows the requested shape: ``ascending``, ``descending``, ``peak`` (up then down),
   ``valley`` (down then up), ``auto`` (the best of the four, a peak or valley only when its
   IV beats the best monotone binning by 10 % and by 0.02), ``auto_asc_desc`` (the better of
   ascending and descending) or ``none``.
   IV is a sum of per-bin terms, so the programme is exact for the pre-bins it is given.
3. **Special values and missing values** (NaN, None, null) get their own bins; a bin that was
   empty in training has WoE 0 (the population's odds).

WoE of a bin = ln(share of goods / share of bads), with 0.5 added to each count so that a bin
without goods or without bads still has a finite WoE. Positive WoE means safer than average.

Documented behaviour for awkward input:

* ``+inf`` / ``-inf`` fall in the last / first regular bin (quantiles use finite values only);
* a constant or all-missing feature yields a single bin with IV 0 and status ``single_bin``;
* a category not seen in training is scored like a missing value (the missing bin's WoE,
  0 when training had no missing values) — or raises, with ``unseen="error"``;
* text in a numeric feature raises :class:`RatingInputError` naming the column.

When the constraint cannot be met (for example user-fixed cut points that force a
non-monotone pattern, or bins smaller than ``min_bin_size``), the constraint is relaxed, the
fixed cut points are still honoured, and :attr:`BinningProcess.report_` lists the feature.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from techfin.rating._frame import (
    RatingInputError,
    category_codes,
    column_names,
    is_numeric_column,
    numeric_column,
)

TRENDS = ("auto", "auto_asc_desc", "ascending", "descending", "peak", "valley", "none")
#: ``auto`` prefers a peak or valley over the best monotone binning only when its IV is at
#: least this much (relative) larger: the extra turn must be worth it.
AUTO_SHAPE_GAIN = 0.10
#: ... and at least this much in absolute IV (Siddiqi's "weak" step), so noise stays monotone
AUTO_SHAPE_MIN_IV = 0.02
_PHASES: dict[str, tuple[int, ...]] = {
    "ascending": (1,),
    "descending": (-1,),
    "peak": (1, -1),
    "valley": (-1, 1),
    "none": (0,),
}
_SMOOTH = 0.5
#: fine quantile grid the CART pre-binning chooses its cut points from
N_FINE = 100


@dataclass
class FeatureBinning:
    """A fitted binning of one feature. Bins ``0..k-1`` are regular, ``k`` holds the special
    values and ``k+1`` the missing values."""

    name: str
    dtype: str  # "numeric" | "categorical"
    splits: list[float] = field(default_factory=list)
    groups: list[list[str]] = field(default_factory=list)
    special_values: list[Any] = field(default_factory=list)
    count: list[int] = field(default_factory=list)
    event: list[int] = field(default_factory=list)
    woe: list[float] = field(default_factory=list)
    iv: float = 0.0
    trend: str = "auto"
    achieved_trend: str = "none"
    status: str = "optimal"
    message: str = ""

    @property
    def n_regular(self) -> int:
        return len(self.splits) + 1 if self.dtype == "numeric" else max(len(self.groups), 1)

    @property
    def special_bin(self) -> int:
        return self.n_regular

    @property
    def missing_bin(self) -> int:
        return self.n_regular + 1

    def labels(self) -> list[str]:
        if self.dtype == "numeric":
            edges = [-math.inf, *self.splits, math.inf]
            regular = [f"[{_g(edges[i])}, {_g(edges[i + 1])})" for i in range(len(edges) - 1)]
        else:
            regular = [_group_label(g) for g in self.groups] or ["(no categories)"]
        return [*regular, "Special", "Missing"]

    def bin_indices(self, X: Any, unseen: str = "missing") -> np.ndarray:
        """Bin index of every row (int16)."""
        if self.dtype == "numeric":
            x = numeric_column(X, self.name)
            idx = digitize(np.asarray(self.splits, dtype=np.float64), x)
            if self.special_values:
                idx[np.isin(x, np.asarray(self.special_values, dtype=np.float64))] = (
                    self.special_bin
                )
            idx[np.isnan(x)] = self.missing_bin
            return idx
        codes, uniques = category_codes(X, self.name)
        mapping: dict[str, int] = {}
        for b, grp in enumerate(self.groups):
            for cat in grp:
                mapping[cat] = b
        for sv in self.special_values:
            mapping[str(sv)] = self.special_bin
        table = np.asarray(
            [mapping.get(u, -1) if u is not None else self.missing_bin for u in uniques]
            + [self.missing_bin],
            dtype=np.int16,
        )
        unknown = [u for u in uniques if u is not None and u not in mapping]
        if unknown and unseen == "error":
            raise RatingInputError(
                f"column {self.name!r}: categories not seen in training: {unknown[:3]}"
            )
        table[table == -1] = self.missing_bin
        # code -1 (missing) picks the last entry of the table: the missing bin
        out: np.ndarray = table[codes]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "splits": [float(v) for v in self.splits],
            "groups": self.groups,
            "special_values": list(self.special_values),
            "count": [int(v) for v in self.count],
            "event": [int(v) for v in self.event],
            "woe": [float(v) for v in self.woe],
            "iv": float(self.iv),
            "trend": self.trend,
            "achieved_trend": self.achieved_trend,
            "status": self.status,
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FeatureBinning:
        return cls(
            name=str(d["name"]),
            dtype=str(d["dtype"]),
            splits=[float(v) for v in d["splits"]],
            groups=[[str(c) for c in g] for g in d["groups"]],
            special_values=list(d["special_values"]),
            count=[int(v) for v in d["count"]],
            event=[int(v) for v in d["event"]],
            woe=[float(v) for v in d["woe"]],
            iv=float(d["iv"]),
            trend=str(d["trend"]),
            achieved_trend=str(d["achieved_trend"]),
            status=str(d["status"]),
            message=str(d.get("message", "")),
        )


def _g(v: float) -> str:
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{v:.6g}"


def _group_label(g: Sequence[str]) -> str:
    shown = ", ".join(g[:5])
    return f"{{{shown}{', …' if len(g) > 5 else ''}}}"


# --------------------------------------------------------------------------- dynamic programme


def _iv_terms(e: np.ndarray, t: np.ndarray, E: float, T: float) -> tuple[np.ndarray, np.ndarray]:
    """WoE and IV contribution of bins with ``e`` events out of ``t`` rows."""
    G = T - E
    ne = t - e
    pg = (ne + _SMOOTH) / (G + _SMOOTH)
    pb = (e + _SMOOTH) / (E + _SMOOTH)
    with np.errstate(divide="ignore", invalid="ignore"):
        woe = np.log(pg / pb)
    return woe, (pg - pb) * woe


def optimal_segments(
    events: np.ndarray,
    totals: np.ndarray,
    *,
    trend: str,
    min_count: float,
    max_n_bins: int | None,
    forced: Sequence[int] = (),
    total_events: float | None = None,
    total_rows: float | None = None,
) -> list[int] | None:
    """Boundaries (pre-bin indices 1..m-1) of the IV-maximal segmentation of the pre-bins
    satisfying the constraints, or None when none does. ``trend`` is one of
    ascending/descending/peak/valley/none."""
    m = len(totals)
    if m == 0:
        return []
    E = float(events.sum()) if total_events is None else total_events
    T = float(totals.sum()) if total_rows is None else total_rows
    ce = np.concatenate([[0.0], np.cumsum(events, dtype=np.float64)])
    ct = np.concatenate([[0.0], np.cumsum(totals, dtype=np.float64)])
    # bin (i, j) covers pre-bins i..j-1; matrices indexed [i, j]
    e_ij = ce[None, :] - ce[:, None]
    t_ij = ct[None, :] - ct[:, None]
    valid = (t_ij >= max(min_count, 1e-12)) & np.triu(np.ones((m + 1, m + 1), bool), 1)
    if forced:
        fmask = np.zeros(m + 1, bool)
        fmask[list(forced)] = True
        cf = np.cumsum(fmask)  # forced boundaries up to index
        # a forced boundary f lies strictly inside (i, j) iff cf[j-1] - cf[i] > 0
        inside = cf[np.maximum(np.arange(m + 1) - 1, 0)][None, :] - cf[:, None]
        valid &= inside <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(t_ij > 0, e_ij / np.where(t_ij > 0, t_ij, 1), 0.0)
    _, iv = _iv_terms(e_ij, t_ij, E, T)
    iv = np.where(valid, iv, -np.inf)

    phases = _PHASES[trend]
    P = len(phases)
    B = m if max_n_bins is None else max(1, min(max_n_bins, m))
    NEG = -np.inf
    # best[p, b, i, j]: best IV of a segmentation of [0, j) into b+1 bins ending with bin
    # (i, j) in phase p
    best = np.full((P, B, m + 1, m + 1), NEG)
    back = np.full((P, B, m + 1, m + 1, 2), -1, dtype=np.int32)  # (prev phase, prev start)
    best[0, 0, 0, 1:] = iv[0, 1:]
    for i in range(1, m):
        # states ending at i: best[:, :, k, i] for k < i
        prev = best[:, :, :i, i]  # (P, B, i)
        if not np.isfinite(prev).any():
            continue
        r_prev = rate[:i, i]  # (i,)
        for j in range(i + 1, m + 1):
            if not valid[i, j]:
                continue
            r = rate[i, j]
            for q in range(P):
                sign = phases[q]
                if sign > 0:
                    ok = r > r_prev
                elif sign < 0:
                    ok = r < r_prev
                else:
                    ok = np.ones(i, bool)
                for p in (q, q - 1) if q > 0 else (q,):
                    cand = np.where(ok[None, :], prev[p], NEG)  # (B, i)
                    if B > 1:
                        k_best = np.argmax(cand[:-1], axis=1)
                        v_best = cand[:-1][np.arange(B - 1), k_best]
                        newv = v_best + iv[i, j]
                        improve = newv > best[q, 1:, i, j]
                        if improve.any():
                            bs = np.nonzero(improve)[0]
                            best[q, bs + 1, i, j] = newv[bs]
                            back[q, bs + 1, i, j, 0] = p
                            back[q, bs + 1, i, j, 1] = k_best[bs]
    final = best[:, :, :, m]  # (P, B, m+1)
    if not np.isfinite(final).any():
        return None
    flat = int(np.argmax(final))
    pos = np.unravel_index(flat, final.shape)
    p, b, i = int(pos[0]), int(pos[1]), int(pos[2])
    bounds: list[int] = []
    j = m
    while b > 0:
        bounds.append(i)
        pp, kk = back[p, b, i, j]
        j, i, p, b = i, int(kk), int(pp), b - 1
    return sorted(bounds)


def digitize(cuts: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Number of cut points ≤ each value (= ``np.searchsorted(cuts, x, side="right")``) as
    int16. For up to 128 cuts, one vectorised comparison per cut is 10–30× faster than a
    binary search per value (no branch mispredictions); NaN counts 0, +inf all cuts."""
    if len(cuts) > 128:
        return np.searchsorted(cuts, x, side="right").astype(np.int16)
    out = np.zeros(len(x), dtype=np.int16)
    tmp = np.empty(len(x), dtype=bool)
    for c in cuts:
        np.greater_equal(x, c, out=tmp)
        out += tmp
    return out


def _cart_boundaries(
    ev: np.ndarray, tot: np.ndarray, max_leaves: int, min_count: float, forced: Sequence[int]
) -> list[int]:
    """Supervised pre-binning: best-first CART splits (Gini) over a fine histogram, each
    side keeping at least ``min_count`` rows, until ``max_leaves`` pre-bins. Fixed
    boundaries are always kept."""
    import heapq

    m = len(tot)
    bounds = sorted(set(forced))
    edges = [0, *bounds, m]
    ce = np.concatenate([[0.0], np.cumsum(ev)])
    ct = np.concatenate([[0.0], np.cumsum(tot)])

    def gini(e: np.ndarray | float, t: np.ndarray | float) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(np.asarray(t) > 0, 2.0 * e * (t - e) / np.asarray(t), 0.0)

    def best(a: int, b: int) -> tuple[float, int] | None:
        if b - a < 2:
            return None
        ks = np.arange(a + 1, b)
        tl = ct[ks] - ct[a]
        el = ce[ks] - ce[a]
        T = ct[b] - ct[a]
        E = ce[b] - ce[a]
        gain = gini(E, T) - gini(el, tl) - gini(E - el, T - tl)
        gain = np.where((tl >= min_count) & (T - tl >= min_count), gain, -np.inf)
        k = int(np.argmax(gain))
        if not np.isfinite(gain[k]) or gain[k] <= 1e-12:
            return None
        return float(gain[k]), int(ks[k])

    heap: list[tuple[float, int, int, int]] = []
    for a, b in itertools.pairwise(edges):
        s = best(a, b)
        if s is not None:
            heapq.heappush(heap, (-s[0], s[1], a, b))
    leaves = len(edges) - 1
    while heap and leaves < max_leaves:
        _, cut, a, b = heapq.heappop(heap)
        bounds.append(cut)
        leaves += 1
        for lo, hi in ((a, cut), (cut, b)):
            s = best(lo, hi)
            if s is not None:
                heapq.heappush(heap, (-s[0], s[1], lo, hi))
    return sorted(bounds)


def _shape_of(rates: Sequence[float]) -> str:
    if len(rates) < 2:
        return "none"
    d = np.diff(np.asarray(rates))
    if (d > 0).all():
        return "ascending"
    if (d < 0).all():
        return "descending"
    s = np.sign(d)
    changes = int((s[1:] != s[:-1]).sum())
    if changes == 1:
        return "peak" if s[0] > 0 else "valley"
    return "none"


# --------------------------------------------------------------------------- one feature


def fit_feature(
    name: str,
    X: Any,
    y: np.ndarray,
    *,
    categorical: bool,
    trend: str = "auto",
    min_bin_size: float = 0.05,
    max_n_bins: int | None = None,
    n_prebins: int = 20,
    special_values: Sequence[Any] = (),
    user_splits: Sequence[Any] | None = None,
    prebinning: str = "cart",
    train_idx: np.ndarray | None = None,
) -> FeatureBinning:
    """Fit the binning of one feature. When ``train_idx`` (an int16 array of n rows) is
    given, the training rows' bin indices are written into it (saves a second pass)."""
    if trend not in TRENDS:
        raise RatingInputError(f"feature {name!r}: monotonic trend {trend!r} not in {TRENDS}")
    n = len(y)
    E = float(y.sum())
    min_count = min_bin_size * n
    fb = FeatureBinning(name=name, dtype="categorical" if categorical else "numeric", trend=trend)
    fb.special_values = list(special_values)
    forced_values: list[Any] = list(user_splits or [])

    if not categorical:
        x = numeric_column(X, name)
        missing = np.isnan(x)
        special = (
            np.isin(x, np.asarray(special_values, dtype=np.float64))
            if len(special_values)
            else np.zeros(n, bool)
        )
        regular = ~missing & ~special
        xr = x[regular]
        yr = y[regular]
        finite = xr[np.isfinite(xr)]
        if finite.size:
            # pre-bin cut points need no more than ~250k values: a strided sample is exact
            # enough and keeps the cost flat as the data grows
            step = max(1, finite.size // 250_000)
            sample = finite[::step] if step > 1 else finite
            n_fine = N_FINE if prebinning == "cart" else n_prebins
            qs = np.quantile(sample, np.linspace(0, 1, n_fine + 1)[1:-1], method="higher")
            fine = np.unique(qs)
            # a cut equal to the minimum creates an empty first pre-bin
            fine = fine[fine > finite.min()]
        else:
            fine = np.empty(0)
        fixed = np.unique(np.asarray(forced_values, dtype=np.float64))
        fine = np.union1d(fine, fixed)
        fidx = digitize(fine, xr)
        mf = len(fine) + 1
        ftot = np.bincount(fidx, minlength=mf).astype(np.float64)
        fev = np.bincount(fidx, weights=yr, minlength=mf)
        if prebinning == "cart":
            fixed_pos = [int(np.searchsorted(fine, f)) + 1 for f in fixed]
            sel = np.asarray(
                _cart_boundaries(fev, ftot, n_prebins, min_count, fixed_pos), dtype=np.int64
            )
            cuts = fine[sel - 1]
            idx = digitize(sel, fidx)
            starts = np.r_[0, sel]
            tot: np.ndarray = np.add.reduceat(ftot, starts)
            ev: np.ndarray = np.add.reduceat(fev, starts)
        else:
            cuts, idx, tot, ev = fine, fidx, ftot, fev
        m = len(cuts) + 1
        # drop empty pre-bins (but keep fixed cuts)
        keep_cut = (tot[1:] > 0) | np.isin(cuts, fixed)
        keep_cut &= (tot[:-1] > 0) | np.isin(cuts, fixed)
        if not keep_cut.all():
            cuts = cuts[keep_cut]
            idx = digitize(cuts, xr)
            m = len(cuts) + 1
            tot = np.bincount(idx, minlength=m).astype(np.float64)
            ev = np.bincount(idx, weights=yr, minlength=m)
        forced = [int(np.searchsorted(cuts, f)) + 1 for f in fixed]
        order_labels: list[list[str]] = []
        n_special, e_special = float(special.sum()), float(y[special].sum())
        n_missing, e_missing = float(missing.sum()), float(y[missing].sum())
    else:
        codes, uniques = category_codes(X, name)
        sv = {str(v) for v in special_values}
        is_special_u = np.asarray([u in sv for u in uniques] + [False], dtype=bool)
        is_null_u = np.asarray([u is None for u in uniques] + [True], dtype=bool)
        null = is_null_u[codes]
        special = is_special_u[codes]
        regular = ~null & ~special
        k = len(uniques)
        ct_all = np.bincount(codes[regular], minlength=k).astype(np.float64)
        ce_all = np.bincount(codes[regular], weights=y[regular], minlength=k)
        present = np.nonzero(ct_all > 0)[0]
        cats = [str(uniques[c]) for c in present]
        ct_ = ct_all[present]
        ce_ = ce_all[present]
        r = (ce_ + _SMOOTH) / (ct_ + 2 * _SMOOTH)
        order = np.lexsort((np.asarray(cats, dtype=object).astype(str), r))
        cats = [cats[k] for k in order]
        ct_, ce_ = ct_[order], ce_[order]
        if len(cats) > n_prebins:
            cum = np.cumsum(ct_) / max(ct_.sum(), 1)
            grp = np.minimum((cum * n_prebins - 1e-9).astype(int), n_prebins - 1)
            _, first = np.unique(grp, return_index=True)
            starts = [*first.tolist(), len(cats)]
            order_labels = [cats[starts[k] : starts[k + 1]] for k in range(len(starts) - 1)]
            tot = np.add.reduceat(ct_, first).astype(np.float64)
            ev = np.add.reduceat(ce_, first).astype(np.float64)
        else:
            order_labels = [[c] for c in cats]
            tot, ev = ct_, ce_
        m = len(order_labels)
        forced = []
        n_special, e_special = float(special.sum()), float(y[special].sum())
        n_missing, e_missing = float(null.sum()), float(y[null].sum())

    if m == 0 or tot.sum() == 0:
        bounds: list[int] = []
        fb.status = "single_bin"
        fb.message = "no regular values"
    else:
        bounds, status, msg = _solve(
            ev, tot, trend, min_count, max_n_bins, forced, E, float(n), categorical
        )
        fb.status, fb.message = status, msg
    # assemble bins
    edges = [0, *bounds, m]
    reg_t = [float(tot[edges[k] : edges[k + 1]].sum()) for k in range(len(edges) - 1)]
    reg_e = [float(ev[edges[k] : edges[k + 1]].sum()) for k in range(len(edges) - 1)]
    if not categorical:
        fb.splits = [float(cuts[b - 1]) for b in bounds]
    else:
        fb.groups = [
            [c for grp in order_labels[edges[k] : edges[k + 1]] for c in grp]
            for k in range(len(edges) - 1)
        ]
    counts = np.asarray([*reg_t, n_special, n_missing])
    events = np.asarray([*reg_e, e_special, e_missing])
    woe, ivt = _iv_terms(events, counts, E, float(n))
    woe = np.where(counts > 0, woe, 0.0)
    ivt = np.where(counts > 0, ivt, 0.0)
    fb.count = [int(v) for v in counts]
    fb.event = [int(v) for v in events]
    fb.woe = [float(v) for v in woe]
    fb.iv = float(ivt.sum())
    rates = [e / t for e, t in zip(reg_e, reg_t, strict=True) if t > 0]
    fb.achieved_trend = _shape_of(rates)
    nonempty = int((counts > 0).sum())
    if nonempty <= 1 and fb.status == "optimal":
        fb.status = "single_bin"
        fb.message = "one bin, IV 0 (constant, all missing, or no split meets min_bin_size)"
    if train_idx is not None:
        if categorical:
            train_idx[:] = fb.bin_indices(X)
        else:
            train_idx[regular] = digitize(np.asarray(bounds, dtype=np.int64), idx)
            train_idx[special] = fb.special_bin
            train_idx[missing] = fb.missing_bin
    return fb


def _solve(
    ev: np.ndarray,
    tot: np.ndarray,
    trend: str,
    min_count: float,
    max_n_bins: int | None,
    forced: list[int],
    E: float,
    T: float,
    categorical: bool,
) -> tuple[list[int], str, str]:
    def run(tr: str, mc: float) -> list[int] | None:
        return optimal_segments(
            ev,
            tot,
            trend=tr,
            min_count=mc,
            max_n_bins=max_n_bins,
            forced=forced,
            total_events=E,
            total_rows=T,
        )

    def ivof(bounds: list[int]) -> float:
        edges = [0, *bounds, len(tot)]
        e = np.asarray([ev[edges[k] : edges[k + 1]].sum() for k in range(len(edges) - 1)])
        t = np.asarray([tot[edges[k] : edges[k + 1]].sum() for k in range(len(edges) - 1)])
        return float(_iv_terms(e, t, E, T)[1].sum())

    # categories are already in event-rate order: ascending is the natural shape
    auto = trend in ("auto", "auto_asc_desc")
    if categorical and auto:
        trends = ["ascending"]  # categories are already in event-rate order
    elif trend == "auto":
        trends = ["ascending", "descending", "peak", "valley"]
    elif trend == "auto_asc_desc":
        trends = ["ascending", "descending"]
    else:
        trends = [trend]
    sols = [(tr, run(tr, min_count)) for tr in trends]
    found = [(ivof(b), tr, b) for tr, b in sols if b is not None]
    if found:
        if auto:
            # a peak or valley must earn its extra bins: AUTO_SHAPE_GAIN more IV than the
            # best monotone binning
            mono = [z for z in found if z[1] in ("ascending", "descending")]
            best_mono = max(mono, key=lambda z: z[0]) if mono else None
            best = max(found, key=lambda z: z[0])
            if best_mono is not None and (
                best[0] < best_mono[0] * (1 + AUTO_SHAPE_GAIN)
                or best[0] - best_mono[0] < AUTO_SHAPE_MIN_IV
            ):
                best = best_mono
            return best[2], "optimal", ""
        return max(found, key=lambda z: z[0])[2], "optimal", ""
    # relax: keep fixed cuts and the trend, drop the minimum size
    relaxed = [(tr, run(tr, 0.0)) for tr in trends]
    found = [(ivof(b), tr, b) for tr, b in relaxed if b is not None]
    if found:
        _, _tr, bounds = max(found, key=lambda z: z[0])
        return bounds, "min_bin_size_unmet", "minimum bin size relaxed to honour fixed cuts"
    bounds_none = run("none", min_count) if forced else None
    if bounds_none is None:
        bounds_none = run("none", 0.0)
    assert bounds_none is not None  # with trend none and size 0 a solution always exists
    return bounds_none, "trend_unmet", f"trend {trend} impossible with the fixed cut points"


# --------------------------------------------------------------------------- process


class BinningProcess(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Bin every feature and transform to WoE (a scikit-learn transformer).

    Parameters mirror :func:`fit_feature`; ``monotonic_trend``, ``special_values`` and
    ``user_splits`` may be given per feature as dicts. ``features`` limits the columns used
    (default: all); ``categorical_features`` forces columns to be treated as categories
    (non-numeric columns always are).
    """

    def __init__(
        self,
        features: Sequence[str] | None = None,
        categorical_features: Sequence[str] | None = None,
        monotonic_trend: str | Mapping[str, str] = "auto",
        min_bin_size: float = 0.05,
        max_n_bins: int | None = None,
        n_prebins: int = 20,
        special_values: Sequence[Any] | Mapping[str, Sequence[Any]] | None = None,
        user_splits: Mapping[str, Sequence[Any]] | None = None,
        unseen: str = "missing",
        prebinning: str = "cart",
    ) -> None:
        self.prebinning = prebinning
        self.features = features
        self.categorical_features = categorical_features
        self.monotonic_trend = monotonic_trend
        self.min_bin_size = min_bin_size
        self.max_n_bins = max_n_bins
        self.n_prebins = n_prebins
        self.special_values = special_values
        self.user_splits = user_splits
        self.unseen = unseen

    def _per_feature(self, param: Any, name: str, default: Any) -> Any:
        if isinstance(param, Mapping):
            return param.get(name, default)
        return default if param is None else param

    def fit(self, X: Any, y: Any) -> BinningProcess:
        from techfin.rating.target import encode_target

        yy = encode_target(y)
        names = list(self.features) if self.features is not None else column_names(X)
        if not names:
            raise RatingInputError("no features to bin")
        cats = set(self.categorical_features or [])
        if self.unseen not in ("missing", "error"):
            raise RatingInputError("unseen must be 'missing' or 'error'")
        binnings: list[FeatureBinning] = []
        # bin indices of the training rows, for the caller that fits on them next
        train_idx = np.empty((len(yy), len(names)), dtype=np.int16, order="F")
        for name in names:
            categorical = name in cats or not is_numeric_column(X, name)
            specials = self._per_feature(self.special_values, name, ())
            if isinstance(self.special_values, Mapping):
                specials = self.special_values.get(name, ())
            binnings.append(
                fit_feature(
                    name,
                    X,
                    yy,
                    categorical=categorical,
                    trend=self._per_feature(self.monotonic_trend, name, "auto"),
                    min_bin_size=self.min_bin_size,
                    max_n_bins=self.max_n_bins,
                    n_prebins=self.n_prebins,
                    special_values=list(specials or ()),
                    user_splits=(self.user_splits or {}).get(name),
                    prebinning=self.prebinning,
                    train_idx=train_idx[:, len(binnings)],
                )
            )
        self.binnings_ = binnings
        self._train_idx = train_idx
        self.feature_names_in_ = np.asarray(names, dtype=object)
        self.n_features_in_ = len(names)
        return self

    @property
    def report_(self) -> list[dict[str, Any]]:
        """Features whose requested constraint could not be met, or that carry no
        information (single bin)."""
        return [
            {"feature": b.name, "status": b.status, "message": b.message, "iv": b.iv}
            for b in self.binnings_
            if b.status != "optimal"
        ]

    def summary(self) -> list[dict[str, Any]]:
        return [
            {
                "feature": b.name,
                "dtype": b.dtype,
                "n_bins": b.n_regular,
                "iv": b.iv,
                "trend": b.trend,
                "achieved_trend": b.achieved_trend,
                "status": b.status,
            }
            for b in self.binnings_
        ]

    def bin_indices(self, X: Any) -> np.ndarray:
        """(n_rows, n_features) int16 matrix of bin indices."""
        n = None
        cols = []
        for b in self.binnings_:
            idx = b.bin_indices(X, unseen=self.unseen)
            n = len(idx)
            cols.append(idx)
        out = np.empty((n or 0, len(cols)), dtype=np.int16, order="F")
        for k, c in enumerate(cols):
            out[:, k] = c
        return out

    def transform(self, X: Any) -> np.ndarray:
        idx = self.bin_indices(X)
        out = np.empty(idx.shape, dtype=np.float64)
        for k, b in enumerate(self.binnings_):
            out[:, k] = np.asarray(b.woe)[idx[:, k]]
        return out

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray([b.name for b in self.binnings_], dtype=object)
