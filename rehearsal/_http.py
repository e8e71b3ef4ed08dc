"""A threaded HTTP(S) server on a free loopback port for the API emulators."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

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


Query = dict[str, tuple[str, ...]]
# A header's value, or its values: a list sends one header line per value (Okta's `Link`).
HeaderValue = str | list[str]
Respond = Callable[
    [BaseHTTPRequestHandler, str, str, Query], tuple[int, Any, Mapping[str, HeaderValue]]
]


def answer_json(
    h: BaseHTTPRequestHandler,
    method: str,
    respond: Respond,
    record: Callable[[str, Query, int], None],
) -> None:
    """Read the request, let `respond(h, method, path, query)` decide, record it, send JSON.
    The request body, if any, is on `h.request_body` (bytes) for `respond` to read."""
    length = int(h.headers.get("Content-Length") or 0)
    h.request_body = h.rfile.read(length) if length else b""  # type: ignore[attr-defined]
    split = urlsplit(h.path)
    path = unquote(split.path)
    query = {k: tuple(v) for k, v in parse_qs(split.query).items()}
    status, payload, headers = respond(h, method, path, query)
    record(path, query, status)
    body = json.dumps(payload).encode()
    h.send_response(status)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        for one in [value] if isinstance(value, str) else value:
            h.send_header(name, one)
    h.end_headers()
    h.wfile.write(body)


class Served:
    """start/stop, `with` and the URL for an emulator with `cert`, `key`, `_server` and
    `_handle`."""

    cert: Path | None
    key: Path | None
    _server: ThreadingHTTPServer | None

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        raise NotImplementedError

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("emulator not started")
        scheme = "https" if self.cert else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Self:
        self._server = start_server(self._handle, self.cert, self.key)
        return self

    def stop(self) -> None:
        stop_server(self._server)
        self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
