"""EHIS curricula (õppekavad) and their links to standard versions."""
from __future__ import annotations

from sqlalchemy import Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import validation as v
from app.models import choices as c
from app.models.base import DomainModel, fk, trgm_index
from app.models.organisations import School
from app.models.standards import OccupationalStandard, PartialQualification, Specialisation


class Curriculum(DomainModel):
    __tablename__ = "curriculum"
    __table_args__ = (trgm_index("curriculum", "name"),)
    __field_rules__ = {"ehis_code": v.ehis_curriculum_code, "level_code": v.level_code}
    __choices__ = {"status": c.CURRICULUM_STATUS}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ehis_code: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    school_id: Mapped[int] = fk("school.id", nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    name_en: Mapped[str | None] = mapped_column(String(255))
    level_code: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(10), default="valid", nullable=False)
    # EHIS "puudubKehtivKutsestandard": the school has not linked it to a standard.
    no_valid_standard: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)

    school: Mapped[School] = relationship()
    standard_links: Mapped[list[CurriculumStandardLink]] = relationship(
        back_populates="curriculum", cascade="all, delete-orphan"
    )

    @property
    def ekr_level(self) -> int | None:
        return v.LEVEL_CODES.get(self.level_code)

    def __repr__(self) -> str:
        return f"{self.name} ({self.ehis_code})"


class CurriculumStandardLink(DomainModel):
    __tablename__ = "curriculum_standard_link"
    __owner_parents__ = {"school_id": "curriculum"}
    __table_args__ = (
        UniqueConstraint(
            "curriculum_id", "standard_id", "specialisation_id", "partial_qualification_id"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    curriculum_id: Mapped[int] = fk("curriculum.id", nullable=False, ondelete="CASCADE")
    school_id: Mapped[int] = fk("school.id", nullable=False)
    standard_id: Mapped[int] = fk("occupational_standard.id", nullable=False)
    specialisation_id: Mapped[int | None] = fk("specialisation.id")
    partial_qualification_id: Mapped[int | None] = fk("partial_qualification.id")

    curriculum: Mapped[Curriculum] = relationship(back_populates="standard_links")
    standard: Mapped[OccupationalStandard] = relationship()
    specialisation: Mapped[Specialisation | None] = relationship()
    partial_qualification: Mapped[PartialQualification | None] = relationship()

    def __repr__(self) -> str:
        return f"{self.curriculum} → {self.standard}"
