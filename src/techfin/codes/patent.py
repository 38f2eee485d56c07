"""Chinese patent application numbers (专利申请号) and legal terms.

Implements `docs/official-rules.md` §2 (guidance art. 16: IP data joins patents to firms):

- current format (filings from 2003-10-01): `YYYY` + type digit + 7-digit serial + `.` + check,
  e.g. `200710308494.X`; check = (Σ d_i·w_i) mod 11 over the 12 digits with weights
  2,3,4,5,6,7,8,9,2,3,4,5, and 10 → `X`;
- type digit: 1 invention, 2 utility model, 3 design, 8 PCT invention entering China,
  9 PCT utility model entering China;
- old format (before 2003-10-01): `YY` + type digit + 5-digit serial + `.` + check, with the
  same rule over 8 digits (weights 2..9). Accepted, parsed and checked by its own rule (see
  `docs/decisions/0102-old-patent-numbers.md`).

Input is normalised where the intent is unambiguous and the result says so: `CN` or `ZL`
prefix, spaces, full-width characters, lowercase `x`, a missing dot. A publication number
(`CN101234567A`) is not an application number and is refused with that reason.

Legal terms (20 / 10 / 15 years, design 15 only for filings from 2021-06-01) are data in
`data/patent_terms.yaml`; see `legal_term_years` and `term_end`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any, Final

import yaml

from techfin.codes.check import CodeCheck, normalise_text

WEIGHTS: Final = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
OLD_WEIGHTS: Final = (2, 3, 4, 5, 6, 7, 8, 9)
NEW_FORMAT_FROM: Final = date(2003, 10, 1)
RULE_VERSION: Final = "CNIPA application number rules (2003) + pre-2003 8-digit format"

_PUBLICATION = re.compile(r"^(CN)?\d{7,9}[ABCUYS]\d?$")


class PatentType(StrEnum):
    INVENTION = "invention"
    UTILITY_MODEL = "utility_model"
    DESIGN = "design"
    PCT_INVENTION = "pct_invention"
    PCT_UTILITY_MODEL = "pct_utility_model"

    @property
    def base(self) -> PatentType:
        """The kind whose legal term applies (PCT national phase → invention/utility model)."""
        if self is PatentType.PCT_INVENTION:
            return PatentType.INVENTION
        if self is PatentType.PCT_UTILITY_MODEL:
            return PatentType.UTILITY_MODEL
        return self

    @property
    def label_zh(self) -> str:
        return _LABELS[self]


_TYPE_DIGITS: Final = {
    "1": PatentType.INVENTION,
    "2": PatentType.UTILITY_MODEL,
    "3": PatentType.DESIGN,
    "8": PatentType.PCT_INVENTION,
    "9": PatentType.PCT_UTILITY_MODEL,
}
_LABELS: Final = {
    PatentType.INVENTION: "发明",
    PatentType.UTILITY_MODEL: "实用新型",
    PatentType.DESIGN: "外观设计",
    PatentType.PCT_INVENTION: "进入中国国家阶段的PCT发明",
    PatentType.PCT_UTILITY_MODEL: "进入中国国家阶段的PCT实用新型",
}


def _check(digits: str, weights: tuple[int, ...]) -> str:
    if len(digits) != len(weights) or not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"expected {len(weights)} digits, got {digits!r}")
    total = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return "X" if total == 10 else str(total)


def check_digit(first12: str) -> str:
    """Check character ('0'-'9' or 'X') of a current-format (12-digit) application number."""
    return _check(first12, WEIGHTS)


def old_check_digit(first8: str) -> str:
    """Check character of a pre-2003 (8-digit) application number."""
    return _check(first8, OLD_WEIGHTS)


def validate(number: str, *, require_check: bool = False, as_of: date | None = None) -> CodeCheck:
    """Check a CN patent application number and parse year, type and serial.

    `normalised` is the canonical form `YYYYTSSSSSSS.C` (or `YYTSSSSS.C` for old numbers).
    A number given without its check character is accepted with a warning (the computed
    check is appended and a typo in the digits cannot be detected) unless `require_check`.
    `as_of`, when given, refuses a filing year after that date's year (the module never reads
    the clock itself).
    """
    text, notes = normalise_text(number, separators=" ")
    errors: list[str] = []
    warnings: list[str] = []
    parts: dict[str, str | int | None] = {}

    def result(normalised: str) -> CodeCheck:
        return CodeCheck(
            kind="patent",
            input=number,
            normalised=normalised,
            valid=not errors,
            errors=errors,
            warnings=warnings,
            normalisations=notes,
            parts=parts,
            rule_version=RULE_VERSION,
        )

    if _PUBLICATION.match(text) and not text[-1].isdigit() and text[-1] != "X":
        errors.append(
            f"'{text}' looks like a publication number (kind code '{text[-1]}'),"
            " not an application number"
        )
        return result(text)
    for prefix in ("CN", "ZL"):
        if text.startswith(prefix):
            notes.append(f"'{prefix}' prefix removed")
            text = text[len(prefix) :]
            break
    if not text:
        errors.append("empty number: expected 12 digits, a dot and a check character")
        return result(text)

    body, dot, given_check = text.partition(".")
    if dot:
        if len(given_check) != 1:
            errors.append(f"after the dot expected one check character, got {given_check!r}")
            return result(text)
    elif len(body) in (9, 13):
        body, given_check = body[:-1], body[-1]
        notes.append("dot before the check character added")
    bad = [(i, ch) for i, ch in enumerate(body, start=1) if not ("0" <= ch <= "9")]
    if bad:
        for i, ch in bad:
            errors.append(f"character '{ch}' at position {i} is not a digit")
        return result(text)
    if given_check and not (given_check.isdigit() or given_check == "X"):
        errors.append(f"check character '{given_check}' must be a digit or 'X'")
        return result(text)

    if len(body) == 12:
        year, type_digit, serial = int(body[:4]), body[4], body[5:]
        expected = check_digit(body)
        if year < NEW_FORMAT_FROM.year:
            errors.append(
                f"year {year} in a 12-digit number: the 12-digit format started on"
                f" {NEW_FORMAT_FROM.isoformat()}; earlier numbers have 8 digits"
            )
        fmt = "current"
    elif len(body) == 8:
        yy, type_digit, serial = int(body[:2]), body[2], body[3:]
        year = 1900 + yy if yy >= 85 else 2000 + yy
        expected = old_check_digit(body)
        if year > NEW_FORMAT_FROM.year:
            errors.append(
                f"year {year} in an 8-digit number: 8-digit numbers were issued up to"
                f" {NEW_FORMAT_FROM.isoformat()}"
            )
        fmt = "old"
    else:
        errors.append(
            f"{len(body)} digits before the check character: an application number has 12"
            " (or 8 for filings before 2003-10-01)"
        )
        return result(text)

    patent_type = _TYPE_DIGITS.get(type_digit)
    parts.update(
        format=fmt,
        year=year,
        type_digit=type_digit,
        type=patent_type.value if patent_type else None,
        type_zh=patent_type.label_zh if patent_type else None,
        serial=serial,
        check=given_check or expected,
    )
    if patent_type is None:
        errors.append(
            f"type digit '{type_digit}' is not one of 1 (invention), 2 (utility model),"
            " 3 (design), 8 (PCT invention), 9 (PCT utility model)"
        )
    if as_of is not None and year > as_of.year:
        errors.append(f"filing year {year} is after {as_of.isoformat()}")
    if not given_check:
        if require_check:
            errors.append(f"check character missing (it would be '{expected}')")
        else:
            warnings.append(
                f"no check character given: computed '{expected}' and appended; a typing"
                " error in the digits cannot be detected"
            )
            notes.append("check character computed and appended")
    elif given_check != expected:
        errors.append(f"check character is '{given_check}', expected '{expected}'")
    return result(f"{body}.{given_check or expected}")


# ---------------------------------------------------------------------------------------------
# Legal terms


@dataclass(frozen=True, slots=True)
class TermRule:
    patent_type: PatentType
    from_date: date
    years: int


@cache
def _terms() -> dict[str, Any]:
    text = resources.files("techfin.codes").joinpath("data/patent_terms.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def term_rules_version() -> str:
    return str(_terms()["version"])


def legal_term_years(patent_type: PatentType | str, filing_date: date) -> int:
    """Years of protection from the filing date (20 invention, 10 utility model, design 15 if
    filed from 2021-06-01 else 10). Refuses filings before 1993-01-01 (not modelled)."""
    kind = PatentType(patent_type).base
    rules = sorted(
        (date.fromisoformat(str(r["from"])), int(r["years"])) for r in _terms()["terms"][kind.value]
    )
    applicable = [years for start, years in rules if start <= filing_date]
    if not applicable:
        raise ValueError(
            f"filing date {filing_date.isoformat()} is before {rules[0][0].isoformat()}:"
            " terms under the 1984 law are not modelled"
        )
    return applicable[-1]


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a non-leap target year
        return day.replace(year=day.year + years, day=28)


def term_end(patent_type: PatentType | str, filing_date: date) -> date:
    """The anniversary of the filing date on which the term has run out (a patent filed
    2010-03-15 for 20 years is protected up to and including 2030-03-14; this returns
    2030-03-15). A filing on 29 February ends on 28 February."""
    return _add_years(filing_date, legal_term_years(patent_type, filing_date))
