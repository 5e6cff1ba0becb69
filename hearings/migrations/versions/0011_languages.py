"""Testimony in other languages: the languages a hearing is spoken in, and each line's own.

A hearing's languages choose the speech model; a line's language chooses how it is stemmed
for search. SQLite gets a second FTS5 index (case and accents folded, no English stemming) for
lines in other languages; PostgreSQL's stored tsvector picks its configuration by the line's
language (a Spanish one is added). Lines stored before this have no language and are searched
as English, as they always were.

Revision ID: 0011_languages
Revises: 0010_documents
Create Date: 2026-12-05 06:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = '0011_languages'
down_revision = '0010_documents'
branch_labels = None
depends_on = None

# Copies of hearings.search's DDL at this revision (a migration must not change with the
# application's code).
SQLITE_PLAIN_INDEX = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS segment_fts_plain USING fts5("
    "text, content='segments', content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
)
POSTGRES_SPANISH = """
    CREATE EXTENSION IF NOT EXISTS unaccent;
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_ts_dict WHERE dictname = 'hearing_spanish_stem') THEN
        CREATE TEXT SEARCH DICTIONARY hearing_spanish_stem
          (TEMPLATE = snowball, Language = spanish);
      END IF;
      IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'hearing_spanish') THEN
        CREATE TEXT SEARCH CONFIGURATION hearing_spanish (COPY = spanish);
        ALTER TEXT SEARCH CONFIGURATION hearing_spanish ALTER MAPPING
          FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
          WITH unaccent, hearing_spanish_stem;
      END IF;
    END $$
    """
CLEANED = "regexp_replace(text, '[^[:alnum:][:space:]]+', ' ', 'g')"
# Each language's lexemes are weighted apart (English D, Spanish C, others B), so a query's
# English stems never match a Spanish line's words.
BY_LANGUAGE = (
    "setweight(to_tsvector((CASE WHEN language IS NULL OR language = 'en' THEN "
    "'hearing_english'::regconfig WHEN language = 'es' THEN 'hearing_spanish'::regconfig "
    f"ELSE 'simple'::regconfig END), {CLEANED}), (CASE WHEN language IS NULL OR "
    "language = 'en' THEN 'D' WHEN language = 'es' THEN 'C' ELSE 'B' END)::\"char\")"
)
ENGLISH_ONLY = f"to_tsvector('hearing_english'::regconfig, {CLEANED})"


def _postgres_text_search(expression):
    op.execute("ALTER TABLE segments DROP COLUMN IF EXISTS text_search")
    op.execute(
        "ALTER TABLE segments ADD COLUMN text_search tsvector GENERATED ALWAYS AS "
        f"({expression}) STORED"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_segments_text_search ON segments USING gin (text_search)"
    )


def upgrade():
    op.add_column('hearings', sa.Column('languages', sa.String(length=60), nullable=True))
    op.add_column('segments', sa.Column('language', sa.String(length=10), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        op.execute(SQLITE_PLAIN_INDEX)
    elif bind.dialect.name == 'postgresql':
        op.execute(POSTGRES_SPANISH)
        _postgres_text_search(BY_LANGUAGE)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        # Lines in other languages go back into the one (English) index before theirs goes.
        op.execute(
            "INSERT INTO segment_fts(rowid, text) SELECT id, text FROM segments "
            "WHERE language IS NOT NULL AND language <> 'en'"
        )
        op.execute("DROP TABLE IF EXISTS segment_fts_plain")
    elif bind.dialect.name == 'postgresql':
        _postgres_text_search(ENGLISH_ONLY)
    with op.batch_alter_table('segments') as batch:
        batch.drop_column('language')
    with op.batch_alter_table('hearings') as batch:
        batch.drop_column('languages')
