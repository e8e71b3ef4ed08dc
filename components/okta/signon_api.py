"""Okta Management API JSON -> `signon_model.Org` (what GET /api/v1/policies and rules return).

Conditions the model cannot evaluate (network zones, identity providers, behaviours, risk
levels, ...) become `unevaluable` reasons so `decide` reports them instead of guessing; empty
lists and the neutral values below narrow nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from components.okta.signon_model import (
    AUTH_TYPES,
    Access,
    AuthType,
    Org,
    Policy,
    Rule,
    policy_order,
)


def _get(obj: Mapping[str, Any] | None, *path: str) -> Any:
    cur: Any = obj
    for key in path:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(key)
    return cur


def _ids(value: Any) -> frozenset[str]:
    return frozenset(str(v) for v in value) if isinstance(value, list) else frozenset()


# Condition values that hold for every sign-in: they never narrow a rule.
_NEUTRAL: dict[tuple[str, str], object] = {
    ("network", "connection"): "ANYWHERE",
    ("riskScore", "level"): "ANY",
    ("identityProvider", "provider"): "ANY",
}


def _policy_unknowns(item: Mapping[str, Any]) -> tuple[str, ...]:
    out: list[str] = []
    conditions = item.get("conditions") or {}
    if not _ids(_get(conditions, "people", "groups", "include")):
        out.append("policy has no people.groups.include condition (assumed: Everyone)")
    if _ids(_get(conditions, "people", "groups", "exclude")):
        out.append("policy condition people.groups.exclude")
    if _get(conditions, "people", "users"):
        out.append("policy condition people.users")
    out += [f"policy condition {k}" for k, v in conditions.items() if k != "people" and v]
    return tuple(out)


def _rule_unknowns(conditions: Mapping[str, Any]) -> tuple[str, ...]:
    out: list[str] = []
    for key, value in conditions.items():
        if not value or key == "authContext":
            continue
        if key == "people":
            # Empty lists narrow nothing (Okta's own `cloud-rule` example carries
            # `"groups": {"include": [], "exclude": []}`).
            if _ids(_get(value, "users", "include")):
                out.append("rule condition people.users.include")
            for part in ("include", "exclude"):
                if _ids(_get(value, "groups", part)):
                    out.append(f"rule condition people.groups.{part}")
            continue
        if isinstance(value, Mapping):
            leftovers = {
                k: v for k, v in value.items() if v and _NEUTRAL.get((key, k), object()) != v
            }
            if not leftovers:
                continue
            shown = ", ".join(f"{k}={leftovers[k]!r}" for k in sorted(leftovers))
            out.append(f"rule condition {key} ({shown})")
        else:
            out.append(f"rule condition {key}={value!r}")
    return tuple(out)


def _priority(item: Mapping[str, Any]) -> int | None:
    value = item.get("priority")
    return None if value is None else int(value)


def _rule_from_api(policy_id: str, item: Mapping[str, Any]) -> Rule:
    conditions: Mapping[str, Any] = item.get("conditions") or {}
    access = _get(item, "actions", "signon", "access") or "ALLOW"
    if access not in ("ALLOW", "DENY", "CHALLENGE"):
        raise ValueError(f"rule {item.get('id')} of policy {policy_id}: access {access!r}")
    unknown = list(_rule_unknowns(conditions))
    authtype = _get(conditions, "authContext", "authType") or "ANY"  # documented default ANY
    if authtype not in AUTH_TYPES:
        unknown.append(f"rule condition authContext.authType={authtype!r}")
        authtype = "ANY"
    return Rule(
        id=str(item["id"]),
        name=str(item.get("name", "")),
        priority=_priority(item),
        status=str(item.get("status", "ACTIVE")),
        access=cast(Access, access),
        authtype=cast(AuthType, authtype),
        mfa_required=bool(_get(item, "actions", "signon", "requireFactor")),
        users_excluded=_ids(_get(conditions, "people", "users", "exclude")),
        system=bool(item.get("system", False)),
        unevaluable=tuple(unknown),
        primary_factor=_get(item, "actions", "signon", "primaryFactor") or None,
    )


def from_api(
    policies_json: Sequence[Mapping[str, Any]],
    rules_by_policy: Mapping[str, Sequence[Mapping[str, Any]]],
    everyone_group_id: str,
) -> Org:
    """An Org from GET /api/v1/policies?type=OKTA_SIGN_ON and GET /api/v1/policies/{id}/rules.

    Conditions the model cannot evaluate (network zones, identity providers, behaviours, risk
    levels, ...) are kept as `unevaluable` reasons so `decide` reports them instead of guessing.
    A policy whose rules are missing from `rules_by_policy` is an error, not "no rules".
    """
    policies: list[Policy] = []
    for item in policies_json:
        if item.get("type", "OKTA_SIGN_ON") != "OKTA_SIGN_ON":
            raise ValueError(f"policy {item.get('id')} is not OKTA_SIGN_ON")
        pid = str(item["id"])
        if pid not in rules_by_policy:
            raise ValueError(f"rules of policy {pid} were not provided")
        unknown = _policy_unknowns(item)
        include = _ids(_get(item, "conditions", "people", "groups", "include"))
        rules = sorted(
            (_rule_from_api(pid, r) for r in rules_by_policy[pid]),
            key=lambda r: policy_order(r.priority),
        )
        policies.append(
            Policy(
                id=pid,
                name=str(item.get("name", "")),
                priority=_priority(item),
                status=str(item.get("status", "ACTIVE")),
                groups_included=include or frozenset({everyone_group_id}),
                rules=tuple(rules),
                system=bool(item.get("system", False)),
                unevaluable=unknown,
            )
        )
    policies.sort(key=lambda p: (p.system, *policy_order(p.priority)))
    return Org(policies=tuple(policies), everyone_group_id=everyone_group_id)
