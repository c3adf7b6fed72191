"""Operational records: background job runs, audit trail, data-access log, account requests."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import validation as v
from app.models import choices as c
from app.models.base import DomainModel, created_at, fk
from app.models.organisations import AwardingBody, School


class JobRun(DomainModel):
    __tablename__ = "job_run"
    __table_args__ = (
        # No second copy of the same job (kind + parameters) while one waits or runs.
        Index(
            "uq_job_run_active_dedup", "dedup_key", unique=True,
            postgresql_where=text("status IN ('queued', 'running')"),
            sqlite_where=text("status IN ('queued', 'running')"),
        ),
    )
    __choices__ = {"status": c.JOB_STATUS}
    __audited__ = False  # progress updates are not domain changes

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(50), nullable=False, index=True)
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    dedup_key: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(10), default="queued", nullable=False, index=True)
    progress_done: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    created_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    updated_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    unchanged_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    rejected_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    errors: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    queued_at: Mapped[dt.datetime] = created_at()
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Written at every progress checkpoint; a running job without one for long has lost its worker.
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    message: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[int | None] = fk("ab_user.id")
    awarding_body_id: Mapped[int | None] = fk("awarding_body.id")

    awarding_body: Mapped[AwardingBody | None] = relationship()
    error_rows: Mapped[list[JobRunError]] = relationship(
        back_populates="job_run", cascade="all, delete-orphan", order_by="JobRunError.id"
    )

    @property
    def duration(self) -> dt.timedelta | None:
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None

    def __repr__(self) -> str:
        return f"{self.kind} #{self.id}"


class JobRunError(DomainModel):
    """One rejected record of a job run: which record, which field, why (in Estonian)."""

    __tablename__ = "job_run_error"
    __owner_parents__ = {"awarding_body_id": "job_run"}
    __audited__ = False

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_run_id: Mapped[int] = fk("job_run.id", nullable=False, ondelete="CASCADE")
    awarding_body_id: Mapped[int | None] = fk("awarding_body.id")
    record: Mapped[str] = mapped_column(String(255), nullable=False)
    field: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[dt.datetime] = created_at()

    job_run: Mapped[JobRun] = relationship(back_populates="error_rows")

    def __repr__(self) -> str:
        return f"{self.record}: {self.reason}"


class AuditEvent(DomainModel):
    """One insert, update or delete of domain data; written only by app.audit."""

    __tablename__ = "audit_event"
    __audited__ = False
    __choices__ = {"action": c.AUDIT_ACTION}
    __table_args__ = (Index("ix_audit_event_entity_row", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = created_at()
    actor: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    user_id: Mapped[int | None] = fk("ab_user.id")
    entity: Mapped[str] = mapped_column(String(60), nullable=False)
    entity_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(10), nullable=False)
    subject_isikukood: Mapped[str | None] = mapped_column(String(11), index=True)
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class DataAccess(DomainModel):
    """One view of a person's personal data; written only by app.audit."""

    __tablename__ = "data_access"
    __audited__ = False
    __choices__ = {"channel": c.ACCESS_CHANNEL}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = created_at()
    actor: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    user_id: Mapped[int | None] = fk("ab_user.id")
    isikukood: Mapped[str] = mapped_column(String(11), nullable=False, index=True)
    channel: Mapped[str] = mapped_column(String(10), nullable=False)
    endpoint: Mapped[str] = mapped_column(String(255), nullable=False)
    entity: Mapped[str] = mapped_column(String(60), nullable=False)
    entity_id: Mapped[int | None] = mapped_column(Integer)


class AccountRequest(DomainModel):
    __tablename__ = "account_request"
    __table_args__ = (
        # At most one open request per isikukood, enforced by the database.
        Index(
            "uq_account_request_open_isikukood",
            "isikukood",
            unique=True,
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
    )
    __field_rules__ = {"isikukood": v.isikukood}
    __choices__ = {"status": c.REQUEST_STATUS}
    __personal_code__ = "isikukood"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_name: Mapped[str] = mapped_column(String(64), nullable=False)
    last_name: Mapped[str] = mapped_column(String(64), nullable=False)
    isikukood: Mapped[str] = mapped_column(String(11), nullable=False)
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    requested_role: Mapped[str] = mapped_column(String(64), nullable=False)
    awarding_body_id: Mapped[int | None] = fk("awarding_body.id")
    school_id: Mapped[int | None] = fk("school.id")
    justification: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(10), default="open", nullable=False)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[dt.datetime] = created_at()
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = fk("ab_user.id")
    created_user_id: Mapped[int | None] = fk("ab_user.id")

    awarding_body: Mapped[AwardingBody | None] = relationship()
    school: Mapped[School | None] = relationship()

    def __repr__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.requested_role})"
