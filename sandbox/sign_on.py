"""Who Okta's sign-on lets in, and how, once the stack's planned policies are in the org.

The org is Okta's default policy alone (its Default Rule allows without MFA, as Okta ships it),
or what `--org FILE` describes: Okta Management API JSON, the shapes `GET /api/v1/policies` and
`GET /api/v1/policies/{id}/rules` return, plus which groups each login is in:

    {"everyoneGroupId": "00g...",
     "policies": [{"id": "00p...", "name": "...", "priority": 1, "system": false,
                   "conditions": {"people": {"groups": {"include": ["00g..."]}}},
                   "rules": [{"id": "0pr...", "name": "...", "priority": 1, ...}]}],
     "userGroups": {"alice@acme.example": ["00g..."]}}

The stack's policies are inserted as Okta inserts them (`signon_model.insert_policies`) and
`signon_model.decide` names the rule that decides each LDAP Interface bind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from components.okta.signon_api import from_api
from components.okta.signon_model import (
    DEFAULT_RULE_NAME,
    Attempt,
    Decision,
    Org,
    Policy,
    Rule,
    decide,
    insert_policies,
)
from components.tool_input import JsonFileError, read_json
from rehearsal.mock_engine import PlanResult
from rehearsal.okta_plan import USER, mock_id, planned_sign_on

EVERYONE = "00gSandboxEveryone001"
DEFAULT_POLICY = Policy(
    id="00pSandboxDefault0001",
    name="Default Policy",
    priority=1,
    groups_included=frozenset({EVERYONE}),
    rules=(Rule(id="0prSandboxDefault001", name=DEFAULT_RULE_NAME, priority=1, system=True),),
    system=True,
)
DEFAULT_ORG = "an org with only Okta's default policy, whose Default Rule allows without MFA"


class OrgFileError(ValueError):
    """`--org FILE` cannot be read as an org."""


@dataclass(frozen=True)
class BaseOrg:
    org: Org
    user_groups: Mapping[str, frozenset[str]] = field(default_factory=dict)  # login -> ids
    source: str = DEFAULT_ORG


ORG_SHAPE = (
    'give a JSON object {"policies": [Okta sign-on policies, each with its "rules"], '
    '"userGroups": {login: [group ids]}, "everyoneGroupId": id} (the format: docs/sandbox.md)'
)


def _shape_problem(raw: Any) -> str:
    """What is wrong with the top of an --org document ("" when nothing)."""
    if not isinstance(raw, dict):
        return f"the document is a JSON {_json_type(raw)}, not an object"
    policies, groups = raw.get("policies") or [], raw.get("userGroups") or {}
    if not isinstance(policies, list) or not all(isinstance(p, dict) for p in policies):
        return '"policies" must be a list of objects'
    rules = [p.get("rules") or [] for p in policies]
    if not all(isinstance(r, list) and all(isinstance(x, dict) for x in r) for r in rules):
        return 'each policy\'s "rules" must be a list of objects'
    if not isinstance(groups, dict) or not all(isinstance(v, list) for v in groups.values()):
        return '"userGroups" must map each login to a list of group ids'
    return ""


def _json_type(value: Any) -> str:
    names = {list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return names.get(type(value), "null")


def load_org(path: Path | None) -> BaseOrg:
    """The org before the stack: Okta's default policy alone, or `path` (see above)."""
    if path is None:
        return BaseOrg(Org(policies=(DEFAULT_POLICY,), everyone_group_id=EVERYONE))
    try:
        raw = read_json(path)
    except JsonFileError as exc:
        raise OrgFileError(f"--org {path}: {exc}") from None
    problem = _shape_problem(raw)
    if problem:
        raise OrgFileError(f"--org {path}: {problem}; {ORG_SHAPE}")
    try:
        everyone = str(raw.get("everyoneGroupId") or EVERYONE)
        items: list[dict[str, Any]] = list(raw.get("policies") or [])
        rules = {str(p["id"]): list(p.get("rules") or []) for p in items}
        policies = [{k: v for k, v in p.items() if k != "rules"} for p in items]
        org = from_api(policies, rules, everyone)
        groups = {
            str(login).casefold(): frozenset(str(g) for g in ids)
            for login, ids in (raw.get("userGroups") or {}).items()
        }
    except KeyError as exc:
        missing = exc.args[0] if exc.args else "a key"
        raise OrgFileError(
            f'--org {path}: a policy or rule lacks "{missing}"; {ORG_SHAPE}'
        ) from None
    except (ValueError, TypeError, AttributeError) as exc:
        why = str(exc) if isinstance(exc, ValueError) else "a value of the wrong type"
        raise OrgFileError(f"--org {path}: {why}; {ORG_SHAPE}") from None
    if not any(p.system for p in org.policies):  # every Okta org has its default policy
        last = max((p.priority or 0 for p in org.policies), default=0)
        default = replace(DEFAULT_POLICY, priority=last + 1, groups_included=frozenset({everyone}))
        org = replace(org, policies=(*org.policies, default))
    return BaseOrg(org, groups, f"the org in {path}")


@dataclass(frozen=True)
class SignOn:
    """The rule that decides one user's LDAP Interface binds."""

    login: str
    kind: str  # "bind account", "member" or "non-member"
    decision: Decision | None

    @property
    def ok(self) -> bool:
        """A bind account must get in with the password alone, whatever else holds."""
        if self.kind != "bind account":
            return True
        if self.decision is None:
            return False
        outcomes = self.decision.outcomes()
        return all(o is not None and o.allowed and not o.mfa_required for o in outcomes)

    @property
    def verdict(self) -> str:
        d = self.decision
        if d is None:
            return "no rule applies: Okta refuses the bind"
        effect = "DENY" if not d.allowed else "ALLOW, requires MFA" if d.mfa_required else "ALLOW"
        where = f'policy "{d.policy.name}" (priority {d.policy.priority}), rule "{d.rule.name}"'
        extra = f" (only if {d.reason} holds)" if d.uncertain else ""
        suffix = ", no MFA" if d.allowed and not d.mfa_required else ""
        return f"{where}: {effect}{suffix}{extra}"

    def as_dict(self) -> dict[str, Any]:
        d = self.decision
        return {
            "login": self.login,
            "kind": self.kind,
            "policy": d.policy.name if d else None,
            "rule": d.rule.name if d else None,
            "allowed": bool(d and d.allowed),
            "mfaRequired": bool(d and d.mfa_required),
            "ok": self.ok,
            "verdict": self.verdict,
        }


def evaluate(
    plan: PlanResult,
    base: BaseOrg,
    samples: Sequence[tuple[str, bool]],  # (login, member of the Immuta group)
    mfa_groups: Sequence[str],
) -> list[SignOn]:
    """Each bind account's and sample user's deciding rule after the stack's policies are in.

    Sample users are in the groups `--org` gives them; without, members of the Immuta group
    are in the stack's `mfaPolicyGroups` (its Query Engine users) and the non-member in none.
    """
    planned = planned_sign_on(plan, everyone_group_id=base.org.everyone_group_id)
    org = insert_policies(base.org, planned.policies)
    logins = {mock_id(u): str(u.inputs["login"]) for u in plan.of_type(USER)}
    found = []
    for user_id in planned.bind_user_ids:
        login = logins.get(user_id, user_id)
        groups = base.user_groups.get(login.casefold(), frozenset()) | {planned.bind_group_id}
        attempt = Attempt(user_id=user_id, groups=groups, authtype="LDAP_INTERFACE")
        found.append(SignOn(login, "bind account", decide(org, attempt)))
    named = frozenset(g for g in mfa_groups if g != "Everyone")
    for login, member in samples:
        groups = base.user_groups.get(login.casefold(), named if member else frozenset())
        attempt = Attempt(user_id=f"sandbox:{login}", groups=groups, authtype="LDAP_INTERFACE")
        found.append(SignOn(login, "member" if member else "non-member", decide(org, attempt)))
    return found
