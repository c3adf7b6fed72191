"""Typed errors of the X-Road clients.

* :class:`TransportError` – the message did not get through (connection, timeout, HTTP status
  other than 200/500, a body that is not well-formed XML, a SOAP Fault that persisted through
  every retry). The client retries these; the last one is raised with the service and cause.
* :class:`SoapFault` – a SOAP Fault in a response (HTTP 500 or 200). Retried like transport
  failures; after the last retry the client raises a :class:`TransportError` whose ``fault``
  holds it.
* :class:`BusinessError` – the register understood the request and refused it
  (``vigadearv``/``vead``). Never retried; carries the register's own messages.
"""
from __future__ import annotations

from dataclasses import dataclass


class XRoadError(Exception):
    """Base class of every error raised by ``app.xroad``."""

    service: str = ""


class TransportError(XRoadError):
    """A message could not be exchanged. ``service`` names the X-Road service, ``cause`` the reason."""

    def __init__(self, cause: str, *, service: str = "", attempts: int = 1, fault: SoapFault | None = None):
        self.cause = cause
        self.service = service
        self.attempts = attempts
        self.fault = fault
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"{self.service}: " if self.service else ""
        tries = f" ({self.attempts} katset)" if self.attempts > 1 else ""
        return f"{where}{self.cause}{tries}"


class MalformedResponse(TransportError):
    """The body was not a well-formed SOAP envelope of the expected shape."""


class PageError(TransportError):
    """One page of a paged service failed after every retry.

    ``records_done`` records of the stream were already delivered; ``page`` is the failed page.
    """

    def __init__(self, cause: str, *, service: str = "", attempts: int = 1, fault: SoapFault | None = None,
                 key: str = "", page: int = 0, records_done: int = 0):
        self.key = key
        self.page = page
        self.records_done = records_done
        super().__init__(cause, service=service, attempts=attempts, fault=fault)

    def _message(self) -> str:
        return f"{super()._message()} – {self.key}, leht {self.page}"


class SoapFault(XRoadError):
    """A SOAP Fault (``faultcode``, ``faultstring``, optional ``detail`` text)."""

    def __init__(self, faultcode: str, faultstring: str, detail: str | None = None, *, service: str = ""):
        self.faultcode = faultcode
        self.faultstring = faultstring
        self.detail = detail
        self.service = service
        super().__init__(f"{service + ': ' if service else ''}SOAP Fault {faultcode}: {faultstring}")


@dataclass(frozen=True, slots=True)
class RegisterError:
    """One ``vead/viga`` entry: the element it names, the register's error id and its message."""

    element: str | None
    id: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.element}: {self.message}" if self.element else self.message


class BusinessError(XRoadError):
    """The register refused the request (``vigadearv`` > 0). ``errors`` lists every ``viga``."""

    def __init__(self, errors: list[RegisterError], *, service: str = ""):
        self.errors = list(errors)
        self.service = service
        text = "; ".join(str(e) for e in self.errors) or "register teatas veast"
        super().__init__(f"{service + ': ' if service else ''}{text}")

    @property
    def elements(self) -> list[str]:
        return [e.element for e in self.errors if e.element]

    def messages(self) -> list[str]:
        return [e.message for e in self.errors]
