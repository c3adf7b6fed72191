"""Concurrent API writes to one exam session are serialized (tests/test_concurrent_writes.py).

Several users enter results and confirm decisions on the same session at once. The rules that
keep such writes correct read other rows first ("the candidate already has a draft
decision", "the decision is already confirmed", "every candidate is decided") and no database
constraint backs them: two requests at the same moment both passed the check and stored a
second draft decision, or confirmed one decision twice and issued two certificates.

Before an API write to a record that belongs to an exam session (registration, assessor,
result, competence mark, decision, certificate, appeal) and before the session's own bulk
endpoints (results grid, decisions), the request takes a row lock on the exam session
(SELECT … FOR UPDATE) in the transaction its write then commits. Writes to one session thus
run one after another, each reading what the one before committed (PostgreSQL's READ
COMMITTED takes a new snapshot per statement); writes to other sessions do not wait, and
always taking this one lock first leaves no order for a deadlock among them.
"""
from __future__ import annotations

from typing import Any

from flask import request
from flask_appbuilder.hooks import before_request
from sqlalchemy import select

from app.models import (
    Appeal,
    AssessorAssignment,
    Certificate,
    CompetenceResult,
    Decision,
    ExamSession,
    Registration,
    Result,
)

# model -> (its column naming the parent, the relation the API takes in a body, the parent model)
PARENT: dict[type, tuple[str, str, type]] = {
    Registration: ("exam_session_id", "exam_session", ExamSession),
    AssessorAssignment: ("exam_session_id", "exam_session", ExamSession),
    Result: ("registration_id", "registration", Registration),
    CompetenceResult: ("result_id", "result", Result),
    Decision: ("registration_id", "registration", Registration),
    Certificate: ("decision_id", "decision", Decision),
    Appeal: ("decision_id", "decision", Decision),
}
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def exam_session_of(db, model: type, pk: Any) -> int | None:
    """The exam session a stored record belongs to, following parents up to the session."""
    while model is not ExamSession:
        if model not in PARENT or not _an_id(pk):
            return None
        column, _, parent = PARENT[model]
        pk = db.execute(select(getattr(model, column)).where(model.id == pk)).scalar()
        model = parent
    return pk if _an_id(pk) else None


def lock_exam_session(db, session_id: int) -> None:
    db.execute(select(ExamSession.id).where(ExamSession.id == session_id).with_for_update())


def _an_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31


class SessionWriteLockMixin:
    """Mixed into ScopedModelRestApi (app.views.base)."""

    @before_request
    def _serialize_session_writes(self):
        if request.method not in WRITES:
            return None
        model = self.datamodel.obj
        args = request.view_args or {}
        if model is not ExamSession and model not in PARENT:
            return None
        may_call = getattr(self, "_may_call", None)
        if may_call is not None and not may_call():
            return None  # @protect answers; a stranger takes no lock
        db = self.datamodel.session
        session_id = None
        if "session_id" in args:  # the session's bulk endpoints (results grid, decisions)
            session_id = args["session_id"]
        elif "pk" in args:
            session_id = exam_session_of(db, model, args["pk"])
        elif request.method == "POST" and model in PARENT:
            body = request.get_json(silent=True)
            _, relation, parent = PARENT[model]
            if isinstance(body, dict):
                session_id = exam_session_of(db, parent, body.get(relation))
        if _an_id(session_id):
            lock_exam_session(db, session_id)
        return None
