"""Platform commands: serve, db, demo, audit, eod, users, institutions."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from techfin.cli._common import emit_json, fail

if TYPE_CHECKING:
    from techfin.store.db import Database

T = TypeVar("T")

db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
eod_app = typer.Typer(help="Day-end processing (日终).", no_args_is_help=True)
users_app = typer.Typer(help="Users and their roles.", no_args_is_help=True)
inst_app = typer.Typer(help="Institutions (tenants).", no_args_is_help=True)


def _database() -> Database:
    """Open the configured database, failing with one clear line when it does not answer."""
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

    from techfin.store.db import Database, database_url

    try:
        db = Database()
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        reason = str(exc).splitlines()[0]
        fail(f"TECHFIN_DATABASE_URL {database_url()!r} is not a usable database URL: {reason}")
    except ModuleNotFoundError as exc:
        fail(f"TECHFIN_DATABASE_URL {database_url()!r} needs a driver techfin does not ship: {exc}")
    try:
        with db.engine.connect():
            pass
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        fail(f"database {db.url} does not answer: {reason}")
    return db


def _require_migrated(db: Database) -> None:
    from techfin.store.migrate import current_revision, head_revision

    current, head = current_revision(db.engine), head_revision(db.engine)
    if current != head:
        fail(
            f"database {db.url} is at migration {current or 'none'}, not {head}: "
            "run `techfin db upgrade` first"
        )


def _service_call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    from techfin.services.errors import ServiceError

    try:
        return function(*args, **kwargs)
    except ServiceError as exc:
        fail(f"{exc.field + ': ' if exc.field else ''}{exc.detail}")


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Option("heads", help="Target revision (all heads).")) -> None:
    """Migrate the database to the latest schema."""
    from techfin.store.migrate import current_revision, upgrade

    db = _database()
    upgrade(db.engine, revision)
    typer.echo(f"{db.url}: at {current_revision(db.engine)}")


@db_app.command("current")
def db_current(as_json: bool = typer.Option(False, "--json")) -> None:
    """Show the database's migration and the code's head."""
    from techfin.store.migrate import current_revision, head_revision

    db = _database()
    current, head = current_revision(db.engine), head_revision(db.engine)
    if as_json:
        emit_json(
            {"database": db.url, "current": current, "head": head, "at_head": current == head}
        )
    else:
        state = "at head" if current == head else f"behind head {head}"
        typer.echo(f"{db.url}: {current or 'not migrated'} ({state})")


@demo_app.command("load")
def demo_load(
    seed: int = typer.Option(20211126, help="Seed of the generated world."),
    enterprises: int = typer.Option(3000, min=10, help="Number of enterprises."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Load the realistic demo world (institutions, users, enterprises …) into an empty database."""
    from techfin.services import demo

    db = _database()
    _require_migrated(db)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("demo"), BarColumn(), MofNCompleteColumn(), transient=True, disable=as_json
    ) as bar:
        task = bar.add_task("load", total=enterprises)
        report = _service_call(
            demo.load,
            db,
            seed=seed,
            enterprises=enterprises,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if as_json:
        emit_json(report)
    else:
        typer.echo(
            f"loaded {report['enterprises']} enterprises, {report['users']} users "
            f"in {report['seconds']:.1f} s"
        )


@demo_app.command("status")
def demo_status(as_json: bool = typer.Option(False, "--json")) -> None:
    """Whether the database is empty (the run command loads the demo only then)."""
    from techfin.services import demo

    db = _database()
    _require_migrated(db)
    report = demo.status(db)
    if as_json:
        emit_json(report)
    else:
        typer.echo(
            "empty"
            if report["empty"]
            else f"{report['enterprises']} enterprises, {report['institutions']} institutions"
        )


@audit_app.command("verify")
def audit_verify(as_json: bool = typer.Option(False, "--json")) -> None:
    """Walk the audit chain; exit non-zero at the first broken entry."""
    from techfin.services import audit

    db = _database()
    _require_migrated(db)
    count, broken = audit.verify(db)
    if as_json:
        emit_json(
            {
                "entries": count,
                "intact": broken is None,
                "first_broken": None if broken is None else broken.__dict__,
            }
        )
    elif broken is None:
        typer.echo(f"audit chain intact: {count} entries")
    if broken is not None:
        typer.echo(f"error: audit entry {broken.seq} is broken: {broken.reason}", err=True)
        raise typer.Exit(1)


@eod_app.command("run")
def eod_run(
    date: str = typer.Option(..., "--date", help="Business date YYYY-MM-DD."),
    institution: str | None = typer.Option(None, "--institution", help="Institution code."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Run day-end for a business date (all institutions unless one is named)."""
    from techfin.services import eod
    from techfin.services.context import Actor

    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        fail(f"--date: not a date (YYYY-MM-DD): {date!r}")
    db = _database()
    _require_migrated(db)
    outcomes = _service_call(eod.run, db, Actor.system("eod"), day, institution)
    if as_json:
        emit_json([o.to_dict() for o in outcomes])
    else:
        for o in outcomes:
            steps = ", ".join(f"{s.step}:{s.status}" for s in o.steps) or "nothing to do"
            typer.echo(f"{o.institution} {o.business_date}: {o.status} ({steps})")
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        for o in failed:
            step = next(s for s in o.steps if s.status == "failed")
            typer.echo(f"error: {o.institution} step {step.step} failed: {step.error}", err=True)
        raise typer.Exit(1)


@users_app.command("add")
def users_add(
    username: str = typer.Option(..., "--username"),
    role: str = typer.Option(..., "--role"),
    institution: str = typer.Option(..., "--institution", help="Institution code."),
    display_name: str = typer.Option("", "--name"),
    branch: str | None = typer.Option(None, "--branch", help="Branch code."),
    enterprise_id: int | None = typer.Option(None, "--enterprise-id"),
    password_env: str = typer.Option(
        "TECHFIN_NEW_PASSWORD", help="Environment variable holding the password (else prompt)."
    ),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Add a user (password from $TECHFIN_NEW_PASSWORD or a prompt, never a flag)."""
    from techfin.services import users
    from techfin.services.context import Actor

    password = os.environ.get(password_env)
    if password is None:
        if not sys.stdin.isatty():
            fail(f"password: set ${password_env} or run interactively")
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    db = _database()
    _require_migrated(db)

    def add() -> dict[str, object]:
        with db.transaction() as session:
            user = users.add_user(
                session,
                Actor.system(),
                username=username,
                password=password,
                role=role,
                institution_code=institution,
                display_name=display_name,
                branch_code=branch,
                enterprise_id=enterprise_id,
            )
            return users.view(session, user).to_dict()

    view = _service_call(add)
    if as_json:
        emit_json(view)
    else:
        typer.echo(f"added {view['username']} ({view['role']}) at {view['institution_code']}")


@inst_app.command("add")
def institutions_add(
    code: str = typer.Option(..., "--code"),
    name: str = typer.Option(..., "--name"),
    kind: str = typer.Option(..., "--kind"),
) -> None:
    """Add an institution (tenant)."""
    from techfin.services import users
    from techfin.services.context import Actor

    db = _database()
    _require_migrated(db)

    def add() -> None:
        with db.transaction() as session:
            users.add_institution(session, Actor.system(), code=code, name=name, kind=kind)

    _service_call(add)
    typer.echo(f"added institution {code}")


def serve(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
) -> None:
    """Serve the platform (web pages and API). Refuses an unmigrated database."""
    import uvicorn

    from techfin.app import configure_logging, create_app

    db = _database()
    _require_migrated(db)
    configure_logging()
    typer.echo(f"techfin on http://{host}:{port}  (database {db.url})", err=True)
    uvicorn.run(create_app(db), host=host, port=port, log_level="warning", access_log=False)


def register(app: typer.Typer) -> None:
    """Add the platform commands to the main app."""
    app.command("serve")(serve)
    app.add_typer(db_app, name="db")
    app.add_typer(demo_app, name="demo")
    app.add_typer(audit_app, name="audit")
    app.add_typer(eod_app, name="eod")
    app.add_typer(users_app, name="users")
    app.add_typer(inst_app, name="institutions")
