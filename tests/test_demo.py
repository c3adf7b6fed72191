"""The demo seed: every session status, valid identifiers, Estonian names, working scoped logins,
and a second run that changes nothing."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from stdnum.ee import ik
from stdnum.ee import registrikood as rk

from app import models as m
from app.demo import seed
from app.models.choices import SESSION_STATUS
from app.security import roles as r

ROLES = [r.ADMIN, r.REGISTRY, r.AWARDING_BODY, r.SCHOOL, r.ASSESSOR]


@pytest.fixture()
def seeded(app, db, tmp_path):
    """Seed into the emptied database; the logins file goes to a temporary directory."""
    app.config["DEMO_LOGINS_FILE"] = str(tmp_path / "demo-logins.txt")
    try:
        yield seed(app.appbuilder)
    finally:
        app.config.pop("DEMO_LOGINS_FILE", None)


def _user(app, username):
    return app.appbuilder.sm.find_user(username=username)


def _counts(db):
    tables = [getattr(m, name) for name in m.__all__]
    counts = {t.__name__: db.scalar(select(func.count()).select_from(t)) for t in tables}
    counts["ab_user"] = db.execute(select(func.count()).select_from(m.Person.metadata.tables["ab_user"])).scalar()
    return counts


def test_seed_contents_and_a_second_seed_changes_nothing(app, db, seeded, tmp_path):
    statuses = set(db.scalars(select(m.ExamSession.status)))
    assert statuses == {value for value, _ in SESSION_STATUS}

    codes = [*db.scalars(select(m.Person.isikukood).where(m.Person.isikukood.isnot(None))),
             *db.scalars(select(m.CommitteeMember.isikukood)),
             *db.scalars(select(m.Certificate.isikukood).where(m.Certificate.isikukood.isnot(None))),
             *db.scalars(select(m.AccountRequest.isikukood)),
             *(_user(app, username).isikukood for _, username, _ in seeded)]
    assert len(codes) > 300 and all(ik.is_valid(code) for code in codes)
    schools = db.scalars(select(m.School.registrikood)).all()
    bodies = db.scalars(select(m.AwardingBody.registrikood)).all()
    assert all(rk.is_valid(code) for code in schools + bodies)
    assert {code[0] for code in bodies} <= {"8", "9"} and len(bodies) >= 9
    foreign = db.scalars(select(m.Person).where(m.Person.isikukood.is_(None))).all()
    assert foreign and all(p.birth_date for p in foreign)

    names = " ".join(f"{p.first_name} {p.last_name}" for p in db.scalars(select(m.Person)))
    assert set("õäöüšž") <= set(names.lower())
    first_names = db.scalars(select(m.Person.first_name)).all()
    assert any("-" in n for n in first_names) and any(" " in n for n in first_names)

    assert set(db.scalars(select(m.Curriculum.ehis_code))) >= {130219, 130220, 222502, 222202}
    assert db.scalar(select(func.count()).where(m.Curriculum.no_valid_standard.is_(True))) >= 2
    assert db.scalar(select(func.count()).where(m.Enrolment.routing_problem.isnot(None))) > 0
    std = m.OccupationalStandard
    expired = db.scalars(select(std).where(std.valid_to < dt.date(2025, 1, 1))).all()
    assert any(db.scalar(select(func.count()).where(std.group_id == s.group_id, std.valid_from > s.valid_to))
               for s in expired)
    assert {c.status for c in db.scalars(select(m.Certificate))} == {"draft", "ready", "registered", "rejected"}
    assert {d.outcome for d in db.scalars(select(m.Decision))} >= {"award", "refuse"}
    assert {j.status for j in db.scalars(select(m.JobRun))} >= {"succeeded", "partial", "failed"}
    assert db.scalar(select(func.count()).select_from(m.Appeal)) >= 1
    actors = set(db.scalars(select(m.AuditEvent.actor).distinct()))
    assert actors == {"demo-seed"}

    assert [role for role, _, _ in seeded] == ROLES
    assert all(len(password) >= 12 for _, _, password in seeded)
    assert (tmp_path / "demo-logins.txt").read_text(encoding="utf-8").count("\t") == 10

    before = _counts(db)
    assert seed(app.appbuilder) == seeded
    assert _counts(db) == before


def _api(client, username, password):
    token = client.post("/api/v1/security/login", json={"username": username, "password": password,
                                                         "provider": "db"})
    assert token.status_code == 200, token.data
    return {"Authorization": f"Bearer {token.json['access_token']}"}


def test_demo_users_log_in_and_see_their_own_organisation(app, db, seeded):
    passwords = {username: password for _, username, password in seeded}
    q = {"q": "(page_size:100)"}

    def login(username, check_list):
        client = app.test_client()
        response = client.post("/login/", data={"username": username, "password": passwords[username]})
        assert response.status_code == 302, f"login failed for {username}"
        assert client.get(check_list).status_code == 200
        return client, _api(client, username, passwords[username])

    awarding = _user(app, "awarding")
    assert awarding.isikukood and awarding.awarding_body_id
    client, headers = login("awarding", "/examsessionview/list/")
    body = client.get("/api/v1/exam_session/", query_string=q, headers=headers).json
    own = db.scalar(select(func.count()).where(m.ExamSession.awarding_body_id == awarding.awarding_body_id))
    assert body["count"] == own > 0
    assert {row["awarding_body"]["id"] for row in body["result"]} == {awarding.awarding_body_id}

    school = _user(app, "school")
    assert school.isikukood and school.school_id
    assert db.get(m.School, school.school_id).name == "Tallinna Teeninduskool"
    client, headers = login("school", "/enrolmentview/list/")
    body = client.get("/api/v1/enrolment/", query_string=q, headers=headers).json
    own = db.scalar(select(func.count()).where(m.Enrolment.school_id == school.school_id))
    assert body["count"] == own > 0
    assert {row["school"]["id"] for row in body["result"]} == {school.school_id}

    assessor = _user(app, "assessor")
    person = db.scalar(select(m.Person).where(m.Person.isikukood == assessor.isikukood))
    sittings = db.scalars(select(m.AssessorAssignment).where(m.AssessorAssignment.person_id == person.id)).all()
    assert "published" in {a.exam_session.status for a in sittings}
    client, headers = login("assessor", "/examsessionview/list/")
    body = client.get("/api/v1/exam_session/", query_string=q, headers=headers).json
    assert {row["id"] for row in body["result"]} == {a.exam_session_id for a in sittings}


def test_demo_loads_master_data_and_graduates_through_the_jobs_and_seeds_on_top(app, db, tmp_path):
    """What `python3 run.py` does: simulators, import jobs, seed on top, export job — and a
    restart (new simulators, the same database) that finds everything consistent."""
    from app.demo_registers import IMPORTS, run_jobs, start_registers
    from app.services.jobruns import create_run
    from jobs.tasks import run_job

    app.config["DEMO_LOGINS_FILE"] = str(tmp_path / "demo-logins.txt")
    saved = {k: app.config.get(k) for k in ("EHIS_XROAD_URL", "KUTSEREGISTER_XROAD_URL")}
    servers = start_registers(app, scale=1500, curricula=40)
    lines = []
    try:
        runs = run_jobs(app, IMPORTS, lines.append)
        assert [r.status for r in runs] == ["succeeded", "succeeded", "succeeded"], [r.message for r in runs]
        standards, bodies = (db.scalar(select(func.count()).select_from(t)) for t in (m.OccupationalStandard,
                                                                                      m.AwardingBody))
        imported_enrolments = db.scalar(select(func.count()).select_from(m.Enrolment))
        assert imported_enrolments == runs[2].created_count > 1000
        logins = seed(app.appbuilder)
        assert [role for role, _, _ in logins] == ROLES
        # on top: no master data of its own, its students routed like imported ones
        assert (db.scalar(select(func.count()).select_from(m.OccupationalStandard)),
                db.scalar(select(func.count()).select_from(m.AwardingBody))) == (standards, bodies)
        assert db.scalar(select(func.count()).select_from(m.Enrolment)) > imported_enrolments
        assert db.scalar(select(func.count()).select_from(m.ExamSession)) > 10
        ready = db.scalar(select(func.count()).where(m.Certificate.status == "ready"))
        assert ready > 10 and db.scalar(select(func.count()).where(m.Certificate.status == "registered")) == 0

        (export,) = run_jobs(app, ["register_export"], lines.append)
        assert export.status in ("succeeded", "partial") and export.progress_total == ready
        kr = servers[1].app
        numbers = set(db.scalars(select(m.Certificate.registration_number).where(m.Certificate.status == "registered")))
        assert len(numbers) == export.updated_count > 0.8 * ready
        assert numbers == {c.registrinumber for c in kr.certificates()}
        assert len(lines) == 4 and all("created" in line for line in lines)
        # the awarding body user's body holds sessions and certificates in the register
        awarding = _user(app, "awarding")
        assert db.scalar(select(func.count()).where(m.ExamSession.awarding_body_id == awarding.awarding_body_id))
        assert seed(app.appbuilder) == logins
    finally:
        for server in servers:
            server.stop()
    # a restart: fresh simulators take back what was registered; everything agrees
    servers = start_registers(app, scale=1500, curricula=40)
    try:
        again = run_jobs(app, IMPORTS, lines.append)
        assert [(r.created_count, r.updated_count) for r in again] == [(0, 0)] * 3
        run, _ = create_run(db, "reconciliation", {"alates": "2020-01-01", "kuni": "2030-12-31"}, actor="t")
        assert run_job(run.id, app) == "succeeded"
        db.expire_all()
        run = db.get(m.JobRun, run.id)
        assert run.rejected_count == 0 and run.unchanged_count == len(numbers)
    finally:
        for server in servers:
            server.stop()
        app.config.update(saved)
        app.config.pop("DEMO_LOGINS_FILE", None)
