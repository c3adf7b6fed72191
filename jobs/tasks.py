"""The one entry point every queued job runs through."""
from __future__ import annotations

import logging
import os
import traceback

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from app.audit import acting_as
from app.models.base import utcnow

log = logging.getLogger(__name__)
_app = None


def use_app(app) -> None:
    """Let jobs in this process (and in work horses forked from it) use ``app``."""
    global _app
    _app = app
    app.extensions["eks_pid"] = os.getpid()


def worker_app():
    """Workers have no app context: build the app once per process."""
    if _app is None:
        from app import create_app

        use_app(create_app())
    return _app


def _after_fork(app) -> None:
    """RQ forks a work horse per job: the child must not share the parent's DB connections."""
    pid = os.getpid()
    if app.extensions.get("eks_pid", pid) != pid:
        with app.app_context():
            app.appbuilder.session.registry.clear()  # drop (do not close) the parent's session
            app.appbuilder.session.get_bind().dispose(close=False)
        app.extensions["eks_pid"] = pid


def _reopen(engine, run_id: int, previous: str | None) -> bool:
    """A failed run that is delivered again (an RQ retry) runs again, from a clean slate,
    unless another copy of the same job became active meanwhile (the dedup index says no)."""
    from app.models import JobRun, JobRunError

    table = JobRun.__table__
    first_line = (previous or "").splitlines()[0] if previous else ""
    try:
        with engine.begin() as conn:
            done = conn.execute(update(table).where(table.c.id == run_id, table.c.status == "failed").values(
                status="queued", finished_at=None, progress_done=0, created_count=0, updated_count=0,
                unchanged_count=0, rejected_count=0,
                message=f"Uus katse pärast tõrget: {first_line}"[:2000])).rowcount
            conn.execute(delete(JobRunError.__table__).where(JobRunError.__table__.c.job_run_id == run_id))
    except IntegrityError:
        return False
    return bool(done)


def _retries_left() -> int:
    """How many more times RQ will deliver this job after a failure (0 outside RQ)."""
    try:
        from rq import get_current_job

        job = get_current_job()
    except Exception:  # no RQ context
        return 0
    return int(getattr(job, "retries_left", 0) or 0) if job is not None else 0


def run_job(run_id: int, app=None) -> str:
    """Run JobRun ``run_id``. A queued or running run (a worker died under it) runs; a failed one
    runs again (RQ retries it after a failure) unless another copy became active; a finished one
    is left alone. Every job is idempotent, so running again is always safe."""
    from app.models import JobRun
    from app.services.jobruns import JobContext, mark
    from jobs.registry import KINDS

    app = app or worker_app()
    _after_fork(app)
    with app.app_context():
        session = app.appbuilder.session
        engine = session.get_bind()
        run = session.get(JobRun, run_id)
        if run is None:
            log.error("job run %s not found", run_id)
            return "missing"
        if run.status == "failed":
            if not _reopen(engine, run_id, run.message):
                log.info("job run %s: another copy is active, this retry stands down", run_id)
                return "superseded"
            session.expire_all()
            run = session.get(JobRun, run_id)
        if run.status not in ("queued", "running"):
            return run.status  # already finished (e.g. a duplicate delivery after success)
        kind = KINDS[run.kind]
        params = dict(run.params or {})
        actor = f"job:{run.kind}#{run.id} ({run.actor or 'system'})"
        mark(engine, run_id, status="running", started_at=utcnow(), heartbeat_at=utcnow(),
             finished_at=None)
        session.expire_all()
        ctx = JobContext(engine, run_id)
        try:
            with acting_as(actor):
                kind.function()(ctx, **params)
        except Exception as exc:  # the run records the failure; the worker stays alive
            session.rollback()
            ctx.checkpoint(final=True)
            log.exception("job %s failed", run_id)
            left = _retries_left()
            retry = f"\nRQ proovib uuesti (veel {left} korda)." if left else ""
            mark(engine, run_id, status="failed", finished_at=utcnow(),
                 message=f"{type(exc).__name__}: {exc}"[:2000] + retry + "\n"
                 + traceback.format_exc(limit=3)[-1500:])
            raise
        ctx.checkpoint(final=True)
        status = "partial" if ctx.counts["rejected"] else "succeeded"
        mark(engine, run_id, status=status, finished_at=utcnow(), progress_done=ctx.done)
        return status
