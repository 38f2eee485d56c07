"""shareholders: the registry's shareholder records (groups of related enterprises)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = ("hub",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shareholders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("shareholder_name", sa.String(length=300), nullable=False),
        sa.Column("shareholder_uscc", sa.String(length=18), nullable=True),
        sa.Column("shareholder_enterprise_id", sa.Integer(), nullable=True),
        sa.Column("share", sa.Numeric(precision=9, scale=6), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["load_batches.id"], name=op.f("fk_shareholders_batch_id_load_batches")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_shareholders_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["shareholder_enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_shareholders_shareholder_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shareholders")),
        sa.UniqueConstraint(
            "enterprise_id", "shareholder_name", name=op.f("uq_shareholders_enterprise_id")
        ),
    )
    with op.batch_alter_table("shareholders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shareholders_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_shareholders_shareholder_enterprise_id"),
            ["shareholder_enterprise_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("shareholders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shareholders_shareholder_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_shareholders_enterprise_id"))
    op.drop_table("shareholders")
