"""REST endpoints for exam outcomes beyond plain CRUD, added to the entity APIs by app.api.api_for:
the results grid of a session, reopening a result, decisions in bulk and their confirmation,
certificate actions and an appeal's outcome. Each calls app.services.outcomes; records are
fetched through the scope (404 otherwise); refusals answer 422 with {field: [messages]}."""
from __future__ import annotations

from flask import g, request
from flask_appbuilder.api import expose, protect, safe
from sqlalchemy import select

from app.models import Appeal, Certificate, Decision, ExamSession, Registration, Result
from app.security.scoping import scoped
from app.services import outcomes
from app.validation import DomainValidationError
from app.views.base import METHOD_PERMISSIONS


def _session_or_none(db, session_id: int):
    query = scoped(select(ExamSession).where(ExamSession.id == session_id), ExamSession)
    return db.execute(query).scalars().first()


def _errors(exc: DomainValidationError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for key, message in exc.errors:
        errors.setdefault(key, []).append(message)
    return errors


def _date(value):
    return value.isoformat() if value is not None else None


class _Calls:
    """Shared plumbing: run a service call, answer 422 / 403 on refusal."""

    def _call(self, fn, ok):
        db = self.datamodel.session
        try:
            value = fn(db)
        except DomainValidationError as exc:
            db.rollback()
            return self.response_422(message=_errors(exc))
        except PermissionError:
            db.rollback()
            return self.response(403, message="Forbidden")
        return self.response(200, **ok(value))

    def _body(self) -> dict:
        data = request.get_json(silent=True)
        return data if isinstance(data, dict) else {}

    def _own(self, pk):
        return self.datamodel.get(pk, self._base_filters)


class ResultApiMixin(_Calls):
    method_permission_name = {**METHOD_PERMISSIONS, "grid_get": "read", "grid_put": "write", "reopen": "write"}

    def _grid_json(self, db, exam_session):
        visible = scoped(select(Registration.id).where(Registration.exam_session_id == exam_session.id),
                         Registration)
        grid = outcomes.load_grid(db, exam_session, visible)
        return {
            "exam_session": {"id": exam_session.id, "status": exam_session.status,
                             "can_grade": outcomes.can_grade(db, g.user, exam_session)},
            "competences": [{"id": comp.id, "name": comp.name, "mandatory": comp.mandatory}
                            for comp in grid.competences],
            "rows": [{
                "registration_id": row.registration.id,
                "result_id": row.result.id if row.result else None,
                "candidate": row.registration.enrolment.person.full_name,
                "status": row.status,
                "attended": row.result.attended if row.result else None,
                "proposal": row.result.proposal if row.result else None,
                "comment": row.result.comment if row.result else None,
                "competences": {str(cid): {"passed": mark.passed,
                                           "points": float(mark.points) if mark.points is not None else None}
                                for cid, mark in row.marks.items()},
            } for row in grid.rows],
        }

    @expose("/grid/<int:session_id>", methods=["GET"])
    @protect()
    @safe
    def grid_get(self, session_id):
        """The results grid of an exam session: competences and one row per candidate.
        ---
        get:
          summary: The results grid of an exam session
          parameters:
          - in: path
            name: session_id
            required: true
            schema: {type: integer}
          responses:
            200: {description: "competences and one row per candidate"}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        db = self.datamodel.session
        exam_session = _session_or_none(db, session_id)
        if exam_session is None:
            return self.response_404()
        return self.response(200, result=self._grid_json(db, exam_session))

    @expose("/grid/<int:session_id>", methods=["PUT"])
    @protect()
    @safe
    def grid_put(self, session_id):
        """Save the grid ({"rows": [...], "submit": false}) or save and submit it (locks).
        ---
        put:
          summary: Save the results grid as a draft, or save and submit it (submitted results are locked)
          parameters:
          - in: path
            name: session_id
            required: true
            schema: {type: integer}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    rows: {type: array, items: {type: object}, description: "registration_id, attended, proposal, comment, competences: {competence id: {passed, points}}"}
                    submit: {type: boolean}
          responses:
            200: {description: "counts of saved and submitted results"}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        db = self.datamodel.session
        exam_session = _session_or_none(db, session_id)
        if exam_session is None:
            return self.response_404()
        body = self._body()
        rows = body.get("rows") if isinstance(body.get("rows"), list) else []
        return self._call(
            lambda db: outcomes.save_grid(db, exam_session, rows, submit=bool(body.get("submit")), user=g.user),
            lambda counts: {"result": counts})

    @expose("/<int:pk>/reopen", methods=["POST"])
    @protect()
    @safe
    def reopen(self, pk):
        """Reopen a submitted result ({"reason": "..."}): the awarding body only.
        ---
        post:
          summary: Reopen a submitted result with a reason (the awarding body only)
          parameters:
          - in: path
            name: pk
            required: true
            schema: {type: integer}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    reason: {type: string}
          responses:
            200: {description: "the reopened result"}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        result = self._own(pk)
        if result is None:
            return self.response_404()
        reason = self._body().get("reason")
        return self._call(lambda db: outcomes.reopen_result(db, result, reason, user=g.user),
                          lambda r: {"result": {"id": r.id, "status": r.status}})


class DecisionApiMixin(_Calls):
    method_permission_name = {**METHOD_PERMISSIONS, "session_get": "read", "session_post": "write",
                              "confirm": "write"}

    @expose("/session/<int:session_id>", methods=["GET"])
    @protect()
    @safe
    def session_get(self, session_id):
        """Candidates of a session with a submitted result, with their current decision.
        ---
        get:
          summary: Candidates of an exam session with a submitted result and their current decision
          parameters:
          - in: path
            name: session_id
            required: true
            schema: {type: integer}
          responses:
            200: {description: "one row per candidate"}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        db = self.datamodel.session
        exam_session = _session_or_none(db, session_id)
        if exam_session is None:
            return self.response_404()
        rows = []
        for row in outcomes.decision_rows(db, exam_session):
            d = row.decision
            rows.append({
                "registration_id": row.registration.id, "candidate": row.registration.enrolment.person.full_name,
                "attended": row.result.attended, "proposal": row.result.proposal,
                "decision": None if d is None else {
                    "id": d.id, "status": d.status, "outcome": d.outcome, "decision_date": _date(d.decision_date),
                    "protocol_number": d.protocol_number, "signer_id": d.signer_id,
                    "awarded_standard_id": d.awarded_standard_id},
            })
        return self.response(200, result=rows)

    @expose("/session/<int:session_id>", methods=["POST"])
    @protect()
    @safe
    def session_post(self, session_id):
        """Decide in bulk: {"decision_date", "protocol_number", "signer", "confirm", "rows": [...]}.
        ---
        post:
          summary: Save or confirm the decisions on a session's candidates, all or nothing
          parameters:
          - in: path
            name: session_id
            required: true
            schema: {type: integer}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    decision_date: {type: string, format: date}
                    protocol_number: {type: string}
                    signer: {type: integer, description: a kutsekomisjon member}
                    confirm: {type: boolean}
                    rows: {type: array, items: {type: object}, description: "registration_id, include, outcome, awarded_standard, legal_basis, reasons"}
          responses:
            200: {description: "counts of decisions and confirmations"}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        db = self.datamodel.session
        exam_session = _session_or_none(db, session_id)
        if exam_session is None:
            return self.response_404()
        body = self._body()
        rows = body.get("rows") if isinstance(body.get("rows"), list) else []
        return self._call(
            lambda db: outcomes.decide_session(db, exam_session, body, rows, confirm=bool(body.get("confirm")),
                                               user=g.user),
            lambda counts: {"result": counts})

    @expose("/<int:pk>/confirm", methods=["POST"])
    @protect()
    @safe
    def confirm(self, pk):
        """Confirm a draft decision (final; an award issues a certificate).
        ---
        post:
          summary: Confirm a draft decision (final; an award issues a certificate)
          parameters:
          - in: path
            name: pk
            required: true
            schema: {type: integer}
          responses:
            200: {description: "the confirmed decision"}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        d = self._own(pk)
        if d is None:
            return self.response_404()
        return self._call(lambda db: outcomes.confirm_decision(db, d, user=g.user),
                          lambda d: {"result": {"id": d.id, "status": d.status}})


class CertificateApiMixin(_Calls):
    method_permission_name = {**METHOD_PERMISSIONS, "send": "write", "to_draft": "write",
                              "duplicate": "write", "revoke": "write"}

    @staticmethod
    def _out(cert):
        return {"result": {"id": cert.id, "status": cert.status, "revoked": cert.revoked,
                           "duplicate_of_id": cert.duplicate_of_id}}

    def _act(self, pk, fn):
        cert = self._own(pk)
        if cert is None:
            return self.response_404()
        return self._call(lambda db: fn(db, cert), self._out)

    @expose("/<int:pk>/send", methods=["POST"])
    @protect()
    @safe
    def send(self, pk):
        """Draft or rejected -> ready for the register (the next export sends it).
        ---
        post:
          summary: Send a draft or rejected certificate to the register (status ready)
          parameters:
          - in: path
            name: pk
            required: true
            schema: {type: integer}
          responses:
            200: {description: "the certificate"}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        return self._act(pk, outcomes.send_to_register)

    @expose("/<int:pk>/draft", methods=["POST"])
    @protect()
    @safe
    def to_draft(self, pk):
        """Ready or rejected -> draft, to edit it.
        ---
        post:
          summary: Take a ready or rejected certificate back to draft
          parameters:
          - in: path
            name: pk
            required: true
            schema: {type: integer}
          responses:
            200: {description: "the certificate"}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        return self._act(pk, outcomes.return_to_draft)

    @expose("/<int:pk>/duplicate", methods=["POST"])
    @protect()
    @safe
    def duplicate(self, pk):
        """Order a duplicate of a registered certificate ({"reason": "1" | "2" | "3"}).
        ---
        post:
          summary: Order a duplicate of a registered certificate
          parameters:
          - in: path
            name: pk
            required: true
            schema: {type: integer}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    reason: {type: string, enum: ["1", "2", "3"], description: "1 lost, 2 unusable, 3 error by the awarding body"}
          responses:
            200: {description: "the duplicate"}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        reason = self._body().get("reason")
        return self._act(pk, lambda db, cert: outcomes.order_duplicate(db, cert, reason))

    @expose("/<int:pk>/revoke", methods=["POST"])
    @protect()
    @safe
    def revoke(self, pk):
        """Revoke a registered certificate ({"reason": "...", "date": "YYYY-MM-DD"}).
        ---
        post:
          summary: Revoke a registered certificate (the next export tells the register)
          parameters:
          - in: path
            name: pk
            required: true
            schema: {type: integer}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    reason: {type: string}
                    date: {type: string, format: date}
          responses:
            200: {description: "the certificate"}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        body = self._body()
        return self._act(pk, lambda db, cert: outcomes.revoke_certificate(db, cert, body.get("reason"),
                                                                           body.get("date")))


class AppealApiMixin(_Calls):
    method_permission_name = {**METHOD_PERMISSIONS, "decide": "write"}

    @expose("/<int:pk>/outcome", methods=["POST"])
    @protect()
    @safe
    def decide(self, pk):
        """Record the outcome ({"outcome": "upheld" | "dismissed", "outcome_date": "YYYY-MM-DD"});
        an upheld appeal opens a new draft decision.
        ---
        post:
          summary: Record the outcome of an appeal (an upheld appeal opens a new draft decision)
          parameters:
          - in: path
            name: pk
            required: true
            schema: {type: integer}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    outcome: {type: string, enum: [upheld, dismissed]}
                    outcome_date: {type: string, format: date}
          responses:
            200: {description: "the appeal"}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        appeal = self._own(pk)
        if appeal is None:
            return self.response_404()
        body = self._body()
        return self._call(lambda db: outcomes.decide_appeal(db, appeal, body.get("outcome"), body.get("outcome_date")),
                          lambda a: {"result": {"id": a.id, "outcome": a.outcome}})


MIXINS = {Result: ResultApiMixin, Decision: DecisionApiMixin, Certificate: CertificateApiMixin,
          Appeal: AppealApiMixin}
