"""The one access filter: which rows of an entity the current user may see.

Used as ``base_filters`` on every HTML view and REST API, for relation dropdowns in forms,
for bulk actions and exports (see app.views.base). A model that is not in RULES is shared
reference data (standards and their parts). Rules are per model and per kind of scoped role;
a missing rule means no rows.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import current_app, g, has_request_context
from flask_appbuilder.models.filters import BaseFilter
from sqlalchemy import exists, false, literal, or_, select, true

from app.models import (
    AccountRequest,
    Appeal,
    AssessorAssignment,
    AuditEvent,
    AwardingBody,
    AwardingBodyPerson,
    AwardingRight,
    Certificate,
    CommitteeMember,
    CompetenceResult,
    Curriculum,
    CurriculumStandardLink,
    DataAccess,
    Decision,
    Enrolment,
    ExamSession,
    JobRun,
    JobRunError,
    Person,
    QualificationCommittee,
    Registration,
    Result,
    School,
    StatSummary,
)
from app.security import roles as r


def current_user() -> Any:
    user = getattr(g, "user", None) if has_request_context() or hasattr(g, "user") else None
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


def role_names(user: Any) -> set[str]:
    """The user's role names (their own and their groups'), read once per request: a commit (the
    data-access log) expires the user, and every scoped query after it would load them again."""
    if not user:
        return set()
    if not has_request_context():
        return {role.name for role in getattr(user, "roles", [])}
    cache = g.setdefault("_eks_role_names", {})
    key = id(user)
    if key not in cache:
        cache[key] = {role.name for role in current_app.appbuilder.sm.get_user_roles(user)}
    return cache[key]


def is_unscoped(user: Any) -> bool:
    return bool(role_names(user) & r.UNSCOPED_ROLES)


def _assessor_sessions(user):
    return (
        select(AssessorAssignment.exam_session_id)
        .join(Person, Person.id == AssessorAssignment.person_id)
        .where(Person.isikukood == user.isikukood)
    )


def _assessor_registrations(user):
    return select(Registration.id).where(Registration.exam_session_id.in_(_assessor_sessions(user)))


# PostgreSQL turns an EXISTS into a hash of every id it may match (the 35,000 persons holding an
# awarding body's certificates, ~8 ms to build) when it expects to test many rows, which it does
# for a list even when a page, a lookup or one record tests a few hundred: there an index probe
# per row costs under 1 ms. The OFFSET 0 fence keeps the probe per row; counting a whole list asks
# for the hash instead (set_wise()).
_set_wise: ContextVar[bool] = ContextVar("scope_set_wise", default=False)


@contextmanager
def set_wise() -> Iterator[None]:
    """Scope conditions built inside test membership in a hash of the owner's ids."""
    token = _set_wise.set(True)
    try:
        yield
    finally:
        _set_wise.reset(token)


def _owned(model, *conditions):
    """EXISTS a row of ``model`` with ``conditions``: probed per row unless set_wise()."""
    query = select(literal(1)).select_from(model).where(*conditions)
    return exists(query if _set_wise.get() else query.offset(0))


def _ab(model) -> Callable:
    return lambda user: model.awarding_body_id == user.awarding_body_id


def _school(model) -> Callable:
    return lambda user: model.school_id == user.school_id


def _ab_rights(user):
    return select(AwardingRight.standard_id).where(
        AwardingRight.awarding_body_id == user.awarding_body_id
    )


RULES: dict[type, dict[str, Callable[[Any], Any]]] = {
    AwardingBody: {r.AWARDING_BODY: lambda u: AwardingBody.id == u.awarding_body_id},
    AwardingRight: {r.AWARDING_BODY: _ab(AwardingRight)},
    QualificationCommittee: {r.AWARDING_BODY: _ab(QualificationCommittee)},
    CommitteeMember: {r.AWARDING_BODY: _ab(CommitteeMember)},
    School: {
        r.AWARDING_BODY: lambda u: true(),  # exam places and candidates' schools
        r.SCHOOL: lambda u: School.id == u.school_id,
    },
    Curriculum: {
        r.AWARDING_BODY: lambda u: Curriculum.id.in_(
            select(CurriculumStandardLink.curriculum_id).where(
                CurriculumStandardLink.standard_id.in_(_ab_rights(u))
            )
        ),
        r.SCHOOL: _school(Curriculum),
    },
    CurriculumStandardLink: {
        r.AWARDING_BODY: lambda u: CurriculumStandardLink.standard_id.in_(_ab_rights(u)),
        r.SCHOOL: _school(CurriculumStandardLink),
    },
    # Persons: EXISTS per person through the (owner, person_id) indexes, so that a lookup or a
    # page of a few persons does not first gather the ids of all of an owner's tens of thousands.
    # An awarding body's persons (those of its enrolments, certificates and assessment committees)
    # are kept in awarding_body_person by triggers: one probe instead of three.
    Person: {
        r.AWARDING_BODY: lambda u: _owned(AwardingBodyPerson, AwardingBodyPerson.person_id == Person.id,
                                          AwardingBodyPerson.awarding_body_id == u.awarding_body_id),
        r.SCHOOL: lambda u: _owned(Enrolment, Enrolment.person_id == Person.id, Enrolment.school_id == u.school_id),
        r.ASSESSOR: lambda u: or_(
            Person.isikukood == u.isikukood,
            Person.id.in_(
                select(Enrolment.person_id).join(Registration, Registration.enrolment_id == Enrolment.id)
                .where(Registration.exam_session_id.in_(_assessor_sessions(u)))
            ),
        ),
    },
    Enrolment: {
        r.AWARDING_BODY: lambda u: or_(
            Enrolment.awarding_body_id == u.awarding_body_id,
            _owned(Registration, Registration.enrolment_id == Enrolment.id,
                   Registration.awarding_body_id == u.awarding_body_id),
        ),
        r.SCHOOL: _school(Enrolment),
        r.ASSESSOR: lambda u: Enrolment.id.in_(
            select(Registration.enrolment_id).where(Registration.exam_session_id.in_(_assessor_sessions(u)))
        ),
    },
    ExamSession: {
        r.AWARDING_BODY: _ab(ExamSession),
        r.SCHOOL: lambda u: or_(
            ExamSession.place_school_id == u.school_id,
            ExamSession.id.in_(select(Registration.exam_session_id).where(Registration.school_id == u.school_id)),
        ),
        r.ASSESSOR: lambda u: ExamSession.id.in_(_assessor_sessions(u)),
    },
    Registration: {
        r.AWARDING_BODY: _ab(Registration),
        r.SCHOOL: _school(Registration),
        r.ASSESSOR: lambda u: Registration.exam_session_id.in_(_assessor_sessions(u)),
    },
    AssessorAssignment: {
        r.AWARDING_BODY: _ab(AssessorAssignment),
        r.ASSESSOR: lambda u: AssessorAssignment.exam_session_id.in_(_assessor_sessions(u)),
    },
    Result: {
        r.AWARDING_BODY: _ab(Result),
        r.SCHOOL: _school(Result),
        r.ASSESSOR: lambda u: Result.registration_id.in_(_assessor_registrations(u)),
    },
    CompetenceResult: {
        r.AWARDING_BODY: _ab(CompetenceResult),
        r.SCHOOL: _school(CompetenceResult),
        r.ASSESSOR: lambda u: CompetenceResult.result_id.in_(
            select(Result.id).where(Result.registration_id.in_(_assessor_registrations(u)))
        ),
    },
    Decision: {r.AWARDING_BODY: _ab(Decision), r.SCHOOL: _school(Decision)},
    Certificate: {r.AWARDING_BODY: _ab(Certificate), r.SCHOOL: _school(Certificate)},
    Appeal: {r.AWARDING_BODY: _ab(Appeal), r.SCHOOL: _school(Appeal)},
    JobRun: {r.AWARDING_BODY: _ab(JobRun)},
    # Derived figures carry the owner columns of the records they count (app.services.statistics).
    StatSummary: {r.AWARDING_BODY: _ab(StatSummary), r.SCHOOL: _school(StatSummary)},
    JobRunError: {r.AWARDING_BODY: _ab(JobRunError)},
    AuditEvent: {},
    DataAccess: {},
    AccountRequest: {},
}

# What a scoped role needs on the user record for its rules to mean anything.
_ROLE_KEY = {r.AWARDING_BODY: "awarding_body_id", r.SCHOOL: "school_id", r.ASSESSOR: "isikukood"}


# Scopes kept as a table that also copies some text columns of the entity, trigram-indexed
# together with the owner (migration 0010): a search in a copied column finds the owner's
# matching rows in that index alone, instead of matching among every row and then testing each
# against the scope. (entity, role) -> (table, its key to the entity, its owner condition).
SEARCH_COPIES: dict[tuple[type, str], tuple[type, str, Callable[[Any], Any]]] = {
    (Person, r.AWARDING_BODY): (AwardingBodyPerson, "person_id",
                                lambda u: AwardingBodyPerson.awarding_body_id == u.awarding_body_id),
}


def _roles_in_scope(model: type, user: Any) -> list[str]:
    """The user's scoped roles that have a rule for ``model`` and the key that rule needs."""
    return [role for role in RULES[model] if role in role_names(user) and getattr(user, _ROLE_KEY[role], None)]


def scope_condition(model: type, user: Any):
    """SQL condition limiting ``model`` to what ``user`` may see; None means no limit."""
    if model not in RULES:
        return None if user is not None else false()
    if user is None:
        return false()
    if is_unscoped(user):
        return None
    conditions = [RULES[model][role](user) for role in _roles_in_scope(model, user)]
    if not conditions:
        return false()
    return conditions[0] if len(conditions) == 1 else or_(*conditions)


def copied_columns(model: type) -> set[str]:
    """The columns of ``model`` that some scope's table copies (SEARCH_COPIES)."""
    return {c.key for (entity, _), (table, _, _) in SEARCH_COPIES.items() if entity is model
            for c in table.__table__.columns if c.key in model.__table__.columns}


def search_copy(model: type, column_name: str, match: Callable[[Any], Any], user: Any = None):
    """For a user whose one scope of ``model`` is kept in a table copying ``column_name``: "the id
    is one of the owner's rows whose copy matches" (``match(copied column)``), answered by the
    copy's index. None for anyone else; the search itself and the scope apply as always."""
    user = user if user is not None else current_user()
    if user is None or model not in RULES or is_unscoped(user):
        return None
    roles = _roles_in_scope(model, user)
    copy = SEARCH_COPIES.get((model, roles[0])) if len(roles) == 1 else None
    if copy is None:
        return None
    table, key, owner = copy
    column = table.__table__.columns.get(column_name)
    if column is None:
        return None
    return model.id.in_(select(getattr(table, key)).where(owner(user), match(column)))


def scoped(query, model: type, user: Any = None):
    condition = scope_condition(model, user if user is not None else current_user())
    return query if condition is None else query.filter(condition)


class ScopeFilter(BaseFilter):
    """FAB filter that applies scope_condition to the filter's own model."""

    name = "scope"

    def apply(self, query, value):
        return scoped(query, self.model)


def owner_defaults(user: Any) -> dict[str, Any]:
    """Owner columns a scoped user's new records get, whatever the form or API sent."""
    if user is None or is_unscoped(user):
        return {}
    names = role_names(user)
    if r.AWARDING_BODY in names and user.awarding_body_id:
        return {"awarding_body_id": user.awarding_body_id}
    if r.SCHOOL in names and user.school_id:
        return {"school_id": user.school_id}
    return {}
