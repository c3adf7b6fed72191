"""Occupational standards (kutsestandardid) and their parts, keyed by Kutseregister row ids."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import validation as v
from app.models.base import DomainModel, fk, trgm_index


class OccupationalStandard(DomainModel):
    __tablename__ = "occupational_standard"
    __table_args__ = (trgm_index("occupational_standard", "name"),)
    __field_rules__ = {"ekr_level": v.ekr_level, "cert_validity_years": v.positive}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    register_id: Mapped[int] = mapped_column(BigInteger, unique=True, nullable=False)
    group_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    version: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    name_en: Mapped[str | None] = mapped_column(String(255))
    ekr_level: Mapped[int] = mapped_column(Integer, nullable=False)
    field: Mapped[str | None] = mapped_column(String(120), index=True)
    occupation: Mapped[str | None] = mapped_column(String(120))
    valid_from: Mapped[dt.date] = mapped_column(Date, nullable=False)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    cert_validity_years: Mapped[int] = mapped_column(Integer, default=5, nullable=False)

    competences: Mapped[list[Competence]] = relationship(back_populates="standard")
    specialisations: Mapped[list[Specialisation]] = relationship(back_populates="standard")
    partial_qualifications: Mapped[list[PartialQualification]] = relationship(
        back_populates="standard"
    )

    @classmethod
    def cross_field_errors(cls, values):
        return v.not_before("valid_from", "valid_to", values)

    def is_valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def __repr__(self) -> str:
        return f"{self.name} ({self.register_id})"


class Competence(DomainModel):
    __tablename__ = "competence"
    __table_args__ = (UniqueConstraint("standard_id", "register_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    standard_id: Mapped[int] = fk("occupational_standard.id", nullable=False, ondelete="CASCADE")
    register_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    name: Mapped[str] = mapped_column(String(500), nullable=False)
    mandatory: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    standard: Mapped[OccupationalStandard] = relationship(back_populates="competences")

    def __repr__(self) -> str:
        return self.name


class Specialisation(DomainModel):
    __tablename__ = "specialisation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    standard_id: Mapped[int] = fk("occupational_standard.id", nullable=False, ondelete="CASCADE")
    register_id: Mapped[int] = mapped_column(BigInteger, unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    standard: Mapped[OccupationalStandard] = relationship(back_populates="specialisations")

    def __repr__(self) -> str:
        return self.name


class PartialQualification(DomainModel):
    __tablename__ = "partial_qualification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    standard_id: Mapped[int] = fk("occupational_standard.id", nullable=False, ondelete="CASCADE")
    register_id: Mapped[int] = mapped_column(BigInteger, unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    standard: Mapped[OccupationalStandard] = relationship(back_populates="partial_qualifications")

    def __repr__(self) -> str:
        return self.name
