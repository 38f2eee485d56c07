"""servicing: reviews of use-of-funds findings (cleared or confirmed after checking the voucher)

Revision ID: servicing_0003
Revises: servicing_0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "servicing_0003"
down_revision = "servicing_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "svc_fund_use_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reviewed_on", sa.Date(), nullable=False),
        sa.Column("reviewed_by", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["orig_fund_use_evidence.id"],
            name=op.f("fk_svc_fund_use_reviews_evidence_id_orig_fund_use_evidence"),
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_svc_fund_use_reviews_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_svc_fund_use_reviews_loan_id_loans")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"], ["users.id"], name=op.f("fk_svc_fund_use_reviews_reviewed_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_svc_fund_use_reviews")),
    )
    with op.batch_alter_table("svc_fund_use_reviews", schema=None) as batch_op:
        for column in ("evidence_id", "institution_id", "loan_id"):
            batch_op.create_index(
                batch_op.f(f"ix_svc_fund_use_reviews_{column}"), [column], unique=False
            )


def downgrade() -> None:
    with op.batch_alter_table("svc_fund_use_reviews", schema=None) as batch_op:
        for column in ("evidence_id", "institution_id", "loan_id"):
            batch_op.drop_index(batch_op.f(f"ix_svc_fund_use_reviews_{column}"))
    op.drop_table("svc_fund_use_reviews")
