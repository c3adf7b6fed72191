"""Roles declared as data; `flask eksamihaldus sync-roles` makes the database match.

Every entity is one permission resource with two permissions, ``can_read`` and ``can_write``
(as in Superset): list/show/get/info/export read, add/edit/delete/post/put/actions write.
Menus are granted by their English names. Admin gets everything from FAB itself.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

ADMIN = "Admin"
REGISTRY = "Registry staff"
AWARDING_BODY = "Awarding body user"
SCHOOL = "School user"
ASSESSOR = "Assessor"

ROLE_LABELS = {
    ADMIN: _l("Admin"),
    REGISTRY: _l("Registry staff"),
    AWARDING_BODY: _l("Awarding body user"),
    SCHOOL: _l("School user"),
    ASSESSOR: _l("Assessor"),
}

# Roles that may see every organisation's data.
UNSCOPED_ROLES = {ADMIN, REGISTRY}
# Roles that need an organisation (or, for assessors, an isikukood matched to committees).
SCOPED_ROLES = {AWARDING_BODY, SCHOOL, ASSESSOR}
REQUESTABLE_ROLES = [AWARDING_BODY, SCHOOL, ASSESSOR, REGISTRY]

READ = {"can_read"}
RW = {"can_read", "can_write"}

MASTER_DATA = [
    "OccupationalStandard", "Competence", "Specialisation", "PartialQualification",
]
EXAM_WORK = [
    "ExamSession", "Registration", "AssessorAssignment", "Result", "CompetenceResult",
    "Decision", "Certificate", "Appeal",
]

ROLES: dict[str, dict[str, set[str]]] = {
    REGISTRY: {
        **{r: RW for r in MASTER_DATA},
        "AwardingBody": RW, "AwardingRight": RW, "QualificationCommittee": RW,
        "CommitteeMember": RW, "School": RW, "Curriculum": RW, "CurriculumStandardLink": RW,
        "Person": RW, "Enrolment": RW, "Candidate": READ,
        **{r: READ for r in EXAM_WORK},
        "JobRun": RW, "JobRunError": READ, "AuditEvent": READ, "DataAccess": READ, "AccountRequest": RW,
        "Statistics": READ, "Export": READ,
    },
    AWARDING_BODY: {
        **{r: READ for r in MASTER_DATA},
        "AwardingBody": READ, "AwardingRight": READ, "QualificationCommittee": READ,
        "CommitteeMember": READ, "School": READ, "Curriculum": READ,
        "CurriculumStandardLink": READ, "Person": READ, "Enrolment": READ,
        # the candidate list: read, and register candidates for sessions (no other enrolment write)
        "Candidate": {"can_read", "can_assign"},
        **{r: RW for r in EXAM_WORK},
        "JobRun": READ, "JobRunError": READ,
        "Statistics": READ, "Export": READ,
    },
    SCHOOL: {
        **{r: READ for r in MASTER_DATA},
        "School": READ, "Curriculum": READ, "CurriculumStandardLink": READ,
        "Person": READ, "Enrolment": READ, "ExamSession": READ, "Registration": READ,
        # the candidate list: read, and confirm candidates (joint application) — the school's only
        # write on enrolments
        "Candidate": {"can_read", "can_confirm"},
        "Result": READ, "CompetenceResult": READ, "Decision": READ, "Certificate": READ,
        "Appeal": READ,
        "Statistics": READ, "Export": READ,
    },
    ASSESSOR: {
        **{r: READ for r in MASTER_DATA},
        "ExamSession": READ, "Registration": READ, "AssessorAssignment": READ,
        "Person": READ, "Enrolment": READ, "Result": RW, "CompetenceResult": RW,
        "Export": READ,
    },
}

# Menu categories and items each role sees (English names = permission names).
STATISTICS_MENU = ("Statistics", "Dashboard", "Open data")
MENUS: dict[str, set[str]] = {
    REGISTRY: {
        "Master data", "Occupational standards", "Competences", "Specialisations",
        "Partial qualifications", "Awarding bodies", "Awarding rights",
        "Qualification committees", "Committee members", "Schools", "Curricula",
        "Curriculum links",
        "Students", "Persons", "Enrolments", "Candidates", "Problems",
        "Exams", "Exam sessions", "Registrations", "Assessment committees", "Results",
        "Competence results", "Decisions", "Certificates", "Appeals",
        "Results entry", "Decisions by session",
        "Administration", "Job runs", "Start a job", "Audit events", "Data access log", "Account requests",
        *STATISTICS_MENU,
    },
    AWARDING_BODY: {
        "Exams", "Exam sessions", "Registrations", "Assessment committees", "Results",
        "Competence results", "Decisions", "Certificates", "Appeals",
        "Results entry", "Decisions by session",
        "Students", "Enrolments", "Candidates", "Persons",
        "Master data", "Occupational standards", "Competences", "Specialisations",
        "Partial qualifications", "Awarding bodies", "Awarding rights",
        "Qualification committees", "Committee members", "Schools", "Curricula",
        "Curriculum links", "Administration", "Job runs", "Start a job",
        *STATISTICS_MENU,
    },
    SCHOOL: {
        "Students", "Enrolments", "Candidates", "Problems", "Persons",
        "Exams", "Exam sessions", "Registrations", "Results", "Competence results",
        "Decisions", "Certificates", "Appeals",
        "Master data", "Occupational standards", "Competences", "Specialisations",
        "Partial qualifications", "Schools", "Curricula", "Curriculum links",
        *STATISTICS_MENU,
    },
    ASSESSOR: {
        "Exams", "Exam sessions", "Registrations", "Assessment committees", "Results",
        "Competence results", "Results entry", "Students", "Persons", "Enrolments",
        "Master data", "Occupational standards", "Competences", "Specialisations",
        "Partial qualifications",
    },
}

# Every scoped and registry user may change their own password and see their profile.
USER_VIEW = "EksUserView"  # app.security.manager.EksUserView (its class name is the resource)
SELF_SERVICE = [
    ("can_this_form_get", "ResetMyPasswordView"),
    ("can_this_form_post", "ResetMyPasswordView"),
    ("can_this_form_get", "UserInfoEditView"),
    ("can_this_form_post", "UserInfoEditView"),
    ("can_userinfo", USER_VIEW),
    ("resetmypassword", USER_VIEW),
    ("userinfoedit", USER_VIEW),
]
REGISTRY_EXTRA = [
    ("can_list", USER_VIEW), ("can_show", USER_VIEW),
    ("menu_access", "List Users"), ("menu_access", "Security"),
]
