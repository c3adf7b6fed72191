"""Load without loss: several users write to the same exam session at once while others read,
over real HTTP (the app served on 127.0.0.1 by tests/browser_server.py, one thread per request).

Four awarding body users enter results (result, competence mark) and decisions (draft,
confirm) for their own candidates of one session through the REST API, while two readers page
through the lists (one of them filtered, which must answer only the rows asked for). Each phase is then repeated with all four racing for the same candidates:
each tries to enter the same result, to draft the same decision and to confirm it.

At the end: no request answered 5xx or mentioned a deadlock or serialization failure; every
write is present exactly once (one result, mark, decision and certificate per candidate); each
contested write succeeded for exactly one user and was refused cleanly (4xx) for the others;
and the audit trail holds exactly one event per write.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter

import httpx
import pytest
import sqlalchemy as sa
from stdnum.ee import ik

from app import models as m
from app.audit import acting_as
from app.services.users import create_user
from tests.browser_server import serve
from tests.factories import PASSWORD

WRITERS = 4
PER_WRITER = 4  # candidates; 4 writes each (result, mark, decision, confirm)
CONTESTED = 3  # candidates all writers race for
READERS = 2
DEADLINE = 120  # seconds for the whole run


def _code(serial: int) -> str:
    base = f"3900101{serial:03d}"
    return base + ik.calc_check_digit(base + "0")  # stdnum expects the digit's place


@pytest.fixture()
def crowd(app, world, db):
    """The session of ab1 held, with candidates for every writer and the contested ones, and
    three more users of awarding body ab1."""
    n = WRITERS * PER_WRITER + CONTESTED
    with app.app_context(), acting_as("test-setup"):
        session = db.get(m.ExamSession, world.ids["x1"])
        session.status = "held"
        registrations = []
        for i in range(n):
            person = m.Person(isikukood=_code(100 + i), first_name=f"Kandidaat{i}", last_name="Koormus")
            enrolment = m.Enrolment(person=person, curriculum_id=world.ids["cur1"], school_id=world.ids["school1"],
                                    status="oppimas",
                                    standard_id=world.ids["s1"], awarding_body_id=world.ids["ab1"],
                                    study_language="et", expected_graduation=dt.date(2026, 5, 1))
            registration = m.Registration(exam_session=session, enrolment=enrolment, exam_language="et")
            db.add_all([person, enrolment, registration])
            registrations.append(registration)
        db.commit()
        ids = [r.id for r in registrations]
        for k in range(2, WRITERS + 1):
            create_user(app.appbuilder.sm, username=f"ab1_{k}", password=PASSWORD, role="Awarding body user",
                        isikukood=_code(900 + k), first_name="Koormus", last_name=str(k),
                        email=f"ab1_{k}@example.ee", awarding_body_id=world.ids["ab1"])
    return {
        "users": ["ab1"] + [f"ab1_{k}" for k in range(2, WRITERS + 1)],
        "own": [ids[w * PER_WRITER:(w + 1) * PER_WRITER] for w in range(WRITERS)],
        "contested": ids[WRITERS * PER_WRITER:],
        "all": ids,
    }


class Recorder:
    """Every request made: who, phase, candidate, step, method, url, status, start of the body."""

    def __init__(self):
        self.lock = threading.Lock()
        self.calls: list[dict] = []

    def __call__(self, response, **info):
        with self.lock:
            self.calls.append({**info, "status": response.status_code, "text": response.text[:300]})
        return response

    def select(self, **match):
        return [c for c in self.calls if all(c.get(k) == v for k, v in match.items())]


def _token(http: httpx.Client, username: str) -> str:
    response = http.post("/api/v1/security/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


class Writer:
    def __init__(self, http, record, who, phase, world):
        self.http, self.record, self.who, self.phase, self.world = http, record, who, phase, world

    def send(self, step, rid, method, url, body):
        response = self.http.request(method, url, json=body)
        return self.record(response, who=self.who, phase=self.phase, rid=rid, step=step, method=method, url=url)

    def result(self, rid):
        r = self.send("result", rid, "POST", "/api/v1/result/", {"registration": rid, "attended": True,
                                                                  "proposal": "award"})
        return r.json()["id"] if r.status_code == 201 else None

    def mark(self, rid, result_id):
        self.send("mark", rid, "POST", "/api/v1/competence_result/", {
            "result": result_id, "competence": self.world.ids["comp1"], "passed": True, "points": 80})

    def submit(self, session_id):
        self.send("submit", None, "PUT", f"/api/v1/result/grid/{session_id}", {"rows": [], "submit": True})

    def decision(self, rid):
        r = self.send("decision", rid, "POST", "/api/v1/decision/", {
            "registration": rid, "outcome": "award", "decision_date": "2026-06-20",
            "protocol_number": f"K-{rid}", "signer": self.world.ids["member1"]})
        return r.json()["id"] if r.status_code == 201 else None

    def confirm(self, rid, decision_id):
        self.send("confirm", rid, "POST", f"/api/v1/decision/{decision_id}/confirm", {})


def _ids(app, model, column, registrations) -> dict[int, int]:
    with app.app_context():
        session = app.appbuilder.session
        rows = session.execute(sa.select(column, model.id).where(column.in_(registrations))).all()
        session.rollback()
    return dict(rows)


def test_concurrent_writers_and_readers_lose_nothing(app, world, db, crowd):
    record = Recorder()
    stop = threading.Event()
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []
    mixed: list[tuple] = []  # filtered lists that answered other rows
    contested = crowd["contested"]

    with serve(app) as base_url:
        with httpx.Client(base_url=base_url, timeout=30) as http:
            tokens = {user: _token(http, user) for user in crowd["users"] + ["registry"]}

        def writer(w: int):
            who = crowd["users"][w]
            try:
                with httpx.Client(base_url=base_url, timeout=30,
                                  headers={"Authorization": f"Bearer {tokens[who]}"}) as http:
                    mine = Writer(http, record, who, "own", world)
                    race = Writer(http, record, who, "race", world)
                    barrier.wait(timeout=30)
                    for rid in crowd["own"][w]:  # results: each user its own candidates, all at once
                        mine.mark(rid, mine.result(rid))
                    barrier.wait(timeout=60)
                    for rid in contested:  # then everybody the same candidates
                        result_id = race.result(rid)
                        if result_id:
                            race.mark(rid, result_id)
                    barrier.wait(timeout=60)
                    if w == 0:  # the session's results are submitted (and locked) at once
                        Writer(http, record, who, "submit", world).submit(world.ids["x1"])
                    barrier.wait(timeout=60)
                    for rid in crowd["own"][w]:  # decisions, each user its own candidates
                        mine.confirm(rid, mine.decision(rid))
                    barrier.wait(timeout=60)
                    for rid in contested:  # everybody drafts the same candidates' decisions
                        race.decision(rid)
                    barrier.wait(timeout=60)
                    decisions = _ids(app, m.Decision, m.Decision.registration_id, contested)
                    for rid in contested:  # and confirms them
                        race.confirm(rid, decisions.get(rid))
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                errors.append(exc)

        def reader(i: int):
            who = "registry" if i % 2 else "ab1"
            urls = ["/api/v1/result/?q=(page_size:100)", "/api/v1/decision/?q=(page_size:100)",
                    "/api/v1/competence_result/", "/api/v1/certificate/",
                    f"/api/v1/exam_session/{world.ids['x1']}"]
            try:
                with httpx.Client(base_url=base_url, timeout=30,
                                  headers={"Authorization": f"Bearer {tokens[who]}"}) as http:
                    k = 0
                    while not stop.is_set():
                        for url in urls:
                            record(http.get(url), who=f"reader{i}", phase="read", method="GET", url=url)
                        # a filtered list: only the rows asked for, whatever the other reader asks
                        k = (k + 1 + i) % len(crowd["all"])
                        name = f"Kandidaat{k}"
                        url = f"/api/v1/person/?q=(filters:!((col:first_name,opr:eq,value:{name})))"
                        response = record(http.get(url), who=f"reader{i}", phase="read", method="GET", url=url)
                        names = {row["first_name"] for row in response.json()["result"]}
                        if names != {name}:
                            mixed.append((name, sorted(names)))
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
        threads += [threading.Thread(target=reader, args=(i,), daemon=True) for i in range(READERS)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads[:WRITERS]:
            t.join(timeout=DEADLINE)
        stop.set()
        for t in threads[WRITERS:]:
            t.join(timeout=30)
        elapsed = time.monotonic() - started
        assert not any(t.is_alive() for t in threads), "a client thread hung (deadlock?)"
    assert not errors, errors
    assert not mixed, mixed[:5]
    writes = [c for c in record.calls if c["method"] != "GET"]
    print(f"\n{len(record.calls)} requests in {elapsed:.1f} s: {len(writes)} writes by {WRITERS} users, "
          f"{len(record.calls) - len(writes)} reads by {READERS}")

    # 1. Nobody saw a server error or a database concurrency failure.
    bad = [c for c in record.calls if c["status"] >= 500 or "deadlock" in c["text"].lower()
           or "serializ" in c["text"].lower() or "concurrent" in c["text"].lower()]
    assert not bad, bad[:5]

    # 2. Each user's writes on its own candidates all succeeded, first time.
    refused = [c for c in record.select(phase="own") + record.select(phase="submit") if c["status"] >= 300]
    assert not refused, refused[:5]
    assert len(record.select(phase="own")) == WRITERS * PER_WRITER * 4

    # 3. The race: for each contested candidate one user won each step, the others were refused.
    for rid in contested:
        for step in ("result", "decision", "confirm"):
            tries = record.select(phase="race", rid=rid, step=step)
            assert len(tries) == WRITERS, (rid, step, tries)
            won = [c for c in tries if c["status"] < 300]
            assert len(won) == 1, (rid, step, tries)
            assert all(400 <= c["status"] < 500 for c in tries if c not in won), (rid, step, tries)

    # 4. Exactly once: one result, mark, decision (confirmed) and certificate per candidate.
    db.expire_all()
    regs = crowd["all"]
    results = db.scalars(sa.select(m.Result).where(m.Result.registration_id.in_(regs))).all()
    assert sorted(r.registration_id for r in results) == sorted(regs)
    assert {r.status for r in results} == {"submitted"}
    marks = db.scalars(sa.select(m.CompetenceResult).where(
        m.CompetenceResult.result_id.in_([r.id for r in results]))).all()
    assert Counter(mk.result_id for mk in marks) == Counter({r.id: 1 for r in results})
    decisions = db.scalars(sa.select(m.Decision).where(m.Decision.registration_id.in_(regs))).all()
    assert Counter(d.registration_id for d in decisions) == Counter({rid: 1 for rid in regs}), "duplicate decisions"
    assert {d.status for d in decisions} == {"confirmed"}
    certificates = db.scalars(sa.select(m.Certificate).where(
        m.Certificate.decision_id.in_([d.id for d in decisions]))).all()
    assert Counter(c.decision_id for c in certificates) == Counter({d.id: 1 for d in decisions}), \
        "duplicate certificates"

    # 5. The audit trail: one event per stored write by these users, none twice, none for a
    # refused write.
    events = db.execute(sa.select(m.AuditEvent.entity, m.AuditEvent.entity_id, m.AuditEvent.action,
                                  m.AuditEvent.changes).where(m.AuditEvent.actor.in_(crowd["users"]))).all()
    inserts = Counter((e.entity, e.entity_id) for e in events if e.action == "insert")
    for entity, rows in (("Result", results), ("CompetenceResult", marks), ("Decision", decisions),
                         ("Certificate", certificates)):
        assert all(inserts[(entity, row.id)] == 1 for row in rows), entity
        stored = {row.id for row in rows}
        assert {pk for (name, pk) in inserts if name == entity and pk in stored} == stored
    changes = Counter((e.entity, e.entity_id, e.changes["status"][1]) for e in events
                      if e.action == "update" and "status" in (e.changes or {}))
    for entity, rows, status in (("Result", results, "submitted"), ("Decision", decisions, "confirmed")):
        assert all(changes[(entity, row.id, status)] == 1 for row in rows), entity
    expected_inserts = len(results) + len(marks) + len(decisions) + len(certificates)
    assert sum(n for (name, _), n in inserts.items()
               if name in ("Result", "CompetenceResult", "Decision", "Certificate")) == expected_inserts


def test_request_state_fab_shares_is_per_thread(app):
    """FAB keeps one list-filter object and one body schema per API and mutates them per request
    (filters cleared and refilled; the edited record set on the schema): each thread has its own."""
    from app.views.base import ScopedModelRestApi

    api = next(v for v in app.appbuilder.baseviews if isinstance(v, ScopedModelRestApi) and v.model is m.Person)
    seen = []

    def look():
        seen.append((api._filters, api.edit_model_schema, api.add_model_schema))

    threads = [threading.Thread(target=look) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    (f1, e1, a1), (f2, e2, a2) = seen
    assert f1 is not f2 and e1 is not e2 and a1 is not a2
    assert f1.get_search_filters() is f2.get_search_filters()  # same columns and operators
    assert type(e1) is type(e2) and set(e1.fields) == set(e2.fields)
