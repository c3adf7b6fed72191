"""Graduate import from EHIS: for every curriculum linked to a standard (or one chosen school or
curriculum), the graduates in a graduation window, page by page. Each page is one transaction:
persons and enrolments are upserted set-based on their natural keys (isikukood; person ×
curriculum — unique in the database), routed to an awarding body on the way in, and audited.
A bad record is rejected with record, field and reason; a failing page or curriculum is listed
and the rest goes on."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import and_, or_, select, tuple_, update

from app import validation as v
from app.audit import record_bulk
from app.models import Curriculum, CurriculumStandardLink, Enrolment, Person, School
from app.services.routing import Router
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
    session.execute(insert(model).values(rows).on_conflict_do_nothing(index_elements=keys))


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


class PageImporter:
    def __init__(self, session, ctx, router: Router):
        self.session = session
        self.ctx = ctx
        self.router = router

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


def import_graduates(session, client, ctx, targets_: list[Target], alates: dt.date | None,
                     kuni: dt.date | None, page_size: int = 1000) -> None:
    importer = PageImporter(session, ctx, Router(session))
    total = 0
    for target in targets_:
        stream = client.kutseoppe_lopetajad(target.ehis_code, alates, kuni, page_size, skip_failed_pages=True)
        first = True
        try:
            for page in stream.pages():
                if first:
                    total += page.total
                    ctx.set_total(total)
                    first = False
                good = []
                for record in page.records:
                    if record.ok and _school_matches(record.graduate, target, ctx, record):
                        good.append(record.graduate)
                    for problem in record.problems:
                        ctx.reject(problem.record, problem.field, problem.reason)
                if good:
                    importer.enrolments(target, good, importer.persons(good))
                session.commit()
                ctx.advance(len(page.records))
        except XRoadError as exc:
            session.rollback()
            ctx.reject(f"õppekava {target.ehis_code}", None, str(exc))
        for failed in stream.failed_pages:
            ctx.reject(f"õppekava {target.ehis_code} leht {failed.page}", None, str(failed))


def _school_matches(graduate, target: Target, ctx, record) -> bool:
    if graduate.school_ehis_id != target.school_ehis_id:
        ctx.reject(f"õppekava {target.ehis_code} kirje {record.position}", "koolId",
                   f"kool {graduate.school_ehis_id} ei ole õppekava {target.ehis_code} kool")
        return False
    if graduate.isikukood and v.isikukood(graduate.isikukood):
        ctx.reject(f"õppekava {target.ehis_code} kirje {record.position}", "isikukood",
                   v.isikukood(graduate.isikukood))
        return False
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
        import_graduates(session, client, ctx, chosen, start, end)
