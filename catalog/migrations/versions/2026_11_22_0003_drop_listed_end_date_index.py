"""drop the listed/end_date index

No read needs it: public reads go by id, by a list of ids or by provider. SQLite keeps no
statistics unless ANALYZE runs, judged ``listed = 1`` selective and planned id-list and
provider reads through this index, scanning every listed activity each time (quadratic
rebuilds and sync batches at a million activities).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_activity_listed_end_date", table_name="activity")


def downgrade() -> None:
    op.create_index("ix_activity_listed_end_date", "activity", ["listed", "end_date"])
