"""Executing jobs: the schedule of nightly and periodic runs, RQ retries of a failed run, stale
runs swept. Real Redis (db 15) and an in-process burst worker."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from redis import Redis
from rq import Queue, SimpleWorker

from app.jobqueue import start
from app.models import JobRun, JobRunError
from app.services.jobruns import create_run, sweep_stale
from app.simulators import KutseregisterSimulator, SimData, serve_in_thread
from jobs import tasks
from jobs.scheduler import Claims, Entry, Scheduler, parse_schedule
from jobs.tasks import run_job

REDIS_URL = "redis://127.0.0.1:6379/15"
TALLINN = ZoneInfo("Europe/Tallinn")


@pytest.fixture()
def rq_app(app, monkeypatch):
    """The app queues on Redis db 15; workers in this process use the test app."""
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    for key, value in {"REDIS_URL": REDIS_URL, "JOBS_INLINE": False}.items():
        monkeypatch.setitem(app.config, key, value)
    monkeypatch.setattr(tasks, "_app", None)
    tasks.use_app(app)
    yield redis
    redis.flushdb()


def _local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TALLINN)


def test_schedule_is_read_from_config_and_refuses_what_it_cannot_read():
    entries = parse_schedule("register_sync@02:00, ehis_sync@2:30 graduate_import@03:00,register_export@*/15m,"
                             "reconciliation@*/6h", {"register_sync", "ehis_sync", "graduate_import",
                                                      "register_export", "reconciliation"})
    assert entries == [Entry("register_sync", at=dt.time(2)), Entry("ehis_sync", at=dt.time(2, 30)),
                       Entry("graduate_import", at=dt.time(3)), Entry("register_export", every=15),
                       Entry("reconciliation", every=360)]
    assert parse_schedule("") == [] and parse_schedule(None) == []
    for bad in ("register_sync", "register_sync@25:00", "register_sync@*/0m", "register_sync@daily"):
        with pytest.raises(ValueError):
            parse_schedule(bad)
    with pytest.raises(ValueError, match="unknown job kind"):
        parse_schedule("nosuchjob@02:00", {"register_sync"})
    # the default of config.py is valid
    from config import JOB_SCHEDULE
    from jobs.registry import KINDS
    assert {e.kind for e in parse_schedule(JOB_SCHEDULE, KINDS)} >= {"register_sync", "ehis_sync", "graduate_import"}


def test_daily_moments_are_local_time_and_survive_daylight_saving_changes():
    nightly = Entry("graduate_import", at=dt.time(3))
    assert nightly.moments(_local(2026, 1, 9, 2, 59), _local(2026, 1, 9, 3, 0), TALLINN) == \
        ["graduate_import@2026-01-09T03:00"]
    assert nightly.moments(_local(2026, 1, 9, 3, 0), _local(2026, 1, 9, 3, 1), TALLINN) == []
    # 29.03.2026 the clocks jump from 03:00 to 04:00: 03:00 never happens on the wall, it still fires once
    spring = [_local(2026, 3, 29, 2, 59, 30), dt.datetime(2026, 3, 29, 1, 0, 30, tzinfo=dt.UTC)]
    assert spring[1].astimezone(TALLINN).hour == 4
    assert nightly.moments(*spring, TALLINN) == ["graduate_import@2026-03-29T03:00"]
    # 25.10.2026 03:00–04:00 happens twice: 03:00 fires the first time only (and its key would be
    # claimed already anyway)
    first = dt.datetime(2026, 10, 25, 0, 0, 30, tzinfo=dt.UTC)  # 03:00:30 EEST
    second = dt.datetime(2026, 10, 25, 1, 0, 30, tzinfo=dt.UTC)  # 03:00:30 EET, an hour later
    assert nightly.moments(first - dt.timedelta(minutes=1), first, TALLINN) == ["graduate_import@2026-10-25T03:00"]
    assert nightly.moments(second - dt.timedelta(minutes=1), second, TALLINN) == []
    assert nightly.moments(second, second + dt.timedelta(minutes=5), TALLINN) == []
    # a long gap (the scheduler was busy) gives every moment once, intervals too
    assert len(nightly.moments(_local(2026, 1, 1, 12), _local(2026, 1, 4, 12), TALLINN)) == 3
    assert len(Entry("register_export", every=15).moments(_local(2026, 1, 1, 12, 0), _local(2026, 1, 1, 13, 0),
                                                          TALLINN)) == 4


def test_scheduler_starts_due_jobs_once_across_processes_and_never_queues_a_second_copy(app, db, rq_app):
    now = [_local(2026, 1, 9, 1, 59)]
    entries = parse_schedule("selftest@02:00, routing@*/15m")

    def scheduler():
        return Scheduler(app, entries, Claims(REDIS_URL), clock=lambda: now[0])

    a, b = scheduler(), scheduler()  # two scheduler processes
    now[0] = _local(2026, 1, 9, 2, 0, 10)
    fired = a.tick() + b.tick()
    assert sorted(kind for kind, _, created in fired if created) == ["routing", "selftest"]
    assert len(fired) == 2  # b found both moments claimed
    sync, imp = Queue("sync", connection=rq_app), Queue("import", connection=rq_app)
    assert (sync.count, imp.count) == (1, 1)
    runs = db.query(JobRun).order_by(JobRun.id).all()
    assert [(r.kind, r.status, r.actor) for r in runs] == [("selftest", "queued", "ajastaja"),
                                                           ("routing", "queued", "ajastaja")]
    # 15 minutes later the routing run still waits: dedup keeps a second copy out
    now[0] = _local(2026, 1, 9, 2, 15, 5)
    fired = a.tick() + b.tick()
    assert fired == [("routing", runs[1].id, False)] and imp.count == 1
    SimpleWorker([sync, imp], connection=rq_app).work(burst=True)
    db.expire_all()
    assert {r.status for r in db.query(JobRun)} == {"succeeded"}
    now[0] = _local(2026, 1, 9, 2, 30, 5)
    (fired,) = a.tick()
    assert fired[0] == "routing" and fired[2] and fired[1] != runs[1].id


@pytest.fixture()
def register(app, monkeypatch):
    sim = KutseregisterSimulator(SimData(seed=2, scale=50))
    server = serve_in_thread(sim)
    for key, value in {"KUTSEREGISTER_XROAD_URL": server.url("/kutseregister"), "XROAD_RETRIES": 0,
                       "XROAD_BACKOFF": 0.01, "XROAD_READ_TIMEOUT": 2.0}.items():
        monkeypatch.setitem(app.config, key, value)
    yield sim
    server.stop()


def test_rq_retries_a_failed_run_and_it_runs_again_from_a_clean_slate(app, db, rq_app, register, monkeypatch):
    monkeypatch.setitem(app.config, "JOB_RETRY_INTERVALS", "0,0")  # immediate: no scheduler in a burst worker
    register.faults.push("fault")  # the register is down for the first attempt
    with app.test_request_context():
        run, created = start("register_sync", {}, actor="tester")
    queue = Queue("sync", connection=rq_app)
    job = queue.fetch_job(f"jobrun-{run.id}")
    assert created and job.retries_left == 2 and job.retry_intervals == [0, 0]
    SimpleWorker([queue], connection=rq_app).work(burst=True)
    db.expire_all()
    run = db.get(JobRun, run.id)
    assert run.status == "succeeded", run.message
    assert run.message.startswith("Uus katse pärast tõrget: TransportError")
    assert run.created_count > 0 and register.stats["fault"] == 1
    assert queue.fetch_job(f"jobrun-{run.id}").get_status() == "finished"


def test_a_retry_stands_down_when_another_copy_is_active_and_a_finished_run_is_left_alone(app, db):
    run, _ = create_run(db, "selftest", {"n": 2, "fail": True}, actor="a")
    with pytest.raises(RuntimeError):
        run_job(run.id, app)
    db.expire_all()
    assert db.get(JobRun, run.id).status == "failed"
    # the retry runs it again: the errors of the failed attempt go, the new outcome is recorded
    with pytest.raises(RuntimeError):
        run_job(run.id, app)
    db.expire_all()
    assert db.get(JobRun, run.id).message.startswith("RuntimeError")
    newer, created = create_run(db, "selftest", {"n": 2, "fail": True}, actor="b")
    assert created
    assert run_job(run.id, app) == "superseded"
    db.expire_all()
    assert db.get(JobRun, run.id).status == "failed"

    ok, _ = create_run(db, "selftest", {"n": 3, "reject_every": 3}, actor="a")
    assert run_job(ok.id, app) == "partial"
    assert run_job(ok.id, app) == "partial"  # a duplicate delivery does not run it twice
    assert db.query(JobRunError).filter_by(job_run_id=ok.id).count() == 1


def test_stale_runs_are_swept_with_a_configurable_limit(app, db, monkeypatch):
    run, _ = create_run(db, "selftest", {"n": 1}, actor="a")
    run.status = "running"
    run.started_at = run.heartbeat_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)
    db.commit()
    assert sweep_stale(db) == []  # default: 10 minutes
    monkeypatch.setitem(app.config, "JOB_STALE_AFTER", 20)
    assert sweep_stale(db) == [run.id]
    db.refresh(run)
    assert run.status == "failed" and "südamelöök" in run.message
