"""Unified social credit code (统一社会信用代码), GB 32100-2015.

Implements `docs/official-rules.md` §1 (guidance art. 16: government records are joined by this
code after validation):

- 18 characters from the 31-character alphabet `0123456789ABCDEFGHJKLMNPQRTUWXY` (no I, O, Z,
  S, V): [1] registering authority, [2] entity type, [3–8] administrative area code (digits),
  [9–17] organisation code (GB 11714), [18] check character;
- check character = alphabet[(31 − Σ c_i·w_i mod 31) mod 31] with w_i = 3^(i−1) mod 31;
- the embedded organisation code has its own GB 11714 check: weights 3,7,9,10,5,8,4,2 over
  its first 8 characters (digits as values, letters A=10 … Z=35), check = 11 − (Σ mod 11),
  10 → `X`, 11 → `0`.

Codes whose registrar or organisation code hold letters (registrar `Y`, `A`, `N`; org codes
such as `MA…`) are valid: a popular library wrongly requires the first 8 characters to be
digits *and* does not check the organisation code at all (see `docs/codes.md`).

`validate` explains one code; `validate_many` is the bulk path for ingest of millions of
codes (NumPy table lookups over a byte matrix) and agrees with `validate` row by row.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from functools import cache
from importlib import resources
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import yaml

from techfin.codes.check import CodeCheck, describe_char, fold_text, normalise_text

ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
EXCLUDED_LETTERS: Final = "IOZSV"
WEIGHTS: Final = tuple(pow(3, i, 31) for i in range(17))
ORG_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)
LENGTH: Final = 18
RULE_VERSION: Final = "GB 32100-2015 + GB 11714-1997"

_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# Letters that look like excluded ones: a hint for the error message, never a silent fix.
_LOOKALIKE = {"I": "1", "O": "0", "Z": "2", "S": "5", "V": "U"}


@cache
def _registry() -> dict[str, Any]:
    text = resources.files("techfin.codes").joinpath("data/uscc_registrars.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def registry_version() -> str:
    """Version of the registrar/entity-type table in use."""
    return str(_registry()["version"])


def check_character(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a credit code.

    `first17` must be exactly 17 characters of the 31-character alphabet (uppercase); raises
    `ValueError` otherwise.
    """
    if len(first17) != 17:
        raise ValueError(f"expected 17 characters, got {len(first17)}")
    total = 0
    for i, (ch, w) in enumerate(zip(first17, WEIGHTS, strict=True), start=1):
        value = _VALUE.get(ch)
        if value is None:
            raise ValueError(
                f"character {describe_char(ch)} at position {i} is not in the alphabet"
            )
        total += value * w
    return ALPHABET[(31 - total % 31) % 31]


def _org_value(ch: str) -> int | None:
    if "0" <= ch <= "9":
        return ord(ch) - 48
    if "A" <= ch <= "Z":
        return ord(ch) - 55
    return None


def org_check_character(body8: str) -> str:
    """The GB 11714 check character for the first 8 characters of an organisation code.

    Digits count as their value and letters A=10 … Z=35; the result is a digit or `X`.
    """
    if len(body8) != 8:
        raise ValueError(f"expected 8 characters, got {len(body8)}")
    total = 0
    for i, (ch, w) in enumerate(zip(body8, ORG_WEIGHTS, strict=True), start=1):
        value = _org_value(ch)
        if value is None:
            raise ValueError(f"character {describe_char(ch)} at position {i} is not a digit or A-Z")
        total += value * w
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def build(registrar: str, entity_type: str, area_code: str, org_body: str) -> str:
    """Assemble a code with both check characters computed (for tests and synthetic data).

    `org_body` is the 8-character organisation code body; its GB 11714 check is appended,
    then the GB 32100 check character.
    """
    org = org_body + org_check_character(org_body)
    first17 = registrar + entity_type + area_code + org
    return first17 + check_character(first17)


class Reason(IntEnum):
    """Why a code failed, for the bulk path (the first problem found, in this order)."""

    OK = 0
    MISSING = 1
    LENGTH = 2
    ALPHABET = 3
    AREA_CODE = 4
    ORG_CHECK = 5
    CHECK_CHARACTER = 6

    @property
    def message(self) -> str:
        return _REASON_TEXT[self]


_REASON_TEXT = {
    Reason.OK: "valid",
    Reason.MISSING: "no code given",
    Reason.LENGTH: "not 18 characters",
    Reason.ALPHABET: "character outside the 31-character alphabet",
    Reason.AREA_CODE: "area code (positions 3-8) is not 6 digits",
    Reason.ORG_CHECK: "embedded organisation code fails its GB 11714 check",
    Reason.CHECK_CHARACTER: "wrong GB 32100 check character",
}


def _analyse(code: str, *, check_org: bool) -> tuple[CodeCheck, Reason]:
    text, notes = normalise_text(code, separators=" -")
    errors: list[str] = []
    warnings: list[str] = []
    parts: dict[str, str | int | None] = {}
    reason = Reason.OK

    def fail(r: Reason, message: str) -> None:
        nonlocal reason
        if reason is Reason.OK:
            reason = r
        errors.append(message)

    if not text:
        fail(Reason.MISSING, "empty code: expected 18 characters")
        return _result(code, text, errors, warnings, notes, parts), reason

    bad = [(i, ch) for i, ch in enumerate(text, start=1) if ch not in _VALUE]
    for i, ch in bad:
        hint = ""
        if ch in _LOOKALIKE:
            hint = (
                f" (the letters {', '.join(EXCLUDED_LETTERS)} are never used;"
                f" did you mean '{_LOOKALIKE[ch]}'?)"
            )
        fail(
            Reason.ALPHABET,
            f"character {describe_char(ch)} at position {i} is not in the alphabet "
            f"{ALPHABET}{hint}",
        )

    if len(text) != LENGTH:
        message = f"{len(text)} characters: a credit code has exactly 18"
        if len(text) == 17 and not bad:
            missing = check_character(text)
            message += f" (17 given: is the check character missing? it would be '{missing}')"
        # Length is reported first: it is the more basic fault.
        errors.insert(0, message)
        reason = Reason.LENGTH
        return _result(code, text, errors, warnings, notes, parts), reason

    registrar, entity_type, area, org = text[0], text[1], text[2:8], text[8:17]
    parts.update(
        registrar=registrar,
        entity_type=entity_type,
        area_code=area,
        organisation_code=org,
        check_character=text[17],
    )
    table = _registry()
    reg = table["registrars"].get(registrar)
    if reg is None:
        warnings.append(f"registering authority '{registrar}' is not in the GB 32100 table")
    else:
        parts["registrar_name"] = reg["name"]
        type_name = reg["types"].get(entity_type)
        if type_name is None:
            warnings.append(
                f"entity type '{entity_type}' is not listed for registrar '{registrar}'"
                f" ({reg['name']})"
            )
        else:
            parts["entity_type_name"] = type_name

    if not area.isdigit() or not area.isascii():
        fail(Reason.AREA_CODE, f"area code '{area}' (positions 3-8) must be 6 digits")
    else:
        province = table["provinces"].get(area[:2])
        if province is None:
            warnings.append(f"area code '{area}' does not start with a known province code")
        else:
            parts["province"] = province

    if not bad:
        if check_org:
            org_check = org[8]
            if not (org_check.isdigit() or org_check == "X"):
                fail(
                    Reason.ORG_CHECK,
                    f"organisation code check character '{org_check}' (position 17) must be a"
                    " digit or 'X'",
                )
            else:
                expected_org = org_check_character(org[:8])
                if expected_org != org_check:
                    fail(
                        Reason.ORG_CHECK,
                        f"organisation code {org} fails its GB 11714 check: position 17 is"
                        f" '{org_check}', expected '{expected_org}'",
                    )
        expected = check_character(text[:17])
        if expected != text[17]:
            fail(
                Reason.CHECK_CHARACTER,
                f"check character (position 18) is '{text[17]}', expected '{expected}'",
            )
    return _result(code, text, errors, warnings, notes, parts), reason


def _result(
    code: str,
    text: str,
    errors: list[str],
    warnings: list[str],
    notes: list[str],
    parts: dict[str, str | int | None],
) -> CodeCheck:
    return CodeCheck(
        kind="uscc",
        input=code,
        normalised=text,
        valid=not errors,
        errors=errors,
        warnings=warnings,
        normalisations=notes,
        parts=parts,
        rule_version=f"{RULE_VERSION}; table {registry_version()}",
    )


def validate(code: str, *, check_org: bool = True) -> CodeCheck:
    """Check one credit code and explain the result.

    Normalises where the intent is unambiguous and says so in `normalisations`: full-width
    characters → half-width, lowercase → uppercase, surrounding whitespace and inner spaces
    or hyphens removed. Rejects wrong lengths (17 and 19 included), characters outside the
    alphabet (I, O, Z, S, V, punctuation), an area code that is not 6 digits, a failing
    embedded organisation-code check and a wrong check character — each with its own error.

    `check_org=False` skips the GB 11714 check of positions 9-17 (for sources known to carry
    codes whose organisation part was assigned outside GB 11714); the default follows the
    standard.
    """
    return _analyse(code, check_org=check_org)[0]


def is_valid(code: str, *, check_org: bool = True) -> bool:
    """Same answer as `validate(code).valid`, without building the explanation."""
    return reason_of(code, check_org=check_org) is Reason.OK


def reason_of(code: str, *, check_org: bool = True) -> Reason:
    """The first problem `validate` would report, as a `Reason` (OK when valid); fast."""
    return _reason(fold_text(code, " -"), check_org)


def _reason(text: str, check_org: bool) -> Reason:
    if not text:
        return Reason.MISSING
    if len(text) != LENGTH:
        return Reason.LENGTH
    value = _VALUE
    total = 0
    for ch, w in zip(text, WEIGHTS, strict=False):
        v = value.get(ch)
        if v is None:
            return Reason.ALPHABET
        total += v * w
    last = value.get(text[17])
    if last is None:
        return Reason.ALPHABET
    if not text[2:8].isdigit():
        return Reason.AREA_CODE
    if check_org:
        org_check = text[16]
        if not (org_check.isdigit() or org_check == "X"):
            return Reason.ORG_CHECK
        if org_check_character(text[8:16]) != org_check:
            return Reason.ORG_CHECK
    if (31 - total % 31) % 31 != last:
        return Reason.CHECK_CHARACTER
    return Reason.OK


# ---------------------------------------------------------------------------------------------
# Bulk path


def _tables() -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """Byte → alphabet value (255 = not in the alphabet; lowercase maps like uppercase),
    byte → GB 11714 value (digits 0-9, letters 10-35), byte → 1 if `validate` would
    normalise it away or fold it (whitespace, hyphen, any non-ASCII byte)."""
    value = np.full(256, 255, dtype=np.uint8)
    org = np.zeros(256, dtype=np.uint8)
    foldable = np.zeros(256, dtype=np.uint8)
    for i, ch in enumerate(ALPHABET):
        value[ord(ch)] = i
        if ch.isalpha():
            value[ord(ch.lower())] = i  # lowercase is normalised, not rejected
    for c in range(128):
        v = _org_value(chr(c).upper())
        if v is not None and chr(c).isalnum():
            org[c] = v
    for ch in " -\t\r\n":
        foldable[ord(ch)] = 1
    foldable[128:] = 1
    return value, org, foldable


_VALUE_LUT, _ORG_LUT, _FOLDABLE_LUT = _tables()
_ORG_CHECK_BYTE = np.array([0] + [48 + i for i in range(1, 10)] + [ord("X"), 48], dtype=np.uint8)


def _kernel(
    mat: npt.NDArray[np.uint8], check_org: bool
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Reasons, 'has lowercase' and 'needs the per-code path' for an (n, 18) byte matrix.

    Works column by column on the transposed matrix: per-position operations are then
    contiguous, which is several times faster than reducing along rows of 18 bytes.
    """
    cols = np.ascontiguousarray(mat.T)
    vals = _VALUE_LUT[cols]
    n = cols.shape[1]
    reason = np.zeros(n, dtype=np.uint8)
    bad_alpha = vals.max(axis=0) == 255
    area_ok = vals[2:8].max(axis=0) <= 9
    total = np.zeros(n, dtype=np.int32)
    for i, w in enumerate(WEIGHTS):
        total += vals[i] * np.int32(w)
    check_ok = ((31 - total % 31) % 31) == vals[17]
    org_bad = np.zeros(n, dtype=np.bool_)
    if check_org:
        org_vals = _ORG_LUT[cols[8:16]]
        org_total = np.zeros(n, dtype=np.int32)
        for i, w in enumerate(ORG_WEIGHTS):
            org_total += org_vals[i] * np.int32(w)
        expected = _ORG_CHECK_BYTE[11 - org_total % 11]
        got = cols[16]
        got = np.where(got == ord("x"), np.uint8(ord("X")), got)
        org_bad = expected != got
        reason[org_bad] = Reason.ORG_CHECK
    # Later assignments win, so write them from the last-checked to the first-checked.
    reason[~check_ok & ~org_bad] = Reason.CHECK_CHARACTER
    reason[~area_ok] = Reason.AREA_CODE
    reason[bad_alpha] = Reason.ALPHABET
    lower: npt.NDArray[np.bool_] = cols.max(axis=0) >= ord("a")
    foldable = np.zeros(n, dtype=np.bool_)
    suspect = np.flatnonzero(bad_alpha)
    if suspect.size:
        foldable[suspect] = _FOLDABLE_LUT[cols[:, suspect]].max(axis=0) > 0
    return reason, lower, foldable


@dataclass(frozen=True, slots=True)
class BulkCheck:
    """Result of `validate_many`, one entry per input row.

    - `valid`: bool array;
    - `reason`: uint8 array of `Reason` values (the first problem found, 0 when valid);
    - `fixes`: row → normalised code, only for rows that needed normalisation (lowercase,
      full-width, spaces); every other row's normalised form is its input unchanged.
    """

    valid: npt.NDArray[np.bool_]
    reason: npt.NDArray[np.uint8]
    fixes: dict[int, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.valid.shape[0])

    @property
    def valid_count(self) -> int:
        return int(self.valid.sum())

    def reason_counts(self) -> dict[str, int]:
        """Reason message → number of rows (valid rows excluded)."""
        counts = np.bincount(self.reason, minlength=len(Reason))
        return {Reason(i).message: int(n) for i, n in enumerate(counts) if i and n}


def _as_strings(codes: Any) -> list[Any]:
    """Accept a sequence of str (None allowed), a NumPy array, or a pyarrow/polars column."""
    if isinstance(codes, list):
        return codes
    to_pylist = getattr(codes, "to_pylist", None)
    if callable(to_pylist):
        result: list[Any] = to_pylist()
        return result
    to_list = getattr(codes, "to_list", None)
    if callable(to_list):
        result = to_list()
        return result
    if isinstance(codes, np.ndarray):
        result = codes.tolist()
        return result
    return list(codes)


def validate_many(
    codes: Sequence[str | None] | Iterable[str | None] | Any, *, check_org: bool = True
) -> BulkCheck:
    """Validate many codes at once (batch ingest); agrees with `validate` row by row.

    Accepts a list of str (None allowed), a NumPy array, or a pyarrow / polars string column.
    Rows that are plain 18-character ASCII go through a vectorised NumPy kernel (lowercase
    letters included, reported in `fixes`); the rest (other lengths, full-width characters,
    spaces, None) go through `validate` one by one, so their normalisation and reason are
    exactly the per-code ones. An Arrow string column whose values are all 18 bytes is read
    straight from its data buffer, without making Python strings.
    """
    arrow = _arrow_matrix(codes)
    if arrow is not None:
        array, fast, mat = arrow
        return _finish(len(array), fast, mat, lambda i: array[i].as_py(), check_org)
    rows = _as_strings(codes)
    n = len(rows)
    try:
        lengths = np.fromiter(map(len, rows), dtype=np.int64, count=n)
    except TypeError:
        lengths = np.fromiter(
            (len(r) if isinstance(r, str) else -1 for r in rows), dtype=np.int64, count=n
        )
    fast = np.flatnonzero(lengths == LENGTH)
    picked = _pick(rows, fast)
    try:
        raw = "".join(picked).encode("ascii")
    except UnicodeEncodeError:
        ascii_rows = np.fromiter(map(str.isascii, picked), dtype=np.bool_, count=len(picked))
        fast = fast[ascii_rows]
        raw = "".join(_pick(rows, fast)).encode("ascii")
    mat = np.frombuffer(raw, dtype=np.uint8).reshape(-1, LENGTH)
    return _finish(n, fast, mat, rows.__getitem__, check_org)


def _pick(rows: list[Any], index: npt.NDArray[np.intp]) -> list[str] | tuple[str, ...]:
    if index.size == len(rows):
        return rows
    if index.size == 0:
        return ()
    if index.size == 1:
        return (rows[int(index[0])],)
    picked: tuple[str, ...] = operator.itemgetter(*index.tolist())(rows)
    return picked


def _finish(
    n: int,
    fast: npt.NDArray[np.intp],
    mat: npt.NDArray[np.uint8],
    row_at: Any,
    check_org: bool,
) -> BulkCheck:
    """Run the kernel on the rows in `fast` (whose bytes are `mat`), the rest one by one."""
    reason = np.zeros(n, dtype=np.uint8)
    fixes: dict[int, str] = {}
    slow_mask = np.ones(n, dtype=np.bool_)
    slow_mask[fast] = False
    if fast.size:
        fast_reason, lower, recheck = _kernel(mat, check_org)
        # A space or hyphen inside an 18-character row is normalised away by `validate` (and
        # an Arrow row may hold non-ASCII bytes), so such rows are re-checked one by one.
        if recheck.any():
            slow_mask[fast[recheck]] = True
            keep = ~recheck
            fast, fast_reason, lower = fast[keep], fast_reason[keep], lower[keep]
        reason[fast] = fast_reason
        for i in fast[lower].tolist():
            fixes[i] = str(row_at(i)).upper()
    # The rest: fold each row in Python (full-width, spaces, hyphens, lowercase), then send
    # the rows that became 18 ASCII characters through the kernel as a second batch.
    second: list[int] = []
    second_text: list[str] = []
    for i in np.flatnonzero(slow_mask).tolist():
        row = row_at(i)
        if not isinstance(row, str):
            reason[i] = Reason.MISSING
            continue
        text = fold_text(row, " -")
        if text != row:
            fixes[i] = text
        if len(text) == LENGTH and text.isascii():
            second.append(i)
            second_text.append(text)
        else:
            reason[i] = _reason(text, check_org)
    if second:
        raw = "".join(second_text).encode("ascii")
        second_reason, _, _ = _kernel(
            np.frombuffer(raw, dtype=np.uint8).reshape(-1, LENGTH), check_org
        )
        reason[np.asarray(second, dtype=np.intp)] = second_reason
    return BulkCheck(valid=reason == Reason.OK, reason=reason, fixes=fixes)


def _arrow_matrix(
    codes: Any,
) -> tuple[Any, npt.NDArray[np.intp], npt.NDArray[np.uint8]] | None:
    """(array, rows of 18 bytes, their n×18 byte matrix) for an Arrow/Polars string column,
    read from the column's buffers; None for anything else."""
    module = type(codes).__module__
    if not module.startswith(("pyarrow", "polars")):
        return None
    import pyarrow as pa

    array = codes
    if module.startswith("polars"):
        array = codes.to_arrow()
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if not isinstance(array, pa.Array):
        return None
    if pa.types.is_string_view(array.type):
        array = array.cast(pa.string())
    if pa.types.is_string(array.type):
        offset_type: Any = np.int32
    elif pa.types.is_large_string(array.type):
        offset_type = np.int64
    else:
        return None
    n = len(array)
    if n == 0:
        return None
    _, offsets_buf, data_buf = array.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=offset_type)[array.offset : array.offset + n + 1]
    data = (
        np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    )
    byte_lengths = np.diff(offsets)
    ok = byte_lengths == LENGTH
    if array.null_count:
        ok &= np.asarray(array.is_valid().to_numpy(zero_copy_only=False), dtype=np.bool_)
    if ok.all():
        start = int(offsets[0])
        return array, np.arange(n), data[start : start + LENGTH * n].reshape(n, LENGTH)
    fast = np.flatnonzero(ok)
    starts = offsets[:-1][fast].astype(np.intp)
    mat = data[starts[:, None] + np.arange(LENGTH)]
    return array, fast, mat
