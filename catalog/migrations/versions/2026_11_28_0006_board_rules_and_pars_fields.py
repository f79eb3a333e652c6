"""board rules and the PARS record: the fields PARS collects that physicians and auditors use

Activities gain the ACCME activity ID, providership and joint providers, commercial support,
the REMS and MIPS flags and state-licensure topics; MOC registrations their content outline
areas; providers their accreditor. Rows written before get the defaults the rules give.

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
# 0004 and 0005 are written on other branches; the lead re-chains the revisions at merge.
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EMPTY_LIST = sa.text("'[]'")


def upgrade() -> None:
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("accreditor", sa.String(length=16), nullable=False, server_default="ACCME")
        )
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("accme_activity_id", sa.String(length=12), nullable=True))
        batch_op.add_column(
            sa.Column("providership", sa.String(length=8), nullable=False, server_default="direct")
        )
        for name in ("joint_providers", "commercial_support", "topics"):
            batch_op.add_column(
                sa.Column(name, sa.JSON(), nullable=False, server_default=EMPTY_LIST)
            )
        for name in ("rems", "mips"):
            batch_op.add_column(
                sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false())
            )
    with op.batch_alter_table("moc_registration", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("content_outline", sa.JSON(), nullable=False, server_default=EMPTY_LIST)
        )


def downgrade() -> None:
    with op.batch_alter_table("moc_registration", schema=None) as batch_op:
        batch_op.drop_column("content_outline")
    with op.batch_alter_table("activity", schema=None) as batch_op:
        for name in (
            "mips",
            "rems",
            "topics",
            "commercial_support",
            "joint_providers",
            "providership",
            "accme_activity_id",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("provider", schema=None) as batch_op:
        batch_op.drop_column("accreditor")
