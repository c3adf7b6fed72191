"""Exam planning (issue 4, points 1–4): candidate lists and the joint application, exam sessions
and their status transitions, registrations, the assessment committee and assessor accounts —
through the REST API and through the screens, with every refusal rule and its message, and the
scoping of every new screen, action and endpoint.

Messages are Estonian (the default locale): the tests look for the names a message must carry
(person, candidate, session) and for the words of the rule.
"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from stdnum.ee import ik

from app import models as m
from app.audit import acting_as
from app.formatting import TALLINN
from app.services import exams
from app.validation import DomainValidationError
from tests.factories import CODES
from tests.test_validation import form_errors

TODAY = dt.datetime.now(TALLINN).date()


def code(birth: str, serial: int, sex: int = 3) -> str:
    """A valid isikukood: sex/century digit, YYMMDD, serial, check digit."""
    base = f"{sex}{birth}{serial:03d}"
    return base + ik.calc_check_digit(base + "0")  # it ignores the last digit


def at(days: int, hour: int = 9) -> dt.datetime:
    day = TODAY + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=TALLINN)


def text(response) -> str:
    return response.get_data(as_text=True)


def count(db, model, *where) -> int:
    db.rollback()
    return db.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def messages(response) -> str:
    """All refusal texts of a 422 answer, in one string."""
    assert response.status_code == 422, (response.status_code, response.json)
    return " ".join(msg for msgs in response.json["message"].values() for msg in msgs)


@pytest.fixture()
def w(world, db):
    """The shared world plus: ab1 candidates at both schools (e3 and e6 at school1, e4 at school2
    on a curriculum linked to s1, e5 at school1 not yet confirmed; e1 is confirmed and already in
    the world's open session x1), assessors (a kutsekomisjon member
    of ab1, a teacher of school1, an employer), and future sessions of ab1 for s1 (xa in 60 days,
    xb in 90 days, xs in 20 days) and a started one (xp)."""
    ids = world.ids
    with acting_as("test-setup"):
        get = db.get
        s1, ab1 = get(m.OccupationalStandard, ids["s1"]), get(m.AwardingBody, ids["ab1"])
        school1, school2 = get(m.School, ids["school1"]), get(m.School, ids["school2"])
        cur1 = get(m.Curriculum, ids["cur1"])
        cur3 = m.Curriculum(ehis_code=140003, school=school2, name="Kokk Ida-Virumaal", level_code=442)
        db.add(cur3)
        db.flush()
        db.add(m.CurriculumStandardLink(curriculum=cur3, standard=s1))
        people = {
            "p3": ("Kalle", "Kokk", code("000101", 11)), "p4": ("Ljudmila", "Ivanova", code("000202", 12, 6)),
            "p5": ("Peeter", "Pann", code("000303", 13)), "p6": ("Anu", "Ahi", code("000404", 14, 6)), "chair": ("Mari", "Maasikas", CODES["member1"]),
            "teacher": ("Tiina", "Õpetaja", code("700101", 21, 4)), "boss": ("Boris", "Tööandja", code("650505", 22)),
            "expert": ("Ene", "Ekspert", code("720707", 23, 4)),
        }
        persons = {k: m.Person(first_name=f, last_name=la, isikukood=c) for k, (f, la, c) in people.items()}
        db.add_all(persons.values())
        db.flush()
        e1 = get(m.Enrolment, ids["e1"])
        e1.candidate_confirmed, e1.exam_language = True, "et"
        enrol = {
            "e3": (persons["p3"], cur1, True), "e4": (persons["p4"], cur3, True), "e5": (persons["p5"], cur1, False),
            "e6": (persons["p6"], cur1, True),
        }
        for key, (person, cur, confirmed) in enrol.items():
            world.__dict__[key] = m.Enrolment(
                person=person, curriculum=cur, status="oppimas", expected_graduation=TODAY, standard=s1,
                awarding_body=ab1, study_language="et", candidate_confirmed=confirmed,
                exam_language="et" if confirmed else None)
            db.add(world.__dict__[key])

        def session(days, **kw):
            values = dict(awarding_body=ab1, standard=s1, place_school=school1, starts_at=at(days),
                          ends_at=at(days, 15), capacity=3, language="et", status="draft")
            values.update(kw)
            return m.ExamSession(**values)

        xa = session(60, registration_deadline=TODAY + dt.timedelta(days=40))
        xb = session(90, place_school=None, place_address="Pärnu mnt 1, Tallinn")
        xs = session(20)
        xp = session(-1, status="published")
        db.add_all([xa, xb, xs, xp])
        db.commit()
        ids.update({k: v.id for k, v in persons.items()})
        ids.update(e3=world.e3.id, e4=world.e4.id, e5=world.e5.id, e6=world.e6.id, cur3=cur3.id, xa=xa.id, xb=xb.id, xs=xs.id,
                   xp=xp.id)
    return world


def committee(db, w, session_key, *, with_member=True):
    """A complete committee: chair (kutsekomisjon member of ab1), an employer and an expert."""
    x = db.get(m.ExamSession, w.ids[session_key])
    rows = [("chair", "chair", "employer", "Kokkade Liit"), ("boss", "member", "employer", "Restoran OÜ")]
    if with_member:
        rows.append(("expert", "member", "other", "Toidukonsult OÜ"))
    for person, role, representation, employer in rows:
        exams.add_assessor(db, x, isikukood=db.get(m.Person, w.ids[person]).isikukood, role=role,
                           representation=representation, employer_name=employer)


# --- 1. candidate lists -------------------------------------------------------------------------------

def test_candidate_list_is_scoped_filtered_and_grouped(w, login):
    ab1 = login("ab1")
    listing = text(ab1.get("/candidateview/list/"))
    for name in ("Šmidt", "Kokk", "Ivanova", "Pann"):  # ab1's candidates at both schools
        assert name in listing, name
    assert "Kääriäinen" not in listing  # ab2's candidate
    # grouped without a chosen order: the standard, then the school (school1's before school2's)
    rows = listing[listing.index("/candidateview/show/"):]
    assert rows.index("Šmidt") < rows.index("Ivanova")
    school1 = text(login("school1").get("/candidateview/list/"))
    assert "Šmidt" in school1 and "Ivanova" not in school1 and "Kääriäinen" not in school1
    # filters: curriculum and graduation window (API: the same scope)
    api = ab1.api("get", f"/api/v1/candidate/?q=(filters:!((col:curriculum,opr:rel_o_m,value:{w.ids['cur3']})))")
    assert api.status_code == 200 and api.json["ids"] == [w.ids["e4"]]
    window = ab1.api("get", f"/api/v1/candidate/?q=(filters:!((col:expected_graduation,opr:gt,"
                            f"value:'{TODAY - dt.timedelta(days=1)}')))")
    assert set(window.json["ids"]) == {w.ids[k] for k in ("e3", "e4", "e5", "e6")}  # e1 graduated earlier
    assert w.ids["e2"] not in ab1.api("get", "/api/v1/candidate/?q=(page_size:100)").json["ids"]
    csv = text(ab1.get("/candidateview/export/csv"))
    assert "Šmidt" in csv and "Kääriäinen" not in csv
    # other organisations' candidates: 404 everywhere
    ab2 = login("ab2")
    assert ab2.get(f"/candidateview/show/{w.ids['e1']}").status_code == 404
    assert ab2.api("get", f"/api/v1/candidate/{w.ids['e1']}").status_code == 404
    assert login("school2").get(f"/candidateview/show/{w.ids['e1']}").status_code == 404
    # an assessor has no candidate list; nobody edits enrolments through it
    assert login("assessor").get("/candidateview/list/").status_code == 403
    assert login("school1").get(f"/candidateview/edit/{w.ids['e1']}").status_code == 403


def test_school_confirms_candidates_on_the_screen(w, db, login):
    c = login("school1")
    e3, e5 = w.ids["e3"], w.ids["e5"]
    response = c.post("/candidateview/action_post", data={"action": "confirm", "rowid": [str(e3), str(e5)]})
    assert response.status_code == 302 and f"ids={e3},{e5}" in response.location.replace("%2C", ",")
    page = c.get(f"/candidateview/confirm?ids={e3},{e5}")
    assert page.status_code == 200 and "Pann" in text(page)
    data = {f"exam_language-{e3}": "ru", f"exam_language-{e5}": "et", f"public_consent-{e3}": "y",
            f"special_arrangements_needed-{e5}": "y", f"special_arrangements-{e5}": ""}
    refused = c.post(f"/candidateview/confirm?ids={e3},{e5}", data=data)
    assert refused.status_code == 200
    assert "Peeter Pann: kirjeldage, milliseid eritingimusi kandidaat vajab" in text(refused)
    assert count(db, m.Enrolment, m.Enrolment.id == e5, m.Enrolment.candidate_confirmed) == 0  # all or nothing
    assert count(db, m.Enrolment, m.Enrolment.id == e3, m.Enrolment.exam_language == "ru") == 0
    data[f"special_arrangements-{e5}"] = "Lisaaeg 30 minutit"
    assert c.post(f"/candidateview/confirm?ids={e3},{e5}", data=data).status_code == 302
    db.rollback()
    e3_row, e5_row = db.get(m.Enrolment, e3), db.get(m.Enrolment, e5)
    assert (e3_row.exam_language, e3_row.public_consent, e3_row.special_arrangements_needed) == ("ru", True, False)
    assert e5_row.candidate_confirmed and e5_row.special_arrangements == "Lisaaeg 30 minutit"
    assert e5_row.confirmed_at is not None
    # another school's user: 404; an awarding body may not confirm (403)
    other = login("school2")
    assert other.get(f"/candidateview/confirm?ids={e3}").status_code == 404
    assert other.post("/candidateview/action_post", data={"action": "confirm", "rowid": [str(e3)]}).status_code == 404
    assert login("ab1").post("/candidateview/action_post",
                             data={"action": "confirm", "rowid": [str(e3)]}).status_code == 403


def test_school_confirms_candidates_through_the_api(w, db, login):
    c = login("school1")
    e5 = w.ids["e5"]
    bad = c.api("post", "/api/v1/candidate/confirm", json={"candidates": [{"id": e5, "exam_language": "xx"}]})
    assert "xx" in messages(bad)
    ok = c.api("post", "/api/v1/candidate/confirm", json={"candidates": [
        {"id": e5, "special_arrangements_needed": True, "special_arrangements": "Viipekeele tõlk",
         "public_consent": True}]})
    assert ok.status_code == 200 and ok.json["ids"] == [e5]
    db.rollback()
    row = db.get(m.Enrolment, e5)
    assert row.candidate_confirmed and row.exam_language == "et"  # the study language by default
    assert row.special_arrangements == "Viipekeele tõlk" and row.public_consent
    # school2 cannot confirm school1's candidates, an awarding body cannot confirm at all
    assert login("school2").api("post", "/api/v1/candidate/confirm",
                                json={"candidates": [{"id": e5}]}).status_code == 404
    assert login("ab1").api("post", "/api/v1/candidate/confirm", json={"candidates": [{"id": e5}]}).status_code == 403
    # a candidate not routed to any awarding body cannot be confirmed (the service's rule)
    row.awarding_body_id = None
    db.commit()
    with pytest.raises(DomainValidationError) as exc:
        exams.confirm_candidates(db, [(db.get(m.Enrolment, e5), {})])
    assert "Peeter Pann" in str(exc.value)


def test_bulk_confirmation_of_a_curriculum(w, db, login):
    c = login("school1")
    cur1 = w.ids["cur1"]
    # screen: the whole curriculum (e5 is its only unconfirmed candidate)
    response = c.post("/candidateview/confirm-curriculum", data={"curriculum": str(cur1), "public_consent": "y"})
    assert response.status_code == 302
    assert count(db, m.Enrolment, m.Enrolment.curriculum_id == cur1, m.Enrolment.candidate_confirmed.is_(False)) == 0
    assert db.get(m.Enrolment, w.ids["e5"]).public_consent
    # nothing left: refused with the curriculum's name, under the field
    again = c.post("/candidateview/confirm-curriculum", data={"curriculum": str(cur1)})
    assert again.status_code == 200 and "Kokk" in " ".join(form_errors(again).get("curriculum", []))
    api = c.api("post", "/api/v1/candidate/confirm_curriculum", json={"curriculum": cur1})
    assert "kinnitamata kandidaate" in messages(api)
    # school2's curriculum is not school1's to confirm: not offered, 404 in the API
    cur3 = w.ids["cur3"]
    assert c.post("/candidateview/confirm-curriculum", data={"curriculum": str(cur3)}).status_code == 200
    assert c.api("post", "/api/v1/candidate/confirm_curriculum", json={"curriculum": cur3}).status_code == 404
    # API with a graduation window that leaves e4 out, then one that takes it in
    other = login("school2")
    outside = other.api("post", "/api/v1/candidate/confirm_curriculum", json={
        "curriculum": cur3, "graduation_from": str(TODAY + dt.timedelta(days=1))})
    assert outside.status_code == 422
    db.get(m.Enrolment, w.ids["e4"]).candidate_confirmed = False
    db.commit()
    inside = other.api("post", "/api/v1/candidate/confirm_curriculum", json={
        "curriculum": cur3, "graduation_from": str(TODAY), "graduation_to": str(TODAY)})
    assert inside.status_code == 200 and inside.json["ids"] == [w.ids["e4"]]


# --- 2. exam sessions ---------------------------------------------------------------------------------

def _session_json(w, **values):
    payload = {"awarding_body": w.ids["ab1"], "standard": w.ids["s1"], "place_school": w.ids["school1"], "starts_at": at(70).isoformat(),
               "ends_at": at(70, 15).isoformat(), "language": "et", "capacity": 12,
               "registration_deadline": str(TODAY + dt.timedelta(days=50))}
    payload.update(values)
    return payload


def _session_form(w, **values):
    day = TODAY + dt.timedelta(days=70)
    data = {"awarding_body": str(w.ids["ab1"]), "standard": str(w.ids["s1"]), "place_school": str(w.ids["school1"]), "place_address": "",
            "starts_at": f"{day} 09:00:00", "ends_at": f"{day} 15:00:00", "language": "et", "capacity": "12",
            "registration_deadline": str(day - dt.timedelta(days=20))}
    data.update(values)
    return data


def test_session_creation_rules_on_the_api(w, db, login):
    c = login("ab1")
    before = count(db, m.ExamSession)
    # no right for the standard (s2 is ab2's)
    response = c.api("post", "/api/v1/exam_session/", json=_session_json(w, standard=w.ids["s2"]))
    assert response.status_code == 422, response.json
    assert "Eesti Peakokkade Ühendus" in messages(response) and "kutse andmise õigust" in messages(response)
    assert set(response.json["message"]) == {"standard"}
    # the right ends before the exam
    with acting_as("test-setup"):
        db.get(m.AwardingRight, w.ids["right1"]).valid_to = TODAY + dt.timedelta(days=30)
        db.commit()
    response = c.api("post", "/api/v1/exam_session/", json=_session_json(w))
    assert "kutse andmise õigust" in messages(response)
    # the standard version is not valid on the exam date
    with acting_as("test-setup"):
        db.get(m.AwardingRight, w.ids["right1"]).valid_to = None
        db.get(m.OccupationalStandard, w.ids["s1"]).valid_to = TODAY + dt.timedelta(days=30)
        db.commit()
    response = c.api("post", "/api/v1/exam_session/", json=_session_json(w))
    assert "ei kehti" in messages(response) and "Kokk, tase 4" in messages(response)
    with acting_as("test-setup"):
        db.get(m.OccupationalStandard, w.ids["s1"]).valid_to = None
        db.commit()
    # end before start, deadline after start, a specialisation of another standard
    response = c.api("post", "/api/v1/exam_session/", json=_session_json(
        w, ends_at=at(70, 8).isoformat(), registration_deadline=str(TODAY + dt.timedelta(days=71))))
    assert set(response.json["message"]) == {"ends_at", "registration_deadline"}
    response = c.api("post", "/api/v1/exam_session/", json=_session_json(w, partial_qualification=w.ids["partial2"]))
    assert "Barber" in messages(response)
    # only drafts are created
    assert c.api("post", "/api/v1/exam_session/", json=_session_json(w, status="published")).status_code == 422
    assert count(db, m.ExamSession) == before
    ok = c.api("post", "/api/v1/exam_session/", json=_session_json(w))
    assert ok.status_code == 201, ok.json
    assert db.get(m.ExamSession, ok.json["id"]).status == "draft"
    # the status is not edited directly
    put = c.api("put", f"/api/v1/exam_session/{ok.json['id']}", json={"status": "published"})
    assert put.status_code == 422
    assert db.get(m.ExamSession, ok.json["id"]).status == "draft"


def test_session_creation_rules_on_the_screen(w, db, login):
    c = login("ab1")
    form = text(c.get("/examsessionview/add"))
    assert 'name="status"' not in form and 'name="starts_at"' in form
    before = count(db, m.ExamSession)
    refused = c.post("/examsessionview/add", data=_session_form(w, standard=str(w.ids["s2"])))
    assert refused.status_code == 200
    assert "kutse andmise õigust" in " ".join(form_errors(refused)["standard"])
    refused = c.post("/examsessionview/add", data=_session_form(w, ends_at=f"{TODAY + dt.timedelta(days=70)} 08:00:00"))
    assert set(form_errors(refused)) == {"ends_at"}
    assert count(db, m.ExamSession) == before
    assert c.post("/examsessionview/add", data=_session_form(w)).status_code == 302
    assert count(db, m.ExamSession) == before + 1
    assert count(db, m.ExamSession, m.ExamSession.status == "draft", m.ExamSession.capacity == 12) == 1
    # edit: capacity below the registered candidates is refused
    xa = w.ids["xa"]
    exams.register(db, db.get(m.ExamSession, xa), [db.get(m.Enrolment, w.ids["e3"]), db.get(m.Enrolment, w.ids["e4"])])
    data = _session_form(w, capacity="1")
    day = TODAY + dt.timedelta(days=60)
    data.update(starts_at=f"{day} 09:00:00", ends_at=f"{day} 15:00:00", registration_deadline=str(day - dt.timedelta(days=20)))
    refused = c.post(f"/examsessionview/edit/{xa}", data=data)
    assert "2" in " ".join(form_errors(refused)["capacity"])


def test_status_transitions_with_committee_and_warning(w, db, login):
    c = login("ab1")
    xa, xs = w.ids["xa"], w.ids["xs"]
    # publishing needs the committee: refused on both paths, with the reason
    response = c.api("post", f"/api/v1/exam_session/{xa}/status", json={"status": "published"})
    assert "esimees ja vähemalt 2 liiget" in messages(response)
    page = c.post("/examsessionview/action_post", data={"action": "publish", "rowid": [str(xa)]},
                  follow_redirects=True)
    assert "esimees ja vähemalt 2 liiget" in text(page)
    assert db.get(m.ExamSession, xa).status == "draft"
    committee(db, w, "xa")
    assert c.api("get", f"/api/v1/exam_session/{xa}/committee").json["problems"] == []
    response = c.api("post", f"/api/v1/exam_session/{xa}/status", json={"status": "published"})
    assert response.status_code == 200 and response.json == {"id": xa, "status": "published", "warnings": []}
    # fewer than 45 days ahead: published, with a warning (API: "warnings"; screen: a warning message)
    committee(db, w, "xs")
    page = c.post("/examsessionview/action_post", data={"action": "publish", "rowid": [str(xs)]},
                  follow_redirects=True)
    assert "päeva pärast" in text(page) and "alert-warning" in text(page)
    db.rollback()
    assert db.get(m.ExamSession, xs).status == "published"
    exams.change_status(db, db.get(m.ExamSession, xs), "draft")
    response = c.api("post", f"/api/v1/exam_session/{xs}/status", json={"status": "published"})
    assert response.status_code == 200 and "20 päeva pärast" in response.json["warnings"][0]
    # illegal transitions: draft -> held, published -> closed (both paths)
    xb = w.ids["xb"]
    response = c.api("post", f"/api/v1/exam_session/{xb}/status", json={"status": "held"})
    assert "olekut ei saa muuta" in messages(response)
    response = c.api("post", f"/api/v1/exam_session/{xa}/status", json={"status": "closed"})
    assert "olekut ei saa muuta" in messages(response)
    page = c.post("/examsessionview/action_post", data={"action": "mark_held", "rowid": [str(xb)]},
                  follow_redirects=True)
    assert "olekut ei saa muuta" in text(page)
    db.rollback()
    assert db.get(m.ExamSession, xb).status == "draft" and db.get(m.ExamSession, xa).status == "published"
    # held only once started; a started, published session with its committee can be marked held
    response = c.api("post", f"/api/v1/exam_session/{xa}/status", json={"status": "held"})
    assert "ei ole veel alanud" in messages(response)
    # xp has started but has no committee: refused for that reason
    response = c.api("post", f"/api/v1/exam_session/{w.ids['xp']}/status", json={"status": "held"})
    assert "esimees" in messages(response)
    # back to draft only without registered candidates
    exams.register(db, db.get(m.ExamSession, xa), [db.get(m.Enrolment, w.ids["e3"])])
    response = c.api("post", f"/api/v1/exam_session/{xa}/status", json={"status": "draft"})
    assert "registreeritud 1 kandidaati" in messages(response)


def test_cancelling_needs_a_reason_and_withdraws_the_candidates(w, db, login):
    c = login("ab1")
    xa = w.ids["xa"]
    exams.register(db, db.get(m.ExamSession, xa), [db.get(m.Enrolment, w.ids["e3"])])
    response = c.api("post", f"/api/v1/exam_session/{xa}/status", json={"status": "cancelled"})
    assert set(response.json["message"]) == {"cancellation_reason"}
    assert c.post(f"/examsessionview/action/cancel/{xa}").status_code == 302
    refused = c.post(f"/examsessionview/cancel/{xa}", data={"reason": ""})
    assert refused.status_code == 200 and db.get(m.ExamSession, xa).status == "draft"
    done = c.post(f"/examsessionview/cancel/{xa}", data={"reason": "Hindajad haigestusid"})
    assert done.status_code == 302
    db.rollback()
    x = db.get(m.ExamSession, xa)
    assert x.status == "cancelled" and x.cancellation_reason == "Hindajad haigestusid"
    registration = db.execute(select(m.Registration).where(m.Registration.exam_session_id == xa)).scalar_one()
    assert registration.status == "withdrawn" and "Hindajad haigestusid" in registration.withdrawal_reason
    # a cancelled session no longer holds the candidate: e3 can be registered elsewhere
    exams.register(db, db.get(m.ExamSession, w.ids["xb"]), [db.get(m.Enrolment, w.ids["e3"])])


def test_other_awarding_body_cannot_touch_the_sessions(w, db, login):
    ab2 = login("ab2")
    xa = w.ids["xa"]
    assert ab2.api("post", f"/api/v1/exam_session/{xa}/status", json={"status": "cancelled", "reason": "x"}
                   ).status_code == 404
    assert ab2.api("get", f"/api/v1/exam_session/{xa}/committee").status_code == 404
    assert ab2.api("post", f"/api/v1/exam_session/{xa}/assessors", json={"isikukood": CODES["p2"]}).status_code == 404
    for action in ("publish", "mark_held", "unpublish", "check_committee"):
        assert ab2.post("/examsessionview/action_post", data={"action": action, "rowid": [str(xa)]}
                        ).status_code == 404, action
    assert ab2.post(f"/examsessionview/action/cancel/{xa}").status_code == 404
    assert ab2.get(f"/examsessionview/cancel/{xa}").status_code == 404
    assert ab2.post(f"/examsessionview/cancel/{xa}", data={"reason": "x"}).status_code == 404
    assert ab2.get(f"/examsessionview/assessor/{xa}").status_code == 404
    # a school (read only) may not change statuses
    school1 = login("school1")
    assert school1.api("post", f"/api/v1/exam_session/{w.ids['x1']}/status", json={"status": "held"}
                       ).status_code == 403
    assert db.get(m.ExamSession, xa).status == "draft"


# --- 3. registrations ---------------------------------------------------------------------------------

def test_bulk_registration_capacity_and_one_open_session(w, db, login):
    c = login("ab1")
    xa, xb = w.ids["xa"], w.ids["xb"]
    with acting_as("test-setup"):
        db.get(m.ExamSession, xa).capacity = 2
        db.commit()
    e1, e3, e4, e5, e6 = (w.ids[k] for k in ("e1", "e3", "e4", "e5", "e6"))
    # three candidates, two places: all or nothing, the candidate over capacity named
    response = c.api("post", "/api/v1/candidate/assign", json={"exam_session": xa, "candidates": [e6, e3, e4]})
    assert "on täis" in messages(response) and "Ljudmila Ivanova" in messages(response)
    assert count(db, m.Registration, m.Registration.exam_session_id == xa) == 0
    # not confirmed by the school
    response = c.api("post", "/api/v1/candidate/assign", json={"exam_session": xa, "candidates": [e5]})
    assert "Peeter Pann" in messages(response) and "ei ole kinnitanud" in messages(response)
    # two fit
    response = c.api("post", "/api/v1/candidate/assign", json={"exam_session": xa, "candidates": [e6, e3]})
    assert response.status_code == 200 and len(response.json["ids"]) == 2
    registration = db.get(m.Registration, response.json["ids"][0])
    assert registration.exam_language == "et" and registration.school_id == w.ids["school1"]
    # one open session per standard: e1 is in x1 (the world's), e3 in xa, so neither in xb (screen: the form)
    assert c.post("/candidateview/action_post", data={"action": "assign", "rowid": [str(e1)]}).status_code == 302
    refused = c.post(f"/candidateview/assign?ids={e1},{e3}", data={"exam_session": str(xb)})
    assert refused.status_code == 200
    page = text(refused)
    assert "Õnne-Liis Šmidt" in page and "Kalle Kokk" in page and "ainult ühel avatud kutseeksamil" in page
    assert "Kokk, tase 4 10.06.2026" in page  # the session that holds e1
    ok = c.post(f"/candidateview/assign?ids={e4}", data={"exam_session": str(xb)})
    assert ok.status_code == 302
    assert count(db, m.Registration, m.Registration.exam_session_id == xb) == 1
    # a session of another awarding body is not offered, and unknown to the API
    assert c.post(f"/candidateview/assign?ids={e4}", data={"exam_session": str(w.ids["x2"])}).status_code == 200
    assert c.api("post", "/api/v1/candidate/assign", json={"exam_session": w.ids["x2"], "candidates": [e4]}
                 ).status_code == 404
    # ab2 cannot assign ab1's candidates; a school cannot assign at all
    assert login("ab2").api("post", "/api/v1/candidate/assign", json={"exam_session": w.ids["x2"], "candidates": [e4]}
                            ).status_code == 404
    assert login("ab2").post("/candidateview/action_post", data={"action": "assign", "rowid": [str(e4)]}
                             ).status_code == 404
    assert login("school1").api("post", "/api/v1/candidate/assign", json={"exam_session": xa, "candidates": [e1]}
                                ).status_code == 403


def test_single_registration_through_the_api_and_the_form(w, db, login):
    c = login("ab1")
    xa, xb, xp = w.ids["xa"], w.ids["xb"], w.ids["xp"]
    e1, e3 = w.ids["e6"], w.ids["e3"]
    held = c.api("post", "/api/v1/registration/", json={"exam_session": xa, "enrolment": w.ids["e1"]})
    assert "ainult ühel avatud kutseeksamil" in messages(held)  # e1 is in the world's x1
    ok = c.api("post", "/api/v1/registration/", json={"exam_session": xa, "enrolment": e1})
    assert ok.status_code == 201, ok.json
    twice = c.api("post", "/api/v1/registration/", json={"exam_session": xb, "enrolment": e1})
    assert "ainult ühel avatud kutseeksamil" in messages(twice) and "Anu Ahi" in messages(twice)
    started = c.api("post", "/api/v1/registration/", json={"exam_session": xp, "enrolment": e3})
    assert "on juba alanud" in messages(started)
    with acting_as("test-setup"):
        db.get(m.ExamSession, xa).capacity = 1
        db.commit()
    full = c.api("post", "/api/v1/registration/", json={"exam_session": xa, "enrolment": e3})
    assert "on täis" in messages(full)
    # the form: the same rules, under the fields
    refused = c.post("/registrationview/add", data={"exam_session": str(xa), "enrolment": str(e3), "exam_language": ""})
    assert refused.status_code == 200 and "on täis" in " ".join(form_errors(refused)["exam_session"])
    assert c.post("/registrationview/add", data={"exam_session": str(xb), "enrolment": str(e3),
                                                 "exam_language": ""}).status_code == 302
    assert count(db, m.Registration, m.Registration.enrolment_id == e3, m.Registration.exam_session_id == xb) == 1
    # moving a registration to another session is checked like a new one; the status is not editable
    reg = db.execute(select(m.Registration).where(m.Registration.enrolment_id == e1)).scalar_one()
    moved = c.api("put", f"/api/v1/registration/{reg.id}", json={"exam_session": xp})
    assert "on juba alanud" in messages(moved)
    assert c.api("put", f"/api/v1/registration/{reg.id}", json={"status": "withdrawn"}).status_code == 422


def test_school_sees_where_and_when_its_students_sit_the_exam(w, db, login):
    exams.register(db, db.get(m.ExamSession, w.ids["xb"]), [db.get(m.Enrolment, w.ids["e3"])])
    listing = text(login("school1").get("/registrationview/list/"))
    day = (TODAY + dt.timedelta(days=90)).strftime("%d.%m.%Y")
    assert "Pärnu mnt 1, Tallinn" in listing and f"{day} 09:00" in listing
    api = login("school1").api("get", "/api/v1/registration/").json["result"]
    assert any(r["exam_place"] == "Pärnu mnt 1, Tallinn" for r in api)
    assert "Pärnu mnt 1" not in text(login("school2").get("/registrationview/list/"))


def test_withdrawal_before_the_exam_with_a_reason(w, db, login):
    c = login("ab1")
    [reg] = exams.register(db, db.get(m.ExamSession, w.ids["xa"]), [db.get(m.Enrolment, w.ids["e3"])])
    pk = reg.id
    response = c.api("post", f"/api/v1/registration/{pk}/withdraw", json={"reason": " "})
    assert set(response.json["message"]) == {"withdrawal_reason"}
    assert login("ab2").api("post", f"/api/v1/registration/{pk}/withdraw", json={"reason": "x"}).status_code == 404
    assert login("ab2").post(f"/registrationview/withdraw/{pk}", data={"reason": "x"}).status_code == 404
    assert login("school1").api("post", f"/api/v1/registration/{pk}/withdraw", json={"reason": "x"}).status_code == 403
    assert c.post(f"/registrationview/action/withdraw/{pk}").status_code == 302
    assert c.post(f"/registrationview/withdraw/{pk}", data={"reason": "Haigus"}).status_code == 302
    db.rollback()
    assert db.get(m.Registration, pk).status == "withdrawn" and db.get(m.Registration, pk).withdrawal_reason == "Haigus"
    again = c.api("post", f"/api/v1/registration/{pk}/withdraw", json={"reason": "x"})
    assert "on juba tagasi võetud" in messages(again)
    # registered again on the same row
    [again_reg] = exams.register(db, db.get(m.ExamSession, w.ids["xa"]), [db.get(m.Enrolment, w.ids["e3"])])
    assert again_reg.id == pk and again_reg.status == "registered" and again_reg.withdrawal_reason is None
    # after the exam has started: refused
    started = db.get(m.Registration, w.ids["r1"])  # x1 started in June
    response = c.api("post", f"/api/v1/registration/{started.id}/withdraw", json={"reason": "Haigus"})
    assert "enne eksami algust" in messages(response)


# --- 4. the assessment committee -----------------------------------------------------------------------

def test_conflicts_of_interest_both_ways(w, db, login):
    c = login("ab1")
    xa = w.ids["xa"]
    exams.register(db, db.get(m.ExamSession, xa), [db.get(m.Enrolment, w.ids["e3"])])  # a school1 student
    # by personal code (the API's way to put a person not known to the awarding body yet)
    by_code = c.api("post", f"/api/v1/exam_session/{xa}/assessors", json={
        "isikukood": db.get(m.Person, w.ids["teacher"]).isikukood, "role": "member", "representation": "teacher",
        "employer_school": w.ids["school1"]})
    assert "Tiina Õpetaja" in messages(by_code) and "Kalle Kokk" in messages(by_code)
    # Tiina sits on xb (no candidates): from now on she is a person ab1 knows, offered in the forms
    exams.add_assessor(db, db.get(m.ExamSession, w.ids["xb"]), isikukood=db.get(m.Person, w.ids["teacher"]).isikukood,
                       representation="teacher", employer_school=db.get(m.School, w.ids["school1"]))
    teacher = {"exam_session": xa, "person": w.ids["teacher"], "role": "member", "representation": "teacher",
               "employer_school": w.ids["school1"]}
    response = c.api("post", "/api/v1/assessor_assignment/", json=teacher)
    text_ = messages(response)
    assert "Tiina Õpetaja" in text_ and "Kalle Kokk" in text_ and "huvide konflikt" in text_
    assert "Tallinna Teeninduskool" in text_ and set(response.json["message"]) == {"employer_school"}
    form = {k: str(v) for k, v in teacher.items()} | {"employer_name": ""}
    refused = c.post("/assessorview/add", data=form)
    assert "huvide konflikt" in " ".join(form_errors(refused)["employer_school"])
    # the other way round: the teacher of school2 sits first, then school2's student is refused
    teacher2 = {**teacher, "employer_school": w.ids["school2"]}
    assert c.api("post", "/api/v1/assessor_assignment/", json=teacher2).status_code == 201
    response = c.api("post", "/api/v1/registration/", json={"exam_session": xa, "enrolment": w.ids["e4"]})
    assert "Tiina Õpetaja" in messages(response) and "Ljudmila Ivanova" in messages(response)
    assert "huvide konflikt" in messages(response)
    with pytest.raises(DomainValidationError):
        exams.register(db, db.get(m.ExamSession, xa), [db.get(m.Enrolment, w.ids["e4"])])
    # one person, one role: twice on the committee, or a candidate assessing their own session
    twice = c.api("post", "/api/v1/assessor_assignment/", json={**teacher2, "role": "chair"})
    assert "Tiina Õpetaja" in messages(twice) and "üks roll" in messages(twice)
    candidate = c.api("post", f"/api/v1/exam_session/{xa}/assessors", json={
        "isikukood": db.get(m.Person, w.ids["p3"]).isikukood, "role": "member", "representation": "employee",
        "employer_name": "Kohvik OÜ"})
    assert "Kalle Kokk" in messages(candidate) and "üks roll" in messages(candidate)
    # employer organisation and a second chair
    no_employer = c.api("post", f"/api/v1/exam_session/{xa}/assessors", json={
        "isikukood": db.get(m.Person, w.ids["boss"]).isikukood, "role": "chair", "representation": "employer"})
    assert set(no_employer.json["message"]) == {"employer_name"} and "Boris Tööandja" in messages(no_employer)
    committee(db, w, "xa")
    second_chair = c.api("post", f"/api/v1/exam_session/{xa}/assessors", json={
        "isikukood": code("800808", 31), "first_name": "Uus", "last_name": "Esimees", "role": "chair",
        "representation": "employee", "employer_name": "Hotell AS"})
    assert "Mari Maasikas" in messages(second_chair)


def test_a_kutsekomisjon_member_is_required_where_the_body_says_so(w, db, login):
    c = login("ab1")
    xa = w.ids["xa"]
    with acting_as("test-setup"):
        db.get(m.AwardingBody, w.ids["ab1"]).committee_member_required = True
        db.commit()
    x = db.get(m.ExamSession, xa)
    for key, role in (("boss", "chair"), ("teacher", "member"), ("expert", "member")):
        exams.add_assessor(db, x, isikukood=db.get(m.Person, w.ids[key]).isikukood, role=role,
                           representation="employer", employer_name="Firma OÜ")
    response = c.api("post", f"/api/v1/exam_session/{xa}/status", json={"status": "published"})
    assert "kutsekomisjoni liige" in messages(response) and "Eesti Peakokkade Ühendus" in messages(response)
    # Mari Maasikas (a member of ab1's kutsekomisjon, by personal code) joins: publishable
    exams.add_assessor(db, db.get(m.ExamSession, xa), isikukood=CODES["member1"], role="member",
                       representation="employer", employer_name="Kokkade Liit")
    response = c.api("post", f"/api/v1/exam_session/{xa}/status", json={"status": "published"})
    assert response.status_code == 200, response.json


def test_committee_on_the_screens(w, db, login):
    c = login("ab1")
    xa = w.ids["xa"]
    assert c.post(f"/examsessionview/action/add_assessor/{xa}").status_code == 302
    data = {"isikukood": code("810909", 41), "first_name": "", "last_name": "", "role": "chair",
            "representation": "employer", "employer_name": "Hotell AS", "employer_school": ""}
    refused = c.post(f"/examsessionview/assessor/{xa}", data=data)
    assert refused.status_code == 200 and count(db, m.AssessorAssignment,
                                                m.AssessorAssignment.exam_session_id == xa) == 0
    data.update(first_name="Uno", last_name="Uustulnuk")
    assert c.post(f"/examsessionview/assessor/{xa}", data=data).status_code == 302
    assert db.execute(select(m.Person).where(m.Person.isikukood == data["isikukood"])).scalar_one().last_name == "Uustulnuk"
    page = c.post(f"/examsessionview/action/check_committee/{xa}", follow_redirects=True)
    assert "esimees ja vähemalt 2 liiget" in text(page)
    # editing an assignment is checked too: the chair may not become a teacher of the candidate's school
    exams.register(db, db.get(m.ExamSession, xa), [db.get(m.Enrolment, w.ids["e3"])])
    a = db.execute(select(m.AssessorAssignment).where(m.AssessorAssignment.exam_session_id == xa)).scalar_one()
    edit = {"exam_session": str(xa), "person": str(a.person_id), "role": "chair", "representation": "teacher",
            "employer_name": "", "employer_school": str(w.ids["school1"])}
    refused = c.post(f"/assessorview/edit/{a.id}", data=edit)
    assert "Kalle Kokk" in " ".join(form_errors(refused)["employer_school"])
    assert c.api("put", f"/api/v1/assessor_assignment/{a.id}", json={"employer_school": w.ids["school1"]}
                 ).status_code == 422
    # ab2 cannot see or add to ab1's committee
    assert login("ab2").post(f"/examsessionview/assessor/{xa}", data=data).status_code == 404


def test_assessed_by_names_the_assignment(w, db):
    registration = db.get(m.Registration, w.ids["r1"])
    assignment = exams.assessed_by(CODES["assessor"], registration)
    assert assignment is not None and assignment.id == w.ids["a1"]
    assert exams.assessed_by(CODES["member1"], registration) is None
    assert exams.assessed_by(CODES["assessor"], db.get(m.Registration, w.ids["r2"])) is None


def test_assessor_account_from_an_assignment(w, db, login, app):
    c = login("ab1")
    xa = w.ids["xa"]
    exams.add_assessor(db, db.get(m.ExamSession, xa), isikukood=db.get(m.Person, w.ids["boss"]).isikukood,
                       role="chair", representation="employer", employer_name="Restoran OÜ")
    a = db.execute(select(m.AssessorAssignment).where(m.AssessorAssignment.exam_session_id == xa)).scalar_one()
    assert login("ab2").api("post", f"/api/v1/assessor_assignment/{a.id}/account",
                            json={"email": "boris@example.ee"}).status_code == 404
    assert login("ab2").post(f"/assessorview/account/{a.id}", data={"email": "boris@example.ee"}).status_code == 404
    assert "e-posti" in messages(c.api("post", f"/api/v1/assessor_assignment/{a.id}/account", json={"email": "x"}))
    response = c.api("post", f"/api/v1/assessor_assignment/{a.id}/account", json={"email": "boris@example.ee"})
    assert response.status_code == 201, response.json
    username, password = response.json["username"], response.json["password"]
    assert username == db.get(m.Person, w.ids["boss"]).isikukood and len(password) >= 12
    # the new assessor logs in and sees exactly the sessions of their committees
    from tests.conftest import Client

    assessor = Client(app, username, password)
    assert assessor.api("get", "/api/v1/exam_session/").json["ids"] == [xa]
    again = c.api("post", f"/api/v1/assessor_assignment/{a.id}/account", json={"email": "boris2@example.ee"})
    assert "hindaja konto" in messages(again)
    # the screen: the world's assessor already has an account
    page = c.post(f"/assessorview/account/{w.ids['a1']}", data={"email": "ants@example.ee"})
    assert page.status_code == 200 and "hindaja konto" in text(page)


def test_service_refusals_write_nothing(w, db):
    """A refused bulk registration leaves no half-written rows and no held locks."""
    x = db.get(m.ExamSession, w.ids["xa"])
    enrolments = [db.get(m.Enrolment, w.ids[k]) for k in ("e3", "e5")]
    with pytest.raises(DomainValidationError) as exc:
        exams.register(db, x, enrolments)
    assert [field for field, _ in exc.value.errors] == ["enrolment"]
    assert count(db, m.Registration, m.Registration.exam_session_id == w.ids["xa"]) == 0
    rows = exams.register(db, db.get(m.ExamSession, w.ids["xa"]), [db.get(m.Enrolment, w.ids["e3"])])
    assert [r.status for r in rows] == ["registered"]


def test_planning_records_are_deleted_only_while_nothing_depends_on_them(w, db, login):
    c = login("ab1")
    xa, xb = w.ids["xa"], w.ids["xb"]
    [reg] = exams.register(db, db.get(m.ExamSession, xa), [db.get(m.Enrolment, w.ids["e3"])])
    with acting_as("test-setup"):
        db.get(m.ExamSession, w.ids["x1"]).status = "held"  # the world's r1 and a1 are on x1
        db.commit()
    # a session with a candidate is cancelled, not deleted (API and screen)
    response = c.api("delete", f"/api/v1/exam_session/{xa}")
    assert "Kokk, tase 4" in messages(response)
    page = c.post(f"/examsessionview/delete/{xa}", follow_redirects=True)
    assert "tühistage" in text(page)
    # a registration of a published or held session is withdrawn with a reason, not deleted;
    # a held session's committee stays
    assert "Õnne-Liis Šmidt" in messages(c.api("delete", f"/api/v1/registration/{w.ids['r1']}"))
    assert "toimunud" in messages(c.api("delete", f"/api/v1/assessor_assignment/{w.ids['a1']}"))
    assert count(db, m.Registration, m.Registration.id == w.ids["r1"]) == 1
    assert count(db, m.AssessorAssignment, m.AssessorAssignment.id == w.ids["a1"]) == 1
    # while the session is a draft, a registration may go; then a bare draft may go too
    assert c.api("delete", f"/api/v1/registration/{reg.id}").status_code == 200
    assert c.api("delete", f"/api/v1/exam_session/{xa}").status_code == 200
    assert c.api("delete", f"/api/v1/exam_session/{xb}").status_code == 200
    assert count(db, m.ExamSession, m.ExamSession.id.in_([xa, xb])) == 0


def test_concurrent_registrations_keep_capacity_and_one_open_session(app, w, db):
    """Two requests at once: the session row and the person row are locked before counting, so
    the last place and the one open session per standard go to exactly one of them."""
    import threading

    with acting_as("test-setup"):
        db.get(m.ExamSession, w.ids["xa"]).capacity = 1
        db.commit()

    def race(pairs):
        barrier, outcomes = threading.Barrier(len(pairs)), []

        def run(session_key, enrolment_key):
            with app.app_context():
                session = app.appbuilder.session
                try:
                    x, e = session.get(m.ExamSession, w.ids[session_key]), session.get(m.Enrolment, w.ids[enrolment_key])
                    barrier.wait()
                    exams.register(session, x, [e])
                    outcomes.append("ok")
                except DomainValidationError as exc:
                    outcomes.append(str(exc))
                finally:
                    session.remove()

        threads = [threading.Thread(target=run, args=pair) for pair in pairs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        return outcomes

    # two candidates, one place
    outcomes = race([("xa", "e3"), ("xa", "e6")])
    assert sorted(o == "ok" for o in outcomes) == [False, True], outcomes
    assert "on täis" in next(o for o in outcomes if o != "ok")
    # one candidate, two sessions of the same standard
    outcomes = race([("xb", "e4"), ("xs", "e4")])
    assert sorted(o == "ok" for o in outcomes) == [False, True], outcomes
    assert "ainult ühel avatud kutseeksamil" in next(o for o in outcomes if o != "ok")
    db.rollback()
    assert count(db, m.Registration, m.Registration.exam_session_id == w.ids["xa"]) == 1
    assert count(db, m.Registration, m.Registration.enrolment_id == w.ids["e4"]) == 1


def test_planning_pages_are_estonian(w, db, login):
    """The new screens and forms, as the awarding body and as the school: no English UI words."""
    from tests.test_i18n import check_page

    [reg] = exams.register(db, db.get(m.ExamSession, w.ids["xa"]), [db.get(m.Enrolment, w.ids["e3"])])
    committee(db, w, "xb")
    a = db.execute(select(m.AssessorAssignment).where(m.AssessorAssignment.exam_session_id == w.ids["xb"])).scalars().first()
    problems: list[str] = []
    ab1, school1 = login("ab1"), login("school1")
    check_page(ab1, "/candidateview/list/", ["Kandidaadid", "Registreeri kutseeksamile"], problems)
    check_page(ab1, f"/candidateview/assign?ids={w.ids['e6']}", ["Eksamisessioon", "Loobu"], problems)
    check_page(ab1, f"/examsessionview/show/{w.ids['xa']}", ["Avalda", "Tühista kutseeksam", "Lisa hindaja"], problems)
    check_page(ab1, f"/examsessionview/cancel/{w.ids['xa']}", ["Tühistamise põhjus"], problems)
    check_page(ab1, f"/examsessionview/assessor/{w.ids['xa']}", ["Isikukood", "Esindab"], problems)
    check_page(ab1, f"/registrationview/withdraw/{reg.id}", ["Loobumise põhjus"], problems)
    check_page(ab1, f"/assessorview/account/{a.id}", ["Loo hindaja kasutajakonto"], problems)
    check_page(school1, "/candidateview/list/", ["Kinnita kandidaatideks"], problems)
    check_page(school1, f"/candidateview/confirm?ids={w.ids['e5']}", ["Ühistaotlus", "Eksamikeel"], problems)
    check_page(school1, "/candidateview/confirm-curriculum", ["Lõpetab alates"], problems)
    check_page(school1, "/registrationview/list/", ["Eksami aeg", "Eksami toimumiskoht"], problems)
    assert not problems, "\n".join(problems)
