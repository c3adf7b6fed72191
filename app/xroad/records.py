"""Reading one wire record into typed values while collecting problems instead of raising.

A problem names the field and gives the reason in Estonian; the adapter decides which record
(and so which import row) the problem drops.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Container, Mapping

from app.xroad import envelope as env
from app.xroad.codes import isikukood_problem, registrikood_problem
from app.xroad.types import RecordProblem

MISSING = "kohustuslik väli puudub"


class RecordReader:
    """Typed access to ``{element: text}`` of one record; bad values become ``errors``."""

    __slots__ = ("values", "errors", "prefix")

    def __init__(self, values: dict[str, str | None], prefix: str = ""):
        self.values = values
        self.errors: list[tuple[str, str]] = []
        self.prefix = prefix

    def problem(self, field: str, reason: str) -> None:
        self.errors.append((self.prefix + field, reason))

    def text(self, name: str, *, required: bool = False, max_len: int | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            if required:
                self.problem(name, MISSING)
            return None
        if max_len is not None and len(value) > max_len:
            self.problem(name, f"liiga pikk ({len(value)} märki, lubatud {max_len})")
            return None
        return value

    def int(self, name: str, *, required: bool = False, low: int | None = None,
            high: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None:
            if required:
                self.problem(name, MISSING)
            return None
        try:
            number = env.parse_int(value)
        except ValueError as exc:
            self.problem(name, str(exc))
            return None
        if (low is not None and number < low) or (high is not None and number > high):
            self.problem(name, f"väärtus {number} ei ole lubatud vahemikus {low}–{high}")
            return None
        return number

    def date(self, name: str, *, required: bool = False) -> dt.date | None:
        value = self.values.get(name)
        if value is None:
            if required:
                self.problem(name, MISSING)
            return None
        try:
            return env.parse_date(value)
        except ValueError as exc:
            self.problem(name, str(exc))
            return None

    def bool(self, name: str, *, default: bool | None = None) -> bool | None:
        value = self.values.get(name)
        if value is None:
            return default
        try:
            return env.parse_bool(value)
        except ValueError as exc:
            self.problem(name, str(exc))
            return default

    def choice(self, name: str, allowed: Mapping[str, str] | Container[str], *,
               required: bool = False) -> str | None:
        """A value from a closed list; with a mapping, the mapped value."""
        value = self.values.get(name)
        if value is None:
            if required:
                self.problem(name, MISSING)
            return None
        if value not in allowed:
            options = ", ".join(sorted(allowed)) if isinstance(allowed, Mapping | set | frozenset) else ""
            self.problem(name, f"tundmatu väärtus {value!r}" + (f" (lubatud: {options})" if options else ""))
            return None
        return allowed[value] if isinstance(allowed, Mapping) else value

    def isikukood(self, name: str, *, required: bool = False) -> str | None:
        return self._code(name, required, isikukood_problem, "isikukood")

    def registrikood(self, name: str, *, required: bool = False) -> str | None:
        return self._code(name, required, registrikood_problem, "registrikood")

    def _code(self, name: str, required: bool, problem, kind: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            if required:
                self.problem(name, MISSING)
            return None
        reason = problem(value)
        if reason:
            self.problem(name, f"vigane {kind} {value}: {reason}")
            return None
        return value

    def to_problems(self, record: str) -> list[RecordProblem]:
        return [RecordProblem(record, field, reason, self.values) for field, reason in self.errors]
