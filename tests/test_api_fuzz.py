"""API fuzzing: schemathesis generates requests from the app's own OpenAPI document
(/api/v1/_openapi) and sends them to the WSGI app with a logged-in user's JWT.

Every operation gets a bounded number of generated requests, valid and invalid ones (positive
and negative mode), on the per-test database of the `world` fixture, writes included. Checks:
no server error (5xx); status codes, content types, headers and bodies as documented; valid
input accepted (2xx, or 401/403/404/409/422 for what only the data can refuse), invalid input
refused; a request without valid credentials refused. A second run as the awarding body user
ab1 also checks that no response carries a record outside ab1's scope (app.security.scoping).

Generation is seeded, so a run is repeatable; FUZZ_EXAMPLES and FUZZ_SEED explore further,
e.g. ``FUZZ_EXAMPLES=50 FUZZ_SEED=7 pytest tests/test_api_fuzz.py``. The fixes the fuzzer led
to are in app/views/api_contract.py; the tests after the fuzz runs pin each of them down.
"""
from __future__ import annotations

import os

import pytest
import schemathesis
import sqlalchemy as sa
from schemathesis.config import SchemathesisConfig

from app import models as m
from tests.conftest import IsolatedClient

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
SEED = int(os.environ.get("FUZZ_SEED", "1"))


def _config(examples: int) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict({
        "seed": SEED,
        "generation": {
            "mode": "all", "max-examples": examples, "no-shrink": True, "database": "none",
            # Text the JSON standard allows but UTF-8 and PostgreSQL cannot hold (lone surrogates,
            # NUL) is refused with 400: tested below, not generated as "valid" input.
            "codec": "utf-8", "allow-x00": False,
        },
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        "checks": {
            # Valid by the schema, refused by the data: an unknown id, a rule, another's record.
            "positive_data_acceptance": {"expected-statuses": ["2xx", 401, 403, 404, 409, 422]},
        },
    })


def _openapi(login) -> dict:
    response = login("admin").api("get", "/api/v1/_openapi")  # Admin only
    assert response.status_code == 200, response.data
    return response.json


def _load(app, login, examples: int):
    schema = schemathesis.openapi.from_dict(_openapi(login), config=_config(examples))
    schema.app = app
    return schema


@pytest.fixture()
def admin_schema(app, world, login):
    return _load(app, login, EXAMPLES)


@pytest.fixture()
def ab1_schema(app, world, login):
    return _load(app, login, max(2, EXAMPLES // 2))


def _call(case, app, user):
    # IsolatedClient: each request in its own app context, as in production (tests hold one).
    client = IsolatedClient(app, app.response_class)
    return case.call_and_validate(session=client, headers={"Authorization": f"Bearer {user.token}"})


admin_fuzz = schemathesis.pytest.from_fixture("admin_schema")


@admin_fuzz.parametrize()
def test_fuzz_every_operation_as_admin(case, app, login):
    _call(case, app, login("admin"))


# --- the same as an awarding body user, with scoping --------------------------------------

def _out_of_scope(app, username: str) -> dict[type, set[int]]:
    """Ids of every scoped entity that ``username`` may not see."""
    from app.security.scoping import RULES, scoped

    with app.app_context():
        session = app.appbuilder.session
        user = session.execute(sa.select(app.appbuilder.sm.user_model).filter_by(username=username)).scalar_one()
        hidden = {}
        for model in RULES:
            every = set(session.execute(sa.select(model.id)).scalars())
            visible = set(session.execute(scoped(sa.select(model.id), model, user)).scalars())
            hidden[model] = every - visible
        session.rollback()
    return hidden


def _api_models(app) -> dict[str, type]:
    from app.views.base import ScopedModelRestApi

    return {view.resource_name: view.datamodel.obj for view in app.appbuilder.baseviews
            if isinstance(view, ScopedModelRestApi)}


def _records(model: type, record: dict):
    """(model, id) of a record in a response and of each parent it names ({"parent": {"id": …}})."""
    if isinstance(record.get("id"), int):
        yield model, record["id"]
    for rel in model.__mapper__.relationships:
        value = record.get(rel.key)
        if isinstance(value, dict) and isinstance(value.get("id"), int):
            yield rel.mapper.class_, value["id"]


def _seen(model: type, body) -> set[tuple[type, int]]:
    if not isinstance(body, dict):
        return set()
    seen = set()
    result = body.get("result")
    if isinstance(result, list):
        seen |= {(model, i) for i in body.get("ids", []) if isinstance(i, int)}
        for record in result:
            if isinstance(record, dict):
                seen |= set(_records(model, record))
    elif isinstance(result, dict):
        seen |= set(_records(model, {"id": body.get("id"), **result}))
    return seen


ab1_fuzz = schemathesis.pytest.from_fixture("ab1_schema")


@ab1_fuzz.parametrize()
def test_fuzz_as_awarding_body_user_stays_in_scope(case, app, login, request):
    cache = request.node.stash.setdefault(_SCOPE_KEY, {})
    if not cache:
        cache["hidden"] = _out_of_scope(app, "ab1")
        cache["models"] = _api_models(app)
    response = _call(case, app, login("ab1"))
    resource = case.operation.path.split("/")[3]
    model = cache["models"].get(resource)
    if model is None or response.status_code >= 300:
        return
    leaked = {(mod.__name__, pk) for mod, pk in _seen(model, response.json())
              if pk in cache["hidden"].get(mod, set())}
    assert not leaked, f"{case.method} {case.formatted_path} showed ab2's records {sorted(leaked)}"


_SCOPE_KEY = pytest.StashKey[dict]()


def test_scope_check_sees_records(app, world, login):
    """The scope check above is not vacuous: ab2's records are found by it in ab2's answers."""
    hidden = _out_of_scope(app, "ab1")
    models = _api_models(app)
    assert world.ids["r2"] in hidden[m.Registration] and world.ids["r1"] not in hidden[m.Registration]
    body = login("ab2").api("get", "/api/v1/registration/").json
    assert (m.Registration, world.ids["r2"]) in _seen(models["registration"], body)
    body = login("ab2").api("get", f"/api/v1/result/{world.ids['res2']}").json
    assert (m.Registration, world.ids["r2"]) in _seen(models["result"], body)
    assert login("ab1").api("get", f"/api/v1/result/{world.ids['res2']}").status_code == 404


# --- what the fuzzer found, pinned down -----------------------------------------------------

def test_unknown_or_malformed_relation_id_is_refused_not_created(world, login, db):
    client = login("admin")
    standards = db.scalar(sa.select(sa.func.count()).select_from(m.OccupationalStandard))
    for value in (999_999, 2**40, "7", {"id": 1}, [1], True, 1.5):
        response = client.api("post", "/api/v1/competence/", json={"name": "Kokandus", "register_id": 5,
                                                                   "standard": value})
        assert response.status_code == 422, (value, response.json)
        assert list(response.json["message"]) == ["standard"]
    # marshmallow-sqlalchemy built a new, empty standard from an unknown id
    assert db.scalar(sa.select(sa.func.count()).select_from(m.OccupationalStandard)) == standards


def test_integer_out_of_column_range_is_refused(world, login):
    response = login("admin").api("put", f"/api/v1/exam_session/{world.ids['x1']}", json={"capacity": 2**40})
    assert response.status_code == 422, response.json
    assert list(response.json["message"]) == ["capacity"]


def test_duplicate_unique_value_is_a_field_error_without_sql(world, login):
    response = login("admin").api("post", "/api/v1/school/", json={
        "name": "Teine kool", "ehis_id": 999, "registrikood": "70004637"})  # school1's
    assert response.status_code == 422, response.json
    assert list(response.json["message"]) == ["registrikood"]
    assert "INSERT" not in response.text and "psycopg2" not in response.text


@pytest.mark.parametrize("escaped", ["nul\\u0000byte", "lone \\udc00 surrogate"])
def test_text_that_cannot_be_stored_is_refused(world, login, escaped):
    """JSON may carry NUL and unpaired surrogates; PostgreSQL and UTF-8 cannot: 400, not 500."""
    client = login("admin")
    body = '{"first_name": "' + escaped + '", "last_name": "Tamm"}'
    response = client.api("put", f"/api/v1/person/{world.ids['p1']}", data=body,
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.json
    q = '{"filters": [{"col": "last_name", "opr": "ct", "value": "' + escaped + '"}]}'
    assert client.api("get", "/api/v1/person/", query_string={"q": q}).status_code == 400


def test_write_body_must_be_an_object(world, login):
    client = login("admin")
    for body in ("[]", "0.5", '"text"', "null"):
        response = client.api("put", f"/api/v1/person/{world.ids['p1']}", data=body,
                              headers={"Content-Type": "application/json"})
        assert response.status_code == 400, (body, response.json)


def test_query_argument_q(world, login):
    client = login("admin")
    get = lambda q: client.api("get", "/api/v1/school/", query_string={"q": q})  # noqa: E731
    # JSON with "&" and "+" in a value: FAB decoded it twice (cut at "&", "+" as a space)
    response = get('{"filters": [{"col": "name", "opr": "ct", "value": "A&B+C"}]}')
    assert response.status_code == 200 and response.json["count"] == 0, response.json
    assert get("(page:0,page_size:1)").json["count"] == 2  # rison as before
    for bad in ("1.5e+16", "(page:-1)", "(page:2147483648)", "{not json",
                '{"filters": [{"col": "name", "opr": "ct", "value": 1.5}]}',  # text filter, a number
                '{"filters": [{"col": "name", "opr": "rel_o_m", "value": 1}]}',  # no such operator
                '{"columns": ["nope"]}'):
        assert get(bad).status_code == 400, bad
    response = client.api("get", "/api/v1/registration/", query_string={
        "q": '{"filters": [{"col": "exam_session", "opr": "rel_o_m", "value": "x"}]}'})
    assert response.status_code == 400, response.json
    for bad in ('{"order_column": ""}', '{"columns": [], "select_columns": []}'):
        assert get(bad).status_code == 400, bad
    person = lambda q: client.api("get", "/api/v1/person/", query_string={"q": q})  # noqa: E731
    assert person('{"filters": [{"col": "birth_date", "opr": "eq", "value": "1 Jan 2000"}]}').status_code == 400
    assert person('{"filters": [{"col": "birth_date", "opr": "gt", "value": "1900-01-01"}]}').status_code == 200
    audit = lambda q: client.api("get", "/api/v1/audit_event/", query_string={"q": q})  # noqa: E731
    # ISO 8601 allows offsets PostgreSQL refuses: the instant is sent in UTC
    assert audit('{"filters": [{"col": "at", "opr": "gt", "value": "2000-01-01T00:00:00-19:32"}]}').status_code == 200
    assert audit('{"filters": [{"col": "entity_id", "opr": "in", "value": [1, 10000000000]}]}').status_code == 400


def test_put_and_delete_take_an_integer_id(world, login):
    client = login("admin")
    assert client.api("get", "/api/v1/school/abc").status_code == 404
    assert client.api("put", "/api/v1/school/abc", json={"name": "X"}).status_code == 404
    assert client.api("delete", "/api/v1/school/abc").status_code == 404


def test_info_descriptions_are_not_the_catalogue_header(world, login):
    info = login("admin").api("get", "/api/v1/person/_info").json
    assert info["add_columns"]
    assert all("Project-Id-Version" not in column["description"] for column in info["add_columns"])


def test_bad_token_is_401_and_login_provider_defaults_to_db(app, world):
    client = IsolatedClient(app, app.response_class)
    response = client.get("/api/v1/person/", headers={"Authorization": "Bearer not.a.token"})
    assert response.status_code == 401
    response = client.post("/api/v1/security/login", json={"username": "admin", "password": "parool-Test-1"})
    assert response.status_code == 200 and response.json["access_token"]
