"""Helpers shared by the master-data sync services (small tables, ORM row by row)."""
from __future__ import annotations

from typing import Any

from app.models.base import DomainModel


def apply(obj: DomainModel, values: dict[str, Any]) -> bool:
    """Set the values that differ; True when anything changed."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def upsert(session, ctx, existing: dict, key, model: type[DomainModel], values: dict[str, Any],
           record: str) -> DomainModel | None:
    """Create or update one row found by ``key`` in ``existing``; invalid rows are rejected with
    the field and the reason, never stored and never fatal."""
    errors = model.validation_errors(values)
    if errors:
        for field, reason in errors:
            ctx.reject(record, field, reason)
        return None
    obj = existing.get(key)
    if obj is None:
        obj = model(**values)
        session.add(obj)
        existing[key] = obj
        ctx.count(created=1)
    elif apply(obj, values):
        ctx.count(updated=1)
    else:
        ctx.count(unchanged=1)
    return obj


def last_success(session, kind: str):
    """Start time of the last run of ``kind`` that finished (fully or partly)."""
    from sqlalchemy import select

    from app.models import JobRun

    return session.execute(
        select(JobRun.started_at).where(JobRun.kind == kind, JobRun.status.in_(("succeeded", "partial")))
        .order_by(JobRun.started_at.desc()).limit(1)
    ).scalar()
