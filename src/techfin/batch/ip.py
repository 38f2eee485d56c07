"""Vectorised day-end IP monitoring over a whole patent registry (issue 6, item 9).

The same rules as `techfin.ip.status.derive_status` and `techfin.ip.monitor.detect_alerts`,
applied with NumPy to columns instead of one patent at a time: one row per patent (filing
date, type, last valuation date) and one row per legal-status event (patent index, date,
kind code, argument = fee year or invalidation outcome). Dates are int day numbers since
1970-01-01. The kernel returns, per patent, the legal state, remaining days, end date, next
fee due date, whether it is pledged, and a bit mask of the patent-level alert kinds
(`techfin.ip.monitor.ALERT_BITS`). Tests hold it equal to the per-patent functions.

Informational office notices (`fee_due`, `fee_in_grace`, `lapsed`) are ignored here as there;
the discrepancy notes of the per-patent function are not produced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from techfin.ip.monitor import ALERT_BITS, AlertKind
from techfin.ip.patents import EventKind, InvalidationOutcome, LegalEvent, Patent, PatentType
from techfin.ip.pledge import PledgePolicy
from techfin.ip.rules import PatentRules, patent_rules
from techfin.ip.status import LegalState

I64 = npt.NDArray[np.int64]
EPOCH = date(1970, 1, 1)
NEVER = np.int64(-(2**40))  # "no date" for last valuation
BIG = np.int64(2**40)

TYPES: tuple[PatentType, ...] = tuple(PatentType)
KINDS: tuple[EventKind, ...] = tuple(EventKind)
OUTCOMES: tuple[InvalidationOutcome, ...] = tuple(InvalidationOutcome)
STATES: tuple[LegalState, ...] = tuple(LegalState)
K = {kind: np.int8(i) for i, kind in enumerate(KINDS)}
_END_PREC = {
    LegalState.INVALIDATED: 0,
    LegalState.TERMINATED: 1,
    LegalState.LAPSED: 2,
    LegalState.EXPIRED: 3,
}


def day(d: date) -> int:
    return (d - EPOCH).days


def from_day(n: int) -> date:
    return EPOCH + timedelta(days=int(n))


@dataclass(frozen=True)
class Registry:
    """Columns of a patent registry. Events are sorted by (patent, date), ties as given."""

    filing: I64  # day numbers
    ptype: npt.NDArray[np.int8]  # index into TYPES
    last_valued: I64  # day numbers, NEVER when never valued
    ev_patent: I64
    ev_date: I64
    ev_kind: npt.NDArray[np.int8]  # index into KINDS
    ev_arg: npt.NDArray[np.int16]  # fee year, or index into OUTCOMES, else 0

    @property
    def size(self) -> int:
        return len(self.filing)

    def slice(self, start: int, stop: int) -> Registry:
        lo, hi = np.searchsorted(self.ev_patent, [start, stop])
        return Registry(
            self.filing[start:stop],
            self.ptype[start:stop],
            self.last_valued[start:stop],
            self.ev_patent[lo:hi] - start,
            self.ev_date[lo:hi],
            self.ev_kind[lo:hi],
            self.ev_arg[lo:hi],
        )


@dataclass(frozen=True)
class RegistryStatus:
    """Per-patent results of one day-end run."""

    state: npt.NDArray[np.int8]  # index into STATES
    remaining_days: I64
    ended_on: I64  # day number, or BIG
    next_fee_due: I64  # day number, or BIG when none
    pledged: npt.NDArray[np.bool_]
    alerts: npt.NDArray[np.uint16]  # bit mask, ALERT_BITS


# --- calendar arithmetic on day numbers (mirrors techfin.ip.dates) -----------------------


# Month tables: index = months since 1970-01 minus _LO (1870-01 .. 2219-12).
_LO = -1200
_MONTHS = np.arange(_LO, 3000, dtype=np.int64)
_FIRST: I64 = _MONTHS.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
_LENGTH: I64 = (_MONTHS + 1).astype("datetime64[M]").astype("datetime64[D]").astype(
    np.int64
) - _FIRST


def split(days: I64) -> tuple[I64, I64]:
    """(months since 1970-01, 0-based day of month) of day numbers."""
    month = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return month, days - _FIRST[month - _LO]


def at_month(month: I64, dom: I64) -> tuple[I64, I64]:
    """Day number and clamped day of month of `dom` in `month` (month-end clamp)."""
    clamped = np.minimum(dom, _LENGTH[month - _LO] - 1)
    return _FIRST[month - _LO] + clamped, clamped


def add_months(days: I64, months: I64 | int) -> I64:
    """Vectorised `techfin.ip.dates.add_months` (month-end clamp)."""
    month, dom = split(days)
    return at_month(month + np.asarray(months, dtype=np.int64), dom)[0]


def add_years(days: I64, years: I64 | int) -> I64:
    return add_months(days, np.asarray(years, dtype=np.int64) * 12)


def full_years_between(start: I64, end: I64) -> I64:
    y0 = start.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64)
    y1 = end.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64)
    n = y1 - y0
    return np.where(add_years(start, n) > end, n - 1, n)


# --- segment reductions over the events of each patent ------------------------------------


class _Segments:
    def __init__(self, ev_patent: I64, n: int) -> None:
        self.counts = np.bincount(ev_patent, minlength=n).astype(np.int64)
        starts = np.zeros(n, dtype=np.int64)
        np.cumsum(self.counts[:-1], out=starts[1:])
        self.empty = self.counts == 0
        self.starts = np.minimum(starts, max(len(ev_patent) - 1, 0))
        self.m = len(ev_patent)

    def reduce(self, ufunc: np.ufunc, values: npt.NDArray[np.generic], empty: object) -> I64:
        if self.m == 0:
            return np.full(len(self.counts), empty, dtype=values.dtype)
        out = ufunc.reduceat(values, self.starts)
        out[self.empty] = empty
        return out


# --- the kernel ---------------------------------------------------------------------------


def monitor_registry(
    reg: Registry,
    as_of: date,
    policy: PledgePolicy,
    rules: PatentRules | None = None,
    *,
    chunk: int = 200_000,
) -> RegistryStatus:
    """Status and alert mask of every patent on `as_of`, in chunks of `chunk` patents."""
    rules = rules or patent_rules()
    parts = [
        _kernel(reg.slice(i, min(i + chunk, reg.size)), day(as_of), policy, rules)
        for i in range(0, reg.size, chunk)
    ]
    if not parts:
        parts = [_kernel(reg, day(as_of), policy, rules)]
    return RegistryStatus(*(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS))


_FIELDS = ("state", "remaining_days", "ended_on", "next_fee_due", "pledged", "alerts")


def _kernel(reg: Registry, as_of: int, policy: PledgePolicy, rules: PatentRules) -> RegistryStatus:
    n = reg.size
    seg = _Segments(reg.ev_patent, n)
    kind, ev_date, arg = reg.ev_kind, reg.ev_date, reg.ev_arg.astype(np.int64)
    valid = ev_date <= as_of
    filing = reg.filing

    def first_date(mask: npt.NDArray[np.bool_]) -> I64:
        return seg.reduce(np.minimum, np.where(mask & valid, ev_date, BIG), BIG)

    pos = np.arange(seg.m, dtype=np.int64)

    def last_pos(k: EventKind) -> I64:
        return seg.reduce(np.maximum, np.where(valid & (kind == K[k]), pos, -1), -1)

    # grant and the fee years it covers
    granted_on = first_date(kind == K[EventKind.GRANTED])
    granted = granted_on < BIG
    grant_year = np.where(
        granted, full_years_between(filing, np.where(granted, granted_on, filing)) + 1, 0
    )

    # valid payments and restorations as bits of fee years
    is_paid = kind == K[EventKind.FEE_PAID]
    is_restored = kind == K[EventKind.RESTORED]
    year = np.clip(arg, 1, 62)
    f_month, f_dom = split(filing)
    due_month = f_month[reg.ev_patent] + 12 * (year - 1)
    _, due_dom = at_month(due_month, f_dom[reg.ev_patent])
    ev_grace = at_month(due_month + rules.grace_months, due_dom)[0]
    counts = valid & ((is_paid & (ev_date <= ev_grace)) | is_restored) & (arg >= 1) & (arg <= 62)
    bits = np.where(counts, np.left_shift(np.uint64(1), year.astype(np.uint64)), np.uint64(0))
    mask = seg.reduce(np.bitwise_or, bits.astype(np.uint64), np.uint64(0))
    grant_bits = np.left_shift(np.uint64(1), (grant_year + 1).astype(np.uint64)) - np.uint64(2)
    mask = np.where(granted, mask | grant_bits, np.uint64(0))
    x = mask >> np.uint64(1)
    last_paid = np.bitwise_count(x & ~(x + np.uint64(1))).astype(np.int64)

    # term
    ptype = reg.ptype
    term = np.array([rules.terms_years[t] for t in TYPES], dtype=np.int64)[ptype]
    design = ptype == TYPES.index(PatentType.DESIGN)
    old_design = design & (filing < day(rules.design_term_change_date))
    term = np.where(old_design, rules.design_term_before_change, term)
    term_end = add_years(filing, term)

    # next fee, grace, lapse
    unpaid = granted & (last_paid < term)
    due = add_years(filing, last_paid)
    grace = add_months(due, rules.grace_months)
    lapse = unpaid & (as_of > grace)
    in_grace = unpaid & (as_of > due) & (as_of <= grace)

    # endings: the earliest wins; same-day ties by precedence
    term_at = first_date(kind == K[EventKind.TERMINATED])
    invalid_code = OUTCOMES.index(InvalidationOutcome.INVALID)
    inval_at = first_date((kind == K[EventKind.INVALIDATION_DECIDED]) & (arg == invalid_code))
    keys = np.full(n, BIG * 4, dtype=np.int64)
    for when, state in (
        (np.where(lapse, due, BIG), LegalState.LAPSED),
        (term_at, LegalState.TERMINATED),
        (inval_at, LegalState.INVALIDATED),
        (np.where(as_of >= term_end, term_end, BIG), LegalState.EXPIRED),
    ):
        keys = np.minimum(keys, np.where(when < BIG, when * 4 + _END_PREC[state], BIG * 4))
    ended = granted & (keys < BIG * 4)
    prec_to_state = np.zeros(4, dtype=np.int8)
    for state, p in _END_PREC.items():
        prec_to_state[p] = STATES.index(state)
    state_code = np.where(
        in_grace, STATES.index(LegalState.IN_GRACE), STATES.index(LegalState.IN_FORCE)
    ).astype(np.int8)
    state_code = np.where(ended, prec_to_state[np.where(ended, keys % 4, 0)], state_code)
    state_code = np.where(granted, state_code, STATES.index(LegalState.PENDING)).astype(np.int8)
    ended_on = np.where(ended, keys // 4, BIG)
    in_force = granted & ~ended
    remaining = np.where(in_force, term_end - as_of, 0)
    next_due = np.where(in_force & unpaid, due, BIG)

    # on/off flags by last position
    lp = {k: last_pos(k) for k in _FLAG_KINDS}
    pledged = lp[EventKind.PLEDGE_REGISTERED] > lp[EventKind.PLEDGE_RELEASED]
    pledge_pos = lp[EventKind.PLEDGE_REGISTERED]
    pledged_since = np.where(pledged, ev_date[np.maximum(pledge_pos, 0)] if seg.m else 0, BIG)

    alerts = np.zeros(n, dtype=np.uint16)

    def flag(kind_: AlertKind, cond: npt.NDArray[np.bool_]) -> None:
        nonlocal alerts
        alerts |= np.where(cond, np.uint16(1 << ALERT_BITS[kind_]), np.uint16(0))

    s_in_force = state_code == STATES.index(LegalState.IN_FORCE)
    days_to_due = next_due - as_of
    flag(
        AlertKind.FEE_DUE,
        s_in_force & unpaid & (days_to_due >= 0) & (days_to_due <= policy.fee_warning_days),
    )
    flag(AlertKind.FEE_IN_GRACE, state_code == STATES.index(LegalState.IN_GRACE))
    flag(AlertKind.LAPSED, state_code == STATES.index(LegalState.LAPSED))
    flag(
        AlertKind.RIGHT_ENDED,
        ended & (state_code != STATES.index(LegalState.LAPSED)),
    )
    flag(
        AlertKind.INVALIDATION,
        lp[EventKind.INVALIDATION_REQUESTED] > lp[EventKind.INVALIDATION_DECIDED],
    )
    flag(AlertKind.LITIGATION, lp[EventKind.LITIGATION_FILED] > lp[EventKind.LITIGATION_CLOSED])
    flag(
        AlertKind.PRESERVATION,
        lp[EventKind.PRESERVATION_ORDERED] > lp[EventKind.PRESERVATION_LIFTED],
    )
    flag(AlertKind.TRANSFER, lp[EventKind.TRANSFERRED] > pledge_pos)
    flag(AlertKind.LICENCE, lp[EventKind.LICENCE_RECORDED] > pledge_pos)
    as_of_arr = np.array([as_of], dtype=np.int64)
    min_years = np.array([policy.min_remaining_years.get(t.value, 0) for t in TYPES], np.int64)
    horizon = np.array([add_years(as_of_arr, int(y))[0] for y in min_years], np.int64)[ptype]
    flag(AlertKind.REMAINING_LIFE_LOW, in_force & (term_end < horizon))
    reval_due = np.where(
        reg.last_valued == NEVER,
        pledged_since,
        add_months(
            np.where(reg.last_valued == NEVER, 0, reg.last_valued), policy.revaluation_months
        ),
    )
    flag(AlertKind.REVALUATION_DUE, as_of >= reval_due)
    alerts = np.where(pledged, alerts, np.uint16(0)).astype(np.uint16)

    return RegistryStatus(
        state=state_code,
        remaining_days=remaining.astype(np.int64),
        ended_on=ended_on.astype(np.int64),
        next_fee_due=next_due.astype(np.int64),
        pledged=pledged,
        alerts=alerts,
    )


_FLAG_KINDS = (
    EventKind.PLEDGE_REGISTERED,
    EventKind.PLEDGE_RELEASED,
    EventKind.INVALIDATION_REQUESTED,
    EventKind.INVALIDATION_DECIDED,
    EventKind.LITIGATION_FILED,
    EventKind.LITIGATION_CLOSED,
    EventKind.PRESERVATION_ORDERED,
    EventKind.PRESERVATION_LIFTED,
    EventKind.TRANSFERRED,
    EventKind.LICENCE_RECORDED,
)


def alert_kinds(mask: int) -> set[AlertKind]:
    """The alert kinds set in one patent's mask."""
    return {k for k, bit in ALERT_BITS.items() if mask >> bit & 1}


# --- conversion to and from the domain values ---------------------------------------------


def to_registry(
    items: Sequence[tuple[Patent, Sequence[LegalEvent], date | None]],
) -> Registry:
    """Columns from (patent, events, last valued on) triples, events in applied order."""
    filing = np.array([day(p.filing_date) for p, _, _ in items], dtype=np.int64)
    ptype = np.array([TYPES.index(p.patent_type) for p, _, _ in items], dtype=np.int8)
    valued = np.array([NEVER if v is None else day(v) for _, _, v in items], dtype=np.int64)
    rows = []
    for i, (_, events, _) in enumerate(items):
        for e in sorted(events, key=lambda e: e.on):
            a = e.fee_year or 0
            if e.outcome is not None:
                a = OUTCOMES.index(e.outcome)
            rows.append((i, day(e.on), KINDS.index(e.kind), a))
    arr = np.array(rows, dtype=np.int64).reshape(-1, 4)
    return Registry(
        filing,
        ptype,
        valued,
        arr[:, 0].copy(),
        arr[:, 1].copy(),
        arr[:, 2].astype(np.int8),
        arr[:, 3].astype(np.int16),
    )


def patent_at(reg: Registry, i: int) -> tuple[Patent, list[LegalEvent], date | None]:
    """The domain values of patent `i` (number `P<i>`), for checking the kernel."""
    lo, hi = np.searchsorted(reg.ev_patent, [i, i + 1])
    events = []
    for j in range(lo, hi):
        kind = KINDS[int(reg.ev_kind[j])]
        a = int(reg.ev_arg[j])
        events.append(
            LegalEvent(
                kind,
                from_day(int(reg.ev_date[j])),
                fee_year=a if kind in (EventKind.FEE_PAID, EventKind.RESTORED) else None,
                outcome=OUTCOMES[a] if kind is EventKind.INVALIDATION_DECIDED else None,
                amount=Decimal(1_000_000) if kind is EventKind.PLEDGE_REGISTERED else None,
            )
        )
    patent = Patent(f"P{i}", TYPES[int(reg.ptype[i])], from_day(int(reg.filing[i])))
    valued = None if reg.last_valued[i] == NEVER else from_day(int(reg.last_valued[i]))
    return patent, events, valued


# --- a synthetic registry for tests and benchmarks ----------------------------------------

_OTHER_KINDS = (
    (EventKind.PLEDGE_REGISTERED, 0.22),
    (EventKind.PLEDGE_RELEASED, 0.05),
    (EventKind.TRANSFERRED, 0.10),
    (EventKind.LICENCE_RECORDED, 0.12),
    (EventKind.INVALIDATION_REQUESTED, 0.08),
    (EventKind.INVALIDATION_DECIDED, 0.06),
    (EventKind.LITIGATION_FILED, 0.08),
    (EventKind.LITIGATION_CLOSED, 0.05),
    (EventKind.PRESERVATION_ORDERED, 0.06),
    (EventKind.PRESERVATION_LIFTED, 0.03),
    (EventKind.TERMINATED, 0.03),
    (EventKind.FEE_DUE, 0.04),
    (EventKind.LAPSED, 0.03),
    (EventKind.FEE_IN_GRACE, 0.05),
)


def synthetic_registry(n: int, events_per_patent: int = 10, seed: int = 0) -> Registry:
    """A deterministic registry of `n` patents with exactly `events_per_patent` events each.

    Event 1 is the grant; the next ones pay successive fee years (mostly on time, some in
    grace, some too late or missing, some missing years restored later); two to three others
    are pledges, transfers, licences, invalidations, litigation, preservation or waivers.
    Types and grant delays follow data-realism "Patents" loosely (a test bed, not statistics).
    """
    rng = np.random.default_rng(seed)
    m = events_per_patent
    filing = rng.integers(day(date(2014, 1, 1)), day(date(2025, 12, 31)), n).astype(np.int64)
    ptype = rng.choice(3, n, p=[0.55, 0.40, 0.05]).astype(np.int8)
    delay = np.where(ptype == 0, rng.integers(365, 1500, n), rng.integers(150, 420, n))
    grant = filing + delay
    g = full_years_between(filing, grant) + 1
    n_fee = rng.integers(2, max(3, m - 2), n) if m > 3 else np.zeros(n, dtype=np.int64)
    dates = np.zeros((n, m), dtype=np.int64)
    kinds = np.zeros((n, m), dtype=np.int8)
    args = np.zeros((n, m), dtype=np.int16)
    dates[:, 0] = grant
    kinds[:, 0] = K[EventKind.GRANTED]
    other_kinds = np.array([K[k] for k, _ in _OTHER_KINDS], dtype=np.int8)
    other_p = np.array([p for _, p in _OTHER_KINDS])
    other_p = other_p / other_p.sum()
    for j in range(1, m):
        is_fee = j <= n_fee
        fee_year = (g + j).astype(np.int64)
        due = add_years(filing, fee_year - 1)
        u = rng.random(n)
        when = due - rng.integers(0, 60, n)
        when = np.where(u < 0.10, due + rng.integers(1, 183, n), when)  # paid in grace
        when = np.where(u < 0.03, due + rng.integers(185, 260, n), when)  # too late
        restore = u < 0.015
        fee_kind = np.where(restore, K[EventKind.RESTORED], K[EventKind.FEE_PAID])
        when = np.where(restore, add_months(due, 6) + rng.integers(1, 60, n), when)
        o_kind = rng.choice(other_kinds, n, p=other_p)
        o_date = grant + rng.integers(0, 365 * 12, n)
        o_arg = np.where(
            o_kind == K[EventKind.INVALIDATION_DECIDED], rng.integers(0, len(OUTCOMES), n), 0
        )
        dates[:, j] = np.where(is_fee, when, o_date)
        kinds[:, j] = np.where(is_fee, fee_kind, o_kind)
        args[:, j] = np.where(is_fee, fee_year, o_arg)
    # pledge-heavy: a third of patents get slot m−1 as a pledge registration
    if m > 2:
        pledge = rng.random(n) < 0.35
        kinds[:, m - 1] = np.where(pledge, K[EventKind.PLEDGE_REGISTERED], kinds[:, m - 1])
        args[:, m - 1] = np.where(pledge, 0, args[:, m - 1])
    order = np.argsort(dates, axis=1, kind="stable")
    dates = np.take_along_axis(dates, order, axis=1)
    kinds = np.take_along_axis(kinds, order, axis=1)
    args = np.take_along_axis(args, order, axis=1)
    valued = np.where(rng.random(n) < 0.1, NEVER, grant + rng.integers(0, 365 * 12, n)).astype(
        np.int64
    )
    return Registry(
        filing=filing,
        ptype=ptype,
        last_valued=valued,
        ev_patent=np.repeat(np.arange(n, dtype=np.int64), m),
        ev_date=dates.reshape(-1),
        ev_kind=kinds.reshape(-1),
        ev_arg=args.reshape(-1),
    )
