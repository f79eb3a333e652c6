"""provider page sessions kept on the server, so that sign-out and a maximum age end them

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "provider_session",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_hash"],
            ["provider_key.key_hash"],
            name=op.f("fk_provider_session_key_hash_provider_key"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["provider.id"], name=op.f("fk_provider_session_provider_id_provider")
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_provider_session")),
    )
    with op.batch_alter_table("provider_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_provider_session_key_hash"), ["key_hash"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("provider_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provider_session_key_hash"))
    op.drop_table("provider_session")
