"""Serving simulators over real HTTP with werkzeug, in a background thread or in the foreground."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

log = logging.getLogger("app.simulators")


class QuietHandler(WSGIRequestHandler):
    """Request lines at DEBUG (the default handler prints every request to stderr)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("%s %s %s", self.command, self.path, code)

    def log(self, type: str, message: str, *args: object) -> None:
        if type == "error":
            log.warning(message.rstrip(), *args)
        else:
            log.debug(message.rstrip(), *args)


@dataclass
class RunningServer:
    server: BaseWSGIServer
    thread: threading.Thread | None
    app: Callable

    @property
    def port(self) -> int:
        return self.server.server_port

    def url(self, path: str = "") -> str:
        return f"http://{self.server.server_address[0]}:{self.port}{path}"

    def stop(self) -> None:
        closer = getattr(self.app, "close", None)
        if closer:
            closer()
        self.server.shutdown()
        self.server.server_close()
        if self.thread is not None:
            self.thread.join(timeout=5)


def serve_in_thread(app: Callable, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Start a threaded werkzeug server for ``app`` (port 0: a free port) in a daemon thread."""
    server = make_server(host, port, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name=f"simulator-{server.server_port}", daemon=True)
    thread.start()
    return RunningServer(server, thread, app)
