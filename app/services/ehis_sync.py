"""Master data from EHIS: schools, and curricula with their links to standard versions."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app.models import (
    Curriculum,
    CurriculumStandardLink,
    OccupationalStandard,
    PartialQualification,
    School,
    Specialisation,
)
from app.services.sync_common import upsert


def sync_schools(session, client, ctx) -> None:
    batch = client.oppeasutused()
    for problem in batch.problems:
        ctx.reject(problem.record, problem.field, problem.reason)
    existing = {s.ehis_id: s for s in session.execute(select(School)).scalars()}
    for school in batch.items:
        upsert(session, ctx, existing, school.ehis_id, School, {
            "ehis_id": school.ehis_id, "registrikood": school.registrikood, "name": school.name,
            "name_en": school.name_en, "status": school.status,
        }, f"õppeasutus {school.ehis_id} ({school.name})")
        ctx.advance()
    session.commit()


def sync_curricula(session, client, ctx, school_ehis_id: int | None = None) -> None:
    batch = client.oppekavad(kool_id=school_ehis_id)
    for problem in batch.problems:
        ctx.reject(problem.record, problem.field, problem.reason)
    schools = dict(session.execute(select(School.ehis_id, School.id)).all())
    standards = dict(session.execute(select(OccupationalStandard.register_id, OccupationalStandard.id)).all())
    specs = dict(session.execute(select(Specialisation.register_id, Specialisation.id)).all())
    partials = dict(session.execute(select(PartialQualification.register_id, PartialQualification.id)).all())
    existing = {c.ehis_code: c for c in session.execute(select(Curriculum)).scalars()}
    for cur in batch.items:
        record = f"õppekava {cur.ehis_code} ({cur.name})"
        ctx.advance()
        school_id = schools.get(cur.school_ehis_id)
        if school_id is None:
            ctx.reject(record, "koolId", f"tundmatu õppeasutus {cur.school_ehis_id}")
            continue
        obj = upsert(session, ctx, existing, cur.ehis_code, Curriculum, {
            "ehis_code": cur.ehis_code, "school_id": school_id, "name": cur.name, "name_en": cur.name_en,
            "level_code": cur.level_code, "status": cur.status, "no_valid_standard": cur.no_valid_standard,
        }, record)
        if obj is None:
            continue
        session.flush()
        wanted = set()
        for link in cur.links:
            standard_id = standards.get(link.standard_register_id)
            if standard_id is None:
                ctx.reject(record, "standardReaId",
                           f"kutsestandardit {link.standard_register_id} ei ole Kutseregistrist laaditud")
                continue
            spec_ids = [specs.get(i) for i in link.specialisation_ids] or [None]
            part_ids = [partials.get(i) for i in link.partial_qualification_ids] or [None]
            for spec_id in spec_ids:
                for part_id in part_ids:
                    wanted.add((standard_id, spec_id, part_id))
        current = {(lk.standard_id, lk.specialisation_id, lk.partial_qualification_id): lk
                   for lk in obj.standard_links}
        for key in current.keys() - wanted:
            obj.standard_links.remove(current[key])
        for standard_id, spec_id, part_id in sorted(wanted - current.keys(), key=str):
            obj.standard_links.append(CurriculumStandardLink(
                standard_id=standard_id, specialisation_id=spec_id, partial_qualification_id=part_id,
                school_id=school_id))
    session.commit()


def job(ctx, school_ehis_id: int | None = None) -> None:
    from app.xroad.ehis import EhisClient

    session = current_app.appbuilder.session
    with EhisClient.from_config(current_app.config) as client:
        if school_ehis_id is None:
            sync_schools(session, client, ctx)
        sync_curricula(session, client, ctx, school_ehis_id)
