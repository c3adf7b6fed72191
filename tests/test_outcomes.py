"""Exam outcomes through the REST API and the screens: the results grid, decisions,
certificates and appeals, every refusal with its message, the locks, and the scoping of every
new screen and endpoint.

The world's ab1 session x1 carries half-finished history (a draft result, decision and
certificate); the tests here work on a fresh session of ab1 (``exam``) with three candidates
of school1, a mandatory and an optional competence, and the world's assessor as chair."""
from __future__ import annotations

import datetime as dt
import html as htmllib
import re
from types import SimpleNamespace

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from app import models as m
from app.audit import acting_as
from app.services import outcomes
from app.services.register_export import passed_competence_ids
from app.services.users import create_user
from app.xroad.codes import make_isikukood
from tests.factories import PASSWORD
from tests.test_register_export import Certificates, _run, register  # noqa: F401  (the simulator fixture)

START = dt.datetime(2026, 9, 15, 9, 0, tzinfo=dt.UTC)  # in the past: the machine's today is later
DAY = dt.date(2026, 9, 25)


@pytest.fixture()
def t(app):
    """A message as the user sees it (the UI is Estonian)."""
    def translate(text, **kw):
        with app.test_request_context(), force_locale("et"):
            return gettext(text, **kw)
    return translate


def text_of(response) -> str:
    return htmllib.unescape(response.get_data(as_text=True))


def _code(n: int) -> str:
    return make_isikukood(dt.date(2000, 1, 1) + dt.timedelta(days=n), n % 2 == 0, n)


@pytest.fixture()
def exam(app, db, world):
    """A published, started session of ab1 with three candidates, its chair and kutsekomisjon."""
    e = SimpleNamespace(world=world)
    with app.app_context(), acting_as("test-setup"):
        s1 = db.get(m.OccupationalStandard, world.ids["s1"])
        e.comp_opt = m.Competence(standard=s1, register_id=11, name="Menüü koostamine", mandatory=False)
        db.add(e.comp_opt)
        cur1 = db.get(m.Curriculum, world.ids["cur1"])
        ab1 = db.get(m.AwardingBody, world.ids["ab1"])
        e.x = m.ExamSession(awarding_body=ab1, standard=s1, place_address="Mustamäe tee 59, Tallinn",
                            starts_at=START, ends_at=START + dt.timedelta(hours=6), capacity=10,
                            status="published", language="et")
        db.add(e.x)
        e.people, e.regs = [], []
        for n, (first, last, consent) in enumerate([("Aino", "Alev", True), ("Boris", "Bõstrov", False),
                                                     ("Cärolin", "Cirk", True)], start=1):
            person = m.Person(isikukood=_code(n), first_name=first, last_name=last)
            enrolment = m.Enrolment(person=person, curriculum=cur1, status="lopetanud", standard=s1,
                                    awarding_body=ab1, candidate_confirmed=True, study_language="et")
            reg = m.Registration(exam_session=e.x, enrolment=enrolment, exam_language="et", public_consent=consent)
            db.add_all([person, enrolment, reg])
            e.people.append(person)
            e.regs.append(reg)
        pa = db.get(m.Person, world.ids["pa"])
        e.chair = m.AssessorAssignment(exam_session=e.x, person=pa, role="chair", representation="employer",
                                       employer_name="Restoran OÜ")
        # a kutsekomisjon member who also assessed in this exam (a conflict when signing)
        e.pm = m.Person(isikukood=_code(40), first_name="Kalle", last_name="Kahesugune")
        e.member_assessor = m.AssessorAssignment(exam_session=e.x, person=e.pm, role="member",
                                                 representation="employee", employer_name="Kohvik OÜ")
        other = m.Person(isikukood=_code(41), first_name="Liis", last_name="Liige")
        e.member2 = m.AssessorAssignment(exam_session=e.x, person=other, role="member", representation="teacher",
                                         employer_name="Tartu Kutsehariduskeskus")
        db.add_all([e.chair, e.pm, e.member_assessor, other, e.member2])
        qc1 = db.get(m.QualificationCommittee, world.ids["qc1"])
        e.signer = db.get(m.CommitteeMember, world.ids["member1"])
        e.signer.register_id = 900001
        e.conflicted = m.CommitteeMember(committee=qc1, isikukood=e.pm.isikukood, name="Kalle Kahesugune",
                                         role="3", register_id=900002)
        db.add(e.conflicted)
        db.commit()
        e.comp = db.get(m.Competence, world.ids["comp1"])
        create_user(app.appbuilder.sm, username="member", password=PASSWORD, role="Assessor",
                    isikukood=e.pm.isikukood, first_name="Kalle", last_name="Kahesugune",
                    email="member@example.ee")
        e.names = [p.full_name for p in e.people]
        e.comp_name, e.comp_opt_name = e.comp.name, e.comp_opt.name
        e.ids = {"x": e.x.id, "comp": e.comp.id, "comp_opt": e.comp_opt.id, "signer": e.signer.id,
                 "conflicted": e.conflicted.id, "regs": [r.id for r in e.regs]}
    return e


def row(rid, attended=True, proposal=None, comment=None, **marks):
    """A grid row for the API: marks as c<competence id>=(passed, points)."""
    data = {"registration_id": rid, "attended": attended, "proposal": proposal, "comment": comment,
            "competences": {}}
    for key, (passed, points) in marks.items():
        data["competences"][key.removeprefix("c")] = {"passed": passed, "points": points}
    return data


def full_rows(exam, proposals=("award", "refuse", "award")):
    c, o = exam.ids["comp"], exam.ids["comp_opt"]
    regs = exam.ids["regs"]
    marks = [{f"c{c}": (True, 81), f"c{o}": (True, 12.5)}, {f"c{c}": (False, 31)}, {f"c{c}": (True, 70)}]
    return [row(rid, proposal=p, **mk) for rid, p, mk in zip(regs, proposals, marks, strict=True)]


def grid_put(client, exam, rows, submit=False):
    return client.api("put", f"/api/v1/result/grid/{exam.ids['x']}", json={"rows": rows, "submit": submit})


def results(db, exam):
    db.expire_all()
    return {r.registration_id: r for r in db.scalars(select(m.Result).where(
        m.Result.registration_id.in_(exam.ids["regs"])))}


def submitted(login, exam):
    response = grid_put(login("assessor"), exam, full_rows(exam), submit=True)
    assert response.status_code == 200, response.json
    return response


# --- the results grid -------------------------------------------------------------------------

def test_grid_screen_draft_then_submit_by_the_chair(exam, login, db, t):
    chair = login("assessor")
    page = chair.get(f"/grid/{exam.ids['x']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for name in exam.names:
        assert name in html
    assert exam.comp_name in html and exam.comp_opt_name in html
    r1, r2, r3 = exam.ids["regs"]
    c, o = exam.ids["comp"], exam.ids["comp_opt"]
    form = {f"r{r1}-attended": "1", f"r{r1}-c{c}-passed": "1", f"r{r1}-c{c}-points": "abc",
            f"r{r1}-proposal": "award", f"r{r1}-comment": "Hea töö",
            f"r{r2}-attended": "0", f"r{r2}-c{c}-passed": "1",
            f"r{r3}-attended": "1", "submit_results": "0"}
    bad = chair.post(f"/grid/{exam.ids['x']}", data=form)
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'value="abc"' in html and "Hea töö" in html  # nothing typed is lost
    assert html.count("has-error") >= 2
    assert not results(db, exam)  # nothing saved
    form[f"r{r1}-c{c}-points"] = "81,5"
    form[f"r{r2}-c{c}-passed"] = ""
    ok = chair.post(f"/grid/{exam.ids['x']}", data=form)
    assert ok.status_code == 302
    stored = results(db, exam)
    assert stored[r1].status == "draft" and stored[r1].competence_results[0].points == 81.5
    assert stored[r2].attended is False and stored[r2].proposal == "refuse"  # absent: a refusal is proposed
    assert db.get(m.ExamSession, exam.ids["x"]).status == "held"  # the first save marks the exam held

    form["submit_results"] = "1"
    incomplete = chair.post(f"/grid/{exam.ids['x']}", data=form)
    assert incomplete.status_code == 422
    html = text_of(incomplete)
    assert t("a mandatory competence needs passed or failed") in html and t("choose a proposal") in html
    assert all(r.status == "draft" for r in results(db, exam).values())
    form.update({f"r{r3}-c{c}-passed": "1", f"r{r3}-c{c}-points": "70", f"r{r3}-proposal": "award",
                 f"r{r1}-c{o}-passed": "0"})
    refused = chair.post(f"/grid/{exam.ids['x']}", data=form)
    assert refused.status_code == 422
    assert t("an award cannot be proposed: competence „%(name)s” is failed", name="Menüü koostamine") in text_of(refused)
    form[f"r{r1}-c{o}-passed"] = "1"
    done = chair.post(f"/grid/{exam.ids['x']}", data=form)
    assert done.status_code == 302
    stored = results(db, exam)
    assert {r.status for r in stored.values()} == {"submitted"} and all(r.submitted_at for r in stored.values())
    assert db.get(m.ExamSession, exam.ids["x"]).status == "results_entered"
    locked = chair.get(f"/grid/{exam.ids['x']}").get_data(as_text=True)
    assert f'name="r{r1}-attended"' not in locked  # read-only once submitted


def test_grid_api_rules_each_with_its_message(exam, login, db, t):
    ab1 = login("ab1")
    r1, r2, r3 = exam.ids["regs"]
    c, o = exam.ids["comp"], exam.ids["comp_opt"]
    comp2, r_other = exam.world.ids["comp2"], exam.world.ids["r2"]
    cases = [
        (row(r1, attended=False, **{f"c{c}": (True, 50)}), f"{r1}.attended",
         t("an absent candidate has no competence results: clear them or mark the candidate as attended")),
        (row(r1, attended=False, proposal="award"), f"{r1}.proposal",
         t("an absent candidate cannot be proposed an award")),
        (row(r1, **{f"c{c}": ("maybe", None)}), f"{r1}.c{c}.passed", t("choose passed or failed")),
        (row(r1, **{f"c{c}": (True, -1)}), f"{r1}.c{c}.points", t("points must not be negative")),
        (row(r1, **{f"c{c}": (True, "12x")}), f"{r1}.c{c}.points", t("points must be a number, e.g. 72 or 72,5")),
        (row(r1, **{f"c{c}": (True, 100000)}), f"{r1}.c{c}.points", t("points must not exceed %(max)s", max="9999.99")),
        (row(r1, proposal="maybe"), f"{r1}.proposal", t("invalid value %(value)s", value="maybe")),
        (row(r1, **{f"c{comp2}": (True, 1)}), f"{r1}.competences",
         t("competence %(id)s is not part of the exam's standard", id=str(comp2))),
        (row(r_other), f"{r_other}.registration", t("not a registered candidate of this exam session")),
    ]
    for data, key, message in cases:
        response = grid_put(ab1, exam, [data])
        assert response.status_code == 422, (data, response.json)
        assert response.json["message"][key] == [message], response.json
    # submitting needs every candidate; an award needs every assessed competence passed
    response = grid_put(ab1, exam, [row(r1, proposal="award", **{f"c{c}": (True, 80), f"c{o}": (False, 2)})],
                        submit=True)
    errors = response.json["message"]
    assert response.status_code == 422
    assert errors[f"{r1}.proposal"] == [t("an award cannot be proposed: competence „%(name)s” is failed",
                                          name="Menüü koostamine")]
    assert errors[f"{r2}.status"] == [t("no result entered for this candidate")]
    assert not results(db, exam)
    # a partial result is a valid draft
    assert grid_put(ab1, exam, [row(r1, **{f"c{o}": (None, None)})]).status_code == 200
    got = ab1.api("get", f"/api/v1/result/grid/{exam.ids['x']}")
    assert got.status_code == 200 and got.json["result"]["exam_session"]["can_grade"] is True
    assert [r["registration_id"] for r in got.json["result"]["rows"]] == [r1, r2, r3]
    assert [r["status"] for r in got.json["result"]["rows"]] == ["draft", "draft", "draft"]


def test_grid_refused_before_the_exam_and_for_a_cancelled_session(exam, login, db, t):
    x = db.get(m.ExamSession, exam.ids["x"])
    x.starts_at = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    x.ends_at = x.starts_at + dt.timedelta(hours=4)
    db.commit()
    response = grid_put(login("ab1"), exam, full_rows(exam))
    assert response.status_code == 422
    assert response.json["message"]["exam_session"] == [t("the exam has not started yet: results are entered after it")]
    x.status, x.cancellation_reason = "cancelled", "Eksamineerijad haigestusid"
    db.commit()
    response = grid_put(login("ab1"), exam, full_rows(exam))
    assert response.status_code == 422
    assert response.json["message"]["exam_session"] == [t(
        "results cannot be entered for an exam session in status „%(status)s”", status=t("cancelled"))]


def test_grid_scoping_and_who_may_grade(exam, login, db, world):
    x = exam.ids["x"]
    assert login("ab2").get(f"/grid/{x}").status_code == 404
    assert login("ab2").post(f"/grid/{x}", data={"submit_results": "0"}).status_code == 404
    assert login("ab2").api("get", f"/api/v1/result/grid/{x}").status_code == 404
    assert grid_put(login("ab2"), exam, full_rows(exam)).status_code == 404
    assert login("school2").get(f"/grid/{x}").status_code == 404
    # the school sees its students' grid, read-only; it may not write
    school = login("school1").get(f"/grid/{x}")
    assert school.status_code == 200 and 'name="submit_results"' not in school.get_data(as_text=True)
    assert login("school1").post(f"/grid/{x}", data={"submit_results": "0"}).status_code == 403
    assert grid_put(login("school1"), exam, full_rows(exam)).status_code == 403
    # an assessor who is a member, not the chair, sees the grid but does not enter results
    member = login("member")
    assert member.get(f"/grid/{x}").status_code == 200
    assert grid_put(member, exam, full_rows(exam)).status_code == 403
    assert member.post(f"/grid/{x}", data={"submit_results": "0"}).status_code == 403
    # an assessor only reaches the sessions they assess
    assert member.get(f"/grid/{world.ids['x1']}").status_code == 404
    assert member.api("get", f"/api/v1/result/grid/{world.ids['x1']}").status_code == 404
    listing = member.get("/grid/").get_data(as_text=True)
    assert f"/grid/{x}" in listing and f"/grid/{world.ids['x1']}" not in listing
    assert f"/grid/{world.ids['x2']}" not in login("ab1").get("/grid/").get_data(as_text=True)
    assert not results(db, exam)


def test_submitted_results_are_locked_on_every_path(exam, login, db, t):
    submitted(login, exam)
    r1 = exam.ids["regs"][0]
    result = results(db, exam)[r1]
    mark = result.competence_results[0]
    ab1 = login("ab1")
    locked = t("the record is locked in status „%(status)s”", status=t("submitted"))
    put = ab1.api("put", f"/api/v1/result/{result.id}", json={"comment": "muudetud"})
    assert put.status_code == 422 and put.json["message"]["comment"] == [locked]
    put = ab1.api("put", f"/api/v1/competence_result/{mark.id}", json={"points": 1})
    assert put.status_code == 422 and put.json["message"]["result"] == [locked]
    post = ab1.api("post", "/api/v1/competence_result/", json={
        "result": result.id, "competence": exam.ids["comp_opt"], "passed": True})
    assert post.status_code == 422 and post.json["message"]["result"] == [locked]
    assert ab1.api("delete", f"/api/v1/competence_result/{mark.id}").status_code == 422
    delete = ab1.api("delete", f"/api/v1/result/{result.id}")
    assert delete.status_code == 422
    assert delete.json["message"]["status"] == [t("a record in status „%(status)s” cannot be deleted",
                                                  status=t("submitted"))]
    changed = grid_put(login("assessor"), exam, [row(r1, proposal="refuse")])
    assert changed.status_code == 422
    assert changed.json["message"][f"{r1}.status"] == [
        t("the result is submitted and locked; only the awarding body can reopen it")]
    ab1.post(f"/resultview/edit/{result.id}", data={"registration": r1, "attended": "y", "proposal": "refuse",
                                                      "comment": "muudetud"})
    db.expire_all()
    result = db.get(m.Result, result.id)
    assert result.proposal == "award" and result.comment is None and len(result.competence_results) == 2
    # and a job writing the database directly is refused at flush
    result.comment = "töö kirjutab"
    with pytest.raises(Exception, match=locked):
        db.commit()
    db.rollback()


def test_only_the_awarding_body_reopens_with_a_reason_in_the_audit_trail(exam, login, db, t):
    submitted(login, exam)
    result = results(db, exam)[exam.ids["regs"][1]]
    assert login("assessor").api("post", f"/api/v1/result/{result.id}/reopen",
                                 json={"reason": "viga"}).status_code == 403
    assert login("assessor").get(f"/grid/reopen/{result.id}").status_code == 403
    assert login("ab2").api("post", f"/api/v1/result/{result.id}/reopen", json={"reason": "x"}).status_code == 404
    no_reason = login("ab1").api("post", f"/api/v1/result/{result.id}/reopen", json={})
    assert no_reason.status_code == 422
    assert no_reason.json["message"]["reopen_reason"] == [t("give the reason for reopening")]
    page = login("ab1").post(f"/grid/reopen/{result.id}", data={"reason": "  "})
    assert page.status_code == 422 and t("give the reason for reopening") in text_of(page)
    ok = login("ab1").post(f"/grid/reopen/{result.id}", data={"reason": "Punktid sisestati valesti"})
    assert ok.status_code == 302
    db.expire_all()
    result = db.get(m.Result, result.id)
    assert (result.status, result.reopen_reason) == ("reopened", "Punktid sisestati valesti")
    assert db.get(m.ExamSession, exam.ids["x"]).status == "held"
    event = db.scalars(select(m.AuditEvent).where(m.AuditEvent.entity == "Result", m.AuditEvent.entity_id == result.id,
                                                  m.AuditEvent.action == "update")
                       .order_by(m.AuditEvent.id.desc())).first()
    assert event.actor == "ab1"
    assert event.changes["status"] == ["submitted", "reopened"]
    assert event.changes["reopen_reason"] == [None, "Punktid sisestati valesti"]
    again = login("ab1").api("post", f"/api/v1/result/{result.id}/reopen", json={"reason": "veel"})
    assert again.status_code == 422 and again.json["message"]["status"] == [t("only a submitted result can be reopened")]
    # the chair corrects it and submits again
    c = exam.ids["comp"]
    fixed = grid_put(login("assessor"), exam, [row(exam.ids["regs"][1], proposal="refuse", **{f"c{c}": (False, 41)})],
                     submit=True)
    assert fixed.status_code == 200 and fixed.json["result"]["submitted"] == 1
    assert db.get(m.ExamSession, exam.ids["x"]).status == "results_entered"


# --- decisions and certificates ---------------------------------------------------------------

def decide(client, exam, rows, confirm=True, **common):
    body = {"decision_date": DAY.isoformat(), "protocol_number": "PK-2026/7", "signer": exam.ids["signer"],
            "confirm": confirm, "rows": rows, **common}
    return client.api("post", f"/api/v1/decision/session/{exam.ids['x']}", json=body)


def certificates(db, exam):
    db.expire_all()
    query = (select(m.Certificate).join(m.Decision, m.Decision.id == m.Certificate.decision_id)
             .where(m.Decision.registration_id.in_(exam.ids["regs"])).order_by(m.Certificate.id))
    return list(db.scalars(query))


def test_from_registrations_to_certificates_ready_for_the_register_through_the_api(exam, login, db, t):
    submitted(login, exam)
    ab1 = login("ab1")
    r1, r2, r3 = exam.ids["regs"]
    listed = ab1.api("get", f"/api/v1/decision/session/{exam.ids['x']}")
    assert [(r["registration_id"], r["proposal"], r["decision"]) for r in listed.json["result"]] == [
        (r1, "award", None), (r2, "refuse", None), (r3, "award", None)]
    # a refusal needs a legal basis and reasons; nothing is stored while anything is wrong
    refused = decide(ab1, exam, [{"registration_id": r} for r in (r1, r2, r3)])
    assert refused.status_code == 422
    message = t("a refusal requires a legal basis and reasons")
    assert refused.json["message"] == {f"{r2}.legal_basis": [message], f"{r2}.reasons": [message]}
    assert db.scalar(select(m.Decision.id).where(m.Decision.registration_id.in_(exam.ids["regs"]))) is None
    # the signer assessed these candidates
    conflict = decide(ab1, exam, [{"registration_id": r1}], signer=exam.ids["conflicted"])
    assert conflict.status_code == 422
    assert conflict.json["message"][f"{r1}.signer"] == [t(
        "%(person)s assessed %(candidate)s in this exam and cannot sign the decision on them "
        "(conflict of interest: an assessor does not decide on their own candidate)",
        person="Kalle Kahesugune", candidate=exam.names[0])]
    other_body = decide(ab1, exam, [{"registration_id": r1}], signer=exam.world.ids["member2"])
    assert other_body.json["message"]["signer"] == [t(
        "%(person)s is not a member of the awarding body's kutsekomisjon", person="Jüri Õun")]
    early = decide(ab1, exam, [{"registration_id": r1}], decision_date="2026-09-01", protocol_number="")
    assert early.json["message"]["decision_date"] == [t("the decision cannot be dated before the exam")]
    assert early.json["message"]["protocol_number"] == [t("a confirmed decision needs a protocol number")]
    other_level = decide(ab1, exam, [{"registration_id": r1, "outcome": "award_other_level"}])
    assert other_level.json["message"][f"{r1}.awarded_standard"] == [
        t("name the standard of the other level that is awarded")]

    ok = decide(ab1, exam, [{"registration_id": r1}, {"registration_id": r3},
                            {"registration_id": r2, "legal_basis": "Kutseseadus § 15",
                             "reasons": "Kompetents „Toitude valmistamine” jäi tõendamata"}])
    assert ok.status_code == 200, ok.json
    assert ok.json["result"] == {"decisions": 3, "confirmed": 3}
    assert db.get(m.ExamSession, exam.ids["x"]).status == "decided"
    certs = certificates(db, exam)
    assert [c.holder_name for c in certs] == [exam.names[0], exam.names[2]]  # the refusal issues none
    first, third = certs
    assert first.cert_type == "3"  # esmane kutse: a graduate of an EKR 4 curriculum, first in this occupation
    assert (first.issue_date, first.valid_from, first.valid_to) == (DAY, DAY, dt.date(2031, 9, 24))
    assert first.standard_id == exam.world.ids["s1"] and first.exam_language == "et"
    assert first.signer_id == exam.ids["signer"] and first.status == "draft" and first.isikukood == _code(1)
    assert (first.name_hidden, first.birth_date_hidden, first.certificate_hidden) == (False, False, False)
    assert first.passed_competences == "Toitude valmistamine; Menüü koostamine"
    # final: no change, no second confirmation, no deletion
    d1 = db.get(m.Decision, first.decision_id)
    put = ab1.api("put", f"/api/v1/decision/{d1.id}", json={"protocol_number": "muu"})
    assert put.status_code == 422
    assert put.json["message"]["protocol_number"] == [t("the record is locked in status „%(status)s”",
                                                         status=t("confirmed"))]
    assert ab1.api("post", f"/api/v1/decision/{d1.id}/confirm").json["message"]["status"] == [
        t("the decision is already confirmed")]
    assert ab1.api("delete", f"/api/v1/decision/{d1.id}").status_code == 422
    again = decide(ab1, exam, [{"registration_id": r1}])
    assert again.json["message"][f"{r1}.status"] == [t("the decision on this candidate is already confirmed")]

    # certificates to the register: validity within the standard's limit, then ready
    too_long = ab1.api("put", f"/api/v1/certificate/{first.id}", json={"valid_to": "2031-09-26"})
    assert too_long.status_code == 422
    assert too_long.json["message"]["valid_to"] == [t(
        "a certificate of this standard is valid for at most %(years)s years: until %(date)s at the latest",
        years=5, date="25.09.2031")]
    assert ab1.api("put", f"/api/v1/certificate/{first.id}", json={"valid_to": "2031-09-25"}).status_code == 200
    for cert in certs:
        sent = ab1.api("post", f"/api/v1/certificate/{cert.id}/send")
        assert sent.status_code == 200 and sent.json["result"]["status"] == "ready"
    assert {c.status for c in certificates(db, exam)} == {"ready"}
    locked = ab1.api("put", f"/api/v1/certificate/{first.id}", json={"holder_name": "Keegi Teine"})
    assert locked.status_code == 422
    back = ab1.api("post", f"/api/v1/certificate/{first.id}/draft")
    assert back.status_code == 200 and back.json["result"]["status"] == "draft"
    # the candidate's school sees the outcome; another school and awarding body do not
    school = login("school1").api("get", f"/api/v1/decision/{d1.id}")
    assert school.status_code == 200 and school.json["result"]["outcome"] == "award"
    assert login("school2").api("get", f"/api/v1/decision/{d1.id}").status_code == 404
    assert login("school1").api("get", f"/api/v1/certificate/{first.id}").status_code == 200
    assert login("ab2").api("get", f"/api/v1/decision/session/{exam.ids['x']}").status_code == 404
    assert decide(login("ab2"), exam, [{"registration_id": r1}]).status_code == 404
    assert login("school1").api("post", f"/api/v1/decision/session/{exam.ids['x']}", json={}).status_code == 403
    assert login("assessor").api("get", f"/api/v1/decision/session/{exam.ids['x']}").status_code == 403


def test_decisions_on_the_screen_save_draft_then_confirm(exam, login, db, t):
    submitted(login, exam)
    ab1 = login("ab1")
    r1, r2, r3 = exam.ids["regs"]
    page = ab1.get(f"/decide/{exam.ids['x']}")
    assert page.status_code == 200
    html = text_of(page)
    assert all(name in html for name in exam.names) and 'name="confirm_decisions"' in html
    form = {"decision_date": DAY.strftime("%d.%m.%Y"), "protocol_number": "PK-7", "signer": str(exam.ids["signer"]),
            f"r{r1}-include": "1", f"r{r1}-outcome": "award", f"r{r2}-include": "1", f"r{r2}-outcome": "refuse",
            f"r{r2}-legal_basis": "Kutseseadus § 15", f"r{r2}-reasons": "",
            f"r{r3}-outcome": "award", "confirm_decisions": "0"}  # r3 not ticked: left for later
    bad = ab1.post(f"/decide/{exam.ids['x']}", data=form)
    assert bad.status_code == 422
    html = text_of(bad)
    assert t("a refusal requires a legal basis and reasons") in html and "Kutseseadus § 15" in html
    form[f"r{r2}-reasons"] = "Ei tõendanud kompetentsi"
    assert ab1.post(f"/decide/{exam.ids['x']}", data=form).status_code == 302
    drafts = db.scalars(select(m.Decision).where(m.Decision.registration_id.in_(exam.ids["regs"]))).all()
    assert sorted((d.registration_id, d.status) for d in drafts) == [(r1, "draft"), (r2, "draft")]
    assert not certificates(db, exam)
    form.update({"confirm_decisions": "1", f"r{r3}-include": "1"})
    assert ab1.post(f"/decide/{exam.ids['x']}", data=form).status_code == 302
    db.expire_all()
    assert db.scalar(select(func.count(m.Decision.id)).where(m.Decision.registration_id.in_(exam.ids["regs"]),
                                                             m.Decision.status == "confirmed")) == 3
    assert len(certificates(db, exam)) == 2
    html = text_of(ab1.get(f"/decide/{exam.ids['x']}"))
    assert 'name="confirm_decisions"' not in html and "/certificateview/show/" in html
    assert login("ab2").get(f"/decide/{exam.ids['x']}").status_code == 404
    assert login("assessor").get(f"/decide/{exam.ids['x']}").status_code == 403
    assert login("school1").post(f"/decide/{exam.ids['x']}", data=form).status_code == 403


def test_confirm_action_and_generic_confirmation_follow_the_same_rules(exam, login, db, t):
    submitted(login, exam)
    ab1 = login("ab1")
    r1, r2, _ = exam.ids["regs"]
    assert decide(ab1, exam, [{"registration_id": r1}], confirm=False).status_code == 200
    d1 = db.scalar(select(m.Decision).where(m.Decision.registration_id == r1))
    # the generic edit with a conflicted signer is refused; with a good one it confirms and issues
    conflict = ab1.api("put", f"/api/v1/decision/{d1.id}", json={"signer": exam.ids["conflicted"],
                                                                  "status": "confirmed"})
    assert conflict.status_code == 422 and "signer" in conflict.json["message"]
    assert ab1.api("put", f"/api/v1/decision/{d1.id}", json={"status": "confirmed"}).status_code == 200
    assert [c.decision_id for c in certificates(db, exam)] == [d1.id]
    # a second decision on the same candidate is refused
    dup = ab1.api("post", "/api/v1/decision/", json={
        "registration": r1, "outcome": "award", "decision_date": DAY.isoformat(), "status": "draft"})
    assert dup.status_code == 422
    assert dup.json["message"]["registration"] == [t(
        "the candidate already has a confirmed decision; a new decision follows only an upheld appeal")]
    # the list action confirms through the service too
    assert decide(ab1, exam, [{"registration_id": r2, "legal_basis": "§ 15", "reasons": "Ei tõendanud"}],
                  confirm=False).status_code == 200
    d2 = db.scalar(select(m.Decision).where(m.Decision.registration_id == r2))
    ab1.post("/decisionview/action_post", data={"action": "confirm", "rowid": [str(d2.id)]})
    db.expire_all()
    assert db.get(m.Decision, d2.id).status == "confirmed"
    # a decision on a candidate whose result is not submitted is refused
    draft_world = ab1.api("post", f"/api/v1/decision/{exam.world.ids['d1']}/confirm")
    assert draft_world.json["message"]["registration"] == [t("the candidate's result is not submitted")]


def test_a_repeat_candidate_gets_a_kutsetunnistus_not_an_esmane_kutse(exam, login, db):
    third = db.get(m.Registration, exam.ids["regs"][2]).enrolment.person
    with acting_as("test-setup"):  # an earlier certificate of the same standard group
        db.add(m.Certificate(awarding_body_id=exam.world.ids["ab1"], person_id=third.id, holder_name=third.full_name,
                             isikukood=third.isikukood, standard_id=exam.world.ids["s1"], issue_date=dt.date(2020, 6, 1),
                             valid_from=dt.date(2020, 6, 1), valid_to=dt.date(2025, 5, 31), status="registered",
                             registration_number="190001"))
        db.commit()
    submitted(login, exam)
    assert decide(login("ab1"), exam, [{"registration_id": r} for r in exam.ids["regs"][::2]]).status_code == 200
    assert [c.cert_type for c in certificates(db, exam)] == ["3", "1"]


def test_a_partial_qualification_session_issues_osakutsetunnistus(exam, login, db):
    with acting_as("test-setup"):
        pq = m.PartialQualification(standard_id=exam.world.ids["s1"], register_id=10465774, name="Külmköök")
        db.add(pq)
        db.flush()
        db.get(m.ExamSession, exam.ids["x"]).partial_qualification_id = pq.id
        db.commit()
        pq_id = pq.id
    c = exam.ids["comp"]
    regs = exam.ids["regs"]
    # for a partial qualification the optional competence alone is enough; the mandatory one is not required
    rows = [row(regs[0], proposal="award", **{f"c{exam.ids['comp_opt']}": (True, 9)}),
            row(regs[1], attended=False), row(regs[2], proposal="award", **{f"c{c}": (True, 70)})]
    assert grid_put(login("assessor"), exam, rows, submit=True).status_code == 200
    assert decide(login("ab1"), exam, [{"registration_id": r} for r in (regs[0], regs[2])]).status_code == 200
    certs = certificates(db, exam)
    assert [(cert.cert_type, cert.partial_qualification_id) for cert in certs] == [("2", pq_id), ("2", pq_id)]
    assert certs[0].passed_competences == "Menüü koostamine"


def test_certificate_actions_refuse_what_does_not_fit_the_status(exam, login, db, t):
    submitted(login, exam)
    ab1 = login("ab1")
    assert decide(ab1, exam, [{"registration_id": exam.ids["regs"][0]}]).status_code == 200
    (cert,) = certificates(db, exam)
    not_registered = t("the certificate is not registered in Kutseregister")
    dup = ab1.api("post", f"/api/v1/certificate/{cert.id}/duplicate", json={"reason": "1"})
    assert dup.status_code == 422 and dup.json["message"]["status"] == [not_registered]
    revoke = ab1.api("post", f"/api/v1/certificate/{cert.id}/revoke", json={"reason": "x"})
    assert revoke.status_code == 422 and revoke.json["message"]["status"] == [not_registered]
    assert ab1.api("post", f"/api/v1/certificate/{cert.id}/draft").json["message"]["status"] == [
        t("only a certificate ready for or rejected by the register returns to draft")]
    # the signer must be known to the register
    signer = db.get(m.CommitteeMember, exam.ids["signer"])
    signer.register_id = None
    db.commit()
    no_id = ab1.api("post", f"/api/v1/certificate/{cert.id}/send")
    assert no_id.json["message"]["signer"] == [t(
        "%(person)s has no Kutseregister id: the register cannot name them as signer", person="Mari Maasikas")]
    signer.register_id = 900001
    db.commit()
    # the screen action sends it; the register accepts it (as the export would record)
    ab1.post("/certificateview/action_post", data={"action": "send", "rowid": [str(cert.id)]})
    db.expire_all()
    cert = db.get(m.Certificate, cert.id)
    assert cert.status == "ready"
    with acting_as("register_export"):
        cert.status, cert.registration_number, cert.register_reference = "registered", "200123", "EKS-x-1"
        db.commit()
    assert ab1.api("post", f"/api/v1/certificate/{cert.id}/send").json["message"]["status"] == [
        t("only a draft certificate or one rejected by the register can be sent")]
    transition = ab1.api("post", f"/api/v1/certificate/{cert.id}/draft")
    assert transition.status_code == 422
    ab1.post("/certificateview/action_post", data={"action": "to_draft", "rowid": [str(cert.id)]})
    db.expire_all()
    assert db.get(m.Certificate, cert.id).status == "registered"  # refused on the screen too
    bad_reason = ab1.api("post", f"/api/v1/certificate/{cert.id}/duplicate", json={"reason": "9"})
    assert bad_reason.json["message"]["duplicate_reason"] == [t("choose the reason for the duplicate")]
    # a duplicate through the screen form: a new certificate, ready for the register at once
    form = login("ab1").post(f"/certificateview/duplicate/{cert.id}", data={"duplicate_reason": "2"})
    assert form.status_code == 302
    copy = db.scalar(select(m.Certificate).where(m.Certificate.duplicate_of_id == cert.id))
    assert (copy.status, copy.duplicate_reason, copy.holder_name, copy.valid_to) == (
        "ready", "2", cert.holder_name, cert.valid_to)
    twice = ab1.api("post", f"/api/v1/certificate/{cert.id}/duplicate", json={"reason": "2"})
    assert twice.json["message"]["duplicate_of"] == [
        t("a duplicate of this certificate is already on its way to the register")]
    # revocation: a reason, a date not before the issue; the screen form keeps what was typed
    page = login("ab1").post(f"/certificateview/revoke/{cert.id}", data={"revoked_reason": "",
                                                                       "revoked_date": "01.01.2020"})
    assert page.status_code == 422
    html = text_of(page)
    assert t("a revocation needs a reason") in html
    assert t("the revocation cannot be dated before the certificate was issued") in html and "01.01.2020" in html
    ok = login("ab1").post(f"/certificateview/revoke/{cert.id}", data={"revoked_reason": "Otsus tühistati",
                                                                     "revoked_date": "01.10.2026"})
    assert ok.status_code == 302
    db.expire_all()
    cert = db.get(m.Certificate, cert.id)
    assert (cert.revoked, cert.revoked_reason, cert.revoked_date, cert.revocation_sent_at) == (
        True, "Otsus tühistati", dt.date(2026, 10, 1), None)
    copy = db.get(m.Certificate, copy.id)
    assert copy.revoked and copy.status == "draft"  # the unsent duplicate is withdrawn, never sent
    again = ab1.api("post", f"/api/v1/certificate/{cert.id}/revoke", json={"reason": "x"})
    assert again.json["message"]["revoked"] == [t("the certificate is revoked")]
    assert login("ab2").api("post", f"/api/v1/certificate/{cert.id}/revoke", json={"reason": "x"}).status_code == 404
    assert login("ab2").get(f"/certificateview/revoke/{cert.id}").status_code == 404
    assert login("school1").api("post", f"/api/v1/certificate/{cert.id}/revoke", json={"reason": "x"}).status_code == 403


def test_the_export_enters_duplicates_and_revocations_and_sends_competences(app, db, register):  # noqa: F811
    data, sim = register
    run, status = _run(app, db, "register_sync")
    assert status in ("succeeded", "partial"), run.message
    cert = Certificates(db, data).make(0)
    run, status = _run(app, db, "register_export")
    assert status == "succeeded", run.message
    cert = db.get(m.Certificate, cert.id)
    original = cert.registration_number
    copy = outcomes.order_duplicate(db, cert, "1")
    run, status = _run(app, db, "register_export")
    assert status == "succeeded" and run.updated_count == 1, run.message
    copy = db.get(m.Certificate, copy.id)
    assert copy.status == "registered" and copy.registration_number not in (None, original)
    stored = {c.registrinumber: c for c in sim.certificates()}
    assert stored[copy.registration_number].duplikaat and stored[copy.registration_number].duplicate_of == original
    assert stored[copy.registration_number].duplicate_reason == "1"

    outcomes.revoke_certificate(db, db.get(m.Certificate, cert.id), "Tunnistus anti välja ekslikult",
                                cert.issue_date)
    assert {c.revoked for c in db.scalars(select(m.Certificate))} == {True}  # the duplicate follows
    run, status = _run(app, db, "register_export")
    assert status == "succeeded" and (run.progress_total, run.updated_count) == (2, 2), run.message
    stored = {c.registrinumber: c for c in sim.certificates()}
    assert stored[original].kehtetu and stored[original].kehtetu_pohjus == "Tunnistus anti välja ekslikult"
    assert stored[copy.registration_number].kehtetu
    assert all(c.revocation_sent_at for c in db.scalars(select(m.Certificate)))
    run, status = _run(app, db, "register_export")
    assert status == "succeeded" and run.progress_total == 0


def test_the_register_gets_the_competences_passed(exam, login, db):
    submitted(login, exam)
    assert decide(login("ab1"), exam, [{"registration_id": exam.ids["regs"][0]}]).status_code == 200
    (cert,) = certificates(db, exam)
    assert passed_competence_ids(db, [cert.id]) == {cert.id: (1, 11)}


# --- appeals ------------------------------------------------------------------------------------

def _decided(exam, login, db):
    """r1 awarded (certificate registered), r2 refused; both confirmed on DAY."""
    submitted(login, exam)
    r1, r2, _ = exam.ids["regs"]
    response = decide(login("ab1"), exam, [{"registration_id": r1}, {"registration_id": r2, "legal_basis": "§ 15",
                                                                       "reasons": "Ei tõendanud"}])
    assert response.status_code == 200, response.json
    (cert,) = certificates(db, exam)
    with acting_as("register_export"):
        cert.status = "ready"
        db.flush()
        cert.status, cert.registration_number, cert.register_reference = "registered", "200777", "EKS-a-1"
        db.commit()
    decisions = {d.registration_id: d.id for d in db.scalars(select(m.Decision).where(
        m.Decision.registration_id.in_([r1, r2])))}
    return decisions[r1], decisions[r2], cert.id


def appeal(client, decision_id, filed, **kw):
    return client.api("post", "/api/v1/appeal/", json={
        "decision": decision_id, "filed_date": filed.isoformat(), "handling_body": "Kutsekoja vaidluskomisjon",
        "description": "Hindamine ei arvestanud juhendit", "outcome": "pending", **kw})


def test_appeal_within_30_days_later_only_with_a_reason(exam, login, db, t):
    award, refusal, _ = _decided(exam, login, db)
    ab1 = login("ab1")
    late = appeal(ab1, refusal, DAY + dt.timedelta(days=31))
    assert late.status_code == 422
    assert late.json["message"]["late_reason"] == [
        t("the appeal is filed more than 30 days after the decision: give a reason")]
    assert appeal(ab1, refusal, DAY + dt.timedelta(days=30)).status_code == 201
    with_reason = appeal(ab1, refusal, DAY + dt.timedelta(days=45), late_reason="Haiglaravil")
    assert with_reason.status_code == 201
    before = appeal(ab1, refusal, DAY - dt.timedelta(days=1))
    assert before.json["message"]["filed_date"] == [t("an appeal cannot be filed before the decision")]
    draft_world = appeal(ab1, exam.world.ids["d1"], dt.date(2026, 6, 25))
    assert draft_world.json["message"]["decision"] == [t("an appeal is filed against a confirmed decision")]
    assert appeal(login("ab2"), refusal, DAY).status_code == 422  # not a decision of theirs
    assert appeal(login("school1"), refusal, DAY).status_code == 403
    # the screen refuses it the same way, under the field
    page = ab1.post("/appealview/add", data={"decision": refusal, "filed_date": (DAY + dt.timedelta(days=40)).isoformat(),
                                             "outcome": "pending", "handling_body": "Kutsekoda"})
    assert t("the appeal is filed more than 30 days after the decision: give a reason") in text_of(page)
    assert db.scalar(select(func.count(m.Appeal.id)).where(m.Appeal.decision_id == refusal)) == 2


def test_an_upheld_appeal_leads_to_a_new_decision_and_the_certificate_follows(exam, login, db, t):
    award, refusal, cert_id = _decided(exam, login, db)
    ab1 = login("ab1")
    r1, r2, _ = exam.ids["regs"]
    # against the refusal: upheld -> a draft award; confirming it issues a certificate
    a = appeal(ab1, refusal, DAY + dt.timedelta(days=10)).json["id"]
    no_date = ab1.api("post", f"/api/v1/appeal/{a}/outcome", json={"outcome": "upheld"})
    assert no_date.json["message"]["outcome_date"] == [t("give the date of the appeal's outcome")]
    upheld = ab1.api("post", f"/api/v1/appeal/{a}/outcome", json={"outcome": "upheld", "outcome_date": "2026-10-20"})
    assert upheld.status_code == 200
    new = db.scalar(select(m.Decision).where(m.Decision.registration_id == r2, m.Decision.status == "draft"))
    assert (new.outcome, new.awarded_standard_id, new.decision_date) == ("award", exam.world.ids["s1"],
                                                                         dt.date(2026, 10, 20))
    final = ab1.api("put", f"/api/v1/appeal/{a}", json={"outcome": "dismissed"})
    assert final.status_code == 422  # decided appeals are final
    assert decide(ab1, exam, [{"registration_id": r2}], decision_date="2026-10-21").status_code == 200
    issued = [c for c in certificates(db, exam) if c.decision_id == new.id]
    assert len(issued) == 1 and issued[0].issue_date == dt.date(2026, 10, 21) and not issued[0].revoked
    # against the award: upheld, the new decision refuses -> the registered certificate is revoked
    b = appeal(ab1, award, DAY + dt.timedelta(days=5)).json["id"]
    assert ab1.api("put", f"/api/v1/appeal/{b}", json={"outcome": "upheld", "outcome_date": "2026-10-25"}
                   ).status_code == 200  # the generic edit follows the same path
    redo = db.scalar(select(m.Decision).where(m.Decision.registration_id == r1, m.Decision.status == "draft"))
    assert redo.outcome == "award"
    response = ab1.api("put", f"/api/v1/decision/{redo.id}", json={
        "outcome": "refuse", "legal_basis": "Kutseseadus § 15", "reasons": "Vaide alusel: hindamine oli vigane",
        "protocol_number": "PK-2026/9", "signer": exam.ids["signer"], "status": "confirmed"})
    assert response.status_code == 200, response.json
    db.expire_all()
    cert = db.get(m.Certificate, cert_id)
    assert cert.revoked and cert.revoked_date == redo.decision_date and cert.status == "registered"
    assert cert.revoked_reason == t("decision of %(date)s replaced after an appeal", date=DAY.strftime("%d.%m.%Y"))
    assert cert.revocation_sent_at is None  # the next export tells the register
    dismissed = appeal(ab1, redo.id, dt.date(2026, 10, 26)).json["id"]
    assert ab1.api("post", f"/api/v1/appeal/{dismissed}/outcome", json={
        "outcome": "dismissed", "outcome_date": "2026-11-02"}).status_code == 200
    assert db.scalar(select(func.count(m.Decision.id)).where(m.Decision.registration_id == r1)) == 2


# --- one workspace per role ---------------------------------------------------------------------

def _todo(client) -> dict[str, tuple[str, int]]:
    html = text_of(client.get("/"))
    rows = re.findall(r'<tr class="[^"]*"><td><a href="([^"]+)">([^<]+)</a></td><td class="text-right">'
                      r'<strong>(\d+)</strong>', html)
    return {label: (href, int(count)) for href, label, count in rows}


def test_each_role_lands_on_its_own_to_do_list(exam, login, db, t):
    with acting_as("test-setup"):
        ab1 = db.get(m.AwardingBody, exam.world.ids["ab1"])
        s1 = db.get(m.OccupationalStandard, exam.world.ids["s1"])
        draft = m.ExamSession(awarding_body=ab1, standard=s1, place_address="Tartu", starts_at=START,
                              ends_at=START + dt.timedelta(hours=2), status="draft")
        db.add_all([draft, m.JobRun(kind="graduate_import", status="failed", actor="system")])
        db.commit()
        draft_id = draft.id
    body = _todo(login("ab1"))
    assert body[t("Exam sessions to schedule (drafts)")][1] == 1
    # x1 has only a chair; the fresh session has a chair and two members
    assert body[t("Committees to compose (published sessions without a chair and two members)")][1] == 1
    assert body[t("Results to decide")] == ("/decide/", 0)
    assert body[t("Certificates to send to the register")][1] == 1  # the world's draft c1
    assert t("Candidates to confirm") not in body
    chair = _todo(login("assessor"))
    assert chair == {t("Exam sessions to grade"): ("/grid/", 2)}  # x1 and the fresh session
    submitted(login, exam)
    assert _todo(login("assessor"))[t("Exam sessions to grade")][1] == 1
    assert _todo(login("ab1"))[t("Results to decide")][1] == 3
    assert _todo(login("ab2"))[t("Results to decide")][1] == 0  # scoped: none of ab1's
    registry = _todo(login("registry"))
    assert registry[t("Failed job runs")][1] == 1 and "_flt_3_status=failed" in registry[t("Failed job runs")][0]
    school = _todo(login("school1"))
    assert set(school) == {t("Candidates to confirm"), t("Enrolments with a routing problem")}
    # the links lead to the filtered lists
    drafts = text_of(login("ab1").get(body[t("Exam sessions to schedule (drafts)")][0]))
    assert f"/examsessionview/show/{draft_id}" in drafts and f"/examsessionview/show/{exam.ids['x']}" not in drafts


def test_every_new_endpoint_and_screen_is_scoped(exam, login, db, t):
    """Another awarding body gets 404 everywhere; a school reads but never writes; an assessor
    reaches neither decisions nor certificates."""
    award, refusal, cert_id = _decided(exam, login, db)
    result_id = results(db, exam)[exam.ids["regs"][0]].id
    appeal_id = appeal(login("ab1"), refusal, DAY + dt.timedelta(days=3)).json["id"]
    x = exam.ids["x"]
    ab2, school2, assessor = login("ab2"), login("school2"), login("assessor")
    for client in (ab2, school2):
        for url in (f"/grid/{x}", f"/decide/{x}", f"/certificateview/duplicate/{cert_id}",
                    f"/certificateview/revoke/{cert_id}", f"/api/v1/result/grid/{x}", f"/api/v1/decision/session/{x}"):
            method = client.api if url.startswith("/api/") else client.get
            response = method("get", url) if url.startswith("/api/") else method(url)
            assert response.status_code in (403, 404), (client.username, url, response.status_code)
    for method, url, body in (
        ("post", f"/api/v1/result/{result_id}/reopen", {"reason": "x"}),
        ("post", f"/api/v1/decision/{award}/confirm", {}),
        ("post", f"/api/v1/decision/session/{x}", {}),
        ("post", f"/api/v1/certificate/{cert_id}/send", {}),
        ("post", f"/api/v1/certificate/{cert_id}/draft", {}),
        ("post", f"/api/v1/certificate/{cert_id}/duplicate", {"reason": "1"}),
        ("post", f"/api/v1/appeal/{appeal_id}/outcome", {"outcome": "dismissed", "outcome_date": "2026-10-01"}),
        ("put", f"/api/v1/result/grid/{x}", {"rows": []}),
    ):
        assert ab2.api(method, url, json=body).status_code == 404, url
        assert login("school1").api(method, url, json=body).status_code == 403, url
    assert ab2.get(f"/grid/reopen/{result_id}").status_code == 404
    for url in (f"/decide/{x}", "/decide/", f"/certificateview/show/{cert_id}"):
        assert assessor.get(url).status_code in (403, 404), url
    assert assessor.api("post", f"/api/v1/certificate/{cert_id}/send").status_code == 403
    # FAB actions re-fetch through the scope: ab2 cannot confirm or send ab1's records by id
    assert ab2.post("/decisionview/action_post", data={"action": "confirm", "rowid": [str(award)]}).status_code == 404
    assert ab2.post("/certificateview/action_post", data={"action": "send", "rowid": [str(cert_id)]}).status_code == 404
    # lists show only one's own sessions
    assert f"/decide/{x}" not in text_of(ab2.get("/decide/")) and f"/decide/{x}" in text_of(login("ab1").get("/decide/"))
    # the school reads its student's decision and certificate, and the decisions page read-only
    page = text_of(login("school1").get(f"/decide/{x}"))
    assert exam.names[0] in page and 'name="confirm_decisions"' not in page
    # nothing changed
    db.expire_all()
    assert db.get(m.Appeal, appeal_id).outcome == "pending" and db.get(m.Certificate, cert_id).status == "registered"


def test_a_rejected_certificate_is_fixed_and_sent_again(exam, login, db, t):
    submitted(login, exam)
    assert decide(login("ab1"), exam, [{"registration_id": exam.ids["regs"][0]}]).status_code == 200
    (cert,) = certificates(db, exam)
    assert login("ab1").api("post", f"/api/v1/certificate/{cert.id}/send").status_code == 200
    db.expire_all()
    with acting_as("register_export"):
        cert = db.get(m.Certificate, cert.id)
        cert.status, cert.register_errors = "rejected", "allkirjastaja: ei ole kutsekomisjoni liige"
        db.commit()
    ab1 = login("ab1")
    fixed = ab1.api("put", f"/api/v1/certificate/{cert.id}", json={"valid_to": "2030-09-24"})
    assert fixed.status_code == 200  # a rejected certificate is editable
    again = ab1.api("post", f"/api/v1/certificate/{cert.id}/send")
    assert again.status_code == 200 and again.json["result"]["status"] == "ready"
    db.expire_all()
    cert = db.get(m.Certificate, cert.id)
    assert cert.register_errors is None and cert.valid_to == dt.date(2030, 9, 24)
    # a result's status never changes through the generic API
    result_id = results(db, exam)[exam.ids["regs"][0]].id
    assert ab1.api("put", f"/api/v1/result/{result_id}", json={"status": "reopened"}).status_code in (400, 422)
    assert db.get(m.Result, result_id).status == "submitted"
