"""Exam sessions, registrations, assessment committees and results."""
from flask_babel import lazy_gettext as _l

from app import models as m
from app.formatting import format_value
from app.views.base import ScopedModelView
from app.views.planning import AssessorActions, ExamSessionActions, RegistrationActions


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
    list_eager = ["registration.enrolment.person", "registration.enrolment.curriculum",
                  "registration.exam_session.standard"]
    search_columns = ["registration", "attended", "proposal", "status"]
    add_columns = edit_columns = ["registration", "attended", "proposal", "comment"]
    show_columns = add_columns + ["status", "submitted_at", "reopen_reason"]
    related_views = [CompetenceResultView]


class RegistrationView(RegistrationActions, ScopedModelView):
    """Registrations; the school sees where and when each of its students sits the exam.
    Candidates are registered singly here or in bulk from the candidate list; a registration is
    withdrawn with a reason (action), never by editing its status."""

    model = m.Registration
    list_title = _l("Registrations")
    list_columns = ["enrolment", "exam_session", "exam_starts_at", "exam_place", "status", "exam_language",
                    "special_arrangements_needed"]
    search_columns = ["exam_session", "enrolment", "status", "exam_language", "special_arrangements_needed"]
    add_columns = edit_columns = ["exam_session", "enrolment", "exam_language"]
    show_columns = [
        "exam_session", "exam_starts_at", "exam_place", "enrolment", "status", "withdrawal_reason", "exam_language",
        "special_arrangements_needed", "special_arrangements", "public_consent",
    ]
    formatters_columns = {"exam_starts_at": format_value}
    list_eager = ["enrolment.person", "enrolment.curriculum", "exam_session.standard", "exam_session.place_school"]
    base_order = ("id", "desc")  # the latest registrations first
    related_views = [ResultView]
    # The API: status and the joint application are read-only there too (withdraw: its endpoint).
    api_overrides = {
        "list_columns": ["id", "status", "exam_language", "special_arrangements_needed", "exam_place",
                         "exam_session.id", "exam_session.starts_at", "exam_session.ends_at", "enrolment.id"],
        "show_columns": ["id", "status", "withdrawal_reason", "exam_language", "special_arrangements_needed",
                         "special_arrangements", "public_consent", "exam_place", "exam_session.id",
                         "exam_session.starts_at", "exam_session.ends_at", "enrolment.id"],
        "order_columns": ["status", "exam_language"],
    }


class AssessorView(AssessorActions, ScopedModelView):
    """The assessment committee: a chair and members, each with a representation and employer."""

    model = m.AssessorAssignment
    list_title = _l("Assessment committees")
    list_columns = ["exam_session", "person", "role", "representation", "employer_name", "employer_school"]
    list_eager = ["exam_session.standard"]
    search_columns = ["exam_session", "person", "role", "representation", "employer_school"]
    add_columns = edit_columns = show_columns = [
        "exam_session", "person", "role", "representation", "employer_name", "employer_school",
    ]


class ExamSessionView(ExamSessionActions, ScopedModelView):
    """Exam sessions: created as drafts; the status moves only through the actions (publish, back
    to draft, mark as held, cancel), each checked by app.services.exams."""

    model = m.ExamSession
    list_title = _l("Exam sessions")
    list_columns = ["standard", "awarding_body", "starts_at", "place_school", "language", "capacity", "status"]
    search_columns = ["standard", "awarding_body", "status", "starts_at", "language", "place_school"]
    add_columns = edit_columns = [
        "awarding_body", "standard", "specialisation", "partial_qualification", "place_school",
        "place_address", "starts_at", "ends_at", "language", "capacity", "registration_deadline",
    ]
    show_columns = add_columns + ["status", "cancellation_reason"]
    base_order = ("starts_at", "desc")
    related_views = [RegistrationView, AssessorView]
    # The API accepts "status" on create (only the initial "draft" passes); changes go through
    # POST /api/v1/exam_session/<pk>/status.
    api_overrides = {"add_columns": add_columns + ["status"]}
