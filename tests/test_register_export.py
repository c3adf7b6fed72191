"""Register export and reconciliation end to end: the Kutseregister simulator over real HTTP,
master data synced from it, certificates built on that data, the jobs run through the same entry
point as on a worker. The simulator's own store is the register's truth."""
from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import select, update

from app import models as m
from app.services.jobruns import create_run
from app.services.register_export import submission
from app.simulators import KutseregisterSimulator, SimData, serve_in_thread
from app.xroad.codes import make_isikukood
from app.xroad.kutseregister import KutseregisterClient
from jobs.tasks import run_job


@pytest.fixture()
def register(app):
    data = SimData(seed=5, scale=200)
    sim = KutseregisterSimulator(data)
    server = serve_in_thread(sim)
    keys = ("KUTSEREGISTER_XROAD_URL", "XROAD_BACKOFF", "XROAD_READ_TIMEOUT", "XROAD_RETRIES")
    saved = {k: app.config.get(k) for k in keys}
    app.config.update(KUTSEREGISTER_XROAD_URL=server.url("/kutseregister"), XROAD_BACKOFF=0.01,
                      XROAD_READ_TIMEOUT=2.0, XROAD_RETRIES=2)
    yield data, sim
    server.stop()
    app.config.update(saved)


def _run(app, db, kind, **params):
    run, created = create_run(db, kind, params, actor="test")
    assert created
    status = run_job(run.id, app)
    db.expire_all()
    return db.get(m.JobRun, run.id), status


def _errors(db, run):
    return db.scalars(select(m.JobRunError).where(m.JobRunError.job_run_id == run.id)).all()


class Certificates:
    """Certificates on master data synced from the simulator."""

    def __init__(self, db, data):
        self.db, self.data, self.serial = db, data, 0
        # awarding bodies with a committee and a right, each with a day the right is valid on
        self.choices = []
        for body in data.bodies:
            members = [mem for _, ms in body.committees for mem in ms]
            for right in body.rights:
                day = right.valid_from + dt.timedelta(days=30)
                if members and right.valid_on(day) and day <= dt.date(2026, 12, 31):
                    self.choices.append((body, right.standard_id, members[0].register_id, day))
                    break

    def make(self, n=0, *, signer_of=None, status="ready", **overrides) -> m.Certificate:
        db = self.db
        body, standard_id, member_id, day = self.choices[n]
        if signer_of is not None:  # a member of another body's kutsekomisjon
            member_id = self.choices[signer_of][2]
        self.serial += 1
        code = make_isikukood(dt.date(1999, 3, 1) + dt.timedelta(days=self.serial), self.serial % 2 == 0,
                              self.serial)
        person = m.Person(isikukood=code, first_name="Õnne-Mari", last_name=f"Kõiv-Šmidt{self.serial}")
        db.add(person)
        db.flush()
        cert = m.Certificate(
            awarding_body_id=db.scalar(select(m.AwardingBody.id).where(m.AwardingBody.registrikood == body.registrikood)),
            person_id=person.id, holder_name=f"{person.first_name} {person.last_name}", isikukood=code,
            cert_type="1", standard_id=db.scalar(select(m.OccupationalStandard.id)
                                                 .where(m.OccupationalStandard.register_id == standard_id)),
            issue_date=day, valid_from=day, valid_to=day + dt.timedelta(days=5 * 365),
            signer_id=db.scalar(select(m.CommitteeMember.id).where(m.CommitteeMember.register_id == member_id)),
            status=status, **overrides)
        db.add(cert)
        db.commit()
        return cert


@pytest.fixture()
def certs(app, db, register):
    data, _ = register
    run, status = _run(app, db, "register_sync")
    assert status in ("succeeded", "partial"), run.message
    return Certificates(db, data)


def test_ready_certificates_are_registered_register_errors_are_kept_and_a_rerun_changes_nothing(
        app, db, register, certs):
    _, sim = register
    good = [certs.make(0, exam_language="et"), certs.make(1), certs.make(2, exam_language="et")]  # et = keel 1
    not_member = certs.make(0, signer_of=1)  # the signer sits on another body's kutsekomisjon
    no_right = certs.make(0)
    bad_code = certs.make(1)
    draft = certs.make(2, status="draft")
    # a standard the body holds no right for; a personal code written past the local checks (legacy)
    other_standard = db.scalar(select(m.Certificate.standard_id).where(m.Certificate.id == good[1].id))
    db.execute(update(m.Certificate).where(m.Certificate.id == no_right.id).values(standard_id=other_standard))
    db.execute(update(m.Certificate).where(m.Certificate.id == bad_code.id).values(isikukood="38001085719"))
    db.commit()

    run, status = _run(app, db, "register_export")
    assert status == "partial"
    assert (run.progress_total, run.progress_done, run.updated_count, run.rejected_count) == (6, 6, 3, 3)
    db.expire_all()
    stored = {c.registrinumber: c for c in sim.certificates()}
    assert len(stored) == 3
    for cert in good:
        assert cert.status == "registered" and cert.registration_number in stored
        entry = stored[cert.registration_number]
        assert entry.taotluse_viide == cert.register_reference and entry.isikukood == cert.isikukood
        assert cert.register_reference.startswith(f"EKS-{cert.id}-") and cert.register_errors is None
    assert not_member.status == "rejected" and not_member.registration_number is None
    assert "ei ole kutse andja" in not_member.register_errors and "kutsekomisjoni liige" in not_member.register_errors
    assert no_right.status == "rejected" and "puudub kehtiv kutse andmise õigus" in no_right.register_errors
    # never sent: listed with the field to fix, stays ready
    assert bad_code.status == "ready" and bad_code.register_reference is None
    assert draft.status == "draft" and draft.register_reference is None
    errors = {(e.record, e.field): e for e in _errors(db, run)}
    assert set(errors) == {(f"kutsetunnistus {c.id} ({c.holder_name})", field) for c, field in
                           [(not_member, "allkirjastaja"), (no_right, "kutsestandard"), (bad_code, "isikukood")]}
    assert errors[(f"kutsetunnistus {no_right.id} ({no_right.holder_name})", "kutsestandard")].reason \
        in no_right.register_errors
    assert "38001085719" in errors[(f"kutsetunnistus {bad_code.id} ({bad_code.holder_name})", "isikukood")].reason
    # the awarding body sees its own rows, whoever started the run
    assert {e.awarding_body_id for e in errors.values()} == {not_member.awarding_body_id, bad_code.awarding_body_id}

    numbers = {c.id: c.registration_number for c in good}
    again, status = _run(app, db, "register_export")
    assert status == "partial"  # only the legacy record is listed again
    assert (again.progress_total, again.updated_count, again.rejected_count) == (1, 0, 1)
    assert len(sim.certificates()) == 3
    assert {c.id: c.registration_number for c in good} == numbers
    db.execute(update(m.Certificate).where(m.Certificate.id == bad_code.id).values(status="draft"))
    db.commit()
    again, status = _run(app, db, "register_export")
    assert status == "succeeded" and again.progress_total == 0


def test_the_export_leaves_an_audit_trail_of_references_and_status_changes(app, db, register, certs):
    """The results are written set-based, not through the ORM flush: the audit rows must still
    say who changed what (old -> new), with the holder's personal code."""
    good, refused = certs.make(0), certs.make(0, signer_of=1)
    run, status = _run(app, db, "register_export")
    assert status == "partial" and (run.updated_count, run.rejected_count) == (1, 1)
    db.expire_all()

    def trail(cert):
        return [(e.action, e.actor, e.subject_isikukood, e.changes) for e in db.scalars(
            select(m.AuditEvent).where(m.AuditEvent.entity == "Certificate", m.AuditEvent.entity_id == cert.id,
                                       m.AuditEvent.action == "update").order_by(m.AuditEvent.id))]

    actor = f"job:register_export#{run.id} (test)"
    (ref, result) = trail(good)
    assert ref == ("update", actor, good.isikukood, {"register_reference": [None, good.register_reference]})
    assert result[:3] == ("update", actor, good.isikukood)
    assert result[3]["status"] == ["ready", "registered"]
    assert result[3]["registration_number"] == [None, good.registration_number]
    assert result[3]["registered_at"][0] is None and result[3]["registered_at"][1]
    assert "register_errors" not in result[3]
    (_, refusal) = trail(refused)
    assert refusal[3] == {"status": ["ready", "rejected"], "register_errors": [None, refused.register_errors]}
    assert "kutsekomisjoni liige" in refused.register_errors


def test_a_certificate_changed_while_its_call_ran_is_not_overwritten(app, db, register, certs, monkeypatch):
    """Sent to draft (or given another reference) while the register entered it: the result is
    not stored over the change; the run lists it for a reconciliation."""
    from app.services import register_export as export

    _, sim = register
    cert = certs.make(0)
    send, engine, cert_id = export._send, db.get_bind(), cert.id

    def send_and_change(client, payload):
        number = send(client, payload)
        with engine.begin() as conn:  # another user, on another connection
            conn.execute(update(m.Certificate).where(m.Certificate.id == cert_id).values(status="draft"))
        return number

    monkeypatch.setattr(export, "_send", send_and_change)
    run, status = _run(app, db, "register_export")
    assert status == "partial" and (run.updated_count, run.rejected_count) == (0, 1)
    (error,) = _errors(db, run)
    (entry,) = sim.certificates()
    assert error.field == "status" and entry.registrinumber in error.reason and "võrdlus" in error.reason
    db.refresh(cert)
    assert cert.status == "draft" and cert.registration_number is None


def test_transport_failure_leaves_the_certificate_ready_for_the_next_run(app, db, register, certs):
    _, sim = register
    cert = certs.make(0)
    sim.faults.update({"fault_rate": 1.0, "services": ["kutsetunnistuseLisamine"]})
    run, status = _run(app, db, "register_export")
    assert status == "partial" and run.rejected_count == 1
    (error,) = _errors(db, run)
    assert "kutsetunnistuseLisamine" in error.reason and "SOAP Fault" in error.reason
    db.refresh(cert)
    assert cert.status == "ready" and cert.registration_number is None and cert.register_reference
    assert sim.certificates() == []

    sim.faults.update({"fault_rate": 0.0})
    reference = cert.register_reference
    run, status = _run(app, db, "register_export")
    assert status == "succeeded" and run.updated_count == 1
    db.refresh(cert)
    assert cert.status == "registered" and cert.register_reference == reference
    assert [c.taotluse_viide for c in sim.certificates()] == [reference]


def test_lost_reply_is_retried_with_the_same_reference_and_entered_once(app, db, register, certs):
    _, sim = register
    cert = certs.make(0)
    sim.faults.push("lost")  # registered by the register, the reply never arrives
    run, status = _run(app, db, "register_export")
    assert status == "succeeded", run.message
    db.refresh(cert)
    (entry,) = sim.certificates()
    assert cert.status == "registered" and cert.registration_number == entry.registrinumber
    assert sim.stats["lost"] == 1 and sim.stats["service:kutsetunnistuseLisamine"] == 2


def test_reply_lost_on_every_attempt_then_the_next_run_gets_the_same_number(app, db, register, certs):
    _, sim = register
    cert = certs.make(0)
    sim.faults.push("lost", "lost", "lost")  # the first attempt and both retries
    run, status = _run(app, db, "register_export")
    assert status == "partial"
    db.refresh(cert)
    assert cert.status == "ready" and cert.registration_number is None
    (entry,) = sim.certificates()  # the register has it, we do not know yet
    run, status = _run(app, db, "register_export")
    assert status == "succeeded"
    db.refresh(cert)
    assert cert.status == "registered" and cert.registration_number == entry.registrinumber
    assert len(sim.certificates()) == 1


def test_many_lost_replies_under_concurrency_enter_each_certificate_once(app, db, register, certs):
    _, sim = register
    batch = [certs.make(i % len(certs.choices)) for i in range(24)]
    sim.faults.update({"lost_reply_rate": 0.3, "seed": 3})
    for _ in range(4):
        run, _ = _run(app, db, "register_export")
        if run.progress_total == 0:
            break
    db.expire_all()
    assert all(c.status == "registered" for c in batch)
    stored = sim.certificates()
    assert sim.stats["lost"] > 0
    assert len(stored) == len(batch) == len({c.taotluse_viide for c in stored})
    assert {c.registration_number for c in batch} == {c.registrinumber for c in stored}


def test_worker_died_between_the_call_and_the_commit(app, db, register, certs):
    """The reference was committed and the call made, then the worker died: nothing local changed."""
    _, sim = register
    cert = certs.make(0)
    cert.register_reference = f"EKS-{cert.id}-0123456789ab"
    db.commit()
    with app.app_context(), KutseregisterClient.from_config(app.config) as client:
        number = client.kutsetunnistuse_lisamine(submission(db.get(m.Certificate, cert.id)))
    db.refresh(cert)
    assert cert.status == "ready" and cert.registration_number is None
    run, status = _run(app, db, "register_export")
    assert status == "succeeded" and run.updated_count == 1
    db.refresh(cert)
    assert cert.status == "registered" and cert.registration_number == number
    assert [c.registrinumber for c in sim.certificates()] == [number]


def test_reconciliation_reports_what_is_missing_and_repairs_what_is_unmarked(app, db, register, certs):
    _, sim = register
    registered = certs.make(0)
    unmarked = certs.make(0)
    phantom = certs.make(0, status="registered", registration_number="999999",
                         register_reference="EKS-phantom-1")
    _run(app, db, "register_export")
    db.refresh(registered)
    db.refresh(unmarked)
    assert registered.status == unmarked.status == "registered"
    number = unmarked.registration_number
    # as if the export's result commit had been lost
    db.execute(update(m.Certificate).where(m.Certificate.id == unmarked.id)
               .values(status="ready", registration_number=None))
    db.commit()
    period = {"alates": "2000-01-01", "kuni": "2030-12-31"}
    run, status = _run(app, db, "reconciliation", awarding_body_id=registered.awarding_body_id, **period)
    assert status == "partial"
    db.expire_all()
    assert unmarked.status == "registered" and unmarked.registration_number == number
    assert (run.updated_count, run.unchanged_count, run.rejected_count) == (1, 1, 1)
    (error,) = _errors(db, run)
    assert error.field == "registrinumber" and "999999" in error.record and "puudub" in error.reason
    assert phantom.status == "registered"  # reported, not changed: a person decides
    again, _ = _run(app, db, "reconciliation", awarding_body_id=registered.awarding_body_id, **period)
    assert (again.updated_count, again.unchanged_count) == (0, 2)
    assert len(sim.certificates()) == 2


def test_awarding_body_user_exports_only_their_own_certificates(app, world, login, register):
    """POST /jobs/start/register_export as ab1: the run carries ab1's body; ab2's stays ready."""
    data, sim = register
    db = app.appbuilder.session
    # ab1 becomes a body the register knows, with a signer on its kutsekomisjon and a valid right
    body = next(b for b in data.bodies if any(r.standard_id == 10465773 and r.valid_on(dt.date(2026, 6, 20))
                                               for r in b.rights))
    member = body.committees[0][1][0]
    # c1's holder passed the world's competence: give it the register's id (the export sends it)
    competence = next(s for s in data.standards if s.register_id == 10465773).competences[0][0]
    with app.app_context():
        db.execute(update(m.Competence).where(m.Competence.id == world.ids["comp1"]).values(register_id=competence))
        db.execute(update(m.AwardingBody).where(m.AwardingBody.id == world.ids["ab1"])
                   .values(registrikood=body.registrikood))
        db.execute(update(m.CommitteeMember).where(m.CommitteeMember.id == world.ids["member1"])
                   .values(register_id=member.register_id))
        db.execute(update(m.CommitteeMember).where(m.CommitteeMember.id == world.ids["member2"])
                   .values(register_id=member.register_id + 1))
        db.execute(update(m.Certificate).where(m.Certificate.id.in_([world.ids["c1"], world.ids["c2"]]))
                   .values(status="ready"))
        db.execute(update(m.Certificate).where(m.Certificate.id == world.ids["c1"])
                   .values(signer_id=world.ids["member1"]))
        db.execute(update(m.Certificate).where(m.Certificate.id == world.ids["c2"])
                   .values(signer_id=world.ids["member2"]))
        db.commit()
    app.config["JOBS_INLINE"] = True
    ab1 = login("ab1")
    assert b"/jobs/start/register_export" in ab1.get("/jobs/").data
    assert b"/jobs/start/reconciliation" not in ab1.get("/jobs/").data
    response = ab1.post("/jobs/start/register_export", data={"awarding_body_id": str(world.ids["ab2"])})
    assert response.status_code == 302
    run_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    with app.app_context():
        deadline = time.time() + 20
        while True:
            db.expire_all()
            run = db.get(m.JobRun, run_id)
            if run.status not in ("queued", "running") or time.time() > deadline:
                break
            time.sleep(0.05)
        assert run.status == "succeeded", [(e.record, e.field, e.reason) for e in _errors(db, run)]
        assert run.params == {"awarding_body_id": world.ids["ab1"]}
        assert run.awarding_body_id == world.ids["ab1"] and run.actor == "ab1"
        assert run.progress_total == run.updated_count == 1
        c1, c2 = db.get(m.Certificate, world.ids["c1"]), db.get(m.Certificate, world.ids["c2"])
        assert c1.status == "registered" and c2.status == "ready" and c2.register_reference is None
    (entry,) = sim.certificates()
    assert entry.asutus == body.registrikood and entry.registrinumber == c1.registration_number
    # ab1 sees the run; ab2 does not
    assert login("ab1").get(f"/jobrunview/show/{run_id}").status_code == 200
    assert login("ab2").get(f"/jobrunview/show/{run_id}").status_code in (302, 403, 404)
