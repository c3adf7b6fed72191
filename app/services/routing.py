"""Routing: every graduate of a linked curriculum lands on the candidate list of the awarding
body holding a valid right for the linked standard version on the expected graduation date.
Where that is impossible the enrolment carries the reason (shown in the "Probleemid" list)
with what to fix. Set-based: reference data is read once, enrolments in batches."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select, update

from app.audit import record_bulk
from app.models import (
    AwardingBody,
    AwardingRight,
    Curriculum,
    CurriculumStandardLink,
    Enrolment,
    OccupationalStandard,
    Person,
)

BATCH = 5000
# Students who have left are not candidates; their routing is cleared.
NOT_CANDIDATES = {"valja_arvatud"}


@dataclass(frozen=True)
class Route:
    standard_id: int | None
    awarding_body_id: int | None
    problem: str | None


class Router:
    """Holds curricula links, standards and rights in memory (hundreds of rows)."""

    def __init__(self, session):
        self.links: dict[int, list[int]] = defaultdict(list)
        for cur_id, std_id in session.execute(
            select(CurriculumStandardLink.curriculum_id, CurriculumStandardLink.standard_id)
            .order_by(CurriculumStandardLink.id)
        ):
            if std_id not in self.links[cur_id]:
                self.links[cur_id].append(std_id)
        self.curricula = {
            row.id: row for row in session.execute(
                select(Curriculum.id, Curriculum.name, Curriculum.ehis_code, Curriculum.no_valid_standard))
        }
        self.standards = {
            row.id: row for row in session.execute(
                select(OccupationalStandard.id, OccupationalStandard.name, OccupationalStandard.register_id,
                       OccupationalStandard.valid_from, OccupationalStandard.valid_to))
        }
        self.rights: dict[int, list] = defaultdict(list)
        for row in session.execute(
            select(AwardingRight.standard_id, AwardingRight.awarding_body_id, AwardingRight.valid_from,
                   AwardingRight.valid_to, AwardingBody.name)
            .join(AwardingBody, AwardingBody.id == AwardingRight.awarding_body_id)
            .order_by(AwardingRight.valid_from, AwardingRight.id)
        ):
            self.rights[row.standard_id].append(row)

    def route(self, curriculum_id: int, status: str, on: dt.date | None) -> Route:
        if status in NOT_CANDIDATES:
            return Route(None, None, None)
        cur = self.curricula.get(curriculum_id)
        standard_ids = self.links.get(curriculum_id, [])
        if not standard_ids:
            if cur is not None and cur.no_valid_standard:
                return Route(None, None, _problem_no_valid(cur))
            return Route(None, None, _problem_no_link(cur))
        day = on or dt.date.today()
        problems = []
        for std_id in standard_ids:
            std = self.standards[std_id]
            for right in self.rights.get(std_id, []):
                if right.valid_from <= day and (right.valid_to is None or day <= right.valid_to):
                    return Route(std_id, right.awarding_body_id, None)
            problems.append(_problem_no_right(std, day, bool(self.rights.get(std_id))))
        return Route(standard_ids[0], None, " ".join(problems))


def _problem_no_link(cur) -> str:
    name = f"{cur.name} ({cur.ehis_code})" if cur else "?"
    return (f"Õppekava {name} ei ole EHISes seotud ühegi kutsestandardiga. "
            "Kool: lisage EHISes õppekavale kehtiva kutsestandardi seos.")


def _problem_no_valid(cur) -> str:
    return (f"Õppekaval {cur.name} ({cur.ehis_code}) on EHISes märge „puudub kehtiv kutsestandard”. "
            "Kool: siduge õppekava EHISes kehtiva kutsestandardiga, kui see on olemas.")


def _problem_no_right(std, day: dt.date, had_rights: bool) -> str:
    when = day.strftime("%d.%m.%Y")
    if had_rights:
        return (f"Kutsestandardile {std.name} ({std.register_id}) ei ole ühelgi kutse andjal kehtivat "
                f"kutse andmise õigust eeldataval lõpetamise kuupäeval {when} (õigus on aegunud). "
                "Kutseregister: kontrollige kutse andmise õiguste kehtivust.")
    return (f"Kutsestandardile {std.name} ({std.register_id}) ei ole ühelgi kutse andjal kutse andmise "
            f"õigust. Kutseregister: määrake kutse andja või kool: siduge õppekava teise standardiga.")


def route_enrolments(session, ctx=None, enrolment_ids: list[int] | None = None) -> dict[str, int]:
    """Recompute routing for all (or the given) enrolments; writes only what changed."""
    router = Router(session)
    counts = {"updated": 0, "unchanged": 0}
    query = (
        select(Enrolment.id, Enrolment.curriculum_id, Enrolment.status, Enrolment.expected_graduation,
               Enrolment.standard_id, Enrolment.awarding_body_id, Enrolment.routing_problem, Person.isikukood)
        .join(Person, Person.id == Enrolment.person_id)
        .order_by(Enrolment.id)
    )
    if enrolment_ids is not None:
        query = query.where(Enrolment.id.in_(enrolment_ids))
    changes, events = [], []
    for row in session.execute(query.execution_options(yield_per=BATCH)):
        route = router.route(row.curriculum_id, row.status, row.expected_graduation)
        old = (row.standard_id, row.awarding_body_id, row.routing_problem)
        new = (route.standard_id, route.awarding_body_id, route.problem)
        if old == new:
            counts["unchanged"] += 1
        else:
            counts["updated"] += 1
            changes.append({"id": row.id, "standard_id": new[0], "awarding_body_id": new[1],
                            "routing_problem": new[2]})
            diff = {k: (o, n) for k, o, n in zip(("standard_id", "awarding_body_id", "routing_problem"), old, new, strict=True)
                    if o != n}
            events.append((row.id, "update", diff, row.isikukood))
        if ctx is not None:
            ctx.advance()
        if len(changes) >= BATCH:
            _write(session, changes, events)
            changes, events = [], []
    _write(session, changes, events)
    session.commit()
    return counts


def _write(session, changes, events) -> None:
    if changes:
        session.execute(update(Enrolment), changes)
        record_bulk(session.connection(), "Enrolment", events)


def job(ctx, enrolment_ids: list[int] | None = None) -> None:
    """Job entry: re-route all (or the given) enrolments."""
    from flask import current_app
    from sqlalchemy import func

    session = current_app.appbuilder.session
    total_query = select(func.count(Enrolment.id))
    if enrolment_ids is not None:
        total_query = total_query.where(Enrolment.id.in_(enrolment_ids))
    ctx.set_total(session.execute(total_query).scalar())
    ctx.count(**route_enrolments(session, ctx, enrolment_ids))
