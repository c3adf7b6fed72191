"""The one entry point every queued job runs through."""
from __future__ import annotations

import logging
import traceback

from app.audit import acting_as
from app.models.base import utcnow

log = logging.getLogger(__name__)
_app = None


def worker_app():
    """Workers have no app context: build the app once per process."""
    global _app
    if _app is None:
        from app import create_app

        _app = create_app()
    return _app


def run_job(run_id: int, app=None) -> str:
    from app.models import JobRun
    from app.services.jobruns import JobContext, mark
    from jobs.registry import KINDS

    app = app or worker_app()
    with app.app_context():
        session = app.appbuilder.session
        engine = session.get_bind()
        run = session.get(JobRun, run_id)
        if run is None:
            log.error("job run %s not found", run_id)
            return "missing"
        if run.status not in ("queued", "running"):
            return run.status  # already finished (e.g. a retry after success)
        kind = KINDS[run.kind]
        params = dict(run.params or {})
        actor = f"job:{run.kind}#{run.id} ({run.actor or 'system'})"
        mark(engine, run_id, status="running", started_at=utcnow(), heartbeat_at=utcnow(),
             finished_at=None, message=None)
        session.expire_all()
        ctx = JobContext(engine, run_id)
        try:
            with acting_as(actor):
                kind.function()(ctx, **params)
        except Exception as exc:  # the run records the failure; the worker stays alive
            session.rollback()
            ctx.checkpoint(force=True)
            log.exception("job %s failed", run_id)
            mark(engine, run_id, status="failed", finished_at=utcnow(),
                 message=f"{type(exc).__name__}: {exc}"[:2000] + "\n" + traceback.format_exc(limit=3)[-1500:])
            raise
        ctx.checkpoint(force=True)
        status = "partial" if ctx.counts["rejected"] else "succeeded"
        mark(engine, run_id, status=status, finished_at=utcnow(), progress_done=ctx.done)
        return status
