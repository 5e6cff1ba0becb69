"""Names heard in a hearing, and voices kept only with a reason.

A suggested name per voice, with the words that show it; a person's consent to be recognised
by voice. Voiceprints of people who are neither members of a body nor consenting are deleted:
they were kept for everyone before.

Revision ID: 0005_names_heard
Revises: 0004_corrections_publishing
Create Date: 2026-12-04 17:24:26.783704

"""
import sqlalchemy as sa
from alembic import op

revision = '0005_names_heard'
down_revision = '0004_corrections_publishing'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('speakers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heard_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('heard_organization', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('heard_quote', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('heard_at_ms', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('heard_confidence', sa.Double(), nullable=True))
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('voice_consent', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # A label without a voiceprint was stored as JSON null; make it SQL NULL.
    as_text = "embedding::text" if op.get_bind().dialect.name == "postgresql" else "embedding"
    op.execute(f"UPDATE speakers SET embedding = NULL WHERE {as_text} = 'null'")
    op.execute(
        "UPDATE speakers SET embedding = NULL WHERE person_id IS NOT NULL "
        "AND person_id NOT IN (SELECT person_id FROM memberships)"
    )



def downgrade():
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('voice_consent')
    with op.batch_alter_table('speakers', schema=None) as batch_op:
        batch_op.drop_column('heard_confidence')
        batch_op.drop_column('heard_at_ms')
        batch_op.drop_column('heard_quote')
        batch_op.drop_column('heard_organization')
        batch_op.drop_column('heard_name')

