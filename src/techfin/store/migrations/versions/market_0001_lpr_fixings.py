"""market data: monthly LPR fixings entered after the packaged table

Revision ID: market_0001
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "market_0001"
down_revision = "0001"
branch_labels = ("market",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lpr_fixings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fixing_date", sa.Date(), nullable=False),
        sa.Column("fixing_key", sa.Date(), nullable=True),
        sa.Column("one_year", sa.Numeric(precision=8, scale=6), nullable=False),
        sa.Column("five_year_plus", sa.Numeric(precision=8, scale=6), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("entered_by", sa.Integer(), nullable=False),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        sa.Column("checked_by", sa.Integer(), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=True),
        sa.Column("check_note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checked_by"], ["users.id"], name=op.f("fk_lpr_fixings_checked_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["entered_by"], ["users.id"], name=op.f("fk_lpr_fixings_entered_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lpr_fixings")),
        sa.UniqueConstraint("fixing_key", name=op.f("uq_lpr_fixings_fixing_key")),
    )
    with op.batch_alter_table("lpr_fixings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lpr_fixings_fixing_date"), ["fixing_date"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("lpr_fixings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lpr_fixings_fixing_date"))
    op.drop_table("lpr_fixings")
