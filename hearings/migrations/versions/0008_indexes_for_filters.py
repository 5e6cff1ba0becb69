"""Indexes for the search filters and the pages that follow a foreign key.

At 1,000 hearing-hours a speaker's lines, a person's speakers, a matter's testimony and agenda
items, an organization's members and a hearing's body were each found by reading the whole
table (a speaker filter took 80 ms before any words were matched). Indexes only: no row
changes, and both directions are safe on a live archive.

Revision ID: 0008_indexes_for_filters
Revises: 0007_search_the_record
Create Date: 2026-12-04 23:10:00.000000

"""
from alembic import op

revision = '0008_indexes_for_filters'
down_revision = '0007_search_the_record'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_segments_speaker_id', 'segments', 'speaker_id'),
    ('ix_speakers_person_id', 'speakers', 'person_id'),
    ('ix_hearings_body_id', 'hearings', 'body_id'),
    ('ix_people_organization_id', 'people', 'organization_id'),
    ('ix_agenda_items_matter_id', 'agenda_items', 'matter_id'),
    ('ix_testimonies_matter_id', 'testimonies', 'matter_id'),
    ('ix_testimonies_person_id', 'testimonies', 'person_id'),
    ('ix_testimonies_hearing_id', 'testimonies', 'hearing_id'),
    ('ix_testimony_segments_segment_id', 'testimony_segments', 'segment_id'),
    ('ix_testimony_organizations_organization_id', 'testimony_organizations', 'organization_id'),
)



def upgrade():
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])
    # Browsing filtered lines newest first walks hearings in this order.
    op.create_index('ix_hearings_date_id', 'hearings', ['date', 'id'])


def downgrade():
    op.drop_index('ix_hearings_date_id', table_name='hearings')
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
