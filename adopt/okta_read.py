"""What exists in Okta for the stack's facts, read once through the Management API (GET only).

Endpoints beyond components/okta/management_api.py (Okta Management API, documented):
- Users, list users: `GET /api/v1/users?search=profile.login eq "<login>"`; the `search`
  parameter compares operators and string values case-insensitively. A short name (a login
  without `@`, as a hand-written bind DN may hold) is searched with `sw "<name>@"`, so every
  user it could mean is found, and more than one is reported, never picked.
- Role assignments: `GET /api/v1/users/{id}/roles` lists the user's admin roles, each with
  `type` (e.g. READ_ONLY_ADMIN) and `assignmentType` (USER, or GROUP when inherited).
- Groups: `GET /api/v1/groups?q=<name>` (name prefix), `GET /api/v1/groups/{id}/users`.
Each object is asked for once: one search per login, one roles and one groups read per user
found, the sign-on policies once, the rules once per policy, the bind group once and its
members once, the PASSWORD and MFA_ENROLL policies once, and the rules of those named like the
stack's bind-account ones. Nothing is written (adopt.readonly refuses any other verb before it
is sent).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from adopt.readonly import ReadOnlyTransport
from components.okta.api_connection import OktaConnection
from components.okta.management_api import OktaClient
from components.okta.oauth import TOKEN_PATH

EVERYONE = "Everyone"
# Profile attributes the program sets on a bind user; others are listed by name only.
MANAGED_PROFILE = ("login", "email", "firstName", "lastName")


@dataclass(frozen=True)
class OktaUser:
    id: str
    login: str
    status: str
    profile: Mapping[str, str]  # the managed attributes, as Okta holds them
    other_profile: tuple[str, ...]  # names of other non-empty profile attributes
    roles: tuple[str, ...] = ()  # admin role types assigned to the user directly
    group_roles: tuple[str, ...] = ()  # admin role types inherited through a group
    groups: tuple[tuple[str, str], ...] = ()  # (group id, name), Everyone included


@dataclass(frozen=True)
class LoginLookup:
    """One login (or short name) searched, and every user it matched."""

    query: str
    short_name: bool  # searched as `sw "<name>@"`
    users: tuple[OktaUser, ...]


@dataclass(frozen=True)
class OktaGroup:
    id: str
    name: str
    type: str  # OKTA_GROUP, APP_GROUP or BUILT_IN
    members: tuple[tuple[str, str], ...] = ()  # (user id, login), read for OKTA_GROUPs only


@dataclass(frozen=True)
class OktaFacts:
    url: str
    lookups: Mapping[str, LoginLookup]  # query casefolded -> lookup
    policies: tuple[Mapping[str, Any], ...]  # OKTA_SIGN_ON, as Okta lists them
    rules: Mapping[str, tuple[Mapping[str, Any], ...]]  # policy id -> its rules
    groups_named: Mapping[str, tuple[OktaGroup, ...]]  # name casefolded -> same-name groups
    group_names: Mapping[str, str] = field(default_factory=dict)  # every group id seen -> name
    everyone_id: str | None = None
    reads: int = 0
    # PASSWORD and MFA_ENROLL policies, by type, as Okta lists them; and the rules of those
    # named like the stack's bind-account ones (policy id -> rules).
    account_policies: Mapping[str, tuple[Mapping[str, Any], ...]] = field(default_factory=dict)
    account_rules: Mapping[str, tuple[Mapping[str, Any], ...]] = field(default_factory=dict)

    def lookup(self, login: str) -> LoginLookup | None:
        return self.lookups.get(login.casefold())

    def users(self) -> dict[str, OktaUser]:
        """Every user found, by id."""
        return {u.id: u for lk in self.lookups.values() for u in lk.users}


class OktaReader(OktaClient):
    """The verify client plus the reads adoption needs; GET only, like its parent."""

    def __enter__(self) -> OktaReader:
        return self

    def search_users(self, expression: str) -> list[dict[str, Any]]:
        return list(self._pages("/api/v1/users", "search_users", {"search": expression}))

    def user_roles(self, user_id: str) -> list[dict[str, Any]]:
        path = f"/api/v1/users/{quote(user_id, safe='')}/roles"
        return list(self._pages(path, "user_roles"))

    def groups_named(self, name: str) -> list[dict[str, Any]]:
        return list(self._pages("/api/v1/groups", "groups_named", {"q": name}))

    def group_members(self, group_id: str) -> list[dict[str, Any]]:
        path = f"/api/v1/groups/{quote(group_id, safe='')}/users"
        return list(self._pages(path, "group_members"))


def _quoted(value: str) -> str:
    """A string literal of Okta's search expressions (backslash escapes `"` and `\\`)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def search_expression(login: str) -> tuple[str, bool]:
    """(search expression, is a short name) for a login or a login's short name."""
    if "@" in login:
        return f"profile.login eq {_quoted(login)}", False
    return f"profile.login sw {_quoted(login + '@')}", True


def _group_name(group: Mapping[str, Any]) -> str:
    return str((group.get("profile") or {}).get("name", ""))


def _user(raw: Mapping[str, Any]) -> OktaUser:
    profile = raw.get("profile") or {}
    return OktaUser(
        id=str(raw["id"]),
        login=str(profile.get("login", "")),
        status=str(raw.get("status", "")),
        profile={k: str(profile[k]) for k in MANAGED_PROFILE if profile.get(k) is not None},
        other_profile=tuple(
            sorted(
                k for k, v in profile.items() if k not in MANAGED_PROFILE and v not in ("", None)
            )
        ),
    )


def read_okta(
    connection: OktaConnection,
    *,
    logins: Iterable[str],
    group_names: Iterable[str],
    policy_names: Iterable[str] = (),
    transport: httpx.BaseTransport | None = None,
) -> OktaFacts:
    """Read everything adoption needs from Okta; OktaError (never holding the token) on failure."""
    # With OAuth, the one POST is the token request: it mints a token and changes nothing.
    posts = (TOKEN_PATH,) if connection.oauth else ()
    guard = ReadOnlyTransport(transport or httpx.HTTPTransport(), post_paths=posts)
    names: dict[str, str] = {}
    everyone: str | None = None
    with OktaReader(connection, transport=guard) as okta:
        found: dict[str, list[dict[str, Any]]] = {}
        queries = {login.casefold(): login for login in logins if login}
        for key in sorted(queries):
            found[key] = okta.search_users(search_expression(queries[key])[0])
        users: dict[str, OktaUser] = {}
        for raw in (u for key in sorted(found) for u in found[key]):
            uid = str(raw["id"])
            if uid in users:
                continue
            roles = okta.user_roles(uid)
            groups = okta.user_groups(uid)
            for g in groups:
                names[str(g["id"])] = _group_name(g)
                if g.get("type") == "BUILT_IN" and _group_name(g) == EVERYONE:
                    everyone = str(g["id"])
            direct = sorted(
                {str(r.get("type")) for r in roles if r.get("assignmentType") != "GROUP"}
            )
            inherited = sorted(
                {str(r.get("type")) for r in roles if r.get("assignmentType") == "GROUP"}
            )
            users[uid] = dataclasses.replace(
                _user(raw),
                roles=tuple(direct),
                group_roles=tuple(inherited),
                groups=tuple(sorted((str(g["id"]), _group_name(g)) for g in groups)),
            )
        lookups = {
            key: LoginLookup(
                query=queries[key],
                short_name=search_expression(queries[key])[1],
                users=tuple(
                    sorted((users[str(u["id"])] for u in found[key]), key=lambda u: u.login)
                ),
            )
            for key in sorted(found)
        }
        policies = okta.signon_policies()
        rules = {str(p["id"]): tuple(okta.rules(str(p["id"]))) for p in policies if "id" in p}
        same_name: dict[str, tuple[OktaGroup, ...]] = {}
        for name in sorted({n.casefold(): n for n in group_names if n}.values()):
            matches = []
            for g in okta.groups_named(name):
                gid, gname = str(g["id"]), _group_name(g)
                names[gid] = gname
                if gname.casefold() != name.casefold():
                    continue
                gtype = str(g.get("type", ""))
                members: tuple[tuple[str, str], ...] = ()
                if gtype == "OKTA_GROUP":
                    members = tuple(
                        sorted(
                            (str(m["id"]), str((m.get("profile") or {}).get("login", "")))
                            for m in okta.group_members(gid)
                        )
                    )
                matches.append(OktaGroup(id=gid, name=gname, type=gtype, members=members))
            same_name[name.casefold()] = tuple(sorted(matches, key=lambda g: g.id))
        wanted = {n.casefold() for n in policy_names if n}
        account: dict[str, tuple[Mapping[str, Any], ...]] = {}
        account_rules: dict[str, tuple[Mapping[str, Any], ...]] = {}
        if wanted:
            account["PASSWORD"] = tuple(okta.password_policies())
            account["MFA_ENROLL"] = tuple(okta.enrollment_policies())
            for item in (p for kind in account.values() for p in kind):
                if str(item.get("name", "")).casefold() in wanted and not item.get("system"):
                    account_rules[str(item["id"])] = tuple(okta.rules(str(item["id"])))
    return OktaFacts(
        url=connection.base_url,
        lookups=lookups,
        policies=tuple(
            sorted(policies, key=lambda p: (bool(p.get("system")), p.get("priority", 0)))
        ),
        rules=rules,
        groups_named=same_name,
        group_names=dict(sorted(names.items())),
        everyone_id=everyone,
        reads=guard.reads,
        account_policies=account,
        account_rules=account_rules,
    )
