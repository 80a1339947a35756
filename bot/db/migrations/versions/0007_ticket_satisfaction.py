"""residents' 1-5 rating of a confirmed repair or a fulfilled wish

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db.models import UtcDateTime

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.add_column(sa.Column('satisfaction', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('rated_at', UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.drop_column('rated_at')
        batch.drop_column('satisfaction')
