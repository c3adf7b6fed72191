"""Estonian personal and registry codes: checks with Estonian reasons, check digits.

The rules (century digit, birth date, check digit of isikukood; first digit and check digit of
registrikood) are python-stdnum's ``stdnum.ee.ik`` and ``stdnum.ee.registrikood``, the same
that app.validation applies to the models. This module adds what the imports need on top: a
strict shape (exactly 11 or 8 ASCII digits, no separators that stdnum would strip), the reason
phrased in Estonian for the person who has to fix the record, and speed on the hot path of a
100,000-record import — the birth date part of an isikukood is checked once per distinct date
(memoised), no exception is raised for a valid code.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from stdnum.ee import ik
from stdnum.ee import registrikood as rk
from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError


def check_digit(digits: str) -> str:
    """Check digit of the first 10 (isikukood) or 7 (registrikood) digits."""
    return ik.calc_check_digit(digits + "0")  # stdnum expects the check digit's place


@lru_cache(maxsize=1 << 16)
def _birth_date(head: str) -> dt.date | None:
    """The birth date of the century digit and YYMMDD ``head`` (7 ASCII digits), None if impossible."""
    try:
        return ik.get_birth_date(head)
    except ValidationError:
        return None


def _digits(code: str) -> bool:
    return code.isdigit() and code.isascii()


def isikukood_birth_date(code: str) -> dt.date | None:
    head = code[:7]
    if len(head) != 7 or not _digits(head):
        return None
    return _birth_date(head)


def isikukood_problem(code: str) -> str | None:
    """None when ``code`` is a valid isikukood, else the reason in Estonian."""
    if len(code) != 11:
        return f"isikukood peab olema 11 numbrit, on {len(code)} märki"
    if not _digits(code):
        return "isikukood tohib sisaldada ainult numbreid"
    if _birth_date(code[:7]) is None:
        return "isikukoodi esimene number või sünnikuupäev on võimatu"
    if ik.calc_check_digit(code) != code[10]:
        return "isikukoodi kontrollnumber ei klapi"
    return None


def registrikood_problem(code: str) -> str | None:
    """None when ``code`` is a valid registrikood, else the reason in Estonian."""
    if len(code) != 8 or not _digits(code):
        return "registrikood peab olema 8 numbrit"
    try:
        rk.validate(code)
    except InvalidComponent:
        return "registrikoodi esimene number peab olema 1, 7, 8 või 9"
    except InvalidChecksum:
        return "registrikoodi kontrollnumber ei klapi"
    except ValidationError:
        return "registrikood peab olema 8 numbrit"
    return None


def make_isikukood(birth: dt.date, female: bool, serial: int) -> str:
    """A valid isikukood for a birth date, sex and serial number (0–999)."""
    first = (birth.year - 1800) // 100 * 2 + 1 + (1 if female else 0)
    head = f"{first}{birth.year % 100:02d}{birth.month:02d}{birth.day:02d}{serial:03d}"
    return head + check_digit(head)


def make_registrikood(first: str, body: int) -> str:
    """A valid registrikood starting with ``first`` (1, 7, 8, 9) from a 6-digit ``body``."""
    head = f"{first}{body % 1_000_000:06d}"
    return head + check_digit(head)
