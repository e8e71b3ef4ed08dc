"""Generated Okta orgs (hypothesis strategies) and their Okta Management API JSON shapes.

`orgs()` draws an org as it can really look: 0 to 6 custom OKTA_SIGN_ON policies (contiguous
priorities 1..n after normalisation, some INACTIVE, with or without Okta's own Default Rule), the
system default policy last with its system Default Rule, and a handful of users in a few groups.

`org_to_api` / `directory_to_api` turn an `Org` and its directory into the JSON the Okta API
returns, the inverse of `signon_api.from_api`, so `rehearsal.okta_emulator` can serve it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from hypothesis import strategies as st

from components.okta.signon_model import (
    ANY_FACTOR,
    DEFAULT_RULE_NAME,
    PASSWORD_ONLY,
    AuthType,
    Org,
    Policy,
    Rule,
)

EVERYONE = "00gEveryone0000000001"
USERS = tuple(f"00u{i:017d}" for i in range(1, 6))
GROUPS = tuple(f"00g{i:017d}" for i in range(1, 5))
DEFAULT_POLICY_ID = "00pDefault00000000001"


def login_of(user_id: str) -> str:
    return f"user{USERS.index(user_id) + 1}@example.com" if user_id in USERS else user_id


def group_name(group_id: str) -> str:
    return "Everyone" if group_id == EVERYONE else f"group-{GROUPS.index(group_id) + 1}"


@dataclass(frozen=True)
class GeneratedOrg:
    """An org plus its directory: user id -> the groups it is a member of (Everyone implied)."""

    org: Org
    memberships: Mapping[str, frozenset[str]]

    def groups_of(self, user_id: str) -> frozenset[str]:
        return self.memberships.get(user_id, frozenset()) | {EVERYONE}


user_sets = st.frozensets(st.sampled_from(USERS), max_size=len(USERS))
statuses = st.sampled_from(("ACTIVE", "ACTIVE", "ACTIVE", "INACTIVE"))
# Classic (none), Identity Engine as Okta's LDAP instructions ask, and as Okta fills it in.
primary_factors = st.sampled_from((None, PASSWORD_ONLY, PASSWORD_ONLY, ANY_FACTOR))


@st.composite
def rules(draw: st.DrawFn, policy_id: str, *, min_size: int = 0, max_size: int = 3) -> list[Rule]:
    count = draw(st.integers(min_size, max_size))
    out = []
    for i in range(1, count + 1):
        authtype: AuthType = draw(st.sampled_from(("ANY", "LDAP_INTERFACE")))
        out.append(
            Rule(
                id=f"0pr{policy_id[3:]}R{i:02d}",
                name=f"rule {i}",
                priority=i,
                status=draw(statuses),
                access=draw(st.sampled_from(("ALLOW", "ALLOW", "DENY"))),
                authtype=authtype,
                mfa_required=draw(st.booleans()),
                users_excluded=draw(user_sets),
                primary_factor=draw(primary_factors),
            )
        )
    return out


def default_rule(policy_id: str, priority: int, *, mfa: bool, system: bool) -> Rule:
    return Rule(
        id=f"0pr{policy_id[3:]}DFLT",
        name=DEFAULT_RULE_NAME,
        priority=priority,
        access="ALLOW",
        authtype="ANY",
        mfa_required=mfa,
        system=system,
    )


@st.composite
def policies(draw: st.DrawFn, index: int) -> tuple[int, Policy]:
    """One custom policy and its raw (not yet normalised) priority."""
    pid = f"00pCustom{index:02d}{'0' * 10}"
    body = draw(rules(pid))
    if draw(st.booleans()):  # Okta's own Default Rule, when nobody deleted it
        body.append(default_rule(pid, len(body) + 1, mfa=draw(st.booleans()), system=False))
    groups = draw(st.frozensets(st.sampled_from((*GROUPS, EVERYONE)), min_size=1, max_size=2))
    raw = draw(st.integers(1, 10))
    policy = Policy(
        id=pid,
        name=f"custom policy {index}",
        priority=raw,
        status=draw(statuses),
        groups_included=groups,
        rules=tuple(body),
    )
    return raw, policy


@st.composite
def orgs(draw: st.DrawFn, *, max_policies: int = 6) -> GeneratedOrg:
    count = draw(st.integers(0, max_policies))
    drawn = [draw(policies(i)) for i in range(count)]
    # Normalise: Okta keeps priorities contiguous, ties broken by creation order.
    ordered = [p for _, p in sorted(enumerate(drawn), key=lambda t: (t[1][0], t[0]))]
    custom = [replace(p, priority=n) for n, (_, p) in enumerate(ordered, start=1)]
    extra = draw(rules(DEFAULT_POLICY_ID, max_size=2))
    default = Policy(
        id=DEFAULT_POLICY_ID,
        name="Default Policy",
        priority=len(custom) + 1,
        groups_included=frozenset({EVERYONE}),
        rules=(
            *extra,
            default_rule(DEFAULT_POLICY_ID, len(extra) + 1, mfa=draw(st.booleans()), system=True),
        ),
        system=True,
    )
    memberships = {
        user: draw(st.frozensets(st.sampled_from(GROUPS), max_size=len(GROUPS))) for user in USERS
    }
    return GeneratedOrg(
        org=Org(policies=(*custom, default), everyone_group_id=EVERYONE),
        memberships=memberships,
    )


# --- Org -> Okta Management API JSON (inverse of signon_api.from_api) ----------------------


def rule_to_api(rule: Rule) -> dict[str, Any]:
    if rule.unevaluable:
        raise ValueError(f"rule {rule.id} has conditions this model cannot write back")
    return {
        "id": rule.id,
        "type": "SIGN_ON",
        "name": rule.name,
        "priority": rule.priority,
        "status": rule.status,
        "system": rule.system,
        "conditions": {
            "people": {"users": {"exclude": sorted(rule.users_excluded)}},
            "network": {"connection": "ANYWHERE"},
            "authContext": {"authType": rule.authtype},
            "risk": {"behaviors": []},
            "riskScore": {"level": "ANY"},
            "identityProvider": {"provider": "ANY"},
        },
        "actions": {
            "signon": {
                "access": rule.access,
                "requireFactor": rule.mfa_required,
                **({"factorPromptMode": "ALWAYS"} if rule.mfa_required else {}),
                **({"primaryFactor": rule.primary_factor} if rule.primary_factor else {}),
                "rememberDeviceByDefault": False,
                "session": {
                    "usePersistentCookie": False,
                    "maxSessionIdleMinutes": 120,
                    "maxSessionLifetimeMinutes": 0,
                },
            }
        },
    }


def policy_to_api(policy: Policy) -> dict[str, Any]:
    if policy.unevaluable:
        raise ValueError(f"policy {policy.id} has conditions this model cannot write back")
    return {
        "id": policy.id,
        "type": "OKTA_SIGN_ON",
        "name": policy.name,
        "description": None if policy.system else f"{policy.name} (generated)",
        "priority": policy.priority,
        "status": policy.status,
        "system": policy.system,
        "conditions": {"people": {"groups": {"include": sorted(policy.groups_included)}}},
        "created": "2024-01-01T00:00:00.000Z",
        "lastUpdated": "2024-01-01T00:00:00.000Z",
    }


def org_to_api(org: Org) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """(GET /api/v1/policies?type=OKTA_SIGN_ON items, {policy id: GET .../rules items})."""
    ordered = sorted(org.policies, key=lambda p: (p.system, p.priority))
    return (
        [policy_to_api(p) for p in ordered],
        {p.id: [rule_to_api(r) for r in p.rules] for p in ordered},
    )


def directory_to_api(
    gen: GeneratedOrg,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, list[str]]]:
    """(users, groups, {user id: group ids}) as the users and groups endpoints return them."""
    users = [
        {
            "id": user,
            "status": "ACTIVE",
            "created": "2024-01-01T00:00:00.000Z",
            "passwordChanged": "2024-02-01T00:00:00.000Z",
            "profile": {
                "login": login_of(user),
                "email": login_of(user),
                "firstName": "User",
                "lastName": str(USERS.index(user) + 1),
            },
        }
        for user in gen.memberships
    ]
    groups = [
        {
            "id": gid,
            "type": "BUILT_IN" if gid == EVERYONE else "OKTA_GROUP",
            "profile": {"name": group_name(gid), "description": None},
        }
        for gid in (EVERYONE, *GROUPS)
    ]
    user_groups = {user: [EVERYONE, *sorted(gen.memberships[user])] for user in gen.memberships}
    return users, groups, user_groups
