"""ticket code derived from kind and id (one statement less per new ticket); indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 09:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


INDEXES = (
    ("ix_tickets_resident", "tickets", ["resident_id"]),
    ("ix_tickets_building_category", "tickets", ["building", "category", "state"]),
    ("ix_tickets_assignee_state", "tickets", ["assignee", "state"]),
    ("ix_identities_resident", "identities", ["resident_id"]),
    ("ix_ticket_events_ticket", "ticket_events", ["ticket_id"]),
    ("ix_outbox_due", "outbox", ["state", "next_attempt_at"]),
)


def upgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.drop_column('code')
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
    with op.batch_alter_table('tickets') as batch:
        batch.add_column(sa.Column('code', sa.String(length=16), nullable=True))
    padded = ("lpad(CAST(id AS VARCHAR), 4, '0')" if op.get_bind().dialect.name == "postgresql"
              else "substr('0000' || id, -4)")
    op.execute("UPDATE tickets SET code = (CASE WHEN kind = 'wish' THEN 'W' ELSE 'R' END) || "
               f"(CASE WHEN id >= 10000 THEN CAST(id AS VARCHAR) ELSE {padded} END)")
    with op.batch_alter_table('tickets') as batch:
        batch.create_unique_constraint('uq_tickets_code', ['code'])
