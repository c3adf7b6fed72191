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
