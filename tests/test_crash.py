"""Crash safety: a real RQ worker process (``flask eksamihaldus worker``) is killed with SIGKILL in
the middle of a graduate import; the import is run again. No duplicates, no half-written page,
the same rows as a clean run, and the killed run ends failed once its heartbeat is stale."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import func, select, text

from app import models as m
from app.jobqueue import start
from app.services.graduate_import import targets
from app.services.jobruns import create_run
from app.simulators import EhisSimulator, KutseregisterSimulator, SimData, serve_in_thread
from jobs.tasks import run_job

REDIS_URL = "redis://127.0.0.1:6379/15"
ROOT = Path(__file__).resolve().parent.parent
PAGE = 1000  # the import's page size


@pytest.fixture()
def world20k(app, monkeypatch):
    data = SimData(seed=7, scale=20_000)
    ehis, kr = EhisSimulator(data), KutseregisterSimulator(data)
    servers = [serve_in_thread(ehis), serve_in_thread(kr)]
    urls = {"EHIS_XROAD_URL": servers[0].url("/ehis"), "KUTSEREGISTER_XROAD_URL": servers[1].url("/kutseregister")}
    for key, value in {**urls, "XROAD_BACKOFF": 0.01, "XROAD_READ_TIMEOUT": 5.0}.items():
        monkeypatch.setitem(app.config, key, value)
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    yield data, ehis, urls
    for server in servers:
        server.stop()
    redis.flushdb()


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _counts(db) -> dict[int, int]:
    rows = db.execute(select(m.Curriculum.ehis_code, func.count(m.Enrolment.id))
                      .join(m.Enrolment, m.Enrolment.curriculum_id == m.Curriculum.id)
                      .group_by(m.Curriculum.ehis_code)).all()
    return dict(rows)


def _persons(db) -> int:
    return db.scalar(select(func.count()).select_from(m.Person))


def _no_duplicates(db) -> None:
    assert db.scalar(text("SELECT count(*) FROM (SELECT isikukood FROM person WHERE isikukood IS NOT NULL "
                          "GROUP BY isikukood HAVING count(*) > 1) d")) == 0
    assert db.scalar(text("SELECT count(*) FROM (SELECT first_name, last_name, birth_date FROM person "
                          "WHERE isikukood IS NULL GROUP BY 1, 2, 3 HAVING count(*) > 1) d")) == 0
    assert db.scalar(text("SELECT count(*) FROM (SELECT person_id, curriculum_id FROM enrolment "
                          "GROUP BY 1, 2 HAVING count(*) > 1) d")) == 0


def test_sigkill_mid_import_then_rerun_equals_a_clean_run(app, db, world20k, monkeypatch, tmp_path):
    data, ehis, urls = world20k
    for kind in ("register_sync", "ehis_sync"):
        run, _ = create_run(db, kind, {}, actor="test")
        assert run_job(run.id, app) in ("succeeded", "partial")
    # what a clean import holds, straight from the source
    chosen = {t.ehis_code for t in targets(db)}
    expected = {code: len(data.graduates(code)) for code in chosen if data.graduates(code)}
    people = {values[0] or (values[2].casefold(), values[3].casefold(), values[1])
              for code in chosen for _, values in data.graduates(code)}
    assert sum(expected.values()) > 15_000

    # a real worker process, its own app, the simulator slowed down so the import takes seconds
    ehis.faults.update({"latency_ms": 60})
    env = {**os.environ, **urls, "REDIS_URL": REDIS_URL, "SESSION_COOKIE_SECURE": "false",
           "RATELIMIT_STORAGE_URI": "memory://", "XROAD_READ_TIMEOUT": "5"}
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "flask"), "--app", "app:create_app", "eksamihaldus", "worker",
         "--burst", "-q", "import"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
        monkeypatch.setitem(app.config, "JOBS_INLINE", False)
        with app.test_request_context():
            killed, created = start("graduate_import", {}, actor="test")
        assert created
        deadline = time.time() + 60
        while time.time() < deadline:
            db.expire_all()
            run = db.get(m.JobRun, killed.id)
            if run.progress_total and run.progress_done >= 0.5 * sum(expected.values()):
                break
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            time.sleep(0.05)
        else:
            pytest.fail("the import did not get going:\n" + (tmp_path / "worker.log").read_text())
        # the worker and its work horse (RQ gives the horse its own process group), mid-page
        for pid in [worker.pid, *_children(worker.pid)]:
            os.killpg(pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        log.close()

    db.expire_all()
    run = db.get(m.JobRun, killed.id)
    assert run.status == "running" and run.progress_done < sum(expected.values())
    after_kill = _counts(db)
    assert 0 < sum(after_kill.values()) < sum(expected.values())
    _no_duplicates(db)
    for code, n in after_kill.items():  # only whole pages: each page is one transaction
        assert n == expected[code] or n % PAGE == 0, (code, n, expected[code])

    # re-run (no latency): the killed run is stale by now and is failed; a new copy runs
    ehis.faults.update({"latency_ms": 0})
    monkeypatch.setitem(app.config, "JOB_STALE_AFTER", 1)
    time.sleep(1.2)
    assert _counts(db) == after_kill  # nothing runs on
    rerun, created = create_run(db, "graduate_import", {}, actor="test")
    assert created and rerun.id != killed.id
    db.refresh(run)
    assert run.status == "failed" and "südamelöök" in run.message
    assert run_job(rerun.id, app) == "succeeded"
    db.expire_all()
    rerun = db.get(m.JobRun, rerun.id)
    assert rerun.created_count == sum(expected.values()) - sum(after_kill.values())
    assert rerun.unchanged_count == sum(after_kill.values()) and rerun.updated_count == 0
    _no_duplicates(db)
    assert _counts(db) == expected
    assert _persons(db) == len(people)
