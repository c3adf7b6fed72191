"""All models, imported so that their tables are on ``flask_appbuilder.Model.metadata``."""
from app.models.curricula import Curriculum, CurriculumStandardLink
from app.models.decisions import Appeal, Certificate, Decision
from app.models.exams import AssessorAssignment, CompetenceResult, ExamSession, Registration, Result
from app.models.operations import AccountRequest, AuditEvent, DataAccess, JobRun, JobRunError
from app.models.organisations import (
    AwardingBody,
    AwardingRight,
    CommitteeMember,
    QualificationCommittee,
    School,
)
from app.models.persons import AwardingBodyPerson, Enrolment, Person
from app.models.standards import Competence, OccupationalStandard, PartialQualification, Specialisation
from app.models.statistics import OpenDataStat, StatRefresh, StatSummary

__all__ = [
    "AccountRequest", "Appeal", "AssessorAssignment", "AuditEvent", "AwardingBody", "AwardingBodyPerson",
    "AwardingRight", "Certificate", "CommitteeMember", "Competence", "CompetenceResult",
    "Curriculum", "CurriculumStandardLink", "DataAccess", "Decision", "Enrolment",
    "ExamSession", "JobRun", "JobRunError", "OccupationalStandard", "OpenDataStat", "PartialQualification",
    "Person", "QualificationCommittee", "Registration", "Result", "School", "Specialisation", "StatRefresh",
    "StatSummary",
]
