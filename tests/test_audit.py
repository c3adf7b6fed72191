"""The audit trail (who changed what: one AuditEvent per changed record, with old and new values)
and the data-access log (who saw whose personal data, where: one DataAccess row per detail view)."""
from __future__ import annotations

import csv
import io

from sqlalchemy import select

from app import models as m
from app.audit import acting_as
from tests.factories import CODES
from tests.test_validation import cheap_password_hashes, count  # noqa: F401 (autouse fixture)

NEW_RK = "80033338"


def events(db, **where) -> list[m.AuditEvent]:
    db.expire_all()
    query = select(m.AuditEvent).filter_by(**where).order_by(m.AuditEvent.id)
    return db.execute(query).scalars().all()


def accesses(db, **where) -> list[m.DataAccess]:
    db.expire_all()
    return db.execute(select(m.DataAccess).filter_by(**where).order_by(m.DataAccess.id)).scalars().all()


def user_id(app, username) -> int:
    return app.appbuilder.sm.find_user(username).id


def school_form(school: m.School, **values) -> dict:
    """The edit form as the browser posts it: every field as shown, blanks as empty strings."""
    return {"name": school.name, "name_en": school.name_en or "", "ehis_id": str(school.ehis_id),
            "registrikood": school.registrikood, "status": school.status, **values}


# --- audit trail -------------------------------------------------------------------------------


def test_screen_edit_writes_one_update_event(app, world, db, login):
    pk = world.ids["school1"]
    school = db.get(m.School, pk)
    old_name = school.name
    before = len(events(db))
    client = login("registry")

    response = client.post(f"/schoolview/edit/{pk}", data=school_form(school, name="Tallinna Teeninduskool (uus)"))
    assert response.status_code == 302

    new = events(db)[before:]
    assert len(new) == 1, [(e.entity, e.action, e.changes) for e in new]
    event = new[0]
    assert (event.actor, event.user_id) == ("registry", user_id(app, "registry"))
    assert (event.entity, event.entity_id, event.action) == ("School", pk, "update")
    assert event.changes == {"name": [old_name, "Tallinna Teeninduskool (uus)"]}
    assert event.at is not None
    db.expire_all()
    assert db.get(m.School, pk).name_en is None  # an untouched blank field stays empty (NULL)

    # Saving the form again without changes records nothing.
    school = db.get(m.School, pk)
    assert client.post(f"/schoolview/edit/{pk}", data=school_form(school)).status_code == 302
    assert len(events(db)) == before + 1


def test_api_insert_update_and_delete_each_write_one_event(app, world, db, login):
    client = login("registry")
    registry_id = user_id(app, "registry")
    before = len(events(db))

    response = client.api("post", "/api/v1/school/", json={
        "name": "Pärnu Kutsehariduskeskus", "ehis_id": 777, "registrikood": NEW_RK, "status": "open"})
    assert response.status_code == 201, response.json
    pk = response.json["id"]
    new = events(db)[before:]
    assert [(e.entity, e.entity_id, e.action, e.actor, e.user_id) for e in new] == [
        ("School", pk, "insert", "registry", registry_id)]
    assert new[0].changes["name"] == [None, "Pärnu Kutsehariduskeskus"]
    assert new[0].changes["registrikood"] == [None, NEW_RK]

    response = client.api("put", f"/api/v1/school/{pk}", json={"name": "Pärnumaa Kutsehariduskeskus"})
    assert response.status_code == 200, response.json
    new = events(db)[before + 1:]
    assert [(e.entity_id, e.action, e.changes) for e in new] == [
        (pk, "update", {"name": ["Pärnu Kutsehariduskeskus", "Pärnumaa Kutsehariduskeskus"]})]

    response = client.api("delete", f"/api/v1/school/{pk}")
    assert response.status_code == 200, response.json
    new = events(db)[before + 2:]
    assert [(e.entity, e.entity_id, e.action, e.actor) for e in new] == [("School", pk, "delete", "registry")]
    assert new[0].changes["name"] == ["Pärnumaa Kutsehariduskeskus", None]
    assert new[0].changes["registrikood"] == [NEW_RK, None]


def test_jobs_are_recorded_under_their_own_name(app, world, db):
    before = len(events(db))
    with acting_as("job:x"):
        person = db.get(m.Person, world.ids["p1"])
        person.last_name = "Smith"
        db.commit()
    person = db.get(m.Person, world.ids["p1"])
    person.first_name = "Anne"
    db.commit()

    new = events(db)[before:]
    assert [(e.actor, e.user_id, e.entity, e.entity_id, e.action) for e in new] == [
        ("job:x", None, "Person", world.ids["p1"], "update"),
        ("system", None, "Person", world.ids["p1"], "update"),
    ]
    assert new[0].changes == {"last_name": ["Šmidt", "Smith"]}
    # Events about a person carry the person's isikukood (the person can ask who changed what).
    assert {e.subject_isikukood for e in new} == {CODES["p1"]}


def test_audit_screen_is_for_registry_staff_only(app, world, db, login):
    with acting_as("job:nightly-import"):
        db.get(m.School, world.ids["school2"]).name_en = "Ida-Viru Vocational Education Centre"
        db.commit()
    response = login("registry").get("/auditeventview/list/?_flt_0_actor=job:nightly-import")
    assert response.status_code == 200
    assert "job:nightly-import" in response.get_data(as_text=True)
    for username in ("ab1", "school1", "assessor"):
        client = login(username)
        assert client.get("/auditeventview/list/").status_code == 403, username
        assert client.api("get", "/api/v1/audit_event/").status_code == 403, username


# --- data-access log -----------------------------------------------------------------------------


def test_each_detail_view_of_personal_data_is_logged(app, world, db, login):
    ids = world.ids
    views = [  # (viewer, url, channel, entity)
        ("registry", f"/personview/show/{ids['p1']}", "screen", "Person"),
        ("school1", f"/enrolmentview/show/{ids['e1']}", "screen", "Enrolment"),
        ("ab1", f"/certificateview/show/{ids['c1']}", "screen", "Certificate"),
        ("ab1", f"/api/v1/person/{ids['p1']}", "api", "Person"),
    ]
    for viewer, url, channel, entity in views:
        before = len(accesses(db))
        client = login(viewer)
        response = client.api("get", url) if channel == "api" else client.get(url)
        assert response.status_code == 200, url
        new = accesses(db)[before:]
        assert len(new) == 1, url
        row = new[0]
        assert (row.actor, row.user_id, row.isikukood, row.channel, row.endpoint, row.entity) == (
            viewer, user_id(app, viewer), CODES["p1"], channel, url, entity)
        assert row.at is not None
        entity_id = int(url.rsplit("/", 1)[1])
        assert row.entity_id == entity_id


def test_lists_and_refused_views_are_not_logged(app, world, db, login):
    client = login("registry")
    for url in ("/personview/list/", "/enrolmentview/list/", "/certificateview/list/",
                "/personview/list/?_flt_0_last_name=Šmidt"):
        assert client.get(url).status_code == 200, url
    assert client.api("get", "/api/v1/person/").status_code == 200
    assert client.api("get", "/api/v1/certificate/").status_code == 200
    # ab2 may not see p1 at all: no data shown, nothing logged.
    assert login("ab2").get(f"/personview/show/{world.ids['p1']}").status_code == 404
    assert login("ab2").api("get", f"/api/v1/person/{world.ids['p1']}").status_code == 404
    assert accesses(db) == []


def test_registry_downloads_one_persons_access_history(app, world, db, login):
    ids = world.ids
    login("registry").get(f"/personview/show/{ids['p1']}")
    login("ab1").api("get", f"/api/v1/person/{ids['p1']}")
    login("registry").get(f"/personview/show/{ids['p2']}")
    assert len(accesses(db)) == 3

    response = login("registry").get(f"/dataaccessview/person.csv?isikukood={CODES['p1']}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # opens in spreadsheet programs as UTF-8
    header, *rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert len(header) == 7
    # columns: at, actor, isikukood, channel, endpoint, entity, entity_id
    assert [(row[1], row[2], row[3], row[4]) for row in rows] == [
        ("registry", CODES["p1"], "screen", f"/personview/show/{ids['p1']}"),
        ("ab1", CODES["p1"], "api", f"/api/v1/person/{ids['p1']}"),
    ]

    assert login("registry").get("/dataaccessview/person.csv").status_code == 400
    assert login("ab1").get(f"/dataaccessview/person.csv?isikukood={CODES['p1']}").status_code == 403


def test_audit_lists_show_the_newest_first(app, world, login, db):
    """The audit trail and the data-access log open on the latest entries."""
    admin = login("admin")
    for person in ("p1", "p2"):  # two views of personal data, p2's last
        assert admin.get(f"/personview/show/{world.ids[person]}").status_code == 200
    log = admin.get("/dataaccessview/list/").get_data(as_text=True)
    assert log.index(CODES["p2"]) < log.index(CODES["p1"])
    with app.app_context(), acting_as("test"):
        for name in ("Esimene", "Teine"):  # two changes, "Teine" last
            db.get(m.Person, world.ids["pa"]).first_name = name
            db.commit()
    trail = admin.get("/auditeventview/list/").get_data(as_text=True)
    # newest first: "Esimene → Teine", then "Ants → Esimene", then the world being built
    assert trail.index("Teine") < trail.index("Ants")
