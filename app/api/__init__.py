"""REST APIs under /api/v1/: one per entity, built from the HTML view's column choices so the
two never drift apart; scoping and validation come from ScopedModelRestApi."""
from __future__ import annotations

from app.views.base import ScopedModelRestApi, relation_columns


def api_for(view_cls: type, read_only: bool = False) -> type:
    """The API of a screen. A view may name ``api_base`` (a ScopedModelRestApi subclass with the
    entity's own endpoints and write rules) and ``api_overrides`` (attributes that differ from the
    screen's, e.g. columns)."""
    model = view_cls.model
    relations = set(relation_columns(model))
    show = list(getattr(view_cls, "show_columns", None) or view_cls.list_columns)
    writable = list(getattr(view_cls, "add_columns", None) or show)
    attrs = {
        "model": model,
        "resource_name": model.__tablename__,
        # Relations are listed by id and name to avoid one query per row.
        "list_columns": ["id"] + [c for c in view_cls.list_columns if c not in relations]
        + [f"{c}.id" for c in view_cls.list_columns if c in relations],
        "show_columns": ["id"] + [c for c in show if c not in relations]
        + [f"{c}.id" for c in show if c in relations],
        "add_columns": writable,
        "edit_columns": list(getattr(view_cls, "edit_columns", None) or writable),
        "search_columns": list(getattr(view_cls, "search_columns", None) or []),
        "order_columns": [c for c in view_cls.list_columns if c not in relations],
    }
    title = getattr(view_cls, "list_title", None)
    if title:
        attrs.update(list_title=title, show_title=title, add_title=title, edit_title=title)
    if read_only:
        attrs["include_route_methods"] = {"get", "get_list", "info"}
    attrs.update(getattr(view_cls, "api_overrides", None) or {})
    base = getattr(view_cls, "api_base", None) or ScopedModelRestApi
    from app.api.outcomes import MIXINS  # endpoints beyond CRUD (results grid, decisions, ...)

    bases = (MIXINS[model], base) if model in MIXINS else (base,)
    return type(f"{model.__name__}Api", bases, attrs)
