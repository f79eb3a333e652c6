"""public change log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "public_change",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("activity_id", sa.String(length=32), nullable=False),
        sa.Column("op", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_change")),
    )
    with op.batch_alter_table("public_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_public_change_activity_id"), ["activity_id"], unique=False
        )
    # Activities already public start the feed, so a partner mirroring from the beginning
    # gets the whole public catalog.
    op.execute(
        "INSERT INTO public_change (activity_id, op, created_at) "
        "SELECT a.id, 'upsert', a.updated_at FROM activity a "
        "WHERE a.listed AND EXISTS (SELECT 1 FROM moc_registration m WHERE m.activity_id = a.id) "
        "ORDER BY a.id"
    )


def downgrade() -> None:
    with op.batch_alter_table("public_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_public_change_activity_id"))

    op.drop_table("public_change")
