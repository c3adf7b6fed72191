"""Kutsekomisjon decisions, certificates and appeals."""
from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import validation as v
from app.models import choices as c
from app.models.base import DomainModel, fk, trgm_index
from app.models.exams import Registration
from app.models.organisations import AwardingBody, CommitteeMember
from app.models.persons import Person
from app.models.standards import OccupationalStandard, PartialQualification, Specialisation


class Decision(DomainModel):
    __tablename__ = "decision"
    __owner_parents__ = {"awarding_body_id": "registration", "school_id": "registration"}
    __choices__ = {"outcome": c.PROPOSAL, "status": c.DECISION_STATUS}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[int] = fk("registration.id", nullable=False)
    awarding_body_id: Mapped[int] = fk("awarding_body.id", nullable=False)
    school_id: Mapped[int] = fk("school.id", nullable=False)
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)
    awarded_standard_id: Mapped[int | None] = fk("occupational_standard.id")
    decision_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    protocol_number: Mapped[str | None] = mapped_column(String(50))
    signer_id: Mapped[int | None] = fk("committee_member.id")
    legal_basis: Mapped[str | None] = mapped_column(Text)
    reasons: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="draft", nullable=False)

    registration: Mapped[Registration] = relationship()
    awarded_standard: Mapped[OccupationalStandard | None] = relationship()
    signer: Mapped[CommitteeMember | None] = relationship()

    @classmethod
    def cross_field_errors(cls, values):
        errors = []
        if values.get("outcome") == "refuse":
            for field in ("legal_basis", "reasons"):
                if not values.get(field):
                    errors.append((field, str(_l("a refusal requires a legal basis and reasons"))))
        return errors

    def __repr__(self) -> str:
        return f"{self.registration} – {c.label(c.PROPOSAL, self.outcome)}"


class Certificate(DomainModel):
    __tablename__ = "certificate"
    __rule_relations__ = ("standard",)
    __owner_parents__ = {"awarding_body_id": "decision", "school_id": "decision"}
    # Lists sort by issue date with the id as tie-breaker, an awarding body's or school's own first;
    # an awarding body's persons are found through (awarding_body_id, person_id) alone.
    __table_args__ = (
        trgm_index("certificate", "holder_name"),
        Index("ix_certificate_issue_date_id", "issue_date", "id"),
        Index("ix_certificate_ab_issue_date", "awarding_body_id", "issue_date", "id"),
        Index("ix_certificate_school_issue_date", "school_id", "issue_date", "id"),
        Index("ix_certificate_ab_person", "awarding_body_id", "person_id"),
    )
    __choices__ = {
        "cert_type": c.CERTIFICATE_TYPE,
        "status": c.CERTIFICATE_STATUS,
        "duplicate_reason": c.DUPLICATE_REASON,
        "exam_language": c.STUDY_LANGUAGE,
    }
    __field_rules__ = {"isikukood": v.isikukood}
    __personal_code__ = "person.isikukood"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int | None] = fk("decision.id")
    awarding_body_id: Mapped[int] = fk("awarding_body.id", nullable=False)
    school_id: Mapped[int | None] = fk("school.id")
    person_id: Mapped[int] = fk("person.id", nullable=False)
    holder_name: Mapped[str] = mapped_column(String(500), nullable=False)
    isikukood: Mapped[str | None] = mapped_column(String(11), index=True)
    cert_type: Mapped[str] = mapped_column(String(1), default="1", nullable=False)
    standard_id: Mapped[int] = fk("occupational_standard.id", nullable=False)
    specialisation_id: Mapped[int | None] = fk("specialisation.id")
    partial_qualification_id: Mapped[int | None] = fk("partial_qualification.id")
    exam_language: Mapped[str | None] = mapped_column(String(2))
    issue_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    valid_from: Mapped[dt.date] = mapped_column(Date, nullable=False)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    signer_id: Mapped[int | None] = fk("committee_member.id")
    name_hidden: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    birth_date_hidden: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    certificate_hidden: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    status: Mapped[str] = mapped_column(String(10), default="draft", nullable=False, index=True)
    registration_number: Mapped[str | None] = mapped_column(String(30), unique=True)
    register_reference: Mapped[str | None] = mapped_column(String(64), unique=True)
    register_errors: Mapped[str | None] = mapped_column(Text)
    # When Kutseregister entered it (set where the status becomes "registered"; statistics).
    registered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    duplicate_of_id: Mapped[int | None] = fk("certificate.id")
    duplicate_reason: Mapped[str | None] = mapped_column(String(1))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_date: Mapped[dt.date | None] = mapped_column(Date)
    # When Kutseregister accepted the revocation (NULL on a revoked certificate: still to send).
    revocation_sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    decision: Mapped[Decision | None] = relationship()
    awarding_body: Mapped[AwardingBody] = relationship()
    person: Mapped[Person] = relationship()
    standard: Mapped[OccupationalStandard] = relationship()
    specialisation: Mapped[Specialisation | None] = relationship()
    partial_qualification: Mapped[PartialQualification | None] = relationship()
    signer: Mapped[CommitteeMember | None] = relationship()
    duplicate_of: Mapped[Certificate | None] = relationship(remote_side=[id])

    @classmethod
    def cross_field_errors(cls, values):
        errors = v.not_before("valid_from", "valid_to", values)
        # Valid for at most the standard's validity years (default five) from valid_from.
        start, end, standard = values.get("valid_from"), values.get("valid_to"), values.get("standard")
        years = getattr(standard, "cert_validity_years", None)
        if start and end and years:
            limit = _add_years(start, years)
            if end > limit:
                errors.append(("valid_to", str(_l(
                    "a certificate of this standard is valid for at most %(years)s years: until %(date)s at the latest",
                    years=years, date=limit.strftime("%d.%m.%Y")))))
        if values.get("revoked") and not values.get("revoked_reason"):
            errors.append(("revoked_reason", str(_l("a revocation needs a reason"))))
        return errors

    @property
    def passed_competences(self) -> str:
        """The competences the holder passed in the exam decided on (sent to the register)."""
        result = self.decision.registration.result if self.decision and self.decision.registration else None
        if result is None:
            return ""
        names = sorted((m.competence.register_id, m.competence.name) for m in result.competence_results
                       if m.passed and m.competence.standard_id == self.standard_id)
        return "; ".join(name for _, name in names)

    def __repr__(self) -> str:
        return f"{self.registration_number or '—'} {self.holder_name}"


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class Appeal(DomainModel):
    __tablename__ = "appeal"
    __rule_relations__ = ("decision",)
    __owner_parents__ = {"awarding_body_id": "decision", "school_id": "decision"}
    __choices__ = {"outcome": c.APPEAL_OUTCOME}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = fk("decision.id", nullable=False)
    awarding_body_id: Mapped[int] = fk("awarding_body.id", nullable=False)
    school_id: Mapped[int] = fk("school.id", nullable=False)
    filed_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    late_reason: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    handling_body: Mapped[str | None] = mapped_column(String(255))
    outcome: Mapped[str] = mapped_column(String(10), default="pending", nullable=False)
    outcome_date: Mapped[dt.date | None] = mapped_column(Date)

    decision: Mapped[Decision] = relationship()

    @classmethod
    def cross_field_errors(cls, values):
        errors = v.not_before("filed_date", "outcome_date", values)
        decision, filed = values.get("decision"), values.get("filed_date")
        if decision is not None and filed and decision.decision_date:
            if (filed - decision.decision_date).days > 30 and not values.get("late_reason"):
                errors.append(
                    ("late_reason", str(_l("the appeal is filed more than 30 days after the decision: give a reason")))
                )
        return errors

    def __repr__(self) -> str:
        return f"{self.decision}"
