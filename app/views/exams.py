"""Exam sessions, registrations, assessment committees and results."""
from flask_babel import lazy_gettext as _l

from app import models as m
from app.views.base import ScopedModelView


class CompetenceResultView(ScopedModelView):
    model = m.CompetenceResult
    list_title = _l("Competence results")
    list_columns = ["result", "competence", "passed", "points"]
    search_columns = ["competence", "passed"]
    add_columns = edit_columns = show_columns = ["result", "competence", "passed", "points"]


class ResultView(ScopedModelView):
    model = m.Result
    list_title = _l("Results")
    list_columns = ["registration", "attended", "proposal", "status", "submitted_at"]
    search_columns = ["registration", "attended", "proposal", "status"]
    add_columns = edit_columns = ["registration", "attended", "proposal", "comment"]
    show_columns = add_columns + ["status", "submitted_at", "reopen_reason"]
    related_views = [CompetenceResultView]


class RegistrationView(ScopedModelView):
    model = m.Registration
    list_title = _l("Registrations")
    list_columns = ["enrolment", "exam_session", "status", "exam_language", "special_arrangements_needed"]
    search_columns = ["exam_session", "enrolment", "status", "exam_language", "special_arrangements_needed"]
    add_columns = edit_columns = [
        "exam_session", "enrolment", "exam_language", "special_arrangements_needed",
        "special_arrangements", "public_consent", "status", "withdrawal_reason",
    ]
    show_columns = add_columns
    related_views = [ResultView]


class AssessorView(ScopedModelView):
    model = m.AssessorAssignment
    list_title = _l("Assessment committees")
    list_columns = ["exam_session", "person", "role", "representation", "employer_name"]
    search_columns = ["exam_session", "person", "role", "representation"]
    add_columns = edit_columns = show_columns = [
        "exam_session", "person", "role", "representation", "employer_name", "employer_school",
    ]


class ExamSessionView(ScopedModelView):
    model = m.ExamSession
    list_title = _l("Exam sessions")
    list_columns = ["standard", "awarding_body", "starts_at", "place_school", "language", "capacity", "status"]
    search_columns = ["standard", "awarding_body", "status", "starts_at", "language", "place_school"]
    add_columns = edit_columns = [
        "awarding_body", "standard", "specialisation", "partial_qualification", "place_school",
        "place_address", "starts_at", "ends_at", "language", "capacity",
        "registration_deadline", "status",
    ]
    show_columns = add_columns
    base_order = ("starts_at", "desc")
    related_views = [RegistrationView, AssessorView]
