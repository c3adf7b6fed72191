"""The start page: each role lands on its own to-do list, every line a count with a link to
where the work is done (lists are filtered with FAB's ``_flt_<n>_<column>`` arguments: 3 is
"equal to" for text columns, 0 for booleans)."""
from flask import current_app, g
from flask_appbuilder import IndexView, expose
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, exists, func, select

from app import models as m
from app.security import roles as r
from app.security.scoping import role_names, scoped
from app.services.exams import MIN_MEMBERS
from app.services.outcomes import GRADING_STATUSES


def _count(model, *conditions):
    query = select(func.count()).select_from(model).where(*conditions)
    return current_app.appbuilder.session.execute(scoped(query, model)).scalar()


def _status(value):
    return {"_flt_3_status": value}


def _full_committees():
    """Sessions whose assessment committee has its chair and members (the counts of
    app.services.exams.committee_errors; the other rules are checked when it is published)."""
    chairs = func.sum(case((m.AssessorAssignment.role == "chair", 1), else_=0))
    return (
        select(m.AssessorAssignment.exam_session_id)
        .group_by(m.AssessorAssignment.exam_session_id)
        .having(chairs == 1, func.count() - chairs >= MIN_MEMBERS)
    )


def _undecided_results():
    """Submitted results of registered candidates without a confirmed decision (anti-joins on the
    indexed registration ids)."""
    return (
        m.Result.status == "submitted",
        exists().where(m.Registration.id == m.Result.registration_id, m.Registration.status == "registered"),
        ~exists().where(m.Decision.registration_id == m.Result.registration_id, m.Decision.status == "confirmed"),
    )


def _sessions_to_grade(user):
    """Sessions the assessor chairs, held (or started), with results not all submitted."""
    chaired = (
        select(m.AssessorAssignment.exam_session_id).join(m.Person, m.Person.id == m.AssessorAssignment.person_id)
        .where(m.Person.isikukood == user.isikukood, m.AssessorAssignment.role == "chair")
    )
    open_results = (
        select(m.Registration.exam_session_id)
        .outerjoin(m.Result, m.Result.registration_id == m.Registration.id)
        .where(m.Registration.status == "registered",
               (m.Result.id.is_(None)) | (m.Result.status != "submitted"))
    )
    return _count(
        m.ExamSession, m.ExamSession.id.in_(chaired), m.ExamSession.id.in_(open_results),
        m.ExamSession.status.in_(("published", *GRADING_STATUSES)), m.ExamSession.starts_at <= func.now(),
    )


def todo_for(user) -> list[tuple[str, dict, object, int]]:
    """(endpoint, url arguments, label, count) per line of the user's to-do list."""
    names = role_names(user)
    todo = []
    if names & {r.REGISTRY, r.ADMIN}:
        todo += [
            ("AccountRequestView.list", _status("open"), _l("Open account requests"),
             _count(m.AccountRequest, m.AccountRequest.status == "open")),
            ("JobRunView.list", _status("failed"), _l("Failed job runs"),
             _count(m.JobRun, m.JobRun.status == "failed")),
            ("ProblemView.list", {}, _l("Enrolments with a routing problem"),
             _count(m.Enrolment, m.Enrolment.routing_problem.is_not(None))),
            ("CertificateView.list", _status("rejected"), _l("Certificates rejected by the register"),
             _count(m.Certificate, m.Certificate.status == "rejected")),
        ]
    if r.AWARDING_BODY in names:
        todo += [
            ("ExamSessionView.list", _status("draft"), _l("Exam sessions to schedule (drafts)"),
             _count(m.ExamSession, m.ExamSession.status == "draft")),
            ("ExamSessionView.list", _status("published"), _l("Committees to compose (published sessions without "
                                                               "a chair and two members)"),
             _count(m.ExamSession, m.ExamSession.status == "published", ~m.ExamSession.id.in_(_full_committees()))),
            ("SessionDecisionView.index", {}, _l("Results to decide"), _count(m.Result, *_undecided_results())),
            ("CertificateView.list", _status("draft"), _l("Certificates to send to the register"),
             _count(m.Certificate, m.Certificate.status == "draft", m.Certificate.revoked.is_(False))),
            ("CertificateView.list", _status("rejected"), _l("Certificates rejected by the register"),
             _count(m.Certificate, m.Certificate.status == "rejected")),
        ]
    if r.SCHOOL in names:
        todo += [
            ("EnrolmentView.list", {}, _l("Candidates to confirm"),
             _count(m.Enrolment, m.Enrolment.candidate_confirmed.is_(False), m.Enrolment.awarding_body_id.is_not(None))),
            ("ProblemView.list", {}, _l("Enrolments with a routing problem"),
             _count(m.Enrolment, m.Enrolment.routing_problem.is_not(None))),
        ]
    if r.ASSESSOR in names and getattr(user, "isikukood", None):
        todo += [("ResultGridView.index", {}, _l("Exam sessions to grade"), _sessions_to_grade(user))]
    return todo


class HomeView(IndexView):
    index_template = "home.html"

    @expose("/")
    def index(self):
        user = getattr(g, "user", None)
        todo = todo_for(user) if user is not None and user.is_authenticated else []
        return self.render_template(self.index_template, appbuilder=self.appbuilder, todo=todo)
