"""CLI for identifiers: `techfin codes check KIND VALUE [--json]`.

KIND is `uscc` (unified social credit code), `patent` (CN application number) or `industry`
(GB/T 4754-2017 code). A valid value prints its parts (or the JSON of the check) and exits 0;
an invalid one prints one line on stderr and exits 2 (with `--json` the full check is still
printed on stdout first, for scripts).
"""

from __future__ import annotations

import typer

from techfin.cli._common import emit_json, fail

KINDS = ("uscc", "patent", "industry")

codes_app = typer.Typer(
    name="codes",
    help="Identifiers: credit codes, patent application numbers, industry codes.",
    no_args_is_help=True,
)


@codes_app.command("check")
def check(
    kind: str = typer.Argument(..., help="uscc | patent | industry"),
    value: str = typer.Argument(..., help="The code to check (quote it if it has spaces)."),
    json_output: bool = typer.Option(False, "--json", help="Print the check as JSON."),
) -> None:
    """Validate one code, say what was normalised and show its parsed parts."""
    kind = kind.strip().lower()
    if kind not in KINDS:
        fail(f"unknown kind {kind!r}: expected one of {', '.join(KINDS)}")
    if kind == "uscc":
        from techfin.codes import uscc

        result = uscc.validate(value)
    elif kind == "patent":
        from techfin.codes import patent

        result = patent.validate(value)
    else:
        from techfin.codes import industry

        result = industry.validate(value)
        if result.valid:
            extra = _industry_mappings(result.normalised)
            result.parts.update(extra)

    if json_output:
        emit_json(result.to_dict())
    if not result.valid:
        fail(f"invalid {kind} {value!r}: " + "; ".join(result.errors))
    if json_output:
        return
    typer.echo(f"valid {kind}: {result.normalised}")
    for note in result.normalisations:
        typer.echo(f"  normalised: {note}")
    for warning in result.warnings:
        typer.echo(f"  warning: {warning}")
    for key, part in result.parts.items():
        typer.echo(f"  {key}: {part}")


def _industry_mappings(code: str) -> dict[str, str | int | None]:
    from techfin.codes import industry

    out: dict[str, str | int | None] = {}
    try:
        out["sme_size_group"] = industry.sme_size_group(code)
    except industry.OutOfScope as exc:
        out["sme_size_group"] = f"n/a ({exc})"
    out["high_tech_manufacturing"] = industry.high_tech_manufacturing(code)
    out["strategic_emerging"] = ", ".join(industry.strategic_emerging(code)) or None
    return out


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.add_typer(codes_app, name="codes")
