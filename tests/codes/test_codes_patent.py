"""CN patent application numbers (official-rules §2) and legal terms."""

from __future__ import annotations

from datetime import date

import pytest

from techfin.codes import patent
from techfin.codes.patent import PatentType


def test_official_example() -> None:
    result = patent.validate("200710308494.X")
    assert result.valid, result.errors
    assert result.parts["year"] == 2007
    assert result.parts["type"] == "invention"
    assert result.parts["serial"] == "0308494"
    assert result.parts["format"] == "current"
    assert patent.check_digit("200710308494") == "X"


@pytest.mark.parametrize(
    ("given", "note"),
    [
        ("CN200710308494.X", "'CN' prefix removed"),
        ("ZL200710308494.X", "'ZL' prefix removed"),
        ("200710308494X", "dot before the check character added"),
        ("200710308494.x", "lowercase letters converted to uppercase"),
        ("２００７１０３０８４９４．Ｘ", "full-width characters converted to half-width"),
        (" CN 2007 1 0308494.X ", "separators removed (' ')"),
    ],
)
def test_forms_with_and_without_prefix_and_dot(given: str, note: str) -> None:
    result = patent.validate(given)
    assert result.valid, result.errors
    assert result.normalised == "200710308494.X"
    assert note in result.normalisations


@pytest.mark.parametrize(
    ("digit", "kind"),
    [
        ("1", "invention"),
        ("2", "utility_model"),
        ("3", "design"),
        ("8", "pct_invention"),
        ("9", "pct_utility_model"),
    ],
)
def test_types(digit: str, kind: str) -> None:
    body = f"2019{digit}0123456"
    result = patent.validate(f"{body}.{patent.check_digit(body)}")
    assert result.valid and result.parts["type"] == kind


def test_wrong_check() -> None:
    result = patent.validate("200710308494.1")
    assert result.errors == ["check character is '1', expected 'X'"]


def test_unknown_type_digit() -> None:
    body = "201950123456"
    result = patent.validate(f"{body}.{patent.check_digit(body)}")
    assert not result.valid
    assert "type digit '5'" in result.errors[0]


def test_missing_check_is_a_warning_unless_required() -> None:
    result = patent.validate("200710308494")
    assert result.valid
    assert result.normalised == "200710308494.X"
    assert result.warnings and "computed 'X'" in result.warnings[0]
    strict = patent.validate("200710308494", require_check=True)
    assert strict.errors == ["check character missing (it would be 'X')"]


def test_wrong_lengths_and_characters() -> None:
    assert "10 digits" in patent.validate("2007103084.X").errors[0]
    assert "not a digit" in patent.validate("20071O308494.X").errors[0]
    assert "one check character" in patent.validate("200710308494.XX").errors[0]
    assert patent.validate("").errors[0].startswith("empty number")


def test_publication_number_is_refused_with_reason() -> None:
    result = patent.validate("CN101234567A")
    assert not result.valid
    assert "publication number" in result.errors[0]


def test_year_rules() -> None:
    body = "199910308494"
    early = patent.validate(f"{body}.{patent.check_digit(body)}")
    assert "the 12-digit format started on 2003-10-01" in early.errors[0]
    body = "202610308494"
    future = patent.validate(f"{body}.{patent.check_digit(body)}", as_of=date(2025, 12, 31))
    assert future.errors == ["filing year 2026 is after 2025-12-31"]


def test_old_8_digit_numbers_have_their_own_check() -> None:
    assert patent.old_check_digit("01107806") == "5"
    result = patent.validate("01107806.5")
    assert result.valid
    assert result.parts["format"] == "old"
    assert result.parts["year"] == 2001
    assert result.parts["type"] == "invention"
    assert patent.validate("98212345." + patent.old_check_digit("98212345")).parts["year"] == 1998
    wrong = patent.validate("01107806.4")
    assert wrong.errors == ["check character is '4', expected '5'"]
    late = "05112345"
    assert (
        "8-digit numbers were issued up to"
        in patent.validate(f"{late}.{patent.old_check_digit(late)}").errors[0]
    )


def test_legal_terms() -> None:
    assert patent.legal_term_years(PatentType.INVENTION, date(2010, 1, 1)) == 20
    assert patent.legal_term_years("pct_invention", date(2010, 1, 1)) == 20
    assert patent.legal_term_years(PatentType.UTILITY_MODEL, date(2022, 1, 1)) == 10
    assert patent.legal_term_years("pct_utility_model", date(2022, 1, 1)) == 10
    assert patent.legal_term_years(PatentType.DESIGN, date(2021, 5, 31)) == 10
    assert patent.legal_term_years(PatentType.DESIGN, date(2021, 6, 1)) == 15
    assert patent.term_end(PatentType.INVENTION, date(2010, 3, 15)) == date(2030, 3, 15)
    assert patent.term_end(PatentType.UTILITY_MODEL, date(2012, 2, 29)) == date(2022, 2, 28)
    with pytest.raises(ValueError, match="1984 law"):
        patent.legal_term_years(PatentType.INVENTION, date(1990, 1, 1))
    assert patent.term_rules_version()
