"""`techfin synth`: stream a synthetic world of tech SMEs to Parquet (techfin.synth)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from techfin.cli._common import emit_json, fail

# Fixed so that `techfin synth --seed N` gives the same bytes on any day; pass --as-of to move it.
DEFAULT_AS_OF = "2026-09-30"


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""

    @app.command("synth")
    def synth(
        seed: int = typer.Option(..., "--seed", help="Master seed (same seed → same bytes)."),
        enterprises: int = typer.Option(
            ..., "--enterprises", help="Number of enterprises to generate."
        ),
        out: Path = typer.Option(
            ...,
            "--out",
            help="Enterprise table FILE.parquet; the other tables go beside it as "
            "FILE.<table>.parquet.",
        ),
        as_of: str = typer.Option(
            DEFAULT_AS_OF, "--as-of", help="Date the world is observed (YYYY-MM-DD)."
        ),
        json_out: bool = typer.Option(False, "--json", help="Print rows per table as JSON."),
        jobs: int = typer.Option(
            1, "--jobs", help="Worker processes generating chunks (output is identical)."
        ),
    ) -> None:
        """Generate a deterministic synthetic world and write it to Parquet."""
        if seed < 0:
            fail("--seed: must be a non-negative integer")
        if enterprises < 1:
            fail("--enterprises: must be at least 1")
        if enterprises > 50_000_000:
            fail("--enterprises: at most 50,000,000")
        if jobs < 1 or jobs > 64:
            fail("--jobs: must be between 1 and 64")
        try:
            as_of_date = date.fromisoformat(as_of)
        except ValueError:
            fail(f"--as-of: not a date (YYYY-MM-DD): {as_of!r}")
        if as_of_date.year < 2010:
            fail("--as-of: must be in 2010 or later")
        if not out.name.endswith(".parquet"):
            fail(f"--out: must end in .parquet: {str(out)!r}")
        if not out.parent.exists() or not out.parent.is_dir():
            fail(f"--out: directory does not exist: {str(out.parent)!r}")

        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        from techfin.synth import load_params
        from techfin.synth.parallel import generate_parallel
        from techfin.synth.parquet import table_path, write_batches

        params = load_params()
        meta = {
            "seed": str(seed),
            "enterprises": str(enterprises),
            "as_of": as_of_date.isoformat(),
            "params_version": params.version,
        }
        progress = Progress(
            TextColumn("[bold]synth[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("enterprises"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            transient=json_out,
            disable=json_out,
        )
        with progress:
            task = progress.add_task("synth", total=enterprises)
            counts = write_batches(
                generate_parallel(seed, enterprises, as_of=as_of_date, jobs=jobs),
                out,
                metadata=meta,
                on_batch=lambda b: progress.advance(task, b.enterprises),
            )
        files = {name: str(table_path(out, name)) for name in counts}
        if json_out:
            emit_json({**meta, "rows": counts, "files": files})
        else:
            for name, n in counts.items():
                typer.echo(f"{name:18s} {n:>12,d}  {files[name]}")
