"""Serving simulators over real HTTP with cheroot, in a background thread or in the foreground.

cheroot (the WSGI server of CherryPy) keeps HTTP/1.1 connections alive, as an X-Road security
server does (``contracts/xroad.md`` §1): idle connections wait in a selector, not in a thread,
and a fixed pool of worker threads answers the requests. werkzeug's development server closes
every connection after one response (``Connection: close``), so each call cost a new TCP
connection and a new thread.

The simulators' fault injection needs two things from the server: the raw socket of the
request (``environ["simulator.socket"]``), to drop the connection without a reply, and a way to
end the request without writing anything (:class:`DroppedConnection`).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from cheroot import wsgi

from app.simulators.base import DroppedConnection

log = logging.getLogger("app.simulators")

# Worker threads per server: a request that sleeps (latency, timeouts, lost replies in ``hang``
# mode) holds one; idle keep-alive connections hold none.
THREADS = 32


class _Gateway(wsgi.Gateway_10):
    """WSGI 1.0 gateway that hands the connection's socket to the app and lets it end a request
    without any reply."""

    def get_environ(self) -> dict:
        environ = super().get_environ()
        environ["simulator.socket"] = self.req.conn.socket
        return environ

    def respond(self) -> None:
        try:
            super().respond()
        except DroppedConnection:
            # Nothing was written; the connection is closed instead of being kept alive.
            self.req.close_connection = True
            self.req.ready = False


class _Server(wsgi.Server):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.gateway = _Gateway

    def error_log(self, msg: str = "", level: int = 20, traceback: bool = False) -> None:
        log.log(max(level, logging.DEBUG), "%s", msg, exc_info=traceback)


@dataclass
class RunningServer:
    server: wsgi.Server
    thread: threading.Thread | None
    app: Callable

    @property
    def port(self) -> int:
        return self.server.bind_addr[1]

    def url(self, path: str = "") -> str:
        return f"http://{self.server.bind_addr[0]}:{self.port}{path}"

    def stop(self) -> None:
        closer = getattr(self.app, "close", None)
        if closer:
            closer()  # wake up requests that sleep, so that the workers can stop
        self.server.stop()
        if self.thread is not None:
            self.thread.join(timeout=5)


def serve_in_thread(app: Callable, host: str = "127.0.0.1", port: int = 0, *,
                    threads: int = THREADS) -> RunningServer:
    """Start a cheroot server for ``app`` (port 0: a free port) in a daemon thread.

    The server is prepared (socket bound, worker threads started) inside that thread, so its
    workers are daemon threads too and a test that forgets to stop it does not hold the process
    open; binding errors are raised here.
    """
    server = _Server((host, port), app, numthreads=threads, server_name="eksamihaldus-simulator",
                     timeout=30, shutdown_timeout=5)
    server.expiration_interval = 0.05  # how soon serve() notices stop()
    ready = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.prepare()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            failure.append(exc)
            return
        finally:
            ready.set()
        server.serve()

    thread = threading.Thread(target=run, name=f"simulator-{host}:{port}", daemon=True)
    thread.start()
    ready.wait()
    if failure:
        thread.join()
        raise failure[0]
    thread.name = f"simulator-{server.bind_addr[1]}"
    return RunningServer(server, thread, app)
