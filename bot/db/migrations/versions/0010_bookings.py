"""bookings: meal orders and what the kitchen stopped, elders' delivery and its pauses, counter
appointments

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db.models import UtcDateTime

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('delivery_elders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('kin', sa.String(length=16), nullable=False),
    sa.Column('building', sa.String(length=32), nullable=False),
    sa.Column('room', sa.String(length=16), nullable=False),
    sa.Column('age', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('meal', sa.String(length=16), nullable=False),
    sa.Column('choice', sa.String(length=8), nullable=False),
    sa.Column('portions', sa.Integer(), nullable=False),
    sa.Column('weekdays', sa.String(length=7), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('decided_at', UtcDateTime(), nullable=True),
    sa.Column('decided_by', sa.String(length=96), nullable=True),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_delivery_elders_resident', 'delivery_elders', ['resident_id'])
    op.create_table('delivery_pauses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('elder_id', sa.Integer(), nullable=False),
    sa.Column('first', sa.Date(), nullable=False),
    sa.Column('last', sa.Date(), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['elder_id'], ['delivery_elders.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_delivery_pauses_elder', 'delivery_pauses', ['elder_id'])
    op.create_table('meal_stops',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('meal', sa.String(length=16), nullable=False),
    sa.Column('point', sa.String(length=16), nullable=False),
    sa.Column('dish', sa.String(length=32), nullable=False),
    sa.Column('why', sa.String(length=64), nullable=False),
    sa.Column('by', sa.String(length=96), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_meal_stops_day', 'meal_stops', ['day'])
    op.create_table('meal_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('elder_id', sa.Integer(), nullable=True),
    sa.Column('diner', sa.String(length=32), nullable=False),
    sa.Column('point', sa.String(length=16), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('meal', sa.String(length=16), nullable=False),
    sa.Column('choice', sa.String(length=8), nullable=False),
    sa.Column('dishes', sa.Text(), nullable=False),
    sa.Column('portions', sa.Integer(), nullable=False),
    sa.Column('owed', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=128), nullable=False),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['elder_id'], ['delivery_elders.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_meal_orders_day', 'meal_orders', ['day', 'meal', 'state'])
    op.create_index('ix_meal_orders_resident', 'meal_orders', ['resident_id', 'day'])
    op.create_table('appointments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.String(length=8), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('start', sa.String(length=5), nullable=False),
    sa.Column('seat', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('reminded_at', UtcDateTime(), nullable=True),
    sa.Column('created_at', UtcDateTime(), nullable=False),
    sa.Column('updated_at', UtcDateTime(), nullable=False),
    sa.Column('marked_by', sa.String(length=96), nullable=True),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ux_appointments_seat', 'appointments', ['day', 'start', 'seat'],
                    unique=True, postgresql_where=sa.text("state = 'booked'"),
                    sqlite_where=sa.text("state = 'booked'"))
    op.create_index('ix_appointments_resident', 'appointments', ['resident_id', 'state'])


def downgrade() -> None:
    op.drop_table('appointments')
    op.drop_table('meal_orders')
    op.drop_table('meal_stops')
    op.drop_table('delivery_pauses')
    op.drop_table('delivery_elders')
