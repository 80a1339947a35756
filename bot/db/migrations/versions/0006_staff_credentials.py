"""web desk passwords and sign-in locks

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 14:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db.models import UtcDateTime

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('staff_credentials',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', UtcDateTime(), nullable=True),
    sa.Column('generation', sa.Integer(), nullable=False, server_default='0'),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )


def downgrade() -> None:
    op.drop_table('staff_credentials')
