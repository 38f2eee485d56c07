"""Outgoing periodic report of the bank's loans to the central credit register (issue 9 item 5).

The People's Bank of China credit reference centre (征信中心) takes periodic reports of each
loan's balance, overdue amounts and class. Its real interface specification is not public here,
so techfin writes its own documented layout, **techfin layout v1** (``docs/credit-register-
report.md``): a UTF-8 CSV file, one header row naming the columns of `COLUMNS` in order, one row
per loan, LF line endings, amounts in yuan with exactly two decimals, dates as YYYY-MM-DD,
flags as Y/N. A bank maps it to the register's format at its gateway.

`build_report(loans, as_of)` validates **every** record before writing anything: if any record
is invalid it raises `ReportInvalid` whose ``errors`` name the loan and the field of each
problem, and no text is produced. Pure: it returns the file's text; the caller writes it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from techfin.codes.uscc import is_valid as uscc_is_valid
from techfin.credit.classification import RiskClass, classify
from techfin.credit.servicing import LoanState

__all__ = [
    "COLUMNS",
    "LAYOUT_VERSION",
    "Column",
    "RecordError",
    "ReportInvalid",
    "build_report",
    "read_report",
    "record_from_state",
]

LAYOUT_VERSION = "techfin-layout-v1"


@dataclass(frozen=True)
class Column:
    """One column: name, type (text, code, date, amount, int, flag, enum), maximum width in
    characters, whether it must be present, and the allowed values of an enum."""

    name: str
    kind: str
    width: int
    required: bool = True
    values: tuple[str, ...] = ()
    text: str = ""


_CLASSES = tuple(c.value for c in RiskClass)

COLUMNS: tuple[Column, ...] = (
    Column("report_date", "date", 10, text="the report's as-of date"),
    Column("branch_code", "code", 20, text="reporting branch (letters and digits)"),
    Column("loan_id", "code", 40, text="loan id, unique in the file"),
    Column("contract_no", "text", 60, text="loan contract number"),
    Column("borrower_uscc", "uscc", 18, text="borrower's unified social credit code"),
    Column("borrower_name", "text", 200, text="borrower's registered name"),
    Column("product_code", "code", 40, text="product code"),
    Column("currency", "enum", 3, values=("CNY",), text="currency"),
    Column("disbursement_date", "date", 10, text="first disbursement"),
    Column("maturity_date", "date", 10, text="current maturity (after any extension)"),
    Column("contract_amount", "amount", 18, text="contract amount, yuan"),
    Column("principal_balance", "amount", 18, text="principal outstanding, yuan"),
    Column("overdue_principal", "amount", 18, text="principal past due, yuan"),
    Column("overdue_interest", "amount", 18, text="interest, penalty and compound unpaid"),
    Column("days_past_due", "int", 5, text="days since the oldest unpaid due amount"),
    Column("risk_class", "enum", 15, values=_CLASSES, text="judged five-class result"),
    Column(
        "guarantee_type",
        "enum",
        9,
        values=("credit", "guarantee", "mortgage", "pledge", "mixed"),
        text="main security",
    ),
    Column("renewal_flag", "flag", 1, text="Y for a renewal without prior repayment"),
    Column("restructured_flag", "flag", 1, text="Y for a restructured loan"),
    Column("first_loan_flag", "flag", 1, text="Y for the borrower's first bank loan (首贷)"),
    Column(
        "status",
        "enum",
        11,
        values=("active", "settled", "written_off"),
        text="loan status",
    ),
)

_CODE = re.compile(r"^[A-Za-z0-9_.\-]+$")
_AMOUNT_MAX = Decimal("9999999999999999.99")  # 18 characters with the point


@dataclass(frozen=True)
class RecordError:
    """One problem: the record (by loan id, or ``#n`` when the id is missing), the field and
    what is wrong."""

    loan: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.loan}: {self.field}: {self.message}"


class ReportInvalid(ValueError):
    """Records failed validation; nothing was written. ``errors`` lists every problem."""

    def __init__(self, errors: Iterable[RecordError]) -> None:
        self.errors = tuple(errors)
        shown = "; ".join(str(e) for e in self.errors[:5])
        more = f" (and {len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
        super().__init__(f"{len(self.errors)} invalid field(s): {shown}{more}")


def _fmt_amount(value: Any) -> tuple[str | None, str]:
    if isinstance(value, bool | float):
        return None, "must be a Decimal, int or text amount (not a float)"
    try:
        amount = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except ArithmeticError:
        return None, f"not an amount: {value!r}"
    if not amount.is_finite():
        return None, f"not finite: {value!r}"
    if amount < 0:
        return None, f"must not be negative, got {amount}"
    if amount != amount.quantize(Decimal("0.01")):
        return None, f"{amount} has more than 2 decimals"
    if amount > _AMOUNT_MAX:
        return None, f"{amount} does not fit 18 characters"
    return f"{amount.quantize(Decimal('0.01')):f}", ""


def _fmt(col: Column, value: Any) -> tuple[str | None, str]:
    """The field's text in the layout, or (None, message)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ("", "") if not col.required else (None, "missing")
    if col.kind == "date":
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            try:
                value = dt.date.fromisoformat(str(value))
            except ValueError:
                return None, f"not a date (YYYY-MM-DD): {value!r}"
        return value.isoformat(), ""
    if col.kind == "amount":
        return _fmt_amount(value)
    if col.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return None, f"not a whole number: {value!r}"
        if value < 0 or len(str(value)) > col.width:
            return None, f"must be 0 to {10**col.width - 1}, got {value}"
        return str(value), ""
    if col.kind == "flag":
        if isinstance(value, bool):
            return ("Y" if value else "N"), ""
        if value in ("Y", "N"):
            return str(value), ""
        return None, f"must be Y/N or true/false, got {value!r}"
    text = str(value).strip()
    if "\n" in text or "\r" in text:
        return None, "must be on one line"
    if len(text) > col.width:
        return None, f"longer than {col.width} characters ({len(text)})"
    if col.kind == "enum" and text not in col.values:
        return None, f"{text!r} is not one of {', '.join(col.values)}"
    if col.kind == "code" and not _CODE.match(text):
        return None, f"{text!r} may hold only letters, digits, '_', '.', '-'"
    if col.kind == "uscc" and not uscc_is_valid(text):
        return None, f"{text!r} is not a valid unified social credit code (GB 32100)"
    return text, ""


def _cross_checks(rec: dict[str, str], as_of: dt.date) -> list[tuple[str, str]]:
    """Consistency between fields of one formatted record."""
    out: list[tuple[str, str]] = []
    d = {k: v for k, v in rec.items() if v != ""}
    if d.get("report_date") != as_of.isoformat():
        out.append(("report_date", f"must be the report's as-of date {as_of.isoformat()}"))
    if "disbursement_date" in d and "maturity_date" in d:
        if d["maturity_date"] <= d["disbursement_date"]:
            out.append(("maturity_date", "must be after disbursement_date"))
        if d["disbursement_date"] > as_of.isoformat():
            out.append(("disbursement_date", "is after the report date"))
    amounts = {
        k: Decimal(d[k])
        for k in ("contract_amount", "principal_balance", "overdue_principal", "overdue_interest")
        if k in d
    }
    if "contract_amount" in amounts and amounts["contract_amount"] <= 0:
        out.append(("contract_amount", "must be positive"))
    bal = amounts.get("principal_balance")
    if bal is not None and "contract_amount" in amounts and bal > amounts["contract_amount"]:
        out.append(("principal_balance", "exceeds contract_amount"))
    op = amounts.get("overdue_principal")
    if op is not None and bal is not None and op > bal:
        out.append(("overdue_principal", "exceeds principal_balance"))
    if "days_past_due" in d and op is not None and "overdue_interest" in amounts:
        overdue = op + amounts["overdue_interest"] > 0
        dpd = int(d["days_past_due"])
        if dpd > 0 and not overdue:
            out.append(("days_past_due", f"{dpd} but nothing is overdue"))
        if dpd == 0 and op > 0:
            out.append(("days_past_due", "0 but principal is overdue"))
        if "risk_class" in d:
            floor = classify(days_past_due=dpd, as_of=as_of).value
            if RiskClass(d["risk_class"]).rank < floor.rank:
                out.append(
                    (
                        "risk_class",
                        f"{d['risk_class']} is better than the floor {floor.value} for "
                        f"{dpd} days past due",
                    )
                )
    status = d.get("status")
    if status in ("settled", "written_off") and bal is not None and bal != 0:
        out.append(("principal_balance", f"must be 0 for a {status} loan"))
    if status == "active" and bal is not None and bal == 0:
        out.append(("status", "active with no principal balance (report it as settled)"))
    return out


def build_report(loans: Iterable[Mapping[str, Any]], as_of: dt.date) -> str:
    """Validate every record and return the report text (techfin layout v1).

    ``loans`` are mappings with the keys of `COLUMNS` (``report_date`` may be left out: it is
    ``as_of``). Raises `ReportInvalid` listing every problem (loan id and field) when any
    record is invalid — then nothing is returned.
    """
    errors: list[RecordError] = []
    rows: list[dict[str, str]] = []
    seen: dict[str, int] = {}
    names = {c.name for c in COLUMNS}
    for n, loan in enumerate(loans, start=1):
        raw_id = loan.get("loan_id")
        label = str(raw_id).strip() if raw_id not in (None, "") else f"#{n}"
        for key in sorted(set(loan) - names):
            errors.append(RecordError(label, key, "unknown field"))
        rec: dict[str, str] = {}
        ok = True
        for col in COLUMNS:
            value = loan.get(col.name, as_of if col.name == "report_date" else None)
            text, message = _fmt(col, value)
            if text is None:
                errors.append(RecordError(label, col.name, message))
                ok = False
                rec[col.name] = ""
            else:
                rec[col.name] = text
        if ok:
            for field, message in _cross_checks(rec, as_of):
                errors.append(RecordError(label, field, message))
        loan_id = rec.get("loan_id", "")
        if loan_id:
            if loan_id in seen:
                errors.append(
                    RecordError(label, "loan_id", f"duplicate (also record #{seen[loan_id]})")
                )
            else:
                seen[loan_id] = n
        rows.append(rec)
    if errors:
        raise ReportInvalid(errors)
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=[c.name for c in COLUMNS], lineterminator="\n", quoting=csv.QUOTE_MINIMAL
    )
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def read_report(text: str) -> list[dict[str, str]]:
    """Parse a techfin layout v1 file back into rows (checks the header)."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames != [c.name for c in COLUMNS]:
        raise ValueError(f"header: not {LAYOUT_VERSION} ({reader.fieldnames})")
    return list(reader)


def record_from_state(state: LoanState, **fields: Any) -> dict[str, Any]:
    """A record from a `servicing.LoanState` plus the static fields (contract number,
    borrower, product, branch, dates, class, flags) the caller supplies.

    Overdue interest = borrower's unpaid interest + penalty + compound interest.
    """
    status = state.status.value
    rec: dict[str, Any] = {
        "loan_id": state.loan_id,
        "report_date": state.as_of,
        "principal_balance": state.principal_outstanding,
        "overdue_principal": state.overdue_principal,
        "overdue_interest": state.interest_unpaid
        + state.penalty_interest
        + state.compound_interest,
        "days_past_due": state.days_past_due,
        "status": "active" if status == "not_disbursed" else status,
        "currency": "CNY",
    }
    rec.update(fields)
    return rec
