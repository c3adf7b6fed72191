"""awarding_body_person carries the person's names, in one trigram index with the awarding body:
an awarding body's name search finds its persons in that index alone, instead of matching the
name among all 500,000 persons (a common surname: 4,439 rows read from the person table) and then
probing each for the scope (PostgreSQL time of such a search: 12.6 -> 5.3 ms).

The names are a copy, kept by the triggers of migration 0009 (a new pair takes the person's
names, read under a share lock on the person, so a rename committing meanwhile is waited for and
its names are the ones copied) and by a trigger on person that copies a changed name to the
person's pairs (found through the three source tables' person indexes; pairs locked in key
order, as 0009 does). On SQLite (a single writer) row triggers do the same.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 10:00:00.000000

"""
import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_spec = importlib.util.spec_from_file_location("migration_0009", Path(__file__).with_name("0009_awarding_body_person.py"))
v0009 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(v0009)  # its trigger fragments: the drop side is unchanged

INDEX = "ix_awarding_body_person_names_trgm"
NAMES = ("first_name", "last_name")


def _add(pairs: str) -> str:
    """SQL: insert the pairs ``pairs`` selects with the persons' names (persons share-locked in
    id order), locking the pairs already there, in key order."""
    return f"""WITH p AS (SELECT DISTINCT * FROM ({pairs}) p WHERE awarding_body_id IS NOT NULL),
         x AS (SELECT id, first_name, last_name FROM person WHERE id IN (SELECT person_id FROM p)
               ORDER BY id FOR SHARE)
    INSERT INTO awarding_body_person (awarding_body_id, person_id, first_name, last_name)
    SELECT p.awarding_body_id, p.person_id, x.first_name, x.last_name FROM p JOIN x ON x.id = p.person_id
    ORDER BY 1, 2
    ON CONFLICT (awarding_body_id, person_id) DO UPDATE SET person_id = EXCLUDED.person_id WHERE false;"""


# The pairs of the persons whose name an UPDATE changed, with the new names.
_RENAMED = " UNION ".join(
    f"SELECT x.awarding_body_id, c.id AS person_id, c.first_name, c.last_name FROM changed c "
    f"JOIN {t} x ON x.person_id = c.id WHERE x.awarding_body_id IS NOT NULL" for t in v0009.SOURCES)
_CHANGED = ("SELECT n.id, n.first_name, n.last_name FROM new_rows n JOIN old_rows o ON o.id = n.id "
            "WHERE (n.first_name, n.last_name) IS DISTINCT FROM (o.first_name, o.last_name)")
PG_FUNCTIONS = {
    "add": _add(v0009.NEW),
    "move": _add(f"{v0009.NEW} EXCEPT {v0009.OLD}") + "\n    " + v0009._drop(f"{v0009.OLD} EXCEPT {v0009.NEW}"),
    "rename": f"""WITH changed AS ({_CHANGED}), held AS ({_RENAMED}),
         locked AS (SELECT h.* FROM awarding_body_person s
                    JOIN held h ON s.awarding_body_id = h.awarding_body_id AND s.person_id = h.person_id
                    ORDER BY s.awarding_body_id, s.person_id FOR UPDATE OF s)
    UPDATE awarding_body_person s SET first_name = l.first_name, last_name = l.last_name
    FROM locked l WHERE s.awarding_body_id = l.awarding_body_id AND s.person_id = l.person_id;""",
}

SQLITE_ADD = ("INSERT OR IGNORE INTO awarding_body_person (awarding_body_id, person_id, first_name, last_name) "
              "SELECT NEW.awarding_body_id, NEW.person_id, p.first_name, p.last_name FROM person p "
              "WHERE p.id = NEW.person_id AND NEW.awarding_body_id IS NOT NULL;")


def _function(name: str, body: str) -> str:
    return (f"CREATE OR REPLACE FUNCTION awarding_body_person_{name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n    {body}\n    RETURN NULL;\nEND $$")


def _sqlite_source_triggers(add: str) -> None:
    """(Re)create 0009's insert and update triggers of the three sources with ``add``."""
    for t in v0009.SOURCES:
        op.execute(f"DROP TRIGGER {t}_abp_insert")
        op.execute(f"DROP TRIGGER {t}_abp_update")
        op.execute(f"CREATE TRIGGER {t}_abp_insert AFTER INSERT ON {t} BEGIN {add} END")
        op.execute(f"CREATE TRIGGER {t}_abp_update AFTER UPDATE OF awarding_body_id, person_id ON {t} "
                   f"BEGIN {add} {v0009.SQLITE_DROP} END")


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")  # the awarding body's id in the GIN index
    # SQLite adds a NOT NULL column only with a default (and cannot rename a table that the
    # source triggers name, as a batch alteration would); the triggers always give the names.
    for name in NAMES:
        op.add_column('awarding_body_person', sa.Column(name, sa.String(length=255), nullable=postgresql,
                                                        server_default=None if postgresql else ''))
    op.execute("UPDATE awarding_body_person SET " + ", ".join(
        f"{name} = (SELECT p.{name} FROM person p WHERE p.id = awarding_body_person.person_id)" for name in NAMES))
    if postgresql:
        for name in NAMES:
            op.alter_column('awarding_body_person', name, existing_type=sa.String(length=255), nullable=False)
    op.create_index(INDEX, 'awarding_body_person', ['awarding_body_id', 'last_name', 'first_name'],
                    postgresql_using='gin', postgresql_ops={'last_name': 'gin_trgm_ops', 'first_name': 'gin_trgm_ops'})
    if postgresql:
        for name, body in PG_FUNCTIONS.items():
            op.execute(_function(name, body))
        op.execute("CREATE TRIGGER person_abp_rename AFTER UPDATE ON person "
                   "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
                   "FOR EACH STATEMENT EXECUTE FUNCTION awarding_body_person_rename()")
    else:
        _sqlite_source_triggers(SQLITE_ADD)
        op.execute("CREATE TRIGGER person_abp_rename AFTER UPDATE OF first_name, last_name ON person BEGIN "
                   "UPDATE awarding_body_person SET first_name = NEW.first_name, last_name = NEW.last_name "
                   "WHERE person_id = NEW.id; END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER person_abp_rename ON person")
        op.execute("DROP FUNCTION awarding_body_person_rename()")
        for name in ("add", "move"):
            op.execute(_function(name, v0009.PG_FUNCTIONS[name]))
    else:
        op.execute("DROP TRIGGER person_abp_rename")
        _sqlite_source_triggers(v0009.SQLITE_ADD)
    op.drop_index(INDEX, table_name='awarding_body_person')
    for name in NAMES:
        op.drop_column('awarding_body_person', name)
