"""Persons (one row per human) and their enrolments at schools (graduates)."""
from __future__ import annotations

import datetime as dt

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import validation as v
from app.models import choices as c
from app.models.base import DomainModel, fk, trgm_index
from app.models.curricula import Curriculum
from app.models.organisations import AwardingBody, School
from app.models.standards import OccupationalStandard


class Person(DomainModel):
    __tablename__ = "person"
    __table_args__ = (trgm_index("person", "first_name"), trgm_index("person", "last_name"),
                      Index("ix_person_last_name_id", "last_name", "id"),
                      Index("ix_person_birth_date_id", "birth_date", "id"))
    __field_rules__ = {"isikukood": v.isikukood}
    __personal_code__ = "isikukood"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Foreign students may have no isikukood; they then carry a birth date.
    isikukood: Mapped[str | None] = mapped_column(String(11), unique=True)
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    first_name: Mapped[str] = mapped_column(String(255), nullable=False)
    last_name: Mapped[str] = mapped_column(String(255), nullable=False)

    enrolments: Mapped[list[Enrolment]] = relationship(back_populates="person")

    @classmethod
    def cross_field_errors(cls, values):
        if not values.get("isikukood") and not values.get("birth_date"):
            return [("birth_date", str(_l("a person without a personal code needs a birth date")))]
        return []

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def __repr__(self) -> str:
        return self.full_name


class Enrolment(DomainModel):
    """A person studying a curriculum at a school; routed to an awarding body as a candidate."""

    __tablename__ = "enrolment"
    __owner_parents__ = {"school_id": "curriculum"}
    __table_args__ = (UniqueConstraint("person_id", "curriculum_id"),
                      Index("ix_enrolment_expected_graduation_id", "expected_graduation", "id"),
                      Index("ix_enrolment_ab_person", "awarding_body_id", "person_id"),
                      Index("ix_enrolment_school_person", "school_id", "person_id"))
    __choices__ = {
        "study_language": c.STUDY_LANGUAGE,
        "study_form": c.STUDY_FORM,
        "status": c.ENROLMENT_STATUS,
        "exam_language": c.STUDY_LANGUAGE,
    }
    __personal_code__ = "person.isikukood"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # person, school and awarding body are indexed by the unique key and the (owner, person)
    # indexes above, which lead with them
    person_id: Mapped[int] = fk("person.id", nullable=False, index=False)
    curriculum_id: Mapped[int] = fk("curriculum.id", nullable=False)
    school_id: Mapped[int] = fk("school.id", nullable=False, index=False)
    study_language: Mapped[str | None] = mapped_column(String(2))
    study_form: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(30), default="oppimas", nullable=False)
    expected_graduation: Mapped[dt.date | None] = mapped_column(Date)
    graduation_date: Mapped[dt.date | None] = mapped_column(Date)
    # Routing: the standard version and the awarding body this graduate is a candidate for.
    standard_id: Mapped[int | None] = fk("occupational_standard.id")
    awarding_body_id: Mapped[int | None] = fk("awarding_body.id", index=False)
    routing_problem: Mapped[str | None] = mapped_column(Text)
    # Joint application (ühistaotlus) confirmed by the school.
    candidate_confirmed: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # What the school states in the joint application (copied to each registration).
    exam_language: Mapped[str | None] = mapped_column(String(2))
    special_arrangements_needed: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    special_arrangements: Mapped[str | None] = mapped_column(Text)
    public_consent: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)

    person: Mapped[Person] = relationship(back_populates="enrolments")
    curriculum: Mapped[Curriculum] = relationship()
    school: Mapped[School] = relationship()
    standard: Mapped[OccupationalStandard | None] = relationship()
    awarding_body: Mapped[AwardingBody | None] = relationship()

    @classmethod
    def cross_field_errors(cls, values):
        return v.special_arrangements(values)

    def __repr__(self) -> str:
        return f"{self.person} – {self.curriculum}"


class AwardingBodyPerson(Model):
    """The persons an awarding body may see: those of its enrolments, certificates and assessment
    committees. Derived data, kept by database triggers on those three tables (migration 0009) in
    every process and by every path, so that the awarding body's person scope is one index probe
    per person instead of three (app.security.scoping). It carries a copy of the person's names,
    kept by a trigger on person (migration 0010), trigram-indexed with the awarding body: the
    body's name search reads that index alone (app.security.scoping.search_copy)."""

    __tablename__ = "awarding_body_person"
    __table_args__ = (
        Index("ix_awarding_body_person_names_trgm", "awarding_body_id", "last_name", "first_name",
              postgresql_using="gin", postgresql_ops={"last_name": "gin_trgm_ops", "first_name": "gin_trgm_ops"}),
    )

    awarding_body_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    person_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    first_name: Mapped[str] = mapped_column(String(255))
    last_name: Mapped[str] = mapped_column(String(255))
