"""Allowed status transitions, in one place. Every write path goes through the flush guard
(app.audit), which refuses any other change of status; new records start in an initial status
(checked for screens and the API in app.views.base.prepare_write)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.models import choices as c

# model name -> status column -> (initial statuses, {from: {to, ...}})
MACHINES: dict[str, tuple[str, set[str], dict[str, set[str]]]] = {
    "ExamSession": ("status", {"draft"}, {
        "draft": {"published", "cancelled"},
        "published": {"draft", "held", "cancelled"},
        "held": {"results_entered"},
        "results_entered": {"decided", "held"},
        "decided": {"closed"},
        "closed": set(),
        "cancelled": set(),
    }),
    "Registration": ("status", {"registered"}, {
        "registered": {"withdrawn"},
        "withdrawn": {"registered"},
    }),
    "Result": ("status", {"draft"}, {
        "draft": {"submitted"},
        "submitted": {"reopened"},
        "reopened": {"submitted"},
    }),
    "Decision": ("status", {"draft"}, {
        "draft": {"confirmed"},
        "confirmed": set(),
    }),
    "Certificate": ("status", {"draft"}, {
        "draft": {"ready"},
        "ready": {"registered", "rejected", "draft"},
        "rejected": {"ready", "draft"},
        "registered": set(),
    }),
    "Appeal": ("outcome", {"pending"}, {
        "pending": {"upheld", "dismissed"},
        "upheld": set(),
        "dismissed": set(),
    }),
}
LABELS = {
    "ExamSession": c.SESSION_STATUS, "Registration": c.REGISTRATION_STATUS, "Result": c.RESULT_STATUS,
    "Decision": c.DECISION_STATUS, "Certificate": c.CERTIFICATE_STATUS, "Appeal": c.APPEAL_OUTCOME,
}


def _label(model: str, value) -> str:
    return str(c.label(LABELS[model], value))


def transition_errors(model: str, old, new) -> list[tuple[str, str]]:
    machine = MACHINES.get(model)
    if machine is None or old == new or old is None:
        return []
    column, _, allowed = machine
    if new in allowed.get(old, set()):
        return []
    return [(column, str(_l("the status cannot change from „%(old)s” to „%(new)s”",
                            old=_label(model, old), new=_label(model, new))))]


def initial_errors(model: str, value) -> list[tuple[str, str]]:
    machine = MACHINES.get(model)
    if machine is None or value is None:
        return []
    column, initial, _ = machine
    if value in initial:
        return []
    names = ", ".join(f"„{_label(model, s)}”" for s in sorted(initial))
    return [(column, str(_l("a new record starts in status %(names)s", names=names)))]


def status_column(model: str) -> str | None:
    machine = MACHINES.get(model)
    return machine[0] if machine else None


def state_errors(obj) -> list[tuple[str, str]]:
    """Errors of ``obj``'s status: a new record must start in an initial status, a stored one
    may only move along an allowed transition."""
    from sqlalchemy import inspect

    model = type(obj).__name__
    column = status_column(model)
    if column is None:
        return []
    state = inspect(obj)
    if state.transient or state.pending:
        return initial_errors(model, getattr(obj, column))
    hist = state.attrs[column].history
    if not hist.deleted:
        return []
    return transition_errors(model, hist.deleted[0], hist.added[0] if hist.added else None)


# Records locked in a stored status: model -> stored status -> the columns that may still
# change (a locked record may still move along its transitions, e.g. a submitted result is
# reopened with a reason; the register export writes the reference and the outcome of a
# certificate that is ready). A registered certificate that is already revoked is fully locked
# except for the note that the revocation reached the register.
LOCKS: dict[str, dict[str, set[str]]] = {
    "Result": {"submitted": {"status", "reopen_reason"}},
    "Decision": {"confirmed": set()},
    "Certificate": {
        "ready": {"status", "register_reference", "registration_number", "register_errors", "registered_at"},
        "registered": {"revoked", "revoked_reason", "revoked_date", "revocation_sent_at"},
    },
    "Appeal": {"upheld": set(), "dismissed": set()},
}
# Children locked with their parent: model -> relationship to the parent.
PARENT_LOCKS = {"CompetenceResult": "result"}
# Records that may be deleted only in these stored statuses.
DELETABLE = {
    "Result": {"draft", "reopened"},
    "Decision": {"draft"},
    "Certificate": {"draft"},
    "Appeal": {"pending"},
}


def _stored(obj, column: str):
    from sqlalchemy import inspect

    hist = inspect(obj).attrs[column].history
    if hist.deleted:
        return hist.deleted[0]
    return getattr(obj, column)


def _changed_columns(obj) -> list[str]:
    from sqlalchemy import inspect

    state = inspect(obj)
    changed = []
    for attr in state.mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old != new:
                changed.append(attr.key)
    return changed


def locked_message(model: str, status) -> str:
    return str(_l("the record is locked in status „%(status)s”", status=_label(model, status)))


def parent_lock_errors(obj) -> list[tuple[str, str]]:
    """A child (a competence result) cannot be added, changed or removed while its parent (the
    result) is locked."""
    from sqlalchemy import inspect

    relation = PARENT_LOCKS.get(type(obj).__name__)
    if relation is None:
        return []
    parent = getattr(obj, relation, None)
    if parent is None or inspect(parent).transient or inspect(parent).pending:
        return []
    model = type(parent).__name__
    column = status_column(model)
    status = _stored(parent, column)
    if status in LOCKS.get(model, {}):
        return [(relation, locked_message(model, status))]
    return []


def lock_errors(obj, include_new: bool = False) -> list[tuple[str, str]]:
    """Changes a locked record may not take. New records are checked only when asked
    (screens, API and services): jobs and seeds may insert history under a locked parent."""
    from sqlalchemy import inspect

    state = inspect(obj)
    model = type(obj).__name__
    if state.transient or state.pending:
        return parent_lock_errors(obj) if include_new else []
    errors = parent_lock_errors(obj) if _changed_columns(obj) else []
    column = status_column(model)
    locks = LOCKS.get(model)
    if not locks or column is None:
        return errors
    status = _stored(obj, column)
    if status not in locks:
        return errors
    allowed = set(locks[status])
    if model == "Certificate" and status == "registered" and _stored(obj, "revoked"):
        allowed = {"revocation_sent_at"}
    refused = [c for c in _changed_columns(obj) if c not in allowed]
    return errors + [(c, locked_message(model, status)) for c in refused]


def delete_errors(obj) -> list[tuple[str, str]]:
    model = type(obj).__name__
    errors = []
    relation = PARENT_LOCKS.get(model)
    if relation is not None and getattr(obj, relation, None) is not None:
        errors += parent_lock_errors(obj)
    if model in DELETABLE:
        column = status_column(model)
        status = _stored(obj, column)
        if status not in DELETABLE[model]:
            errors.append((column, str(_l("a record in status „%(status)s” cannot be deleted",
                                          status=_label(model, status)))))
    return errors
