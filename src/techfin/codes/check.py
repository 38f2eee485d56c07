"""The result of checking one identifier (credit code, patent number, industry code).

Every validator in `techfin.codes` returns a `CodeCheck`, so that ingest, the API and the CLI
report bad input the same way: whether the value is valid, each precise error, what was
normalised on the way (full-width → half-width, lowercase → uppercase, trimmed spaces) and the
parts parsed out of the value.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

PartValue = str | int | None


@dataclass(frozen=True, slots=True)
class CodeCheck:
    """Outcome of validating one code.

    - `kind`: which validator ran (`uscc`, `patent`, `industry`).
    - `input`: the value exactly as given.
    - `normalised`: the value after the unambiguous normalisations listed in `normalisations`
      (this is the form to store and join on; it is filled even when the code is invalid).
    - `valid`: True only when `errors` is empty.
    - `errors`: one precise English sentence per problem found.
    - `warnings`: things worth a look that do not make the code invalid (for example a
      registrar code not in the table this version knows).
    - `parts`: the fields parsed out of the code (names depend on the kind).
    - `rule_version`: the rule set that was applied (standard and data version).
    """

    kind: str
    input: str
    normalised: str
    valid: bool
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    normalisations: list[str] = field(default_factory=list)
    parts: dict[str, PartValue] = field(default_factory=dict)
    rule_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (plain str/int/bool/list/dict values)."""
        return {
            "kind": self.kind,
            "input": self.input,
            "normalised": self.normalised,
            "valid": self.valid,
            "errors": list(self.errors),
            "warnings": list(self.warnings),
            "normalisations": list(self.normalisations),
            "parts": dict(self.parts),
            "rule_version": self.rule_version,
        }

    def __bool__(self) -> bool:
        return self.valid


# Full-width ASCII variants (U+FF01..U+FF5E) map to U+0021..U+007E; U+3000 is the
# ideographic space. Only these are folded: NFKC would also fold e.g. circled digits or
# superscripts, whose intent is not unambiguous.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20

_SPACES = " \t\r\n\u00a0\u3000"
_UPPER = {cp: cp - 32 for cp in range(ord("a"), ord("z") + 1)}


def fold_text(value: str, separators: str = "") -> str:
    """The text `normalise_text` produces (with `upper=True`), without the notes: for bulk
    paths that only need the result."""
    text = value.translate(_FULLWIDTH).strip(_SPACES)
    for sep in separators:
        if sep in text:
            text = text.replace(sep, "")
    return text.translate(_UPPER)


def normalise_text(
    value: str, *, separators: str = "", upper: bool = True
) -> tuple[str, list[str]]:
    """Apply the unambiguous normalisations and say which ones applied.

    Folds full-width ASCII to half-width, trims surrounding whitespace, removes the given
    inner `separators` (and inner spaces when a space is listed) and, when `upper`, turns
    lowercase ASCII letters to uppercase. Returns the new text and the list of notes.
    """
    notes: list[str] = []
    text = value
    folded = text.translate(_FULLWIDTH)
    if folded != text:
        notes.append("full-width characters converted to half-width")
        text = folded
    stripped = text.strip(_SPACES)
    if stripped != text:
        notes.append("surrounding whitespace trimmed")
        text = stripped
    if separators:
        found = [s for s in separators if s in text]
        if found:
            shown = ", ".join(repr(s) for s in found)
            notes.append(f"separators removed ({shown})")
            text = "".join(ch for ch in text if ch not in separators)
    if upper:
        uppered = "".join(ch.upper() if "a" <= ch <= "z" else ch for ch in text)
        if uppered != text:
            notes.append("lowercase letters converted to uppercase")
            text = uppered
    return text, notes


def describe_char(ch: str) -> str:
    """A readable name for a character in an error message."""
    if ch.isprintable() and not ch.isspace():
        name = unicodedata.name(ch, "")
        return f"'{ch}'" + (f" ({name})" if name and not ch.isascii() else "")
    return f"U+{ord(ch):04X}"
