"""The one place that writes the audit trail and the data-access log, and guards flushes.

Session events on the FAB session: before a flush, owner columns are derived from parents and
every new or changed domain record is validated (so jobs and imports cannot store what a form
would refuse); after a flush, one AuditEvent row per inserted, updated or deleted record is
written with the actor and the changed fields (old -> new).
"""
from __future__ import annotations

import contextvars
import datetime as dt
import decimal
from contextlib import contextmanager
from typing import Any

from flask import g, has_app_context, request
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, scoped_session

from app.models.base import DomainModel, utcnow
from app.models.operations import AuditEvent, DataAccess
from app.validation import DomainValidationError

# Set by jobs and CLI commands: who acts when there is no logged-in user.
_system_actor: contextvars.ContextVar[str | None] = contextvars.ContextVar("actor", default=None)


@contextmanager
def acting_as(actor: str):
    token = _system_actor.set(actor)
    try:
        yield
    finally:
        _system_actor.reset(token)


def current_actor() -> tuple[str, int | None]:
    user = getattr(g, "user", None) if has_app_context() else None
    if user is not None and getattr(user, "is_authenticated", False):
        return user.username, user.id
    return _system_actor.get() or "system", None


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _changes(obj: DomainModel, action: str) -> dict[str, list[Any]]:
    state = inspect(obj)
    changes: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if action == "insert":
            value = getattr(obj, attr.key)
            if value is not None:
                changes[attr.key] = [None, _plain(value)]
        elif action == "delete":
            value = hist.unchanged[0] if hist.unchanged else (hist.deleted[0] if hist.deleted else None)
            if value is not None:
                changes[attr.key] = [_plain(value), None]
        elif hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old != new:
                changes[attr.key] = [_plain(old), _plain(new)]
    return changes


def _transition_errors(obj: DomainModel) -> list[tuple[str, str]]:
    """A stored record's status may only follow the allowed transitions, and a locked record
    (a submitted result, a confirmed decision, ...) keeps its values (app.services.states).
    New rows are not checked here: jobs and seeds may insert history in any status."""
    from app.services.states import lock_errors, state_errors

    if inspect(obj).pending:
        return []
    return state_errors(obj) + lock_errors(obj)


def _audited(obj: Any) -> bool:
    return isinstance(obj, DomainModel) and obj.__audited__


def _before_flush(session: Session, flush_context, instances) -> None:
    pending = [o for o in list(session.new) + list(session.dirty) if isinstance(o, DomainModel)]
    # Chains are at most three deep (competence result -> result -> registration -> session).
    for obj in pending:
        obj.localise_datetimes()
        obj.blanks_to_null()
    for _ in range(3):
        for obj in pending:
            obj.derive_owner()
    for obj in pending:
        if obj in session.dirty and not session.is_modified(obj, include_collections=False):
            continue
        errors = obj.validation_errors(obj.values()) + _transition_errors(obj)
        if errors:
            raise DomainValidationError(errors, entity=type(obj).__name__)
    from app.services.states import delete_errors

    for obj in session.deleted:
        if isinstance(obj, DomainModel):
            errors = delete_errors(obj)
            if errors:
                raise DomainValidationError(errors, entity=type(obj).__name__)
    # Remember what the after-flush hook must record; ids of new rows come after the flush.
    rows = session.info.setdefault("audit_pending", [])
    for obj in session.new:
        if _audited(obj):
            rows.append((obj, "insert", None))
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj, include_collections=False):
            rows.append((obj, "update", _changes(obj, "update")))
    for obj in session.deleted:
        if _audited(obj):
            rows.append((obj, "delete", _changes(obj, "delete")))


def _after_flush(session: Session, flush_context) -> None:
    pending = session.info.pop("audit_pending", [])
    if not pending:
        return
    actor, user_id = current_actor()
    now = utcnow()
    rows = []
    for obj, action, changes in pending:
        if action == "insert":
            changes = _changes(obj, "insert")
        if action == "update" and not changes:
            continue
        rows.append(
            {
                "at": now,
                "actor": actor,
                "user_id": user_id,
                "entity": type(obj).__name__,
                "entity_id": _entity_id(obj),
                "action": action,
                "subject_isikukood": _subject(obj),
                "changes": changes,
            }
        )
    if rows:
        session.connection().execute(AuditEvent.__table__.insert(), rows)


def record_bulk(connection, entity: str, events: list[tuple[int | None, str, dict, str | None]]) -> None:
    """Audit rows for set-based writes (imports, routing) that bypass ORM flush events:
    ``events`` holds (entity_id, action, changes, subject_isikukood)."""
    if not events:
        return
    actor, user_id = current_actor()
    now = utcnow()
    connection.execute(
        AuditEvent.__table__.insert(),
        [
            {"at": now, "actor": actor, "user_id": user_id, "entity": entity, "entity_id": entity_id,
             "action": action, "subject_isikukood": subject,
             "changes": {k: [_plain(old), _plain(new)] for k, (old, new) in changes.items()}}
            for entity_id, action, changes, subject in events
        ],
    )


def _entity_id(obj: DomainModel) -> Any:
    # The identity key of a new row is assigned only after this hook: read the primary key.
    pk = inspect(obj).mapper.primary_key_from_instance(obj)
    return pk[0] if len(pk) == 1 else None


def _subject(obj: DomainModel) -> str | None:
    try:
        return obj.personal_code()
    except Exception:  # a detached parent must never break a write
        return None


def _after_rollback(session: Session, previous_transaction=None) -> None:
    session.info.pop("audit_pending", None)


def _derive_at_write(mapper, connection, target) -> None:
    # Parents inserted earlier in the same flush now have their ids: copy the owner again.
    target.derive_owner()


def install(session_factory) -> None:
    """Attach the hooks to a session (or sessionmaker / scoped_session class)."""
    target = session_factory
    for name, fn in (
        ("before_flush", _before_flush),
        ("after_flush", _after_flush),
        ("after_soft_rollback", _after_rollback),
    ):
        if not event.contains(target, name, fn):
            event.listen(target, name, fn)
    for name in ("before_insert", "before_update"):
        if not event.contains(DomainModel, name, _derive_at_write):
            event.listen(DomainModel, name, _derive_at_write, propagate=True)


def record_access(session: Session, obj: DomainModel, channel: str) -> None:
    """Log that the current user saw the personal data shown by ``obj``."""
    code = obj.personal_code()
    if not code:
        return
    actor, user_id = current_actor()
    session.execute(
        DataAccess.__table__.insert(),
        {
            "at": utcnow(),
            "actor": actor,
            "user_id": user_id,
            "isikukood": code,
            "channel": channel,
            "endpoint": request.path if request else "",
            "entity": type(obj).__name__,
            "entity_id": obj.id,
        },
    )
    # Committed at once (the view is logged even if rendering fails), without expiring what the
    # request has loaded: the page would otherwise read the record, its relations and the user
    # again, the same rows, five queries more.
    real = session() if isinstance(session, scoped_session) else session
    expire, real.expire_on_commit = real.expire_on_commit, False
    try:
        real.commit()
    finally:
        real.expire_on_commit = expire
