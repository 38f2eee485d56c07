"""Unified social credit code: examples from official-rules §1 and the bad inputs of issue 3."""

from __future__ import annotations

import json

import pytest

from techfin.codes import uscc
from techfin.codes.uscc import Reason

GOOD = "91110000600037341L"


def test_official_example_passes_both_checks() -> None:
    result = uscc.validate(GOOD)
    assert result.valid
    assert result.errors == []
    assert result.normalisations == []
    assert result.parts["registrar"] == "9"
    assert result.parts["entity_type"] == "1"
    assert result.parts["area_code"] == "110000"
    assert result.parts["organisation_code"] == "600037341"
    assert result.parts["registrar_name"] == "工商 / 市场监管"
    assert result.parts["entity_type_name"] == "企业"
    assert uscc.check_character(GOOD[:17]) == "L"
    assert uscc.org_check_character("60003734") == "1"


def test_weights_are_powers_of_three_mod_31() -> None:
    assert uscc.WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def test_to_dict_is_json_serialisable() -> None:
    data = uscc.validate(GOOD).to_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert data["valid"] is True


@pytest.mark.parametrize(
    ("given", "note"),
    [
        ("91110000600037341l", "lowercase letters converted to uppercase"),
        ("９１１１００００６０００３７３４１Ｌ", "full-width characters converted to half-width"),
        ("  91110000600037341L\t", "surrounding whitespace trimmed"),
        ("\u300091110000600037341L", "full-width characters converted to half-width"),
        ("9111-0000-6000-3734-1L", "separators removed ('-')"),
    ],
)
def test_unambiguous_input_is_normalised_and_said(given: str, note: str) -> None:
    result = uscc.validate(given)
    assert result.valid, result.errors
    assert result.normalised == GOOD
    assert note in result.normalisations


def test_wrong_check_character() -> None:
    result = uscc.validate(GOOD[:17] + "X")
    assert not result.valid
    assert result.errors == ["check character (position 18) is 'X', expected 'L'"]


def test_17_characters_says_the_missing_check() -> None:
    result = uscc.validate(GOOD[:17])
    assert not result.valid
    assert result.errors[0].startswith("17 characters")
    assert "it would be 'L'" in result.errors[0]


def test_19_characters() -> None:
    result = uscc.validate(GOOD + "0")
    assert not result.valid
    assert result.errors == ["19 characters: a credit code has exactly 18"]


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_excluded_letters_are_rejected_with_position(letter: str) -> None:
    code = GOOD[:10] + letter + GOOD[11:]
    result = uscc.validate(code)
    assert not result.valid
    assert len(result.errors) == 1
    assert f"'{letter}' at position 11 is not in the alphabet" in result.errors[0]
    assert "never used" in result.errors[0]


def test_lowercase_excluded_letter_is_still_rejected() -> None:
    result = uscc.validate(GOOD[:10] + "o" + GOOD[11:])
    assert not result.valid
    assert "'O' at position 11" in result.errors[0]


def test_registrar_y_and_letters_in_org_code_are_valid() -> None:
    """The known pitfall: a library rejects codes whose first 8 are not all digits."""
    code = uscc.build("Y", "1", "110000", "MA01ABCD")
    assert code[0] == "Y" and code[8:10] == "MA"
    result = uscc.validate(code)
    assert result.valid, result.errors
    assert result.parts["organisation_code"] == code[8:17]
    # Registrar N (agriculture) and A as well.
    for registrar in ("N", "A"):
        assert uscc.validate(uscc.build(registrar, "1", "320100", "MA1234KL")).valid


def test_letters_in_area_code_are_rejected() -> None:
    first = "91" + "1A0000" + "600037341"
    code = first + uscc.check_character(first)
    result = uscc.validate(code)
    assert not result.valid
    assert result.errors == ["area code '1A0000' (positions 3-8) must be 6 digits"]


def test_embedded_org_code_check_is_enforced() -> None:
    first = "91110000" + "600037342"  # org check should be 1
    code = first + uscc.check_character(first)
    result = uscc.validate(code)
    assert not result.valid
    assert result.errors == [
        "organisation code 600037342 fails its GB 11714 check: position 17 is '2', expected '1'"
    ]
    assert uscc.validate(code, check_org=False).valid


def test_org_check_ten_is_x_and_eleven_is_zero() -> None:
    # Find bodies whose check value is 10 and 11 and verify the characters.
    seen = set()
    for n in range(200):
        body = f"{n:08d}"
        seen.add(uscc.org_check_character(body))
    assert "X" in seen and "0" in seen
    total = sum(int(c) * w for c, w in zip("00000001", uscc.ORG_WEIGHTS, strict=True))
    assert total == 2 and uscc.org_check_character("00000001") == "9"


def test_unknown_registrar_is_a_warning_not_an_error() -> None:
    code = uscc.build("B", "1", "110000", "12345678")
    result = uscc.validate(code)
    assert result.valid
    assert any("registering authority 'B'" in w for w in result.warnings)


def test_empty() -> None:
    result = uscc.validate("   ")
    assert not result.valid
    assert result.errors == ["empty code: expected 18 characters"]


def test_check_character_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="expected 17"):
        uscc.check_character("123")
    with pytest.raises(ValueError, match="position 1"):
        uscc.check_character("I" * 17)


def test_validate_many_matches_validate_on_mixed_rows() -> None:
    y_code = uscc.build("Y", "1", "110000", "MA01ABCD")
    rows: list[str | None] = [
        GOOD,
        GOOD.lower(),
        GOOD[:17] + "X",
        GOOD[:17],
        GOOD + "0",
        "９１１１００００６０００３７３４１Ｌ",
        " " + GOOD,
        GOOD[:10] + "O" + GOOD[11:],
        y_code,
        "91" + "1A0000" + "600037341" + uscc.check_character("911A0000600037341"),
        "91110000600037342" + uscc.check_character("91110000600037342"),
        None,
        "",
        "91 110000 600037341L",
    ]
    bulk = uscc.validate_many(rows)
    assert len(bulk) == len(rows)
    for i, row in enumerate(rows):
        if row is None:
            assert bulk.reason[i] == Reason.MISSING
            continue
        single = uscc.validate(row)
        assert bool(bulk.valid[i]) == single.valid, row
        assert bulk.fixes.get(i, row) == single.normalised, row
    assert [Reason(r) for r in bulk.reason] == [
        Reason.OK,
        Reason.OK,
        Reason.CHECK_CHARACTER,
        Reason.LENGTH,
        Reason.LENGTH,
        Reason.OK,
        Reason.OK,
        Reason.ALPHABET,
        Reason.OK,
        Reason.AREA_CODE,
        Reason.ORG_CHECK,
        Reason.MISSING,
        Reason.MISSING,
        Reason.OK,
    ]
    assert bulk.reason_counts()["wrong GB 32100 check character"] == 1


def test_validate_many_accepts_arrow_and_numpy() -> None:
    import numpy as np
    import pyarrow as pa

    rows = [GOOD, GOOD[:17] + "0"]
    assert uscc.validate_many(pa.array(rows)).valid.tolist() == [True, False]
    assert uscc.validate_many(np.array(rows)).valid.tolist() == [True, False]
    assert uscc.validate_many([]).valid.tolist() == []


def test_validate_many_arrow_fast_path_variants() -> None:
    import polars as pl
    import pyarrow as pa

    rows = [GOOD, GOOD.lower(), GOOD[:17] + "X", GOOD[:10] + "O" + GOOD[11:]]
    expected = [True, True, False, False]
    assert uscc.validate_many(pa.array(rows)).valid.tolist() == expected
    assert uscc.validate_many(pa.array(rows, pa.large_string())).valid.tolist() == expected
    assert uscc.validate_many(pa.chunked_array([rows[:1], rows[1:]])).valid.tolist() == expected
    assert uscc.validate_many(pl.Series(rows)).valid.tolist() == expected
    sliced = uscc.validate_many(pa.array(rows).slice(1, 2))
    assert sliced.valid.tolist() == [True, False]
    assert sliced.fixes == {0: GOOD}
    with_null = uscc.validate_many(pa.array([GOOD, None]))
    assert with_null.reason.tolist() == [Reason.OK, Reason.MISSING]
