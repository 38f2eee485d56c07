"""The `techfin` command line (Typer).

Each capability registers its commands from its own module so that this file stays a table
of contents. Modules import their heavy dependencies inside the commands, so `techfin --help`
stays fast and pure computations (codes, schedules, rating, recognition) never touch a database.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="techfin",
    help="techfin: financing science-and-technology enterprises.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Each module exposes `register(app)`.
COMMAND_MODULES = [
    "techfin.cli.platform",
    "techfin.cli.synth",
    "techfin.cli.codes",
    "techfin.cli.recognize",
    "techfin.cli.rating",
    "techfin.cli.schedule",
    "techfin.cli.ip",
    "techfin.cli.credit",
    "techfin.cli.hub",
]

for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    app()
