"""Alembic migrations, driven from code (`techfin db upgrade`, `techfin db current`).

The migration scripts live inside the package so an installed techfin can migrate its own
database; no alembic.ini is needed. A capability may add its tables on a branch of its own off
`0001` (its own `branch_labels`), so several capabilities can grow the schema side by side;
upgrading goes to all heads, and "at head" means every head is applied.
"""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("techfin.store") / "migrations"))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    command.upgrade(alembic_config(engine), revision)


def head_revision(engine: Engine) -> str:
    """The code's head revision(s), comma-separated when branches are open."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    return ",".join(sorted(script.get_heads()))


def current_revision(engine: Engine) -> str | None:
    """The database's applied head revision(s), comma-separated; None when unmigrated."""
    with engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    return ",".join(sorted(heads)) if heads else None


def is_at_head(engine: Engine) -> bool:
    return current_revision(engine) == head_revision(engine)
