"""Rating features from the hub's records (issue 5 item 1), as pure functions over plain rows.

The contract is the rating engineer's catalogue (``techfin/rating/data/
feature_catalogue_v1.yaml``: name, dimension, definition, unit, source, missing rule). This
module computes every catalogue feature the hub's tables can support and says, per feature,
which tables it reads and — where the hub lacks the source — that it is not available (the
value is then ``None`` and the scorecard's missing band applies; never a guessed value).

Inputs are lists of dicts shaped like the platform tables' rows (``annual_financials``,
``social_security_records``, ``tax_records``, ``customs_records``, ``patents``,
``funding_rounds``, ``credit_register_loans``, ``court_records``, ``granted_titles``); the
service (`techfin.services.rating_features`) reads them under consent and calls
:func:`compute_features`. Bank–tax and bank–customs features come from
:func:`techfin.enterprises.signals.tax_customs_signals` (not duplicated here).

Units: fractions are ``Decimal`` quantised to 0.0001 (half-even), amounts in 万元 are
``Decimal`` to 0.01, counts ``int``, flags 0/1 ``int``. Patent quality follows the OECD
indicators (Squicciarini, Dernis & Criscuolo 2013) as far as the hub's patent record allows:
claims, forward citations, grant lag, scope (distinct IPC subclasses), legal status and
remaining life; family size only where the IP platform recorded a family; backward
citations, generality and originality need citing/cited patent data the hub does not hold.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache
from importlib import resources
from typing import Any

import yaml

from techfin.enterprises.signals import tax_customs_signals

CATALOGUE_FILE = "feature_catalogue_v1.yaml"
FOUR = Decimal("0.0001")
TWO = Decimal("0.01")
WAN = Decimal(10_000)
DAYS_PER_YEAR = Decimal("365.25")

# Lead investors counted as "institutional" (PE/VC fund manager, guidance fund). The hub holds
# only the lead investor's name, so this is judged from the name (see docs/rating-platform.md).
INSTITUTIONAL_MARKERS = (
    "基金",
    "资本",
    "创投",
    "创业投资",
    "投资管理",
    "股权投资",
    "引导",
    "capital",
    "ventures",
    "venture",
    "fund",
    "partners",
)

# Statutory terms from filing (Patent Law art. 42; design 15 years for filings from 2021-06-01).
_TERM_YEARS = {"invention": 20, "utility": 10, "utility_model": 10, "design": 10}
_DESIGN_15_FROM = dt.date(2021, 6, 1)
IN_FORCE_STATUSES = frozenset({"in_force", "in_grace", "granted", "有效", "授权"})
ENDED_STATUSES = frozenset(
    {"lapsed", "expired", "invalidated", "terminated", "失效", "无效", "终止", "届满"}
)

# Where each catalogue feature comes from in the hub; features absent here are not available.
HUB_SOURCES: dict[str, str] = {
    "equity_rounds_3y": "funding_rounds",
    "equity_amount_3y_wan": "funding_rounds",
    "months_since_last_round": "funding_rounds",
    "institutional_investor": "funding_rounds (lead investor name, judged)",
    "rd_intensity": "annual_financials",
    "rd_staff_share": "annual_financials (tech_staff ÷ employees)",
    "rd_growth": "annual_financials",
    "class_i_ip_count": "patents (+ IP legal events)",
    "class_ii_ip_count": "patents (+ IP legal events)",
    "high_value_patents": "patents (+ IP legal events and profiles)",
    "patent_quality_percentile": "patents (cohort: all hub patents)",
    "patent_scope_mean": "patents.ipc",
    "family_size_mean": "ip_patent_profiles.family (IP platform)",
    "claims_mean": "patents.claims",
    "forward_citations_5y_mean": "patents.forward_citations (total, not windowed)",
    "grant_lag_months_mean": "patents.filed_on, granted_on",
    "remaining_life_years_mean": "patents (+ IP legal events)",
    "patents_in_force_share": "patents (+ IP legal events)",
    "headcount_churn": "social_security_records (net change proxy)",
    "revenue_growth": "tax_records (declared revenue), else annual_financials",
    "export_growth": "customs_records",
    "debt_ratio": "annual_financials",
    "net_margin": "annual_financials",
    "tax_credit_grade": "tax_records",
    "vat_declared_growth": "tax_records",
    "bank_count": "credit_register_loans",
    "overdue_12m": "credit_register_loans (current snapshot)",
    "first_loan": "credit_register_loans",
    "age_years": "enterprises.registered_on",
    "dishonest_judgment_debtor": "court_records (kind dishonest, not removed)",
    "enforcement_open": "court_records (kind enforcement, open)",
}

# Why a catalogue feature is not computed from the hub (value None).
NOT_IN_HUB: dict[str, str] = {
    "standards_led": "no standards catalogue in the hub",
    "backward_citations_mean": "the hub holds no cited-patent lists",
    "generality_mean": "the hub holds no citing patents' IPC classes",
    "originality_mean": "the hub holds no cited patents' IPC classes",
    "key_people_tenure_years": "no registration of directors/managers in the hub",
    "management_changes_3y": "no registration change records in the hub",
    "industry_outlook": "the bank's industry policy is not in the hub",
    "current_ratio": "annual_financials has no current assets/liabilities",
    "operating_cash_flow_positive": "annual_financials has no cash-flow statement",
    "customs_credit_advanced": "no customs credit (AEO) records in the hub",
    "tax_arrears": "no tax arrears announcements in the hub",
    "serious_violation_list": "no SAMR serious-violation list in the hub",
}


@dataclass(frozen=True)
class CatalogueEntry:
    name: str
    dimension: str
    definition: str
    unit: str
    source: str
    missing: str
    hub_source: str | None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@cache
def catalogue_data() -> dict[str, Any]:
    # The rating package's data file, read without importing techfin.rating (which loads
    # scikit-learn).
    folder = resources.files("techfin").joinpath("rating")
    text = folder.joinpath("data", CATALOGUE_FILE).read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def catalogue_version() -> str:
    d = catalogue_data()
    return f"{d['id']}@{d['version']}"


@cache
def catalogue() -> tuple[CatalogueEntry, ...]:
    """The catalogue with, per feature, the hub tables it is computed from (or why not)."""
    out = []
    for f in catalogue_data()["features"]:
        name = str(f["name"])
        out.append(
            CatalogueEntry(
                name=name,
                dimension=str(f["dimension"]),
                definition=str(f["definition"]),
                unit=str(f["unit"]),
                source=str(f["source"]),
                missing=str(f["missing"]),
                hub_source=HUB_SOURCES.get(name),
                note=NOT_IN_HUB.get(name, ""),
            )
        )
    return tuple(out)


# Features the hub adds beside the rating catalogue (not used by the expert scorecard; a
# statistical model may use them). The bank–tax/customs ones are `signals.CATALOGUE`.
_EXTRA = (
    (
        "power_kwh_12m",
        "power used over the last 4 quarters",
        "kWh",
        "utility_records",
        "None with fewer than 4 quarters",
    ),
    (
        "power_growth",
        "power_kwh_12m ÷ the 4 quarters before − 1",
        "fraction",
        "utility_records",
        "None with fewer than 8 quarters or a zero base",
    ),
    (
        "insured_staff",
        "insured staff in the latest quarter up to as-of",
        "persons",
        "social_security_records",
        "None without records",
    ),
    ("patents_granted", "patents granted on or before as-of", "count", "patents", "0"),
    (
        "credit_balance_wan",
        "outstanding balance over all lenders",
        "万元",
        "credit_register_loans",
        "0",
    ),
    (
        "financials_year",
        "fiscal year of the statements used",
        "year",
        "annual_financials",
        "None without a closed year",
    ),
    (
        "revenue_growth_annual",
        "revenue growth, last closed fiscal year over the one before",
        "fraction",
        "annual_financials",
        "None without two consecutive years",
    ),
    (
        "titles_valid",
        "government titles valid on as-of (高企, 专精特新, …)",
        "list",
        "granted_titles",
        "empty list",
    ),
)


@cache
def extra_catalogue() -> tuple[CatalogueEntry, ...]:
    from techfin.enterprises.signals import CATALOGUE as SIGNALS

    out = [CatalogueEntry(n, "hub", d, u, src, m, src) for n, d, u, src, m in _EXTRA]
    out += [
        CatalogueEntry(
            f.name,
            "signals",
            f.definition,
            f.unit,
            f.source,
            f.missing,
            f"{f.source}_records (signals.tax_customs_signals)",
        )
        for f in SIGNALS
        if f.name not in {"revenue_growth", "export_growth", "tax_credit_grade"}
    ]
    return tuple(out)


# --- helpers ------------------------------------------------------------------------------


def _d(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _q(value: Decimal, step: Decimal = FOUR) -> Decimal:
    return value.quantize(step, rounding=ROUND_HALF_EVEN)


def _date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from `start` to `end` (a month counts once its day is reached)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return max(months, 0)


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _mean(values: Sequence[Decimal], step: Decimal = FOUR) -> Decimal | None:
    if not values:
        return None
    return _q(sum(values, Decimal(0)) / len(values), step)


# --- equity financing ---------------------------------------------------------------------


def institutional(lead_investor: str | None, known: frozenset[str] = frozenset()) -> bool:
    """A lead investor is institutional when it is a registered investor institution of the
    platform (`known`: codes and names of institutions of kind investor / government_fund) or
    its name carries a fund-manager marker (judged)."""
    raw = (lead_investor or "").strip()
    if raw and raw in known:
        return True
    name = raw.lower()
    return any(m in name for m in INSTITUTIONAL_MARKERS)


def equity_features(
    rounds: Iterable[Mapping[str, Any]],
    as_of: dt.date,
    known_investors: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Rounds in the 36 months to `as_of` (closed after as_of − 3 years, on or before as_of)."""
    start = _years_before(as_of, 3)
    dated = [(d, r) for r in rounds if (d := _date(r["closed_on"])) is not None and d <= as_of]
    recent = [r for d, r in dated if d > start]
    last = max((d for d, _ in dated), default=None)
    amounts = [_d(r["amount"]) for r in recent if r.get("amount") is not None]
    return {
        "equity_rounds_3y": len(recent),
        "equity_amount_3y_wan": _q(sum(amounts, Decimal(0)) / WAN, TWO) if recent else None,
        "months_since_last_round": months_between(last, as_of) if last else None,
        "institutional_investor": int(
            any(institutional(r.get("lead_investor"), known_investors) for r in recent)
        ),
    }


# --- R&D and financial ratios -------------------------------------------------------------


def _last_years(financials: Iterable[Mapping[str, Any]], as_of: dt.date) -> list[Mapping[str, Any]]:
    """Fiscal years closed before `as_of` (a year's statement exists only after 31 Dec)."""
    rows = [f for f in financials if int(f["year"]) < as_of.year]
    return sorted(rows, key=lambda f: int(f["year"]))


def _ratio(num: Any, den: Any) -> Decimal | None:
    if num is None or den is None:
        return None
    d = _d(den)
    return None if d == 0 else _q(_d(num) / d)


def rd_and_financial_features(
    financials: Iterable[Mapping[str, Any]], as_of: dt.date
) -> dict[str, Any]:
    years = _last_years(financials, as_of)
    last = years[-1] if years else None
    prev = (
        years[-2]
        if len(years) >= 2 and int(years[-2]["year"]) == int(years[-1]["year"]) - 1
        else None
    )
    out: dict[str, Any] = {
        "rd_intensity": None,
        "rd_staff_share": None,
        "rd_growth": None,
        "debt_ratio": None,
        "net_margin": None,
        "financials_year": None,
        "revenue_growth_annual": None,
    }
    if last is None:
        return out
    out["financials_year"] = int(last["year"])
    out["rd_intensity"] = _ratio(last.get("rd_expense"), last.get("revenue"))
    out["rd_staff_share"] = _ratio(last.get("tech_staff"), last.get("employees"))
    out["debt_ratio"] = _ratio(last.get("total_liabilities"), last.get("total_assets"))
    out["net_margin"] = _ratio(last.get("net_profit"), last.get("revenue"))
    if prev is not None:
        g = _ratio(last.get("rd_expense"), prev.get("rd_expense"))
        out["rd_growth"] = None if g is None else g - 1
        r = _ratio(last.get("revenue"), prev.get("revenue"))
        out["revenue_growth_annual"] = None if r is None else r - 1
    return out


# --- team ---------------------------------------------------------------------------------


def _quarter_key(q: str) -> tuple[int, int]:
    return int(q[:4]), int(q[-1])


def quarter_of(day: dt.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def team_features(social: Iterable[Mapping[str, Any]], as_of: dt.date) -> dict[str, Any]:
    """``headcount_churn`` proxy: |insured staff now − 4 quarters before| ÷ their mean.

    The hub holds insured headcount per quarter, not leavers, so this is the *net* change — a
    lower bound of true churn (hires replacing leavers are invisible). None with fewer than
    5 quarters up to `as_of`'s quarter or a zero mean.
    """
    upto = _quarter_key(quarter_of(as_of))
    rows = sorted(
        (r for r in social if _quarter_key(str(r["quarter"])) <= upto),
        key=lambda r: _quarter_key(str(r["quarter"])),
    )
    out: dict[str, Any] = {"headcount_churn": None, "insured_staff": None}
    if rows:
        out["insured_staff"] = int(rows[-1]["insured_staff"])
    if len(rows) >= 5:
        now, before = (
            Decimal(int(rows[-1]["insured_staff"])),
            Decimal(int(rows[-5]["insured_staff"])),
        )
        mean = (now + before) / 2
        out["headcount_churn"] = None if mean == 0 else _q(abs(now - before) / mean)
    return out


# --- utilities ----------------------------------------------------------------------------


def utility_features(utility: Iterable[Mapping[str, Any]], as_of: dt.date) -> dict[str, Any]:
    """Power use as an activity signal: kWh over the last 4 quarters up to `as_of`'s quarter
    (None with fewer than 4) and its growth over the 4 before (None with fewer than 8 or a
    zero base)."""
    upto = _quarter_key(quarter_of(as_of))
    rows = sorted(
        (r for r in utility if _quarter_key(str(r["quarter"])) <= upto),
        key=lambda r: _quarter_key(str(r["quarter"])),
    )
    last4 = sum(int(r["power_kwh"] or 0) for r in rows[-4:])
    prev4 = sum(int(r["power_kwh"] or 0) for r in rows[-8:-4])
    return {
        "power_kwh_12m": last4 if len(rows) >= 4 else None,
        "power_growth": (
            _q(Decimal(last4) / Decimal(prev4) - 1) if len(rows) >= 8 and prev4 else None
        ),
    }


# --- patents ------------------------------------------------------------------------------


def term_years(kind: str, filed_on: dt.date) -> int:
    if kind == "design" and filed_on >= _DESIGN_15_FROM:
        return 15
    return _TERM_YEARS.get(kind, 20)


@cache
def ipc_subclasses(ipc: str | None) -> frozenset[str]:
    """Distinct 4-character IPC subclasses (``G06F``) in a ';' or ',' separated field."""
    out = set()
    for part in (ipc or "").replace(",", ";").split(";"):
        p = part.strip().replace(" ", "").upper()
        if len(p) >= 4:
            out.add(p[:4])
    return frozenset(out)


def ipc_section(ipc: str | None) -> str:
    subs = sorted(ipc_subclasses(ipc))
    return subs[0][0] if subs else "?"


@dataclass(frozen=True)
class PatentFacts:
    """One patent as the features see it; `in_force`/`remaining_years`/`high_value` come from
    the IP platform's legal-event derivation when it has events, else from the hub record."""

    number: str
    kind: str
    filed_on: dt.date
    granted_on: dt.date | None
    ipc: str
    claims: int | None
    forward_citations: int | None
    in_force: bool | None
    remaining_years: Decimal | None
    high_value: bool | None = None
    family_size: int | None = None

    @property
    def cohort(self) -> tuple[int, str]:
        return self.filed_on.year, ipc_section(self.ipc)


def patent_facts(row: Mapping[str, Any], as_of: dt.date) -> PatentFacts:
    """From a hub `patents` row: status string → in force; remaining life = statutory term
    end − `as_of` in years (days ÷ 365.25, to 0.01) while in force."""
    filed = _date(row["filed_on"])
    assert filed is not None
    granted = _date(row.get("granted_on"))
    kind = str(row.get("kind") or "invention")
    status = str(row.get("status") or "").strip().lower()
    end = _add_years(filed, term_years(kind, filed))
    if granted is None or granted > as_of:
        in_force: bool | None = False
    elif end <= as_of or status in ENDED_STATUSES:
        in_force = False
    elif status in IN_FORCE_STATUSES or status == "":
        in_force = True
    else:
        in_force = None
    remaining = _q(Decimal((end - as_of).days) / DAYS_PER_YEAR, TWO) if in_force else None
    return PatentFacts(
        number=str(row.get("number", "")),
        kind=kind,
        filed_on=filed,
        granted_on=granted,
        ipc=str(row.get("ipc") or ""),
        claims=row.get("claims"),
        forward_citations=row.get("forward_citations"),
        in_force=in_force,
        remaining_years=remaining,
        high_value=row.get("high_value"),
        family_size=row.get("family_size"),
    )


def _grant_lag(p: PatentFacts) -> int | None:
    return months_between(p.filed_on, p.granted_on) if p.granted_on else None


# Components of the composite (OECD 2013 uses six; the hub supports these). +1 higher is
# better, −1 lower is better.
COMPOSITE = (
    ("claims", 1),
    ("forward_citations", 1),
    ("scope", 1),
    ("grant_lag", -1),
    ("family_size", 1),
)


def _component(p: PatentFacts, name: str) -> float | None:
    if name == "claims":
        return None if p.claims is None else float(p.claims)
    if name == "forward_citations":
        return None if p.forward_citations is None else float(p.forward_citations)
    if name == "scope":
        n = len(ipc_subclasses(p.ipc))
        return float(n) if n else None
    if name == "grant_lag":
        lag = _grant_lag(p)
        return None if lag is None else float(lag)
    if name == "family_size":
        return None if p.family_size is None else float(p.family_size)
    raise KeyError(name)


def percentile_rank(value: float, population: Sequence[float]) -> float:
    """Mid-rank percentile (0–100) of `value` in `population`: ties share the mean rank."""
    return _sorted_rank(value, sorted(population))


def _sorted_rank(value: float, ordered: Sequence[float]) -> float:
    """`percentile_rank` over an already sorted population (binary search)."""
    if not ordered:
        return 50.0
    below = bisect_left(ordered, value)
    equal = bisect_right(ordered, value) - below
    return 100.0 * (below + 0.5 * equal) / len(ordered)


@dataclass
class Cohorts:
    """Reference distribution of the composite's components per filing-year × IPC section,
    built from granted inventions (every applicant's, not only the rated firm's); the lists
    are kept sorted so a percentile is a binary search."""

    values: dict[tuple[int, str], dict[str, list[float]]] = field(default_factory=dict)
    composites: dict[tuple[int, str], list[float]] = field(default_factory=dict)

    @classmethod
    def build(cls, patents: Iterable[PatentFacts]) -> Cohorts:
        c = cls()
        members: dict[tuple[int, str], list[PatentFacts]] = defaultdict(list)
        for p in patents:
            if p.kind == "invention" and p.granted_on is not None:
                members[p.cohort].append(p)
        for key, ps in members.items():
            comp: dict[str, list[float]] = {}
            for name, _ in COMPOSITE:
                comp[name] = sorted(v for p in ps if (v := _component(p, name)) is not None)
            c.values[key] = comp
        for key, ps in members.items():
            c.composites[key] = sorted(x for p in ps if (x := c.composite(p)) is not None)
        return c

    def composite(self, p: PatentFacts) -> float | None:
        """Mean of the available components' within-cohort percentiles (lower-is-better ones
        reversed); None when the patent has no component or no cohort."""
        comp = self.values.get(p.cohort)
        if comp is None:
            return None
        parts = []
        for name, sign in COMPOSITE:
            v = _component(p, name)
            pop = comp.get(name) or []
            if v is None or not pop:
                continue
            pct = _sorted_rank(v, pop)
            parts.append(pct if sign > 0 else 100.0 - pct)
        return sum(parts) / len(parts) if parts else None

    def quality_percentile(self, p: PatentFacts) -> float | None:
        x = self.composite(p)
        if x is None:
            return None
        return _sorted_rank(x, self.composites.get(p.cohort, []))


def patent_features(
    patents: Sequence[PatentFacts], cohorts: Cohorts, as_of: dt.date
) -> dict[str, Any]:
    granted = [p for p in patents if p.granted_on is not None and p.granted_on <= as_of]
    inventions = [p for p in granted if p.kind == "invention"]
    in_force = [p for p in granted if p.in_force]
    out: dict[str, Any] = {
        "patents_granted": len(granted),
        "class_i_ip_count": sum(1 for p in in_force if p.kind == "invention"),
        "class_ii_ip_count": sum(1 for p in in_force if p.kind != "invention"),
    }
    # high value: the IP platform's flag where it derived one; otherwise the one criterion the
    # hub supports alone (an invention in force and maintained over 10 years).
    out["high_value_patents"] = sum(
        1
        for p in in_force
        if p.kind == "invention"
        and (
            p.high_value
            if p.high_value is not None
            else p.granted_on is not None and (as_of - p.filed_on).days > 10 * 365.25
        )
    )
    known = [p for p in granted if p.in_force is not None]
    out["patents_in_force_share"] = (
        _q(Decimal(sum(1 for p in known if p.in_force)) / len(known)) if known else None
    )
    out["remaining_life_years_mean"] = _mean(
        [p.remaining_years for p in in_force if p.remaining_years is not None], TWO
    )
    out["claims_mean"] = _mean([Decimal(p.claims) for p in inventions if p.claims is not None], TWO)
    out["forward_citations_5y_mean"] = _mean(
        [Decimal(p.forward_citations) for p in inventions if p.forward_citations is not None], TWO
    )
    out["grant_lag_months_mean"] = _mean(
        [Decimal(lag) for p in inventions if (lag := _grant_lag(p)) is not None], TWO
    )
    out["patent_scope_mean"] = _mean(
        [Decimal(len(s)) for p in inventions if (s := ipc_subclasses(p.ipc))], TWO
    )
    out["family_size_mean"] = _mean(
        [Decimal(p.family_size) for p in inventions if p.family_size is not None], TWO
    )
    pcts = [Decimal(str(x)) for p in inventions if (x := cohorts.quality_percentile(p)) is not None]
    out["patent_quality_percentile"] = _mean(pcts, TWO)
    for name in ("backward_citations_mean", "generality_mean", "originality_mean"):
        out[name] = None
    return out


# --- credit register, court, titles -------------------------------------------------------

NORMAL = "normal"


def credit_register_features(loans: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """From the latest credit-register snapshot: ``bank_count`` lenders with a balance,
    ``overdue_12m`` 1 if any loan is overdue or not classified normal now (the hub keeps the
    snapshot, not 12 months of history: a proxy), ``first_loan`` 1 with no loan at all."""
    rows = list(loans)
    live = [r for r in rows if _d(r.get("balance") or 0) > 0]
    return {
        "bank_count": len({str(r["lender"]) for r in live}),
        "credit_balance_wan": _q(sum((_d(r["balance"]) for r in live), Decimal(0)) / WAN, TWO),
        "overdue_12m": int(
            any(
                (r.get("overdue_days") or 0) > 0 or str(r.get("classification") or NORMAL) != NORMAL
                for r in rows
            )
        ),
        "first_loan": int(not rows),
    }


OPEN_STATUSES = frozenset({"open", "listed", "未结", "在执行", ""})


def negative_features(court: Iterable[Mapping[str, Any]], as_of: dt.date) -> dict[str, Any]:
    """Court records filed on or before `as_of`; a blank status counts as open/listed."""
    rows = [r for r in court if (d := _date(r["filed_on"])) is None or d <= as_of]

    def hit(kind: str) -> int:
        return int(
            any(
                r["kind"] == kind and str(r.get("status") or "").strip().lower() in OPEN_STATUSES
                for r in rows
            )
        )

    return {
        "dishonest_judgment_debtor": hit("dishonest"),
        "enforcement_open": hit("enforcement"),
        "tax_arrears": None,
        "serious_violation_list": None,
    }


def title_features(titles: Iterable[Mapping[str, Any]], as_of: dt.date) -> dict[str, Any]:
    """Government titles valid on `as_of` (高企, 专精特新, …), a sorted list."""
    valid = sorted(
        {
            str(t["title"])
            for t in titles
            if (f := _date(t["valid_from"])) is not None
            and (u := _date(t["valid_to"])) is not None
            and f <= as_of < u
        }
    )
    return {"titles_valid": valid}


# --- everything ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EnterpriseRecords:
    registered_on: dt.date
    financials: Sequence[Mapping[str, Any]] = ()
    social_security: Sequence[Mapping[str, Any]] = ()
    tax: Sequence[Mapping[str, Any]] = ()
    customs: Sequence[Mapping[str, Any]] = ()
    utility: Sequence[Mapping[str, Any]] = ()
    patents: Sequence[PatentFacts] = ()
    funding_rounds: Sequence[Mapping[str, Any]] = ()
    credit_loans: Sequence[Mapping[str, Any]] = ()
    court: Sequence[Mapping[str, Any]] = ()
    titles: Sequence[Mapping[str, Any]] = ()
    known_investors: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FeatureSet:
    values: dict[str, Any]
    missing: dict[str, str]
    catalogue_version: str
    as_of: dt.date

    def scorecard_inputs(self) -> dict[str, float | None]:
        """Numeric features for the scorecards (Decimal → float at this boundary only)."""
        out: dict[str, float | None] = {}
        for k, v in self.values.items():
            if v is None or isinstance(v, bool | int | float | Decimal):
                out[k] = None if v is None else float(v)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "catalogue_version": self.catalogue_version,
            "values": jsonable(self.values),
            "missing": dict(self.missing),
        }


def jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in values.items():
        if isinstance(v, Decimal):
            out[k] = str(v)
        elif isinstance(v, dt.date):
            out[k] = v.isoformat()
        else:
            out[k] = v
    return out


def compute_features(records: EnterpriseRecords, as_of: dt.date, cohorts: Cohorts) -> FeatureSet:
    """Every feature the hub supports for one enterprise on `as_of`; ``missing`` says why
    each catalogue feature left None is missing."""
    values: dict[str, Any] = {}
    values.update(equity_features(records.funding_rounds, as_of, records.known_investors))
    values.update(rd_and_financial_features(records.financials, as_of))
    values.update(team_features(records.social_security, as_of))
    values.update(utility_features(records.utility, as_of))
    values.update(patent_features(records.patents, cohorts, as_of))
    values.update(credit_register_features(records.credit_loans))
    values.update(negative_features(records.court, as_of))
    values.update(title_features(records.titles, as_of))
    upto = quarter_of(as_of)
    tax = [r for r in records.tax if _quarter_key(str(r["quarter"])) <= _quarter_key(upto)]
    customs = [r for r in records.customs if _quarter_key(str(r["quarter"])) <= _quarter_key(upto)]
    signals = tax_customs_signals(tax, customs)
    values.update(signals)
    values["vat_declared_growth"] = signals["revenue_growth"]
    if values["revenue_growth"] is None:
        values["revenue_growth"] = values["revenue_growth_annual"]
    if not customs:
        values["export_growth"] = None  # catalogue: null for non-exporters
    age_days = (as_of - records.registered_on).days
    values["age_years"] = _q(Decimal(age_days) / DAYS_PER_YEAR, TWO) if age_days >= 0 else None
    missing: dict[str, str] = {}
    for entry in catalogue():
        if entry.name in NOT_IN_HUB:
            values[entry.name] = None
            missing[entry.name] = NOT_IN_HUB[entry.name]
        elif values.get(entry.name) is None:
            values.setdefault(entry.name, None)
            missing[entry.name] = "no record in the hub for the window"
    return FeatureSet(values, missing, catalogue_version(), as_of)
