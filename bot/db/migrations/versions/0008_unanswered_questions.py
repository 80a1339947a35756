"""questions the bot could not answer outright, for staff to review

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 14:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db.models import UtcDateTime

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('unanswered_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', UtcDateTime(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('session_key', sa.String(length=192), nullable=False),
    sa.Column('candidates', sa.Text(), nullable=False),
    sa.Column('picked', sa.String(length=64), nullable=True),
    sa.Column('resolved_as', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_unanswered_at', 'unanswered_questions', ['at'])
    op.create_index('ix_unanswered_session', 'unanswered_questions', ['session_key', 'at'])


def downgrade() -> None:
    op.drop_index('ix_unanswered_session', table_name='unanswered_questions')
    op.drop_index('ix_unanswered_at', table_name='unanswered_questions')
    op.drop_table('unanswered_questions')
