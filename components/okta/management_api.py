"""Okta's Management API, read-only: what verify reads of sign-on, passwords and bind accounts.

Only GET requests, ever (the class has no other verb). Documented by Okta:
- Auth: `Authorization: SSWS <API token>`; a Read-Only Administrator's token can read policies,
  rules, users and groups. Or OAuth 2.0 (components/okta/oauth.py): the access token with the
  read scopes; a 403 whose `WWW-Authenticate` says `insufficient_scope` names the scope missing.
- Pagination: list responses carry `Link: <url>; rel="next"` until the last page.
- Rate limits: 429 E0000047 with `X-Rate-Limit-Reset`, the UTC epoch second at which the window
  resets. The wait is measured against the response's `Date` (Okta's clock, so a skewed local
  clock never retries early). Okta calls the reset "only a suggested value" for concurrency
  limits (rl2-monitor): without the header, or when it is not in the future, exponential backoff.
- Errors: `{"errorCode", "errorSummary"}`; 401 E0000011 bad token, 403 E0000006 no permission,
  404 E0000007 not found.

The token never appears in an exception, a log line or a repr.
"""

from __future__ import annotations

import collections
import contextlib
import email.utils
import ipaddress
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import tenacity

from components.http_failures import is_tls_failure
from components.okta.account_policies import AccountPolicy, account_policy, needs_rules
from components.okta.api_connection import (
    OktaConnection,
)
from components.okta.errors import (
    OktaAuthError,
    OktaError,
    OktaForbidden,
    OktaNotFound,
    OktaUnavailable,
)
from components.okta.oauth import OAuthError
from components.okta.signon_api import from_api
from components.okta.signon_model import Org
from components.secret_text import scrub

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Retries of one request: attempts, total budget (waits included), backoff without a reset.
MAX_ATTEMPTS = 5
MAX_RETRY_SECONDS = 60.0
BACKOFF_INITIAL, BACKOFF_MAX = 0.5, 8.0


class _RetryableResponse(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def until_reset(response: httpx.Response) -> float | None:
    """Seconds until `X-Rate-Limit-Reset`, on Okta's clock (`Date`) when it sent one."""
    value = response.headers.get("X-Rate-Limit-Reset", "").strip()
    if not value.isdigit():
        return None
    clock = time.time()
    with contextlib.suppress(TypeError, ValueError):
        clock = email.utils.parsedate_to_datetime(response.headers.get("Date", "")).timestamp()
    return max(0.0, int(value) - clock)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        host = str(ipaddress.ip_address(host))
    except ValueError:
        host = host.lower()
    return parts.scheme, host, parts.port


class OktaClient:
    """Reads an Okta org. A context manager; `requests_sent` counts requests per operation."""

    def __init__(
        self,
        connection: OktaConnection,
        *,
        transport: httpx.BaseTransport | None = None,
        max_attempts: int = MAX_ATTEMPTS,
        max_retry_seconds: float = MAX_RETRY_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._conn = connection
        self._max_attempts = max_attempts
        self._max_retry_seconds = max_retry_seconds
        self._sleep = sleep
        self.requests_sent: collections.Counter[str] = collections.Counter()
        headers = {"Accept": "application/json", "User-Agent": "okta-ldap-immuta-verify"}
        if connection.oauth is None:
            headers["Authorization"] = f"SSWS {connection.api_token}"
        self._http = httpx.Client(
            base_url=connection.base_url,
            timeout=httpx.Timeout(connection.timeout),
            transport=transport,
            headers=headers,
            auth=connection.oauth,
            follow_redirects=False,
        )

    def __enter__(self) -> OktaClient:
        return self

    def __exit__(self, *_: object) -> None:
        self._http.close()

    def scrub(self, text: str) -> str:
        return scrub(text, self._conn.secrets())

    # --- transport: retries, errors ----------------------------------------------------

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _RetryableResponse) and exc.response.status_code == 429:
            wait = until_reset(exc.response)
            if wait:  # a reset in the past (or now) is no wait at all: back off instead
                return wait
        backoff = tenacity.wait_exponential(multiplier=BACKOFF_INITIAL, max=BACKOFF_MAX)
        return float(backoff(state)) + float(tenacity.wait_random(0, BACKOFF_INITIAL)(state))

    def _send(self, url: str, params: Mapping[str, str] | None, operation: str) -> httpx.Response:
        """One GET, retried on 429/502/503/504, timeouts and lost connections."""
        what = f"GET {urlsplit(url).path}"
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(
                lambda e: (
                    isinstance(e, _RetryableResponse)
                    or (isinstance(e, httpx.TransportError) and not is_tls_failure(e))
                )
            ),
            stop=tenacity.stop_after_attempt(self._max_attempts)
            | tenacity.stop_before_delay(self._max_retry_seconds),
            wait=self._wait,
            sleep=self._sleep,
            before_sleep=lambda s: log.warning(
                "Okta %s: %s; retry in %.1fs", what, _describe(s), s.upcoming_sleep
            ),
            reraise=True,
        )
        budget = f"{self._max_attempts} attempts or {self._max_retry_seconds:g}s"
        try:
            for attempt in retrying:
                with attempt:
                    self.requests_sent[operation] += 1
                    response = self._http.get(url, params=params)
                    if response.status_code in RETRY_STATUSES:
                        raise _RetryableResponse(response)
                    return response
        except _RetryableResponse as exc:
            status = exc.response.status_code
            if status == 429:
                reset = until_reset(exc.response)
                when = f", the limit resets in {reset:.0f}s" if reset is not None else ""
                raise OktaUnavailable(
                    f"Okta {what} kept answering 429 (rate limit, E0000047{when}) within "
                    f"verify's budget ({budget}); other API clients are using up the org's "
                    "limit: retry later"
                ) from None
            raise OktaUnavailable(
                f"Okta {what} still answered HTTP {status} after {budget}; Okta is down or "
                "overloaded, retry later (status.okta.com)"
            ) from None
        except OAuthError as exc:
            raise OktaAuthError(self.scrub(str(exc))) from None
        except httpx.TimeoutException:
            raise OktaUnavailable(
                f"Okta {what} timed out ({self._conn.timeout:g}s per request) within {budget}; "
                "check the network path to Okta or raise --timeout"
            ) from None
        except httpx.TransportError as exc:
            if is_tls_failure(exc):
                raise OktaError(
                    f"TLS to {self._conn.base_url} failed certificate verification; check "
                    "okta:orgName and okta:baseUrl (or --okta-url)"
                ) from None
            raise OktaUnavailable(
                self.scrub(
                    f"cannot reach Okta at {self._conn.base_url} ({type(exc).__name__}); check "
                    "okta:orgName, okta:baseUrl and the network"
                )
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _get(
        self, url: str, operation: str, params: Mapping[str, str] | None = None
    ) -> httpx.Response:
        response = self._send(url, params, operation)
        if response.status_code == 200:
            return response
        what = f"GET {urlsplit(url).path}"
        detail = self.scrub(_okta_error(response))
        status = response.status_code
        if status == 401:
            raise OktaAuthError(
                f"Okta refused the {self._conn.auth_name} for {what} (HTTP 401{detail}): the "
                f"token is wrong, expired or revoked, or belongs to another org than "
                f"{self._conn.base_url}"
            )
        if status == 403 and "insufficient_scope" in response.headers.get("WWW-Authenticate", ""):
            raise OktaForbidden(
                f"Okta refused {what} (HTTP 403{detail}): the OAuth access token lacks the scope "
                "for it; grant the service app okta.policies.read, okta.users.read, "
                "okta.groups.read (adopt also okta.roles.read) and list them in okta:scopes"
            )
        if status == 403:
            raise OktaForbidden(
                f"Okta refused {what} (HTTP 403{detail}): the token's administrator may not "
                "read it; a Read-Only Administrator's token suffices"
            )
        if status == 404:
            raise OktaNotFound(f"Okta {what}: not found (HTTP 404{detail})")
        raise OktaError(f"Okta {what} answered HTTP {status}{detail}")

    def _json(self, response: httpx.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise OktaError(f"{what}: Okta answered something that is not JSON") from None

    def _pages(
        self, path: str, operation: str, params: Mapping[str, str] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every item of a list endpoint, following `rel="next"` links on this origin only."""
        url: str | None = path
        while url is not None:
            response = self._get(url, operation, params)
            items = self._json(response, f"GET {path}")
            if not isinstance(items, list):
                raise OktaError(f"GET {path}: Okta answered {type(items).__name__}, not a list")
            yield from (i for i in items if isinstance(i, dict))
            nxt = response.links.get("next", {}).get("url")
            if nxt and _origin(str(response.url.join(nxt))) != _origin(self._conn.base_url):
                raise OktaError(f"GET {path}: the next-page link leaves {self._conn.base_url}")
            url, params = (str(response.url.join(nxt)) if nxt else None), None

    # --- operations --------------------------------------------------------------------

    def signon_policies(self) -> list[dict[str, Any]]:
        """GET /api/v1/policies?type=OKTA_SIGN_ON, every page."""
        return list(self._pages("/api/v1/policies", "signon_policies", {"type": "OKTA_SIGN_ON"}))

    def password_policies(self) -> list[dict[str, Any]]:
        """GET /api/v1/policies?type=PASSWORD, every page."""
        return list(self._pages("/api/v1/policies", "password_policies", {"type": "PASSWORD"}))

    def enrollment_policies(self) -> list[dict[str, Any]]:
        """GET /api/v1/policies?type=MFA_ENROLL, every page."""
        return list(self._pages("/api/v1/policies", "enrollment_policies", {"type": "MFA_ENROLL"}))

    def account_policies(
        self, raw: list[dict[str, Any]], groups: Iterable[frozenset[str]]
    ) -> list[AccountPolicy]:
        """PASSWORD or MFA_ENROLL policies as `account_policies.AccountPolicy`, with the rules
        read of each one that may decide for `groups` (`account_policies.needs_rules`)."""
        sets = list(groups)
        try:
            return [
                account_policy(p, self.rules(str(p["id"])) if needs_rules(p, sets) else None)
                for p in raw
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise OktaError(f"cannot read the org's policies: {exc!r}") from None

    def rules(self, policy_id: str) -> list[dict[str, Any]]:
        """GET /api/v1/policies/{id}/rules, every page."""
        return list(self._pages(f"/api/v1/policies/{quote(policy_id, safe='')}/rules", "rules"))

    def user(self, login_or_id: str) -> dict[str, Any]:
        """GET /api/v1/users/{login or id}; OktaNotFound when there is no such user."""
        path = f"/api/v1/users/{quote(login_or_id, safe='')}"
        body = self._json(self._get(path, "user"), f"GET {path}")
        if not isinstance(body, dict):
            raise OktaError(f"GET {path}: Okta answered {type(body).__name__}, not an object")
        return body

    def user_groups(self, user_id: str) -> list[dict[str, Any]]:
        """GET /api/v1/users/{id}/groups, every page; OktaNotFound when there is no such user."""
        return list(self._pages(f"/api/v1/users/{quote(user_id, safe='')}/groups", "user_groups"))

    def everyone_group_id(self) -> str:
        """The id of the built-in Everyone group (GET /api/v1/groups?q=Everyone)."""
        for group in self._pages("/api/v1/groups", "everyone_group_id", {"q": "Everyone"}):
            profile = group.get("profile") or {}
            if group.get("type") == "BUILT_IN" and profile.get("name") == "Everyone":
                return str(group["id"])
        raise OktaError("GET /api/v1/groups?q=Everyone: Okta lists no built-in Everyone group")

    def signon_org(self) -> Org:
        """Every OKTA_SIGN_ON policy with its rules, as `signon_model.Org`."""
        policies = self.signon_policies()
        rules = {str(p["id"]): self.rules(str(p["id"])) for p in policies if "id" in p}
        everyone = self.everyone_group_id()
        try:
            return from_api(policies, rules, everyone)
        except (ValueError, KeyError, TypeError) as exc:
            why = (  # a KeyError's text is its key's repr; a TypeError's is Python's
                f"a policy or rule has no field {exc.args[0]}"
                if isinstance(exc, KeyError)
                else str(exc)
                if isinstance(exc, ValueError)
                else "a policy or rule in a shape this check does not read"
            )
            raise OktaError(f"cannot model the org's sign-on policies: {why}") from None


def _okta_error(response: httpx.Response) -> str:
    """`, E0000011: Invalid token provided` from Okta's error body, or ``."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict) or not body.get("errorCode"):
        return ""
    return f", {body['errorCode']}: {str(body.get('errorSummary', ''))[:200]}"


def _describe(state: tenacity.RetryCallState) -> str:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, _RetryableResponse):
        return f"HTTP {exc.response.status_code}"
    return type(exc).__name__ if exc else "no answer"
