"""`techfin ingest SOURCE FILE`: load a shared-data file into the information hub."""

from __future__ import annotations

from pathlib import Path

import typer

from techfin.cli._common import emit_json, fail


def ingest(
    source: str = typer.Argument(
        ...,
        help="registry, financials, social_security, tax, customs, "
        "utilities, patents, patent_events, credit_register, court, tech_transfer, "
        "funding, titles",
    ),
    file: Path = typer.Argument(..., help="CSV (UTF-8 or GBK), JSON lines or XLSX."),
    as_json: bool = typer.Option(False, "--json", help="Print the load report as JSON."),
) -> None:
    """Validate and load a file; bad rows are quarantined with their reasons, never dropped."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from techfin.cli.platform import _database, _require_migrated, _service_call
    from techfin.enterprises.sources import SOURCES
    from techfin.services import ingest as service
    from techfin.services.context import Actor

    known = [*SOURCES, "patent_events"]
    if source not in known:
        fail(f"source: unknown {source!r}; one of {', '.join(known)}")
    if not file.exists():
        fail(f"file: no such file: {file}")
    db = _database()
    _require_migrated(db)
    with Progress(
        TextColumn(f"{source} {file.name}"),
        BarColumn(),
        MofNCompleteColumn(),
        transient=True,
        disable=as_json,
    ) as bar:
        task = bar.add_task("load", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        if source == "patent_events":  # legal-status events feed the IP registry
            from techfin.services import ip_registry

            report = _service_call(ip_registry.load_legal_events, db, Actor.system("ingest"), file)
        else:
            report = _service_call(
                service.ingest_file, db, Actor.system("ingest"), source, file, progress=progress
            )
    if as_json:
        emit_json(report.to_dict())
    else:
        state = " (same content as batch already loaded: nothing changed)" if report.repeat else ""
        typer.echo(
            f"batch {report.batch}{state}: read {report.read}, loaded {report.loaded}, "
            f"updated {report.updated}, quarantined {report.quarantined}, "
            f"duplicates {report.duplicates}"
        )
        for reason, count in report.reasons.items():
            typer.echo(f"  {count:>7}  {reason}")
        for note in report.file_notes:
            typer.echo(f"  note: {note}")
    if report.rejected:
        typer.echo(f"error: file rejected: {report.rejected}", err=True)
        raise typer.Exit(1)


def resolve(
    source: str = typer.Argument(..., help="patents, funding or tech_transfer"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Link records without a credit code to registry enterprises (splink); sure matches merge,
    uncertain ones wait in the review queue (/hub/review)."""
    from techfin.cli.platform import _database, _require_migrated, _service_call
    from techfin.services import resolution
    from techfin.services.context import Actor

    if source not in resolution.SOURCES:
        fail(f"source: must be one of {', '.join(resolution.SOURCES)}")
    db = _database()
    _require_migrated(db)
    report = _service_call(resolution.run, db, Actor.system("resolve"), source)
    if as_json:
        emit_json(report.to_dict())
    else:
        typer.echo(
            f"{source}: {report.records} records, {report.auto_merged} merged, "
            f"{report.queued_for_review} for review, {report.unmatched} unmatched "
            f"({report.resolver_version})"
        )


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("resolve")(resolve)
