"""Job runs: creating one (without duplicates), and the context a running job reports into.

A job function has the signature ``fn(ctx: JobContext, **params)``. It reports totals,
progress, counts and rejected records through ``ctx``; the runner turns the outcome into the
run's status: succeeded, partial (some records rejected), or failed (an exception).
Progress goes through a separate connection so the JobRun screen shows it while the job's own
transaction is still open.
"""
from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from app.models import JobRun, JobRunError
from app.models.base import utcnow

ACTIVE = ("queued", "running")
# A running job that has not written a heartbeat for this long has lost its worker
# (JOB_STALE_AFTER, in seconds, overrides it).
STALE_AFTER = dt.timedelta(minutes=10)
MAX_ERROR_ROWS = 10_000  # beyond this, errors are only counted


def dedup_key(kind: str, params: dict[str, Any]) -> str:
    return f"{kind}:{json.dumps(params, sort_keys=True, default=str)}"[:255]


def create_run(session: Session, kind: str, params: dict[str, Any], *, actor: str,
               user_id: int | None = None, awarding_body_id: int | None = None) -> tuple[JobRun, bool]:
    """Queue a run; returns (run, created). An active run of the same kind and parameters is
    returned instead of a second copy (the partial unique index makes this race-free)."""
    key = dedup_key(kind, params)
    existing = _active(session, key)
    if existing is not None and _is_stale(existing):
        fail_stale(session, existing)
        existing = None
    if existing is not None:
        return existing, False
    run = JobRun(kind=kind, params=params, dedup_key=key, status="queued", actor=actor,
                 user_id=user_id, awarding_body_id=awarding_body_id)
    session.add(run)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return _active(session, key), False
    return run, True


def _active(session: Session, key: str) -> JobRun | None:
    return session.execute(
        select(JobRun).where(JobRun.dedup_key == key, JobRun.status.in_(ACTIVE))
    ).scalar_one_or_none()


def stale_after() -> dt.timedelta:
    from flask import current_app, has_app_context

    seconds = current_app.config.get("JOB_STALE_AFTER") if has_app_context() else None
    return dt.timedelta(seconds=float(seconds)) if seconds else STALE_AFTER


def _is_stale(run: JobRun) -> bool:
    if run.status != "running":
        return False
    beat = run.heartbeat_at or run.started_at
    if beat is None:
        return False
    if beat.tzinfo is None:
        beat = beat.replace(tzinfo=dt.UTC)
    return utcnow() - beat > stale_after()


def sweep_stale(session: Session) -> list[int]:
    """Fail every running job whose worker is gone (the scheduler calls this each tick)."""
    running = session.execute(select(JobRun).where(JobRun.status == "running")).scalars().all()
    stale = [run for run in running if _is_stale(run)]
    for run in stale:
        fail_stale(session, run, restarted=False)
    return [run.id for run in stale]


def fail_stale(session: Session, run: JobRun, restarted: bool = True) -> None:
    run.status = "failed"
    run.finished_at = utcnow()
    run.message = "Töötleja kadus töö ajal (südamelöök puudub)" + (
        "; töö käivitati uuesti." if restarted else "; käivitage töö uuesti.")
    session.commit()


class JobContext:
    """What a job uses to report; counters are flushed at most every ``interval`` seconds."""

    def __init__(self, engine, run_id: int, interval: float = 0.5):
        self.engine = engine
        self.run_id = run_id
        self.interval = interval
        self.total: int | None = None
        self.done = 0
        self.counts = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
        self._errors: list[dict[str, Any]] = []
        self._errors_written = 0
        self._last = 0.0
        with engine.connect() as conn:  # error rows carry the run's owner, as ORM inserts would
            self.awarding_body_id = conn.execute(
                select(JobRun.__table__.c.awarding_body_id).where(JobRun.__table__.c.id == run_id)).scalar()

    def set_total(self, total: int) -> None:
        self.total = total
        self.checkpoint(force=True)

    def advance(self, n: int = 1) -> None:
        self.done += n
        self.checkpoint()

    def count(self, **kw: int) -> None:
        for name, n in kw.items():
            self.counts[name] += n

    def reject(self, record: str, field: str | None, reason: str, *, awarding_body_id: int | None = None) -> None:
        """A record that could not be imported: which record, which field, why (Estonian).
        ``awarding_body_id`` lets that body's users see the row (default: the run's body)."""
        self.counts["rejected"] += 1
        if self._errors_written + len(self._errors) < MAX_ERROR_ROWS:
            self._errors.append({"record": str(record)[:255], "field": field, "reason": reason,
                                 "awarding_body_id": awarding_body_id or self.awarding_body_id})

    def checkpoint(self, force: bool = False, final: bool = False) -> None:
        """Write progress, counts and buffered error rows (at most every ``interval`` seconds
        unless forced). ``final``: the job's transaction is over and this write must happen."""
        now = time.monotonic()
        if not (force or final) and now - self._last < self.interval:
            return
        self._last = now
        if self.engine.dialect.name == "sqlite":
            self._checkpoint_sqlite(final)
        else:
            with self.engine.begin() as conn:
                self._write(conn)
            self._flushed()

    def _write(self, conn) -> None:
        conn.execute(
            update(JobRun.__table__).where(JobRun.__table__.c.id == self.run_id).values(
                progress_done=self.done, progress_total=self.total, heartbeat_at=utcnow(),
                created_count=self.counts["created"], updated_count=self.counts["updated"],
                unchanged_count=self.counts["unchanged"], rejected_count=self.counts["rejected"],
            )
        )
        if self._errors:
            conn.execute(
                insert(JobRunError.__table__),
                [{**e, "job_run_id": self.run_id, "at": utcnow()} for e in self._errors],
            )

    def _flushed(self) -> None:
        self._errors_written += len(self._errors)
        self._errors = []

    def _checkpoint_sqlite(self, final: bool) -> None:
        """SQLite has one writer: while the job's own transaction writes, a progress update on
        another connection would wait for it (5 s, then fail the job). Wait briefly and skip
        instead; the counts and the buffered error rows go with a later checkpoint."""
        with self.engine.connect() as conn:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {30_000 if final else 50}")
            try:
                self._write(conn)
                conn.commit()
            except OperationalError:
                conn.rollback()
                if final:
                    raise
                return
            finally:
                conn.exec_driver_sql("PRAGMA busy_timeout = 5000")
                conn.commit()
        self._flushed()


def mark(engine, run_id: int, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(update(JobRun.__table__).where(JobRun.__table__.c.id == run_id).values(**values))
