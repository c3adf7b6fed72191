"""Validation rules, each in one place. A rule takes a value and returns an Estonian error
text (without the field name) or None. Field names are added by whoever reports the error."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from stdnum import exceptions as stdnum_exc
from stdnum.ee import ik
from stdnum.ee import registrikood as rk

# EHIS curriculum level (õppeaste) -> EKR level
LEVEL_CODES = {421: 2, 431: 3, 441: 4, 442: 4, 443: 4, 452: 5, 453: 5}


class DomainValidationError(ValueError):
    """Raised when a record breaks a rule; carries [(field, message)]."""

    def __init__(self, errors: list[tuple[str, str]], entity: str = ""):
        self.errors = errors
        self.entity = entity
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors))

    def __str__(self) -> str:
        # Field names as the screens show them (labels are translated per request).
        from app.views.labels import LABELS

        return "; ".join(f"{LABELS.get(field, field)}: {message}" for field, message in self.errors)


def _stdnum_reason(exc: Exception, length: int) -> str:
    if isinstance(exc, stdnum_exc.InvalidChecksum):
        return str(_l("control digit does not match"))
    if isinstance(exc, stdnum_exc.InvalidLength):
        return str(_l("must have exactly %(n)s digits", n=length))
    if isinstance(exc, stdnum_exc.InvalidFormat):
        return str(_l("must consist of digits only"))
    if isinstance(exc, stdnum_exc.InvalidComponent):
        return str(_l("contains an impossible date or century digit"))
    return str(exc)


def isikukood(value: Any) -> str | None:
    if value in (None, ""):
        return None
    try:
        ik.validate(str(value))
    except stdnum_exc.ValidationError as exc:
        return str(_l("invalid personal code (isikukood) %(value)s: ", value=value)) + _stdnum_reason(exc, 11)
    return None


def registrikood(value: Any) -> str | None:
    if value in (None, ""):
        return None
    try:
        rk.validate(str(value))
    except stdnum_exc.ValidationError as exc:
        return str(_l("invalid registry code (registrikood) %(value)s: ", value=value)) + _stdnum_reason(exc, 8)
    return None


def ehis_curriculum_code(value: Any) -> str | None:
    if value in (None, ""):
        return None
    try:
        code = int(value)
    except (TypeError, ValueError):
        return str(_l("EHIS curriculum code must be a whole number"))
    if not 1 <= code <= 99_999_999:
        return str(_l("EHIS curriculum code must be a positive number of up to 8 digits"))
    return None


def level_code(value: Any) -> str | None:
    if value in (None, ""):
        return None
    try:
        code = int(value)
    except (TypeError, ValueError):
        code = None
    if code not in LEVEL_CODES:
        allowed = ", ".join(str(c) for c in LEVEL_CODES)
        return str(_l("unknown EHIS level code %(value)s (allowed: %(allowed)s)", value=value, allowed=allowed))
    return None


def ekr_level(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, int) or not 1 <= value <= 8:
        return str(_l("EKR level must be between 1 and 8"))
    return None


def positive(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if value <= 0:
        return str(_l("must be greater than zero"))
    return None


def not_before(start_field: str, end_field: str, values: dict[str, Any], message=None):
    """Cross-field rule: values[end_field] must not be before values[start_field]."""
    start, end = values.get(start_field), values.get(end_field)
    if start is None or end is None:
        return []
    if isinstance(start, dt.datetime) != isinstance(end, dt.datetime):
        start = start.date() if isinstance(start, dt.datetime) else start
        end = end.date() if isinstance(end, dt.datetime) else end
    if end < start:
        return [(end_field, str(message or _l("must not be earlier than the start date")))]
    return []


def after(start_field: str, end_field: str, values: dict[str, Any], message=None):
    start, end = values.get(start_field), values.get(end_field)
    if start is None or end is None:
        return []
    if end <= start:
        return [(end_field, str(message or _l("must be after the start")))]
    return []


def special_arrangements(values: dict[str, Any]) -> list[tuple[str, str]]:
    """Cross-field rule (joint application, registration): ticked special arrangements are described."""
    if values.get("special_arrangements_needed") and not (values.get("special_arrangements") or "").strip():
        return [("special_arrangements", str(_l("describe the special arrangements the candidate needs")))]
    return []
