"""Parts of every page that depend only on the user and the language, rendered once and kept
for RENDER_CACHE_SECONDS: the navigation menu and the search form's fields.

Flask-AppBuilder renders the menu on every page with a permission check per item (about forty,
a third of a simple page's time), and renders every search field, dropdown options included, into
the page's JavaScript. What a user sees there depends on their roles' permissions, their
organisation (the scoped dropdown options) and the language; a change shows within the cache
time. Access itself is always checked on the request.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, render_template, request, url_for
from flask_appbuilder.widgets import RenderTemplateWidget, SearchWidget
from flask_babel import get_locale, get_translations
from flask_login import current_user
from markupsafe import Markup

RENDER_CACHE_SECONDS = 60.0


def kept(name: str, key: Any, build: Callable[[], Any], seconds: float,
         keep: Callable[[Any], bool] = lambda value: True, size: int = 10_000) -> Any:
    """``build()``, kept for ``seconds`` per ``key`` in this app's cache ``name`` (at most ``size``
    entries) when ``keep(value)``; shared by the caches of pages and of list counts."""
    cache = current_app.extensions.setdefault(name, {})
    now = time.monotonic()
    hit = cache.get(key)
    if hit is not None and now - hit[0] < seconds:
        return hit[1]
    value = build()
    if keep(value):
        if len(cache) >= size:
            cache.clear()
        cache[key] = (now, value)
    return value


def _cached(key: tuple, build: Callable[[], Any]) -> Any:
    seconds = current_app.config.get("RENDER_CACHE_SECONDS", RENDER_CACHE_SECONDS)
    return kept("eks_render_cache", key, build, seconds, size=5000)  # one entry per user and screen at most


def cached_menu() -> Markup:
    roles = (tuple(sorted(role.id for role in current_app.appbuilder.sm.get_user_roles(current_user)))
             if current_user.is_authenticated else ())
    return _cached(("menu", roles, str(get_locale())), lambda: Markup(
        render_template("eks/navbar_menu_uncached.html", menu=current_app.appbuilder.menu)))


class CachedSearchWidget(SearchWidget):
    """FAB's search widget with the field HTML, labels and filter names kept per user."""

    def __call__(self, **kwargs):
        args = self.template_args
        user = current_user.get_id() if current_user.is_authenticated else None

        def build():
            form, filters = args["form"], self.filters.get_search_filters()
            cols = args["include_cols"]
            return ({c: str(form[c].label.text) for c in cols}, {c: form[c]() for c in cols},
                    {c: [str(f.name) for f in filters[c]] for c in cols})

        labels, fields, names = _cached(("search", args["route_base"], user, str(get_locale())), build)
        kwargs.update(label_columns=labels, form_fields=fields, search_filters=names,
                      active_filters=self.filters.get_filters_values_tojson())
        return RenderTemplateWidget.__call__(self, **kwargs)


def _catalogue():
    """The templates' translations, found once per request: Flask-Babel finds the context, the
    domain and the locale again for each of the hundred strings a page translates. Kept where
    Flask-Babel's refresh() and force_locale() reset it when the language changes."""
    catalogue = getattr(getattr(g, "_flask_babel", None), "babel_translations", None)
    if catalogue is None:
        catalogue = get_translations()  # makes g._flask_babel
        g._flask_babel.babel_translations = catalogue
    return catalogue


def static_url(filename: str, endpoint: str = "appbuilder.static") -> str:
    """url_for of a static file, built once per app and path prefix: every page links twenty."""
    urls = current_app.extensions.setdefault("eks_static_urls", {})
    key = (request.script_root, endpoint, filename)
    url = urls.get(key)
    if url is None:
        url = urls[key] = url_for(endpoint, filename=filename)
    return url


def init_app(app: Flask) -> None:
    app.context_processor(lambda: {"cached_menu": cached_menu})
    app.jinja_env.globals["eks_static"] = static_url
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _catalogue().ugettext(s),
        ngettext=lambda s, p, n: _catalogue().ungettext(s, p, n),
        pgettext=lambda c, s: _catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: _catalogue().unpgettext(c, s, p, n),
        newstyle=True)
