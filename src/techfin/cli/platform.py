"""Platform commands: serve, db, demo, audit, eod, users."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the platform commands to the main app."""
