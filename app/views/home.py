"""The start page: each role lands on its own to-do list."""
from flask import g
from flask_appbuilder import IndexView, expose
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app import models as m
from app.security import roles as r
from app.security.scoping import role_names, scoped


def _count(model, *conditions):
    query = select(func.count()).select_from(model).where(*conditions)
    from flask import current_app

    return current_app.appbuilder.session.execute(scoped(query, model)).scalar()


class HomeView(IndexView):
    index_template = "home.html"

    @expose("/")
    def index(self):
        user = getattr(g, "user", None)
        todo = []
        if user is not None and user.is_authenticated:
            names = role_names(user)
            if names & {r.REGISTRY, r.ADMIN}:
                todo += [
                    ("AccountRequestView.list", _l("Open account requests"),
                     _count(m.AccountRequest, m.AccountRequest.status == "open")),
                    ("JobRunView.list", _l("Failed job runs"), _count(m.JobRun, m.JobRun.status == "failed")),
                    ("EnrolmentView.list", _l("Enrolments with a routing problem"),
                     _count(m.Enrolment, m.Enrolment.routing_problem.is_not(None))),
                ]
            if r.AWARDING_BODY in names:
                todo += [
                    ("ExamSessionView.list", _l("Draft exam sessions"), _count(m.ExamSession, m.ExamSession.status == "draft")),
                    ("DecisionView.list", _l("Decisions to confirm"), _count(m.Decision, m.Decision.status == "draft")),
                    ("CertificateView.list", _l("Certificates rejected by the register"),
                     _count(m.Certificate, m.Certificate.status == "rejected")),
                ]
            if r.SCHOOL in names:
                todo += [
                    ("EnrolmentView.list", _l("Candidates to confirm"),
                     _count(m.Enrolment, m.Enrolment.candidate_confirmed.is_(False), m.Enrolment.awarding_body_id.is_not(None))),
                    ("EnrolmentView.list", _l("Enrolments with a routing problem"),
                     _count(m.Enrolment, m.Enrolment.routing_problem.is_not(None))),
                ]
            if r.ASSESSOR in names:
                todo += [
                    ("ExamSessionView.list", _l("Exam sessions to grade"),
                     _count(m.ExamSession, m.ExamSession.status.in_(["published", "held"]))),
                ]
        return self.render_template(self.index_template, appbuilder=self.appbuilder, todo=todo)
