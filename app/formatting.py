"""Display formats: dates DD.MM.YYYY, times in Europe/Tallinn."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TALLINN = ZoneInfo("Europe/Tallinn")


def format_value(value):
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(TALLINN).strftime("%d.%m.%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    return value


def display_value(value):
    """How a value shows in lists and on show pages (the filter ``eks_display``): nothing for an
    empty value (not "None"), "Jah"/"Ei" for booleans (not "True"/"False"), a comma-separated
    list for related records (not "[a, b]"). Text and Markup pass unchanged; Jinja escapes text.
    A filter rather than a template macro: a list page shows some two hundred values."""
    from collections.abc import Iterable, Mapping

    from flask_babel import gettext
    from markupsafe import Markup

    if value is None:
        return ""
    if value is True:
        return gettext("Yes")
    if value is False:
        return gettext("No")
    if isinstance(value, (str, Mapping)) or hasattr(value, "__html__"):
        return value
    if isinstance(value, Iterable):
        return Markup(", ").join(value)
    return value
