"""board rules and the PARS record: the fields PARS collects that physicians and auditors use

Activities gain the ACCME activity ID, providership and joint providers, commercial support,
the REMS and MIPS flags and state-licensure topics; MOC registrations their content outline
areas; providers their accreditor. Rows written before get the defaults the rules give.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
# Written beside 0004 and 0005 (other branches); chained after 0005, on main when rebased.
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EMPTY_LIST = sa.text("'[]'")


# Plain ADD / DROP COLUMN, never a batch copy: on SQLite a batch operation recreates the
# table, and dropping the old activity table deletes every MOC registration through the
# foreign key's ON DELETE CASCADE (the foreign keys are on). SQLite adds and drops these
# columns in place (DROP COLUMN since 3.35).
ACTIVITY_COLUMNS = (
    ("accme_activity_id", sa.String(length=12), None),
    ("providership", sa.String(length=8), "direct"),
    ("joint_providers", sa.JSON(), EMPTY_LIST),
    ("commercial_support", sa.JSON(), EMPTY_LIST),
    ("rems", sa.Boolean(), sa.false()),
    ("mips", sa.Boolean(), sa.false()),
    ("topics", sa.JSON(), EMPTY_LIST),
)


def upgrade() -> None:
    op.add_column(
        "provider",
        sa.Column("accreditor", sa.String(length=16), nullable=False, server_default="ACCME"),
    )
    for name, kind, default in ACTIVITY_COLUMNS:
        op.add_column(
            "activity",
            sa.Column(name, kind, nullable=default is None, server_default=default),
        )
    op.add_column(
        "moc_registration",
        sa.Column("content_outline", sa.JSON(), nullable=False, server_default=EMPTY_LIST),
    )


def downgrade() -> None:
    op.drop_column("moc_registration", "content_outline")
    for name, _, _ in reversed(ACTIVITY_COLUMNS):
        op.drop_column("activity", name)
    op.drop_column("provider", "accreditor")
