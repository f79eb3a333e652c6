"""per-index search queues (several Meilisearch instances, each with its own progress)

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "search_target",
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_search_target")),
    )
    op.create_table(
        "search_queue",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("target", sa.String(length=300), nullable=False),
        sa.Column("activity_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_queue")),
    )
    with op.batch_alter_table("search_queue", schema=None) as batch_op:
        batch_op.create_index("ix_search_queue_target_id", ["target", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("search_queue", schema=None) as batch_op:
        batch_op.drop_index("ix_search_queue_target_id")
    op.drop_table("search_queue")
    op.drop_table("search_target")
