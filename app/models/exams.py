"""Exam sessions, registrations, assessment committees and results."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, DateTime, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import validation as v
from app.models import choices as c
from app.models.base import DomainModel, fk
from app.models.organisations import AwardingBody, School
from app.models.persons import Enrolment, Person
from app.models.standards import (
    Competence,
    OccupationalStandard,
    PartialQualification,
    Specialisation,
)

# A session in one of these statuses no longer holds its candidates.
CLOSED_SESSION_STATUSES = ("closed", "cancelled")


class ExamSession(DomainModel):
    __tablename__ = "exam_session"
    __choices__ = {"status": c.SESSION_STATUS, "language": c.STUDY_LANGUAGE}
    __field_rules__ = {"capacity": v.positive}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    awarding_body_id: Mapped[int] = fk("awarding_body.id", nullable=False)
    standard_id: Mapped[int] = fk("occupational_standard.id", nullable=False)
    specialisation_id: Mapped[int | None] = fk("specialisation.id")
    partial_qualification_id: Mapped[int | None] = fk("partial_qualification.id")
    place_school_id: Mapped[int | None] = fk("school.id")
    place_address: Mapped[str | None] = mapped_column(String(500))
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    language: Mapped[str] = mapped_column(String(2), default="et", nullable=False)
    capacity: Mapped[int] = mapped_column(Integer, default=20, nullable=False)
    registration_deadline: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="draft", nullable=False, index=True)
    cancellation_reason: Mapped[str | None] = mapped_column(Text)

    awarding_body: Mapped[AwardingBody] = relationship()
    standard: Mapped[OccupationalStandard] = relationship()
    specialisation: Mapped[Specialisation | None] = relationship()
    partial_qualification: Mapped[PartialQualification | None] = relationship()
    place_school: Mapped[School | None] = relationship()
    registrations: Mapped[list[Registration]] = relationship(back_populates="exam_session")
    assessors: Mapped[list[AssessorAssignment]] = relationship(back_populates="exam_session")

    @classmethod
    def cross_field_errors(cls, values):
        errors = v.after("starts_at", "ends_at", values, _l("the exam must end after it starts"))
        start, deadline = values.get("starts_at"), values.get("registration_deadline")
        if start and deadline and deadline > start.date():
            errors.append(
                ("registration_deadline", str(_l("the registration deadline must not be after the exam starts")))
            )
        if not values.get("place_school") and not values.get("place_school_id") and not values.get(
            "place_address"
        ):
            errors.append(("place_address", str(_l("give an address or choose a school as the place"))))
        if (values.get("specialisation") or values.get("specialisation_id")) and (
            values.get("partial_qualification") or values.get("partial_qualification_id")
        ):
            errors.append(("partial_qualification", str(
                _l("an exam is for a specialisation or for a partial qualification, not both"))))
        if values.get("status") == "cancelled" and not values.get("cancellation_reason"):
            errors.append(("cancellation_reason", str(_l("a cancellation needs a reason"))))
        return errors

    @property
    def place(self) -> str:
        return ", ".join(str(p) for p in (self.place_school, self.place_address) if p)

    def is_open(self) -> bool:
        """Open = not closed or cancelled (a candidate may be in one open session per standard)."""
        return self.status not in CLOSED_SESSION_STATUSES

    def __repr__(self) -> str:
        start = self.starts_at.strftime("%d.%m.%Y") if self.starts_at else ""
        return f"{self.standard} {start}"


class Registration(DomainModel):
    __tablename__ = "registration"
    __owner_parents__ = {"awarding_body_id": "exam_session", "school_id": "enrolment"}
    __table_args__ = (UniqueConstraint("exam_session_id", "enrolment_id"), Index("ix_registration_status_id", "status", "id"))
    __choices__ = {"status": c.REGISTRATION_STATUS, "exam_language": c.STUDY_LANGUAGE}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exam_session_id: Mapped[int] = fk("exam_session.id", nullable=False)
    enrolment_id: Mapped[int] = fk("enrolment.id", nullable=False)
    awarding_body_id: Mapped[int] = fk("awarding_body.id", nullable=False)
    school_id: Mapped[int] = fk("school.id", nullable=False)
    status: Mapped[str] = mapped_column(String(20), default="registered", nullable=False)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    exam_language: Mapped[str | None] = mapped_column(String(2))
    special_arrangements_needed: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    special_arrangements: Mapped[str | None] = mapped_column(Text)
    public_consent: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)

    exam_session: Mapped[ExamSession] = relationship(back_populates="registrations")
    enrolment: Mapped[Enrolment] = relationship()
    result: Mapped[Result | None] = relationship(back_populates="registration", uselist=False)

    @classmethod
    def cross_field_errors(cls, values):
        errors = v.special_arrangements(values)
        if values.get("status") == "withdrawn" and not values.get("withdrawal_reason"):
            errors.append(("withdrawal_reason", str(_l("a withdrawal needs a reason"))))
        return errors

    @property
    def exam_place(self) -> str:
        return self.exam_session.place if self.exam_session else ""

    @property
    def exam_starts_at(self) -> dt.datetime | None:
        return self.exam_session.starts_at if self.exam_session else None

    def __repr__(self) -> str:
        return f"{self.enrolment.person if self.enrolment else ''} – {self.exam_session}"


class AssessorAssignment(DomainModel):
    """A member of the assessment committee (hindamiskomisjon) of one exam session."""

    __tablename__ = "assessor_assignment"
    __owner_parents__ = {"awarding_body_id": "exam_session"}
    # (awarding body, person): the awarding body's person scope probes it per person, as it does
    # the enrolment and certificate indexes of the same shape
    __table_args__ = (UniqueConstraint("exam_session_id", "person_id"),
                      Index("ix_assessor_assignment_ab_person", "awarding_body_id", "person_id"))
    __choices__ = {"role": c.ASSESSOR_ROLE, "representation": c.REPRESENTATION}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exam_session_id: Mapped[int] = fk("exam_session.id", nullable=False, ondelete="CASCADE")
    awarding_body_id: Mapped[int] = fk("awarding_body.id", nullable=False, index=False)
    person_id: Mapped[int] = fk("person.id", nullable=False)
    role: Mapped[str] = mapped_column(String(10), default="member", nullable=False)
    representation: Mapped[str] = mapped_column(String(10), default="employer", nullable=False)
    employer_name: Mapped[str | None] = mapped_column(String(255))
    employer_school_id: Mapped[int | None] = fk("school.id")

    exam_session: Mapped[ExamSession] = relationship(back_populates="assessors")
    person: Mapped[Person] = relationship()
    employer_school: Mapped[School | None] = relationship()

    def __repr__(self) -> str:
        return f"{self.person} ({self.role})"


class Result(DomainModel):
    __tablename__ = "result"
    __owner_parents__ = {"awarding_body_id": "registration", "school_id": "registration"}
    __choices__ = {"status": c.RESULT_STATUS, "proposal": c.PROPOSAL}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[int] = fk("registration.id", nullable=False, unique=True)
    awarding_body_id: Mapped[int] = fk("awarding_body.id", nullable=False)
    school_id: Mapped[int] = fk("school.id", nullable=False)
    attended: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    proposal: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="draft", nullable=False)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    reopen_reason: Mapped[str | None] = mapped_column(Text)

    registration: Mapped[Registration] = relationship(back_populates="result")
    competence_results: Mapped[list[CompetenceResult]] = relationship(
        back_populates="result", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"{self.registration}"


class CompetenceResult(DomainModel):
    __tablename__ = "competence_result"
    __owner_parents__ = {"awarding_body_id": "result", "school_id": "result"}
    __table_args__ = (UniqueConstraint("result_id", "competence_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[int] = fk("result.id", nullable=False, ondelete="CASCADE")
    awarding_body_id: Mapped[int] = fk("awarding_body.id", nullable=False)
    school_id: Mapped[int] = fk("school.id", nullable=False)
    competence_id: Mapped[int] = fk("competence.id", nullable=False)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    points: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))

    result: Mapped[Result] = relationship(back_populates="competence_results")
    competence: Mapped[Competence] = relationship()

    @classmethod
    def cross_field_errors(cls, values):
        points = values.get("points")
        if points is not None and points < 0:
            return [("points", str(_l("points must not be negative")))]
        return []

    def __repr__(self) -> str:
        return f"{self.competence}"
