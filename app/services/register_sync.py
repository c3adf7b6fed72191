"""Master data from Kutseregister: standards (incremental since the last successful run, full
on the first) with competences, specialisations and partial qualifications; awarding bodies
with their rights and kutsekomisjon members."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import select

from app.models import (
    AwardingBody,
    AwardingRight,
    CommitteeMember,
    Competence,
    OccupationalStandard,
    PartialQualification,
    QualificationCommittee,
    Specialisation,
)
from app.services.sync_common import last_success, upsert

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def sync_standards(session, client, ctx, since: dt.datetime | None) -> None:
    batch = client.muutunud_kutsestandardid(since or EPOCH)
    for problem in batch.problems:
        ctx.reject(problem.record, problem.field, problem.reason)
    existing = {s.register_id: s for s in session.execute(select(OccupationalStandard)).scalars()}
    specs = {s.register_id: s for s in session.execute(select(Specialisation)).scalars()}
    partials = {p.register_id: p for p in session.execute(select(PartialQualification)).scalars()}
    comps = {(c.standard_id, c.register_id): c for c in session.execute(select(Competence)).scalars()}
    for std in batch.items:
        record = f"kutsestandard {std.register_id} ({std.name})"
        obj = upsert(session, ctx, existing, std.register_id, OccupationalStandard, {
            "register_id": std.register_id, "group_id": std.group_id, "version": std.version,
            "name": std.name, "name_en": std.name_en, "ekr_level": std.ekr_level, "field": std.field,
            "occupation": std.occupation, "valid_from": std.valid_from, "valid_to": std.valid_to,
        }, record)
        ctx.advance()
        if obj is None:
            continue
        session.flush()
        for item in std.specialisations:
            upsert(session, ctx, specs, item.register_id, Specialisation,
                   {"standard_id": obj.id, "register_id": item.register_id, "name": item.name},
                   f"{record} spetsialiseerumine {item.register_id}")
        for item in std.partial_qualifications:
            upsert(session, ctx, partials, item.register_id, PartialQualification,
                   {"standard_id": obj.id, "register_id": item.register_id, "name": item.name},
                   f"{record} osakutse {item.register_id}")
        for comp in std.competences:
            upsert(session, ctx, comps, (obj.id, comp.register_id), Competence,
                   {"standard_id": obj.id, "register_id": comp.register_id, "name": comp.name,
                    "mandatory": comp.mandatory},
                   f"{record} kompetents {comp.register_id}")
    session.commit()


def sync_awarding_bodies(session, client, ctx) -> None:
    batch = client.kutse_andja_info()
    for problem in batch.problems:
        ctx.reject(problem.record, problem.field, problem.reason)
    standards = dict(session.execute(select(OccupationalStandard.register_id, OccupationalStandard.id)).all())
    bodies = {b.registrikood: b for b in session.execute(select(AwardingBody)).scalars()}
    rights = {(r.awarding_body_id, r.standard_id, r.valid_from): r
              for r in session.execute(select(AwardingRight)).scalars()}
    committees = {(c.awarding_body_id, c.name): c for c in session.execute(select(QualificationCommittee)).scalars()}
    members = {m.register_id: m for m in session.execute(select(CommitteeMember)).scalars()}
    for info in batch.items:
        record = f"kutse andja {info.registrikood} ({info.name})"
        body = upsert(session, ctx, bodies, info.registrikood, AwardingBody, {
            "registrikood": info.registrikood, "name": info.name,
            "exam_languages": ", ".join(lang.name for lang in info.exam_languages) or None,
        }, record)
        ctx.advance()
        if body is None:
            continue
        session.flush()
        for right in info.rights:
            standard_id = standards.get(right.standard_register_id)
            if standard_id is None:
                ctx.reject(f"{record} õigus", "kutsestandard",
                           f"kutsestandardit {right.standard_register_id} ei ole registrist laaditud")
                continue
            upsert(session, ctx, rights, (body.id, standard_id, right.valid_from), AwardingRight, {
                "awarding_body_id": body.id, "standard_id": standard_id, "valid_from": right.valid_from,
                "valid_to": right.valid_to,
            }, f"{record} õigus kutsestandardile {right.standard_register_id}")
        for committee in info.committees:
            qc = upsert(session, ctx, committees, (body.id, committee.name), QualificationCommittee,
                        {"awarding_body_id": body.id, "name": committee.name}, f"{record} kutsekomisjon")
            if qc is None:
                continue
            session.flush()
            for member in committee.members:
                upsert(session, ctx, members, member.register_id, CommitteeMember, {
                    "committee_id": qc.id, "awarding_body_id": body.id, "register_id": member.register_id,
                    "isikukood": member.isikukood, "name": member.name, "role": member.role,
                }, f"{record} kutsekomisjoni liige {member.register_id}")
    session.commit()


def job(ctx, full: bool = False) -> None:
    """Job entry: standards (incremental unless ``full``), then awarding bodies."""
    from app.xroad.kutseregister import KutseregisterClient

    session = current_app.appbuilder.session
    since = None if full else last_success(session, "register_sync")
    with KutseregisterClient.from_config(current_app.config) as client:
        sync_standards(session, client, ctx, since)
        sync_awarding_bodies(session, client, ctx)
