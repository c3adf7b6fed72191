"""The migrations build exactly the schema the models describe, with the indexes that the
scoped lists and name searches rely on (foreign keys, pg_trgm GIN)."""
from __future__ import annotations

import pprint

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

# The pg_trgm indexes that make the "contains" name searches usable at scale.
TRGM_COLUMNS = [
    ("person", "last_name"),
    ("person", "first_name"),
    ("certificate", "holder_name"),
    ("occupational_standard", "name"),
    ("school", "name"),
    ("awarding_body", "name"),
    ("curriculum", "name"),
]


def _metadata():
    from flask_appbuilder import Model

    import app.models  # noqa: F401  (our tables)
    import app.security.models  # noqa: F401  (ab_user with isikukood and organisation)

    return Model.metadata


def _engine(app):
    return app.appbuilder.session.get_bind()


def _our_tables() -> set[str]:
    """Tables of our domain models."""
    from app.models.base import DomainModel

    return {mapper.class_.__tablename__ for mapper in DomainModel.registry.mappers
            if issubclass(mapper.class_, DomainModel)}


# Columns we add to FAB's ab_user. FAB's own ab_user keys (created_by_fk, changed_by_fk) and
# its other tables are FAB's schema, small (one row per user/role) and not ours to change.
OUR_AB_USER_COLUMNS = {"awarding_body_id", "school_id"}


def _ours(table: str, columns: list[str]) -> bool:
    if table == "ab_user":
        return set(columns) <= OUR_AB_USER_COLUMNS
    return table in _our_tables()


def test_migrated_schema_matches_the_models(app, db):
    """`flask db migrate` would generate nothing: no table, column, type, nullability,
    index, unique or foreign key differs between the migrated database and the models."""
    with app.app_context(), _engine(app).connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, _metadata())
    # Nothing is filtered out: every difference is a migration someone forgot to write.
    assert diff == [], "models and migrations differ:\n" + pprint.pformat(diff)


def test_the_comparison_sees_differences(app, db):
    """Guard against a vacuous comparison: against an empty MetaData every table differs."""
    with app.app_context(), _engine(app).connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, sa.MetaData())
    removed = {d[1].name for d in diff if d[0] == "remove_table"}
    assert {"person", "certificate", "ab_user", "account_request"} <= removed


def test_database_is_at_the_single_head(app, db):
    """One head (no forked history) and the test database is upgraded to it."""
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        heads = ScriptDirectory.from_config(config).get_heads()
        with _engine(app).connect() as conn:
            current = MigrationContext.configure(conn).get_current_heads()
    assert len(heads) == 1, heads
    assert set(current) == set(heads)


def test_every_foreign_key_column_is_indexed(app, db):
    """PostgreSQL does not index foreign keys itself; scoped lists filter and join on them."""
    query = sa.text("""
        SELECT c.conrelid::regclass::text AS tbl,
               c.conname,
               array_agg(a.attname ORDER BY k.ord) AS cols,
               EXISTS (
                   SELECT 1 FROM pg_index i
                   WHERE i.indrelid = c.conrelid
                     AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] = c.conkey
               ) AS indexed
        FROM pg_constraint c
        CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
        WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
        GROUP BY c.conrelid, c.conname, c.conkey
    """)
    with app.app_context():
        rows = db.execute(query).all()
    checked = [row for row in rows if _ours(row.tbl, row.cols)]
    # Sanity: the catalog query sees our foreign keys (a broken query must not pass silently).
    assert len(checked) > 40
    assert {("registration", ("exam_session_id",)), ("ab_user", ("awarding_body_id",))} <= {
        (row.tbl, tuple(row.cols)) for row in checked
    }
    missing = sorted(f"{row.tbl}.{','.join(row.cols)} ({row.conname})" for row in checked if not row.indexed)
    assert missing == [], "foreign keys without an index: " + ", ".join(missing)


def test_trigram_indexes_for_name_search(app, db):
    with app.app_context():
        assert db.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first()
        rows = db.execute(sa.text("""
            SELECT t.relname AS tbl, a.attname AS col, am.amname AS method, opc.opcname AS opclass
            FROM pg_index i
            JOIN pg_class t ON t.oid = i.indrelid
            JOIN pg_class ix ON ix.oid = i.indexrelid
            JOIN pg_am am ON am.oid = ix.relam
            CROSS JOIN LATERAL unnest(i.indkey::int2[], i.indclass::oid[]) AS k(attnum, opcoid)
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
            JOIN pg_opclass opc ON opc.oid = k.opcoid
            WHERE t.relnamespace = 'public'::regnamespace
        """)).all()
    trigram = {(row.tbl, row.col) for row in rows if row.method == "gin" and row.opclass == "gin_trgm_ops"}
    missing = [f"{table}.{column}" for table, column in TRGM_COLUMNS if (table, column) not in trigram]
    assert missing == [], "no GIN gin_trgm_ops index on: " + ", ".join(missing)


def test_name_search_can_use_the_trigram_index(app, db):
    """The ILIKE '%...%' that FAB's "contains" filter sends is answered from the GIN index."""
    with app.app_context():
        db.execute(sa.text("SET LOCAL enable_seqscan = off"))
        # On an empty table a full scan of the sort index (last_name, id) costs as little; in
        # this transaction only, leave the planner the trigram index and the table.
        db.execute(sa.text("DROP INDEX ix_person_last_name_id"))
        plan = "\n".join(row[0] for row in db.execute(sa.text(
            "EXPLAIN SELECT id FROM person WHERE last_name ILIKE '%mids%'"
        )))
        db.rollback()
    assert "ix_person_last_name_trgm" in plan, plan
