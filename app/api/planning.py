"""REST API of exam planning: the candidate list and its joint application, status changes of
exam sessions, the committee, withdrawal of registrations, assessor accounts. Scoping, owner rules
and record validation come from ScopedModelRestApi; every domain rule from app.services.exams.
A refusal answers 422 with {"message": {field: [reasons]}}; nothing is written then."""
from __future__ import annotations

import datetime as dt

from flask import request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.models.sqla.filters import FilterNotEqual
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import models as m
from app.security.scoping import scoped
from app.services import exams
from app.validation import DomainValidationError
from app.views.base import METHOD_PERMISSIONS, SCOPE, ScopedModelRestApi, _error_dict


def _refused(api, exc: DomainValidationError):
    return api.response_422(message=_error_dict(exc))


def _body() -> dict:
    return request.get_json(silent=True) or {}


def _date(value, field):
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise DomainValidationError([(field, _("not a date (YYYY-MM-DD): %(value)s", value=value))]) from None


def _ids(value, field) -> list[int]:
    if not isinstance(value, list) or not value or not all(isinstance(i, int) for i in value):
        raise DomainValidationError([(field, _("give a non-empty list of ids"))])
    return value


class CandidateApi(ScopedModelRestApi):
    """/api/v1/candidate/: graduates routed to an awarding body (scoped like the screen)."""

    model = m.Enrolment
    resource_name = "candidate"
    list_title = show_title = _l("Candidates")
    base_filters = SCOPE + [["awarding_body_id", FilterNotEqual, None]]
    include_route_methods = {"get", "get_list", "info", "confirm", "confirm_curriculum", "assign"}
    method_permission_name = {**METHOD_PERMISSIONS, "confirm": "confirm", "confirm_curriculum": "confirm",
                              "assign": "assign"}
    list_columns = ["id", "status", "expected_graduation", "candidate_confirmed", "confirmed_at", "exam_language",
                    "special_arrangements_needed", "public_consent", "person.id", "person.first_name",
                    "person.last_name", "standard.id", "standard.name", "school.id", "curriculum.id",
                    "awarding_body.id"]
    show_columns = list_columns + ["study_language", "special_arrangements", "graduation_date"]
    search_columns = ["standard", "school", "curriculum", "expected_graduation", "status", "candidate_confirmed",
                      "awarding_body", "exam_language"]
    order_columns = ["expected_graduation", "status", "candidate_confirmed", "id"]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.class_permission_name = "Candidate"

    def _scoped(self, ids: list[int]) -> list[m.Enrolment] | None:
        items = [self.datamodel.get(pk, self._base_filters) for pk in ids]
        return None if any(item is None for item in items) else items

    @expose("/confirm", methods=["POST"])
    @protect()
    @safe
    @permission_name("confirm")
    def confirm(self):
        """The school confirms candidates (joint application); all or nothing.
        ---
        post:
          summary: Confirm candidates with exam language, special arrangements and consent
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    candidates:
                      type: array
                      items:
                        type: object
                        properties:
                          id: {type: integer}
                          exam_language: {type: string, description: "et, ru or en; default the study language"}
                          special_arrangements_needed: {type: boolean}
                          special_arrangements: {type: string}
                          public_consent: {type: boolean}
          responses:
            200:
              description: The confirmed candidates' ids
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        rows = _body().get("candidates")
        if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) and isinstance(r.get("id"), int)
                                                             for r in rows):
            return self.response_422(message={"candidates": [_("give a non-empty list of candidates with their ids")]})
        items = self._scoped([r["id"] for r in rows])
        if items is None:
            return self.response_404()
        try:
            confirmed = exams.confirm_candidates(self.datamodel.session, list(zip(items, rows, strict=True)))
        except DomainValidationError as exc:
            return _refused(self, exc)
        return self.response(200, ids=[e.id for e in confirmed])

    @expose("/confirm_curriculum", methods=["POST"])
    @protect()
    @safe
    @permission_name("confirm")
    def confirm_curriculum(self):
        """Bulk confirmation of a whole curriculum.
        ---
        post:
          summary: Confirm every routed, unconfirmed candidate of a curriculum in a graduation window
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    curriculum: {type: integer}
                    graduation_from: {type: string, format: date}
                    graduation_to: {type: string, format: date}
                    public_consent: {type: boolean}
          responses:
            200:
              description: The confirmed candidates' ids
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        body = _body()
        try:
            window = (_date(body.get("graduation_from"), "graduation_from"),
                      _date(body.get("graduation_to"), "graduation_to"))
            if not isinstance(body.get("curriculum"), int):
                raise DomainValidationError([("curriculum", _("give the curriculum's id"))])
            curriculum = self.datamodel.session.execute(scoped(
                select(m.Curriculum).where(m.Curriculum.id == body["curriculum"]), m.Curriculum)).scalar()
            if curriculum is None:
                return self.response_404()
            confirmed = exams.confirm_curriculum(self.datamodel.session, curriculum, graduation_from=window[0],
                                                 graduation_to=window[1],
                                                 public_consent=bool(body.get("public_consent")))
        except DomainValidationError as exc:
            return _refused(self, exc)
        return self.response(200, ids=[e.id for e in confirmed])

    @expose("/assign", methods=["POST"])
    @protect()
    @safe
    @permission_name("assign")
    def assign(self):
        """The awarding body registers confirmed candidates for a session; all or nothing.
        ---
        post:
          summary: Register candidates for an exam session
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    exam_session: {type: integer}
                    candidates: {type: array, items: {type: integer}}
          responses:
            200:
              description: The new registrations' ids
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        body = _body()
        try:
            ids = _ids(body.get("candidates"), "candidates")
        except DomainValidationError as exc:
            return _refused(self, exc)
        items = self._scoped(ids)
        x = self.datamodel.session.execute(scoped(
            select(m.ExamSession).where(m.ExamSession.id == body.get("exam_session")), m.ExamSession)).scalar() \
            if isinstance(body.get("exam_session"), int) else None
        if items is None or x is None:
            return self.response_404()
        try:
            rows = exams.register(self.datamodel.session, x, items)
        except DomainValidationError as exc:
            return _refused(self, exc)
        return self.response(200, ids=[r.id for r in rows])


class ExamSessionApiBase(ScopedModelRestApi):
    """/api/v1/exam_session/: new sessions start as drafts; the status changes only through
    POST /<pk>/status, with the rules of app.services.exams.change_status."""

    method_permission_name = {**METHOD_PERMISSIONS, "change_status": "write", "add_assessor": "write",
                              "committee": "read"}

    def pre_add(self, item):
        super().pre_add(item)
        exams.check_session(self.datamodel.session, item, {exams.NEW})

    def pre_update(self, item):
        changes = exams.pending_changes(item)  # before anything autoflushes the item
        super().pre_update(item)
        exams.check_session(self.datamodel.session, item, changes)

    def pre_delete(self, item):
        super().pre_delete(item)
        exams.check_delete(self.datamodel.session, item)

    @expose("/<int:pk>/status", methods=["POST"])
    @protect()
    @safe
    @permission_name("change_status")
    def change_status(self, pk):
        """Move the session to another status.
        ---
        post:
          summary: Publish, back to draft, mark as held, cancel (with a reason), ...
          parameters:
          - in: path
            name: pk
            required: true
            schema: {type: integer}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    status: {type: string, enum: [draft, published, held, results_entered, decided, closed, cancelled]}
                    reason: {type: string, description: "required to cancel"}
          responses:
            200:
              description: "The new status and warnings (e.g. published fewer than 45 days before the start)"
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        body = _body()
        try:
            warnings = exams.change_status(self.datamodel.session, item, body.get("status"), reason=body.get("reason"))
        except DomainValidationError as exc:
            return _refused(self, exc)
        return self.response(200, id=pk, status=item.status, warnings=warnings)

    @expose("/<int:pk>/committee", methods=["GET"])
    @protect()
    @safe
    @permission_name("committee")
    def committee(self, pk):
        """The committee's composition problems (empty when it may be published or held).
        ---
        get:
          summary: Check the assessment committee
          parameters:
          - in: path
            name: pk
            required: true
            schema: {type: integer}
          responses:
            200:
              description: "problems: a list of reasons"
            404:
              $ref: '#/components/responses/404'
        """
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        return self.response(200, problems=[message for _f, message in exams.committee_errors(self.datamodel.session, item)])

    @expose("/<int:pk>/assessors", methods=["POST"])
    @protect()
    @safe
    @permission_name("add_assessor")
    def add_assessor(self, pk):
        """Put a person on the committee by personal code (a new person is added with the names).
        ---
        post:
          summary: Add an assessor by personal code
          parameters:
          - in: path
            name: pk
            required: true
            schema: {type: integer}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    isikukood: {type: string}
                    first_name: {type: string}
                    last_name: {type: string}
                    role: {type: string, enum: [chair, member]}
                    representation: {type: string, enum: [employer, employee, teacher, other]}
                    employer_name: {type: string}
                    employer_school: {type: integer}
          responses:
            201:
              description: The new assignment's id
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        body = _body()
        school = None
        if body.get("employer_school") is not None:
            school = self.datamodel.session.get(m.School, body["employer_school"]) \
                if isinstance(body["employer_school"], int) else None
            if school is None:
                return self.response_422(message={"employer_school": [_("no such school")]})
        try:
            a = exams.add_assessor(
                self.datamodel.session, item, isikukood=str(body.get("isikukood") or ""),
                first_name=str(body.get("first_name") or ""), last_name=str(body.get("last_name") or ""),
                role=body.get("role") or "member", representation=body.get("representation") or "",
                employer_name=body.get("employer_name"), employer_school=school)
        except DomainValidationError as exc:
            return _refused(self, exc)
        return self.response(201, id=a.id)


class RegistrationApiBase(ScopedModelRestApi):
    """/api/v1/registration/: POST registers one candidate with every rule of
    app.services.exams (capacity, one open session per standard, conflicts, ...);
    POST /<pk>/withdraw withdraws with a reason."""

    method_permission_name = {**METHOD_PERMISSIONS, "withdraw": "write"}

    def pre_add(self, item):
        super().pre_add(item)
        exams.check_registration(self.datamodel.session, item, {exams.NEW})

    def pre_update(self, item):
        changes = exams.pending_changes(item)  # before anything autoflushes the item
        super().pre_update(item)
        exams.check_registration(self.datamodel.session, item, changes)

    def pre_delete(self, item):
        super().pre_delete(item)
        exams.check_delete(self.datamodel.session, item)

    @expose("/<int:pk>/withdraw", methods=["POST"])
    @protect()
    @safe
    @permission_name("withdraw")
    def withdraw(self, pk):
        """Withdraw the candidate before the exam starts.
        ---
        post:
          summary: Withdraw with a reason
          parameters:
          - in: path
            name: pk
            required: true
            schema: {type: integer}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    reason: {type: string}
          responses:
            200:
              description: Withdrawn
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        try:
            exams.withdraw(self.datamodel.session, item, str(_body().get("reason") or ""))
        except DomainValidationError as exc:
            return _refused(self, exc)
        return self.response(200, id=pk, status=item.status)


class AssessorApiBase(ScopedModelRestApi):
    """/api/v1/assessor_assignment/: committee assignments checked for conflicts of interest;
    POST /<pk>/account creates the assessor's user account (password returned once)."""

    method_permission_name = {**METHOD_PERMISSIONS, "account": "write"}

    def pre_add(self, item):
        super().pre_add(item)
        exams.check_assessor(self.datamodel.session, item, {exams.NEW})

    def pre_update(self, item):
        changes = exams.pending_changes(item)  # before anything autoflushes the item
        super().pre_update(item)
        exams.check_assessor(self.datamodel.session, item, changes)

    def pre_delete(self, item):
        super().pre_delete(item)
        exams.check_delete(self.datamodel.session, item)

    @expose("/<int:pk>/account", methods=["POST"])
    @protect()
    @safe
    @permission_name("account")
    def account(self, pk):
        """Create a user account with role Assessor for the assigned person.
        ---
        post:
          summary: Create the assessor's account (user name = personal code; password shown once)
          parameters:
          - in: path
            name: pk
            required: true
            schema: {type: integer}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    email: {type: string}
          responses:
            201:
              description: "username and the generated password"
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/422'
        """
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        try:
            user, password = exams.create_assessor_account(self.appbuilder.sm, item,
                                                           email=str(_body().get("email") or ""))
        except DomainValidationError as exc:
            return _refused(self, exc)
        return self.response(201, username=user.username, password=password)
