"""Sessions that end: a per-account session token, and accounts that can be disabled.

Revision ID: 0003_sessions_end
Revises: 0002_durable_record
Create Date: 2026-12-02 06:25:00

Every existing account gets its own random token, which also signs it out once: cookies
issued before carry no token.
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0003_sessions_end"
down_revision = "0002_durable_record"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    bind = op.get_bind()
    for (user_id,) in bind.execute(sa.text("SELECT id FROM users")).all():
        bind.execute(
            sa.text("UPDATE users SET session_token = :token WHERE id = :id"),
            {"token": secrets.token_hex(32), "id": user_id},
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("session_token", existing_type=sa.String(length=64), nullable=False)


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("active")
        batch_op.drop_column("session_token")
