"""Test fixtures on a real PostgreSQL database, schema built by the migrations.

TEST_DATABASE_URL (default: a database ``eks_test_<pid>`` on 127.0.0.1:5432, so parallel runs
never share one) is created for the run and dropped after it; each test starts from an empty
domain plus the `world` it asks for.
"""
from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

ADMIN_URL = os.environ.get("TEST_DATABASE_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
TEST_URL = os.environ.get("TEST_DATABASE_URL", f"postgresql://postgres@127.0.0.1:5432/eks_test_{os.getpid()}")

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ["SESSION_COOKIE_SECURE"] = "false"
os.environ["DATABASE_URL"] = TEST_URL

BASE_CONFIG = {
    "TESTING": True,
    "SQLALCHEMY_DATABASE_URI": TEST_URL,
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    "SESSION_COOKIE_SECURE": False,
    "SERVER_NAME": None,
    # scrypt costs ~0.1 s per user and login; tests need no strong hashing
    "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
}
# Tables that survive between tests: the migration state and roles and permissions.
KEEP = {"alembic_version", "ab_permission", "ab_view_menu", "ab_permission_view",
        "ab_role", "ab_permission_view_role", "security_stamp"}


def _recreate_database(create: bool = True) -> None:
    name = sa.engine.make_url(TEST_URL).database
    engine = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
        ), {"n": name})
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        if create:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


@pytest.fixture(scope="session")
def app():
    _recreate_database()
    from app import create_app

    application = create_app(BASE_CONFIG)
    application.test_client_class = IsolatedClient
    with application.app_context():
        from flask_migrate import upgrade

        from app.security.sync import sync_roles

        upgrade()
        sync_roles(application.appbuilder)
    yield application
    with application.app_context():
        application.appbuilder.session.remove()
        application.appbuilder.session.get_bind().dispose()
    _recreate_database(create=False)


def make_app(**overrides):
    """A second app on the same database with other settings (CSRF on, rate limits on)."""
    from app import create_app

    application = create_app({**BASE_CONFIG, **overrides})
    application.test_client_class = IsolatedClient
    return application


@pytest.fixture()
def db(app):
    """Empty domain tables (and users) before each test; yields the FAB session."""
    with app.app_context():
        session = app.appbuilder.session
        session.rollback()
        tables = [t for t in sa.inspect(session.get_bind()).get_table_names() if t not in KEEP]
        session.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        session.commit()
        for cache in ("eks_count_cache", "eks_landmarks"):  # keyed by statement, not by data
            app.extensions.pop(cache, None)
        yield session
        session.rollback()


@pytest.fixture()
def world(app, db):
    from tests.factories import build_world

    return build_world(app, db)


class IsolatedClient(FlaskClient):
    """Each request gets its own app context, as in production. Without this, requests made
    while a test holds an app context share ``g`` — and with it the logged-in user."""

    def open(self, *args, **kwargs):
        from flask.globals import _cv_app

        # A streamed body (CSV exports) is read here, inside the request's own context, too.
        kwargs.setdefault("buffered", True)
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)


class Client:
    """A logged-in test client for one user, with HTML and JSON API helpers."""

    def __init__(self, app, username, password="parool-Test-1"):
        self.app = app
        self.username = username
        self.http = IsolatedClient(app, app.response_class, use_cookies=True)
        if username:
            response = self.http.post("/login/", data={"username": username, "password": password})
            assert response.status_code == 302, f"login failed for {username}"
            token = self.http.post("/api/v1/security/login", json={
                "username": username, "password": password, "provider": "db"})
            assert token.status_code == 200, token.data
            self.token = token.json["access_token"]

    def get(self, url, **kw):
        return self.http.get(url, **kw)

    def post(self, url, **kw):
        return self.http.post(url, **kw)

    def api(self, method, url, **kw):
        headers = {"Authorization": f"Bearer {self.token}", **kw.pop("headers", {})}
        return self.http.open(url, method=method.upper(), headers=headers, **kw)


@pytest.fixture()
def login(app):
    clients = {}

    def _login(username):
        if username not in clients:
            clients[username] = Client(app, username)
        return clients[username]

    return _login


def ns(**kw):
    return SimpleNamespace(**kw)
