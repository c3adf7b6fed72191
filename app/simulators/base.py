"""The SOAP side shared by both simulators: request checks, dispatch, response envelopes, fault
injection and a small control endpoint.

A simulator is a plain WSGI application. ``POST`` carries X-Road 4.0 SOAP messages
(``contracts/xroad.md``); ``GET /health`` answers ``ok``; ``GET /_sim`` returns counters and
settings as JSON and ``POST /_sim`` (JSON) changes fault settings, the fault script or the data
revision while the simulator runs.
"""
from __future__ import annotations

import copy
import json
import logging
import random
import socket
import threading
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from lxml import etree

from app.simulators.data import SimData
from app.xroad import envelope as env
from app.xroad.errors import MalformedResponse, RegisterError
from app.xroad.settings import XRoadIdentifier

log = logging.getLogger("app.simulators")

OUTCOMES = ("ok", "error", "fault", "timeout", "malformed", "lost")

# Error ids of vead/viga (this project's assumption; the real registers' ids are not public).
MISSING, INVALID, UNKNOWN, OUT_OF_RANGE, NO_RIGHT, NOT_MEMBER, REVOKED, CONFLICT = (
    "1", "2", "3", "4", "5", "6", "7", "8")


@dataclass
class FaultConfig:
    """What goes wrong, and how often. Rates are shares of requests (0–1), drawn from a random
    generator seeded with ``seed``; ``script`` forces the outcomes of the next requests first.

    * ``latency_ms`` – added to every SOAP answer;
    * ``error_rate`` – HTTP 503 with a plain-text body (a failing proxy or security server);
    * ``fault_rate`` – HTTP 500 with a SOAP Fault;
    * ``timeout_rate`` – no answer for ``timeout_seconds``, then the connection is dropped;
    * ``malformed_rate`` – HTTP 200 with a body cut in half (not well-formed XML);
    * ``lost_reply_rate`` – for services that change data (``kutsetunnistuseLisamine``,
      ``kutsetunnistuseDuplikaat``, ``kutsetunnistuseKehtetuks``): the work is done and committed,
      then the reply is lost (``lost_reply_mode`` ``drop``: the connection is closed; ``hang``: no
      answer for ``timeout_seconds``, then closed);
    * ``services`` – if set, random faults hit only these service codes.
    """

    latency_ms: float = 0.0
    error_rate: float = 0.0
    fault_rate: float = 0.0
    timeout_rate: float = 0.0
    malformed_rate: float = 0.0
    lost_reply_rate: float = 0.0
    timeout_seconds: float = 30.0
    lost_reply_mode: str = "drop"
    seed: int = 0
    services: tuple[str, ...] | None = None
    script: deque[str] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self.script = deque(self.script)
        for outcome in self.script:
            if outcome not in OUTCOMES:
                raise ValueError(f"unknown fault outcome {outcome!r} (use {', '.join(OUTCOMES)})")
        if self.lost_reply_mode not in ("drop", "hang"):
            raise ValueError("lost_reply_mode must be 'drop' or 'hang'")

    def push(self, *outcomes: str) -> None:
        """Force the outcomes of the next requests (``ok``, ``error``, ``fault``, ``timeout``,
        ``malformed``, ``lost``)."""
        for outcome in outcomes:
            if outcome not in OUTCOMES:
                raise ValueError(f"unknown fault outcome {outcome!r}")
        with self._lock:
            self.script.extend(outcomes)

    def decide(self, service_code: str, mutating: bool) -> str:
        with self._lock:
            if self.script:
                return self.script.popleft()
            if self.services is not None and service_code not in self.services:
                return "ok"
            x = self._rng.random()
            for outcome, rate in (("error", self.error_rate), ("fault", self.fault_rate),
                                  ("timeout", self.timeout_rate), ("malformed", self.malformed_rate)):
                if x < rate:
                    return outcome
                x -= rate
            if mutating and self._rng.random() < self.lost_reply_rate:
                return "lost"
            return "ok"

    def settings(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k != "script"}
        data["script"] = list(self.script)
        return data

    def update(self, values: dict[str, Any]) -> None:
        with self._lock:
            for key, value in values.items():
                if key == "script":
                    self.script = deque(value)
                elif key == "seed":
                    self.seed = int(value)
                    self._rng = random.Random(self.seed)
                elif key in {"latency_ms", "error_rate", "fault_rate", "timeout_rate", "malformed_rate",
                             "lost_reply_rate", "timeout_seconds"}:
                    setattr(self, key, float(value))
                elif key == "lost_reply_mode":
                    self.lost_reply_mode = str(value)
                elif key == "services":
                    self.services = tuple(value) if value else None
                else:
                    raise ValueError(f"unknown fault setting {key!r}")


class DroppedConnection(ConnectionAbortedError):
    """Raised by a simulator that has shut the connection down on purpose: the server ends the
    request without writing anything and closes the connection (``server.py``)."""


class Refusal(Exception):
    """Business errors to answer with ``vigadearv``/``vead``."""

    def __init__(self, errors: list[RegisterError]):
        self.errors = errors
        super().__init__("; ".join(map(str, errors)))


class Errors:
    """Collects ``viga`` entries while a request is checked."""

    def __init__(self) -> None:
        self.items: list[RegisterError] = []

    def add(self, element: str | None, error_id: str, message: str) -> None:
        self.items.append(RegisterError(element, error_id, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise Refusal(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)


class Request:
    """Typed reading of request parameters; problems go to ``errors`` naming the element."""

    def __init__(self, wrapper: etree._Element):
        self.wrapper = wrapper
        self.values = env.leaf_map(wrapper)
        self.errors = Errors()

    def text(self, name: str, *, required: bool = False, max_len: int | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            if required:
                self.errors.add(name, MISSING, f"Kohustuslik väli {name} puudub")
            return None
        if max_len is not None and len(value) > max_len:
            self.errors.add(name, OUT_OF_RANGE, f"{name} on pikem kui {max_len} märki")
            return None
        return value

    def _typed(self, name: str, parse: Callable[[str], Any], what: str, required: bool) -> Any:
        value = self.values.get(name)
        if value is None:
            if required:
                self.errors.add(name, MISSING, f"Kohustuslik väli {name} puudub")
            return None
        try:
            return parse(value)
        except ValueError:
            self.errors.add(name, INVALID, f"{name} väärtus {value!r} ei ole {what}")
            return None

    def int(self, name: str, *, required: bool = False) -> int | None:
        return self._typed(name, env.parse_int, "täisarv", required)

    def date(self, name: str, *, required: bool = False):
        return self._typed(name, env.parse_date, "kuupäev kujul AAAA-KK-PP", required)

    def datetime(self, name: str, *, required: bool = False):
        return self._typed(name, env.parse_datetime, "kuupäev ja kellaaeg ISO 8601 kujul", required)

    def bool(self, name: str, *, required: bool = False) -> bool | None:
        return self._typed(name, env.parse_bool, "tõeväärtus (true, false, 1, 0)", required)


Handler = Callable[[Request, etree._Element], None]


class SoapSimulator:
    """Base WSGI app of a register simulator. Subclasses fill ``handlers``."""

    name: ClassVar[str] = "simulator"
    namespace: ClassVar[str] = ""
    default_service: ClassVar[str] = ""
    prefix: ClassVar[str] = "ns"
    mutating: ClassVar[frozenset[str]] = frozenset()
    errors_in_success: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, data: SimData | None = None, faults: FaultConfig | None = None, *,
                 quirks: bool = False, service: str | XRoadIdentifier | None = None):
        self.data = data if data is not None else SimData()
        self.faults = faults if faults is not None else FaultConfig()
        self.quirks = quirks
        self.service = XRoadIdentifier.parse(service or self.default_service)
        self.stats: Counter[str] = Counter()
        self._stats_lock = threading.Lock()
        self._stopping = threading.Event()
        self.handlers: dict[str, Handler] = {}

    # ------------------------------------------------------------------ WSGI
    def __call__(self, environ: dict, start_response: Callable) -> list[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        if path.rstrip("/").endswith("/_sim"):
            return self._control(environ, start_response)
        if method == "GET" and path.rstrip("/").endswith("/health"):
            return _reply(start_response, "200 OK", b"ok", "text/plain; charset=utf-8")
        if method != "POST":
            return _reply(start_response, "405 Method Not Allowed", b"POST a SOAP message",
                          "text/plain; charset=utf-8", [("Allow", "POST")])
        body = _read_body(environ)
        status, payload, outcome = self.respond(body)
        self._count(outcome)
        if outcome in ("timeout", "lost"):
            if outcome == "timeout" or self.faults.lost_reply_mode == "hang":
                self._stopping.wait(self.faults.timeout_seconds)
            return self._drop(environ, start_response)
        if self.faults.latency_ms:
            self._stopping.wait(self.faults.latency_ms / 1000)
        if outcome == "error":
            return _reply(start_response, "503 Service Unavailable", b"Service temporarily unavailable",
                          "text/plain; charset=utf-8")
        if outcome == "malformed":
            payload = payload[: max(1, len(payload) // 2)]
        return _reply(start_response, status, payload, env.CONTENT_TYPE)

    def close(self) -> None:
        """Wake up requests that are sleeping (timeouts, lost replies)."""
        self._stopping.set()

    def _count(self, key: str) -> None:
        with self._stats_lock:
            self.stats[key] += 1

    @staticmethod
    def _drop(environ: dict, start_response: Callable) -> list[bytes]:
        sock = environ.get("simulator.socket")
        if sock is None:  # not served by server.py (e.g. a WSGI test client): the nearest answer
            return _reply(start_response, "504 Gateway Timeout", b"", "text/plain")
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        raise DroppedConnection("simulated lost reply")

    # ------------------------------------------------------------------ SOAP
    def respond(self, body: bytes) -> tuple[str, bytes, str]:
        """(HTTP status, response bytes, fault outcome) for a request body."""
        try:
            request = env.parse_request(body)
        except MalformedResponse as exc:
            return "500 Internal Server Error", env.build_fault("SOAP-ENV:Client", f"Vigane päring: {exc.cause}"), "bad_request"
        problem = self._check_header(request)
        if problem:
            return "500 Internal Server Error", env.build_fault("SOAP-ENV:Client", problem), "bad_request"
        code = request.service_code
        self._count(f"service:{code}")
        mutating = code in self.mutating
        outcome = self.faults.decide(code, mutating)
        if outcome == "fault":
            return ("500 Internal Server Error",
                    env.build_fault("SOAP-ENV:Server", f"{self.name}: teenus ajutiselt kättesaamatu"), outcome)
        if outcome in ("error", "timeout"):
            return "503 Service Unavailable", b"", outcome
        envelope_el, wrapper = self._response_envelope(request)
        req = Request(request.wrapper)
        try:
            self.handlers[code](req, wrapper)
            req.errors.raise_if_any()
            if code in self.errors_in_success:
                env.add_business_errors(wrapper, [])
        except Refusal as refusal:
            for el in list(wrapper):
                wrapper.remove(el)
            env.add_business_errors(wrapper, refusal.errors)
            self._count("refused")
        except Exception:  # a simulator bug must still answer as a SOAP server would
            log.exception("%s: %s failed", self.name, code)
            return ("500 Internal Server Error",
                    env.build_fault("SOAP-ENV:Server", f"{self.name}: sisemine viga"), "bug")
        return "200 OK", env.to_bytes(envelope_el), outcome

    def _check_header(self, request: env.SoapMessage) -> str | None:
        if request.header is None:
            return "X-Road päis puudub"
        if request.protocol_version != env.PROTOCOL_VERSION:
            return f"protocolVersion peab olema {env.PROTOCOL_VERSION}"
        if request.client is None:
            return "X-Road päises puudub client"
        if not request.message_id:
            return "X-Road päises puudub id"
        if request.service is None:
            return "X-Road päises puudub service"
        if request.service != self.service:
            return f"Teenus {request.service} ei ole selles turvaserveris ({self.service})"
        if request.service_code not in self.handlers:
            return f"Tundmatu teenus {request.service_code}"
        if request.service_version not in (None, "v1"):
            return f"Teenuse {request.service_code} versiooni {request.service_version} ei ole"
        if env.local_name(request.wrapper) != request.service_code:
            return f"Body element {env.local_name(request.wrapper)} ei vasta teenusele {request.service_code}"
        return None

    def _response_envelope(self, request: env.SoapMessage) -> tuple[etree._Element, etree._Element]:
        header = copy.deepcopy(request.header)
        code = request.service_code
        if self.quirks:
            # Other prefixes, a default namespace on the wrapper: readers must match local names.
            nsmap = {"soapenv": env.NS_SOAP, "xrd": env.NS_XRD, "id": env.NS_IDEN}
            envelope_el = etree.Element(f"{{{env.NS_SOAP}}}Envelope", nsmap=nsmap)
            envelope_el.append(header)
            body = etree.SubElement(envelope_el, f"{{{env.NS_SOAP}}}Body")
            wrapper = etree.SubElement(body, f"{{{self.namespace}}}{code}Response", nsmap={None: self.namespace})
        else:
            envelope_el, body = env.envelope(header)
            wrapper = etree.SubElement(body, f"{{{self.namespace}}}{code}Response",
                                       nsmap={self.prefix: self.namespace})
        return envelope_el, wrapper

    def text(self, value: str) -> Any:
        """A text value, as CDATA in quirks mode."""
        return etree.CDATA(value) if self.quirks else value

    # ------------------------------------------------------------------ control
    def state(self) -> dict[str, Any]:
        with self._stats_lock:
            stats = dict(self.stats)
        return {"name": self.name, "service": str(self.service), "seed": self.data.seed,
                "scale": self.data.scale, "stats": stats, "faults": self.faults.settings()}

    def update(self, values: dict[str, Any]) -> None:
        faults = values.pop("faults", None)
        if faults:
            self.faults.update(faults)
        if values:
            raise ValueError(f"unknown settings {sorted(values)}")

    def _control(self, environ: dict, start_response: Callable) -> list[bytes]:
        if environ.get("REQUEST_METHOD") == "POST":
            try:
                self.update(json.loads(_read_body(environ) or b"{}"))
            except (ValueError, TypeError) as exc:
                return _reply(start_response, "400 Bad Request", str(exc).encode(), "text/plain; charset=utf-8")
        data = json.dumps(self.state(), default=str, ensure_ascii=False).encode()
        return _reply(start_response, "200 OK", data, "application/json")


def _read_body(environ: dict) -> bytes:
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    if length:
        return stream.read(int(length))
    if environ.get("wsgi.input_terminated"):
        return stream.read()
    return b""


def _reply(start_response: Callable, status: str, payload: bytes, content_type: str,
           extra: list[tuple[str, str]] | None = None) -> list[bytes]:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(payload)))]
    start_response(status, headers + (extra or []))
    return [payload]


class PathDispatcher:
    """One server for both simulators: ``/ehis…`` and ``/kutseregister…`` by path prefix,
    anything else to ``default``."""

    def __init__(self, default: SoapSimulator, **by_prefix: SoapSimulator):
        self.default = default
        self.by_prefix = by_prefix

    def __call__(self, environ: dict, start_response: Callable) -> list[bytes]:
        path = environ.get("PATH_INFO", "/")
        for prefix, app in self.by_prefix.items():
            if path.startswith(f"/{prefix}"):
                return app(environ, start_response)
        return self.default(environ, start_response)

    def close(self) -> None:
        for app in {id(a): a for a in (self.default, *self.by_prefix.values())}.values():
            app.close()

