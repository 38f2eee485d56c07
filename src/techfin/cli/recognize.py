"""CLI for recognition: `techfin recognize --input FILE.json [--json]` and
`techfin recognize --enterprise ID [--json]`.

The input file holds one enterprise (an object) or several (a list of objects, each may have
an `id`). An enterprise object has an optional `as_of` date and one section per rule set to
evaluate, whose keys are the keyword arguments of the Python API (docs/recognition.md):

    {"id": "demo-1", "as_of": "2026-06-30",
     "size": {"industry": "工业", "employees": 120, "revenue": "8000"},
     "tech_sme": {"employees": 120, "sales": "8000", ...},
     "hnte": {...}, "innovative_sme": {...}, "srdi": {...}, "little_giant": {...},
     "tags": {"industry_code": "C3911", "ipc_classes": ["H01M 10/05"]}}

Money in 万元 and ratios as fractions; JSON numbers are read as exact decimals. Bad input
prints one line on stderr and exits 2. `--enterprise` evaluates from the platform database
through `techfin.services.recognition.evaluate_enterprise`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import typer

from techfin.cli._common import emit_json, fail

SECTIONS = ("size", "tech_sme", "hnte", "innovative_sme", "srdi", "little_giant", "tags")
DATE_KEYS = ("as_of", "registered_on")


def _dates(args: dict[str, Any], where: str) -> dict[str, Any]:
    out = dict(args)
    for key in DATE_KEYS:
        if isinstance(out.get(key), str):
            try:
                out[key] = dt.date.fromisoformat(out[key])
            except ValueError:
                fail(f"{where}.{key}: not an ISO date: {out[key]!r}")
    return out


def evaluate_document(doc: dict[str, Any], where: str = "input") -> dict[str, Any]:
    """Evaluate every section of one enterprise object; returns the results as dicts."""
    from techfin.recognition import (
        hnte,
        innovative_sme,
        little_giant,
        size,
        srdi,
        tags,
        tech_sme,
    )

    unknown = sorted(set(doc) - set(SECTIONS) - {"id", "as_of", "name"})
    if unknown:
        fail(f"{where}: unknown section(s) {', '.join(unknown)} (known: {', '.join(SECTIONS)})")
    as_of = _dates({"as_of": doc.get("as_of")}, where)["as_of"]
    results: dict[str, Any] = {}
    if "id" in doc:
        results["id"] = doc["id"]
    if as_of is not None:
        results["as_of"] = as_of.isoformat()
    for section in SECTIONS:
        if section not in doc:
            continue
        args = doc[section]
        if not isinstance(args, dict):
            fail(f"{where}.{section}: expected an object of the API's keyword arguments")
        args = _dates(args, f"{where}.{section}")
        if as_of is not None:
            args.setdefault("as_of", as_of)
        try:
            if section == "size":
                industry = args.pop("industry", None)
                if industry is None:
                    fail(f"{where}.size.industry: required")
                result: Any = size.classify(industry, **args)
            elif section == "tags":
                result = tags.tag(**args)
            else:
                module = {
                    "tech_sme": tech_sme,
                    "hnte": hnte,
                    "innovative_sme": innovative_sme,
                    "srdi": srdi,
                    "little_giant": little_giant,
                }[section]
                result = module.evaluate(**args)
        except (ValueError, TypeError) as exc:
            fail(f"{where}.{section}: {exc}")
        results[section] = result.to_dict()
    if not any(s in results for s in SECTIONS):
        fail(f"{where}: no section to evaluate (give one of {', '.join(SECTIONS)})")
    return results


def _print(results: dict[str, Any]) -> None:
    head = results.get("id")
    if head is not None:
        typer.echo(f"== {head}")
    for section in SECTIONS:
        r = results.get(section)
        if r is None:
            continue
        version = r.get("rule_version", "")
        if section == "size":
            typer.echo(f"[size] {r['size']} ({r['industry_name']}) — {r['reason']}  [{version}]")
            continue
        if section == "tags":
            keys = ", ".join(t["key"] for t in r["tags"]) or "none"
            typer.echo(f"[tags] {keys}  [{version}]")
            for t in r["tags"]:
                for why in t["reasons"]:
                    typer.echo(f"    {t['key']}: {why}")
            continue
        if section == "hnte":
            s = r["score"]
            typer.echo(
                f"[hnte] {r['verdict']} — score [{s['min']}, {s['max']}] (must be above "
                f"{s['must_be_above']}); {r['reason']}  [{version}]"
            )
            for c in r["conditions"]:
                typer.echo(f"    {c['status']:>8}  {c['label']}: {c['reason']}")
            for i in r["items"]:
                pts = str(i["min"]) if i["exact"] else f"{i['min']}–{i['max']}"
                typer.echo(f"    {pts:>6}/{i['maximum']:<3} {i['label']}: {i['reason']}")
        elif section in ("tech_sme", "innovative_sme"):
            verdict = "passes" if r["passed"] else "fails"
            parts = ", ".join(f"{k} {v}" for k, v in r["parts"].items())
            typer.echo(f"[{section}] {verdict} — total {r['total']} ({parts})  [{version}]")
            for why in r["reasons"]:
                typer.echo(f"    {why}")
            for c in r["eligibility"]:
                if c["status"] != "met":
                    typer.echo(f"    {c['status']:>8}  {c['label']}: {c['reason']}")
        else:
            score = r.get("score")
            extra = f" — score [{score['min']}, {score['max']}]" if score else ""
            flag = "" if r["confirmed"] else " (unconfirmed rules)"
            typer.echo(f"[{section}] {r['verdict']}{extra}  [{version}{flag}]")
            for c in r["conditions"]:
                typer.echo(f"    {c['status']:>8}  {c['label']}: {c['reason']}")
        for a in r.get("assumptions", []):
            typer.echo(f"    assumed: {a}")


def _print_stored(data: dict[str, Any]) -> None:
    """Print an evaluation the platform stored: {enterprise_id, as_of, evaluations: {title:
    {outcome, rule_version, result}}}."""
    typer.echo(f"== enterprise {data.get('enterprise_id')} as of {data.get('as_of')}")
    for title, entry in (data.get("evaluations") or {}).items():
        if not isinstance(entry, dict):
            continue
        if entry.get("outcome") == "not_evaluated":
            missing = (entry.get("result") or {}).get("missing", "")
            typer.echo(f"[{title}] not evaluated: {missing}")
        elif title in SECTIONS and isinstance(entry.get("result"), dict):
            _print({title: entry["result"]})
        else:
            typer.echo(f"[{title}] {entry.get('outcome')}  [{entry.get('rule_version', '')}]")


def recognize(
    input_file: Path | None = typer.Option(
        None, "--input", help="JSON file with one enterprise (object) or several (list)."
    ),
    enterprise: str | None = typer.Option(
        None, "--enterprise", help="Enterprise id in the platform database."
    ),
    json_output: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    """Evaluate official titles (SME size, tech SME, high-tech enterprise, MIIT ladder) and tags,
    with every point explained and the rule version applied."""
    if (input_file is None) == (enterprise is None):
        fail("give exactly one of --input FILE.json or --enterprise ID")
    if enterprise is not None:
        try:
            from techfin.services.recognition import evaluate_enterprise
        except ImportError:
            fail("--enterprise needs the platform database (not yet available)")
        try:
            enterprise_id = int(enterprise)
        except ValueError:
            fail(f"--enterprise: expected a numeric enterprise id, got {enterprise!r}")
        from sqlalchemy.exc import SQLAlchemyError

        try:
            found = evaluate_enterprise(enterprise_id)
        except (ValueError, LookupError) as exc:
            fail(f"--enterprise {enterprise}: {exc}")
        except SQLAlchemyError as exc:
            reason = str(exc).splitlines()[0]
            fail(f"--enterprise needs the platform database ({reason}; try `techfin db upgrade`)")
        data = found.to_dict() if hasattr(found, "to_dict") else found
        if json_output or not isinstance(data, dict):
            emit_json(data)
        else:
            _print_stored(data)
        return
    import json
    from decimal import Decimal

    assert input_file is not None
    try:
        text = input_file.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"--input {input_file}: cannot read ({exc.strerror or exc})")
    try:
        doc = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        fail(f"--input {input_file}: not valid JSON ({exc.msg}, line {exc.lineno})")
    if isinstance(doc, dict):
        out: Any = evaluate_document(doc)
        if json_output:
            emit_json(out)
        else:
            _print(out)
    elif isinstance(doc, list):
        if not all(isinstance(d, dict) for d in doc):
            fail(f"--input {input_file}: a list must hold enterprise objects")
        out = [evaluate_document(d, f"input[{i}]") for i, d in enumerate(doc)]
        if json_output:
            emit_json(out)
        else:
            for item in out:
                _print(item)
    else:
        fail(f"--input {input_file}: expected an object or a list of objects")


def register(app: typer.Typer) -> None:
    """Add `techfin recognize` to the main app."""
    app.command("recognize")(recognize)
