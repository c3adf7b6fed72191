"""Registers every screen and API, grouped in menus the way each role works."""
from flask_babel import lazy_gettext as _l

from app.api import api_for
from app.api.planning import CandidateApi
from app.views import admin, exams, grid, jobs, master, outcomes, planning, statistics, students
from app.views.exports import ExportView

# (view, name = permission and menu name, label, category, icon, read-only API)
SCREENS = [
    (exams.ExamSessionView, "Exam sessions", _l("Exam sessions"), "Exams", "fa-calendar", False),
    (exams.RegistrationView, "Registrations", _l("Registrations"), "Exams", "fa-user-plus", False),
    (exams.AssessorView, "Assessment committees", _l("Assessment committees"), "Exams", "fa-users", False),
    (exams.ResultView, "Results", _l("Results"), "Exams", "fa-check-square-o", False),
    (exams.CompetenceResultView, "Competence results", _l("Competence results"), "Exams", "fa-list", False),
    (outcomes.DecisionView, "Decisions", _l("Decisions"), "Exams", "fa-gavel", False),
    (outcomes.CertificateView, "Certificates", _l("Certificates"), "Exams", "fa-certificate", False),
    (outcomes.AppealView, "Appeals", _l("Appeals"), "Exams", "fa-balance-scale", False),
    (students.EnrolmentView, "Enrolments", _l("Enrolments"), "Students", "fa-graduation-cap", False),
    # Enrolments routed to an awarding body; its API is planning.CandidateApi (/api/v1/candidate/)
    (planning.CandidateView, "Candidates", _l("Candidates"), "Students", "fa-address-book", True),
    (students.ProblemView, "Problems", _l("Problems"), "Students", "fa-exclamation-triangle", True),
    (students.PersonView, "Persons", _l("Persons"), "Students", "fa-user", False),
    (master.StandardView, "Occupational standards", _l("Occupational standards"), "Master data", "fa-book", False),
    (master.CompetenceView, "Competences", _l("Competences"), "Master data", "fa-tasks", False),
    (master.SpecialisationView, "Specialisations", _l("Specialisations"), "Master data", "fa-code-fork", False),
    (master.PartialQualificationView, "Partial qualifications", _l("Partial qualifications"), "Master data", "fa-puzzle-piece", False),
    (master.AwardingBodyView, "Awarding bodies", _l("Awarding bodies"), "Master data", "fa-building", False),
    (master.AwardingRightView, "Awarding rights", _l("Awarding rights"), "Master data", "fa-key", False),
    (master.QualificationCommitteeView, "Qualification committees", _l("Qualification committees"), "Master data", "fa-university", False),
    (master.CommitteeMemberView, "Committee members", _l("Committee members"), "Master data", "fa-user-circle", False),
    (master.SchoolView, "Schools", _l("Schools"), "Master data", "fa-home", False),
    (master.CurriculumView, "Curricula", _l("Curricula"), "Master data", "fa-file-text-o", False),
    (master.CurriculumLinkView, "Curriculum links", _l("Curriculum links"), "Master data", "fa-link", False),
    (admin.JobRunView, "Job runs", _l("Job runs"), "Administration", "fa-cogs", True),
    (admin.AuditEventView, "Audit events", _l("Audit events"), "Administration", "fa-history", True),
    (admin.DataAccessView, "Data access log", _l("Data access log"), "Administration", "fa-eye", True),
    (admin.AccountRequestView, "Account requests", _l("Account requests"), "Administration", "fa-user-plus", True),
]
CATEGORY_LABELS = {
    "Exams": _l("Exams"),
    "Students": _l("Students"),
    "Master data": _l("Master data"),
    "Administration": _l("Administration"),
    "Statistics": _l("Statistics"),
}
CATEGORY_ICONS = {"Exams": "fa-pencil", "Students": "fa-graduation-cap", "Master data": "fa-database",
                  "Administration": "fa-wrench", "Statistics": "fa-bar-chart"}


def register(appbuilder) -> None:
    with_api = set()
    for view, name, label, category, icon, read_only in SCREENS:
        appbuilder.add_view(
            view, name, label=label, icon=icon, category=category,
            category_label=CATEGORY_LABELS[category], category_icon=CATEGORY_ICONS[category],
        )
        if view.model not in with_api:  # one API per entity, from its main screen
            with_api.add(view.model)
            appbuilder.add_api(api_for(view, read_only=read_only))
    appbuilder.add_api(CandidateApi)
    appbuilder.add_view(jobs.JobStartView, "Start a job", label=_l("Start a job"), icon="fa-play",
                        category="Administration", category_label=CATEGORY_LABELS["Administration"])
    # Work on a whole exam session: the results grid and the kutsekomisjon's decisions.
    appbuilder.add_view(grid.ResultGridView, "Results entry", label=_l("Results entry"), icon="fa-table",
                        category="Exams", category_label=CATEGORY_LABELS["Exams"])
    appbuilder.add_view(grid.SessionDecisionView, "Decisions by session", label=_l("Decisions by session"),
                        icon="fa-gavel", category="Exams", category_label=CATEGORY_LABELS["Exams"])
    appbuilder.add_view_no_menu(admin.JobRunErrorView)
    appbuilder.add_api(api_for(admin.JobRunErrorView, read_only=True))
    appbuilder.add_view_no_menu(admin.AccountRequestFormView)
    # Statistics: the dashboard, the public open data (no login) and background exports' downloads.
    appbuilder.add_view(statistics.StatisticsView, "Dashboard", label=_l("Dashboard"), icon="fa-bar-chart",
                        category="Statistics", category_label=CATEGORY_LABELS["Statistics"],
                        category_icon=CATEGORY_ICONS["Statistics"])
    appbuilder.add_view_no_menu(statistics.OpenDataView)
    appbuilder.add_link("Open data", href="/avaandmed/", label=_l("Open data"), icon="fa-globe",
                        category="Statistics", category_label=CATEGORY_LABELS["Statistics"])
    appbuilder.add_view_no_menu(ExportView)
