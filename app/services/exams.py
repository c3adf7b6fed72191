"""Exam planning: candidates (the joint application), exam sessions, registrations and the
assessment committee. Screens, the REST API and tests call these functions; none of the rules
lives anywhere else. A refusal raises DomainValidationError([(field, message)]) whose message
names the person, the candidate and the rule; on a refusal nothing is written (the service
rolls back what it changed), on success the service commits.

Decisions recorded here:
- The committee (a chair, at least MIN_MEMBERS members, each with a representation and an
  employer organisation, a kutsekomisjon member where the awarding body requires one, no
  conflicts of interest) is checked when a session is **published** (so that schools see a
  complete exam) and again when it is **marked held** (it may have changed since). Until then
  the awarding body composes it freely; each single assignment is still checked for conflicts
  at once.
- Conflicts of interest are checked both ways: a member is refused when a registered candidate
  comes from the member's school, a candidate is refused when a member works or teaches at the
  candidate's school. The third rule (a kutsekomisjon member who assessed a candidate does not
  sign the candidate's decision) belongs to decisions, which call ``assessed_by``.
- Bulk operations (confirming candidates, registering them) are all or nothing: one refused
  candidate refuses the batch, with every reason listed.
- Capacity and the one-open-session rule hold under concurrent requests: a registration locks
  the session row and the person row (SELECT ... FOR UPDATE) before counting.
- An assessor account is created by the awarding body from a committee assignment with a
  generated password shown once (username = isikukood, role Assessor); the assessor changes
  it after logging in. An existing account is never changed here.
"""
from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import object_session

from app.formatting import TALLINN, format_value
from app.models import (
    AssessorAssignment,
    AwardingBody,
    AwardingRight,
    CommitteeMember,
    Curriculum,
    Enrolment,
    ExamSession,
    OccupationalStandard,
    PartialQualification,
    Person,
    Registration,
    School,
    Specialisation,
)
from app.models import choices as c
from app.models.base import utcnow
from app.models.exams import CLOSED_SESSION_STATUSES
from app.services.states import transition_errors
from app.validation import DomainValidationError

# A session is published at least this many days before it starts (otherwise: a warning).
PUBLICATION_NOTICE_DAYS = 45
# Besides the chair.
MIN_MEMBERS = 2
# Candidates and the committee change only before the exam.
PLANNING_STATUSES = ("draft", "published")
NOT_CANDIDATES = ("valja_arvatud",)

Errors = list[tuple[str, str]]


NEW = "*new*"


def pending_changes(item) -> set[str]:
    """What a screen or the API is about to change on ``item`` (column and relationship names;
    NEW for a record not stored yet). Taken before anything may autoflush the item (which would
    make its changes look stored): the write paths pass it to the check_* functions."""
    from sqlalchemy import inspect

    state = inspect(item)
    if state.transient or state.pending:
        return {NEW}
    return {attr.key for attr in state.mapper.attrs
            if hasattr(state.attrs[attr.key], "history") and state.attrs[attr.key].history.has_changes()}


def _now(now: dt.datetime | None = None) -> dt.datetime:
    return now or utcnow()


def _local_date(moment: dt.datetime) -> dt.date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TALLINN)
    return moment.astimezone(TALLINN).date()


def _aware(moment: dt.datetime) -> dt.datetime:
    """A time typed into a form has no zone: it means Tallinn time (as app.models.base)."""
    return moment.replace(tzinfo=TALLINN) if moment.tzinfo is None else moment


def _raise(errors: Errors, entity: str, session=None) -> None:
    if errors:
        if session is not None:
            session.rollback()
        raise DomainValidationError(errors, entity)


def _session_name(x: ExamSession) -> str:
    return f"{x.standard.name if x.standard else ''} {format_value(x.starts_at)}".strip()


def _candidate(enrolment: Enrolment) -> str:
    return enrolment.person.full_name if enrolment.person else str(enrolment.id)


def _label(choices, value) -> str:
    return str(c.label(choices, value))


# --- candidates: the joint application (ühistaotlus) ----------------------------------------------

def candidate_errors(enrolment: Enrolment) -> Errors:
    """Can this enrolment be confirmed as a candidate at all?"""
    name = _candidate(enrolment)
    if enrolment.awarding_body_id is None:
        return [("awarding_body", _("%(candidate)s is not routed to an awarding body: the curriculum's link to "
                                    "an occupational standard must be fixed first", candidate=name))]
    if enrolment.status in NOT_CANDIDATES:
        return [("status", _("%(candidate)s has left the school (%(status)s) and cannot be a candidate",
                             candidate=name, status=_label(c.ENROLMENT_STATUS, enrolment.status)))]
    return []


def _apply_application(enrolment: Enrolment, application: dict[str, Any], now: dt.datetime) -> Errors:
    errors = candidate_errors(enrolment)
    if errors:
        return errors
    language = application.get("exam_language") or enrolment.exam_language or enrolment.study_language
    enrolment.exam_language = language or None
    enrolment.special_arrangements_needed = bool(application.get("special_arrangements_needed"))
    enrolment.special_arrangements = (application.get("special_arrangements") or "").strip() or None
    enrolment.public_consent = bool(application.get("public_consent"))
    name = _candidate(enrolment)
    if not enrolment.exam_language:
        errors.append(("exam_language", _("choose the exam language of %(candidate)s", candidate=name)))
    errors += [(field, f"{name}: {message}") for field, message in Enrolment.validation_errors(enrolment.values())]
    if not errors:
        enrolment.candidate_confirmed = True
        enrolment.confirmed_at = now
    return errors


def confirm_candidates(session, applications: Iterable[tuple[Enrolment, dict[str, Any]]],
                       now: dt.datetime | None = None) -> list[Enrolment]:
    """The school confirms candidates with their joint application: exam language (default: the
    study language), special arrangements (flag + description), consent to show the certificate in
    the public register. Confirming again updates the application. All or nothing."""
    moment = _now(now)
    confirmed, errors = [], []
    with session.no_autoflush:
        for enrolment, application in applications:
            errors += _apply_application(enrolment, application, moment)
            confirmed.append(enrolment)
    if not confirmed:
        errors.append(("candidates", _("choose at least one candidate")))
    _raise(errors, "Enrolment", session)
    session.commit()
    return confirmed


def curriculum_candidates(session, curriculum: Curriculum, graduation_from: dt.date | None = None,
                          graduation_to: dt.date | None = None) -> list[Enrolment]:
    """The routed, not yet confirmed candidates of one curriculum in a graduation window."""
    query = select(Enrolment).where(
        Enrolment.curriculum_id == curriculum.id,
        Enrolment.awarding_body_id.is_not(None),
        Enrolment.candidate_confirmed.is_(False),
        Enrolment.status.not_in(NOT_CANDIDATES),
    ).order_by(Enrolment.id)
    if graduation_from:
        query = query.where(Enrolment.expected_graduation >= graduation_from)
    if graduation_to:
        query = query.where(Enrolment.expected_graduation <= graduation_to)
    return list(session.execute(query).scalars())


def confirm_curriculum(session, curriculum: Curriculum, *, graduation_from: dt.date | None = None,
                       graduation_to: dt.date | None = None, public_consent: bool = False,
                       now: dt.datetime | None = None) -> list[Enrolment]:
    """Bulk confirmation of a whole curriculum: every routed, unconfirmed candidate in the window
    sits the exam in their study language without special arrangements (change single candidates
    afterwards by confirming them again). The caller checks that the curriculum is in scope."""
    if graduation_from and graduation_to and graduation_to < graduation_from:
        _raise([("graduation_to", _("the end of the graduation window is before its start"))], "Enrolment")
    enrolments = curriculum_candidates(session, curriculum, graduation_from, graduation_to)
    if not enrolments:
        _raise([("curriculum", _("%(curriculum)s has no candidates left to confirm in this graduation window",
                                 curriculum=curriculum.name))], "Enrolment")
    return confirm_candidates(session, [(e, {"public_consent": public_consent}) for e in enrolments], now)


# --- exam sessions --------------------------------------------------------------------------------

def _value(session, values: dict[str, Any], name: str, model: type):
    """A parent from form/API values: the object, or the row of its id."""
    obj = values.get(name)
    if obj is None and values.get(f"{name}_id"):
        obj = session.get(model, values[f"{name}_id"])
    return obj


def valid_right(session, awarding_body_id: int, standard_id: int, day: dt.date) -> AwardingRight | None:
    return session.execute(
        select(AwardingRight).where(
            AwardingRight.awarding_body_id == awarding_body_id,
            AwardingRight.standard_id == standard_id,
            AwardingRight.valid_from <= day,
            (AwardingRight.valid_to.is_(None)) | (AwardingRight.valid_to >= day),
        ).limit(1)
    ).scalar()


def session_errors(session, values: dict[str, Any]) -> Errors:
    """Rules of an exam session that need stored data (the record-only rules, such as the end
    after the start and the deadline before it, are ExamSession.cross_field_errors):
    the standard version is valid and the awarding body holds a valid right for it on every day
    of the exam; the specialisation or partial qualification belongs to that standard; the
    capacity is not below the candidates already registered."""
    errors: Errors = []
    with session.no_autoflush:
        body = _value(session, values, "awarding_body", AwardingBody)
        standard = _value(session, values, "standard", OccupationalStandard)
        specialisation = _value(session, values, "specialisation", Specialisation)
        partial = _value(session, values, "partial_qualification", PartialQualification)
        start, end = values.get("starts_at"), values.get("ends_at")
        if standard is not None and start is not None:
            days = sorted({_local_date(start), _local_date(end or start)})
            for day in days:
                if not standard.is_valid_on(day):
                    errors.append(("standard", _(
                        "the standard version %(standard)s is not valid on %(date)s (valid %(from)s – %(to)s)",
                        standard=standard.name, date=format_value(day), **{
                            "from": format_value(standard.valid_from), "to": format_value(standard.valid_to) or "…"})))
                    break
            if body is not None:
                for day in days:
                    if valid_right(session, body.id, standard.id, day) is None:
                        errors.append(("standard", _(
                            "%(body)s holds no valid awarding right for %(standard)s on %(date)s",
                            body=body.name, standard=standard.name, date=format_value(day))))
                        break
        if standard is not None and specialisation is not None and specialisation.standard_id != standard.id:
            errors.append(("specialisation", _("the specialisation %(name)s is not part of %(standard)s",
                                               name=specialisation.name, standard=standard.name)))
        if standard is not None and partial is not None and partial.standard_id != standard.id:
            errors.append(("partial_qualification", _("the partial qualification %(name)s is not part of %(standard)s",
                                                      name=partial.name, standard=standard.name)))
        pk, capacity = values.get("id"), values.get("capacity")
        if pk and capacity:
            registered = _registered_count(session, pk)
            if capacity < registered:
                errors.append(("capacity", _(
                    "%(count)s candidates are already registered: the capacity cannot be lower", count=registered)))
    return errors


def check_session(session, item: ExamSession, changes: set[str] | None = None) -> None:
    """A new or changed session (screens and API, after the record's own rules): raises.
    Once held, a session's plan (time, place, standard) no longer changes."""
    changes = pending_changes(item) if changes is None else changes
    if not changes:
        return
    if NEW not in changes and item.status not in PLANNING_STATUSES and changes - {"status"}:
        _raise([("status", _("a session in status „%(status)s” can no longer be changed",
                             status=_label(c.SESSION_STATUS, item.status)))], "ExamSession")
    _raise(session_errors(session, item.values()), "ExamSession")


def _registered_count(session, session_id: int, exclude_id: int | None = None) -> int:
    query = select(func.count()).select_from(Registration).where(
        Registration.exam_session_id == session_id, Registration.status == "registered")
    if exclude_id:
        query = query.where(Registration.id != exclude_id)
    return session.execute(query).scalar() or 0


def publication_warnings(x: ExamSession, now: dt.datetime | None = None) -> list[str]:
    days = (_local_date(x.starts_at) - _local_date(_now(now))).days
    if days < PUBLICATION_NOTICE_DAYS:
        return [_("%(session)s starts in %(days)s days: sessions should be published at least %(min)s days "
                  "before they start", session=_session_name(x), days=days, min=PUBLICATION_NOTICE_DAYS)]
    return []


def change_status(session, x: ExamSession, new_status: str, *, reason: str | None = None,
                  now: dt.datetime | None = None) -> list[str]:
    """Move a session along its state machine (app.services.states) with the rules of each step;
    returns warnings (publication fewer than 45 days ahead), raises on a refusal.

    - published: the exam has not started, the registration deadline has not passed, the standard
      and the right are still valid, the committee is complete and free of conflicts;
    - draft (withdrawn from publication): no candidate is registered;
    - held: the exam has started and the committee is complete and free of conflicts;
    - cancelled: with a reason; registered candidates are withdrawn with it.
    The later steps (results entered, decided, closed) have their rules in the outcome services."""
    moment = _now(now)
    old = x.status
    errors = transition_errors("ExamSession", old, new_status)
    name = _session_name(x)
    if not errors:
        with session.no_autoflush:
            if new_status == "published":
                if _aware(x.starts_at) <= moment:
                    errors.append(("status", _("%(session)s has already started and cannot be published", session=name)))
                if x.registration_deadline and x.registration_deadline < _local_date(moment):
                    errors.append(("registration_deadline", _(
                        "the registration deadline %(date)s of %(session)s has passed",
                        date=format_value(x.registration_deadline), session=name)))
                errors += session_errors(session, x.values())
                errors += committee_errors(session, x)
            elif new_status == "draft":
                count = _registered_count(session, x.id)
                if count:
                    errors.append(("status", _(
                        "%(count)s candidates are registered for %(session)s: withdraw them or cancel the session",
                        count=count, session=name)))
            elif new_status == "held":
                if _aware(x.starts_at) > moment:
                    errors.append(("status", _("%(session)s has not started yet (starts %(start)s)",
                                               session=name, start=format_value(x.starts_at))))
                errors += committee_errors(session, x)
            elif new_status == "cancelled":
                if not (reason or "").strip():
                    errors.append(("cancellation_reason", _("a cancellation needs a reason")))
    _raise(errors, "ExamSession", session)
    warnings = publication_warnings(x, moment) if new_status == "published" else []
    if new_status == "cancelled":
        x.cancellation_reason = reason.strip()
        for registration in _registrations(session, x):
            registration.status = "withdrawn"
            registration.withdrawal_reason = _("the exam session was cancelled: %(reason)s", reason=x.cancellation_reason)
    x.status = new_status
    session.commit()
    return warnings


def _registrations(session, x: ExamSession, status: str = "registered") -> list[Registration]:
    return list(session.execute(
        select(Registration).where(Registration.exam_session_id == x.id, Registration.status == status)
        .order_by(Registration.id)
    ).scalars())


# --- the assessment committee ---------------------------------------------------------------------

def kutsekomisjon_member(session, awarding_body_id: int, isikukood: str | None) -> CommitteeMember | None:
    if not isikukood:
        return None
    return session.execute(
        select(CommitteeMember).where(CommitteeMember.awarding_body_id == awarding_body_id,
                                      CommitteeMember.isikukood == isikukood).limit(1)
    ).scalar()


def _school_conflict(person: Person, school: School, candidate: str) -> str:
    return _("conflict of interest: %(person)s works or teaches at %(school)s, the school of candidate "
             "%(candidate)s (an assessor may not work or teach at a candidate's school)",
             person=person.full_name, school=school.name, candidate=candidate)


def _two_roles(person: Person, session_name: str) -> str:
    return _("conflict of interest: %(person)s is a candidate in %(session)s and cannot also assess it "
             "(one person, one role in a session)", person=person.full_name, session=session_name)


def assessor_errors(session, a: AssessorAssignment) -> Errors:
    """A new or changed committee assignment: the session is still being planned; one role per
    person in a session (not twice on the committee, not a candidate of the session); one chair;
    a representation and an employer organisation; no registered candidate from the member's
    school."""
    errors: Errors = []
    x, person = a.exam_session, a.person
    if x is None or person is None:
        return errors
    name = person.full_name
    with session.no_autoflush:
        if x.status not in PLANNING_STATUSES:
            errors.append(("exam_session", _(
                "the assessment committee of a session in status „%(status)s” can no longer change",
                status=_label(c.SESSION_STATUS, x.status))))
        others = list(session.execute(
            select(AssessorAssignment).where(AssessorAssignment.exam_session_id == x.id,
                                             AssessorAssignment.id != (a.id or 0))
        ).scalars())
        for other in others:
            if other.person_id == person.id:
                errors.append(("person", _(
                    "%(person)s already sits on this assessment committee as %(role)s (one person, one role in "
                    "a session)", person=name, role=_label(c.ASSESSOR_ROLE, other.role))))
            elif a.role == "chair" and other.role == "chair":
                errors.append(("role", _("the session already has a chair, %(person)s", person=other.person.full_name)))
        if not a.representation:
            errors.append(("representation", _("give the side %(person)s represents", person=name)))
        if not (a.employer_name or "").strip() and a.employer_school is None:
            errors.append(("employer_name", _("give the employer organisation of %(person)s", person=name)))
        for registration in _registrations(session, x):
            enrolment = registration.enrolment
            if enrolment.person_id == person.id:
                errors.append(("person", _two_roles(person, _session_name(x))))
            elif a.employer_school is not None and enrolment.school_id == a.employer_school.id:
                errors.append(("employer_school", _school_conflict(person, a.employer_school, _candidate(enrolment))))
    return errors


def check_assessor(session, a: AssessorAssignment, changes: set[str] | None = None) -> None:
    """A committee assignment saved from a screen or the API (an unchanged one is not checked)."""
    changes = pending_changes(a) if changes is None else changes
    if changes:
        _raise(assessor_errors(session, a), "AssessorAssignment")


def add_assessor(session, x: ExamSession, *, isikukood: str, first_name: str = "", last_name: str = "",
                 role: str = "member", representation: str = "employer", employer_name: str | None = None,
                 employer_school: School | None = None) -> AssessorAssignment:
    """Put a person on the committee by personal code; a person not known yet is added."""
    isikukood = (isikukood or "").strip()
    with session.no_autoflush:
        person = session.execute(select(Person).where(Person.isikukood == isikukood)).scalar() if isikukood else None
        if person is None:
            person = Person(isikukood=isikukood or None, first_name=(first_name or "").strip(),
                            last_name=(last_name or "").strip())
            errors = Person.validation_errors(person.values())
            if not isikukood:
                errors.append(("isikukood", _("the personal code of the assessor is required")))
            if not person.first_name or not person.last_name:
                errors.append(("last_name", _("give the first and last name of a new assessor")))
            _raise(errors, "Person")
        a = AssessorAssignment(exam_session=x, person=person, role=role, representation=representation,
                               employer_name=(employer_name or "").strip() or None, employer_school=employer_school,
                               awarding_body_id=x.awarding_body_id)
        errors = AssessorAssignment.validation_errors(a.values()) + assessor_errors(session, a)
    if errors:
        session.expunge(a) if a in session else None
        _raise(errors, "AssessorAssignment", session)
    session.add(a)
    session.commit()
    return a


def committee_errors(session, x: ExamSession) -> Errors:
    """The composition rules of a whole committee (checked at publication and when held)."""
    errors: Errors = []
    with session.no_autoflush:
        members = list(session.execute(
            select(AssessorAssignment).where(AssessorAssignment.exam_session_id == x.id).order_by(AssessorAssignment.id)
        ).scalars())
        chairs = [a for a in members if a.role == "chair"]
        ordinary = [a for a in members if a.role != "chair"]
        if len(chairs) != 1 or len(ordinary) < MIN_MEMBERS:
            errors.append(("assessors", _(
                "the assessment committee needs a chair and at least %(min)s members; it has %(chairs)s chair(s) "
                "and %(members)s member(s)", min=MIN_MEMBERS, chairs=len(chairs), members=len(ordinary))))
        body = x.awarding_body or session.get(AwardingBody, x.awarding_body_id)
        if body.committee_member_required and not any(
            kutsekomisjon_member(session, body.id, a.person.isikukood) for a in members
        ):
            errors.append(("assessors", _(
                "the rules of %(body)s require a member of its kutsekomisjon on every assessment committee",
                body=body.name)))
        for a in members:
            errors += [("assessors", message) for _field, message in assessor_errors(session, a)
                       if _field != "exam_session"]
    return errors


def assessed_by(person_isikukood: str, registration: Registration) -> AssessorAssignment | None:
    """The committee assignment through which the person with this personal code assessed the
    candidate of ``registration`` (sat on the assessment committee of its session), or None.
    For decisions: a kutsekomisjon member who assessed a candidate does not sign the decision."""
    if not person_isikukood or registration is None:
        return None
    session = object_session(registration)
    return session.execute(
        select(AssessorAssignment).join(Person, Person.id == AssessorAssignment.person_id).where(
            AssessorAssignment.exam_session_id == registration.exam_session_id,
            Person.isikukood == person_isikukood,
        ).limit(1)
    ).scalar()


def create_assessor_account(sm, a: AssessorAssignment, *, email: str) -> tuple[Any, str]:
    """A user account with role Assessor for the person of a committee assignment: username and
    key = isikukood, a generated password returned once (the assessor changes it). Scoping then
    shows the assessor the sessions whose committee they sit on. Refused when the person has no
    personal code or already has an account (which is never changed here)."""
    from app.security import roles as r
    from app.services.users import create_user

    person = a.person
    name = person.full_name
    if not person.isikukood:
        _raise([("person", _("%(person)s has no personal code, which every account is keyed by", person=name))],
               "User")
    email = (email or "").strip()
    if "@" not in email or "." not in email.rsplit("@", 1)[-1]:
        _raise([("email", _("give the e-mail address of %(person)s", person=name))], "User")
    session = sm.session
    user_model = sm.user_model
    existing = session.execute(select(user_model).where(user_model.isikukood == person.isikukood)).scalar()
    if existing is not None:
        if any(role.name == r.ASSESSOR for role in existing.roles):
            message = _("%(person)s already has an assessor account (%(username)s) and sees this session after "
                        "logging in", person=name, username=existing.username)
        else:
            message = _("%(person)s already has a user account (%(username)s) without the assessor role: ask "
                        "registry staff to add the role", person=name, username=existing.username)
        _raise([("person", message)], "User")
    if session.execute(select(user_model.id).where(func.lower(user_model.email) == email.lower())).first():
        _raise([("email", _("the e-mail address %(email)s belongs to another user", email=email))], "User")
    password = secrets.token_urlsafe(12)
    user = create_user(sm, username=person.isikukood, password=password, role=r.ASSESSOR,
                       isikukood=person.isikukood, first_name=person.first_name, last_name=person.last_name,
                       email=email)
    return user, password


# --- registrations --------------------------------------------------------------------------------

def _same_standard(standard: OccupationalStandard):
    """Versions of one standard count as the same standard for the one-open-session rule."""
    if standard.group_id is not None:
        return ExamSession.standard_id.in_(
            select(OccupationalStandard.id).where(OccupationalStandard.group_id == standard.group_id))
    return ExamSession.standard_id == standard.id


def _open_registration(session, enrolment: Enrolment, standard: OccupationalStandard,
                       exclude: Registration | None) -> Registration | None:
    query = (
        select(Registration)
        .join(ExamSession, ExamSession.id == Registration.exam_session_id)
        .join(Enrolment, Enrolment.id == Registration.enrolment_id)
        .where(Enrolment.person_id == enrolment.person_id, Registration.status == "registered",
               ExamSession.status.not_in(CLOSED_SESSION_STATUSES), _same_standard(standard))
    )
    if exclude is not None and exclude.id:
        query = query.where(Registration.id != exclude.id)
    return session.execute(query.limit(1)).scalar()


def registration_errors(session, x: ExamSession, enrolment: Enrolment, *, registration: Registration | None = None,
                        batch: int = 0, now: dt.datetime | None = None) -> Errors:
    """May ``enrolment`` be registered for ``x``? ``registration`` is the record being saved (its
    own row does not count), ``batch`` the places already taken by the same bulk assignment."""
    moment = _now(now)
    errors: Errors = []
    with session.no_autoflush:
        name, session_name = _candidate(enrolment), _session_name(x)
        if x.status not in PLANNING_STATUSES:
            errors.append(("exam_session", _(
                "candidates are registered only for a draft or published session; %(session)s is „%(status)s”",
                session=session_name, status=_label(c.SESSION_STATUS, x.status))))
        elif _aware(x.starts_at) <= moment:
            errors.append(("exam_session", _("%(session)s has already started", session=session_name)))
        elif x.registration_deadline and x.registration_deadline < _local_date(moment):
            errors.append(("exam_session", _("the registration deadline of %(session)s was %(date)s",
                                             session=session_name, date=format_value(x.registration_deadline))))
        if not enrolment.candidate_confirmed:
            errors.append(("enrolment", _("%(candidate)s has not been confirmed as a candidate by the school",
                                          candidate=name)))
        if enrolment.awarding_body_id != x.awarding_body_id:
            errors.append(("enrolment", _("%(candidate)s is not a candidate of %(body)s",
                                          candidate=name, body=x.awarding_body.name)))
        standard = enrolment.standard
        if standard is None or not (standard.id == x.standard_id or (
                standard.group_id is not None and standard.group_id == x.standard.group_id)):
            errors.append(("enrolment", _("%(candidate)s is a candidate for %(standard)s, not for %(session_standard)s",
                                          candidate=name, standard=standard.name if standard else "—",
                                          session_standard=x.standard.name)))
        other = _open_registration(session, enrolment, x.standard, registration)
        if other is not None:
            errors.append(("enrolment", _(
                "%(candidate)s is already registered for %(session)s: a candidate may be in one open exam session "
                "per standard", candidate=name, session=_session_name(other.exam_session))))
        taken = _registered_count(session, x.id, exclude_id=registration.id if registration is not None else None)
        if taken + batch >= x.capacity:
            errors.append(("exam_session", _("%(session)s is full: all %(capacity)s places are taken (%(candidate)s)",
                                             session=session_name, capacity=x.capacity, candidate=name)))
        for a in session.execute(
            select(AssessorAssignment).where(AssessorAssignment.exam_session_id == x.id).order_by(AssessorAssignment.id)
        ).scalars():
            if a.person_id == enrolment.person_id:
                errors.append(("enrolment", _two_roles(a.person, session_name)))
            elif a.employer_school_id is not None and a.employer_school_id == enrolment.school_id:
                errors.append(("enrolment", _school_conflict(a.person, a.employer_school, name)))
    return errors


def _lock(session, x: ExamSession, enrolments: Iterable[Enrolment]) -> None:
    """Serialise registrations per session (capacity) and per person (one open session)."""
    with session.no_autoflush:
        session.execute(select(ExamSession.id).where(ExamSession.id == x.id).with_for_update())
        person_ids = sorted({e.person_id for e in enrolments})
        if person_ids:
            session.execute(select(Person.id).where(Person.id.in_(person_ids)).order_by(Person.id).with_for_update())


def check_registration(session, item: Registration, changes: set[str] | None = None,
                       now: dt.datetime | None = None) -> None:
    """A registration saved from a screen or the API: a new one, or one moved to another session
    or candidate, passes every registration rule and takes the joint application of the
    enrolment (the exam language only where the registration names none)."""
    changes = pending_changes(item) if changes is None else changes
    moved = changes & {NEW, "exam_session", "enrolment", "exam_session_id", "enrolment_id"}
    if (item.status or "registered") != "registered" or not moved:  # a new row gets its default at insert
        return
    x, enrolment = item.exam_session, item.enrolment
    if x is None or enrolment is None:
        return
    _lock(session, x, [enrolment])
    _raise(registration_errors(session, x, enrolment, registration=item, now=now), "Registration")
    _copy_application(item, enrolment, x, keep_language=True)


def _copy_application(registration: Registration, enrolment: Enrolment, x: ExamSession, keep_language: bool) -> None:
    """The joint application travels with the candidate: special arrangements and consent come
    from the enrolment; the exam language too unless the registration names one."""
    if not (keep_language and registration.exam_language):
        registration.exam_language = enrolment.exam_language or x.language
    registration.special_arrangements_needed = enrolment.special_arrangements_needed
    registration.special_arrangements = enrolment.special_arrangements
    registration.public_consent = enrolment.public_consent


def register(session, x: ExamSession, enrolments: list[Enrolment], now: dt.datetime | None = None) -> list[Registration]:
    """Assign confirmed candidates to a session, singly or in bulk (all or nothing). A candidate
    withdrawn from this session earlier is registered again on the same row."""
    if not enrolments:
        _raise([("candidates", _("choose at least one candidate"))], "Registration")
    _lock(session, x, enrolments)
    errors: Errors = []
    rows: list[Registration] = []
    seen: set[int] = set()
    with session.no_autoflush:
        for enrolment in enrolments:
            existing = session.execute(select(Registration).where(
                Registration.exam_session_id == x.id, Registration.enrolment_id == enrolment.id)).scalar()
            found = registration_errors(session, x, enrolment, registration=existing, batch=len(rows), now=now)
            if enrolment.person_id in seen:
                found.append(("enrolment", _(
                    "%(candidate)s is chosen twice: a candidate may be in one open exam session per standard",
                    candidate=_candidate(enrolment))))
            seen.add(enrolment.person_id)
            if found:
                errors += found
                continue
            if existing is None:
                existing = Registration(exam_session=x, enrolment=enrolment)
            existing.status = "registered"
            existing.withdrawal_reason = None
            _copy_application(existing, enrolment, x, keep_language=False)
            rows.append(existing)
    if errors:
        for row in rows:
            if row in session.new:
                session.expunge(row)
        _raise(errors, "Registration", session)
    session.add_all(rows)
    session.commit()
    return rows


def withdraw(session, registration: Registration, reason: str, now: dt.datetime | None = None) -> None:
    """Withdraw a candidate before the exam starts, with a reason."""
    moment = _now(now)
    x = registration.exam_session
    name = _candidate(registration.enrolment)
    errors: Errors = []
    if not (reason or "").strip():
        errors.append(("withdrawal_reason", _("a withdrawal needs a reason")))
    if registration.status != "registered":
        errors.append(("status", _("%(candidate)s is already withdrawn from %(session)s",
                                   candidate=name, session=_session_name(x))))
    elif x.status not in PLANNING_STATUSES or _aware(x.starts_at) <= moment:
        errors.append(("status", _("%(candidate)s can be withdrawn only before the exam starts (%(start)s)",
                                   candidate=name, start=format_value(x.starts_at))))
    _raise(errors, "Registration", session)
    registration.status = "withdrawn"
    registration.withdrawal_reason = reason.strip()
    session.commit()


# --- deleting -------------------------------------------------------------------------------------

def delete_errors(session, item) -> Errors:
    """Planning records are deleted only while nothing depends on them: a session while it is a
    draft without candidates and committee (otherwise it is cancelled), a registration while its
    session is a draft (otherwise it is withdrawn with a reason), a committee assignment while
    its session is being planned."""
    with session.no_autoflush:
        if isinstance(item, ExamSession):
            has_rows = any(session.execute(select(model.id).where(model.exam_session_id == item.id).limit(1)).first()
                           for model in (Registration, AssessorAssignment))
            if item.status != "draft" or has_rows:
                return [("status", _("only a draft session without candidates and committee can be deleted; "
                                     "cancel %(session)s instead", session=_session_name(item)))]
        elif isinstance(item, Registration):
            if item.exam_session.status != "draft":
                return [("status", _("the registration of %(candidate)s is withdrawn with a reason, not deleted",
                                     candidate=_candidate(item.enrolment)))]
        elif isinstance(item, AssessorAssignment):
            if item.exam_session.status not in PLANNING_STATUSES:
                return [("exam_session", _(
                    "the assessment committee of a session in status „%(status)s” can no longer change",
                    status=_label(c.SESSION_STATUS, item.exam_session.status)))]
    return []


def check_delete(session, item) -> None:
    _raise(delete_errors(session, item), type(item).__name__)
