"""A local emulator of the read-only Okta Management API endpoints the stack reads.

Endpoints (all GET, `Authorization: SSWS <token>`, or an OAuth access token from
`POST /oauth2/v1/token` for an app `register_client` made: rehearsal/okta_oauth.py):
  /api/v1/policies?type=OKTA_SIGN_ON   paginated: `limit`, `after` cursor, one `Link` header per
                                       relation (`rel="self"`, then `rel="next"`), as Okta sends
  /api/v1/policies?type=PASSWORD       the same (seed PASSWORD policies with `type: PASSWORD`)
  /api/v1/policies/{id}/rules
  /api/v1/users/{idOrLogin}            exactly as seeded: real users may carry `status`
                                       PROVISIONED and `passwordChanged: null`
  /api/v1/users/{id}/groups            paginated like policies
  /api/v1/groups?q=<name prefix>       a search: every match on one page, no `next` link
                                       (Okta does not page `q` searches)
  /api/v1/users?search=profile.login eq "<login>" (or `sw "<prefix>"`): case-insensitive, as
                                       Okta compares operators and values; paginated
  /api/v1/users/{id}/roles             the user's admin role assignments, as seeded (`roles`)
  /api/v1/groups/{id}/users            the group's members (from `user_groups`), paginated

Faults: `forbid(path_regex)` answers 403 E0000006; `rate_limit(n)` answers the next n authorised
requests with 429 E0000047 and X-Rate-Limit-* headers. A missing or wrong token gets 401
E0000011. Every request is recorded as (method, path, query); headers, and so the token, never are,
and no response or log line ever contains the token.

    emu = OktaEmulator().start()
    policies, rules = org_to_api(gen.org)          # tests.support.okta_orgs
    users, groups, user_groups = directory_to_api(gen)
    emu.seed(policies=policies, rules=rules, users=users, groups=groups, user_groups=user_groups)
    ... httpx.get(emu.url + "/api/v1/policies?type=OKTA_SIGN_ON", headers=emu.auth_header)
    emu.stop()
"""

from __future__ import annotations

import copy
import re
import secrets
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from rehearsal._http import HeaderValue, Query, Served, answer_json
from rehearsal.okta_oauth import TOKEN_PATH as OAUTH_TOKEN_PATH
from rehearsal.okta_oauth import OAuthClient, OAuthServer

JSON = dict[str, Any]
Headers = Mapping[str, HeaderValue]

ERR_TOKEN = {"errorCode": "E0000011", "errorSummary": "Invalid token provided"}
ERR_FORBIDDEN = {
    "errorCode": "E0000006",
    "errorSummary": "You do not have permission to perform the requested action",
}
ERR_RATE = {
    "errorCode": "E0000047",
    "errorSummary": "API call exceeded rate limit due to too many requests.",
}
RATE_LIMIT = 600


def _error(code: str, summary: str) -> JSON:
    return {"errorCode": code, "errorSummary": summary, "errorCauses": []}


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: Mapping[str, tuple[str, ...]]
    status: int


@dataclass
class _Forbid:
    path: str
    times: int | None  # None: every time


@dataclass
class OktaEmulator(Served):
    token: str = field(default_factory=lambda: "emu-okta-" + secrets.token_hex(12))
    cert: Path | None = None  # TLS certificate and key; None serves plain HTTP
    key: Path | None = None
    default_limit: int = 20
    policies: list[JSON] = field(default_factory=list)
    rules: dict[str, list[JSON]] = field(default_factory=dict)
    users: list[JSON] = field(default_factory=list)
    groups: list[JSON] = field(default_factory=list)
    user_groups: dict[str, list[str]] = field(default_factory=dict)
    roles: dict[str, list[JSON]] = field(default_factory=dict)  # user id -> role assignments
    requests: list[Recorded] = field(default_factory=list)
    oauth: OAuthServer = field(default_factory=OAuthServer)  # /oauth2/v1/token, access tokens
    _forbidden: list[_Forbid] = field(default_factory=list)
    _throttled: int = 0
    _reset_after: int = 60
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    # --- control ------------------------------------------------------------------------

    @property
    def auth_header(self) -> dict[str, str]:
        return {"Authorization": f"SSWS {self.token}", "Accept": "application/json"}

    def seed(
        self,
        *,
        policies: Sequence[JSON] = (),
        rules: Mapping[str, Sequence[JSON]] | None = None,
        users: Sequence[JSON] = (),
        groups: Sequence[JSON] = (),
        user_groups: Mapping[str, Sequence[str]] | None = None,
        roles: Mapping[str, Sequence[JSON]] | None = None,
    ) -> OktaEmulator:
        """Replace all data (deep copies) and clear recorded requests and faults."""
        with self._lock:
            self.policies = copy.deepcopy(list(policies))
            self.rules = {k: copy.deepcopy(list(v)) for k, v in (rules or {}).items()}
            self.users = copy.deepcopy(list(users))
            self.groups = copy.deepcopy(list(groups))
            self.user_groups = {k: list(v) for k, v in (user_groups or {}).items()}
            self.roles = {k: copy.deepcopy(list(v)) for k, v in (roles or {}).items()}
            self.requests.clear()
            self.oauth.reset()
            self._forbidden.clear()
            self._throttled = 0
        return self

    def register_client(
        self, client_id: str, public_key: str, *, key_id: str, scopes: set[str], dpop: bool = False
    ) -> None:
        """An OAuth service app: its public key (PEM), key id, granted scopes, DPoP demand."""
        with self._lock:
            self.oauth.clients[client_id] = OAuthClient(public_key, key_id, frozenset(scopes), dpop)

    def forbid(self, path: str, times: int | None = None) -> None:
        """Answer 403 E0000006 to requests whose path fully matches the regex `path`."""
        with self._lock:
            self._forbidden.append(_Forbid(path, times))

    def rate_limit(self, times: int, reset_after: int = 60) -> None:
        """Answer the next `times` authorised requests with 429 and X-Rate-Limit-* headers."""
        with self._lock:
            self._throttled = times
            self._reset_after = reset_after

    def count(self, path: str | None = None, status: int | None = None) -> int:
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (path is None or re.fullmatch(path, r.path))
                and (status is None or r.status == status)
            )

    # --- request handling ---------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        def record(path: str, query: Query, status: int) -> None:
            with self._lock:
                self.requests.append(Recorded(method, path, query, status))

        answer_json(h, method, self._respond, record)

    def _respond(
        self,
        h: BaseHTTPRequestHandler,
        method: str,
        path: str,
        query: Mapping[str, tuple[str, ...]],
    ) -> tuple[int, Any, Headers]:
        if path == OAUTH_TOKEN_PATH and method == "POST":
            with self._lock:
                return self.oauth.token(self.url, h.headers, h.request_body)  # type: ignore[attr-defined]
        auth = h.headers.get("Authorization", "")
        if not auth.startswith("SSWS "):
            with self._lock:
                url = self.url + h.path
                status, challenge = self.oauth.authorize(auth, h.headers, method, url, path)
            if status == 401:
                return 401, ERR_TOKEN, {"WWW-Authenticate": challenge}
            if status == 403:
                return 403, ERR_FORBIDDEN, {"WWW-Authenticate": challenge}
        elif not secrets.compare_digest(auth.encode(), f"SSWS {self.token}".encode()):
            return 401, ERR_TOKEN, {"WWW-Authenticate": 'SSWS realm="okta-emulator"'}
        reset = str(int(time.time()) + self._reset_after)
        with self._lock:
            throttled = self._throttled > 0
            if throttled:
                self._throttled -= 1
            forbidden = self._take_forbidden(path)
        if throttled:
            limits = {
                "X-Rate-Limit-Limit": str(RATE_LIMIT),
                "X-Rate-Limit-Remaining": "0",
                "X-Rate-Limit-Reset": reset,
            }
            return 429, ERR_RATE, limits
        limits = {
            "X-Rate-Limit-Limit": str(RATE_LIMIT),
            "X-Rate-Limit-Remaining": str(RATE_LIMIT - 1),
            "X-Rate-Limit-Reset": reset,
        }
        if forbidden:
            return 403, ERR_FORBIDDEN, limits
        if method != "GET":
            return (
                405,
                _error("E0000022", "The endpoint does not support the provided HTTP method"),
                limits,
            )
        status, payload, extra = self._route(path, query)
        return status, payload, {**limits, **extra}

    def _take_forbidden(self, path: str) -> bool:
        for rule in self._forbidden:
            if re.fullmatch(rule.path, path) and (rule.times is None or rule.times > 0):
                if rule.times is not None:
                    rule.times -= 1
                return True
        return False

    def _route(self, path: str, query: Mapping[str, tuple[str, ...]]) -> tuple[int, Any, Headers]:
        with self._lock:
            if path == "/api/v1/policies":
                kind = query.get("type", ("",))[0]
                if not kind:
                    return 400, _error("E0000001", "Api validation failed: type"), {}
                items = [p for p in self.policies if p.get("type") == kind]
                items.sort(key=lambda p: (bool(p.get("system")), p.get("priority", 0)))
                return self._page(path, query, items)
            if m := re.fullmatch(r"/api/v1/policies/([^/]+)/rules", path):
                if not any(p.get("id") == m[1] for p in self.policies):
                    return 404, _not_found(m[1], "Policy"), {}
                found = sorted(self.rules.get(m[1], []), key=lambda r: r.get("priority", 0))
                return 200, copy.deepcopy(found), {}
            if m := re.fullmatch(r"/api/v1/users/([^/]+)/groups", path):
                user = self._user(m[1])
                if user is None:
                    return 404, _not_found(m[1], "User"), {}
                ids = self.user_groups.get(user["id"], [])
                return self._page(path, query, [g for g in self.groups if g["id"] in ids])
            if m := re.fullmatch(r"/api/v1/users/([^/]+)/roles", path):
                user = self._user(m[1])
                if user is None:
                    return 404, _not_found(m[1], "User"), {}
                return 200, copy.deepcopy(self.roles.get(user["id"], [])), {}
            if path == "/api/v1/users":
                matched = _search_users(self.users, query.get("search", ("",))[0])
                if matched is None:
                    return 400, _error("E0000031", "Invalid search criteria."), {}
                return self._page(path, query, matched)
            if m := re.fullmatch(r"/api/v1/groups/([^/]+)/users", path):
                if not any(g["id"] == m[1] for g in self.groups):
                    return 404, _not_found(m[1], "Group"), {}
                members = [u for u in self.users if m[1] in self.user_groups.get(u["id"], [])]
                return self._page(path, query, members)
            if m := re.fullmatch(r"/api/v1/users/([^/]+)", path):
                user = self._user(m[1])
                if user is None:
                    return 404, _not_found(m[1], "User"), {}
                return 200, copy.deepcopy(user), {}
            if path == "/api/v1/groups":
                prefix = query.get("q", ("",))[0].lower()
                items = [g for g in self.groups if g["profile"]["name"].lower().startswith(prefix)]
                if "q" in query:  # a search: one page, no Link (recorded from a real org)
                    return 200, copy.deepcopy(items), {}
                return self._page(path, query, items)
        return 404, _error("E0000022", "The endpoint does not support the provided HTTP method"), {}

    def _user(self, id_or_login: str) -> JSON | None:
        for user in self.users:
            if user["id"] == id_or_login:
                return user
            if user["profile"]["login"].lower() == id_or_login.lower():
                return user
        return None

    def _page(
        self, path: str, query: Mapping[str, tuple[str, ...]], items: list[JSON]
    ) -> tuple[int, Any, Headers]:
        try:
            limit = int(query.get("limit", (str(self.default_limit),))[0])
        except ValueError:
            return 400, _error("E0000001", "Api validation failed: limit"), {}
        if limit < 1:
            return 400, _error("E0000001", "Api validation failed: limit"), {}
        start = 0
        if after := query.get("after", ("",))[0]:
            ids = [i["id"] for i in items]
            if after not in ids:
                return 400, _error("E0000001", "Api validation failed: after"), {}
            start = ids.index(after) + 1
        page = items[start : start + limit]
        base = {k: v[0] for k, v in query.items() if k != "after"}
        links = [f'<{self.url}{path}?{urlencode({**base, **_after(query)})}>; rel="self"']
        if start + limit < len(items):
            nxt = urlencode({**base, "after": page[-1]["id"]})
            links.append(f'<{self.url}{path}?{nxt}>; rel="next"')
        return 200, copy.deepcopy(page), {"Link": links}


def _search_users(users: Sequence[JSON], search: str) -> list[JSON] | None:
    """Users matching `profile.login eq|sw "value"` (no search: all), or None if malformed.

    Okta compares search operators and string values case-insensitively (Users API, list
    users, `search`); the emulator keeps what it is seeded with, so it can hold two logins
    that differ only in case, which a real org refuses.
    """
    if not search:
        return list(users)
    m = re.fullmatch(r'\s*profile\.login\s+(eq|sw)\s+"((?:[^"\\]|\\.)*)"\s*', search)
    if m is None:
        return None
    value = re.sub(r"\\(.)", r"\1", m[2]).casefold()
    if m[1] == "eq":
        return [u for u in users if u["profile"]["login"].casefold() == value]
    return [u for u in users if u["profile"]["login"].casefold().startswith(value)]


def _after(query: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    return {"after": query["after"][0]} if "after" in query else {}


def _not_found(resource_id: str, kind: str) -> JSON:
    return _error("E0000007", f"Not found: Resource not found: {resource_id} ({kind})")
