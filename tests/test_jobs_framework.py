"""The job machinery: a run per job with progress, counts, rejected records and a status;
no second copy of an active job; the same function on RQ (real Redis, burst worker) and inline."""
import datetime as dt
import time

import pytest
from redis import Redis
from rq import Queue, SimpleWorker

from app.jobqueue import start
from app.models import JobRun, JobRunError
from app.services.jobruns import create_run
from jobs.tasks import run_job

REDIS_URL = "redis://127.0.0.1:6379/15"


def _wait(db, run_id, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        db.expire_all()
        run = db.get(JobRun, run_id)
        if run.status not in ("queued", "running"):
            return run
        time.sleep(0.05)
    raise AssertionError("job did not finish")


def test_inline_run_records_counts_errors_and_partial_status(app, db):
    with app.test_request_context():
        app.config["JOBS_INLINE"] = True
        run, created = start("selftest", {"n": 20, "reject_every": 5}, actor="tester")
        assert created
        run = _wait(db, run.id)
    assert run.status == "partial"
    assert (run.progress_done, run.progress_total) == (20, 20)
    assert (run.created_count, run.rejected_count) == (16, 4)
    errors = db.query(JobRunError).filter_by(job_run_id=run.id).all()
    assert [e.record for e in errors] == ["kirje 5", "kirje 10", "kirje 15", "kirje 20"]
    assert all(e.reason == "testiks tagasi lükatud" and e.field == "väli" for e in errors)
    assert run.started_at and run.finished_at and run.actor == "tester"


def test_failed_job_is_recorded_with_its_message(app, db):
    run, _ = create_run(db, "selftest", {"n": 3, "fail": True}, actor="tester")
    with pytest.raises(RuntimeError):
        run_job(run.id, app)
    run = _wait(db, run.id)
    assert run.status == "failed"
    assert "self-test failure requested" in run.message
    assert run.progress_done == 3


def test_no_second_copy_while_queued_but_a_new_one_after_it_finished(app, db):
    first, created1 = create_run(db, "selftest", {"n": 1}, actor="a")
    second, created2 = create_run(db, "selftest", {"n": 1}, actor="b")
    assert created1 and not created2 and first.id == second.id
    other, created3 = create_run(db, "selftest", {"n": 2}, actor="a")
    assert created3 and other.id != first.id
    run_job(first.id, app)
    again, created4 = create_run(db, "selftest", {"n": 1}, actor="a")
    assert created4 and again.id not in (first.id, other.id)


def test_database_refuses_a_second_active_copy(db):
    from sqlalchemy.exc import IntegrityError

    db.add(JobRun(kind="selftest", params={}, dedup_key="k", status="queued"))
    db.commit()
    db.add(JobRun(kind="selftest", params={}, dedup_key="k", status="running"))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


def test_stale_running_job_is_failed_and_replaced(app, db):
    run, _ = create_run(db, "selftest", {"n": 1}, actor="a")
    run.status = "running"
    run.started_at = run.heartbeat_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    db.commit()
    fresh, created = create_run(db, "selftest", {"n": 1}, actor="a")
    assert created and fresh.id != run.id
    db.refresh(run)
    assert run.status == "failed" and "südamelöök" in run.message


def test_rq_worker_runs_the_same_job(app, db):
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    app.config["REDIS_URL"] = REDIS_URL
    app.config["JOBS_INLINE"] = False
    try:
        with app.test_request_context():
            run, created = start("selftest", {"n": 7, "reject_every": 7}, actor="rq-tester")
        queue = Queue("sync", connection=redis)
        assert created and queue.count == 1
        SimpleWorker([queue], connection=redis).work(burst=True)
    finally:
        app.config["REDIS_URL"] = ""
    run = _wait(db, run.id)
    assert run.status == "partial"
    assert (run.created_count, run.rejected_count, run.progress_done) == (6, 1, 7)


def test_job_screen_start_and_progress_page(app, world, login):
    app.config["JOBS_INLINE"] = True
    registry = login("registry")
    page = registry.get("/jobs/")
    assert page.status_code == 200 and b"/jobs/start/routing" in page.data
    response = registry.post("/jobs/start/routing")
    assert response.status_code == 302
    run_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    with app.app_context():
        run = _wait(app.appbuilder.session, run_id)
        assert run.status in ("succeeded", "partial") and run.actor == "registry"
    show = registry.get(f"/jobrunview/show/{run_id}")
    assert show.status_code == 200 and b'id="job-progress"' in show.data
    # an awarding body user may not start registry jobs, and sees no button for them
    ab1 = login("ab1")
    assert b"/jobs/start/routing" not in ab1.get("/jobs/").data
    assert ab1.post("/jobs/start/routing").status_code == 404
    # a school user has no job screen at all
    assert login("school1").get("/jobs/").status_code == 403
