"""An httpx transport that lets only reads through, and counts them.

Adoption must never change Okta, Immuta or the cluster. The clients it uses only send GET
(and Immuta's documented `POST /bim/apikey/authenticate`, which exchanges the API key for a
token and changes nothing), but the guarantee should not rest on reading every call path:
every request goes through this transport, which refuses any other verb before it leaves the
process and records (method, path) so the report can say what was read.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable

import httpx


class WriteRefused(RuntimeError):
    """A request that could change something was about to be sent; it was not."""


class ReadOnlyTransport(httpx.BaseTransport):
    """Wraps a transport: GET (and the listed POST paths) pass, anything else is refused."""

    def __init__(self, inner: httpx.BaseTransport, *, post_paths: Iterable[str] = ()) -> None:
        self._inner = inner
        self._post_paths = frozenset(post_paths)
        self.sent: collections.Counter[tuple[str, str]] = collections.Counter()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        method, path = request.method.upper(), request.url.path
        if method != "GET" and not (method == "POST" and path in self._post_paths):
            raise WriteRefused(f"adopt is read-only: refused {method} {path} before sending it")
        self.sent[(method, path)] += 1
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()

    @property
    def reads(self) -> int:
        """GET requests sent."""
        return sum(n for (method, _), n in self.sent.items() if method == "GET")
