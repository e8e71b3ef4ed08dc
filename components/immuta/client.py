"""Immuta's REST API, as this project targets it: the HTTP side of the contract (the IAM
entry itself is in iam_document).

Documented by Immuta:
- `POST /bim/apikey/authenticate` {"apikey"} -> {"authenticated", "token"}; then
  `Authorization: Bearer <token>`. Tokens expire: on 401 authenticate again once and retry;
  some endpoints answer 500 instead of 401 for a stale token, so a 500 on a cached token gets
  the same single retry.
- `GET /bim/iam` lists the live IAMs; `POST /iam/{id}/sync` with `dryRun` tests an IAM
  configuration without saving it.
- Errors: 400 {"message"}, 422 {"validation": [...]}, 429 with Retry-After.

Described (Immuta's Swagger description, checked by rehearsal/immuta_contract.py): the bodies
above, and that `POST /iam/{id}/sync` requires `dryRun` (Model287) while `POST /bim/syncUsers`
takes `{"iamid"}` (Model176, "Syncs Users for external IAM"). Inferred: that `dryRun: false`
runs the IAM's real LDAP sync. The sync after a save sends that; when Immuta refuses it, it
tries `/bim/syncUsers` once; the answers' bodies are not described and are not read.

Inferred (not documented; correct it here): App Settings is one document. `GET /configuration`
returns it, `PUT /configuration` replaces it; IAMs sit in its `plugins` map, each entry with its
own `id`. A write is read-modify-write of the whole document that touches only our entry. When
GET answers with an ETag, the PUT carries `If-Match` and a 412 means another writer came first:
re-read and retry. Without an ETag the client re-reads just before writing and compares, which
narrows the race but cannot close it. The document holds other IAMs' secrets: it is never
logged, returned or put in an error.
"""

from __future__ import annotations

import copy
import email.utils
import hashlib
import logging
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

import httpx
import tenacity

from components.http_failures import is_tls_failure
from components.immuta.connection import ImmutaConnection
from components.immuta.errors import (
    ImmutaAuthError,
    ImmutaConflict,
    ImmutaError,
    ImmutaRejected,
    ImmutaUnavailable,
    failure,
)
from components.immuta.iam_document import find_iam
from components.secret_text import scrub

__all__ = [  # the errors live in components.immuta.errors; callers import them from here
    "ImmutaAuthError",
    "ImmutaClient",
    "ImmutaConflict",
    "ImmutaError",
    "ImmutaRejected",
    "ImmutaUnavailable",
]
log = logging.getLogger(__name__)

AUTH_PATH = "/bim/apikey/authenticate"
IAM_LIST_PATH = "/bim/iam"
SYNC_USERS_PATH = "/bim/syncUsers"
CONFIG_PATH = "/configuration"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
CONFLICT_ATTEMPTS = 3
# Retries of one logical request: attempts, total budget, exponential backoff with jitter.
MAX_ATTEMPTS = 5
MAX_RETRY_SECONDS = 60.0
BACKOFF_INITIAL, BACKOFF_MAX = 0.5, 8.0


def sync_path(iam_id: str) -> str:
    return f"/iam/{quote(iam_id, safe='')}/sync"


class _RetryableResponse(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


# Bearer tokens, reused for the life of the process: (url, sha256(api key)) -> token.
_TOKENS: dict[tuple[str, str], str] = {}
_TOKENS_LOCK = threading.Lock()


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class ImmutaClient:
    """One process's view of Immuta. Build it inside each provider method (SSL contexts do
    not pickle) and close it after; the bearer token outlives it."""

    def __init__(
        self, connection: ImmutaConnection, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        self._conn = connection
        context = ssl.create_default_context()
        if connection.ca_pem:
            context.load_verify_locations(cadata=connection.ca_pem)
        self._http = httpx.Client(
            base_url=connection.url.rstrip("/"),
            timeout=httpx.Timeout(connection.timeout),
            verify=context,
            transport=transport,
            headers={"Accept": "application/json"},
        )
        self._token_key = (connection.url, hashlib.sha256(connection.api_key.encode()).hexdigest())

    def __enter__(self) -> ImmutaClient:
        return self

    def __exit__(self, *_: object) -> None:
        self._http.close()

    # --- transport: retries, auth ------------------------------------------------------

    def scrub(self, text: str, extra: Iterable[str] = ()) -> str:
        """`text` without the API key, the token or any of `extra` (e.g. a bind password)."""
        return scrub(text, (self._conn.api_key, _TOKENS.get(self._token_key, ""), *extra))

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _RetryableResponse):
            after = _retry_after(exc.response)
            if after is not None:
                return min(after, MAX_RETRY_SECONDS)
        backoff = tenacity.wait_exponential_jitter(multiplier=BACKOFF_INITIAL, max=BACKOFF_MAX)
        return float(backoff(state))

    def _send(
        self, method: str, path: str, *, json: Any = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """One logical request: retried on 429/502/503/504, timeouts and lost connections."""
        conn = self._conn
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(
                lambda e: (
                    isinstance(e, _RetryableResponse)
                    or (isinstance(e, httpx.TransportError) and not is_tls_failure(e))
                )
            ),
            stop=tenacity.stop_after_attempt(MAX_ATTEMPTS)
            | tenacity.stop_after_delay(MAX_RETRY_SECONDS),
            wait=self._wait,
            before_sleep=lambda s: log.warning(
                "Immuta %s %s: %s; retry %d of %d",
                method,
                path,
                _describe(s.outcome.exception() if s.outcome else None),
                s.attempt_number,
                MAX_ATTEMPTS - 1,
            ),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    response = self._http.request(method, path, json=json, headers=headers)
                    if response.status_code in RETRY_STATUSES:
                        raise _RetryableResponse(response)
                    return response
        except _RetryableResponse as exc:
            raise ImmutaUnavailable(
                f"Immuta {method} {path} still answered HTTP {exc.response.status_code} after "
                f"{retrying.statistics.get('attempt_number', MAX_ATTEMPTS)} attempts; Immuta is "
                "overloaded or down, try again later"
            ) from None
        except httpx.TimeoutException:
            raise ImmutaUnavailable(
                f"Immuta {method} {path} timed out ({conn.timeout:g}s) on every attempt; check "
                "that immutaUrl is reachable, or raise immutaTimeoutSeconds"
            ) from None
        except httpx.TransportError as exc:
            if is_tls_failure(exc):
                raise ImmutaError(
                    f"TLS to {conn.url} failed certificate verification; if Immuta uses a "
                    "private CA, set okta-ldap-immuta:immutaCaCertificate to its PEM"
                ) from None
            raise ImmutaUnavailable(
                f"cannot reach Immuta at {conn.url} ({type(exc).__name__}); check immutaUrl "
                "and the network"
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _token(self, fresh: bool = False) -> tuple[str, bool]:
        """(bearer token, whether it came from the cache)."""
        with _TOKENS_LOCK:
            if not fresh and self._token_key in _TOKENS:
                return _TOKENS[self._token_key], True
            _TOKENS.pop(self._token_key, None)
            response = self._send("POST", AUTH_PATH, json={"apikey": self._conn.api_key})
            if response.status_code in (401, 403):
                raise ImmutaAuthError(
                    f"Immuta refused the API key (HTTP {response.status_code}); set a valid one "
                    "with `pulumi config set --secret okta-ldap-immuta:immutaApiKey`"
                )
            body = self._json(response, "authenticate with the API key")
            token = body.get("token") if isinstance(body, dict) else None
            if not (isinstance(body, dict) and body.get("authenticated") and token):
                raise ImmutaAuthError("Immuta did not authenticate the API key")
            _TOKENS[self._token_key] = str(token)
            return str(token), False

    def _call(
        self, method: str, path: str, *, json: Any = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        token, cached = self._token()
        response = self._send(
            method, path, json=json, headers={**(headers or {}), **_bearer(token)}
        )
        stale = response.status_code == 401 or (response.status_code == 500 and cached)
        if stale:  # expired token (or the 500-for-401 quirk): authenticate once, retry once
            token, _ = self._token(fresh=True)
            response = self._send(
                method, path, json=json, headers={**(headers or {}), **_bearer(token)}
            )
        if response.status_code == 401:
            raise ImmutaAuthError(f"Immuta refused a fresh token for {method} {path}")
        return response

    def _json(self, response: httpx.Response, what: str, secrets: Iterable[str] = ()) -> Any:
        if 200 <= response.status_code < 300:
            try:
                return response.json()
            except ValueError:
                raise ImmutaError(f"{what}: Immuta answered something that is not JSON") from None
        raise self._failure(response, what, secrets)

    def _failure(
        self, response: httpx.Response, what: str, secrets: Iterable[str] = ()
    ) -> ImmutaError:
        """The error a non-2xx answer stands for, with Immuta's own message (scrubbed)."""
        return failure(response, what, lambda text: self.scrub(text, secrets))

    # --- operations --------------------------------------------------------------------

    def list_iams(self) -> list[dict[str, Any]]:
        """The live IAMs, `[{"id", "displayName", "type"}]`."""
        body = self._json(self._call("GET", IAM_LIST_PATH), "list IAMs")
        return [i for i in body if isinstance(i, dict)] if isinstance(body, list) else []

    def _read_document(self) -> tuple[dict[str, Any], str | None]:
        response = self._call("GET", CONFIG_PATH)
        document = self._json(response, "read Immuta's configuration")
        if not isinstance(document, dict):
            raise ImmutaError("read Immuta's configuration: the document is not a JSON object")
        return document, response.headers.get("ETag")

    def read_iam(self, iam_id: str) -> dict[str, Any] | None:
        """Our IAM's entry, or None when Immuta has no IAM with that id."""
        return find_iam(self._read_document()[0], iam_id)[1]

    def _modify(
        self, change: Callable[[dict[str, Any]], bool], what: str, secrets: Iterable[str]
    ) -> None:
        """Read-modify-write of the whole document; `change` edits it and says if it did."""
        for _ in range(CONFLICT_ATTEMPTS):
            document, etag = self._read_document()
            before = copy.deepcopy(document)
            if not change(document):
                return
            if etag is None and self._read_document()[0] != before:
                continue  # no ETag to guard the write: someone wrote since we read; start over
            response = self._call(
                "PUT", CONFIG_PATH, json=document, headers={"If-Match": etag} if etag else None
            )
            if response.status_code == 412:
                continue  # another writer came first: re-read and apply our change again
            self._json(response, what, secrets)
            return
        raise ImmutaConflict(
            f"{what}: other writers kept changing Immuta's configuration ({CONFLICT_ATTEMPTS} "
            "tries); nothing of ours was saved, run again"
        )

    def upsert_iam(
        self,
        entry: dict[str, Any],
        *,
        create_only: bool = False,
        before_write: Callable[[], None] | None = None,
    ) -> None:
        """Create or replace our IAM entry, leaving every other key and IAM as it was.

        `create_only` refuses any existing IAM with that id, even an identical one, unless it
        is this call's own write (a PUT whose answer was lost: the re-read finds the entry we
        sent, after we sent it). `before_write` runs once, after the read and before the first
        write (the optional dry-run test).
        """
        iam_id = str(entry["id"])
        secrets = [str((entry.get("credentials") or {}).get("bind_pw", ""))]
        pending = [before_write] if before_write else []
        sent: list[bool] = []  # a PUT carrying our entry has left this process

        def put(document: dict[str, Any]) -> bool:
            key, existing = find_iam(document, iam_id)
            if existing is not None and create_only and not (sent and existing == entry):
                raise ImmutaConflict(
                    f"Immuta already has an IAM with id {iam_id!r}"
                    + (
                        " identical to this stack's (another stack's, or saved by an earlier "
                        "`pulumi up` of this one that failed before it was recorded)"
                        if existing == entry
                        else ""
                    )
                    + ". To manage it from this stack set okta-ldap-immuta:immutaIamAdopt to "
                    "true (Python dynamic resources cannot be `pulumi import`ed); otherwise "
                    "choose another immutaIamId" + ("" if sent else ". Nothing was written")
                )
            if existing == entry:
                return False  # nothing to write (for a create: our own PUT landed)
            while pending:
                pending.pop()()
            plugins = document.get("plugins")
            if not isinstance(plugins, dict):
                plugins = document["plugins"] = {}
            plugins[key or iam_id] = entry
            sent.append(True)
            return True

        self._modify(put, f"save IAM {iam_id!r}", secrets)

    def delete_iam(self, iam_id: str) -> bool:
        """Remove only our IAM; False when it was already gone (that is success)."""
        removed: list[bool] = []

        def drop(document: dict[str, Any]) -> bool:
            key, existing = find_iam(document, iam_id)
            if existing is None:
                return False
            del document["plugins"][key]
            removed.append(True)
            return True

        self._modify(drop, f"delete IAM {iam_id!r}", ())
        return bool(removed)

    def start_sync(self, iam_id: str) -> None:
        """Start one LDAP sync of the saved IAM, so new directory users get their Query Engine
        accounts without waiting for the cron: `POST /iam/{id}/sync` `{"dryRun": false}`, and
        when Immuta refuses that, `POST /bim/syncUsers` `{"iamid"}`. ImmutaError says why
        neither started."""
        first = self._call("POST", sync_path(iam_id), json={"userId": "*", "dryRun": False})
        if 200 <= first.status_code < 300:
            return  # the answer's body is not described: only the status is read
        refused = self._failure(first, f"start a sync of IAM {iam_id!r}")
        if first.status_code not in (400, 404, 405, 422):
            raise refused
        second = self._call("POST", SYNC_USERS_PATH, json={"iamid": iam_id})
        if not 200 <= second.status_code < 300:
            then = self._failure(second, f"then {SYNC_USERS_PATH}")
            raise ImmutaError(f"{refused}; {then}")

    def test_iam(self, entry: dict[str, Any]) -> None:
        """Immuta's dry-run sync of `entry` (nothing saved); ImmutaRejected when it fails."""
        iam_id = str(entry["id"])
        secret = str((entry.get("credentials") or {}).get("bind_pw", ""))
        response = self._call(
            "POST",
            sync_path(iam_id),
            json={"userId": "*", "dryRun": True, "iamConfig": entry},
        )
        if 200 <= response.status_code < 300:
            return  # the answer's body is not described: only the status is read
        failure = self._failure(response, f"test IAM {iam_id!r} (dry-run sync)", [secret])
        if isinstance(failure, ImmutaRejected):
            raise ImmutaRejected(
                f"{failure}. Nothing was saved: check the LDAP host and port, the bind DN and "
                "password, and that Okta's LDAP Interface is on"
            )
        raise failure


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _describe(exc: BaseException | None) -> str:
    if isinstance(exc, _RetryableResponse):
        return f"HTTP {exc.response.status_code}"
    return type(exc).__name__ if exc else "no answer"
