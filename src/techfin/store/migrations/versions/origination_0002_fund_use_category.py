"""origination: use-of-funds evidence gets a category of use and the business date recorded

Revision ID: origination_0002
Revises: origination_0001
Create Date: 2026-11-27

Existing evidence becomes `unspecified` (the keyword screen still reads its description) and
takes the date part of its wall-clock time as `recorded_on`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "origination_0002"
down_revision = "origination_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orig_fund_use_evidence", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "category", sa.String(length=40), nullable=False, server_default="unspecified"
            )
        )
        batch_op.add_column(sa.Column("recorded_on", sa.Date(), nullable=True))
    evidence = sa.table(
        "orig_fund_use_evidence",
        sa.column("recorded_on", sa.Date()),
        sa.column("at", sa.DateTime()),
    )
    day = (
        sa.func.date(evidence.c.at)  # SQLite: CAST(… AS DATE) would give a number
        if op.get_bind().dialect.name == "sqlite"
        else sa.cast(evidence.c.at, sa.Date())
    )
    op.execute(evidence.update().values(recorded_on=day))
    with op.batch_alter_table("orig_fund_use_evidence", schema=None) as batch_op:
        batch_op.alter_column("recorded_on", existing_type=sa.Date(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("orig_fund_use_evidence", schema=None) as batch_op:
        batch_op.drop_column("recorded_on")
        batch_op.drop_column("category")
