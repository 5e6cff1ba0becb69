"""Documents and their pages, searchable beside the testimony.

Two new tables and their search index (an FTS5 table on SQLite; a generated tsvector column
with a GIN index on PostgreSQL). Every written comment already stored as a PDF becomes a
document of its matter, queued: the worker reads its pages when it next looks for work.
Downgrading drops only what this adds (the files stay where they are).

Revision ID: 0010_documents
Revises: 0009_alert_subscriptions
Create Date: 2026-12-05 03:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = '0010_documents'
down_revision = '0009_alert_subscriptions'
branch_labels = None
depends_on = None

# Copies of hearings.document_search's DDL at this revision (a migration must not change
# with the application's code).
SQLITE_INDEX = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS document_page_fts USING fts5("
    "text, content='document_pages', content_rowid='id', tokenize='porter unicode61')"
)
POSTGRES_INDEX = (
    "ALTER TABLE document_pages ADD COLUMN IF NOT EXISTS text_search tsvector GENERATED ALWAYS "
    "AS (to_tsvector('hearing_english'::regconfig, "
    "regexp_replace(text, '[^[:alnum:][:space:]]+', ' ', 'g'))) STORED",
    "CREATE INDEX IF NOT EXISTS ix_document_pages_text_search ON document_pages "
    "USING gin (text_search)",
)


def upgrade():
    op.create_table(
        'documents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('hearing_id', sa.Integer(), nullable=True),
        sa.Column('matter_id', sa.Integer(), nullable=True),
        sa.Column('testimony_id', sa.Integer(), nullable=True),
        sa.Column('place', sa.String(length=40), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('original_filename', sa.String(length=255), nullable=False),
        sa.Column('stored_name', sa.String(length=400), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('file_type', sa.String(length=10), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=True),
        sa.Column('page_count', sa.Integer(), nullable=True),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('pages_read', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('warning', sa.Text(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('lease_expires_at', sa.DateTime(), nullable=True),
        sa.Column('worker', sa.String(length=200), nullable=True),
        sa.Column('queued_at', sa.DateTime(), nullable=True),
        sa.Column('read_at', sa.DateTime(), nullable=True),
        sa.Column('uploaded_at', sa.DateTime(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('published_at', sa.DateTime(), nullable=True),
        sa.Column('published_by_id', sa.Integer(), nullable=True),
        sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
        sa.Column('withdrawn_reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['hearing_id'], ['hearings.id']),
        sa.ForeignKeyConstraint(['matter_id'], ['matters.id']),
        sa.ForeignKeyConstraint(['testimony_id'], ['testimonies.id']),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['published_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('sha256', 'place', name='uq_document_place'),
    )
    op.create_index('ix_documents_hearing_id', 'documents', ['hearing_id'])
    op.create_index('ix_documents_matter_id', 'documents', ['matter_id'])
    op.create_index('ix_documents_testimony_id', 'documents', ['testimony_id'])
    op.create_table(
        'document_pages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('method', sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['documents.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('document_id', 'number'),
    )
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        op.execute(SQLITE_INDEX)
    elif bind.dialect.name == 'postgresql':
        for statement in POSTGRES_INDEX:
            op.execute(statement)
    _written_comments_become_documents(bind)


def _written_comments_become_documents(bind):
    rows = bind.execute(
        sa.text(
            "SELECT t.id, t.matter_id, t.hearing_id, t.document_name, t.created_at, "
            "t.created_by_id, p.name FROM testimonies t JOIN people p ON p.id = t.person_id "
            "WHERE t.document_name IS NOT NULL ORDER BY t.id"
        )
    ).all()
    documents = sa.table(
        'documents',
        *(sa.column(name) for name in (
            'matter_id', 'hearing_id', 'testimony_id', 'place', 'kind', 'title', 'original_filename',
            'stored_name', 'sha256', 'file_type', 'state', 'pages_read', 'attempts',
            'uploaded_at', 'uploaded_by_id', 'published_at', 'published_by_id',
        )),
    )
    made = []
    for testimony_id, matter_id, hearing_id, name, created_at, created_by, person in rows:
        # Stored as testimony/<sha256>/<name>.pdf.
        parts = name.split('/')
        if len(parts) != 3:
            continue
        made.append({
            'matter_id': matter_id, 'hearing_id': hearing_id, 'testimony_id': testimony_id,
            'place': f't{testimony_id}',
            'kind': 'written_comment', 'title': f'Written comment from {person}'[:300],
            'original_filename': parts[2], 'stored_name': name, 'sha256': parts[1],
            'file_type': 'pdf', 'state': 'queued', 'pages_read': 0, 'attempts': 0,
            'uploaded_at': created_at, 'uploaded_by_id': created_by,
            'published_at': created_at, 'published_by_id': created_by,
        })
    if made:
        op.bulk_insert(documents, made)


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("DROP TABLE IF EXISTS document_page_fts")
    op.drop_table('document_pages')
    op.drop_index('ix_documents_testimony_id', table_name='documents')
    op.drop_index('ix_documents_matter_id', table_name='documents')
    op.drop_index('ix_documents_hearing_id', table_name='documents')
    op.drop_table('documents')
