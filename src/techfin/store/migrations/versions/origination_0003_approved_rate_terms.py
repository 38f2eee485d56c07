"""origination: an approval records its rate terms (fixed, or LPR + spread repriced)

Revision ID: origination_0003
Revises: origination_0002
Create Date: 2026-11-27

`approved_rate_terms` is the approver's rate descriptor: null or `{"rate_type": "fixed"}` for a
fixed rate (every application approved before this revision), or
`{"rate_type": "floating", "spread_bp", "lpr_tenor", "repricing": {"rule", "months"}}`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "origination_0003"
down_revision = "origination_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orig_applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approved_rate_terms", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orig_applications", schema=None) as batch_op:
        batch_op.drop_column("approved_rate_terms")
