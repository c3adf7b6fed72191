"""Serve a Flask app over real HTTP on 127.0.0.1 (a free port) in a background thread.

Used by the browser tests: Chromium talks to the same app object and database the fixtures
filled, through werkzeug's threaded development server.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import make_server


@contextmanager
def serve(app, host: str = "127.0.0.1") -> Iterator[str]:
    """Yield the base URL (``http://127.0.0.1:<port>``) while the app is being served."""
    server = make_server(host, 0, app, threaded=True)  # port 0: the OS picks a free port
    thread = threading.Thread(target=server.serve_forever, name="browser-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
