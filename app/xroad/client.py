"""The X-Road transport shared by the register clients.

One :class:`XRoadClient` per job: it holds one ``httpx.Client`` (keep-alive, connection pool),
sets connect and read timeouts, and retries with exponential back-off on transport failures
(connection errors, timeouts, HTTP statuses other than 200, bodies that are not well-formed
SOAP) and on SOAP Faults. Business errors (``vigadearv``/``vead``) are never retried. After the
last attempt it raises :class:`TransportError` naming the service and the cause.

Message bodies are never logged: they carry personal codes.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Self

import httpx

from app.xroad import envelope as env
from app.xroad.errors import MalformedResponse, SoapFault, TransportError
from app.xroad.settings import XRoadIdentifier, XRoadSettings, resolve_config, user_id_for

log = logging.getLogger("app.xroad")


class XRoadClient:
    """Base client of one register. Subclasses set the class attributes below.

    Thread-safe: one client (one connection pool of ``max_connections``) may serve a bounded
    pool of worker threads, e.g. for a concurrent export.
    """

    register_name: ClassVar[str] = "X-Road"
    namespace: ClassVar[str] = ""
    url_setting: ClassVar[str] = ""
    service_setting: ClassVar[str] = ""
    service_version: ClassVar[str] = "v1"

    def __init__(self, url: str, service: XRoadIdentifier | str, settings: XRoadSettings, *,
                 user_isikukood: str | None = None, max_connections: int = 16,
                 transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.url = url
        self.service = XRoadIdentifier.parse(service)
        self.settings = settings
        self.user_id = user_id_for(user_isikukood, settings.system_user)
        self._sleep = sleep
        self._http = httpx.Client(
            timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
            limits=httpx.Limits(max_connections=max_connections,
                                max_keepalive_connections=max_connections),
            headers={"Content-Type": env.CONTENT_TYPE, "SOAPAction": '""'},
            transport=transport,
        )
        self._lock = threading.Lock()
        self.stats = {"calls": 0, "attempts": 0, "retries": 0, "failures": 0}

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None = None, *,
                    user_isikukood: str | None = None, **kwargs: Any) -> Self:
        """Build from a Flask config (default: the current app's, else the environment)."""
        cfg = resolve_config(config)
        return cls(cfg[cls.url_setting], cfg[cls.service_setting], XRoadSettings.from_config(cfg),
                   user_isikukood=user_isikukood, **kwargs)

    # context manager: one client (one connection pool) per job
    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def label(self, service_code: str) -> str:
        """How messages name the service: ``EHIS (EE/GOV/70000740/ehis) kutseoppeLopetajad``."""
        return f"{self.register_name} ({self.service}) {service_code}"

    def _count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.stats[key] += n

    def call(self, service_code: str, fields: env.Fields, *, require: tuple[str, ...] = ()) -> env.SoapMessage:
        """Send one request and return the parsed response (its ``wrapper`` holds the data).

        ``require`` names elements a successful response must contain; a response without them is
        treated as malformed (and retried), e.g. ``registrinumber`` of a registration.
        Raises :class:`BusinessError` at once and :class:`TransportError` after the last retry.
        """
        fields = list(fields)
        label = self.label(service_code)
        attempts = self.settings.retries + 1
        self._count("calls")
        cause = ""
        fault: SoapFault | None = None
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                self._count("retries")
                delay = min(self.settings.backoff * 2 ** (attempt - 2), self.settings.max_backoff)
                log.warning("%s: katse %d/%d ebaõnnestus (%s); uus katse %.2f s pärast",
                            label, attempt - 1, attempts, cause, delay)
                if delay:
                    self._sleep(delay)
            self._count("attempts")
            fault = None
            body, message_id = env.build_request(
                client=self.settings.client, service=self.service, service_code=service_code,
                service_version=self.service_version, namespace=self.namespace, fields=fields,
                user_id=self.user_id,
            )
            started = time.perf_counter()
            try:
                response = self._http.post(self.url, content=body)
            except httpx.TimeoutException as exc:
                cause = f"aegumine ({type(exc).__name__})"
                continue
            except httpx.TransportError as exc:
                cause = f"ühenduse viga ({type(exc).__name__}: {exc})"
                continue
            log.debug("%s id=%s HTTP %s %.1f ms", label, message_id, response.status_code,
                      (time.perf_counter() - started) * 1000)
            if response.status_code not in (200, 500):
                cause = f"HTTP {response.status_code}"
                continue
            try:
                message = env.parse_response(response.content, service_code, service=label)
                missing = [name for name in require if env.child_text(message.wrapper, name) is None]
                if missing:
                    raise MalformedResponse(f"vastuses puudub {', '.join(missing)}", service=label)
            except SoapFault as exc:
                fault = exc
                cause = f"SOAP Fault {exc.faultcode}: {exc.faultstring} (HTTP {response.status_code})"
                continue
            except MalformedResponse as exc:
                cause = exc.cause if response.status_code == 200 else (
                    f"HTTP {response.status_code} ilma SOAP Fault'ita ({exc.cause})")
                continue
            if response.status_code != 200:
                cause = f"HTTP {response.status_code} ilma SOAP Fault'ita"
                continue
            return message
        self._count("failures")
        log.error("%s: loobuti pärast %d katset: %s", label, attempts, cause)
        raise TransportError(cause, service=label, attempts=attempts, fault=fault)
