"""Starting jobs: on RQ when REDIS_URL is set, else in a background thread (SQLite demo)."""
from __future__ import annotations

import threading
from typing import Any

from flask import current_app

from app.services.jobruns import create_run

RETRY_INTERVALS = [30, 120, 300]  # seconds; JOB_RETRY_INTERVALS overrides (needs `--with-scheduler`)


def retry_intervals(app) -> list[int]:
    value = app.config.get("JOB_RETRY_INTERVALS")
    if value is None or value == "":
        return list(RETRY_INTERVALS)
    if isinstance(value, str):
        return [int(v) for v in value.replace(" ", "").split(",") if v]
    return [int(v) for v in value]


def start(kind: str, params: dict[str, Any] | None = None, *, actor: str, user_id: int | None = None,
          awarding_body_id: int | None = None):
    """Queue ``kind`` with ``params``; returns (run, created). No second copy while one is active."""
    from jobs.registry import KINDS

    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind}")
    params = params or {}
    session = current_app.appbuilder.session
    run, created = create_run(session, kind, params, actor=actor, user_id=user_id,
                              awarding_body_id=awarding_body_id)
    if created:
        _dispatch(current_app._get_current_object(), KINDS[kind].queue, run.id)
    return run, created


def _dispatch(app, queue_name: str, run_id: int) -> None:
    redis_url = app.config.get("REDIS_URL")
    if redis_url and not app.config.get("JOBS_INLINE"):
        from redis import Redis
        from rq import Queue, Retry

        queue = Queue(queue_name, connection=Redis.from_url(redis_url))
        intervals = retry_intervals(app)
        queue.enqueue(
            "jobs.tasks.run_job", run_id, job_id=f"jobrun-{run_id}",
            retry=Retry(max=len(intervals), interval=intervals) if intervals else None,
            job_timeout=app.config.get("JOB_TIMEOUT", 3 * 3600), result_ttl=86400, failure_ttl=7 * 86400,
        )
        return
    from jobs.tasks import run_job

    def target():
        try:
            run_job(run_id, app)
        except Exception:  # already recorded on the JobRun
            pass

    thread = threading.Thread(target=target, name=f"jobrun-{run_id}", daemon=True)
    thread.start()
    app.extensions.setdefault("eks_job_threads", []).append(thread)
