"""Patent law numbers as data: terms, annual fees, grace period, late fee, fee reduction.

Loaded from `techfin/ip/data/patent_rules.yaml` (sources inside). Numbers marked
(unconfirmed) there — the free first month of grace, the 10-year span of the fee reduction,
the high pledge-amount threshold — are configurable defaults: pass another `PatentRules`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache

from techfin.ip._data import load
from techfin.ip.dates import add_months, add_years
from techfin.ip.patents import PatentType
from techfin.money import to_decimal


@dataclass(frozen=True, slots=True)
class PatentRules:
    version: str
    effective_from: date
    sources: dict[str, str]
    terms_years: dict[PatentType, int]
    design_term_before_change: int
    design_term_change_date: date
    grace_months: int
    late_fee_rate_per_month: Decimal
    late_fee_free_months: int
    fee_reduction_years_from_grant: int
    annual_fees: dict[PatentType, tuple[tuple[int, int, Decimal], ...]]
    high_value_maintained_years: int = 10
    high_value_pledge_threshold: Decimal = Decimal(10_000_000)
    high_value_awards: frozenset[str] = field(default_factory=frozenset)

    def term_years(self, patent_type: PatentType, filing_date: date) -> int:
        """Legal term in years; designs filed before 2021-06-01 keep the 10-year term."""
        if patent_type is PatentType.DESIGN and filing_date < self.design_term_change_date:
            return self.design_term_before_change
        return self.terms_years[patent_type]

    def term_end(self, patent_type: PatentType, filing_date: date) -> date:
        """First day the patent is no longer in force at full term (filing + term years)."""
        return add_years(filing_date, self.term_years(patent_type, filing_date))

    @staticmethod
    def fee_due(filing_date: date, fee_year: int) -> date:
        """Due date of fee year k: the (k−1)-th filing anniversary (start of that year)."""
        return add_years(filing_date, fee_year - 1)

    def grace_end(self, filing_date: date, fee_year: int) -> date:
        """Last day on which fee year k can still be paid (with the late fee)."""
        return add_months(self.fee_due(filing_date, fee_year), self.grace_months)

    def annual_fee(
        self,
        patent_type: PatentType,
        fee_year: int,
        *,
        payer_share: Decimal = Decimal(1),
        grant_fee_year: int | None = None,
    ) -> Decimal:
        """Annual fee (yuan) for fee year k; with the reduction share for the years it covers."""
        for first, last, amount in self.annual_fees[patent_type]:
            if first <= fee_year <= last:
                reduced = grant_fee_year is None or (
                    grant_fee_year
                    <= fee_year
                    < grant_fee_year + self.fee_reduction_years_from_grant
                )
                return amount * payer_share if reduced else amount
        raise ValueError(f"{patent_type.value}: no annual fee for fee year {fee_year}")

    def late_fee(self, fee: Decimal, due: date, paid_on: date) -> Decimal:
        """Late fee for paying `fee` on `paid_on` after `due`: rate × charged months.

        Charged months = months started since the due date less the free months (so with one
        free month: 0 within the first month, 5 % in the second … 25 % in the sixth).
        """
        if paid_on <= due:
            return Decimal(0)
        started = 1
        while add_months(due, started) < paid_on:
            started += 1
        charged = max(0, started - self.late_fee_free_months)
        return fee * self.late_fee_rate_per_month * charged


@cache
def patent_rules() -> PatentRules:
    """The packaged rule set (cached)."""
    raw = load("patent_rules.yaml")
    fees = {
        PatentType(kind): tuple((int(a), int(b), to_decimal(c)) for a, b, c in rows)
        for kind, rows in raw["annual_fees"].items()
    }
    hv = raw["high_value"]
    return PatentRules(
        version=str(raw["version"]),
        effective_from=raw["effective_from"],
        sources={str(k): str(v) for k, v in raw["sources"].items()},
        terms_years={PatentType(k): int(v) for k, v in raw["terms_years"].items()},
        design_term_before_change=int(raw["design_term_before_2021_06_01"]),
        design_term_change_date=raw["design_term_change_date"],
        grace_months=int(raw["grace_months"]),
        late_fee_rate_per_month=to_decimal(raw["late_fee_rate_per_month"]),
        late_fee_free_months=int(raw["late_fee_free_months"]),
        fee_reduction_years_from_grant=int(raw["fee_reduction_years_from_grant"]),
        annual_fees=fees,
        high_value_maintained_years=int(hv["maintained_over_years"]),
        high_value_pledge_threshold=to_decimal(hv["pledge_amount_threshold"]),
        high_value_awards=frozenset(str(a) for a in hv["awards"]),
    )
