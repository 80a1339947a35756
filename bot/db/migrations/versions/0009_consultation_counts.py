"""questions the bot answered outright, per day and category

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('consultation_counts',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('answered', sa.Integer(), nullable=False),
    sa.Column('on_the_spot', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'category')
    )


def downgrade() -> None:
    op.drop_table('consultation_counts')
