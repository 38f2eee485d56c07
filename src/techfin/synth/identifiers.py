"""Valid identifiers for synthetic records, built in bulk.

- Unified social credit codes (GB 32100-2015 with the embedded GB 11714 organisation-code
  check), computed over byte matrices. The per-record reference is
  `techfin.codes.uscc.check_character`; the tests check every generated code against it and
  against `techfin.codes.uscc.validate_many`.
- Chinese patent application numbers (`YYYY` + type + 7-digit serial + `.` + check, weights
  2,3,4,5,6,7,8,9,2,3,4,5, sum mod 11, 10 → `X`; docs/official-rules.md §2).

Uniqueness comes from bijections, not from checking: an enterprise's organisation code is an
affine permutation of its global index (pre-2015 firms: 8 digits in [20000000, 99999999];
later firms: `MA` + 6 characters of the 31-character alphabet, as issued since the 2015
reform), so two enterprises never share a code however the chunks are scheduled.
"""

from __future__ import annotations

import math

import numpy as np

from techfin.synth._arrow import ascii_matrix, digit_matrix, hstack

USCC_ALPHABET = b"0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
PATENT_WEIGHTS = np.array([2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5], dtype=np.int64)

_USCC_VALUE = np.full(128, -1, dtype=np.int64)
for _i, _c in enumerate(USCC_ALPHABET):
    _USCC_VALUE[_c] = _i
_ORG_VALUE = np.full(128, -1, dtype=np.int64)
for _c in range(48, 58):
    _ORG_VALUE[_c] = _c - 48
for _c in range(65, 91):
    _ORG_VALUE[_c] = _c - 55

DIGIT_SPACE = 80_000_000  # organisation codes 20000000 … 99999999 for enterprises
DIGIT_OFFSET = 20_000_000
MA_SPACE = 31**6


def _affine(index: np.ndarray, space: int, salt: int) -> np.ndarray:
    """A permutation of [0, space) applied to `index` (multiplier coprime with `space`)."""
    multiplier = 7_368_787  # odd, not a multiple of 5 or 31: coprime with both spaces
    assert math.gcd(multiplier, space) == 1
    return (index.astype(np.int64) * multiplier + salt) % space


def org_bodies(index: np.ndarray, ma_style: np.ndarray, salt: int) -> np.ndarray:
    """8-character organisation-code bodies (n, 8) for enterprises with these global indices."""
    n = len(index)
    out = np.empty((n, 8), dtype=np.uint8)
    digit_vals = DIGIT_OFFSET + _affine(index, DIGIT_SPACE, salt % DIGIT_SPACE)
    out[:] = digit_matrix(digit_vals, 8)
    if ma_style.any():
        v = _affine(index[ma_style], MA_SPACE, salt % MA_SPACE)
        alpha = np.frombuffer(USCC_ALPHABET, dtype=np.uint8)
        ma = np.empty((len(v), 8), dtype=np.uint8)
        ma[:, 0] = ord("M")
        ma[:, 1] = ord("A")
        for col in range(7, 1, -1):
            ma[:, col] = alpha[v % 31]
            v //= 31
        out[ma_style] = ma
    return out


def org_check(bodies: np.ndarray) -> np.ndarray:
    """GB 11714 check characters (n, 1) for (n, 8) bodies."""
    values = _ORG_VALUE[bodies]
    check = 11 - (values @ ORG_WEIGHTS) % 11
    chars = np.where(check == 10, ord("X"), np.where(check == 11, ord("0"), 48 + check))
    return chars.astype(np.uint8)[:, None]


def uscc_check(first17: np.ndarray) -> np.ndarray:
    """GB 32100 check characters (n, 1) for an (n, 17) matrix."""
    values = _USCC_VALUE[first17]
    if (values < 0).any():
        raise ValueError("character outside the credit-code alphabet")
    idx = (31 - (values @ USCC_WEIGHTS) % 31) % 31
    return np.asarray(np.frombuffer(USCC_ALPHABET, dtype=np.uint8)[idx][:, None])


def uscc_matrix(
    area_codes: np.ndarray, bodies: np.ndarray, registrar: str = "9", entity_type: str = "1"
) -> np.ndarray:
    """Complete credit codes (n, 18) from 6-digit area codes (ints) and org bodies (n, 8)."""
    n = len(bodies)
    first17 = hstack(
        ascii_matrix(registrar + entity_type, n),
        digit_matrix(area_codes, 6),
        bodies,
        org_check(bodies),
    )
    return hstack(first17, uscc_check(first17))


def patent_matrix(years: np.ndarray, types: np.ndarray, serials: np.ndarray) -> np.ndarray:
    """Application numbers (n, 14) `YYYYTSSSSSSS.C` from year, type digit and 7-digit serial."""
    body = hstack(digit_matrix(years, 4), digit_matrix(types, 1), digit_matrix(serials, 7))
    total = ((body.astype(np.int64) - 48) @ PATENT_WEIGHTS) % 11
    check = np.where(total == 10, ord("X"), 48 + total).astype(np.uint8)[:, None]
    return hstack(body, ascii_matrix(".", len(body)), check)
