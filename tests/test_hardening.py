"""Hardening as an attacker would probe it: cross-site form posts (CSRF), state changes by GET,
password guessing (rate limits), cookie flags, and secrets in the repository."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest

from app import models as m
from tests.conftest import make_app
from tests.factories import PASSWORD
from tests.test_validation import cheap_password_hashes, count  # noqa: F401 (autouse fixture)

ROOT = Path(__file__).resolve().parent.parent
NEW_SCHOOL = {"name": "Pärnu Kutsehariduskeskus", "ehis_id": "777", "registrikood": "80033338", "status": "open"}


def csrf_token(response) -> str:
    found = lxml.html.fromstring(response.get_data(as_text=True)).xpath('//input[@name="csrf_token"]/@value')
    assert found, "the page has no csrf_token field"
    return found[0]


@pytest.fixture(scope="module")
def csrf_app(app):
    return make_app(WTF_CSRF_ENABLED=True)


@pytest.fixture()
def browser(csrf_app, world):
    """Registry staff logged in through the login form (with its CSRF token), as a browser would."""
    client = csrf_app.test_client()
    token = csrf_token(client.get("/login/"))
    response = client.post("/login/", data={"username": "registry", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client


# --- CSRF ----------------------------------------------------------------------------------------


def test_form_posts_without_csrf_token_are_rejected(csrf_app, world, db, browser):
    before = count(db, m.School)
    assert browser.post("/schoolview/add", data=NEW_SCHOOL).status_code == 400
    assert browser.post("/schoolview/add", data={**NEW_SCHOOL, "csrf_token": "forged"}).status_code == 400
    assert count(db, m.School) == before
    # With the token from the form, the same post is accepted: the 400 was about the token.
    token = csrf_token(browser.get("/schoolview/add"))
    assert browser.post("/schoolview/add", data={**NEW_SCHOOL, "csrf_token": token}).status_code == 302
    assert count(db, m.School) == before + 1

    # The public account request form too.
    request = {"first_name": "Mari", "last_name": "Maasikas", "isikukood": "49505051235", "email": "mari@example.ee",
               "requested_role": "Assessor", "awarding_body": "__None", "school": "__None", "justification": "x"}
    anonymous = csrf_app.test_client()
    assert anonymous.post("/taotlus/form", data=request).status_code == 400
    assert count(db, m.AccountRequest) == 0
    token = csrf_token(anonymous.get("/taotlus/form"))
    assert anonymous.post("/taotlus/form", data={**request, "csrf_token": token}).status_code == 302
    assert count(db, m.AccountRequest) == 1


def test_login_without_csrf_token_is_rejected(csrf_app, world, db):
    client = csrf_app.test_client()
    response = client.post("/login/", data={"username": "registry", "password": PASSWORD})
    assert response.status_code == 400
    # Not logged in: a protected page still sends to the login form.
    response = client.get("/schoolview/list/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_nothing_is_deleted_or_decided_without_a_token(csrf_app, world, db, browser):
    pk = world.ids["school2"]
    response = browser.get(f"/schoolview/delete/{pk}")  # e.g. an <img src> on another site
    assert response.status_code in (302, 400, 405)
    assert browser.post(f"/schoolview/delete/{pk}").status_code == 400
    assert count(db, m.School, m.School.id == pk) == 1

    request = m.AccountRequest(first_name="Mari", last_name="Maasikas", isikukood="49505051235",
                               email="mari@example.ee", requested_role="Assessor", justification="Hindaja")
    db.add(request)
    db.commit()
    assert browser.post("/accountrequestview/action_post",
                        data={"action": "approve", "rowid": request.id}).status_code == 400
    assert browser.get(f"/accountrequestview/action/approve/{request.id}").status_code in (400, 405)
    assert browser.post(f"/accountrequestview/reject/{request.id}", data={"reason": "x"}).status_code == 400
    db.expire_all()
    assert db.get(m.AccountRequest, request.id).status == "open"


def test_jwt_api_needs_no_csrf_token(csrf_app, world, db):
    client = csrf_app.test_client()
    response = client.post("/api/v1/security/login",
                           json={"username": "registry", "password": PASSWORD, "provider": "db"})
    assert response.status_code == 200
    token = response.json["access_token"]
    payload = {**NEW_SCHOOL, "ehis_id": 777}
    response = client.post("/api/v1/school/", json=payload, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.json
    assert count(db, m.School, m.School.registrikood == NEW_SCHOOL["registrikood"]) == 1


# --- rate limits on password guessing ------------------------------------------------------------


@pytest.fixture(scope="module")
def _limited_app(app):
    return make_app(RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT="3 per minute", RATELIMIT_STORAGE_URI="memory://")


@pytest.fixture()
def limited_app(_limited_app):
    """Each test starts with the (in-memory) counters at zero."""
    _limited_app.appbuilder.sm.limiter.reset()
    return _limited_app


def test_html_login_is_rate_limited(limited_app, world, db):
    client = limited_app.test_client()
    for _ in range(3):
        response = client.post("/login/", data={"username": "registry", "password": "vale-parool"})
        assert response.status_code != 429
    # The fourth attempt in a minute is refused, even with the right password.
    response = client.post("/login/", data={"username": "registry", "password": PASSWORD})
    assert response.status_code == 429
    assert client.get("/login/").status_code == 200  # the form itself stays reachable


def test_api_login_is_rate_limited(limited_app, world, db):
    client = limited_app.test_client()
    for _ in range(3):
        response = client.post("/api/v1/security/login",
                               json={"username": "registry", "password": "vale-parool", "provider": "db"})
        assert response.status_code == 401
    response = client.post("/api/v1/security/login",
                           json={"username": "registry", "password": PASSWORD, "provider": "db"})
    assert response.status_code == 429


# --- cookies and secrets --------------------------------------------------------------------------


def test_session_cookie_is_httponly_and_samesite_lax(app, world, db):
    response = app.test_client().post("/login/", data={"username": "registry", "password": PASSWORD})
    assert response.status_code == 302
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, response.headers
    flags = {part.strip().lower() for part in cookies[-1].split(";")[1:]}
    assert "httponly" in flags
    assert "samesite=lax" in flags


def _config_in_subprocess(tmp_path: Path, **env) -> dict:
    """Import config.py in a fresh interpreter with the given environment (and none of the
    hardening variables the test run sets)."""
    clean = {k: v for k, v in os.environ.items() if k not in {
        "SECRET_KEY", "SESSION_COOKIE_SECURE", "RATELIMIT_ENABLED", "AUTH_RATE_LIMIT"}}
    clean["EKSAMIHALDUS_INSTANCE"] = str(tmp_path)
    clean.update(env)
    code = ("import json, config; print(json.dumps({k: getattr(config, k) for k in ["
            "'SECRET_KEY', 'SESSION_COOKIE_SECURE', 'REMEMBER_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', "
            "'SESSION_COOKIE_SAMESITE', 'WTF_CSRF_ENABLED', 'RATELIMIT_ENABLED', 'AUTH_RATE_LIMITED']}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True,
                            timeout=60, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_secure_defaults_when_nothing_is_configured(tmp_path):
    conf = _config_in_subprocess(tmp_path)
    assert conf["SESSION_COOKIE_SECURE"] is True
    assert conf["REMEMBER_COOKIE_SECURE"] is True
    assert conf["SESSION_COOKIE_HTTPONLY"] is True
    assert conf["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert conf["WTF_CSRF_ENABLED"] is True
    assert conf["RATELIMIT_ENABLED"] is True and conf["AUTH_RATE_LIMITED"] is True

    # Without SECRET_KEY a random key is generated once into the instance folder, readable only
    # by the owner, and reused by the next start (sessions survive a restart).
    key_file = tmp_path / "secret_key"
    assert key_file.read_text().strip() == conf["SECRET_KEY"]
    assert len(conf["SECRET_KEY"]) >= 32
    assert key_file.stat().st_mode & 0o077 == 0
    assert _config_in_subprocess(tmp_path)["SECRET_KEY"] == conf["SECRET_KEY"]
    assert _config_in_subprocess(tmp_path / "other")["SECRET_KEY"] != conf["SECRET_KEY"]


def test_environment_overrides(tmp_path):
    conf = _config_in_subprocess(tmp_path, SECRET_KEY="from-the-environment", SESSION_COOKIE_SECURE="false")
    assert conf["SECRET_KEY"] == "from-the-environment"
    assert conf["SESSION_COOKIE_SECURE"] is False
    assert not (tmp_path / "secret_key").exists()


def test_no_secret_key_in_the_repository():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert not [f for f in tracked.splitlines() if f.startswith("instance/")], "instance/ must not be committed"
    ignored = subprocess.run(["git", "check-ignore", "-q", "instance/secret_key"], cwd=ROOT)
    assert ignored.returncode == 0, "instance/secret_key is not git-ignored"

    # Any SECRET_KEY given a literal string value (assignment, dict entry or keyword argument) in
    # any tracked file, except this one: it spells out the pattern and passes a dummy key through
    # the environment of a subprocess.
    pattern = r"""SECRET_KEY['"]?]?\s*[:=]\s*[rbuf]*['"]"""
    found = subprocess.run(["git", "grep", "-nIE", pattern, "--", ".", ":!tests/test_hardening.py"],
                           cwd=ROOT, capture_output=True, text=True)
    assert found.returncode in (0, 1), found.stderr
    hits = [line for line in found.stdout.splitlines() if line]
    assert hits == [], "literal SECRET_KEY values in the repository:\n" + "\n".join(hits)
    # config.py takes it from the environment or the generated instance file, nowhere else.
    source = (ROOT / "config.py").read_text()
    assert re.search(r"^SECRET_KEY = _secret_key\(\)$", source, re.M)
    assert 'os.environ["SECRET_KEY"]' in source or "os.environ.get(\"SECRET_KEY\")" in source
