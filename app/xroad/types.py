"""Plain data returned by the X-Road clients, in the project's own (English) names.

The register adapters (``ehis.py``, ``kutseregister.py``) map wire elements to these fields;
nothing here knows about XML or the database. Enumerations that the models store as wire values
(enrolment status, study form, committee role, certificate type) keep those values.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RecordProblem:
    """A record that could not be read: which record, which field, why (in Estonian).

    ``values`` holds the record's raw wire values, so that the job can show or store the record
    (it may contain a personal code: do not log it at INFO).
    """

    record: str
    field: str
    reason: str
    values: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.record}: {self.field} – {self.reason}"


@dataclass(slots=True)
class Batch(Generic[T]):
    """The good records of a response and the problems of the bad ones."""

    items: list[T] = field(default_factory=list)
    problems: list[RecordProblem] = field(default_factory=list)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


# --------------------------------------------------------------------------- EHIS

@dataclass(frozen=True, slots=True)
class School:
    ehis_id: int
    registrikood: str
    name: str
    name_en: str | None
    status: str  # "open" | "closed"


@dataclass(frozen=True, slots=True)
class CurriculumLink:
    """A curriculum's link to one standard version (Kutseregister row ids)."""

    standard_register_id: int
    specialisation_ids: tuple[int, ...] = ()
    partial_qualification_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Curriculum:
    ehis_code: int
    school_ehis_id: int
    name: str
    name_en: str | None
    level_code: int  # 421 … 453
    ekr_level: int
    status: str  # "valid" | "closed"
    no_valid_standard: bool
    links: tuple[CurriculumLink, ...] = ()


@dataclass(frozen=True, slots=True)
class Graduate:
    isikukood: str | None  # None for a foreign student, who then has a birth date
    birth_date: dt.date | None
    first_name: str
    last_name: str
    school_ehis_id: int
    curriculum_code: int
    study_language: str | None  # ISO 639-1
    study_form: str | None  # statsionaarne | mittestatsionaarne | toopohine
    status: str  # oppimas | lopetanud | valja_arvatud | akadeemilisel_puhkusel
    expected_graduation: dt.date
    graduation_date: dt.date | None

    @property
    def person_key(self) -> tuple:
        """Identity of the human: the personal code, else names and birth date."""
        if self.isikukood:
            return (self.isikukood,)
        return (self.first_name.casefold(), self.last_name.casefold(), self.birth_date)


@dataclass(frozen=True, slots=True)
class GraduateRecord:
    """One ``lopetaja`` of a stream: a graduate, or the problems that kept it out."""

    page: int
    position: int  # 1-based over the whole stream
    graduate: Graduate | None
    problems: tuple[RecordProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return self.graduate is not None


@dataclass(slots=True)
class GraduatePage:
    page: int
    total: int
    records: list[GraduateRecord]


# --------------------------------------------------------------------------- Kutseregister

@dataclass(frozen=True, slots=True)
class RegisterItem:
    """A specialisation or partial qualification: register id and name."""

    register_id: int
    name: str


@dataclass(frozen=True, slots=True)
class StandardCompetence:
    register_id: int
    name: str
    mandatory: bool


@dataclass(frozen=True, slots=True)
class Standard:
    register_id: int  # row id of this version
    group_id: int | None
    version: int | None
    name: str
    name_en: str | None
    ekr_level: int
    valid_from: dt.date
    valid_to: dt.date | None
    field: str | None
    occupation: str | None
    partial_qualifications: tuple[RegisterItem, ...] = ()
    specialisations: tuple[RegisterItem, ...] = ()
    competences: tuple[StandardCompetence, ...] = ()


@dataclass(frozen=True, slots=True)
class AwardingRightInfo:
    standard_register_id: int
    valid_from: dt.date
    valid_to: dt.date | None

    def is_valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True, slots=True)
class CommitteeMemberInfo:
    register_id: int
    isikukood: str
    name: str
    role: str  # "1" esimees | "2" aseesimees | "3" liige


@dataclass(frozen=True, slots=True)
class CommitteeInfo:
    name: str
    members: tuple[CommitteeMemberInfo, ...] = ()


@dataclass(frozen=True, slots=True)
class ExamLanguage:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class AwardingBodyInfo:
    registrikood: str
    name: str
    rights: tuple[AwardingRightInfo, ...] = ()
    committees: tuple[CommitteeInfo, ...] = ()
    exam_languages: tuple[ExamLanguage, ...] = ()


@dataclass(frozen=True, slots=True)
class CertificateSubmission:
    """The payload of ``kutsetunnistuseLisamine``. ``reference`` (taotluseViide, at most 64
    characters) must be stable for the certificate: it makes a retry safe."""

    awarding_body: str  # registrikood
    holder_name: str
    isikukood: str
    cert_type: str  # "1" kutsetunnistus | "2" osakutsetunnistus | "3" esmane kutse
    standard_register_id: int
    issue_date: dt.date
    valid_from: dt.date
    signer_register_id: int  # allkirjastaja: a kutsekomisjon member's register id
    reference: str
    valid_to: dt.date | None = None
    specialisation_id: int | None = None
    partial_qualification_id: int | None = None
    competence_ids: tuple[int, ...] = ()
    extra_field: str | None = None  # lisavali
    educational_qualification: str | None = None  # hariduslikkval
    exam_language_id: str | None = None  # kutseeksamikeel
    name_hidden: bool | None = None
    birth_date_hidden: bool | None = None
    certificate_hidden: bool | None = None


@dataclass(frozen=True, slots=True)
class RegisteredCertificate:
    """One entry of ``kutseAndjaTunnistused``."""

    registration_number: str
    holder_name: str | None
    isikukood: str | None
    cert_type: str | None
    standard_name: str | None
    ekr_level: int | None
    issue_date: dt.date | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    duplicate: bool
    revoked: bool
    standard_register_id: int | None
    reference: str | None


@dataclass(slots=True)
class CertificateList(Batch[RegisteredCertificate]):
    total: int = 0  # kirjeid as the register reported it
