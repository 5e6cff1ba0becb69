"""Search on PostgreSQL reads a stored tsvector and finds names by trigrams.

A text search configuration that stems as SQLite's FTS5 porter tokenizer does and keeps every
word, a generated tsvector column of each line's letters and digits (split at punctuation, as
FTS5 splits) with a GIN index in place of the expression index, so both databases find the
same lines; and pg_trgm indexes on people's and organizations' names.
SQLite keeps its FTS5 table as it is.

Revision ID: 0007_search_the_record
Revises: 0006_signup_lists
Create Date: 2026-12-04 20:00:00.000000

"""
from alembic import op

revision = '0007_search_the_record'
down_revision = '0006_signup_lists'
branch_labels = None
depends_on = None

# A copy of hearings.search's DDL as it stands at this revision, not an import of it: a
# migration must do the same thing whatever the application's code later becomes.
UPGRADE = (
    """
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_ts_dict WHERE dictname = 'hearing_porter_stem') THEN
        CREATE TEXT SEARCH DICTIONARY hearing_porter_stem
          (TEMPLATE = snowball, Language = porter);
      END IF;
      IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'hearing_english') THEN
        CREATE TEXT SEARCH CONFIGURATION hearing_english (COPY = english);
        ALTER TEXT SEARCH CONFIGURATION hearing_english ALTER MAPPING
          FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
          WITH hearing_porter_stem;
      END IF;
    END $$
    """,
    "ALTER TABLE segments ADD COLUMN IF NOT EXISTS text_search tsvector GENERATED ALWAYS AS "
    "(to_tsvector('hearing_english'::regconfig, "
    "regexp_replace(text, '[^[:alnum:][:space:]]+', ' ', 'g'))) STORED",
    "CREATE INDEX IF NOT EXISTS ix_segments_text_search ON segments USING gin (text_search)",
    "DROP INDEX IF EXISTS ix_segments_fts",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_people_name_trgm ON people USING gin (lower(name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_organizations_name_trgm ON organizations "
    "USING gin (lower(name) gin_trgm_ops)",
)
DOWNGRADE = (
    "DROP INDEX IF EXISTS ix_organizations_name_trgm",
    "DROP INDEX IF EXISTS ix_people_name_trgm",
    "DROP INDEX IF EXISTS ix_segments_text_search",
    "ALTER TABLE segments DROP COLUMN IF EXISTS text_search",
    "CREATE INDEX IF NOT EXISTS ix_segments_fts ON segments "
    "USING gin (to_tsvector('english', text))",
)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in UPGRADE:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in DOWNGRADE:
            op.execute(statement)
