"""Graduate import from EHIS: for every curriculum linked to a standard (or one chosen school or
curriculum), the graduates in a graduation window, page by page. Whole pages are written in one
transaction: persons and enrolments are upserted set-based on their natural keys (isikukood;
person × curriculum — unique in the database), routed to an awarding body on the way in, and
audited. A bad record is rejected with record, field and reason; a failing page or curriculum is
listed and the rest goes on.

Speed (bench/import_export.py, bench/RESULTS.md): pages are fetched and parsed in a reader thread
while earlier ones are written; routing is computed once per (curriculum, candidate or not,
date). On PostgreSQL consecutive pages are gathered into batches of about 1,000 graduates (never
the same person twice in a batch), each written by one statement (:data:`PG_PAGE_SQL`) that
upserts persons and enrolments and writes their audit rows inside the database, two batches at a
time on their own connections, committed in order (:class:`PgPageImporter`). Elsewhere (the SQLite
demo) each page is written by a few set-based statements (:class:`PageImporter`)."""
from __future__ import annotations

import datetime as dt
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import and_, or_, select, tuple_, update

from app.audit import current_actor, record_bulk
from app.models import Curriculum, CurriculumStandardLink, Enrolment, Person, School
from app.models.base import utcnow
from app.services.routing import NOT_CANDIDATES, Route, Router
from app.xroad.errors import XRoadError

PERSON_FIELDS = ("first_name", "last_name", "birth_date")
ENROLMENT_FIELDS = ("school_id", "study_language", "study_form", "status", "expected_graduation",
                    "graduation_date", "standard_id", "awarding_body_id", "routing_problem")


@dataclass(frozen=True)
class Target:
    id: int
    ehis_code: int
    school_id: int
    school_ehis_id: int


def _insert_ignore(session, model, rows, keys):
    """INSERT … ON CONFLICT DO NOTHING on PostgreSQL and SQLite alike."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(model).on_conflict_do_nothing(index_elements=keys), rows)


def targets(session, curriculum_code=None, school_ehis_id=None) -> list[Target]:
    query = (select(Curriculum.id, Curriculum.ehis_code, Curriculum.school_id, School.ehis_id)
             .join(School, School.id == Curriculum.school_id).order_by(Curriculum.ehis_code))
    if curriculum_code is not None:
        query = query.where(Curriculum.ehis_code == int(curriculum_code))
    else:
        linked = select(CurriculumStandardLink.curriculum_id)
        query = query.where(Curriculum.id.in_(linked), Curriculum.status == "valid")
        if school_ehis_id is not None:
            query = query.where(School.ehis_id == int(school_ehis_id))
    return [Target(*row) for row in session.execute(query)]


class RouteCache:
    """Router.route memoised per (curriculum, candidate or not, date): a page of a curriculum
    has a few hundred distinct dates at most, and the route depends on nothing else."""

    def __init__(self, router: Router):
        self.router = router
        self._routes: dict[tuple, Route] = {}

    def route(self, curriculum_id: int, status: str, on: dt.date | None) -> Route:
        key = (curriculum_id, status in NOT_CANDIDATES, on)
        route = self._routes.get(key)
        if route is None:
            route = self._routes[key] = self.router.route(curriculum_id, status, on)
        return route


class PageImporter:
    """Portable page writer (any dialect): a few set-based statements per page."""

    def __init__(self, session, ctx, router: RouteCache | Router):
        self.session = session
        self.ctx = ctx
        self.router = router

    batch_rows = 1  # a transaction per page

    def submit(self, batch: _Batch) -> None:
        for target, graduates in batch.chunks:
            self.enrolments(target, graduates, self.persons(graduates))
        self.session.commit()
        self.ctx.advance(batch.records)

    def finish(self) -> None:
        pass

    def close(self) -> None:
        pass

    def persons(self, graduates) -> dict[tuple, int]:
        """Upsert the persons of a page; returns person_key -> person id."""
        session = self.session
        coded = {g.isikukood: g for g in graduates if g.isikukood}
        foreign = {g.person_key: g for g in graduates if not g.isikukood}
        found: dict[tuple, tuple] = {}
        if coded:
            for row in session.execute(select(Person.id, Person.isikukood, *[getattr(Person, f) for f in PERSON_FIELDS])
                                       .where(Person.isikukood.in_(list(coded)))):
                found[(row.isikukood,)] = row
        if foreign:
            keys = [(g.first_name, g.last_name, g.birth_date) for g in foreign.values()]
            for row in session.execute(
                select(Person.id, Person.isikukood, *[getattr(Person, f) for f in PERSON_FIELDS])
                .where(Person.isikukood.is_(None),
                       tuple_(Person.first_name, Person.last_name, Person.birth_date).in_(keys))):
                found[(row.first_name.casefold(), row.last_name.casefold(), row.birth_date)] = row
        new_rows, changes, events = [], [], []
        for key, g in {**{(c,): g for c, g in coded.items()}, **foreign}.items():
            values = {"isikukood": g.isikukood, "first_name": g.first_name, "last_name": g.last_name,
                      "birth_date": g.birth_date}
            row = found.get(key)
            if row is None:
                new_rows.append(values)
                continue
            diff = {f: (getattr(row, f), values[f]) for f in PERSON_FIELDS
                    if values[f] is not None and getattr(row, f) != values[f]}
            if diff:
                changes.append({"id": row.id, **{f: n for f, (_, n) in diff.items()}})
                events.append((row.id, "update", diff, g.isikukood))
        if new_rows:
            _insert_ignore(session, Person, [r for r in new_rows if r["isikukood"]], ["isikukood"])
            for r in (r for r in new_rows if not r["isikukood"]):
                session.execute(Person.__table__.insert().values(r))
            for row in session.execute(
                select(Person.id, Person.isikukood, *[getattr(Person, f) for f in PERSON_FIELDS]).where(or_(
                    Person.isikukood.in_([r["isikukood"] for r in new_rows if r["isikukood"]]),
                    and_(Person.isikukood.is_(None), tuple_(Person.first_name, Person.last_name, Person.birth_date)
                         .in_([(r["first_name"], r["last_name"], r["birth_date"]) for r in new_rows
                               if not r["isikukood"]] or [("", "", None)]))))):
                key = (row.isikukood,) if row.isikukood else (
                    row.first_name.casefold(), row.last_name.casefold(), row.birth_date)
                if key not in found:
                    found[key] = row
                    events.append((row.id, "insert", {f: (None, getattr(row, f)) for f in
                                                      ("isikukood", *PERSON_FIELDS) if getattr(row, f) is not None},
                                   row.isikukood))
        if changes:
            session.execute(update(Person), changes)
        record_bulk(session.connection(), "Person", events)
        return {key: row.id for key, row in found.items()}

    def enrolments(self, target: Target, graduates, person_ids: dict[tuple, int]) -> None:
        session, ctx = self.session, self.ctx
        wanted = {}
        for g in graduates:
            route = self.router.route(target.id, g.status, g.expected_graduation)
            wanted[person_ids[g.person_key]] = ({
                "school_id": target.school_id, "study_language": g.study_language,
                "study_form": g.study_form, "status": g.status, "expected_graduation": g.expected_graduation,
                "graduation_date": g.graduation_date, "standard_id": route.standard_id,
                "awarding_body_id": route.awarding_body_id, "routing_problem": route.problem,
            }, g.isikukood)
        existing = {row.person_id: row for row in session.execute(
            select(Enrolment.id, Enrolment.person_id, *[getattr(Enrolment, f) for f in ENROLMENT_FIELDS])
            .where(Enrolment.curriculum_id == target.id, Enrolment.person_id.in_(list(wanted))))}
        new_rows, changes, events = [], [], []
        for person_id, (values, code) in wanted.items():
            row = existing.get(person_id)
            if row is None:
                new_rows.append({"person_id": person_id, "curriculum_id": target.id, **values})
                continue
            diff = {f: (getattr(row, f), values[f]) for f in ENROLMENT_FIELDS if getattr(row, f) != values[f]}
            if diff:
                changes.append({"id": row.id, **{f: n for f, (_, n) in diff.items()}})
                events.append((row.id, "update", diff, code))
                ctx.count(updated=1)
            else:
                ctx.count(unchanged=1)
        if new_rows:
            _insert_ignore(session, Enrolment, new_rows, ["person_id", "curriculum_id"])
            codes = {pid: code for pid, (_, code) in wanted.items()}
            for row in session.execute(
                select(Enrolment.id, Enrolment.person_id, *[getattr(Enrolment, f) for f in ENROLMENT_FIELDS])
                .where(Enrolment.curriculum_id == target.id,
                       Enrolment.person_id.in_([r["person_id"] for r in new_rows]))):
                events.append((row.id, "insert", {f: (None, getattr(row, f)) for f in ENROLMENT_FIELDS
                                                  if getattr(row, f) is not None}, codes[row.person_id]))
            ctx.count(created=len(new_rows))
        if changes:
            session.execute(update(Enrolment), changes)
        record_bulk(session.connection(), "Enrolment", events)


# One statement per batch on PostgreSQL. All CTEs see the snapshot taken before the statement,
# so ``old_p``/``old_e`` hold the values before the upserts and the audit rows carry old -> new.
# Audit rows have the shape app.audit.record_bulk writes: {field: [old, new]}, dates ISO 8601,
# None fields left out of inserts (tests/test_graduate_import_paths.py compares both paths). A
# person inserted meanwhile by another transaction is skipped by ON CONFLICT DO NOTHING and shows
# in the counts; the batch is then rolled back and written again. Two imports never run at once
# (:func:`one_import_at_a_time`).
_G_COLUMNS = ("curriculum_id", "school_id", "isikukood", "first_name", "last_name", "birth_date",
              "study_language", "study_form", "status", "expected_graduation", "graduation_date",
              "standard_id", "awarding_body_id", "routing_problem")
_G_TYPES = ("int", "int", "varchar", "varchar", "varchar", "date",
            "varchar", "varchar", "varchar", "date", "date",
            "int", "int", "text")
_E = ENROLMENT_FIELDS


def _json_fields(fields, old: str | None, new: str, when: Callable[[str], str]) -> str:
    """The audit ``changes`` {"f": [old, new], ...} of the fields where ``when(f)`` holds, as JSON
    text put together from to_json() of each value (a third of the cost of json_build_object with
    json_strip_nulls)."""
    parts = []
    for f in fields:
        before = f"coalesce(to_json({old}.{f})::text, 'null')" if old else "'null'"
        after = f"coalesce(to_json({new}.{f})::text, 'null')"
        parts.append(f"""CASE WHEN {when(f)} THEN '"{f}": [' || {before} || ', ' || {after} || ']' END""")
    return f"('{{' || concat_ws(', ', {', '.join(parts)}) || '}}')::json"


def _person_changed(f: str) -> str:
    # a value EHIS leaves out (birth date of a coded person) never clears a stored one
    return f"(g.{f} IS NOT NULL AND o.{f} IS DISTINCT FROM g.{f})"


PG_PAGE_SQL = f"""
-- The planner's row estimates for these CTEs are far too high; JIT would then spend seconds
-- compiling a statement that runs in milliseconds. Batches written at once never share a row,
-- so no lock wait is expected; should one happen anyway, it fails instead of waiting forever.
SET LOCAL jit = off;
SET LOCAL lock_timeout = '2min';
WITH g AS (
    SELECT * FROM unnest({", ".join(f"%({c})s::{t}[]" for c, t in zip(_G_COLUMNS, _G_TYPES, strict=True))})
        WITH ORDINALITY AS t({", ".join(_G_COLUMNS)}, n)
),
old_p AS (
    -- LATERAL … LIMIT 1 (the key is unique): index probes whatever the table statistics say
    SELECT g.n, p.id, p.first_name, p.last_name, p.birth_date
    FROM g CROSS JOIN LATERAL (SELECT id, first_name, last_name, birth_date FROM person
                               WHERE isikukood = g.isikukood LIMIT 1) p
    WHERE g.isikukood IS NOT NULL{{foreign}}
),
new_p AS (
    INSERT INTO person (isikukood, first_name, last_name, birth_date)
    SELECT g.isikukood, g.first_name, g.last_name, g.birth_date FROM g
    WHERE NOT EXISTS (SELECT FROM old_p WHERE old_p.n = g.n)
    ORDER BY g.n
    ON CONFLICT (isikukood) DO NOTHING
    RETURNING id, isikukood, first_name, last_name, birth_date
),
changed_p AS (
    SELECT o.*, g.isikukood FROM old_p o JOIN g ON g.n = o.n
    WHERE {" OR ".join(_person_changed(f) for f in PERSON_FIELDS)}
),
upd_p AS (
    UPDATE person p SET {", ".join(f"{f} = coalesce(g.{f}, p.{f})" for f in PERSON_FIELDS)}
    FROM changed_p c JOIN g ON g.n = c.n
    -- the id list steers the planner to the primary key: with the statistics of a table that is
    -- growing under the import it would hash the whole table for a handful of changed rows
    WHERE p.id = c.id AND p.id = ANY(ARRAY(SELECT id FROM changed_p))
    RETURNING p.id
),
pid AS (
    SELECT n, id FROM old_p
    UNION ALL
    SELECT g.n, np.id FROM new_p np JOIN g ON np.isikukood = g.isikukood
    UNION ALL
    SELECT g.n, np.id FROM new_p np JOIN g ON np.isikukood IS NULL AND g.isikukood IS NULL
        AND np.first_name = g.first_name AND np.last_name = g.last_name AND np.birth_date = g.birth_date
),
w AS (
    SELECT pid.id AS person_id, g.* FROM g JOIN pid ON pid.n = g.n
),
old_e AS (
    SELECT w.n, e.* FROM w CROSS JOIN LATERAL (
        SELECT id, {", ".join(_E)} FROM enrolment
        WHERE person_id = w.person_id AND curriculum_id = w.curriculum_id LIMIT 1) e
),
new_e AS (
    INSERT INTO enrolment (person_id, curriculum_id, {", ".join(_E)}, candidate_confirmed)
    SELECT w.person_id, w.curriculum_id, {", ".join(f"w.{f}" for f in _E)}, false FROM w
    WHERE NOT EXISTS (SELECT FROM old_e WHERE old_e.n = w.n)
    ORDER BY w.n
    ON CONFLICT (person_id, curriculum_id) DO NOTHING
    RETURNING id, person_id, curriculum_id, {", ".join(_E)}
),
changed_e AS (
    SELECT o.*, w.isikukood FROM old_e o JOIN w ON w.n = o.n
    WHERE ({", ".join(f"o.{f}" for f in _E)}) IS DISTINCT FROM ({", ".join(f"w.{f}" for f in _E)})
),
upd_e AS (
    UPDATE enrolment e SET {", ".join(f"{f} = w.{f}" for f in _E)}
    FROM changed_e c JOIN w ON w.n = c.n
    WHERE e.id = c.id AND e.id = ANY(ARRAY(SELECT id FROM changed_e))  -- as in upd_p
    RETURNING e.id
),
audit AS (
    INSERT INTO audit_event (at, actor, user_id, entity, entity_id, action, subject_isikukood, changes)
    SELECT %(at)s::timestamptz, %(actor)s::varchar, %(user_id)s::int, 'Person', np.id, 'insert', np.isikukood,
           {_json_fields(("isikukood", *PERSON_FIELDS), None, "np", lambda f: f"np.{f} IS NOT NULL")}
    FROM new_p np
    UNION ALL
    SELECT %(at)s::timestamptz, %(actor)s::varchar, %(user_id)s::int, 'Person', c.id, 'update', c.isikukood,
           {_json_fields(PERSON_FIELDS, "c", "g", lambda f: _person_changed(f).replace("o.", "c."))}
    FROM changed_p c JOIN g ON g.n = c.n
    UNION ALL
    SELECT %(at)s::timestamptz, %(actor)s::varchar, %(user_id)s::int, 'Enrolment', ne.id, 'insert', w.isikukood,
           {_json_fields(_E, None, "ne", lambda f: f"ne.{f} IS NOT NULL")}
    FROM new_e ne JOIN w ON w.person_id = ne.person_id AND w.curriculum_id = ne.curriculum_id
    UNION ALL
    SELECT %(at)s::timestamptz, %(actor)s::varchar, %(user_id)s::int, 'Enrolment', c.id, 'update', c.isikukood,
           {_json_fields(_E, "c", "w", lambda f: f"c.{f} IS DISTINCT FROM w.{f}")}
    FROM changed_e c JOIN w ON w.n = c.n
)
SELECT (SELECT count(*) FROM pid), (SELECT count(*) FROM old_e), (SELECT count(*) FROM new_e),
       (SELECT count(*) FROM upd_e)
"""


def _pg_text(value: str | None) -> str:
    """An element of a PostgreSQL array literal: NULL or a double-quoted string."""
    if value is None:
        return "NULL"
    if "\\" in value or '"' in value:
        value = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{value}"'


def _pg_date(value: dt.date | None) -> str:
    return "NULL" if value is None else value.isoformat()


def _pg_int(value: int | None) -> str:
    return "NULL" if value is None else str(int(value))


# Students without isikukood are found by exact names and birth date among the persons without
# one (the OFFSET 0 fence keeps the planner on that small set instead of the name trigram
# indexes, whose pending lists are slow to search while a large import is running).
_FOREIGN_SQL = """
    UNION ALL
    (SELECT DISTINCT ON (g.n) g.n, p.id, p.first_name, p.last_name, p.birth_date
     FROM g JOIN (SELECT id, first_name, last_name, birth_date FROM person
                  WHERE isikukood IS NULL OFFSET 0) p
         ON p.first_name = g.first_name AND p.last_name = g.last_name AND p.birth_date = g.birth_date
     WHERE g.isikukood IS NULL
     ORDER BY g.n, p.id)"""
PG_PAGE_SQL_CODED = PG_PAGE_SQL.replace("{foreign}", "")
PG_PAGE_SQL = PG_PAGE_SQL.replace("{foreign}", _FOREIGN_SQL)


class PgPageImporter:
    """PostgreSQL batch writer: one statement per batch (:data:`PG_PAGE_SQL`), the values sent as
    one array per column. ``writers`` batches are written at once on their own connections (the
    database, not Python, does most of the work); they commit in the order they were formed, a
    batch only after the one before it, and never two at once that share a person."""

    batch_rows = 1000  # pages of small curricula share a statement and a transaction

    def __init__(self, session, ctx, router: RouteCache | Router, writers: int = 2):
        self.engine = session.get_bind()
        self.ctx = ctx
        self.router = router
        self.writers = max(1, writers)
        self._route_texts: dict[tuple, tuple[str, str, str]] = {}
        self._pool = ThreadPoolExecutor(self.writers, thread_name_prefix="graduate-writer")
        self._inflight: deque[_Write] = deque()

    def _routes(self, target: Target, graduates) -> list[tuple[str, str, str]]:
        """Each graduate's route as array elements (standard, body, problem), memoised."""
        texts, route = self._route_texts, self.router.route
        out = []
        for g in graduates:
            key = (target.id, g.status in NOT_CANDIDATES, g.expected_graduation)
            text = texts.get(key)
            if text is None:
                r = route(target.id, g.status, g.expected_graduation)
                text = texts[key] = (_pg_int(r.standard_id), _pg_int(r.awarding_body_id), _pg_text(r.problem))
            out.append(text)
        return out

    def _params(self, chunks: list[tuple[Target, list]]) -> dict[str, Any]:
        graduates = [g for _, chunk in chunks for g in chunk]
        routes = [r for target, chunk in chunks for r in self._routes(target, chunk)]
        q, day = _pg_text, _pg_date
        columns = {
            "curriculum_id": [str(target.id) for target, chunk in chunks for _ in chunk],
            "school_id": [str(target.school_id) for target, chunk in chunks for _ in chunk],
            "isikukood": [q(g.isikukood) for g in graduates],
            "first_name": [q(g.first_name) for g in graduates],
            "last_name": [q(g.last_name) for g in graduates],
            "birth_date": [day(g.birth_date) for g in graduates],
            "study_language": [q(g.study_language) for g in graduates],
            "study_form": [q(g.study_form) for g in graduates],
            "status": [q(g.status) for g in graduates],
            "expected_graduation": [day(g.expected_graduation) for g in graduates],
            "graduation_date": [day(g.graduation_date) for g in graduates],
            "standard_id": [r[0] for r in routes],
            "awarding_body_id": [r[1] for r in routes],
            "routing_problem": [r[2] for r in routes],
        }
        params: dict[str, Any] = {name: "{" + ",".join(values) + "}" for name, values in columns.items()}
        actor, user_id = current_actor()
        params.update(at=utcnow(), actor=actor, user_id=user_id)
        return params

    def submit(self, batch: _Batch) -> None:
        if not batch.chunks:
            self.ctx.advance(batch.records)
            return
        graduates = [g for _, chunk in batch.chunks for g in chunk]
        sql = PG_PAGE_SQL if any(g.isikukood is None for g in graduates) else PG_PAGE_SQL_CODED
        params = self._params(batch.chunks)
        while len(self._inflight) >= self.writers or any(
                not w.batch.keys.isdisjoint(batch.keys) for w in self._inflight):
            self._collect(self._inflight[0])
        write = _Write(batch, self._inflight[-1] if self._inflight else None)
        write.future = self._pool.submit(self._write, write, sql, params, len(graduates))
        self._inflight.append(write)
        while self._inflight and self._inflight[0].future.done():
            self._collect(self._inflight[0])

    def _write(self, write: _Write, sql: str, params: dict[str, Any], rows: int) -> tuple[int, int, int]:
        try:
            with self.engine.connect() as conn:
                for _attempt in range(3):
                    persons, existing, created, updated = conn.exec_driver_sql(sql, params).one()
                    if persons == rows and existing + created == rows:
                        break
                    # someone else (a form, another system) inserted some of these rows meanwhile:
                    # write again, seeing them
                    conn.rollback()
                else:
                    codes = ", ".join(str(target.ehis_code) for target, _ in write.batch.chunks)
                    raise RuntimeError(f"õppekavad {codes}: samaaegne import muutis samu kirjeid; "
                                       "käivitage import uuesti")
                if write.previous is not None:
                    write.previous.done.wait()
                    if not write.previous.committed:  # commits stay in order: roll back after a failure
                        conn.rollback()
                        raise RuntimeError("eelmise partii kirjutamine ebaõnnestus")
                conn.commit()
                write.committed = True
            return created, updated, existing - updated
        finally:
            write.done.set()

    def _collect(self, write: _Write) -> None:
        created, updated, unchanged = write.future.result()
        self._inflight.popleft()
        self.ctx.count(created=created, updated=updated, unchanged=unchanged)
        self.ctx.advance(write.batch.records)

    def finish(self) -> None:
        while self._inflight:
            self._collect(self._inflight[0])

    def close(self) -> None:
        """After a failure: let the batches on their way end (they roll back), free the threads."""
        for write in self._inflight:
            write.done.wait()
        self._pool.shutdown(wait=True)


@dataclass(eq=False)
class _Write:
    batch: _Batch
    previous: _Write | None
    future: Future | None = None
    committed: bool = False
    done: threading.Event = field(default_factory=threading.Event)


# Advisory lock key: one graduate import at a time per database (PostgreSQL).
IMPORT_LOCK = 0x454B5301


@contextmanager
def one_import_at_a_time(session, ctx, poll: float = 2.0, give_up: float = 3600.0):
    """Imports with different parameters (all curricula, one school) would otherwise write the
    same persons at once; with batches committed in order by two writers, waits between two such
    imports could form a cycle the database cannot see. The later import waits here, beating its
    heartbeat, and then finds the rows the first one wrote."""
    engine = session.get_bind()
    if engine.dialect.name != "postgresql":
        yield
        return
    deadline = time.monotonic() + give_up
    with engine.connect() as conn:
        while not conn.exec_driver_sql("SELECT pg_try_advisory_lock(%s)", (IMPORT_LOCK,)).scalar():
            conn.commit()
            if time.monotonic() > deadline:
                raise RuntimeError("teine lõpetanute import on tund aega pooleli: kontrollige töid ja "
                                   f"andmebaasi lukku pg_locks (advisory {IMPORT_LOCK})")
            ctx.checkpoint(force=True)
            time.sleep(poll)
        conn.commit()  # the lock belongs to the connection, not to a transaction
        try:
            yield
        finally:
            conn.exec_driver_sql("SELECT pg_advisory_unlock(%s)", (IMPORT_LOCK,))
            conn.commit()


def import_graduates(session, client, ctx, targets_: list[Target], alates: dt.date | None,
                     kuni: dt.date | None, page_size: int = 1000, writers: int = 2) -> None:
    with one_import_at_a_time(session, ctx):
        _import_graduates(session, client, ctx, targets_, alates, kuni, page_size, writers)


def _import_graduates(session, client, ctx, targets_: list[Target], alates, kuni, page_size: int,
                      writers: int) -> None:
    router = RouteCache(Router(session))
    session.commit()  # the reference data is read: no transaction stays open while importing
    fast = session.get_bind().dialect.name == "postgresql"
    writer = PgPageImporter(session, ctx, router, writers) if fast else PageImporter(session, ctx, router)
    batch = _Batch()
    total = 0
    current = None
    events = read_ahead(lambda: _stream_events(client, targets_, alates, kuni, page_size), READ_AHEAD)
    try:
        with closing(events):  # a failing write stops the reader before the client closes
            for target, kind, item in events:
                if kind == "page":
                    page = item
                    if target is not current:
                        current = target
                        total += page.total
                        if ctx.total is None:
                            ctx.set_total(total)
                        else:  # written with the next progress checkpoint, not a write per curriculum
                            ctx.total = total
                    good = []
                    for record in page.records:
                        if record.ok and _school_matches(record.graduate, target, ctx, record):
                            good.append(record.graduate)
                        for problem in record.problems:
                            ctx.reject(problem.record, problem.field, problem.reason)
                    keys = {g.person_key for g in good}
                    if not batch.keys.isdisjoint(keys):  # one person once per batch: pages apply in order
                        writer.submit(batch)
                        batch = _Batch()
                    batch.add(target, good, keys, len(page.records))
                    if batch.rows >= writer.batch_rows:
                        writer.submit(batch)
                        batch = _Batch()
                elif kind == "error":  # the curriculum's stream broke off; its pages so far are kept
                    ctx.reject(f"õppekava {target.ehis_code}", None, str(item))
                else:  # "end": pages skipped after every retry
                    for failed in item:
                        ctx.reject(f"õppekava {target.ehis_code} leht {failed.page}", None, str(failed))
        writer.submit(batch)
        writer.finish()
    finally:
        writer.close()


class _Batch:
    """Pages written in one transaction: consecutive pages (of one or more curricula) up to the
    writer's ``batch_rows``, never the same person twice."""

    def __init__(self) -> None:
        self.chunks: list[tuple[Target, list]] = []
        self.keys: set[tuple] = set()
        self.rows = 0
        self.records = 0

    def add(self, target: Target, graduates: list, keys: set[tuple], records: int) -> None:
        if graduates:
            self.chunks.append((target, graduates))
        self.keys |= keys
        self.rows += len(graduates)
        self.records += records


# Pages held ready by the reader thread (each at most MAX_PAGE_SIZE records): bounded memory.
READ_AHEAD = 8


def _stream_events(client, targets_: list[Target], alates, kuni, page_size: int):
    """(target, "page", page) for every page of every target, (target, "error", XRoadError) when
    a stream breaks off, and (target, "end", failed pages) after each target."""
    for target in targets_:
        stream = client.kutseoppe_lopetajad(target.ehis_code, alates, kuni, page_size, skip_failed_pages=True)
        try:
            for page in stream.pages():
                yield target, "page", page
        except XRoadError as exc:
            yield target, "error", exc
        yield target, "end", list(stream.failed_pages)


def read_ahead(make: Callable[[], Iterable], size: int) -> Iterator:
    """Iterate ``make()`` in a background thread, at most ``size`` items ahead, so that fetching
    and parsing the next page overlaps writing this one. Exceptions are re-raised here; when the
    consumer stops early the thread stops too."""
    items: queue.Queue = queue.Queue(size)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        iterator = iter(())
        try:
            iterator = iter(make())
            for item in iterator:
                if not put(("item", item)):
                    return
            put(("end", None))
        except BaseException as exc:  # handed to the consumer
            put(("error", exc))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=run, name="graduate-reader", daemon=True)
    thread.start()
    try:
        while True:
            kind, item = items.get()
            if kind == "item":
                yield item
            elif kind == "end":
                return
            else:
                raise item
    finally:
        stop.set()
        thread.join(timeout=10)


def _school_matches(graduate, target: Target, ctx, record) -> bool:
    if graduate.school_ehis_id != target.school_ehis_id:
        ctx.reject(f"õppekava {target.ehis_code} kirje {record.position}", "koolId",
                   f"kool {graduate.school_ehis_id} ei ole õppekava {target.ehis_code} kool")
        return False
    # The personal code has passed app.xroad.codes.isikukood_problem in the stream, the same rule
    # as the model's (app.validation.isikukood, stdnum.ee.ik; the tests hold them equal).
    return True


def job(ctx, curriculum_code: int | None = None, school_ehis_id: int | None = None,
        alates: str | None = None, kuni: str | None = None) -> None:
    """Job entry: graduates of the linked curricula (or one school or curriculum) in a window."""
    from app.xroad.ehis import EhisClient

    session = current_app.appbuilder.session
    chosen = targets(session, curriculum_code, school_ehis_id)
    if curriculum_code is not None and not chosen:
        ctx.reject(f"õppekava {curriculum_code}", "oppekavaKood", "tundmatu õppekava (käivitage EHISe sünkroonimine)")
        return
    start = dt.date.fromisoformat(alates) if alates else None
    end = dt.date.fromisoformat(kuni) if kuni else None
    with EhisClient.from_config(current_app.config) as client:
        import_graduates(session, client, ctx, chosen, start, end,
                         writers=int(current_app.config.get("GRADUATE_IMPORT_WRITERS", 2)))
