"""Alembic environment: uses the engine handed over in `config.attributes`."""

from __future__ import annotations

from alembic import context

from techfin.store.db import make_engine
from techfin.store.models import Base

config = context.config
engine = config.attributes.get("engine") or make_engine()

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
