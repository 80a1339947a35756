"""indexes for purging processed-message keys and expired conversation states

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 04:20:00
"""

from __future__ import annotations

from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_processed_messages_at', 'processed_messages', ['at'])
    op.create_index('ix_conversations_expires_at', 'conversations', ['expires_at'])


def downgrade() -> None:
    op.drop_index('ix_conversations_expires_at', table_name='conversations')
    op.drop_index('ix_processed_messages_at', table_name='processed_messages')
