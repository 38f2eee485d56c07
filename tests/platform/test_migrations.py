"""The migrations build exactly the schema the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from techfin.store.migrate import current_revision, head_revision
from techfin.store.models import Base


def test_migrated_schema_matches_the_models(db):
    assert current_revision(db.engine) == head_revision(db.engine)
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], "write a migration for: " + repr(differences)[:2000]
