"""Sign-up lists and speaker cards, and a card's link to what its signer said.

Revision ID: 0006_signup_lists
Revises: 0005_names_heard
Create Date: 2026-12-04 19:50:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = '0006_signup_lists'
down_revision = '0005_names_heard'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('testimonies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('spoken_testimony_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_testimonies_spoken_testimony_id', 'testimonies', ['spoken_testimony_id'], ['id']
        )
    op.create_table(
        'signup_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('hearing_id', sa.Integer(), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('organization', sa.String(length=200), nullable=True),
        sa.Column('position', sa.String(length=20), nullable=False),
        sa.Column('matter_id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=255), nullable=False),
        sa.Column('imported_at', sa.DateTime(), nullable=False),
        sa.Column('imported_by_id', sa.Integer(), nullable=True),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('spoke_at_ms', sa.Integer(), nullable=True),
        sa.Column('card_testimony_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['hearing_id'], ['hearings.id']),
        sa.ForeignKeyConstraint(['matter_id'], ['matters.id']),
        sa.ForeignKeyConstraint(['imported_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['person_id'], ['people.id']),
        sa.ForeignKeyConstraint(['card_testimony_id'], ['testimonies.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_signup_entries_hearing_id', 'signup_entries', ['hearing_id'])


def downgrade():
    op.drop_index('ix_signup_entries_hearing_id', table_name='signup_entries')
    op.drop_table('signup_entries')
    with op.batch_alter_table('testimonies', schema=None) as batch_op:
        batch_op.drop_constraint('fk_testimonies_spoken_testimony_id', type_='foreignkey')
        batch_op.drop_column('spoken_testimony_id')
