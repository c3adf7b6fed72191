#!/usr/bin/env python3
"""Generate docs/api.md, the REST API reference, from the running application itself.

    python scripts/api_docs.py > docs/api.md      regenerate
    python scripts/api_docs.py --check            fail when docs/api.md is out of date

Builds the app on a throwaway SQLite database (migrations, role sync and an admin user through
the same `flask` commands a deployment runs), logs in through POST /api/v1/security/login,
fetches the OpenAPI document (/api/v1/_openapi) and each resource's /_info, and combines them
with app/security/roles.py (who may read or write) and app/security/scoping.py (which rows).
Everything but the Markdown goes to stderr.
"""
from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"

if __name__ == "__main__" and VENV_PYTHON.exists() and Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
    os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), *sys.argv])  # the project's dependencies live there

ADMIN_USER, ADMIN_PASSWORD, ADMIN_CODE = "apidocs-admin", "Apidocs-admin-1", "38506190229"

# Human wording of every rule in app.security.scoping.RULES; the script refuses to run when a
# rule is added or removed there without being described here.
AB, SCHOOL, ASSESSOR = "Awarding body user", "School user", "Assessor"
SCOPE_TEXT: dict[tuple[str, str], str] = {
    ("AwardingBody", AB): "only the user's own awarding body",
    ("AwardingRight", AB): "rights of the user's awarding body",
    ("QualificationCommittee", AB): "committees of the user's awarding body",
    ("CommitteeMember", AB): "members of the user's awarding body's committees",
    ("School", AB): "all schools (exam places and candidates' schools)",
    ("School", SCHOOL): "only the user's own school",
    ("Curriculum", AB): "curricula linked to a standard the awarding body holds an awarding right for",
    ("Curriculum", SCHOOL): "curricula of the user's school",
    ("CurriculumStandardLink", AB): "links to standards the awarding body holds an awarding right for",
    ("CurriculumStandardLink", SCHOOL): "links of the user's school's curricula",
    ("Person", AB): "persons with an enrolment routed to the awarding body, assessors on its exam "
                    "sessions and holders of its certificates",
    ("Person", SCHOOL): "persons enrolled at the user's school",
    ("Person", ASSESSOR): "the assessor themself (by isikukood) and candidates registered to the "
                          "exam sessions they assess",
    ("Enrolment", AB): "enrolments routed to the awarding body or registered to its exam sessions",
    ("Enrolment", SCHOOL): "enrolments at the user's school",
    ("Enrolment", ASSESSOR): "enrolments registered to the exam sessions they assess",
    ("ExamSession", AB): "the awarding body's own exam sessions",
    ("ExamSession", SCHOOL): "sessions held at the school or with a registration from the school",
    ("ExamSession", ASSESSOR): "sessions the assessor is assigned to (matched by isikukood)",
    ("Registration", AB): "registrations to the awarding body's sessions",
    ("Registration", SCHOOL): "registrations of the school's students",
    ("Registration", ASSESSOR): "registrations to the sessions they assess",
    ("AssessorAssignment", AB): "assignments on the awarding body's sessions",
    ("AssessorAssignment", ASSESSOR): "assignments on the sessions they assess",
    ("StatSummary", AB): "figures on the awarding body's own records",
    ("StatSummary", SCHOOL): "figures on the school's own records",
    ("Result", AB): "results on the awarding body's sessions",
    ("Result", SCHOOL): "results of the school's students",
    ("Result", ASSESSOR): "results of registrations to the sessions they assess",
    ("CompetenceResult", AB): "competence results on the awarding body's sessions",
    ("CompetenceResult", SCHOOL): "competence results of the school's students",
    ("CompetenceResult", ASSESSOR): "competence results on the sessions they assess",
    ("Decision", AB): "the awarding body's decisions",
    ("Decision", SCHOOL): "decisions on the school's students",
    ("Certificate", AB): "certificates issued by the awarding body",
    ("Certificate", SCHOOL): "certificates of the school's students",
    ("Appeal", AB): "appeals against the awarding body's decisions",
    ("Appeal", SCHOOL): "appeals concerning the school's students",
    ("JobRun", AB): "job runs started for the awarding body",
    ("JobRunError", AB): "rejected records of the awarding body's job runs",
}
RULE_TEXT = {
    "isikukood": "valid Estonian personal code (isikukood: birth date, century digit, checksum)",
    "registrikood": "valid Estonian registry code (registrikood: 8 digits, checksum)",
    "ehis_curriculum_code": "EHIS curriculum code: whole number, 1 to 99 999 999",
    "level_code": "EHIS level code, one of {level_codes}",
    "ekr_level": "EKR level: whole number 1 to 8",
    "positive": "greater than zero",
}
METHODS = [  # (OpenAPI path suffix, HTTP method, FAB method name, what it does)
    ("/", "get", "get_list", "list (paginated, filtered, ordered)"),
    ("/{pk}", "get", "get", "one record"),
    ("/", "post", "post", "create"),
    ("/{pk}", "put", "put", "update (send only the fields to change)"),
    ("/{pk}", "delete", "delete", "delete"),
    ("/_info", "get", "info", "metadata: add/edit columns, filters, your permissions"),
]


def log(*args: Any) -> None:
    print(*args, file=sys.stderr)


# --- building the app and fetching what it says about itself --------------------------------

def build_app(db_path: Path):
    os.environ.update({
        "DATABASE_URL": f"sqlite:///{db_path}",
        "SESSION_COOKIE_SECURE": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "apidocs-throwaway-secret-key-0123456789",
        "EKSAMIHALDUS_INSTANCE": str(db_path.parent),
        "RATELIMIT_STORAGE_URI": "memory://",
        "FLASK_APP": "app:create_app",
    })
    sys.path.insert(0, str(ROOT))
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "RATELIMIT_ENABLED": False})
    runner = app.test_cli_runner()
    for args in (["db", "upgrade"], ["eksamihaldus", "sync-roles"],
                 ["eksamihaldus", "create-user", "--username", ADMIN_USER, "--password", ADMIN_PASSWORD,
                  "--role", "Admin", "--isikukood", ADMIN_CODE]):
        result = runner.invoke(args=args)
        log(f"$ flask {' '.join(args[:2])}: exit {result.exit_code}")
        if result.exit_code != 0:
            log(result.output)
            raise SystemExit(f"`flask {' '.join(args)}` failed") from result.exception
    return app


def fetch(app) -> tuple[dict, dict[str, dict], str]:
    client = app.test_client()
    login = client.post("/api/v1/security/login", json={
        "username": ADMIN_USER, "password": ADMIN_PASSWORD, "provider": "db"})
    if login.status_code != 200:
        raise SystemExit(f"API login failed: {login.status_code} {login.data[:300]!r}")
    headers = {"Authorization": f"Bearer {login.json['access_token']}"}
    spec = client.get("/api/v1/_openapi", headers=headers)
    if spec.status_code != 200:
        raise SystemExit(f"/api/v1/_openapi: {spec.status_code}")
    infos = {}
    for path in spec.json["paths"]:
        if path.endswith("/_info"):
            response = client.get(path + "?_l_=en", headers=headers)
            infos[path.removesuffix("_info")] = response.json
    # Swagger UI: a browser session (HTML login), the way a person opens it.
    client.post("/login/", data={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
    swagger = client.get("/swagger/v1")
    swagger_html = swagger.get_data(as_text=True) if swagger.status_code == 200 else ""
    if not swagger_html:
        log(f"warning: /swagger/v1 answered {swagger.status_code}")
    return spec.json, infos, swagger_html


# --- describing ------------------------------------------------------------------------------

def en(app, text) -> str:
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("en"):
        return str(text)


def et(app, text) -> str:
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("et"):
        return str(text)


def resolve(spec: dict, node: dict) -> dict:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = spec["components"]["schemas"][name]
    return node


def type_of(prop: dict, relation: type | None, resources: dict[type, str]) -> str:
    if relation is not None:
        target = resources.get(relation)
        where = f" of [{target}](#{target})" if target else f" of {relation.__name__}"
        return f"id{where}"
    kind = prop.get("type", "any")
    if prop.get("format"):
        kind = {"date-time": "datetime", "date": "date"}.get(prop["format"], f"{kind} ({prop['format']})")
    if prop.get("maxLength"):
        kind += f" ≤{prop['maxLength']}"
    return kind


def md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def scope_sql(model: type, role: str) -> str:
    """The SQL condition a scoped role's rule adds, with the user's keys as placeholders."""
    from types import SimpleNamespace

    from sqlalchemy.dialects import postgresql

    from app.security.scoping import RULES

    user = SimpleNamespace(awarding_body_id=900000001, school_id=900000002, isikukood="USER_ISIKUKOOD")
    from sqlalchemy import select

    # Compiled as the WHERE of a query on the model, so that EXISTS subqueries show correlated.
    query = select(model.id).where(RULES[model][role](user))
    sql = str(query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    sql = sql.split("WHERE", 1)[1].strip()
    sql = (sql.replace("900000001", ":user.awarding_body_id").replace("900000002", ":user.school_id")
           .replace("'USER_ISIKUKOOD'", ":user.isikukood"))
    return " ".join(sql.split())


def example_422(app) -> dict:
    """What POST /api/v1/exam_session/ with a bad capacity and language answers (the real rules)."""
    from flask_babel import force_locale

    from app.models import ExamSession

    with app.test_request_context(), force_locale("et"):
        errors: dict[str, list[str]] = {}
        for field, message in ExamSession.field_errors({"capacity": 0, "language": "xx"}):
            errors.setdefault(field, []).append(str(message))
    return {"message": errors}


def check_scope_text() -> None:
    from app.security.scoping import RULES

    rules = {(model.__name__, role) for model, per_role in RULES.items() for role in per_role}
    missing, stale = rules - set(SCOPE_TEXT), set(SCOPE_TEXT) - rules
    if missing or stale:
        raise SystemExit(f"SCOPE_TEXT in scripts/api_docs.py is out of date: undescribed rules "
                         f"{sorted(missing)}, described but gone {sorted(stale)}")


def rows_for(model: type, role: str) -> str:
    from app.security import roles as r
    from app.security.scoping import RULES

    if role in r.UNSCOPED_ROLES:
        return "all rows"
    if model not in RULES:
        return "all rows (shared reference data)"
    if role in RULES[model]:
        return SCOPE_TEXT[(model.__name__, role)]
    return "no rows"


def access_for(model: type, role: str, writable_api: bool) -> str:
    from app.security import roles as r

    perms = {"can_read", "can_write"} if role == r.ADMIN else r.ROLES.get(role, {}).get(model.__name__, set())
    if not perms:
        return "—"
    if "can_write" in perms and writable_api:
        return "read, write"
    return "read"


def render(app, spec: dict, infos: dict[str, dict], swagger_html: str) -> str:
    from sqlalchemy.orm import RelationshipDirection

    from app.security import roles as r
    from app.security.scoping import RULES
    from app.validation import LEVEL_CODES
    from app.views import SCREENS
    from app.views.base import METHOD_PERMISSIONS, NOT_YOURS, ScopedModelRestApi
    from app.views.labels import LABELS

    config = app.config
    apis = sorted(
        (v for v in app.appbuilder.baseviews if isinstance(v, ScopedModelRestApi)),
        key=lambda v: v.resource_name,
    )
    resources = {api.model: api.resource_name for api in apis}
    screens: dict[type, tuple[str, Any]] = {}
    for view, name, label, *_ in SCREENS:
        screens.setdefault(view.model, (name, label))  # the model's main screen comes first
    role_order = [r.ADMIN, r.REGISTRY, AB, SCHOOL, ASSESSOR]
    base = "/api/v1"
    out: list[str] = []
    w = out.append

    w("# Eksamihaldus REST API\n")
    w("<!-- Generated by scripts/api_docs.py from the app's OpenAPI document, app/security/roles.py "
      "and app/security/scoping.py. Do not edit by hand: `python scripts/api_docs.py > docs/api.md`. -->\n")
    w(f"Every entity of the HTML screens has a JSON resource under `{base}/<resource>/`, built from the "
      "same column choices, with the same permissions, the same row scoping and the same validation. "
      f"OpenAPI {spec['openapi']} document: `GET {base}/_openapi` (Admin only).\n")

    w("## Contents\n")
    for api in apis:
        label = screens.get(api.model, (api.model.__name__, None))[0]
        w(f"- [`{api.resource_name}`](#{api.resource_name}) — {label}")
    w("")

    # -- authentication
    expires = config.get("JWT_ACCESS_TOKEN_EXPIRES")
    expires = getattr(expires, "total_seconds", lambda: expires)()
    w("## Authentication\n")
    w("1. Log in with a database user (the same username and password as on the login page):\n")
    w("   ```http\n   POST /api/v1/security/login\n   Content-Type: application/json\n\n"
      '   {"username": "ab1", "password": "…", "provider": "db", "refresh": true}\n   ```\n')
    w('   The answer is `{"access_token": "…", "refresh_token": "…"}` (`refresh_token` only with '
      '`"refresh": true`). A wrong password answers 401 `{"message": "Not authorized"}`.\n')
    w("2. Send the access token on every call:\n")
    w("   ```http\n   GET /api/v1/exam_session/\n   Authorization: Bearer <access_token>\n   ```\n")
    w(f"   The access token is valid for {int(expires)} seconds (`JWT_ACCESS_TOKEN_EXPIRES`). "
      "`POST /api/v1/security/refresh` with `Authorization: Bearer <refresh_token>` returns a new "
      "access token. A missing, expired or invalid token answers 401 with flask-jwt-extended's "
      '`{"msg": "…"}`.\n')
    w("3. A browser that is logged in to the HTML screens may call the API with its session cookie "
      "too (this is what Swagger UI's *Try it out* uses). The JSON API is exempt from CSRF tokens; "
      "the session cookie is `SameSite=Lax` and every write needs a JSON body.\n")
    api_keys = config.get("FAB_API_KEY_ENABLED", False)
    w(f"The OpenAPI document also lists an `api_key` security scheme (Flask-AppBuilder's); API keys are "
      f"{'enabled' if api_keys else '**disabled** (`FAB_API_KEY_ENABLED` is off), so only JWTs and sessions work'}.\n")
    w("```bash\nTOKEN=$(curl -s -X POST http://127.0.0.1:5000/api/v1/security/login \\\n"
      "  -H 'Content-Type: application/json' \\\n"
      "  -d '{\"username\": \"ab1\", \"password\": \"…\", \"provider\": \"db\"}' | jq -r .access_token)\n"
      "curl -s -H \"Authorization: Bearer $TOKEN\" "
      "'http://127.0.0.1:5000/api/v1/exam_session/?q=(page:0,page_size:10)'\n```\n")

    # -- swagger
    w("## Swagger UI\n")
    if config.get("FAB_API_SWAGGER_UI"):
        local = "swagger-ui-bundle.js" in swagger_html and "//cdn" not in swagger_html
        w(f"`/swagger/v1` (`FAB_API_SWAGGER_UI` is on) renders the OpenAPI document `{base}/_openapi`. "
          "Both need the Admin role (permissions `can_show` on SwaggerView and `can_get` on OpenApi); "
          "other roles get 403 and use this document instead. Open it in a browser after logging in "
          "on the login page.")
        if local:
            w("Swagger UI's JavaScript and CSS are served by the app from Flask-AppBuilder's static "
              "folder, so it works without internet access.")
        w("")
    else:
        w("Swagger UI is switched off (`FAB_API_SWAGGER_UI`).\n")

    # -- rate limits
    w("## Rate limits\n")
    if config.get("AUTH_RATE_LIMITED"):
        w(f"- `POST /api/v1/security/login` and the HTML login `POST /login/`: **{config.get('AUTH_RATE_LIMIT')}** "
          "per client address (`AUTH_RATE_LIMIT`), counted on every attempt, successful or not.")
        w("- Over the limit: **429 Too Many Requests** with `Retry-After` and `X-RateLimit-Limit`, "
          "`X-RateLimit-Remaining`, `X-RateLimit-Reset` headers. The 429 body is a short HTML page, "
          "not JSON.")
        w("- Other API calls are not rate-limited.")
        w("- Counters live in `RATELIMIT_STORAGE_URI` (memory by default; use Redis when several "
          "processes serve the app). `RATELIMIT_ENABLED=false` turns limits off.\n")
    else:
        w("No rate limits are configured.\n")

    # -- lists
    from app.views.scale import COUNT_CAP

    page_size = apis[0].page_size if apis else 25
    max_page = apis[0].max_page_size or config.get("FAB_API_MAX_PAGE_SIZE")
    w("## Lists: pagination, ordering, filters, columns\n")
    w("`GET /api/v1/<resource>/` takes one query parameter `q` in "
      "[Rison](https://github.com/Nanonid/rison) (compact JSON for URLs) or in JSON, URL-encoded:\n")
    w("```\n/api/v1/exam_session/?q=(page:0,page_size:25,order_column:starts_at,order_direction:desc,"
      "filters:!((col:status,opr:eq,value:published)))\n```\n")
    w(f"- `page` starts at 0 (at most 2147483647); `page_size` defaults to **{page_size}**; the maximum is **{max_page}** "
      f"(`FAB_API_MAX_PAGE_SIZE`). A larger (or < 1) `page_size` is silently reduced to {max_page}, "
      "not refused. `count` is the number of matching rows up to "
      f"{COUNT_CAP:,}; above that it is {COUNT_CAP + 1:,}, meaning \"more than {COUNT_CAP:,}\" (an exact count of "
      "a million rows would cost more than the page): narrow the filters, or page on until a page comes back "
      "shorter than `page_size`.")
    w("- `order_column` must be one of the resource's *order columns*; `order_direction` is `asc` or `desc`.")
    w("- `filters` is a list of `(col, opr, value)`; the columns and operators each resource accepts "
      "are listed below (and by `GET /api/v1/<resource>/_info`). Several filters are combined with AND. "
      "Operators: `eq`/`neq` equal/not equal, `gt`/`lt` greater/less than, `sw`/`ew`/`ct` starts "
      "with/ends with/contains (case-insensitive; `nsw`, `new`, `nct` negate them), `in`/`not_in` "
      "one of a list, `rel_o_m`/`nrel_o_m` a relation is/is not the record with this id.")
    w("- A filter's `value` has its column's type: text for text columns, a number for numbers, "
      "`!t`/`!f` (JSON `true`/`false`) for yes/no, an ISO date for dates, the related record's id "
      "for relations, a list for `in`/`not_in`. A column or operator the resource does not list, or "
      "a value of another type, answers 400. The OpenAPI document lists each resource's columns "
      "and operators with the value type.")
    w("- `columns:!(id,status)` limits the returned columns to some of the list columns (an unknown "
      "column answers 400).")
    w("- Answer: `{\"count\": n, \"ids\": [...], \"result\": [{...}], \"list_columns\": [...], "
      "\"order_columns\": [...], \"label_columns\": {...}, \"list_title\": \"…\"}`. A single record: "
      "`GET /api/v1/<resource>/<id>` → `{\"id\": id, \"result\": {...}, \"show_columns\": [...], ...}`.")
    w("- Relations are returned as `{\"id\": n}` (list and show; `null` when an optional relation "
      "is empty) and written as the plain id (`\"standard\": 3`) of an existing record; another "
      "value, or an id no record has, answers 422. Follow the id to the related resource.")
    w("- Decimal numbers (competence points) are returned as text (`\"80.00\"`) and accepted as "
      "a number or as text.")
    w("- Dates are ISO 8601 (`2026-06-10`); datetimes are returned in UTC with an offset "
      "(`2026-06-10T09:00:00+00:00`). A datetime sent without an offset means Tallinn time.")
    w("- Labels and messages are Estonian; add `_l_=en` to the query string for English where a "
      "translation exists.\n")

    # -- errors
    w("## Writes and errors\n")
    w("- `POST /api/v1/<resource>/` → **201** `{\"id\": n, \"result\": {...}}`; "
      "`PUT /api/v1/<resource>/<id>` → **200** `{\"result\": {...}}`; "
      "`DELETE /api/v1/<resource>/<id>` → **200** `{\"message\": \"OK\"}`.")
    w("- **422** — validation failed; `message` maps each field to its reasons:\n")
    w(f"  ```json\n  {json.dumps(example_422(app), ensure_ascii=False)}\n  ```\n")
    w("  The same rules as on the screens apply (field rules, allowed values, cross-field rules); "
      "an unknown field answers `{\"message\": {\"nope\": [\"Unknown field.\"]}}`.")
    w("- **400** — malformed `q`, a `page` out of range, an unknown column or filter, a write "
      "without a JSON body (`{\"message\": \"Request is not JSON\"}`) or whose body is not a JSON "
      "object, or text holding a NUL character or an unpaired surrogate (which cannot be stored).")
    w("- **422** also for a value that breaks a database constraint, under its field and without "
      "SQL: a duplicate unique value (`\"on juba olemas\"`), a number outside the column's range.")
    w("- Writes to the records of one exam session (registrations, results, competence marks, "
      "decisions, certificates, appeals and the session's grid and decision endpoints) are done one "
      "after another (a row lock on the session): two users confirming the same decision at once "
      "get one 200 and one 422, never two certificates.")
    w("- **401** — no or bad token (see above). **403** — the role lacks the permission: "
      "`{\"message\": \"Forbidden\"}`.")
    w("- **404** — `{\"message\": \"Not found\"}`: the record does not exist **or is outside your scope** "
      "(see below); the API does not reveal which.")
    w("- **429** — rate limit (login only). **500** — `{\"message\": \"Fatal error\"}`.\n")

    # -- scoping
    w("## Who may do what, and which rows\n")
    w("Each resource is one permission resource (named after its model) with two permissions: "
      "`can_read` (" + ", ".join(sorted(k for k, v in METHOD_PERMISSIONS.items() if v == "read" and k in
                                        {"get", "get_list", "info"})) + ") and `can_write` ("
      + ", ".join(sorted(k for k, v in METHOD_PERMISSIONS.items() if v == "write" and k in
                         {"post", "put", "delete"})) + "). Roles are declared in `app/security/roles.py`; "
      "Admin has every permission.\n")
    w(f"- **Unscoped roles** ({', '.join(sorted(r.UNSCOPED_ROLES))}) see every row.")
    w(f"- **Scoped roles** ({', '.join(sorted(r.SCOPED_ROLES))}) see only the rows their organisation "
      "owns (`app/security/scoping.py`): an awarding body user by the user's awarding body, a school "
      "user by the user's school, an assessor by the exam sessions they are assigned to (matched on "
      "the user's isikukood). A resource without rules (standards and their parts) is shared "
      "reference data; a role without a rule for a resource sees no rows of it.")
    w("- The same filter applies to list, get, put and delete: a record outside the scope "
      "answers **404**, exactly as if it did not exist.")
    w("- On create and update, owner columns (`awarding_body_id`, `school_id`) are set from the user, "
      "whatever the request says, and every related record the request points to (e.g. `exam_session`, "
      "`awarding_body`) must be inside the user's scope, else 422 "
      f"`{json.dumps({'message': {'awarding_body': [et(app, NOT_YOURS)]}}, ensure_ascii=False)}`.")
    w("- Reading a record with a personal code (isikukood) through `GET /<resource>/<id>` is written "
      "to the data-access log.\n")

    w("### Summary\n")
    w("| Resource | " + " | ".join(role_order) + " |")
    w("|---|" + "---|" * len(role_order))
    for api in apis:
        writable = "post" in api.include_route_methods if api.include_route_methods else True
        cells = []
        for role in role_order:
            access = access_for(api.model, role, writable)
            if access == "—":
                cells.append("—")
                continue
            rows = rows_for(api.model, role)
            short = {"all rows": "all", "all rows (shared reference data)": "all", "no rows": "none"}.get(rows, "scoped")
            cells.append(f"{access.replace('read, write', 'RW').replace('read', 'R')} ({short})")
        w(f"| [`{api.resource_name}`](#{api.resource_name}) | " + " | ".join(cells) + " |")
    w("\nR = read, RW = read and write, (all) every row, (scoped) the rows described under the "
      "resource, — no access (403).\n")

    # -- resources
    w("## Resources\n")
    for api in apis:
        model = api.model
        name = api.resource_name
        path = f"{base}/{name}"
        screen, label = screens.get(model, (model.__name__, None))
        w(f"### {name}\n")
        title = f"**{screen}**" + (f" (*{et(app, label)}*)" if label is not None else "")
        doc = (model.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        w(f"{title} — model `{model.__name__}`, permission resource `{model.__name__}`."
          + (f" {doc}" if doc else "") + "\n")

        methods = []
        for suffix, method, fab_name, what in METHODS:
            op = spec["paths"].get(f"{path}{suffix}", {}).get(method)
            if op is not None:
                methods.append(f"| `{method.upper()} {path}{suffix}` | {what} | `can_{METHOD_PERMISSIONS[fab_name]}` |")
        w("| Call | | Permission |\n|---|---|---|")
        w("\n".join(methods))
        if api.include_route_methods and "post" not in api.include_route_methods:
            w("\nRead-only through the API.")
        w("")

        # who
        w("| Role | Access | Rows |\n|---|---|---|")
        writable = not api.include_route_methods or "post" in api.include_route_methods
        for role in role_order:
            access = access_for(model, role, writable)
            rows = rows_for(model, role) if access != "—" else "—"
            w(f"| {role} | {access} | {md(rows)} |")
        w("")
        if model in RULES and RULES[model]:
            w("<details><summary>Scope rules as SQL</summary>\n")
            for role in RULES[model]:
                w(f"- {role}: `{scope_sql(model, role)}`")
            w("\n</details>\n")

        # fields
        schemas = spec["components"]["schemas"]
        show = resolve(spec, {"$ref": f"#/components/schemas/{type(api).__name__}.get"}) \
            if f"{type(api).__name__}.get" in schemas else {"properties": {}}
        listed = schemas.get(f"{type(api).__name__}.get_list", {"properties": {}})
        post = schemas.get(f"{type(api).__name__}.post") if "post" in (spec["paths"].get(f"{path}/", {})) else None
        put = schemas.get(f"{type(api).__name__}.put") if "put" in (spec["paths"].get(f"{path}/{{pk}}", {})) else None
        relations = {rel.key: rel.mapper.class_ for rel in model.__mapper__.relationships
                     if rel.direction is RelationshipDirection.MANYTOONE}
        fields: list[str] = []
        declared = [c.split(".")[0] for c in [*api.list_columns, *api.show_columns, *api.add_columns, *api.edit_columns]]
        known = [f for source in (listed, show, post or {}, put or {}) for f in source.get("properties", {})]
        for field in ["id", *declared, *sorted(known)]:
            if field in known and field not in fields:
                fields.append(field)
        info = infos.get(f"{path}/", {})
        filters = info.get("filters", {})
        required = set((post or {}).get("required", []))
        w("| Field | Type | List | Show | Create | Update | Meaning, rules |")
        w("|---|---|:-:|:-:|:-:|:-:|---|")
        for field in fields:
            prop = (show.get("properties", {}).get(field) or listed.get("properties", {}).get(field)
                    or (post or {}).get("properties", {}).get(field) or {})
            kind = type_of(prop, relations.get(field), resources)
            nullable = prop.get("nullable") or ((post or {}).get("properties", {}).get(field, {}).get("nullable"))
            if nullable:
                kind += ", nullable"
            notes = []
            if field in LABELS:
                notes.append(f"{en(app, LABELS[field])} (*{et(app, LABELS[field])}*)")
            if field in model.__choices__:
                notes.append("one of " + ", ".join(f"`{code}` {en(app, text)}" for code, text in model.__choices__[field]))
            rule = model.__field_rules__.get(field)
            if rule is not None:
                text = RULE_TEXT.get(rule.__name__, rule.__name__)
                notes.append(text.format(level_codes=", ".join(str(c) for c in LEVEL_CODES)))
            if field in filters:
                notes.append("filter: " + ", ".join(f"`{f['operator']}`" for f in filters[field]))
            if field in (api.order_columns or []):
                notes.append("orderable")
            create = "required" if field in required else ("✓" if post and field in post.get("properties", {}) else "")
            update = "✓" if put and field in put.get("properties", {}) else ""
            w(f"| `{field}` | {md(kind)} | {'✓' if field in listed.get('properties', {}) else ''} | "
              f"{'✓' if field in show.get('properties', {}) else ''} | {create} | {update} | "
              f"{md('; '.join(notes))} |")
        if "cross_field_errors" in model.__dict__:
            w(f"\nCross-field rules: `{model.__module__}.{model.__name__}.cross_field_errors`.")
        extra = [c for c in filters if c not in fields]
        if extra:
            w("\nAlso filterable: " + "; ".join(
                f"`{c}` (" + ", ".join(f"`{f['operator']}`" for f in filters[c]) + ")" for c in extra) + ".")
        w("")

    # -- other endpoints
    others = sorted(p for p in spec["paths"]
                    if not any(p.startswith(f"{base}/{api.resource_name}/") for api in apis))
    if others:
        w("## Other endpoints\n")
        notes = {
            f"{base}/security/login": "log in, get a JWT (see Authentication)",
            f"{base}/security/refresh": "new access token from a refresh token",
            f"{base}/menu/": "Flask-AppBuilder's menu as JSON (Admin only)",
        }
        notes["/api/{version}/_openapi"] = f"this API as OpenAPI {spec['openapi']}: `{base}/_openapi` (Admin only)"
        for p in others:
            methods = ", ".join(m.upper() for m in spec["paths"][p])
            w(f"- `{methods} {p}` — {notes.get(p, 'Flask-AppBuilder endpoint')}")
        w("")
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    with tempfile.TemporaryDirectory(prefix="apidocs-") as tmp, contextlib.redirect_stdout(sys.stderr):
        app = build_app(Path(tmp) / "apidocs.db")
        check_scope_text()
        with app.app_context():
            spec, infos, swagger_html = fetch(app)
            text = render(app, spec, infos, swagger_html)
            app.extensions["sqlalchemy"].engine.dispose()  # release the SQLite file before it is removed
    if check:
        current = (ROOT / "docs" / "api.md").read_text(encoding="utf-8") if (ROOT / "docs" / "api.md").exists() else ""
        if current != text:
            log("docs/api.md is out of date: python scripts/api_docs.py > docs/api.md")
            return 1
        log("docs/api.md is up to date")
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
