"""Shared state for several workers (issue 21): the help-centre query log (`kb_queries`, one
table for every worker instead of a SQLite file in each worker's DATA_DIR) and the serving
model versions (`serving_models`, which `support nlu promote` sets for every worker).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 04:57:04.481957
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kb_queries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("best_score", sa.Double(), nullable=False),
        sa.Column("best_doc", sa.String(length=255), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_kb_queries_at"), "kb_queries", ["at"])
    op.create_table(
        "serving_models",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("serving_models")
    op.drop_index(op.f("ix_kb_queries_at"), table_name="kb_queries")
    op.drop_table("kb_queries")
