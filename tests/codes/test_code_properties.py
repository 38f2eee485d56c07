"""Property tests and exhaustive proofs of what each check can and cannot detect.

Claims proved here (and stated in docs/codes.md):

USCC (GB 32100 mod-31 over a 31-character alphabet):
- every single-character substitution is detected, at every one of the 18 positions;
- every adjacent transposition of two different characters is detected, including a swap of
  position 17 with the check character.
  Reason: 31 is prime, every weight 3^(i-1) mod 31 is non-zero and w_i ≠ w_(i+1) mod 31, so a
  change (b-a)·w_i or (a-b)·(w_i - w_(i+1)) is never ≡ 0 mod 31 for a ≠ b in 0..30.

Embedded organisation code (GB 11714 mod-11) on its own:
- it does NOT detect a substitution x → y when value(x) ≡ value(y) (mod 11), e.g. 0 ↔ B ↔ M ↔ X,
  1 ↔ C ↔ N ↔ Y (letters are worth 10-35, so three letters share each residue with a digit);
- it does NOT detect an adjacent transposition of x, y with value(x) ≡ value(y) (mod 11);
- digits alone are always caught. Inside a credit code all of these are still caught by the
  mod-31 check (proved below).

Patent application numbers (mod 11 over digits, weights 2..9,2..5):
- every single substitution and every adjacent transposition is detected (digits differ by
  1..9, weights and adjacent weight differences are non-zero mod 11).
"""

from __future__ import annotations

import itertools

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from techfin.codes import patent, uscc
from techfin.codes.check import fold_text, normalise_text

ALPHABET = uscc.ALPHABET
VALUE = {c: i for i, c in enumerate(ALPHABET)}
DIGITS = "0123456789"

area = st.text(alphabet=DIGITS, min_size=6, max_size=6)
org_body = st.text(alphabet=ALPHABET, min_size=8, max_size=8)
registrar = st.sampled_from(ALPHABET)


@st.composite
def credit_codes(draw: st.DrawFn) -> str:
    return uscc.build(draw(registrar), draw(registrar), draw(area), draw(org_body))


# --- USCC: completeness ----------------------------------------------------------------------


@given(credit_codes())
def test_every_built_code_passes(code: str) -> None:
    result = uscc.validate(code)
    assert result.valid, result.errors
    assert uscc.validate_many([code]).valid.tolist() == [True]


@given(credit_codes(), st.integers(min_value=0, max_value=17))
def test_every_single_substitution_is_caught(code: str, position: int) -> None:
    for replacement in ALPHABET + "IOZSV":
        if replacement == code[position]:
            continue
        changed = code[:position] + replacement + code[position + 1 :]
        assert not uscc.validate(changed).valid, (code, changed)


@given(credit_codes(), st.integers(min_value=0, max_value=16))
def test_every_adjacent_transposition_is_caught(code: str, position: int) -> None:
    a, b = code[position], code[position + 1]
    if a == b:
        return
    swapped = code[:position] + b + a + code[position + 2 :]
    assert not uscc.validate(swapped).valid, (code, swapped)


def test_proof_mod31_detects_all_substitutions_and_transpositions() -> None:
    """Exhaustive over the linear terms: independent of the rest of the code."""
    weights = uscc.WEIGHTS
    for w in weights:
        for a, b in itertools.permutations(range(31), 2):
            assert (b - a) * w % 31 != 0
    for w1, w2 in itertools.pairwise(weights):
        for a, b in itertools.permutations(range(31), 2):
            assert (a - b) * (w1 - w2) % 31 != 0
    # Swap of position 17 (weight 28) with the check character: for every partial sum of the
    # first 16 characters and every pair (c17, check) the swapped code fails unless equal.
    for s16 in range(31):
        for c17 in range(31):
            check = (31 - (s16 + c17 * weights[16]) % 31) % 31
            swapped_check = (31 - (s16 + check * weights[16]) % 31) % 31
            assert (swapped_check == c17) == (check == c17)


# --- Embedded GB 11714 check: what it cannot see on its own ------------------------------------


def _org_value(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch) - 55


def _org_passes(org9: str) -> bool:
    return uscc.org_check_character(org9[:8]) == org9[8]


def test_mod11_blind_spots_are_exactly_equal_residues() -> None:
    body = "60003734"
    org = body + uscc.org_check_character(body)
    undetected: set[tuple[str, str]] = set()
    for pos in range(8):
        for replacement in ALPHABET:
            if replacement == org[pos]:
                continue
            changed = org[:pos] + replacement + org[pos + 1 :]
            if _org_passes(changed):
                undetected.add((org[pos], replacement))
    predicted = {
        (x, y)
        for x in set(body)
        for y in ALPHABET
        if x != y and (_org_value(x) - _org_value(y)) % 11 == 0
    }
    assert undetected == predicted
    assert ("0", "B") in undetected and ("0", "M") in undetected and ("0", "X") in undetected
    # No digit-for-digit substitution is missed.
    assert all(not (x.isdigit() and y.isdigit()) for x, y in undetected)


def test_mod11_transposition_blind_spots() -> None:
    weights = uscc.ORG_WEIGHTS
    assert all((w1 - w2) % 11 != 0 for w1, w2 in itertools.pairwise(weights))
    # So a transposition is missed iff the two values agree mod 11, e.g. "0B" ↔ "B0".
    body = "0B345678"
    org = body + uscc.org_check_character(body)
    swapped = "B0345678"
    assert _org_passes(swapped + org[8])


@given(credit_codes(), st.integers(min_value=8, max_value=15))
def test_credit_code_catches_what_mod11_misses(code: str, position: int) -> None:
    original = code[position]
    for replacement in ALPHABET:
        if replacement != original and (_org_value(replacement) - _org_value(original)) % 11 == 0:
            changed = code[:position] + replacement + code[position + 1 :]
            assert _org_passes(changed[8:17])  # the org check alone is blind here
            result = uscc.validate(changed)
            assert not result.valid
            assert any("position 18" in e for e in result.errors)


# --- Bulk path agrees with the single path ----------------------------------------------------


mutations = st.sampled_from(["none", "lower", "sub", "swap", "cut", "extra", "space", "fullwidth"])


@st.composite
def dirty_codes(draw: st.DrawFn) -> str:
    code = draw(credit_codes())
    kind = draw(mutations)
    pos = draw(st.integers(min_value=0, max_value=16))
    if kind == "lower":
        return code.lower()
    if kind == "sub":
        return code[:pos] + draw(st.sampled_from(ALPHABET + "IOZSV-a")) + code[pos + 1 :]
    if kind == "swap":
        return code[:pos] + code[pos + 1] + code[pos] + code[pos + 2 :]
    if kind == "cut":
        return code[:17]
    if kind == "extra":
        return code + "0"
    if kind == "space":
        return " " + code + " "
    if kind == "fullwidth":
        return code.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    return code


@given(st.lists(dirty_codes(), min_size=1, max_size=40))
def test_validate_many_agrees_with_validate(rows: list[str]) -> None:
    bulk = uscc.validate_many(rows)
    arrow = uscc.validate_many(pa.array(rows))
    assert arrow.reason.tolist() == bulk.reason.tolist()
    assert arrow.fixes == bulk.fixes
    for i, row in enumerate(rows):
        single, reason = uscc._analyse(row, check_org=True)
        assert bool(bulk.valid[i]) == single.valid, row
        assert bulk.reason[i] == reason, row
        assert uscc.reason_of(row) is reason, row
        assert uscc.is_valid(row) == single.valid, row
        assert bulk.fixes.get(i, row) == single.normalised, row


@given(st.text(max_size=30))
def test_fold_text_matches_normalise_text(text: str) -> None:
    assert fold_text(text, " -") == normalise_text(text, separators=" -")[0]
    assert uscc.reason_of(text) is uscc._analyse(text, check_org=True)[1]


# --- Patent numbers ---------------------------------------------------------------------------

patent_body = st.builds(
    lambda y, t, s: f"{y}{t}{s}",
    st.integers(min_value=2003, max_value=2030),
    st.sampled_from("12389"),
    st.text(alphabet=DIGITS, min_size=7, max_size=7),
)


@given(patent_body)
def test_patent_with_computed_check_passes(body: str) -> None:
    number = f"{body}.{patent.check_digit(body)}"
    result = patent.validate(number)
    assert result.valid, result.errors
    assert patent.validate("CN" + number.replace(".", "")).valid


@given(patent_body, st.integers(min_value=0, max_value=12))
def test_patent_single_substitution_caught(body: str, position: int) -> None:
    number = body + patent.check_digit(body)
    for replacement in DIGITS + "X":
        if replacement == number[position] or (position < 12 and replacement == "X"):
            continue
        changed = number[:position] + replacement + number[position + 1 :]
        assert not patent.validate(changed[:12] + "." + changed[12]).valid, changed


@given(patent_body, st.integers(min_value=0, max_value=11))
def test_patent_adjacent_transposition_caught(body: str, position: int) -> None:
    number = body + patent.check_digit(body)
    a, b = number[position], number[position + 1]
    if a == b or "X" in (a, b):
        return
    swapped = number[:position] + b + a + number[position + 2 :]
    assert not patent.validate(swapped[:12] + "." + swapped[12]).valid, swapped


def test_proof_patent_mod11() -> None:
    for weights in (patent.WEIGHTS, patent.OLD_WEIGHTS):
        assert all(w % 11 for w in weights)
        assert all((w1 - w2) % 11 for w1, w2 in itertools.pairwise(weights))
        # Swap of the last digit with a digit check character.
        for partial in range(11):
            for last in range(10):
                check = (partial + last * weights[-1]) % 11
                if check == 10:
                    continue
                swapped = (partial + check * weights[-1]) % 11
                assert (swapped == last) == (check == last)
