"""A threaded HTTP(S) server on a free loopback port for the API emulators."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

Handle = Callable[[BaseHTTPRequestHandler, str], None]


def start_server(handle: Handle, cert: Path | None, key: Path | None) -> ThreadingHTTPServer:
    """Serve every request through `handle(request, method)`; TLS when `cert` and `key` are
    given. GET and the verbs that change things all reach `handle`, which decides."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in separate writes

        def log_message(self, *_: Any) -> None:
            pass

        def do_GET(self) -> None:
            handle(self, "GET")

        def _other(self) -> None:
            handle(self, self.command)

        do_POST = do_PUT = do_DELETE = do_PATCH = _other

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if cert and key:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def stop_server(server: ThreadingHTTPServer | None) -> None:
    if server is not None:
        server.shutdown()
        server.server_close()
