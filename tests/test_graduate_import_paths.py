"""The graduate import writes pages in one SQL statement on PostgreSQL and with a few portable
statements elsewhere (the SQLite demo). Both must leave the same persons, enrolments, routing,
audit rows and run counts: first import, unchanged re-run, then a changed EHIS answer."""
import pytest
from sqlalchemy import select, text

from app import models as m
from app.services import graduate_import as gi
from app.services.jobruns import create_run
from app.simulators import EhisSimulator, KutseregisterSimulator, SimData, serve_in_thread
from jobs.tasks import run_job


@pytest.fixture()
def registers(app):
    data = SimData(seed=23, scale=2500, bad_rate=0.02)
    ehis = EhisSimulator(data)
    servers = [serve_in_thread(ehis), serve_in_thread(KutseregisterSimulator(data))]
    saved = {k: app.config.get(k) for k in ("EHIS_XROAD_URL", "KUTSEREGISTER_XROAD_URL", "XROAD_BACKOFF")}
    app.config.update(EHIS_XROAD_URL=servers[0].url("/ehis"), KUTSEREGISTER_XROAD_URL=servers[1].url("/kutseregister"),
                      XROAD_BACKOFF=0.01)
    yield ehis
    for server in servers:
        server.stop()
    app.config.update(saved)


def _run(app, db, kind):
    run, created = create_run(db, kind, {}, actor="test")
    assert created
    run_job(run.id, app)
    db.expire_all()
    run = db.get(m.JobRun, run.id)
    errors = sorted((e.record, e.field, e.reason) for e in db.query(m.JobRunError).filter_by(job_run_id=run.id))
    return (run.status, run.progress_total, run.progress_done, run.created_count, run.updated_count,
            run.unchanged_count, run.rejected_count, errors)


def _snapshot(db):
    persons = {}
    for p in db.execute(select(m.Person)).scalars():
        persons[p.id] = (p.isikukood,) if p.isikukood else (p.first_name, p.last_name, p.birth_date)
    codes = dict(db.execute(select(m.Curriculum.id, m.Curriculum.ehis_code)).all())
    enrolments, enrolment_keys = set(), {}
    for e in db.execute(select(m.Enrolment)).scalars():
        key = (persons[e.person_id], codes[e.curriculum_id])
        enrolment_keys[e.id] = key
        enrolments.add((key, e.school_id, e.study_language, e.study_form, e.status, e.expected_graduation,
                        e.graduation_date, e.standard_id, e.awarding_body_id, e.routing_problem,
                        e.candidate_confirmed))
    audit = []
    for a in db.execute(select(m.AuditEvent).where(m.AuditEvent.entity.in_(("Person", "Enrolment")))
                        .order_by(m.AuditEvent.id)).scalars():
        key = persons[a.entity_id] if a.entity == "Person" else enrolment_keys[a.entity_id]
        audit.append((a.entity, key, a.action, a.subject_isikukood, a.actor.split("#")[0], a.user_id,
                      tuple(sorted((k, tuple(v)) for k, v in a.changes.items()))))
    return set(persons.values()), enrolments, sorted(audit, key=repr)


def _import_three_times(app, db, ehis):
    ehis.revision = 0
    runs = [_run(app, db, "graduate_import"), _run(app, db, "graduate_import")]
    ehis.revision = 1
    runs.append(_run(app, db, "graduate_import"))
    return runs, _snapshot(db)


def test_postgresql_statement_and_portable_path_write_the_same(app, db, registers, monkeypatch):
    _run(app, db, "register_sync")
    _run(app, db, "ehis_sync")
    fast_runs, fast = _import_three_times(app, db, registers)
    assert fast_runs[0][3] > 2000 and fast_runs[0][6] > 0  # created, rejected
    assert fast_runs[1][3:5] == (0, 0)
    assert fast_runs[2][4] > 0 and fast_runs[2][3] == 0  # updated, nothing created
    assert any(a[0] == "Person" and a[2] == "update" for a in fast[2])
    assert any(a[0] == "Enrolment" and a[2] == "update" for a in fast[2])
    assert any(len(p) == 3 for p in fast[0])  # foreign students without isikukood

    db.execute(text("TRUNCATE enrolment, person, audit_event, job_run_error, job_run RESTART IDENTITY CASCADE"))
    db.commit()
    monkeypatch.setattr(gi, "PgPageImporter", lambda session, ctx, router, writers: gi.PageImporter(session, ctx, router))
    portable_runs, portable = _import_three_times(app, db, registers)

    assert portable_runs == fast_runs
    assert portable[0] == fast[0]
    assert portable[1] == fast[1]
    assert portable[2] == fast[2]


def test_stream_personal_code_check_equals_the_model_rule(app):
    """The import relies on the stream's check (app.xroad.codes) instead of calling the model's
    rule (stdnum.ee.ik) again for every record: both must accept exactly the same codes."""
    import datetime as dt
    import random

    from app import validation as v
    from app.xroad.codes import check_digit, isikukood_problem

    rng = random.Random(5)
    codes = ["1", "0" * 11, "9" * 11, "3850229000", "38502290000x", "٣٨٥٠١٠١٠٠٠٠"]
    for _ in range(20_000):
        head = f"{rng.randrange(10)}{rng.randrange(100):02d}{rng.randrange(15):02d}{rng.randrange(33):02d}{rng.randrange(1000):03d}"
        codes += [head + check_digit(head), head + str(rng.randrange(10))]
    day = dt.date(1800, 1, 1)
    while day < dt.date(2100, 1, 1):  # every leap day and month end of three centuries
        if (day + dt.timedelta(days=1)).day == 1:
            head = f"{(day.year - 1800) // 100 * 2 + 1}{day.year % 100:02d}{day.month:02d}{day.day:02d}123"
            codes.append(head + check_digit(head))
        day += dt.timedelta(days=1)
    with app.app_context():
        for code in codes:
            assert (isikukood_problem(code) is None) == (v.isikukood(code) is None), code


def test_stream_code_checks_take_their_rules_from_stdnum(app, monkeypatch):
    """app.xroad.codes keeps no copy of the rules: the birth date and check digit of an isikukood
    and the whole registrikood rule are python-stdnum's (the ones app.validation applies), so a
    rule changed there changes the stream's check too. Only the shape and the reasons are its own."""
    import random

    from stdnum.ee import ik
    from stdnum.ee import registrikood as rk
    from stdnum.exceptions import InvalidComponent

    from app import validation as v
    from app.xroad import codes

    rng = random.Random(8)
    samples = ["1", "1234567", "123456789", "1234567x", "٣٤٥٦٧٨٩٠"]
    for _ in range(20_000):
        samples.append(f"{rng.randrange(100_000_000):08d}")
    with app.app_context():
        for code in samples:
            assert (codes.registrikood_problem(code) is None) == (v.registrikood(code) is None), code

    digits: list[str] = []
    monkeypatch.setattr(ik, "calc_check_digit", lambda number: digits.append(number) or "0")
    assert codes.check_digit("3850101123") == "0" and digits == ["38501011230"]
    assert codes.isikukood_problem("38501011230") is None
    assert codes.isikukood_problem("38501011239") == "isikukoodi kontrollnumber ei klapi"

    codes._birth_date.cache_clear()
    try:
        def no_date(number):
            raise InvalidComponent()
        monkeypatch.setattr(ik, "get_birth_date", no_date)
        assert codes.isikukood_problem("38501011230") == "isikukoodi esimene number või sünnikuupäev on võimatu"
        assert codes.isikukood_birth_date("38501011230") is None
    finally:
        monkeypatch.undo()
        codes._birth_date.cache_clear()

    def no_org(number):
        raise InvalidComponent()
    monkeypatch.setattr(rk, "validate", no_org)
    assert codes.registrikood_problem(codes.make_registrikood("8", 1)) == \
        "registrikoodi esimene number peab olema 1, 7, 8 või 9"


def test_two_imports_at_once_write_each_row_once(app, db, registers):
    """A whole import and one school's import started at the same time (different parameters, so
    both run; the later one waits for the first): shared persons and enrolments are written once,
    audited once."""
    import threading

    from sqlalchemy import func

    _run(app, db, "register_sync")
    _run(app, db, "ehis_sync")
    school = db.execute(select(m.School.ehis_id).join(m.Curriculum, m.Curriculum.school_id == m.School.id)
                        .group_by(m.School.ehis_id).order_by(func.count().desc()).limit(1)).scalar()
    runs = [create_run(db, "graduate_import", {}, actor="test")[0].id,
            create_run(db, "graduate_import", {"school_ehis_id": school}, actor="test")[0].id]
    statuses = {}
    threads = [threading.Thread(target=lambda r=r: statuses.update({r: run_job(r, app)})) for r in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(statuses) == 2 and set(statuses.values()) <= {"succeeded", "partial"}, statuses
    count = lambda sql: db.execute(text(sql)).scalar()  # noqa: E731
    assert count("SELECT count(*) FROM (SELECT isikukood FROM person WHERE isikukood IS NOT NULL "
                 "GROUP BY 1 HAVING count(*) > 1) d") == 0
    assert count("SELECT count(*) FROM (SELECT first_name, last_name, birth_date FROM person "
                 "WHERE isikukood IS NULL GROUP BY 1, 2, 3 HAVING count(*) > 1) d") == 0
    enrolments, persons = count("SELECT count(*) FROM enrolment"), count("SELECT count(*) FROM person")
    assert count("SELECT count(*) FROM audit_event WHERE entity = 'Enrolment' AND action = 'insert'") == enrolments
    assert count("SELECT count(*) FROM audit_event WHERE entity = 'Person' AND action = 'insert'") == persons
    db.expire_all()
    full = db.get(m.JobRun, runs[0])
    assert full.created_count + full.unchanged_count + full.updated_count == enrolments  # the whole import saw all
