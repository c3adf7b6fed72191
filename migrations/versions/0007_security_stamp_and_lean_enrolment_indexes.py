"""Security stamp: a number every change to roles, groups and permissions raises (by trigger), so
that each worker can keep users' roles and permissions between requests. Enrolment: the three
single-column indexes that the (person, curriculum), (awarding body, person) and (school, person)
indexes lead with are dropped (every graduate imported wrote them for nothing).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 05:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# What a user's roles and their permissions are read from (app.security.stamp). ab_user itself is
# read on every request and is not among them.
WATCHED = ["ab_user_role", "ab_user_group", "ab_group_role", "ab_role", "ab_group",
           "ab_permission_view_role", "ab_permission_view", "ab_permission", "ab_view_menu"]
BUMP = "UPDATE security_stamp SET version = version + 1 WHERE id = 1"
REDUNDANT = [("ix_enrolment_person_id", ["person_id"]), ("ix_enrolment_awarding_body_id", ["awarding_body_id"]),
             ("ix_enrolment_school_id", ["school_id"])]


def upgrade():
    op.create_table('security_stamp',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('version', sa.BigInteger(), nullable=False),
                    sa.PrimaryKeyConstraint('id'))
    op.execute("INSERT INTO security_stamp (id, version) VALUES (1, 1)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE FUNCTION security_stamp_bump() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN {BUMP}; RETURN NULL; END $$")
        for table in WATCHED:  # TRUNCATE too: it fires no row or DELETE trigger
            op.execute(f"CREATE TRIGGER {table}_stamp AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION security_stamp_bump()")
    else:  # SQLite: row triggers, one per event
        for table in WATCHED:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_stamp_{event.lower()} AFTER {event} ON {table} "
                           f"BEGIN {BUMP}; END")
    for name, _ in REDUNDANT:
        op.drop_index(name, table_name='enrolment')


def downgrade():
    for name, columns in REDUNDANT:
        op.create_index(name, 'enrolment', columns, unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER {table}_stamp ON {table}")
        op.execute("DROP FUNCTION security_stamp_bump()")
    else:
        for table in WATCHED:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_stamp_{event}")
    op.drop_table('security_stamp')
