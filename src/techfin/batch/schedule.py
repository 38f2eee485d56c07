"""Portfolio cash-flow kernel: whole loan books in integer fen (int64, NumPy).

The per-loan engine is ``techfin.credit.schedule.build`` (Decimal). This kernel computes the
same rows for a million loans at once and must agree with it to the fen; ``tests/schedule``
checks that on a sample and ``bench/schedule_build.py`` on a larger one.

Declared subset of terms (anything else: use the Decimal engine):

- methods annuity, equal principal, interest-only (balloon);
- principal dates every 1 or 3 months, the first one period after disbursement (no broken
  first period), day of month anchored as the engine does;
- interest basis per-period, ACT/360 or ACT/365F; interest settled on the principal dates;
- half-up rounding to the fen, no installment multiple, no grace, rate changes or subsidy;
- principal up to 1e11 fen (10亿 yuan), rate in whole millionths (ppm) up to 24 %, up to 600
  installments — bounds under which every product below fits in int64.

Exactness: a row's interest is balance_fen × rate_ppm × days ÷ (360 × 10^6) in integers,
rounded half-up exactly as the engine rounds its exact ratio. The level installment is solved
in float64 (one division per loan) and rounded to the fen; where that float is within 1e-4 fen
of a half-fen tie the kernel asks the Decimal engine for that loan's installment instead, so
the result never depends on float rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from techfin.credit.daycount import InterestBasis
from techfin.credit.schedule import Frequency, FrequencyUnit, Method, Terms

I64 = npt.NDArray[np.int64]

METHODS: tuple[Method, ...] = (Method.ANNUITY, Method.EQUAL_PRINCIPAL, Method.INTEREST_ONLY)
BASES: tuple[InterestBasis, ...] = (
    InterestBasis.PER_PERIOD,
    InterestBasis.ACT_360,
    InterestBasis.ACT_365F,
)
MAX_PRINCIPAL_FEN = 10**11
MAX_RATE_PPM = 240_000
PPM = 10**6
TIE_TOLERANCE = 1e-4


@dataclass(frozen=True)
class LoanBook:
    """Columns of a loan book within the declared subset (one entry per loan)."""

    principal_fen: I64
    rate_ppm: I64
    installments: I64
    start: npt.NDArray[np.datetime64]
    method: I64  # index into METHODS
    basis: I64  # index into BASES
    step_months: I64  # 1 or 3

    def __len__(self) -> int:
        return int(self.principal_fen.shape[0])

    def validate(self) -> None:
        n = len(self)
        for name in ("rate_ppm", "installments", "start", "method", "basis", "step_months"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"{name}: expected {n} entries")
        if (self.principal_fen <= 0).any() or (self.principal_fen > MAX_PRINCIPAL_FEN).any():
            raise ValueError("principal_fen: outside 1 … 1e11 fen")
        if (self.rate_ppm < 0).any() or (self.rate_ppm > MAX_RATE_PPM).any():
            raise ValueError("rate_ppm: outside 0 … 240000 (24 %)")
        if (self.installments < 1).any() or (self.installments > 600).any():
            raise ValueError("installments: outside 1 … 600")
        if not np.isin(self.step_months, (1, 3)).all():
            raise ValueError("step_months: only 1 or 3")
        if (self.method < 0).any() or (self.method >= len(METHODS)).any():
            raise ValueError("method: unknown code")
        if (self.basis < 0).any() or (self.basis >= len(BASES)).any():
            raise ValueError("basis: unknown code")

    def take(self, index: npt.NDArray[np.int64] | slice) -> LoanBook:
        return LoanBook(
            self.principal_fen[index],
            self.rate_ppm[index],
            self.installments[index],
            self.start[index],
            self.method[index],
            self.basis[index],
            self.step_months[index],
        )

    def terms(self, i: int) -> Terms:
        """Loan ``i`` as engine terms (for reconciliation)."""
        return Terms(
            principal=Decimal(int(self.principal_fen[i])).scaleb(-2),
            annual_rate=Decimal(int(self.rate_ppm[i])).scaleb(-6),
            start=date.fromisoformat(str(self.start[i])),
            installments=int(self.installments[i]),
            method=METHODS[int(self.method[i])],
            frequency=Frequency(FrequencyUnit.MONTH, int(self.step_months[i])),
            interest_basis=BASES[int(self.basis[i])],
        )

    @classmethod
    def from_terms(cls, items: list[Terms]) -> LoanBook:
        """Columns from engine terms; refuses terms outside the declared subset."""
        cols: dict[str, list[object]] = {k: [] for k in ("p", "r", "n", "s", "m", "b", "f")}
        for i, t in enumerate(items):
            unsupported = (
                t.method not in METHODS
                or t.interest_basis not in BASES
                or t.frequency.unit is not FrequencyUnit.MONTH
                or t.frequency.every not in (1, 3)
                or t.first_due is not None
                or t.due_dates
                or t.periods_per_year is not None
                or t.annuity_basis not in (None, t.interest_basis)
                or t.interest_settlement is not None
                or t.interest_dates
                or t.rounding.value != "half-up"
                or t.decimals != 2
                or t.installment_multiple is not None
                or t.installment_rounding is not None
                or t.grace_principal
                or t.grace_interest
                or t.interest_free
                or t.rate_changes
                or t.subsidy is not None
            )
            rate_ppm = t.annual_rate * PPM
            if unsupported or rate_ppm != rate_ppm.to_integral_value():
                raise ValueError(f"terms[{i}]: outside the kernel's declared subset")
            cols["p"].append(int(t.principal * 100))
            cols["r"].append(int(rate_ppm))
            cols["n"].append(t.installments)
            cols["s"].append(np.datetime64(t.start.isoformat(), "D"))
            cols["m"].append(METHODS.index(t.method))
            cols["b"].append(BASES.index(t.interest_basis))
            cols["f"].append(t.frequency.every)
        book = cls(
            np.array(cols["p"], dtype=np.int64),
            np.array(cols["r"], dtype=np.int64),
            np.array(cols["n"], dtype=np.int64),
            np.array(cols["s"], dtype="datetime64[D]"),
            np.array(cols["m"], dtype=np.int64),
            np.array(cols["b"], dtype=np.int64),
            np.array(cols["f"], dtype=np.int64),
        )
        book.validate()
        return book


@dataclass(frozen=True)
class CashFlows:
    """Rows of every loan: shape (loans, max installments); rows past a loan's term are 0."""

    due: npt.NDArray[np.datetime64]
    due_month: I64  # months since 1970-01
    days: I64
    principal_fen: I64
    interest_fen: I64
    balance_fen: I64
    active: npt.NDArray[np.bool_]


def synthetic_book(size: int, seed: int = 7) -> LoanBook:
    """A reproducible book within the subset: 12–60 periods, mixed methods and bases."""
    rng = np.random.default_rng(seed)
    yuan = np.exp(rng.normal(np.log(3_000_000), 1.2, size)).clip(10_000, 500_000_000)
    principal = (yuan * 100).astype(np.int64) // 100 * 100  # whole yuan, in fen
    rate = rng.integers(25_000, 80_001, size) // 50 * 50  # 2.5 %–8 % in 0.005 % steps
    step = np.where(rng.random(size) < 0.8, 1, 3).astype(np.int64)
    periods = rng.integers(12, 61, size).astype(np.int64)
    start = np.datetime64("2024-01-01") + rng.integers(0, 730, size).astype("timedelta64[D]")
    method = rng.choice(3, size, p=[0.5, 0.35, 0.15]).astype(np.int64)
    basis = rng.choice(3, size, p=[0.25, 0.6, 0.15]).astype(np.int64)
    book = LoanBook(principal, rate.astype(np.int64), periods, start, method, basis, step)
    book.validate()
    return book


def _round_half_up(num: I64, den: I64 | int) -> I64:
    """⌊num / den + ½⌋ for num ≥ 0, den > 0, exactly in integers."""
    return (2 * num + den) // (2 * den)


def _due_dates(book: LoanBook, max_n: int) -> tuple[I64, I64]:
    """(due day, due month) as int64 days and months since 1970, shape (periods, loans)."""
    start_days = book.start.astype("datetime64[D]").view(np.int64)
    months0 = book.start.astype("datetime64[M]").view(np.int64)
    lo = int(months0.min())
    hi = int(months0.max()) + int((book.step_months * max_n).max()) + 2
    table = np.arange(lo, hi + 1).astype("datetime64[M]").astype("datetime64[D]").view(np.int64)
    day0 = start_days - table[months0 - lo] + 1
    k = np.arange(1, max_n + 1, dtype=np.int64)
    months = months0[None, :] + k[:, None] * book.step_months[None, :]
    first_of = table[months - lo]
    month_len = table[months - lo + 1] - first_of
    anchor = np.minimum(day0, month_len[0])  # the first due date fixes the day (engine)
    return first_of + np.minimum(anchor[None, :], month_len) - 1, months


def _annuity_fen(book: LoanBook, days: I64) -> I64:
    """Level installment in fen (float64 solve, ties settled by the Decimal engine).
    ``days`` has shape (periods, loans)."""
    n = book.installments
    p = book.principal_fen.astype(np.float64)
    rate = book.rate_ppm.astype(np.float64) / PPM
    denom = np.where(book.basis == 2, 365.0, 360.0)
    f = rate[None, :] * days / denom[None, :]
    per_period = book.basis == 0
    f = np.where(per_period[None, :], (rate * book.step_months / 12.0)[None, :], f)
    live = np.arange(days.shape[0])[:, None] < n[None, :]
    discount = np.where(live, 1.0 / np.cumprod(1.0 + np.where(live, f, 0.0), axis=0), 0.0)
    scaled = p / discount.sum(axis=0)  # fen
    out: I64 = np.floor(scaled + 0.5).astype(np.int64)
    ties = np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < TIE_TOLERANCE)
    if ties.size:
        from decimal import localcontext

        from techfin.credit.schedule import _Engine

        for i in ties:
            terms = book.terms(int(i))
            with localcontext() as ctx:
                ctx.prec = 60
                exact = _Engine(terms).annuity(1, terms.principal, 0)
            out[i] = int(exact * 100)
    return out


def cash_flows(book: LoanBook) -> CashFlows:
    """Every loan's rows, as the Decimal engine would print them, in fen.

    Computed period by period over all loans at once (arrays of shape (periods, loans));
    returned as (loans, periods) views.
    """
    if len(book) == 0:
        empty = np.zeros((0, 0), dtype=np.int64)
        return CashFlows(
            np.zeros((0, 0), dtype="datetime64[D]"), empty, empty, empty, empty, empty, empty > 0
        )
    max_n = int(book.installments.max())
    size = len(book)
    due_day, due_month = _due_dates(book, max_n)
    start_day = book.start.astype("datetime64[D]").view(np.int64)
    days = np.diff(due_day, axis=0, prepend=start_day[None, :])
    n = book.installments
    active = np.arange(max_n)[:, None] < n[None, :]

    per_period = book.basis == 0
    den = np.where(book.basis == 2, 365 * PPM, np.where(per_period, 12 * PPM, 360 * PPM))
    # interest numerator multiplier: the days (day counts) or N months (per period)
    mult = np.where(per_period[None, :], book.step_months[None, :], days)
    rate_num = book.rate_ppm
    annuity = book.method == 0
    equal = book.method == 1
    level = np.zeros(size, dtype=np.int64)
    if annuity.any():
        sub = np.flatnonzero(annuity)
        level[sub] = _annuity_fen(book.take(sub), days[:, sub])
    # what each method repays before the last row (interest-only: nothing)
    fixed = np.where(equal, _round_half_up(book.principal_fen, n), 0)

    principal = np.zeros((max_n, size), dtype=np.int64)
    interest = np.zeros((max_n, size), dtype=np.int64)
    balance_out = np.zeros((max_n, size), dtype=np.int64)
    balance = book.principal_fen.copy()
    for k in range(max_n):
        i_k = _round_half_up(balance * rate_num * mult[k], den)
        p_k = np.where(annuity, np.maximum(level - i_k, 0), fixed)
        p_k = np.minimum(p_k, balance)
        p_k = np.where(n == k + 1, balance, p_k)
        live = active[k]
        p_k *= live
        i_k *= live
        balance = balance - p_k
        principal[k] = p_k
        interest[k] = i_k
        balance_out[k] = balance
    return CashFlows(
        due_day.view("datetime64[D]").T,
        due_month.T,
        (days * active).T,
        principal.T,
        interest.T,
        balance_out.T,
        active.T,
    )


@dataclass(frozen=True)
class MonthlyCashFlows:
    """Portfolio totals by calendar month of the due date, in fen."""

    months: npt.NDArray[np.datetime64]
    principal_fen: I64
    interest_fen: I64
    loans: int


def _sum_by(index: I64, values: I64, size: int) -> I64:
    """Exact int64 group sums through float64 bincount (split into 2^24 halves)."""
    hi = values >> 24
    lo = values & ((1 << 24) - 1)
    s_hi = np.bincount(index, weights=hi.astype(np.float64), minlength=size)
    s_lo = np.bincount(index, weights=lo.astype(np.float64), minlength=size)
    return (s_hi.astype(np.int64) << 24) + s_lo.astype(np.int64)


def portfolio_cash_flows(book: LoanBook, chunk: int = 100_000) -> MonthlyCashFlows:
    """Scheduled principal and interest of a whole book, by calendar month, in fen."""
    book.validate()
    if len(book) == 0:
        none = np.zeros(0, dtype=np.int64)
        return MonthlyCashFlows(np.zeros(0, dtype="datetime64[M]"), none, none, 0)
    first = book.start.min().astype("datetime64[M]")
    last = book.start.max().astype("datetime64[M]")
    span = int((last - first).astype(np.int64))
    horizon = span + int((book.installments * book.step_months).max()) + 2
    months = first + np.arange(horizon).astype("timedelta64[M]")
    principal = np.zeros(horizon, dtype=np.int64)
    interest = np.zeros(horizon, dtype=np.int64)
    for lo in range(0, len(book), chunk):
        flows = cash_flows(book.take(slice(lo, lo + chunk)))
        idx = (flows.due_month - first.view(np.int64))[flows.active]
        principal += _sum_by(idx, flows.principal_fen[flows.active], horizon)
        interest += _sum_by(idx, flows.interest_fen[flows.active], horizon)
    used = np.flatnonzero((principal != 0) | (interest != 0))
    end = int(used.max()) + 1 if used.size else 0
    return MonthlyCashFlows(months[:end], principal[:end], interest[:end], len(book))
