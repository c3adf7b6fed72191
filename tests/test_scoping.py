"""Scoping (DESIGN §3): a user of one organisation gets nothing of another organisation's
records on any path — HTML list (and its search dropdowns), show, edit, delete, bulk actions,
CSV export, REST API, relation dropdowns of forms and of the API's _info, and writes that name
another organisation's parent.

One test per scoped entity runs every path for every scoped role that may read the entity,
pairing the viewer's own record (the positive control) with the other organisation's record.
Writes answer 404 where the role may write and 403 where it may not.
"""
from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from flask_appbuilder.actions import ActionItem
from sqlalchemy import func, select

from app import models as m
from app.audit import acting_as
from app.security import roles as r
from tests.factories import CODES

ROLE_OF = {"ab1": r.AWARDING_BODY, "school1": r.SCHOOL, "assessor": r.ASSESSOR}
READ_ONLY_API = {"job_run", "job_run_error"}  # registered with read_only=True

VIEWS = {
    m.AwardingBody: "awardingbodyview",
    m.AwardingRight: "awardingrightview",
    m.QualificationCommittee: "qualificationcommitteeview",
    m.CommitteeMember: "committeememberview",
    m.School: "schoolview",
    m.Curriculum: "curriculumview",
    m.CurriculumStandardLink: "curriculumlinkview",
    m.Person: "personview",
    m.Enrolment: "enrolmentview",
    m.ExamSession: "examsessionview",
    m.Registration: "registrationview",
    m.AssessorAssignment: "assessorview",
    m.Result: "resultview",
    m.CompetenceResult: "competenceresultview",
    m.Decision: "decisionview",
    m.Certificate: "certificateview",
    m.Appeal: "appealview",
    m.JobRun: "jobrunview",
    m.JobRunError: "jobrunerrorview",
}

# Text that tells the two records apart in the CSV export (and, where marked, anywhere on the
# list page: then the search dropdowns must not name the other organisation's record either).
AB1, AB2 = "Peakokkade", "Kosmeetikute"
P1, P2 = "Šmidt", "Kääriäinen"
S1, S2 = "Kokk, tase", "Juuksur, tase"
CUR1, CUR2 = "140001", "130219"
COMP1, COMP2 = "Toitude", "Juukselõikus"

# model -> [(viewer, own record, other organisation's record, own text, other text,
#            other text absent from the whole list page)]
CASES = {
    m.AwardingBody: [("ab1", "ab1", "ab2", AB1, AB2, True)],
    m.AwardingRight: [("ab1", "right1", "right2", AB1, AB2, True)],
    m.QualificationCommittee: [("ab1", "qc1", "qc2", "Kokkade", "Juuksurite", True)],
    m.CommitteeMember: [("ab1", "member1", "member2", "Maasikas", "Õun", True)],
    m.School: [("school1", "school1", "school2", "Teeninduskool", "Ida-Virumaa", True)],
    m.Curriculum: [("ab1", "cur1", "cur2", CUR1, CUR2, True),
                   ("school1", "cur1", "cur2", CUR1, CUR2, True)],
    m.CurriculumStandardLink: [("ab1", "link1", "link2", CUR1, CUR2, True),
                               ("school1", "link1", "link2", CUR1, CUR2, True)],
    m.Person: [("ab1", "p1", "p2", P1, P2, True),
               ("school1", "p1", "p2", P1, P2, True),
               ("assessor", "p1", "p2", P1, P2, True)],
    m.Enrolment: [("ab1", "e1", "e2", P1, P2, True),
                  ("school1", "e1", "e2", P1, P2, True),
                  ("assessor", "e1", "e2", P1, P2, True)],
    m.ExamSession: [("ab1", "x1", "x2", AB1, AB2, True),
                    ("school1", "x1", "x2", S1, S2, False),  # standards are shared reference data
                    ("assessor", "x1", "x2", S1, S2, False)],
    m.Registration: [("ab1", "r1", "r2", P1, P2, True),
                     ("school1", "r1", "r2", P1, P2, True),
                     ("assessor", "r1", "r2", P1, P2, True)],
    m.AssessorAssignment: [("ab1", "a1", "a2", "Hindaja", "Kontroll", True),
                           ("assessor", "a1", "a2", "Hindaja", "Kontroll", True)],
    m.Result: [("ab1", "res1", "res2", P1, P2, True),
               ("school1", "res1", "res2", P1, P2, True),
               ("assessor", "res1", "res2", P1, P2, True)],
    m.CompetenceResult: [("ab1", "cr1", "cr2", COMP1, COMP2, False),  # competences are reference data
                         ("school1", "cr1", "cr2", COMP1, COMP2, False),
                         ("assessor", "cr1", "cr2", COMP1, COMP2, False)],
    m.Decision: [("ab1", "d1", "d2", P1, P2, True),
                 ("school1", "d1", "d2", P1, P2, True)],
    m.Certificate: [("ab1", "c1", "c2", P1, P2, True),
                    ("school1", "c1", "c2", P1, P2, True)],
    m.Appeal: [("ab1", "ap1", "ap2", P1, P2, True),
               ("school1", "ap1", "ap2", P1, P2, True)],
    m.JobRun: [("ab1", "job1", "job2", "ab1", "ab2", False)],  # "ab2" is a common substring
    m.JobRunError: [("ab1", "jre1", "jre2", "rida-1", "rida-2", True)],
}

# Relation dropdowns of the add and edit forms and of the API's _info.
# model -> [(user, field, own record of the entity, own parent, other organisation's parent)]
DROPDOWNS = {
    m.ExamSession: [("ab1", "awarding_body", "x1", "ab1", "ab2")],
    m.Registration: [("ab1", "exam_session", "r1", "x1", "x2"), ("ab1", "enrolment", "r1", "e1", "e2")],
    m.AssessorAssignment: [("ab1", "exam_session", "a1", "x1", "x2"), ("ab1", "person", "a1", "pa", "p2")],
    m.Result: [("ab1", "registration", "res1", "r1", "r2"), ("assessor", "registration", "res1", "r1", "r2")],
    m.CompetenceResult: [("ab1", "result", "cr1", "res1", "res2"), ("assessor", "result", "cr1", "res1", "res2")],
    m.Decision: [("ab1", "registration", "d1", "r1", "r2"), ("ab1", "signer", "d1", "member1", "member2")],
    m.Certificate: [("ab1", "decision", "c1", "d1", "d2"), ("ab1", "person", "c1", "p1", "p2"),
                    ("ab1", "signer", "c1", "member1", "member2")],
    m.Appeal: [("ab1", "decision", "ap1", "d1", "d2")],
}

# Writes naming another organisation's parent.
# model -> [(user, parents (field -> record), other fields, the out-of-scope field, own record)]
TODAY = "2026-06-21"
ATTACH = {
    m.Registration: [
        ("ab1", {"exam_session": "x2", "enrolment": "e1"}, {"exam_language": "et"}, "exam_session", "r1"),
        ("ab1", {"exam_session": "x1", "enrolment": "e2"}, {"exam_language": "et"}, "enrolment", "r1"),
    ],
    m.AssessorAssignment: [
        ("ab1", {"exam_session": "x2", "person": "p1"}, {"role": "member", "representation": "employer"},
         "exam_session", "a1"),
    ],
    m.Result: [
        ("ab1", {"registration": "r2"}, {"attended": True}, "registration", "res1"),
        ("assessor", {"registration": "r2"}, {"attended": True}, "registration", "res1"),
    ],
    m.CompetenceResult: [
        ("ab1", {"result": "res2", "competence": "comp2"}, {"passed": True}, "result", "cr1"),
        ("assessor", {"result": "res2", "competence": "comp2"}, {"passed": True}, "result", "cr1"),
    ],
    m.Decision: [
        ("ab1", {"registration": "r2"}, {"outcome": "award", "decision_date": TODAY}, "registration", "d1"),
        ("ab1", {"registration": "r1", "signer": "member2"}, {"outcome": "award", "decision_date": TODAY},
         "signer", "d1"),
    ],
    m.Certificate: [
        ("ab1", {"decision": "d2", "person": "p1", "standard": "s1"},
         {"holder_name": "Õnne-Liis Šmidt", "issue_date": TODAY, "valid_from": TODAY}, "decision", "c1"),
        ("ab1", {"decision": "d1", "person": "p2", "standard": "s1"},
         {"holder_name": "Žanna Kääriäinen", "issue_date": TODAY, "valid_from": TODAY}, "person", "c1"),
    ],
    m.Appeal: [("ab1", {"decision": "d2"}, {"filed_date": TODAY}, "decision", "ap1")],
}


# --- fixtures and helpers ------------------------------------------------------------------

@pytest.fixture()
def w(db, world):
    """The shared world plus what it lacks here: ab2's assessment committee member (a2, on x2,
    a person no one else knows), job run error rows, and the curriculum links' ids."""
    with acting_as("test-setup"):
        x2 = db.get(m.ExamSession, world.ids["x2"])
        outsider = m.Person(first_name="Olev", last_name="Kontroll", birth_date=dt.date(1980, 1, 1))
        a2 = m.AssessorAssignment(exam_session=x2, person=outsider, role="chair", representation="employer",
                                  awarding_body_id=x2.awarding_body_id)
        jre = [m.JobRunError(job_run_id=world.ids[f"job{n}"], record=f"rida-{n}", reason="vigane",
                             awarding_body_id=world.ids[f"ab{n}"]) for n in (1, 2)]
        db.add_all([a2, *jre])
        db.commit()
    world.ids.update(a2=a2.id, jre1=jre[0].id, jre2=jre[1].id)
    for n in (1, 2):
        world.ids[f"link{n}"] = db.scalar(select(m.CurriculumStandardLink.id).where(
            m.CurriculumStandardLink.curriculum_id == world.ids[f"cur{n}"]))
    return world


def can_write(user, model):
    return "can_write" in r.ROLES.get(ROLE_OF.get(user), {}).get(model.__name__, set())


def count(db, model, **where):
    db.rollback()  # see what the requests committed
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.scalar(query)


def column(db, model, pk, name):
    db.rollback()
    return db.scalar(select(getattr(model, name)).where(model.id == pk))


def text(response):
    return response.get_data(as_text=True)


def has_row(html, view, pk):
    return re.search(rf'href="/{view}/show/{pk}(?![0-9])', html) is not None


class _FormParser(HTMLParser):
    """Values and options of FAB's add/edit form (id model_form)."""

    def __init__(self):
        super().__init__()
        self.values, self.options = {}, {}
        self._in = False
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "form":
            self._in = a.get("id") == "model_form"
        if not self._in:
            return
        if tag == "input" and name and name != "csrf_token":
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.values[name] = a.get("value") or "y"
            elif a.get("type") not in ("submit", "button"):
                self.values[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self.options[name] = []
        elif tag == "option" and self._select:
            self.options[self._select].append(a.get("value"))
            if "selected" in a or self._select not in self.values:
                self.values[self._select] = a.get("value")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._in = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def parse_form(html):
    parser = _FormParser()
    parser.feed(html)
    return parser


def option_ids(options):
    return {int(v) for v in options if v and v.isdigit()}


def install_probe_action(app, view, monkeypatch):
    """Give the view a bulk action for the test. Its function is named ``delete`` so that, like
    every real action, it needs can_write. Returns the list of item lists it was called with."""
    calls = []

    def delete(items):
        calls.append(items)
        return "probe ran"

    instance = next(v for v in app.appbuilder.baseviews if type(v).__name__.lower() == view)
    monkeypatch.setitem(instance.actions, "probe", ActionItem("probe", "probe", None, None, True, True, delete))
    return calls


# --- the paths -----------------------------------------------------------------------------

def check_reads_deletes_actions(c, db, model, view, own, other, own_text, other_text, page_wide, calls):
    who = f"{c.username} on {view}"
    table = model.__tablename__
    write = 404 if can_write(c.username, model) else 403
    api_write = 405 if table in READ_ONLY_API else write

    # HTML list
    listing = text(c.get(f"/{view}/list/"))
    assert has_row(listing, view, own), who
    assert not has_row(listing, view, other), who
    if page_wide:
        assert other_text not in listing, who

    # show, edit, delete
    assert c.get(f"/{view}/show/{own}").status_code == 200, who
    assert c.get(f"/{view}/show/{other}").status_code == 404, who
    if write == 404:
        assert c.get(f"/{view}/edit/{own}").status_code == 200, who
    assert c.get(f"/{view}/edit/{other}").status_code == write, who
    assert c.post(f"/{view}/edit/{other}", data={}).status_code == write, who
    assert c.post(f"/{view}/delete/{other}").status_code == write, who
    assert c.get(f"/{view}/delete/{other}").status_code in (302, write), who  # FAB refuses GET mutations

    # bulk actions: one the view does not have, and the probe
    response = c.post(f"/{view}/action_post", data={"action": "muldelete", "rowid": [str(other)]})
    assert response.status_code == 404, who
    response = c.post(f"/{view}/action_post", data={"action": "probe", "rowid": [str(own), str(other)]})
    assert response.status_code == write, who
    assert c.post(f"/{view}/action/probe/{other}").status_code == write, who
    assert calls == [], who
    if write == 404:  # positive control: the probe runs on the user's own record
        response = c.post(f"/{view}/action_post", data={"action": "probe", "rowid": [str(own)]})
        assert response.status_code == 200, who
        assert [[item.id for item in items] for items in calls] == [[own]], who
        calls.clear()

    # CSV export
    response = c.get(f"/{view}/export/csv")
    assert response.status_code == 200, who
    assert own_text in text(response), who
    assert other_text not in text(response), who

    # REST API
    api = f"/api/v1/{table}/"
    response = c.api("get", api)
    assert response.status_code == 200, who
    assert own in response.json["ids"] and other not in response.json["ids"], who
    assert c.api("get", f"{api}{own}").status_code == 200, who
    assert c.api("get", f"{api}{other}").status_code == 404, who
    assert c.api("put", f"{api}{other}", json={}).status_code == api_write, who
    assert c.api("delete", f"{api}{other}").status_code == api_write, who

    assert count(db, model, id=other) == 1, who


def check_dropdowns(c, admin, view, table, field, record, own, other):
    who = f"{c.username} on {view}.{field}"
    model = {cls.__tablename__: cls for cls in VIEWS}[table]
    target = model.__mapper__.relationships[field].mapper.class_.__tablename__
    add_form = text(c.get(f"/{view}/add"))
    if f'data-lookup-url="/lookup/{target}"' in add_form:
        # A relation to a large table: the form holds only the current value and searches
        # /lookup/<table> as the user types (app.views.lookup); the search is scoped the same way.
        assert option_ids(parse_form(add_form).options[field]) == set(), who
        assert option_ids(parse_form(text(c.get(f"/{view}/edit/{record}"))).options[field]) == {own}, who
        def found(client, pk):
            return {int(r["id"]) for r in client.get(f"/lookup/{target}?q={pk}").json["results"]}
        assert found(c, own) == {own} and found(c, other) == set(), who
        assert found(admin, own) == {own} and found(admin, other) == {other}, who
        return
    for url in (f"/{view}/add", f"/{view}/edit/{record}"):
        options = option_ids(parse_form(text(c.get(url))).options[field])
        assert own in options and other not in options, f"{who} {url}"
    info = c.api("get", f"/api/v1/{table}/_info").json
    assert c.api("get", f"/api/v1/{table}/related/{field}").status_code == 404  # FAB 5.3: options are in _info
    for key in ("add_columns", "edit_columns"):
        values = next(col for col in info[key] if col["name"] == field)["values"]
        ids = {v["id"] for v in values}
        assert own in ids and other not in ids, f"{who} API {key}"
    # positive control: the admin is offered both
    assert {own, other} <= option_ids(parse_form(text(admin.get(f"/{view}/add"))).options[field]), who


def check_attach(c, db, model, view, refs, fields, field, own_pk):
    """Creating a record under, or moving the own record to, another organisation's parent is
    refused on the API (422, naming exactly that field) and in the forms, and changes nothing."""
    who = f"{c.username} on {view}.{field}"
    table = model.__tablename__
    fk = f"{field}_id"
    own_parent = column(db, model, own_pk, fk)
    before = count(db, model)

    response = c.api("post", f"/api/v1/{table}/", json={**refs, **fields})
    assert response.status_code == 422, (who, response.json)
    assert list(response.json["message"]) == [field], (who, response.json)
    response = c.api("put", f"/api/v1/{table}/{own_pk}", json={field: refs[field]})
    assert response.status_code == 422, (who, response.json)
    assert list(response.json["message"]) == [field], (who, response.json)

    data = {**parse_form(text(c.get(f"/{view}/add"))).values,
            **{k: str(v) for k, v in refs.items()},
            **{k: "y" if v is True else str(v) for k, v in fields.items()}}
    assert c.post(f"/{view}/add", data=data).status_code == 200, who  # the form again, no redirect

    values = parse_form(text(c.get(f"/{view}/edit/{own_pk}"))).values
    assert c.post(f"/{view}/edit/{own_pk}", data=values).status_code == 302, who  # control: saves as is
    assert c.post(f"/{view}/edit/{own_pk}", data={**values, field: str(refs[field])}).status_code == 200, who

    assert count(db, model) == before, who
    assert column(db, model, own_pk, fk) == own_parent, who


@pytest.mark.parametrize("model", list(VIEWS), ids=lambda model: model.__name__)
def test_other_organisations_records_are_out_of_reach(model, app, w, db, login, monkeypatch):
    view = VIEWS[model]
    calls = install_probe_action(app, view, monkeypatch)
    for user, own, other, own_text, other_text, page_wide in CASES[model]:
        check_reads_deletes_actions(login(user), db, model, view, w.ids[own], w.ids[other],
                                    own_text, other_text, page_wide, calls)
    for user, field, record, own, other in DROPDOWNS.get(model, []):
        check_dropdowns(login(user), login("admin"), view, model.__tablename__, field,
                        w.ids[record], w.ids[own], w.ids[other])
    for user, parents, fields, field, record in ATTACH.get(model, []):
        refs = {name: w.ids[key] for name, key in parents.items()}
        check_attach(login(user), db, model, view, refs, fields, field, w.ids[record])
    # nothing of p2 (ab2's candidate at school2) was shown to anyone here
    assert count(db, m.DataAccess, isikukood=CODES["p2"]) == 0


def test_registry_staff_sees_both_organisations(w, login):
    """Positive control for every case above: an unscoped user gets both records."""
    c = login("registry")
    for model, view in VIEWS.items():
        own_key, other_key, own_text, other_text = CASES[model][0][1:5]
        own, other = w.ids[own_key], w.ids[other_key]
        listing = text(c.get(f"/{view}/list/"))
        assert has_row(listing, view, own) and has_row(listing, view, other), view
        assert c.get(f"/{view}/show/{other}").status_code == 200, view
        csv_text = text(c.get(f"/{view}/export/csv"))
        assert own_text in csv_text and other_text in csv_text, view
        assert {own, other} <= set(c.api("get", f"/api/v1/{model.__tablename__}/").json["ids"]), view
        assert c.api("get", f"/api/v1/{model.__tablename__}/{other}").status_code == 200, view


def test_related_lists_on_show_pages_are_scoped(w, db, login):
    """A parent two organisations share shows each only its own children: p1 also studies at
    school2 and sits ab1's exam x1 from there (registration r3)."""
    with acting_as("test-setup"):
        e3 = m.Enrolment(person=db.get(m.Person, w.ids["p1"]), curriculum=db.get(m.Curriculum, w.ids["cur2"]),
                         status="oppimas")
        r3 = m.Registration(exam_session=db.get(m.ExamSession, w.ids["x1"]), enrolment=e3, exam_language="et")
        db.add_all([e3, r3])
        db.commit()
        e3_id, r3_id = e3.id, r3.id
    # school1 holds the exam (x1 is at school1) but r3 is school2's
    page = text(login("school1").get(f"/examsessionview/show/{w.ids['x1']}"))
    assert has_row(page, "registrationview", w.ids["r1"]) and not has_row(page, "registrationview", r3_id)
    # school2 sees x1 and p1 through r3 and e3, but not school1's registration, enrolment, certificate
    c = login("school2")
    page = text(c.get(f"/examsessionview/show/{w.ids['x1']}"))
    assert has_row(page, "registrationview", r3_id) and not has_row(page, "registrationview", w.ids["r1"])
    page = text(c.get(f"/personview/show/{w.ids['p1']}"))
    assert has_row(page, "enrolmentview", e3_id) and not has_row(page, "enrolmentview", w.ids["e1"])
    assert not has_row(page, "certificateview", w.ids["c1"])
    assert c.get(f"/registrationview/show/{w.ids['r1']}").status_code == 404
    assert c.get(f"/enrolmentview/show/{w.ids['e1']}").status_code == 404


def test_no_permission_is_403(w, login):
    """Roles without the entity's read permission get 403 on every path, before any scoping."""
    forbidden = {
        "school1": [(m.AwardingBody, "ab1"), (m.AwardingRight, "right1"), (m.QualificationCommittee, "qc1"),
                    (m.CommitteeMember, "member1"), (m.AssessorAssignment, "a1"), (m.JobRun, "job1")],
        "assessor": [(m.AwardingBody, "ab1"), (m.Decision, "d1"), (m.Certificate, "c1"), (m.Appeal, "ap1"),
                     (m.JobRun, "job1")],
        "ab1": [(m.AuditEvent, None), (m.DataAccess, None), (m.AccountRequest, None)],
    }
    views = {m.AuditEvent: "auditeventview", m.DataAccess: "dataaccessview",
             m.AccountRequest: "accountrequestview", **VIEWS}
    for user, entities in forbidden.items():
        c = login(user)
        for model, key in entities:
            view, table, pk = views[model], model.__tablename__, w.ids[key] if key else 1
            for url in (f"/{view}/list/", f"/{view}/show/{pk}", f"/{view}/export/csv"):
                assert c.get(url).status_code == 403, (user, url)
            assert c.api("get", f"/api/v1/{table}/").status_code == 403, (user, table)
            assert c.api("get", f"/api/v1/{table}/{pk}").status_code == 403, (user, table)


def test_account_request_actions_only_for_registry(w, db, login):
    with acting_as("test-setup"):
        req = m.AccountRequest(first_name="Uus", last_name="Kasutaja", isikukood="39912310174",
                               email="uus@example.ee", requested_role=r.SCHOOL, school_id=w.ids["school1"],
                               justification="vajan ligipääsu")
        db.add(req)
        db.commit()
        pk = req.id
    for user in ("ab1", "school1", "assessor"):
        c = login(user)
        response = c.post("/accountrequestview/action_post", data={"action": "approve", "rowid": [str(pk)]})
        assert response.status_code == 403, user
        assert c.post(f"/accountrequestview/action/approve/{pk}").status_code == 403, user
        assert column(db, m.AccountRequest, pk, "status") == "open", user
    # positive control: registry staff may approve it
    response = login("registry").post("/accountrequestview/action_post",
                                      data={"action": "approve", "rowid": [str(pk)]})
    assert response.status_code == 302
    assert column(db, m.AccountRequest, pk, "status") == "approved"


def test_exam_sessions_of_a_scoped_user_belong_to_their_own_awarding_body(w, db, login):
    """Whatever a form or the API names as awarding body, ab1's new and edited sessions are ab1's:
    naming ab2 is either refused for that field or overridden."""
    c = login("ab1")
    ab1, ab2, x1 = w.ids["ab1"], w.ids["ab2"], w.ids["x1"]

    def refused_or_own(response, pk):
        if response.status_code in (200, 201):
            assert column(db, m.ExamSession, pk, "awarding_body_id") == ab1
        else:
            assert response.status_code == 422, response.json
            assert list(response.json["message"]) == ["awarding_body"]

    payload = {"standard": w.ids["s1"], "place_address": "Pärnu mnt 1, Tallinn",
               "starts_at": "2026-09-01T09:00:00+03:00", "ends_at": "2026-09-01T15:00:00+03:00",
               "capacity": 5, "language": "et", "status": "draft"}
    response = c.api("post", "/api/v1/exam_session/", json={**payload, "awarding_body": ab2})
    refused_or_own(response, (response.json or {}).get("id"))
    refused_or_own(c.api("put", f"/api/v1/exam_session/{x1}", json={"awarding_body": ab2}), x1)
    response = c.api("post", "/api/v1/exam_session/", json={**payload, "awarding_body": ab1})
    assert response.status_code == 201, response.json  # control
    assert column(db, m.ExamSession, response.json["id"], "awarding_body_id") == ab1

    data = {**parse_form(text(c.get("/examsessionview/add"))).values, "standard": str(w.ids["s1"]),
            "place_address": "Pärnu mnt 1, Tallinn", "starts_at": "2026-09-02 09:00:00",
            "ends_at": "2026-09-02 15:00:00", "capacity": "5"}
    c.post("/examsessionview/add", data={**data, "awarding_body": str(ab2)})
    values = parse_form(text(c.get(f"/examsessionview/edit/{x1}"))).values
    c.post(f"/examsessionview/edit/{x1}", data={**values, "awarding_body": str(ab2)})
    assert column(db, m.ExamSession, x1, "awarding_body_id") == ab1
    before = count(db, m.ExamSession, awarding_body_id=ab1)
    assert c.post("/examsessionview/add", data={**data, "awarding_body": str(ab1)}).status_code == 302  # control
    assert count(db, m.ExamSession, awarding_body_id=ab1) == before + 1

    assert count(db, m.ExamSession, awarding_body_id=ab2) == 1  # still only x2
