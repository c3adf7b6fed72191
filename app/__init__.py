"""Application factory. AppBuilder is created per app (a module-level one serves only the
first Flask app in a process)."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from flask_appbuilder import AppBuilder
from sqlalchemy.orm import Session

from app.extensions import csrf, db, migrate


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_object("config")
    if overrides:
        app.config.update(overrides)
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"))

    from app import audit, models  # noqa: F401  (tables on the metadata)
    from app.security.manager import EksSecurityManager
    from app.views import register
    from app.views.home import HomeView

    with app.app_context():
        db.init_app(app)
        _without_jit(db.engine)
        csrf.init_app(app)  # before APIs are added, so that FAB exempts their blueprints
        migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True, compare_type=True)
        appbuilder = AppBuilder(
            security_manager_class=EksSecurityManager,
            indexview=HomeView,
            base_template="eks_base.html",
        )
        appbuilder.init_app(app, db.session)
        register(appbuilder)
        _trim_security_menu(appbuilder)
        _default_api_login_provider(app)
        _limit_api_login(app, appbuilder)
    audit.install(Session)
    from app.cli import cli

    app.cli.add_command(cli)
    _register_template_helpers(app)
    _register_error_pages(app)
    return app


def _without_jit(engine) -> None:
    """PostgreSQL compiles a statement whose estimated cost is high (a deep page, a search over
    a million rows) to machine code first: 5-70 ms here, more than the statement then runs. The
    application's statements are short; the import sets its own settings per statement."""
    if engine.dialect.name != "postgresql":
        return

    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def no_jit(dbapi_connection, _record):
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        dbapi_connection.commit()


def _register_error_pages(app: Flask) -> None:
    """Error pages in the user's language (Flask's own are English); the API keeps JSON."""
    from flask import jsonify, render_template, request
    from werkzeug.exceptions import HTTPException

    def handle(error):
        code = error.code if isinstance(error, HTTPException) else 500
        if request.path.startswith("/api/"):
            return jsonify(message=getattr(error, "description", "error")), code
        try:
            page = render_template("appbuilder/error.html", code=code, appbuilder=app.appbuilder,
                                   base_template=app.appbuilder.base_template)
        except Exception:  # never let the error page itself fail
            logging.getLogger(__name__).exception("error page failed")
            return "Viga / Error", code
        return page, code

    for code in (400, 403, 404, 405, 429, 500):
        app.register_error_handler(code, handle)


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"


def _trim_security_menu(appbuilder: AppBuilder) -> None:
    """Groups are unused here, and FAB's user statistics load Google Charts from the internet."""
    security = appbuilder.menu.find("Security")
    if security is not None:
        security.childs = [c for c in security.childs if c.name not in ("List Groups", "User's Statistics")]


def _default_api_login_provider(app: Flask) -> None:
    """FAB's JWT login answers 500 (a KeyError) when the body leaves out "provider": the only
    provider here is "db", so that is the default."""
    import functools

    from flask import request

    view = app.view_functions.get("SecurityApi.login")
    if view is None:
        return

    @functools.wraps(view)
    def login(*args, **kwargs):
        body = request.get_json(silent=True)
        if isinstance(body, dict):
            body.setdefault("provider", "db")
        return view(*args, **kwargs)

    app.view_functions["SecurityApi.login"] = login


def _limit_api_login(app: Flask, appbuilder: AppBuilder) -> None:
    """FAB rate-limits only the HTML login; give the JWT login the same limit."""
    limiter = appbuilder.sm.limiter
    endpoint = "SecurityApi.login"
    if endpoint in app.view_functions:
        app.view_functions[endpoint] = limiter.limit(
            lambda: app.config["AUTH_RATE_LIMIT"], methods=["POST"]
        )(app.view_functions[endpoint])


def _register_template_helpers(app: Flask) -> None:
    from app.formatting import display_value, format_value
    from app.views import lookup, render_cache

    app.jinja_env.filters["eks_format"] = format_value
    # Flask-AppBuilder's templates are deeply nested blocks and loops: without this a list page
    # is two-thirds blank lines and indentation.
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters["eks_display"] = display_value
    render_cache.init_app(app)
    lookup.init_app(app)
