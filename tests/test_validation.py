"""Validation as a user meets it: a form shows the error under the field and keeps what was typed,
the REST API answers 422 naming the field, and code that bypasses both (jobs, imports) is stopped
by the flush guard. Nothing invalid is ever stored.

Messages are asserted by field and presence only, except in the one test marked ESTONIAN, which
checks the translated text (it needs the compiled catalogue, ``bash scripts/i18n``).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import lxml.html
import pytest
from babel.support import Translations
from sqlalchemy import func, select
from stdnum.ee import ik
from stdnum.ee import registrikood as rk

from app import models as m
from app.audit import acting_as
from app.validation import DomainValidationError

# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def cheap_password_hashes(app, monkeypatch):
    """Password hashing is not under test in these modules; FAB's default scrypt costs ~0.1 s per
    test user created and per login. (Imported by the other modules of this group.)"""
    monkeypatch.setitem(app.config, "FAB_PASSWORD_HASH_METHOD", "pbkdf2:sha256:1000")


def _tree(response):
    return lxml.html.fromstring(response.get_data(as_text=True))


def form_errors(response) -> dict[str, list[str]]:
    """Errors shown inside the form, keyed by the name of the field they are shown under."""
    errors: dict[str, list[str]] = {}
    for alert in _tree(response).xpath('//form//div[contains(@class, "alert-danger")]'):
        field = alert.xpath('preceding::*[self::input or self::select or self::textarea][@name][1]')
        name = field[0].get("name") if field else "?"
        errors.setdefault(name, []).append(" ".join(alert.text_content().split()))
    return errors


def field_value(response, name: str) -> str | None:
    """What the re-rendered form shows in a field (the user's input must survive an error)."""
    found = _tree(response).xpath(f'//form//*[@name="{name}"]')
    assert found, f"no field {name!r} in the form"
    element = found[0]
    if element.tag == "textarea":
        return (element.text or "").removeprefix("\n")  # HTML drops the newline after <textarea>
    if element.tag == "select":
        selected = element.xpath('.//option[@selected]')
        return selected[0].get("value") if selected else None
    return element.get("value")


def count(db, model, *where) -> int:
    db.expire_all()
    return db.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def assert_refused(response, data: dict, fields: set[str], kept: tuple[str, ...] | None = None):
    """The form came back (not a redirect), with an error under each of ``fields``, and every
    typed value in ``kept`` (default: all text inputs posted) still in its field."""
    assert response.status_code == 200, response.status_code
    errors = form_errors(response)
    assert fields <= set(errors), f"expected errors under {fields}, got {errors}"
    assert all(errors[f] and all(errors[f]) for f in fields)
    for name in kept if kept is not None else data:
        assert field_value(response, name) == str(data[name]), name


BAD_CODES = {
    "checksum": "38001085719",
    "length": "3800108571",
    "letters": "3800108571A",
}
NEW_CODE = "49505051235"  # valid, not in the world
BAD_RK = "80033339"  # registrikood with a wrong check digit
NEW_RK = "80033338"


def test_test_codes_are_what_they_claim():
    assert ik.is_valid("38001085718") and ik.is_valid("60001019906") and ik.is_valid(NEW_CODE)
    assert not any(ik.is_valid(code) for code in BAD_CODES.values())
    assert rk.is_valid(NEW_RK) and not rk.is_valid(BAD_RK)


# --- Person: form, API -----------------------------------------------------------------------


def test_person_form_refuses_invalid_isikukood(world, login, db):
    client = login("registry")
    before = count(db, m.Person)
    for code in BAD_CODES.values():
        data = {"isikukood": code, "first_name": "Mari-Liis", "last_name": "Tamm", "birth_date": "1980-01-08"}
        response = client.post("/personview/add", data=data)
        assert_refused(response, data, {"isikukood"})
        assert set(form_errors(response)) == {"isikukood"}, code
    # Neither a code nor a birth date: the error is under the birth date.
    data = {"isikukood": "", "first_name": "John", "last_name": "Smith", "birth_date": ""}
    response = client.post("/personview/add", data=data)
    assert_refused(response, data, {"birth_date"}, kept=("first_name", "last_name"))
    assert count(db, m.Person) == before
    # The same form with a valid code is stored: the refusals were about the code.
    data = {"isikukood": NEW_CODE, "first_name": "Mari-Liis", "last_name": "Tamm", "birth_date": ""}
    assert client.post("/personview/add", data=data).status_code == 302
    assert count(db, m.Person, m.Person.isikukood == NEW_CODE) == 1


def test_persons_without_isikukood_can_be_added(world, login, db):
    """Foreign students have no isikukood: a blank code is "none", not a value that must be unique."""
    client = login("registry")
    for first, birth in (("John", "1999-02-03"), ("Jane", "2000-04-05")):
        data = {"isikukood": "", "first_name": first, "last_name": "Smith", "birth_date": birth}
        response = client.post("/personview/add", data=data)
        assert response.status_code == 302, form_errors(response)
    assert count(db, m.Person, m.Person.last_name == "Smith", m.Person.isikukood.is_(None)) == 2


def test_person_api_refuses_invalid_isikukood(world, login, db):
    client = login("registry")
    before = count(db, m.Person)
    for code in BAD_CODES.values():
        response = client.api("post", "/api/v1/person/",
                              json={"isikukood": code, "first_name": "Mari", "last_name": "Tamm"})
        assert response.status_code == 422, response.json
        message = response.json["message"]
        assert list(message) == ["isikukood"], code
        assert isinstance(message["isikukood"], list) and message["isikukood"][0]
    assert count(db, m.Person) == before
    # An update is checked too.
    pk = world.ids["p1"]
    response = client.api("put", f"/api/v1/person/{pk}", json={"isikukood": BAD_CODES["checksum"]})
    assert response.status_code == 422, response.json
    assert "isikukood" in response.json["message"]
    assert count(db, m.Person, m.Person.id == pk, m.Person.isikukood == "38001085718") == 1
    # A valid code is accepted.
    response = client.api("post", "/api/v1/person/",
                          json={"isikukood": NEW_CODE, "first_name": "Mari", "last_name": "Tamm"})
    assert response.status_code == 201, response.json
    assert count(db, m.Person, m.Person.isikukood == NEW_CODE) == 1


# --- registrikood on awarding bodies and schools ----------------------------------------------

ORGANISATIONS = {
    "awarding_body": (m.AwardingBody, "/awardingbodyview/add", "/api/v1/awarding_body/",
                      {"name": "Eesti Pagarite Liit", "exam_languages": "et"}),
    "school": (m.School, "/schoolview/add", "/api/v1/school/",
               {"name": "Pärnu Kutsehariduskeskus", "ehis_id": "777", "status": "open"}),
}


@pytest.mark.parametrize("kind", ORGANISATIONS)
def test_organisation_refuses_invalid_registrikood(world, login, db, kind):
    model, url, api, extra = ORGANISATIONS[kind]
    client = login("registry")
    before = count(db, model)
    data = {**extra, "registrikood": BAD_RK}
    response = client.post(url, data=data)
    assert_refused(response, data, {"registrikood"}, kept=("registrikood", "name"))
    assert set(form_errors(response)) == {"registrikood"}

    payload = {**data, **({"ehis_id": int(data["ehis_id"])} if "ehis_id" in data else {})}
    response = client.api("post", api, json=payload)
    assert response.status_code == 422, response.json
    assert list(response.json["message"]) == ["registrikood"]
    assert count(db, model) == before

    # The same form with a valid code is stored: the refusal was about the code. (An unticked
    # NOT NULL checkbox, e.g. "committee member required", must not block it.)
    response = client.post(url, data={**data, "registrikood": NEW_RK})
    assert response.status_code == 302, form_errors(response)
    assert count(db, model, model.registrikood == NEW_RK) == 1
    if model is m.AwardingBody:
        assert count(db, model, model.registrikood == NEW_RK, model.committee_member_required.is_(False)) == 1


# --- curricula: EHIS code and level code -------------------------------------------------------


def _curriculum_form(world, **values):
    return {"ehis_code": "140999", "name": "Pagar", "name_en": "", "school": str(world.ids["school1"]),
            "level_code": "442", "status": "valid", **values}


def test_curriculum_form_refuses_bad_codes(world, login, db):
    client = login("registry")
    before = count(db, m.Curriculum)
    for field, value in [("ehis_code", "AB1234"), ("ehis_code", "-5"), ("level_code", "420"),
                         ("level_code", "454"), ("level_code", "430"), ("level_code", "kolm")]:
        data = _curriculum_form(world, **{field: value})
        response = client.post("/curriculumview/add", data=data)
        assert_refused(response, data, {field}, kept=("ehis_code", "name", "level_code", "school"))
        assert set(form_errors(response)) == {field}, (field, value)
    assert count(db, m.Curriculum) == before
    response = client.post("/curriculumview/add", data=_curriculum_form(world, level_code="453",
                                                                       no_valid_standard="y"))
    assert response.status_code == 302, form_errors(response)
    assert count(db, m.Curriculum, m.Curriculum.ehis_code == 140999, m.Curriculum.level_code == 453,
                 m.Curriculum.no_valid_standard.is_(True)) == 1


def test_curriculum_api_refuses_bad_codes(world, login, db):
    client = login("registry")
    before = count(db, m.Curriculum)
    for field, value in [("ehis_code", "AB1234"), ("level_code", 500), ("level_code", 420)]:
        payload = {"ehis_code": 140999, "name": "Pagar", "school": world.ids["school1"], "level_code": 442,
                   "status": "valid", field: value}
        response = client.api("post", "/api/v1/curriculum/", json=payload)
        assert response.status_code == 422, response.json
        assert list(response.json["message"]) == [field]
    assert count(db, m.Curriculum) == before


# --- cross-field rules: standards, exam sessions, decisions ----------------------------------


def test_standard_refuses_valid_to_before_valid_from(world, login, db):
    client = login("registry")
    before = count(db, m.OccupationalStandard)
    data = {"name": "Pagar, tase 4", "register_id": "10999999", "ekr_level": "4", "cert_validity_years": "5",
            "valid_from": "2025-01-01", "valid_to": "2024-12-31"}
    response = client.post("/standardview/add", data=data)
    assert_refused(response, data, {"valid_to"})
    assert set(form_errors(response)) == {"valid_to"}

    response = client.api("post", "/api/v1/occupational_standard/", json={
        **data, "register_id": 10999999, "ekr_level": 4, "cert_validity_years": 5})
    assert response.status_code == 422, response.json
    assert list(response.json["message"]) == ["valid_to"]
    assert count(db, m.OccupationalStandard) == before


def _session_form(world, **values):
    return {"awarding_body": str(world.ids["ab1"]), "standard": str(world.ids["s1"]),
            "place_school": str(world.ids["school1"]), "place_address": "",
            "starts_at": "2026-09-01 09:00:00", "ends_at": "2026-09-01 15:00:00", "language": "et",
            "capacity": "12", "registration_deadline": "2026-08-20", "status": "draft", **values}


def test_exam_session_form_refuses_inconsistent_times(world, login, db):
    client = login("ab1")
    before = count(db, m.ExamSession)
    for field, values in [
        ("ends_at", {"ends_at": "2026-09-01 08:00:00"}),  # ends before it starts
        ("ends_at", {"ends_at": "2026-09-01 09:00:00"}),  # ends when it starts
        ("registration_deadline", {"registration_deadline": "2026-09-02"}),  # deadline after the start
    ]:
        data = _session_form(world, **values)
        response = client.post("/examsessionview/add", data=data)
        assert_refused(response, data, {field}, kept=("starts_at", "ends_at", "registration_deadline", "capacity"))
        assert set(form_errors(response)) == {field}, values
    assert count(db, m.ExamSession) == before
    response = client.post("/examsessionview/add", data=_session_form(world))
    assert response.status_code == 302, form_errors(response)
    assert count(db, m.ExamSession) == before + 1


def test_exam_session_api_refuses_inconsistent_times(world, login, db):
    before = count(db, m.ExamSession)
    response = login("ab1").api("post", "/api/v1/exam_session/", json={
        "awarding_body": world.ids["ab1"], "standard": world.ids["s1"], "place_school": world.ids["school1"],
        "starts_at": "2026-09-01T09:00:00+03:00", "ends_at": "2026-09-01T08:00:00+03:00",
        "registration_deadline": "2026-09-05", "capacity": 12, "language": "et", "status": "draft"})
    assert response.status_code == 422, response.json
    assert {"ends_at", "registration_deadline"} == set(response.json["message"])
    assert count(db, m.ExamSession) == before


def _decision_form(world, **values):
    return {"registration": str(world.ids["r1"]), "outcome": "refuse", "decision_date": "2026-06-21",
            "protocol_number": "1-2", "legal_basis": "", "reasons": "", "status": "draft", **values}


def _undecided_registration(db, world) -> int:
    """A candidate of x1 with a submitted result and no decision yet (r1 already has one)."""
    with acting_as("test-setup"):
        person = m.Person(isikukood="49403136515", first_name="Mari", last_name="Mustikas")
        enrolment = m.Enrolment(person=person, curriculum=db.get(m.Curriculum, world.ids["cur1"]),
                                standard_id=world.ids["s1"], awarding_body_id=world.ids["ab1"])
        reg = m.Registration(exam_session=db.get(m.ExamSession, world.ids["x1"]), enrolment=enrolment)
        db.add_all([person, enrolment, reg, m.Result(registration=reg, status="submitted", proposal="refuse")])
        db.commit()
        return reg.id


def test_decision_refusal_needs_legal_basis_and_reasons(world, login, db):
    client = login("ab1")
    before = count(db, m.Decision)
    data = _decision_form(world)
    response = client.post("/decisionview/add", data=data)
    assert_refused(response, data, {"legal_basis", "reasons"}, kept=("protocol_number", "decision_date", "outcome"))
    # One of the two is not enough.
    data = _decision_form(world, legal_basis="Kutseseadus § 14 lg 3")
    response = client.post("/decisionview/add", data=data)
    assert_refused(response, data, {"reasons"}, kept=("legal_basis", "protocol_number"))
    assert set(form_errors(response)) == {"reasons"}
    # The API says the same.
    response = client.api("post", "/api/v1/decision/", json={
        "registration": world.ids["r1"], "outcome": "refuse", "decision_date": "2026-06-21", "status": "draft"})
    assert response.status_code == 422, response.json
    assert set(response.json["message"]) == {"legal_basis", "reasons"}
    assert count(db, m.Decision) == before
    # With both it is stored (for a candidate with a submitted result and no decision yet).
    response = client.post("/decisionview/add", data=_decision_form(
        world, legal_basis="Kutseseadus § 14 lg 3", reasons="Praktiline osa sooritamata",
        registration=str(_undecided_registration(db, world))))
    assert response.status_code == 302, form_errors(response)
    assert count(db, m.Decision) == before + 1


# --- the flush guard: jobs and imports cannot store what a form refuses ------------------------


def test_flush_guard_refuses_invalid_person_from_a_job(db):
    with acting_as("job:import"):
        db.add(m.Person(isikukood=BAD_CODES["checksum"], first_name="Mari", last_name="Tamm"))
        with pytest.raises(DomainValidationError) as caught:
            db.commit()
        db.rollback()
    assert [field for field, _ in caught.value.errors] == ["isikukood"]
    assert caught.value.entity == "Person"
    assert "isikukood" in str(caught.value)
    assert count(db, m.Person) == 0
    assert count(db, m.AuditEvent) == 0


def test_flush_guard_refuses_an_invalid_update(db):
    db.add(m.Person(isikukood="60001019906", first_name="Žanna", last_name="Kääriäinen"))
    db.commit()
    person = db.execute(select(m.Person)).scalar_one()
    person.isikukood = BAD_CODES["letters"]
    with pytest.raises(DomainValidationError) as caught:
        db.flush()
    db.rollback()
    assert [field for field, _ in caught.value.errors] == ["isikukood"]
    assert count(db, m.Person, m.Person.isikukood == "60001019906") == 1


def test_flush_guard_checks_cross_field_rules(db):
    body = m.AwardingBody(registrikood=NEW_RK, name="Eesti Pagarite Liit")
    standard = m.OccupationalStandard(register_id=10999999, name="Pagar, tase 4", ekr_level=4,
                                      valid_from=dt.date(2024, 1, 1))
    db.add_all([body, standard])
    db.commit()
    start = dt.datetime(2026, 9, 1, 9, tzinfo=dt.UTC)
    db.add(m.ExamSession(awarding_body_id=body.id, standard_id=standard.id, place_address="Kutse 1",
                         starts_at=start, ends_at=start - dt.timedelta(hours=1)))
    with pytest.raises(DomainValidationError) as caught:
        db.commit()
    db.rollback()
    assert [field for field, _ in caught.value.errors] == ["ends_at"]
    assert caught.value.entity == "ExamSession"
    # A standard whose validity ends before it starts is refused the same way.
    standard = db.get(m.OccupationalStandard, standard.id)
    standard.valid_to = dt.date(2023, 12, 31)
    with pytest.raises(DomainValidationError) as caught:
        db.commit()
    db.rollback()
    assert [field for field, _ in caught.value.errors] == ["valid_to"]
    assert count(db, m.ExamSession) == 0


# --- ESTONIAN: the one test that checks the translated text ------------------------------------


def test_ESTONIAN_messages_are_shown_in_estonian(app, world, login, db):
    """ESTONIAN. Needs the compiled `et` catalogue (bash scripts/i18n): the form error and the API
    error come out in Estonian when the locale is et."""
    with open(Path(__file__).resolve().parent.parent / "translations/et/LC_MESSAGES/messages.mo", "rb") as fh:
        et = Translations(fh)
    expected = et.gettext("control digit does not match")
    assert expected != "control digit does not match", "the et catalogue has no translation yet"
    assert "kontroll" in expected.lower()
    prefix = et.gettext("invalid personal code (isikukood) %(value)s: ") % {"value": BAD_CODES["checksum"]}

    client = login("registry")
    with client.http.session_transaction() as session:
        session["locale"] = "et"
    data = {"isikukood": BAD_CODES["checksum"], "first_name": "Mari", "last_name": "Tamm", "birth_date": ""}
    response = client.post("/personview/add", data=data)
    assert form_errors(response)["isikukood"] == [prefix + expected]
    assert "control digit" not in response.get_data(as_text=True)

    response = client.api("post", "/api/v1/person/?_l_=et", json=data | {"birth_date": None})
    assert response.status_code == 422
    assert response.json["message"]["isikukood"] == [prefix + expected]
