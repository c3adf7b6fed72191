"""Exam outcomes: the results grid, kutsekomisjon decisions, certificates and appeals.

One rule, one place: the screens (app.views.grid, app.views.outcomes), the REST API and the
tests call these functions; a refusal raises ``DomainValidationError([(field, message)])``.
Status transitions and locks (a submitted result, a confirmed decision, a certificate ready for
or entered into the register) are declared in app.services.states and enforced again at flush.

Results. The committee chair (an assessor whose person chairs the session's assessment
committee), the awarding body and admins enter results for the whole session in one grid.
Results are entered for a session that has been held (a published session whose exam has
started is marked held by its first save, through app.services.exams.change_status and its
rules: a complete committee). A draft may be incomplete; submitting locks every
unsubmitted result of the session at once and needs, per attending candidate, pass or fail for
each mandatory competence (for a partial qualification, at least one competence) and a proposal;
an award needs every assessed competence passed; an absent candidate has no competence results
and is proposed a refusal. When all results are submitted the session is "results entered".
Only the awarding body reopens a submitted result, with a reason (audited), and only while the
candidate has no confirmed decision.

Decisions. The kutsekomisjon decides per candidate with a submitted result, in bulk for a
session: outcome (default: the proposal), decision date (not before the exam), protocol number
and signer (a member of the awarding body's kutsekomisjon who did not assess the candidate in
this exam). A refusal needs a legal basis and reasons; an award needs a valid awarding right on
the decision date; "award another level" names the other standard. A candidate has one decision
unless an appeal against it was upheld. Confirmed decisions are final.

Certificates. Confirming an award issues a draft certificate: the awarded standard version,
the session's specialisation and partial qualification, the exam language, issue date and
valid from = the decision date, valid to = valid from + the standard's validity years (default
five) - 1 day (editable, never beyond valid from + validity years), the signer, publicity flags
from the candidate's consent, and the holder's name frozen. Its type is
  2 osakutsetunnistus - the award is for the session's partial qualification;
  3 esmane kutse - the first qualification of a graduate of initial vocational education: the
    curriculum is at EKR level 4 or lower, the award is the standard the graduate was routed
    to for that curriculum, and the person holds no other valid certificate of that standard
    (any version of its group);
  1 kutsetunnistus - otherwise.
Draft -> ready (sent by the next register export) -> registered or rejected; a rejected one is
fixed and sent again. On a registered certificate: a duplicate (reason 1 lost, 2 unusable,
3 error by the awarding body) is a new certificate, ready at once, that the export enters with
``kutsetunnistuseDuplikaat``; a revocation (reason, date) is sent by the export with
``kutsetunnistuseKehtetuks`` (``revocation_sent_at`` records that the register has it).

Appeals. An appeal is filed against a confirmed decision, not before it and within 30 days of
it (later only with a reason: Appeal.cross_field_errors). Its outcome is upheld or dismissed
with a date; an upheld appeal opens a new draft decision for the candidate (an award when the
appealed decision refused, otherwise the same outcome), and confirming that decision makes the
certificates follow: those of the earlier decision are revoked (in the register when registered,
locally otherwise) and an award issues a new one.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import exists, func, inspect, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.models import (
    Appeal,
    AssessorAssignment,
    AwardingRight,
    Certificate,
    CommitteeMember,
    Competence,
    CompetenceResult,
    Decision,
    Enrolment,
    ExamSession,
    OccupationalStandard,
    Person,
    Registration,
    Result,
)
from app.models import choices as c
from app.models.base import utcnow
from app.security import roles as r
from app.security.scoping import role_names
from app.services import states
from app.services.exams import assessed_by, change_status
from app.validation import LEVEL_CODES, DomainValidationError

AWARDS = {"award", "award_other_level"}
MAX_POINTS = Decimal("9999.99")
GRADING_STATUSES = {"held", "results_entered"}
APPEAL_DAYS = 30


def _raise(errors, entity=""):
    if errors:
        raise DomainValidationError(errors, entity)


def today() -> dt.date:
    return dt.date.today()


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def parse_date(value: Any) -> dt.date | None:
    """A date from the API (ISO) or a form (DD.MM.YYYY or ISO); None when blank."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _date_field(values: dict, key: str, errors: list, prefix: str = "") -> dt.date | None:
    try:
        return parse_date(values.get(key))
    except ValueError:
        errors.append((prefix + key, _("invalid date %(value)s: use DD.MM.YYYY", value=values.get(key))))
        return None


def _bool(value: Any) -> bool | None:
    """True / False / None (blank) from a form or JSON; ValueError otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "jah", "on"):
        return True
    if text in ("0", "false", "no", "ei", "off"):
        return False
    raise ValueError(text)


def _points(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    try:
        number = Decimal(str(value).strip().replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        raise ValueError(value) from None
    if not number.is_finite():
        raise ValueError(value)
    return number


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


# --- who may do what ------------------------------------------------------------------------

def is_chair(db, user, exam_session: ExamSession) -> bool:
    code = getattr(user, "isikukood", None)
    if not code:
        return False
    query = (
        select(AssessorAssignment.id).join(Person, Person.id == AssessorAssignment.person_id)
        .where(AssessorAssignment.exam_session_id == exam_session.id, AssessorAssignment.role == "chair",
               Person.isikukood == code)
    )
    return db.execute(query).first() is not None


def _is_body(user, exam_session: ExamSession) -> bool:
    names = role_names(user)
    if r.ADMIN in names:
        return True
    return r.AWARDING_BODY in names and getattr(user, "awarding_body_id", None) == exam_session.awarding_body_id


def can_grade(db, user, exam_session: ExamSession) -> bool:
    """The session's committee chair, its awarding body and admins enter results."""
    return _is_body(user, exam_session) or (r.ASSESSOR in role_names(user) and is_chair(db, user, exam_session))


def can_reopen(user, exam_session: ExamSession) -> bool:
    """Only the awarding body (and admins) reopen a submitted result."""
    return _is_body(user, exam_session)


def can_decide(user, exam_session: ExamSession) -> bool:
    return _is_body(user, exam_session)


# --- concurrency ----------------------------------------------------------------------------

def lock_session(db, exam_session_id: int) -> None:
    """Serialise the outcome writes of one exam session (results, decisions, certificates that
    follow them) for the rest of the transaction: the session row is locked FOR UPDATE, the
    same row app.services.exams locks for registrations, always first. Callers read what they
    check after this (a no-op on SQLite, the single-user demo)."""
    db.execute(select(ExamSession.id).where(ExamSession.id == exam_session_id).with_for_update())


def _lock_row(db, model, pk: int) -> None:
    db.execute(select(model.id).where(model.id == pk).with_for_update())


# --- the results grid -----------------------------------------------------------------------

@dataclass
class GridRow:
    registration: Registration
    result: Result | None
    marks: dict[int, CompetenceResult]

    @property
    def locked(self) -> bool:
        return self.result is not None and self.result.status == "submitted"

    @property
    def status(self) -> str:
        return self.result.status if self.result is not None else "draft"


@dataclass
class Grid:
    exam_session: ExamSession
    competences: list[Competence]
    rows: list[GridRow] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return bool(self.rows) and all(row.locked for row in self.rows)


def competences_of(db, exam_session: ExamSession) -> list[Competence]:
    query = (select(Competence).where(Competence.standard_id == exam_session.standard_id)
             .order_by(Competence.mandatory.desc(), Competence.register_id, Competence.id))
    return list(db.execute(query).scalars())


def load_grid(db, exam_session: ExamSession, visible=None) -> Grid:
    """The session's registered candidates with their results. ``visible``: a select of the
    registration ids the viewer may see (None: all)."""
    query = (
        select(Registration)
        .join(Enrolment, Enrolment.id == Registration.enrolment_id)
        .join(Person, Person.id == Enrolment.person_id)
        .options(joinedload(Registration.enrolment).joinedload(Enrolment.person),
                 joinedload(Registration.enrolment).joinedload(Enrolment.school),
                 selectinload(Registration.result).selectinload(Result.competence_results))
        .where(Registration.exam_session_id == exam_session.id, Registration.status == "registered")
        .order_by(Person.last_name, Person.first_name, Registration.id)
    )
    if visible is not None:
        query = query.where(Registration.id.in_(visible))
    grid = Grid(exam_session, competences_of(db, exam_session))
    for reg in db.execute(query).scalars().unique():
        marks = {m.competence_id: m for m in reg.result.competence_results} if reg.result else {}
        grid.rows.append(GridRow(reg, reg.result, marks))
    return grid


def grading_errors(exam_session: ExamSession) -> list[tuple[str, str]]:
    """Results are entered for a session that has been held (or a published one that started)."""
    status = exam_session.status
    if status in GRADING_STATUSES:
        return []
    if status == "published":
        if exam_session.starts_at and exam_session.starts_at <= utcnow():
            return []
        return [("exam_session", _("the exam has not started yet: results are entered after it"))]
    return [("exam_session", _("results cannot be entered for an exam session in status „%(status)s”",
                                status=c.label(c.SESSION_STATUS, status)))]


@dataclass
class _RowState:
    attended: bool
    proposal: str | None
    comment: str | None
    marks: dict[int, tuple[bool | None, Decimal | None]]


def _stored_state(row: GridRow) -> _RowState:
    result = row.result
    return _RowState(
        attended=result.attended if result is not None else True,
        proposal=result.proposal if result is not None else None,
        comment=result.comment if result is not None else None,
        marks={cid: (m.passed, m.points) for cid, m in row.marks.items()},
    )


def _parse_row(data: dict, row: GridRow, competences: dict[int, Competence], errors: list) -> _RowState:
    """The posted values of one row over what is stored; unparseable cells become errors."""
    rid = row.registration.id
    state = _stored_state(row)
    if "attended" in data:
        try:
            value = _bool(data.get("attended"))
        except ValueError:
            errors.append((f"{rid}.attended", _("choose yes or no")))
        else:
            state.attended = True if value is None else value
    if "proposal" in data:
        proposal = _text(data.get("proposal"))
        if proposal is not None and proposal not in dict(c.PROPOSAL):
            errors.append((f"{rid}.proposal", _("invalid value %(value)s", value=proposal)))
        state.proposal = proposal
    if "comment" in data:
        state.comment = _text(data.get("comment"))
    for key, cell in (data.get("competences") or {}).items():
        try:
            cid = int(key)
        except (TypeError, ValueError):
            cid = None
        if cid not in competences:
            errors.append((f"{rid}.competences", _("competence %(id)s is not part of the exam's standard", id=key)))
            continue
        cell = cell or {}
        passed, points = state.marks.get(cid, (None, None))
        if "passed" in cell:
            try:
                passed = _bool(cell.get("passed"))
            except ValueError:
                errors.append((f"{rid}.c{cid}.passed", _("choose passed or failed")))
        if "points" in cell:
            try:
                points = _points(cell.get("points"))
            except ValueError:
                errors.append((f"{rid}.c{cid}.points", _("points must be a number, e.g. 72 or 72,5")))
            else:
                if points is not None and points < 0:
                    errors.append((f"{rid}.c{cid}.points", _("points must not be negative")))
                elif points is not None and points > MAX_POINTS:
                    errors.append((f"{rid}.c{cid}.points", _("points must not exceed %(max)s", max=MAX_POINTS)))
        state.marks[cid] = (passed, points)
    return state


def _same(state: _RowState, row: GridRow) -> bool:
    stored = _stored_state(row)
    marks = {k: v for k, v in state.marks.items() if v != (None, None)}
    stored_marks = {k: v for k, v in stored.marks.items() if v != (None, None)}
    return (state.attended, state.proposal, state.comment, marks) == (
        stored.attended, stored.proposal, stored.comment, stored_marks)


def _row_rules(rid: int, state: _RowState, competences: dict[int, Competence], partial: bool,
               submit: bool, errors: list) -> None:
    marked = {cid: v for cid, v in state.marks.items() if v != (None, None)}
    if not state.attended:
        if marked:
            errors.append((f"{rid}.attended", _("an absent candidate has no competence results: clear them "
                                                 "or mark the candidate as attended")))
        if state.proposal in AWARDS:
            errors.append((f"{rid}.proposal", _("an absent candidate cannot be proposed an award")))
        return
    if not submit:
        return
    if partial:
        if not any(passed is not None for passed, _points in marked.values()):
            first = next(iter(competences), None)
            key = f"{rid}.c{first}.passed" if first is not None else f"{rid}.competences"
            errors.append((key, _("mark at least one competence of the partial qualification as passed or failed")))
    else:
        for cid, comp in competences.items():
            if comp.mandatory and state.marks.get(cid, (None, None))[0] is None:
                errors.append((f"{rid}.c{cid}.passed", _("a mandatory competence needs passed or failed")))
    for cid, (passed, points) in marked.items():
        if passed is None and points is not None:
            errors.append((f"{rid}.c{cid}.passed", _("points without passed or failed")))
    if state.proposal is None:
        errors.append((f"{rid}.proposal", _("choose a proposal")))
    elif state.proposal == "award":
        failed = [competences[cid].name for cid, (passed, _points) in marked.items() if passed is False]
        if failed:
            errors.append((f"{rid}.proposal", _("an award cannot be proposed: competence „%(name)s” is failed",
                                                 name=failed[0])))


def save_grid(db, exam_session: ExamSession, rows: list[dict], *, submit: bool = False, user=None) -> dict:
    """Store the grid (draft) or store and submit it (locks every unsubmitted result of the
    session). All or nothing: any error leaves the database as it was. ``rows``: per
    registration {registration_id, attended, proposal, comment, competences: {competence id:
    {passed, points}}}; keys left out keep what is stored. Returns counts."""
    if user is not None and not can_grade(db, user, exam_session):
        raise PermissionError
    lock_session(db, exam_session.id)
    db.refresh(exam_session)
    _raise(grading_errors(exam_session), "Result")
    grid = load_grid(db, exam_session)
    by_id = {row.registration.id: row for row in grid.rows}
    competences = {comp.id: comp for comp in grid.competences}
    partial = exam_session.partial_qualification_id is not None
    errors: list[tuple[str, str]] = []
    states: dict[int, _RowState] = {}
    for data in rows:
        try:
            rid = int(data.get("registration_id"))
        except (TypeError, ValueError):
            rid = None
        row = by_id.get(rid)
        if row is None:
            errors.append((f"{data.get('registration_id')}.registration",
                           _("not a registered candidate of this exam session")))
            continue
        state = _parse_row(data, row, competences, errors)
        if row.locked:
            if not _same(state, row):
                errors.append((f"{rid}.status", _("the result is submitted and locked; only the awarding body "
                                                   "can reopen it")))
            continue
        if not state.attended and state.proposal is None:
            state.proposal = "refuse"
        states[rid] = state
    for rid, row in by_id.items():
        if row.locked:
            continue
        state = states.get(rid) or _stored_state(row)
        if rid not in states and row.result is None and submit:
            errors.append((f"{rid}.status", _("no result entered for this candidate")))
            continue
        _row_rules(rid, state, competences, partial, submit, errors)
    if submit and not by_id:
        errors.append(("exam_session", _("the exam session has no registered candidates")))
    _raise(errors, "Result")

    if exam_session.status == "published":  # the exam has started: mark it held, with the rules of that step
        change_status(db, exam_session, "held")  # commits: take the lock again
        lock_session(db, exam_session.id)
    now = utcnow()
    saved = submitted = 0
    for rid, state in states.items():
        row = by_id[rid]
        result = row.result
        if result is None:
            result = Result(registration=row.registration, status="draft")
            db.add(result)
            row.result = result
        result.attended = state.attended
        result.proposal = state.proposal
        result.comment = state.comment
        existing = {m.competence_id: m for m in result.competence_results}
        for cid, (passed, points) in state.marks.items():
            mark = existing.get(cid)
            if (passed, points) == (None, None):
                if mark is not None:
                    result.competence_results.remove(mark)
                continue
            if mark is None:
                mark = CompetenceResult(competence_id=cid)
                result.competence_results.append(mark)
            mark.passed, mark.points = passed, points
        saved += 1
    if submit:
        db.flush()
        for row in by_id.values():
            if row.result is not None and row.result.status in ("draft", "reopened"):
                row.result.status = "submitted"
                row.result.submitted_at = now
                submitted += 1
        if exam_session.status == "held" and all(row.locked for row in by_id.values()):
            exam_session.status = "results_entered"
    db.commit()
    return {"saved": saved, "submitted": submitted}


def reopen_result(db, result: Result, reason: str | None, user=None) -> Result:
    exam_session = result.registration.exam_session
    if user is not None and not can_reopen(user, exam_session):
        raise PermissionError
    lock_session(db, exam_session.id)
    db.refresh(exam_session)
    db.refresh(result)
    errors = []
    if result.status != "submitted":
        errors.append(("status", _("only a submitted result can be reopened")))
    if not _text(reason):
        errors.append(("reopen_reason", _("give the reason for reopening")))
    if confirmed_decision(db, result.registration_id) is not None:
        errors.append(("status", _("the candidate already has a confirmed decision: the result can no longer "
                                    "be reopened")))
    if exam_session.status not in GRADING_STATUSES:
        errors.append(("exam_session", _("results cannot be entered for an exam session in status „%(status)s”",
                                          status=c.label(c.SESSION_STATUS, exam_session.status))))
    _raise(errors, "Result")
    result.status = "reopened"
    result.reopen_reason = _text(reason)
    if exam_session.status == "results_entered":
        exam_session.status = "held"
    db.commit()
    return result


# --- decisions ------------------------------------------------------------------------------

def confirmed_decision(db, registration_id: int) -> Decision | None:
    """The latest confirmed decision on a registration."""
    query = (select(Decision).where(Decision.registration_id == registration_id, Decision.status == "confirmed")
             .order_by(Decision.decision_date.desc(), Decision.id.desc()).limit(1))
    return db.execute(query).scalars().first()


def draft_decision(db, registration_id: int) -> Decision | None:
    query = (select(Decision).where(Decision.registration_id == registration_id, Decision.status == "draft")
             .order_by(Decision.id.desc()).limit(1))
    return db.execute(query).scalars().first()


def _has_upheld_appeal(db, decision_id: int) -> bool:
    query = select(Appeal.id).where(Appeal.decision_id == decision_id, Appeal.outcome == "upheld")
    return db.execute(query).first() is not None


def _get(db, model, value):
    if value is None or isinstance(value, model):
        return value
    return db.get(model, value)


def decision_errors(db, values: dict, registration: Registration, *, confirming: bool,
                    decision_id: int | None = None) -> list[tuple[str, str]]:
    """Every rule of a decision, on plain values (so a bulk save can check before it writes).
    ``values``: outcome, awarded_standard, decision_date, protocol_number, signer, legal_basis,
    reasons (objects or ids for the relations)."""
    values = dict(values)
    errors = list(Decision.validation_errors(values))
    exam_session = registration.exam_session
    result = registration.result
    if registration.status != "registered":
        errors.append(("registration", _("the candidate has withdrawn from the exam")))
    if result is None or result.status != "submitted":
        errors.append(("registration", _("the candidate's result is not submitted")))
    outcome = values.get("outcome")
    if not outcome:
        errors.append(("outcome", _("choose the outcome")))
    standard = _get(db, OccupationalStandard, values.get("awarded_standard"))
    if outcome == "award_other_level":
        if standard is None or standard.id == exam_session.standard_id:
            errors.append(("awarded_standard", _("name the standard of the other level that is awarded")))
    elif outcome == "award":
        if standard is not None and standard.id != exam_session.standard_id:
            errors.append(("awarded_standard", _("an award is for the exam's own standard; choose "
                                                  "„award another level” for another one")))
        standard = exam_session.standard
    day = values.get("decision_date")
    if not day:
        errors.append(("decision_date", _("give the decision date")))
    elif exam_session.starts_at and day < exam_session.starts_at.date():
        errors.append(("decision_date", _("the decision cannot be dated before the exam")))
    signer = _get(db, CommitteeMember, values.get("signer"))
    if signer is not None:
        if signer.awarding_body_id != registration.awarding_body_id:
            errors.append(("signer", _("%(person)s is not a member of the awarding body's kutsekomisjon",
                                        person=signer.name)))
        elif assessed_by(signer.isikukood, registration) is not None:
            errors.append(("signer", _(
                "%(person)s assessed %(candidate)s in this exam and cannot sign the decision on them "
                "(conflict of interest: an assessor does not decide on their own candidate)",
                person=signer.name, candidate=registration.enrolment.person.full_name)))
    if confirming:
        if signer is None:
            errors.append(("signer", _("a confirmed decision needs a signer")))
        if not _text(values.get("protocol_number")):
            errors.append(("protocol_number", _("a confirmed decision needs a protocol number")))
    if outcome in AWARDS and standard is not None and day and not holds_right(
            db, registration.awarding_body_id, standard.id, day):
        errors.append(("awarded_standard", _(
            "the awarding body holds no valid awarding right for %(standard)s on %(date)s",
            standard=standard.name, date=day.strftime("%d.%m.%Y"))))
    # One decision per candidate, unless an appeal against the confirmed one was upheld.
    others = select(Decision).where(Decision.registration_id == registration.id)
    if decision_id is not None:
        others = others.where(Decision.id != decision_id)
    with db.no_autoflush:
        for other in db.execute(others).scalars():
            if other.status == "draft":
                errors.append(("registration", _("the candidate already has a draft decision")))
                break
            if not _has_upheld_appeal(db, other.id):
                errors.append(("registration", _("the candidate already has a confirmed decision; a new "
                                                  "decision follows only an upheld appeal")))
                break
    return _unique(errors)


def _unique(errors):
    return list(dict.fromkeys(errors))


def holds_right(db, awarding_body_id: int, standard_id: int, day: dt.date) -> bool:
    query = select(AwardingRight.id).where(
        AwardingRight.awarding_body_id == awarding_body_id, AwardingRight.standard_id == standard_id,
        AwardingRight.valid_from <= day, or_(AwardingRight.valid_to.is_(None), AwardingRight.valid_to >= day))
    return db.execute(query).first() is not None


def _decision_values(d: Decision) -> dict:
    return {"outcome": d.outcome, "awarded_standard": d.awarded_standard or d.awarded_standard_id,
            "decision_date": d.decision_date, "protocol_number": d.protocol_number,
            "signer": d.signer or d.signer_id, "legal_basis": d.legal_basis, "reasons": d.reasons}


@dataclass
class DecisionRow:
    registration: Registration
    result: Result
    decision: Decision | None  # the draft, or the latest confirmed one

    @property
    def final(self) -> bool:
        return self.decision is not None and self.decision.status == "confirmed"


def decision_rows(db, exam_session: ExamSession) -> list[DecisionRow]:
    """Candidates of the session with a submitted result, with their current decision."""
    query = (
        select(Registration)
        .join(Enrolment, Enrolment.id == Registration.enrolment_id)
        .join(Person, Person.id == Enrolment.person_id)
        .join(Result, Result.registration_id == Registration.id)
        .options(joinedload(Registration.enrolment).joinedload(Enrolment.person),
                 joinedload(Registration.result))
        .where(Registration.exam_session_id == exam_session.id, Registration.status == "registered",
               Result.status == "submitted")
        .order_by(Person.last_name, Person.first_name, Registration.id)
    )
    registrations = list(db.execute(query).scalars().unique())
    decisions: dict[int, Decision] = {}
    if registrations:
        found = db.execute(
            select(Decision).where(Decision.registration_id.in_([reg.id for reg in registrations]))
            .order_by(Decision.decision_date, Decision.id)).scalars()
        for d in found:
            current = decisions.get(d.registration_id)
            if current is None or current.status != "draft":
                decisions[d.registration_id] = d
    return [DecisionRow(reg, reg.result, decisions.get(reg.id)) for reg in registrations]


def decide_session(db, exam_session: ExamSession, common: dict, rows: list[dict], *, confirm: bool,
                   user=None) -> dict:
    """Save (as drafts) or confirm the decisions of a session's candidates in one go, all or
    nothing. ``common``: decision_date, protocol_number, signer (id); ``rows``: per candidate
    {registration_id, include, outcome, awarded_standard (id), legal_basis, reasons}."""
    if user is not None and not can_decide(user, exam_session):
        raise PermissionError
    lock_session(db, exam_session.id)
    db.refresh(exam_session)
    errors: list[tuple[str, str]] = []
    day = _date_field(common, "decision_date", errors)
    signer_id = common.get("signer") or common.get("signer_id")
    signer = None
    if signer_id not in (None, ""):
        try:
            signer = db.get(CommitteeMember, int(signer_id))
        except (TypeError, ValueError):
            signer = None
        if signer is None:
            errors.append(("signer", _("invalid value %(value)s", value=signer_id)))
        elif signer.awarding_body_id != exam_session.awarding_body_id:
            errors.append(("signer", _("%(person)s is not a member of the awarding body's kutsekomisjon",
                                        person=signer.name)))
            signer = None
    available = {row.registration.id: row for row in decision_rows(db, exam_session)}
    plans = []
    for data in rows:
        try:
            rid = int(data.get("registration_id"))
        except (TypeError, ValueError):
            rid = None
        include = data.get("include", True)
        try:
            include = _bool(include) is not False
        except ValueError:
            include = True
        if not include:
            continue
        row = available.get(rid)
        if row is None:
            errors.append((f"{data.get('registration_id')}.registration",
                           _("the candidate has no submitted result in this exam session")))
            continue
        if row.final:
            errors.append((f"{rid}.status", _("the decision on this candidate is already confirmed")))
            continue
        draft = row.decision if row.decision is not None and row.decision.status == "draft" else None
        if draft is not None:  # what a row leaves out, the draft keeps
            data = {"outcome": draft.outcome, "awarded_standard": draft.awarded_standard_id if
                    draft.outcome == "award_other_level" else None,
                    "legal_basis": draft.legal_basis, "reasons": draft.reasons, **data}
        outcome = _text(data.get("outcome")) or row.result.proposal
        standard_id = data.get("awarded_standard") or data.get("awarded_standard_id")
        standard = None
        if standard_id not in (None, ""):
            try:
                standard = db.get(OccupationalStandard, int(standard_id))
            except (TypeError, ValueError):
                standard = None
            if standard is None:
                errors.append((f"{rid}.awarded_standard", _("invalid value %(value)s", value=standard_id)))
        values = {"outcome": outcome, "awarded_standard": standard, "decision_date": day,
                  "protocol_number": _text(common.get("protocol_number")), "signer": signer,
                  "legal_basis": _text(data.get("legal_basis")), "reasons": _text(data.get("reasons"))}
        for key, message in decision_errors(db, values, row.registration, confirming=confirm,
                                            decision_id=draft.id if draft else None):
            shared = key in ("decision_date", "protocol_number") or (key == "signer" and signer is None)
            if key == "signer" and signer is None and signer_id not in (None, ""):
                continue  # already reported once
            errors.append((key if shared else f"{rid}.{key}", message))
        plans.append((row, draft, values))
    if not plans and not errors:
        errors.append(("registration", _("choose at least one candidate to decide on")))
    _raise(_unique(errors), "Decision")

    confirmed = 0
    for row, draft, values in plans:
        d = draft or Decision(registration=row.registration, status="draft")
        if draft is None:
            db.add(d)
        for key, value in values.items():
            setattr(d, key, value)
        _normalise_standard(d)
        if confirm:
            db.flush()
            d.status = "confirmed"
            after_confirm(db, d)
            confirmed += 1
    db.flush()
    _session_decided(db, exam_session)
    db.commit()
    return {"decisions": len(plans), "confirmed": confirmed}


def _normalise_standard(d: Decision) -> None:
    """An award is of the exam's standard; a refusal awards none."""
    if d.outcome == "award":
        d.awarded_standard = d.registration.exam_session.standard
    elif d.outcome == "refuse":
        d.awarded_standard = None


def confirm_decision(db, d: Decision, user=None) -> Decision:
    exam_session = d.registration.exam_session
    if user is not None and not can_decide(user, exam_session):
        raise PermissionError
    lock_session(db, exam_session.id)
    db.refresh(exam_session)
    db.refresh(d)
    if d.status != "draft":
        _raise([("status", _("the decision is already confirmed"))], "Decision")
    _raise(decision_errors(db, _decision_values(d), d.registration, confirming=True, decision_id=d.id), "Decision")
    _normalise_standard(d)
    d.status = "confirmed"
    after_confirm(db, d)
    db.flush()
    _session_decided(db, exam_session)
    db.commit()
    return d


def after_confirm(db, d: Decision) -> None:
    """What follows a confirmed decision: the certificates of the decisions it replaces are
    revoked, and an award issues a certificate."""
    with db.no_autoflush:
        earlier = select(Decision).where(Decision.registration_id == d.registration.id,
                                         Decision.status == "confirmed")
        if d.id is not None:
            earlier = earlier.where(Decision.id != d.id)
        for old in db.execute(earlier).scalars().all():
            if old is d:
                continue
            for cert in db.execute(select(Certificate).where(Certificate.decision_id == old.id,
                                                             Certificate.revoked.is_(False))).scalars():
                withdraw_certificate(
                    db, cert, _("decision of %(date)s replaced after an appeal",
                                 date=old.decision_date.strftime("%d.%m.%Y")),
                    d.decision_date)
    if d.outcome in AWARDS:
        live = None
        if d.id is not None:
            live = db.execute(select(Certificate.id).where(Certificate.decision_id == d.id,
                                                           Certificate.revoked.is_(False))).first()
        if live is None:
            issue_certificate(db, d)


def _session_decided(db, exam_session: ExamSession) -> None:
    """A session whose every registered candidate has a confirmed decision is decided."""
    if exam_session.status != "results_entered":
        return
    undecided = db.execute(
        select(func.count(Registration.id)).where(
            Registration.exam_session_id == exam_session.id, Registration.status == "registered",
            ~exists().where(Decision.registration_id == Registration.id, Decision.status == "confirmed"))
    ).scalar()
    if not undecided:
        exam_session.status = "decided"


# --- certificates ---------------------------------------------------------------------------

def certificate_type(db, d: Decision, standard: OccupationalStandard) -> str:
    registration = d.registration
    exam_session = registration.exam_session
    if d.outcome == "award" and exam_session.partial_qualification_id is not None:
        return "2"
    enrolment = registration.enrolment
    level = LEVEL_CODES.get(enrolment.curriculum.level_code) if enrolment.curriculum else None
    if d.outcome == "award" and level is not None and level <= 4 and enrolment.standard_id == standard.id:
        group = (OccupationalStandard.group_id == standard.group_id if standard.group_id is not None
                 else OccupationalStandard.id == standard.id)
        earlier = db.execute(
            select(Certificate.id).join(OccupationalStandard, OccupationalStandard.id == Certificate.standard_id)
            .where(Certificate.person_id == enrolment.person_id, Certificate.revoked.is_(False), group)
        ).first()
        if earlier is None:
            return "3"
    return "1"


def issue_certificate(db, d: Decision) -> Certificate:
    registration = d.registration
    exam_session = registration.exam_session
    person = registration.enrolment.person
    standard = d.awarded_standard or (db.get(OccupationalStandard, d.awarded_standard_id)
                                      if d.awarded_standard_id else exam_session.standard)
    own = d.outcome == "award"
    hidden = not registration.public_consent
    years = standard.cert_validity_years or 5
    cert = Certificate(
        decision=d, awarding_body_id=registration.awarding_body_id, school_id=registration.school_id,
        person=person, holder_name=person.full_name, isikukood=person.isikukood,
        cert_type=certificate_type(db, d, standard), standard=standard,
        specialisation=exam_session.specialisation if own else None,
        partial_qualification=exam_session.partial_qualification if own else None,
        exam_language=registration.exam_language or exam_session.language,
        issue_date=d.decision_date, valid_from=d.decision_date,
        valid_to=add_years(d.decision_date, years) - dt.timedelta(days=1),
        signer=d.signer, name_hidden=hidden, birth_date_hidden=hidden, certificate_hidden=hidden,
        status="draft",
    )
    db.add(cert)
    return cert


def passed_competences(db, cert: Certificate) -> list[Competence]:
    """The competences a certificate shows: those the holder passed in the exam decided on."""
    if cert.decision_id is None:
        return []
    query = (
        select(Competence).join(CompetenceResult, CompetenceResult.competence_id == Competence.id)
        .join(Result, Result.id == CompetenceResult.result_id)
        .join(Decision, Decision.registration_id == Result.registration_id)
        .where(Decision.id == cert.decision_id, CompetenceResult.passed.is_(True),
               Competence.standard_id == cert.standard_id)
        .order_by(Competence.register_id)
    )
    return list(db.execute(query).scalars())


def certificate_errors(db, cert: Certificate) -> list[tuple[str, str]]:
    errors = []
    if cert.decision is not None:
        if cert.decision.status != "confirmed" or cert.decision.outcome not in AWARDS:
            errors.append(("decision", _("a certificate follows a confirmed award decision")))
    return errors


def send_to_register(db, cert: Certificate) -> Certificate:
    """Draft or rejected -> ready: the next register export enters it."""
    _lock_certificate(db, cert)
    errors = []
    if cert.status not in ("draft", "rejected"):
        errors.append(("status", _("only a draft certificate or one rejected by the register can be sent")))
    if cert.revoked:
        errors.append(("revoked", _("a revoked certificate is not sent to the register")))
    if cert.signer is None:
        errors.append(("signer", _("the certificate needs a signer")))
    elif not cert.signer.register_id:
        errors.append(("signer", _("%(person)s has no Kutseregister id: the register cannot name them as signer",
                                    person=cert.signer.name)))
    errors += certificate_errors(db, cert)
    _raise(errors, "Certificate")
    cert.status = "ready"
    cert.register_errors = None
    db.commit()
    return cert


def return_to_draft(db, cert: Certificate) -> Certificate:
    _lock_certificate(db, cert)
    if cert.status not in ("ready", "rejected"):
        _raise([("status", _("only a certificate ready for or rejected by the register returns to draft"))],
               "Certificate")
    cert.status = "draft"
    db.commit()
    return cert


def _lock_certificate(db, cert: Certificate) -> None:
    """Two clicks on the same certificate are done one after the other, on fresh values."""
    _lock_row(db, Certificate, cert.id)
    db.refresh(cert)


def _registered_original(cert: Certificate) -> list[tuple[str, str]]:
    if cert.status != "registered" or not cert.registration_number:
        return [("status", _("the certificate is not registered in Kutseregister"))]
    if cert.revoked:
        return [("revoked", _("the certificate is revoked"))]
    return []


def order_duplicate(db, cert: Certificate, reason: str | None) -> Certificate:
    """A duplicate of a registered certificate, ready for the register at once."""
    _lock_certificate(db, cert)
    errors = _registered_original(cert)
    if cert.duplicate_of_id is not None:
        errors.append(("duplicate_of", _("order the duplicate from the original certificate")))
    pending = db.execute(select(Certificate.id).where(
        Certificate.duplicate_of_id == cert.id, Certificate.status != "registered",
        Certificate.revoked.is_(False))).first()
    if pending is not None:
        errors.append(("duplicate_of", _("a duplicate of this certificate is already on its way to the register")))
    if reason not in dict(c.DUPLICATE_REASON):
        errors.append(("duplicate_reason", _("choose the reason for the duplicate")))
    _raise(errors, "Certificate")
    copy = Certificate(
        decision_id=cert.decision_id, awarding_body_id=cert.awarding_body_id, school_id=cert.school_id,
        person_id=cert.person_id, holder_name=cert.holder_name, isikukood=cert.isikukood,
        cert_type=cert.cert_type, standard_id=cert.standard_id, specialisation_id=cert.specialisation_id,
        partial_qualification_id=cert.partial_qualification_id, exam_language=cert.exam_language,
        issue_date=today(), valid_from=cert.valid_from, valid_to=cert.valid_to, signer_id=cert.signer_id,
        name_hidden=cert.name_hidden, birth_date_hidden=cert.birth_date_hidden,
        certificate_hidden=cert.certificate_hidden, duplicate_of=cert, duplicate_reason=reason, status="draft")
    db.add(copy)
    db.flush()
    copy.status = "ready"
    db.commit()
    return copy


def revoke_certificate(db, cert: Certificate, reason: str | None, day: Any = None) -> Certificate:
    """Revoke a registered certificate (and its duplicates); the next export tells the register."""
    _lock_certificate(db, cert)
    errors = _registered_original(cert)
    if not _text(reason):
        errors.append(("revoked_reason", _("a revocation needs a reason")))
    try:
        day = parse_date(day) or today()
    except ValueError:
        errors.append(("revoked_date", _("invalid date %(value)s: use DD.MM.YYYY", value=day)))
        day = None
    if day is not None and day < cert.issue_date:
        errors.append(("revoked_date", _("the revocation cannot be dated before the certificate was issued")))
    _raise(errors, "Certificate")
    _revoke(db, cert, _text(reason), day)
    db.commit()
    return cert


def _revoke(db, cert: Certificate, reason: str, day: dt.date) -> None:
    cert.revoked, cert.revoked_reason, cert.revoked_date = True, reason, day
    for dup in db.execute(select(Certificate).where(Certificate.duplicate_of_id == cert.id,
                                                    Certificate.revoked.is_(False))).scalars():
        withdraw_certificate(db, dup, reason, day)


def withdraw_certificate(db, cert: Certificate, reason: str, day: dt.date) -> None:
    """A certificate whose decision no longer stands: revoked in the register when it is
    there, otherwise taken back to draft and marked revoked so it is never sent."""
    if cert.revoked:
        return
    if cert.status == "registered":
        _revoke(db, cert, reason, day)
        return
    if cert.status != "draft":
        cert.status = "draft"
        db.flush()
    cert.revoked, cert.revoked_reason, cert.revoked_date = True, reason, day


# --- appeals --------------------------------------------------------------------------------

def appeal_errors(db, values: dict) -> list[tuple[str, str]]:
    errors = list(Appeal.validation_errors(values))
    decision = _get(db, Decision, values.get("decision"))
    if decision is None:
        errors.append(("decision", _("choose the decision appealed against")))
        return errors
    if decision.status != "confirmed":
        errors.append(("decision", _("an appeal is filed against a confirmed decision")))
    filed = values.get("filed_date")
    if filed and decision.decision_date and filed < decision.decision_date:
        errors.append(("filed_date", _("an appeal cannot be filed before the decision")))
    outcome = values.get("outcome")
    if outcome in ("upheld", "dismissed") and not values.get("outcome_date"):
        errors.append(("outcome_date", _("give the date of the appeal's outcome")))
    return _unique(errors)


def record_appeal(db, decision: Decision, data: dict) -> Appeal:
    errors: list[tuple[str, str]] = []
    filed = _date_field(data, "filed_date", errors)
    values = {"decision": decision, "filed_date": filed, "late_reason": _text(data.get("late_reason")),
              "description": _text(data.get("description")), "handling_body": _text(data.get("handling_body")),
              "outcome": "pending"}
    if filed is None and not errors:
        errors.append(("filed_date", _("give the date the appeal was filed")))
    errors += appeal_errors(db, values)
    _raise(_unique(errors), "Appeal")
    appeal = Appeal(**values)
    db.add(appeal)
    db.commit()
    return appeal


def decide_appeal(db, appeal: Appeal, outcome: str | None, outcome_date: Any = None) -> Appeal:
    lock_session(db, appeal.decision.registration.exam_session_id)
    db.refresh(appeal)
    errors: list[tuple[str, str]] = []
    if appeal.outcome != "pending":
        errors.append(("outcome", _("the appeal is already decided")))
    if outcome not in ("upheld", "dismissed"):
        errors.append(("outcome", _("choose upheld or dismissed")))
    day = _date_field({"outcome_date": outcome_date}, "outcome_date", errors)
    _raise(errors, "Appeal")
    values = {**appeal.values(), "outcome": outcome, "outcome_date": day}
    _raise(appeal_errors(db, values), "Appeal")
    appeal.outcome, appeal.outcome_date = outcome, day
    if outcome == "upheld":
        after_upheld(db, appeal)
    db.commit()
    return appeal


def after_upheld(db, appeal: Appeal) -> Decision | None:
    """An upheld appeal opens a new draft decision on the candidate (unless one is open)."""
    old = appeal.decision
    with db.no_autoflush:
        if draft_decision(db, old.registration_id) is not None:
            return None
    new = Decision(registration=old.registration, decision_date=appeal.outcome_date or today(), status="draft")
    if old.outcome == "refuse":
        new.outcome = "award"
        new.awarded_standard = old.registration.exam_session.standard
    else:
        new.outcome, new.awarded_standard = old.outcome, old.awarded_standard
        new.legal_basis, new.reasons = old.legal_basis, old.reasons
    db.add(new)
    return new


# --- the write hook of the generic screens and API --------------------------------------------

def _old_status(item, column: str):
    state = inspect(item)
    if state.transient or state.pending:
        return None
    hist = state.attrs[column].history
    return hist.deleted[0] if hist.deleted else getattr(item, column)


def before_write(item) -> None:
    """Called by app.views.base.prepare_write for every record a screen or the API saves:
    the rules above for the entity, then what follows its status change."""
    from flask import current_app

    db = current_app.appbuilder.session
    with db.no_autoflush:
        _before_write(db, item)


def _stored_now(db, model, pk: int | None, column: str):
    """A column as committed now (read after taking the lock; the item itself may be stale)."""
    if pk is None:
        return None
    return db.execute(select(getattr(model, column)).where(model.id == pk)).scalar()


def _refuse_if_locked(db, model, pk: int | None, field: str = "status") -> None:
    status = _stored_now(db, model, pk, states.status_column(model.__name__))
    if status in states.LOCKS.get(model.__name__, {}):
        _raise([(field, states.locked_message(model.__name__, status))], model.__name__)


def _before_write(db, item) -> None:
    if isinstance(item, CompetenceResult):
        result = item.result
        comp = item.competence or (db.get(Competence, item.competence_id) if item.competence_id else None)
        if result is not None:
            lock_session(db, result.registration.exam_session_id)
            _refuse_if_locked(db, Result, result.id, "result")
        if result is not None and comp is not None:
            standard_id = result.registration.exam_session.standard_id
            if comp.standard_id != standard_id:
                _raise([("competence", _("competence %(id)s is not part of the exam's standard", id=comp.name))],
                       "CompetenceResult")
    elif isinstance(item, Result):
        if item.registration is not None:
            lock_session(db, item.registration.exam_session_id)
            _refuse_if_locked(db, Result, item.id)
            if not item.attended and item.proposal in AWARDS:
                _raise([("proposal", _("an absent candidate cannot be proposed an award"))], "Result")
    elif isinstance(item, Decision):
        if item.registration is None:
            return
        lock_session(db, item.registration.exam_session_id)
        old = _old_status(item, "status")
        if old == "confirmed":
            return  # the lock has already refused any change
        _refuse_if_locked(db, Decision, item.id)  # confirmed meanwhile by someone else
        confirming = item.status == "confirmed"
        _raise(decision_errors(db, _decision_values(item), item.registration, confirming=confirming,
                               decision_id=item.id), "Decision")
        _normalise_standard(item)
        if confirming:
            after_confirm(db, item)
            db.flush()
            _session_decided(db, item.registration.exam_session)
    elif isinstance(item, Certificate):
        if item.id is not None:
            _lock_row(db, Certificate, item.id)
            _refuse_if_locked(db, Certificate, item.id)
        _raise(certificate_errors(db, item), "Certificate")
        if item.status == "ready" and _old_status(item, "status") != "ready":
            _raise([("status", _("use the action „send to the register”"))], "Certificate")
    elif isinstance(item, Appeal):
        old = _old_status(item, "outcome")
        if old in ("upheld", "dismissed"):
            return
        decision = item.decision
        if decision is not None and decision.registration is not None:
            lock_session(db, decision.registration.exam_session_id)
        _refuse_if_locked(db, Appeal, item.id, "outcome")
        _raise(appeal_errors(db, item.values()), "Appeal")
        if item.outcome == "upheld":
            after_upheld(db, item)


def certificates_of(db, decision_ids: list[int]) -> dict[int, list[Certificate]]:
    found: dict[int, list[Certificate]] = {}
    if decision_ids:
        query = select(Certificate).where(Certificate.decision_id.in_(decision_ids)).order_by(Certificate.id)
        for cert in db.execute(query).scalars():
            found.setdefault(cert.decision_id, []).append(cert)
    return found
