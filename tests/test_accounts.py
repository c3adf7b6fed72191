"""Account requests: anyone may ask for an account on the public form; registry staff approve
(which creates the user with the requested role and organisation) or reject with a reason;
nobody else sees or decides requests. At most one open request per isikukood, also in the DB."""
from __future__ import annotations

import lxml.html
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import models as m
from app.security import roles as r
from tests.conftest import Client
from tests.test_validation import cheap_password_hashes, count, field_value, form_errors  # noqa: F401 (autouse fixture)

CODE = "38001085718"
OTHER_CODE = "60001019906"
NEW_CODE = "49505051235"  # valid and no user has it


def request_form(**values) -> dict:
    return {"first_name": "Mari", "last_name": "Maasikas", "isikukood": NEW_CODE, "email": "mari@example.ee",
            "requested_role": r.ASSESSOR, "awarding_body": "__None", "school": "__None",
            "justification": "Hindan kokkade kutseeksameid", **values}


@pytest.fixture()
def public(app):
    """An anonymous visitor."""
    return Client(app, None)


def submit(public, **values):
    return public.post("/taotlus/form", data=request_form(**values))


def make_request(db, **values) -> int:
    data = {"first_name": "Mari", "last_name": "Maasikas", "isikukood": NEW_CODE, "email": "mari@example.ee",
            "requested_role": r.ASSESSOR, "justification": "Hindan eksameid", **values}
    req = m.AccountRequest(**data)
    db.add(req)
    db.commit()
    return req.id


def users_with_code(app, db, code):
    db.expire_all()
    user_model = app.appbuilder.sm.user_model
    return db.execute(select(user_model).where(user_model.isikukood == code)).scalars().all()


# --- the public form ----------------------------------------------------------------------------


def test_public_form_opens_without_login(db, public):
    response = public.get("/taotlus/form")
    assert response.status_code == 200
    names = {e.get("name") for e in lxml.html.fromstring(response.get_data(as_text=True)).xpath(
        "//form//*[@name]")}
    assert {"first_name", "last_name", "isikukood", "email", "requested_role", "awarding_body", "school",
            "justification"} <= names


def test_submitting_creates_one_open_request_and_a_second_is_refused(world, db, public):
    response = submit(public, requested_role=r.AWARDING_BODY, awarding_body=str(world.ids["ab1"]))
    assert response.status_code == 302
    rows = db.execute(select(m.AccountRequest)).scalars().all()
    assert len(rows) == 1
    req = rows[0]
    assert (req.status, req.isikukood, req.requested_role, req.awarding_body_id, req.school_id) == (
        "open", NEW_CODE, r.AWARDING_BODY, world.ids["ab1"], None)
    assert (req.first_name, req.last_name, req.email) == ("Mari", "Maasikas", "mari@example.ee")

    # Same isikukood again (also with stray spaces) while the first is open: refused under the field.
    for code in (NEW_CODE, f" {NEW_CODE} "):
        data = request_form(isikukood=code, first_name="Mari2", requested_role=r.SCHOOL,
                            school=str(world.ids["school1"]))
        response = public.post("/taotlus/form", data=data)
        assert response.status_code == 200
        errors = form_errors(response)
        assert set(errors) == {"isikukood"} and errors["isikukood"][0]
        assert field_value(response, "first_name") == "Mari2"  # what was typed is kept
        assert field_value(response, "justification") == data["justification"]
    assert count(db, m.AccountRequest) == 1

    # Another person's request is accepted.
    assert submit(public, isikukood=OTHER_CODE).status_code == 302
    assert count(db, m.AccountRequest, m.AccountRequest.status == "open") == 2


def test_invalid_requests_are_refused_under_the_field(world, db, public):
    cases = [
        ({"isikukood": "38001085719"}, "isikukood"),
        ({"isikukood": "3800108571A"}, "isikukood"),
        ({"requested_role": r.AWARDING_BODY}, "awarding_body"),  # without the awarding body
        ({"requested_role": r.SCHOOL}, "school"),  # without the school
        ({"requested_role": "Admin"}, "requested_role"),  # not a role one may ask for
    ]
    for values, field in cases:
        response = submit(public, **values)
        assert response.status_code == 200, values
        errors = form_errors(response)
        assert field in errors and errors[field][0], (values, errors)
        assert field_value(response, "last_name") == "Maasikas"
    assert count(db, m.AccountRequest) == 0


def test_database_allows_one_open_request_per_isikukood(world, db):
    make_request(db, status="rejected", rejection_reason="Ei ole hindaja")
    make_request(db)  # an open one next to a decided one is fine
    db.add(m.AccountRequest(first_name="Mari", last_name="Maasikas", isikukood=NEW_CODE, email="m@example.ee",
                            requested_role=r.ASSESSOR, justification="Teist korda"))
    with pytest.raises(IntegrityError) as caught:
        db.commit()
    db.rollback()
    assert "uq_account_request_open_isikukood" in str(caught.value)
    assert count(db, m.AccountRequest, m.AccountRequest.status == "open") == 1


# --- registry staff decide ---------------------------------------------------------------------


def test_registry_approves_and_the_users_are_created(app, world, db, login):
    wanted = {  # isikukood -> (role, awarding_body_id, school_id)
        NEW_CODE: (r.AWARDING_BODY, world.ids["ab2"], None),
        "39001010000": (r.SCHOOL, None, world.ids["school2"]),
        "61001011006": (r.ASSESSOR, None, None),
    }
    pks = {code: make_request(db, isikukood=code, requested_role=role, awarding_body_id=ab, school_id=school,
                              email=f"{code}@example.ee")
           for code, (role, ab, school) in wanted.items()}

    # Several requests selected in the list and approved at once.
    response = login("registry").post("/accountrequestview/action_post",
                                      data={"action": "approve", "rowid": list(pks.values())})
    assert response.status_code == 302

    registry = app.appbuilder.sm.find_user("registry")
    for code, (role, ab, school) in wanted.items():
        users = users_with_code(app, db, code)
        assert len(users) == 1, code
        user = users[0]
        assert (user.username, user.isikukood, user.active) == (code, code, True)
        assert [x.name for x in user.roles] == [role]
        assert (user.awarding_body_id, user.school_id) == (ab, school)
        assert (user.first_name, user.last_name, user.email) == ("Mari", "Maasikas", f"{code}@example.ee")
        req = db.get(m.AccountRequest, pks[code])
        assert (req.status, req.created_user_id, req.decided_by_id) == ("approved", user.id, registry.id)
        assert req.decided_at is not None

    # Approving again creates nothing more.
    login("registry").post("/accountrequestview/action_post", data={"action": "approve", "rowid": pks[NEW_CODE]})
    assert len(users_with_code(app, db, NEW_CODE)) == 1


def test_approval_is_refused_when_the_isikukood_already_has_a_user(app, world, db, login):
    from tests.factories import CODES

    pk = make_request(db, isikukood=CODES["school1"], requested_role=r.ASSESSOR)
    response = login("registry").post("/accountrequestview/action_post", data={"action": "approve", "rowid": pk})
    assert response.status_code == 302
    assert [u.username for u in users_with_code(app, db, CODES["school1"])] == ["school1"]
    db.expire_all()
    assert db.get(m.AccountRequest, pk).status == "open"


def test_registry_rejects_with_a_reason(app, world, db, login):
    pk = make_request(db)
    client = login("registry")
    assert client.get(f"/accountrequestview/reject/{pk}").status_code == 200

    # Without a reason (or with only spaces): the form comes back with the error under the field.
    for reason in ("", "   "):
        response = client.post(f"/accountrequestview/reject/{pk}", data={"reason": reason})
        assert response.status_code == 200
        tree = lxml.html.fromstring(response.get_data(as_text=True))
        assert tree.xpath('//div[contains(@class, "has-error")]//textarea[@name="reason"]')
        assert any(s.text_content().strip() for s in tree.xpath('//div[contains(@class, "has-error")]'
                                                                  '//span[contains(@class, "help-block")]'))
        db.expire_all()
        assert db.get(m.AccountRequest, pk).status == "open"

    response = client.post(f"/accountrequestview/reject/{pk}", data={"reason": "Ei ole kutsekomisjoni liige"})
    assert response.status_code == 302
    db.expire_all()
    req = db.get(m.AccountRequest, pk)
    registry = app.appbuilder.sm.find_user("registry")
    assert (req.status, req.rejection_reason, req.decided_by_id) == (
        "rejected", "Ei ole kutsekomisjoni liige", registry.id)
    assert req.decided_at is not None and req.created_user_id is None
    assert users_with_code(app, db, NEW_CODE) == []
    # A rejected request can no longer be approved.
    client.post("/accountrequestview/action_post", data={"action": "approve", "rowid": pk})
    assert users_with_code(app, db, NEW_CODE) == []


def test_others_can_neither_see_nor_decide_requests(app, world, db, login):
    pk = make_request(db)
    for username in ("ab1", "school1", "assessor"):
        client = login(username)
        assert client.get("/accountrequestview/list/").status_code == 403, username
        assert client.get(f"/accountrequestview/show/{pk}").status_code == 403
        assert client.api("get", "/api/v1/account_request/").status_code == 403
        assert client.api("get", f"/api/v1/account_request/{pk}").status_code == 403
        response = client.post("/accountrequestview/action_post", data={"action": "approve", "rowid": pk})
        assert response.status_code == 403
        assert client.get(f"/accountrequestview/reject/{pk}").status_code == 403
        assert client.post(f"/accountrequestview/reject/{pk}", data={"reason": "x"}).status_code == 403
    assert users_with_code(app, db, NEW_CODE) == []
    db.expire_all()
    req = db.get(m.AccountRequest, pk)
    assert (req.status, req.rejection_reason, req.decided_at) == ("open", None, None)
    # ... while registry staff do see it (the same request, so the 403s above are about the user).
    assert login("registry").get(f"/accountrequestview/show/{pk}").status_code == 200
    assert login("registry").api("get", f"/api/v1/account_request/{pk}").status_code == 200
