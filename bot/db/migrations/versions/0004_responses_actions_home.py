"""first response of a ticket (the deadline is for it), buttons stored with each notification,
whether a resident said their building themselves

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db.models import UtcDateTime

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.add_column(sa.Column('responded_at', UtcDateTime(), nullable=True))
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('actions', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('residents') as batch:
        batch.add_column(sa.Column('building_said', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    # Tickets already claimed or further along have had their first response.
    op.execute("UPDATE tickets SET responded_at = updated_at WHERE state NOT IN "
               "('new', 'transferred', 'reopened')")


def downgrade() -> None:
    with op.batch_alter_table('residents') as batch:
        batch.drop_column('building_said')
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('actions')
    with op.batch_alter_table('tickets') as batch:
        batch.drop_column('responded_at')
