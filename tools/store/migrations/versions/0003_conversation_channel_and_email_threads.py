"""Where customers write: the channel of each conversation (api, widget, email) and the
e-mail threads that map each Message-ID to its conversation and sender.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 06:05:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_threads",
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("sender", sa.String(length=254), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_id"),
    )
    op.create_index(op.f("ix_email_threads_session_id"), "email_threads", ["session_id"])
    # Existing conversations were all on the JSON API.
    with op.batch_alter_table("chat_sessions") as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(length=16), server_default="api", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("chat_sessions") as batch_op:
        batch_op.drop_column("channel")
    op.drop_index(op.f("ix_email_threads_session_id"), table_name="email_threads")
    op.drop_table("email_threads")
