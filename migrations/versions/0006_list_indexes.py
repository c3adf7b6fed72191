"""Indexes for lists at scale: sort keys with the id tie-breaker, an awarding body's and a
school's certificates by date, and the (owner, person) pairs the person scope looks up

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 22:50:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_certificate_issue_date_id", "certificate", ["issue_date", "id"]),
    ("ix_certificate_ab_issue_date", "certificate", ["awarding_body_id", "issue_date", "id"]),
    ("ix_certificate_school_issue_date", "certificate", ["school_id", "issue_date", "id"]),
    ("ix_certificate_ab_person", "certificate", ["awarding_body_id", "person_id"]),
    ("ix_person_last_name_id", "person", ["last_name", "id"]),
    ("ix_person_birth_date_id", "person", ["birth_date", "id"]),
    ("ix_registration_status_id", "registration", ["status", "id"]),
    ("ix_enrolment_expected_graduation_id", "enrolment", ["expected_graduation", "id"]),
    ("ix_enrolment_ab_person", "enrolment", ["awarding_body_id", "person_id"]),
    ("ix_enrolment_school_person", "enrolment", ["school_id", "person_id"]),
]
REPLACED = [  # single-column indexes that the new ones lead with
    ("ix_certificate_issue_date", "certificate", ["issue_date"]),
    ("ix_enrolment_expected_graduation", "enrolment", ["expected_graduation"]),
]


def upgrade():
    for name, table, _ in REPLACED:
        op.drop_index(name, table_name=table)
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade():
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
    for name, table, columns in REPLACED:
        op.create_index(name, table, columns, unique=False)
