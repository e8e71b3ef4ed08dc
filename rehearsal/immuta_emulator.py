"""A local HTTPS emulator of the Immuta API contract in components/immuta_api.py.

Records every request and injects faults: 429 with Retry-After, 500, 502, 503, 504, answers
slower than the client's timeout, dropped connections, token expiry, the 500-instead-of-401
quirk, and another writer changing the document between a GET and the PUT that follows.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import secrets
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

OTHER_IAMS: dict[str, Any] = {
    "corp-saml": {
        "id": "saml",
        "displayName": "Corporate SAML",
        "type": "saml",
        "plugin": "saml",
        "config": {
            "entryPoint": "https://idp.example/sso",
            "cert": "MIIC...",
            "privateKey": "s3cr3t-saml-key",
        },
    },
    "legacy-ldap": {
        "id": "legacy",
        "displayName": "Legacy AD",
        "type": "ldap",
        "plugin": "ldap",
        "credentials": {"bind_dn": "cn=svc,dc=corp", "bind_pw": "legacy-ad-secret-pw"},
        "options": {"host": "ad.corp.example", "port": 636, "useSSL": True},
    },
}
INITIAL_DOCUMENT: dict[str, Any] = {
    "plugins": OTHER_IAMS,
    "publicUrl": "https://immuta.acme.example",
    "features": {"queryEngine": True, "weights": [1, 2.5, 1e-3]},
}


@dataclass
class Fault:
    """Applied to the next `times` requests matching method and path (a regex)."""

    method: str
    path: str
    status: int | None = None
    retry_after: str | None = None
    delay: float = 0.0
    drop: bool = False
    times: int = 1


@dataclass
class Recorded:
    method: str
    path: str
    status: int | None  # None: dropped


@dataclass
class ImmutaEmulator:
    cert: Path | None = None  # TLS certificate and key; None serves plain HTTP
    key: Path | None = None
    api_key: str = field(default_factory=lambda: "emu-api-key-" + secrets.token_hex(8))
    etag: bool = True
    quirk_500_for_401: bool = False
    document: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(INITIAL_DOCUMENT))
    tokens: set[str] = field(default_factory=set)
    issued_tokens: list[str] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    # Runs once, right after a GET /configuration has been answered (another writer).
    after_get_configuration: Callable[[dict[str, Any]], None] | None = None
    # Dry-run sync: returns an error message for a bad IAM config, None when it works.
    dry_run: Callable[[dict[str, Any]], str | None] = lambda _entry: None
    syncs: list[str] = field(default_factory=list)  # ids of the IAMs a real sync was started for
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        scheme = "https" if self.cert else "http"
        return f"{scheme}://127.0.0.1:{self.server.server_address[1]}"

    def reset(self) -> None:
        with self.lock:
            self.document = copy.deepcopy(INITIAL_DOCUMENT)
            self.requests.clear()
            self.syncs.clear()
            self.faults.clear()
            self.after_get_configuration = None
            self.dry_run = lambda _entry: None
            self.quirk_500_for_401 = False
            self.etag = True

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method)
            and (path is None or re.fullmatch(path, r.path))
        )

    def others(self) -> str:
        """Every part of the document that is not an LDAP IAM with id 'okta', as canonical JSON."""
        doc = copy.deepcopy(self.document)
        plugins = doc.get("plugins", {})
        for key in [k for k, v in plugins.items() if isinstance(v, dict) and v.get("id") == "okta"]:
            del plugins[key]
        return json.dumps(doc, sort_keys=True)

    def start(self) -> ImmutaEmulator:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: Any) -> None:
                pass

            def do_GET(self) -> None:
                emulator._handle(self, "GET")

            def do_PUT(self) -> None:
                emulator._handle(self, "PUT")

            def do_POST(self) -> None:
                emulator._handle(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if self.cert and self.key:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.cert, self.key)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    # --- request handling ------------------------------------------------------------

    def _fault_for(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.method == method and re.fullmatch(fault.path, path) and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        path = h.path.split("?")[0]
        fault = self._fault_for(method, path)
        if fault and fault.drop:
            self.requests.append(Recorded(method, path, None))
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.status:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            self._reply(h, method, path, fault.status, {"message": "injected fault"}, headers)
            return
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            self._reply(h, method, path, 400, {"message": "body is not JSON"})
            return
        status, payload, headers, after = self._route(h, method, path, body)
        self._reply(h, method, path, status, payload, headers)
        if after:
            after()

    def _authorized(self, h: BaseHTTPRequestHandler) -> bool:
        auth = h.headers.get("Authorization", "")
        with self.lock:
            return auth.startswith("Bearer ") and auth[7:] in self.tokens

    def _etag(self) -> str:
        return (
            '"'
            + hashlib.sha256(json.dumps(self.document, sort_keys=True).encode()).hexdigest()[:16]
            + '"'
        )

    def _route(
        self, h: BaseHTTPRequestHandler, method: str, path: str, body: Any
    ) -> tuple[int, Any, dict[str, str], Callable[[], None] | None]:
        if (method, path) == ("POST", "/bim/apikey/authenticate"):
            if not isinstance(body, dict) or body.get("apikey") != self.api_key:
                return 401, {"message": "Invalid API key"}, {}, None
            token = "emu-token-" + secrets.token_hex(12)
            with self.lock:
                self.tokens.add(token)
                self.issued_tokens.append(token)
            return 200, {"authenticated": True, "token": token}, {}, None
        if not self._authorized(h):
            if self.quirk_500_for_401:
                return 500, {"message": "Internal Server Error"}, {}, None
            return 401, {"message": "Unauthorized"}, {}, None
        if (method, path) == ("GET", "/bim/iam"):
            plugins = self.document.get("plugins", {})
            listing = [  # an Immuta that reports sync status adds it (not documented)
                {
                    "id": v.get("id"),
                    "displayName": v.get("displayName"),
                    "type": v.get("type"),
                    **{k: w for k, w in v.items() if k.startswith("lastSync")},
                }
                for v in plugins.values()
            ]
            return 200, listing, {}, None
        if (method, path) == ("GET", "/configuration"):
            with self.lock:
                snapshot = copy.deepcopy(self.document)
                headers = {"ETag": self._etag()} if self.etag else {}
            hook, self.after_get_configuration = self.after_get_configuration, None
            after = (lambda: self._other_writer(hook)) if hook else None
            return 200, snapshot, headers, after
        if (method, path) == ("PUT", "/configuration"):
            if not isinstance(body, dict):
                return 400, {"message": "the configuration must be an object"}, {}, None
            with self.lock:
                match = h.headers.get("If-Match")
                if self.etag and match is not None and match != self._etag():
                    return 412, {"message": "Precondition Failed"}, {}, None
                self.document = body
                return 200, copy.deepcopy(body), {}, None
        found = re.fullmatch(r"/iam/([^/]+)/sync", path)
        if method == "POST" and found:
            if not isinstance(body, dict):
                return 400, {"message": "the body must be an object"}, {}, None
            if body.get("dryRun") is not True:  # a real sync of a saved IAM
                iam_id = found.group(1)
                with self.lock:
                    plugins = self.document.get("plugins") or {}
                    if not any(e.get("id") == iam_id for e in plugins.values()):
                        return 404, {"message": f"no IAM {iam_id}"}, {}, None
                    self.syncs.append(iam_id)
                return 200, {"started": True}, {}, None
            error = self.dry_run(body.get("iamConfig") or {})
            if error:
                return 400, {"message": error}, {}, None
            return 200, {"dryRun": True, "usersFound": 3}, {}, None
        return 404, {"message": f"no route {method} {path}"}, {}, None

    def _other_writer(self, hook: Callable[[dict[str, Any]], None]) -> None:
        with self.lock:
            hook(self.document)

    def _reply(
        self,
        h: BaseHTTPRequestHandler,
        method: str,
        path: str,
        status: int,
        payload: Any,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.requests.append(Recorded(method, path, status))
        data = json.dumps(payload).encode()
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                h.send_header(name, value)
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # the client gave up (a timeout fault)
