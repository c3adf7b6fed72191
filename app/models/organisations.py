"""Awarding bodies with their rights and kutsekomisjon, and vocational schools."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import validation as v
from app.models import choices as c
from app.models.base import DomainModel, fk, trgm_index
from app.models.standards import OccupationalStandard


class AwardingBody(DomainModel):
    __tablename__ = "awarding_body"
    __table_args__ = (trgm_index("awarding_body", "name"),)
    __field_rules__ = {"registrikood": v.registrikood}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registrikood: Mapped[str] = mapped_column(String(8), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    # Per-body rule: an assessment committee must include a kutsekomisjon member.
    committee_member_required: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    exam_languages: Mapped[str | None] = mapped_column(String(120))

    rights: Mapped[list[AwardingRight]] = relationship(back_populates="awarding_body")
    committees: Mapped[list[QualificationCommittee]] = relationship(back_populates="awarding_body")

    def __repr__(self) -> str:
        return self.name


class AwardingRight(DomainModel):
    __tablename__ = "awarding_right"
    __table_args__ = (UniqueConstraint("awarding_body_id", "standard_id", "valid_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    awarding_body_id: Mapped[int] = fk("awarding_body.id", nullable=False, ondelete="CASCADE")
    standard_id: Mapped[int] = fk("occupational_standard.id", nullable=False)
    valid_from: Mapped[dt.date] = mapped_column(Date, nullable=False)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)

    awarding_body: Mapped[AwardingBody] = relationship(back_populates="rights")
    standard: Mapped[OccupationalStandard] = relationship()

    @classmethod
    def cross_field_errors(cls, values):
        return v.not_before("valid_from", "valid_to", values)

    def __repr__(self) -> str:
        return f"{self.awarding_body} – {self.standard}"


class QualificationCommittee(DomainModel):
    __tablename__ = "qualification_committee"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    awarding_body_id: Mapped[int] = fk("awarding_body.id", nullable=False, ondelete="CASCADE")
    name: Mapped[str] = mapped_column(String(255), nullable=False)

    awarding_body: Mapped[AwardingBody] = relationship(back_populates="committees")
    members: Mapped[list[CommitteeMember]] = relationship(back_populates="committee")

    def __repr__(self) -> str:
        return self.name


class CommitteeMember(DomainModel):
    """A kutsekomisjon member; the register id is what certificates name as signer."""

    __tablename__ = "committee_member"
    __owner_parents__ = {"awarding_body_id": "committee"}
    __field_rules__ = {"isikukood": v.isikukood}
    __choices__ = {"role": c.COMMITTEE_ROLE}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    committee_id: Mapped[int] = fk("qualification_committee.id", nullable=False, ondelete="CASCADE")
    awarding_body_id: Mapped[int] = fk("awarding_body.id", nullable=False)
    register_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    isikukood: Mapped[str] = mapped_column(String(11), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(1), default="3", nullable=False)

    committee: Mapped[QualificationCommittee] = relationship(back_populates="members")
    awarding_body: Mapped[AwardingBody] = relationship()

    def __repr__(self) -> str:
        return self.name


class School(DomainModel):
    __tablename__ = "school"
    __table_args__ = (trgm_index("school", "name"),)
    __field_rules__ = {"registrikood": v.registrikood}
    __choices__ = {"status": c.SCHOOL_STATUS}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ehis_id: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    registrikood: Mapped[str] = mapped_column(String(8), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    name_en: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(10), default="open", nullable=False)

    def __repr__(self) -> str:
        return self.name
