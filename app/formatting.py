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
