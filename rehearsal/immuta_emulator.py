"""A local HTTPS emulator of Immuta's API: the described paths as rehearsal/immuta_contract
gives them, and App Settings as components/immuta/client.py infers it.

Every request body on a described path is validated first: a missing required field, a field
of the wrong type or an unknown field gets Immuta's 400 (hapi/Boom shape); answers are in the
described shapes. A saved IAM entry is held to `iamConfig`. With a `directory`, a dry run and a
real sync bind and search it with the IAM's own settings (rehearsal/immuta_ldap_sync) and record
each user's groups, as Immuta would.

Records every request (body and answer) and injects faults: 429 with Retry-After, 500, 502,
503, 504, answers slower than the client's timeout, dropped connections (before the request is
handled, or after: the answer lost), token expiry, the 500-instead-of-401 quirk, and another
writer changing the document between a GET and the PUT that follows.
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
from urllib.parse import unquote

from rehearsal import immuta_contract as contract
from rehearsal.immuta_ldap_sync import LdapSyncError, SyncedUser

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
    drop_after: bool = False  # handle the request, then drop the connection: the answer is lost
    times: int = 1


@dataclass
class Recorded:
    method: str
    path: str
    status: int | None  # None: dropped
    body: Any = None  # the parsed JSON body (test data only: may hold a test password)
    answer: Any = None


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
    # Immuta's view of the directory: the LDAP sync of an IAM entry (rehearsal.immuta_ldap_sync).
    directory: Callable[[dict[str, Any]], list[SyncedUser]] | None = None
    syncs: list[str] = field(default_factory=list)  # ids of the IAMs a real sync was started for
    synced: dict[str, list[SyncedUser]] = field(default_factory=dict)  # by IAM id, last sync
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
            self.synced.clear()
            self.faults.clear()
            self.after_get_configuration = None
            self.dry_run = lambda _entry: None
            self.directory = None
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

    def invalid_requests(self) -> list[str]:
        """Every recorded request the description refuses, and every answer not in its shape."""
        found = []
        for r in self.requests:
            bad = contract.request_problems(r.method, r.path, r.body)
            if r.status is not None:
                bad += contract.answer_problems(r.method, r.path, r.status, r.answer)
            found += [f"{r.method} {r.path}: {problem}" for problem in bad]
        return found

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
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            self._reply(h, method, path, 400, contract.refusal(["the body is not JSON"]))
            return
        if fault and fault.drop:
            self.requests.append(Recorded(method, path, None, body))
            self._drop(h)
            return
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.status:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            message = {"message": "injected fault"}
            self._reply(h, method, path, fault.status, message, headers, body)
            return
        status, payload, headers, after = self._route(h, method, path, body)
        if fault and fault.drop_after:
            self.requests.append(Recorded(method, path, None, body))
            self._drop(h)
        else:
            self._reply(h, method, path, status, payload, headers, body)
        if after:
            after()

    @staticmethod
    def _drop(h: BaseHTTPRequestHandler) -> None:
        h.close_connection = True
        h.connection.shutdown(socket.SHUT_RDWR)

    def _refused(self, method: str, path: str, body: Any) -> list[str]:
        """What Immuta's validation refuses before the handler runs ([] when valid)."""
        op = contract.operation(method, path)
        if op is not None and op.described:
            return contract.request_problems(method, path, body)
        if (method, path) == ("PUT", "/configuration") and isinstance(body, dict):
            with self.lock:
                stored = dict(self.document.get("plugins") or {})
            plugins = body.get("plugins")
            changed = [
                (key, value)
                for key, value in (plugins.items() if isinstance(plugins, dict) else ())
                if stored.get(key) != value
            ]
            return [
                f"plugins.{key}: {problem}"
                for key, value in changed
                for problem in contract.iam_entry_problems(value)
            ]
        return []

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
        refused = self._refused(method, path, body)  # hapi: authentication, then validation
        if (method, path) == ("POST", "/bim/apikey/authenticate"):
            if refused:
                return 400, contract.refusal(refused), {}, None
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
        if refused:
            return 400, contract.refusal(refused), {}, None
        if (method, path) == ("GET", "/bim/iam"):
            plugins = self.document.get("plugins", {})
            listing = [  # Model44: id, displayName, type (and oauth, not known here)
                {k: v[k] for k in ("id", "displayName", "type") if isinstance(v.get(k), str)}
                for v in plugins.values()
                if isinstance(v, dict)
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
            iam_id = unquote(found.group(1))
            if body["dryRun"] is True:  # test the given (or saved) IAM, save nothing
                entry = body.get("iamConfig") or self._saved(iam_id)
                error = self.dry_run(entry or {})
                if error:
                    return 400, {"message": error}, {}, None
                return self._sync(entry, iam_id, save=False)
            return self._sync(self._saved(iam_id), iam_id, save=True)
        if (method, path) == ("POST", "/bim/syncUsers"):
            return self._sync(self._saved(body["iamid"]), body["iamid"], save=True)
        return 404, {"message": f"no route {method} {path}"}, {}, None

    def _saved(self, iam_id: str) -> dict[str, Any] | None:
        with self.lock:
            plugins = self.document.get("plugins") or {}
            found = [e for e in plugins.values() if isinstance(e, dict) and e.get("id") == iam_id]
        return copy.deepcopy(found[0]) if found else None

    def _sync(
        self, entry: dict[str, Any] | None, iam_id: str, *, save: bool
    ) -> tuple[int, Any, dict[str, str], Callable[[], None] | None]:
        """A sync (or dry run) of `entry`: with a directory, bind and search it. The answer's
        shape is not described (inferred here: the users found and their groups)."""
        if entry is None:
            return 404, {"statusCode": 404, "error": "Not Found", "message": iam_id}, {}, None
        users: list[SyncedUser] = []
        if self.directory is not None:
            try:
                users = self.directory(entry)
            except LdapSyncError as exc:
                return 400, {"message": str(exc)}, {}, None
        if save:
            with self.lock:
                self.syncs.append(iam_id)
                self.synced[iam_id] = users
        answer = {"users": [{"userId": u.user_id, "groups": list(u.groups)} for u in users]}
        return 200, answer, {}, None

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
        body: Any = None,
    ) -> None:
        self.requests.append(Recorded(method, path, status, body, payload))
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
