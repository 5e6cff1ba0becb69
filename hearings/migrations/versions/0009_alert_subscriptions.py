"""E-mail alert subscriptions, and when each vote entered the record.

A new table, and a new nullable column on vote_events (votes recorded before have none and
are never news). Downgrading drops only these (addresses are kept for alerts alone).

Revision ID: 0009_alert_subscriptions
Revises: 0008_indexes_for_filters
Create Date: 2026-12-05 01:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = '0009_alert_subscriptions'
down_revision = '0008_indexes_for_filters'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'subscriptions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=320), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=True),
        sa.Column('query', sa.Text(), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(), nullable=True),
        sa.Column('checked_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token'),
        sa.UniqueConstraint('email', 'kind', 'target_id', 'query', name='uq_alert'),
    )
    op.create_index('ix_subscriptions_email', 'subscriptions', ['email'])
    op.add_column('vote_events', sa.Column('recorded_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('vote_events') as batch:
        batch.drop_column('recorded_at')
    op.drop_index('ix_subscriptions_email', table_name='subscriptions')
    op.drop_table('subscriptions')
