"""Users' roles and their roles' permissions kept between requests in each worker.

FAB reads a signed-in user's roles, groups and every permission of those roles from the database
on every request (four queries and a few hundred rows). Triggers raise ``security_stamp.version``
on every change to the tables they come from (migration 0007: forms, CLI, SQL, any process), and
the user is loaded together with that number in one query; what was read under the same number is
reused. A change shows on the next request in every worker, as before."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from flask import current_app, g, has_request_context
from sqlalchemy import select

from app.security.models import SecurityStamp

_VERSION = select(SecurityStamp.version).where(SecurityStamp.id == 1).scalar_subquery()
_MAX_ENTRIES = 10_000  # per kind: users and role sets; cleared when full


class RoleRef(NamedTuple):
    """What access checks read of a role (FAB uses its id and name only)."""
    id: int
    name: str


def load_user(session, model, pk: int) -> Any | None:
    """The user, and the stamp for this request, in one query."""
    row = session.execute(select(model, _VERSION).where(model.id == pk)).first()
    if row is None:
        return None
    user, version = row
    if has_request_context():
        _remember(version)
    return user


def _remember(version: int | None) -> None:
    """The stamp this request's kept values are read and stored under."""
    g._eks_security_version = version


def kept(kind: str, key: Any, build: Callable[[], Any], session=None) -> Any:
    """``build()`` kept under the stamp read with this request's user (or read now with
    ``session``, before any user is known); built afresh when there is none (no request, no
    signed-in user, the stamp row missing)."""
    if not has_request_context():
        return build()
    if session is not None and "_eks_security_version" not in g:
        _remember(session.execute(select(_VERSION)).scalar())
    version = g.get("_eks_security_version")
    if version is None:
        return build()
    store = current_app.extensions.get("eks_security")
    if store is None or store["version"] != version:
        store = current_app.extensions["eks_security"] = {"version": version}
    bucket = store.setdefault(kind, {})
    if key not in bucket:
        if len(bucket) >= _MAX_ENTRIES:
            bucket.clear()
        bucket[key] = build()
    return bucket[key]
