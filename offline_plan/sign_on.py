"""A reviewer's summary of what the plan changes in Okta sign-on, and for whom.

`sign_on_facts` gathers the facts (the plan's JSON carries them as `signOn`);
`sign_on_summary` says the same facts as the text plan's first section.
"""

from __future__ import annotations

from typing import Any

from components.config import claims_of, project_schema
from rehearsal.mock_engine import PlanResult, Registration

USER = "okta:user/user:User"
GROUP = "okta:group/group:Group"
POLICY = "okta:policy/signon:Signon"
RULE = "okta:policy/ruleSignon:RuleSignon"
PASSWORD_POLICY = "okta:policy/password:Password"
ENROLLMENT_POLICY = "okta:policy/mfa:Mfa"
EVERYONE_STAND_IN = "<id of the org's Everyone group>"
RECOVERY = ("emailRecovery", "smsRecovery", "callRecovery", "questionRecovery")
SIGN_IN_WAYS = {"ANY": "any sign-in", "LDAP_INTERFACE": "LDAP Interface binds"}


def _n(value: object) -> object:
    """Protobuf carries numbers as doubles: 1.0 reads as 1."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _deps(r: Registration, prop: str) -> list[str]:
    return r.property_dependencies.get(prop, [])


def _groups(policy: Registration, by_urn: dict[str, Registration]) -> dict[str, Any]:
    """Whom the policy includes: the stack's bind group(s), Everyone, or group ids."""
    named = [by_urn[u].inputs["name"] for u in _deps(policy, "groupsIncluded") if u in by_urn]
    if named:
        return {"bindGroups": named}
    ids = list(policy.inputs.get("groupsIncluded") or [])
    return {"everyone": True} if ids == [EVERYONE_STAND_IN] else {"groupIds": ids}


def _groups_text(groups: dict[str, Any]) -> str:
    if "bindGroups" in groups:
        return "only the group " + ", ".join(
            f'"{n}" (the bind accounts)' for n in groups["bindGroups"]
        )
    if groups.get("everyone"):
        return "Everyone: EVERY USER OF THE ORG"
    return "members of the groups " + ", ".join(groups["groupIds"])


def _rule(rule: Registration, bind_users: int) -> dict[str, Any]:
    inputs = rule.inputs
    if inputs.get("access", "ALLOW") == "DENY":
        decision = "deny"
    elif inputs.get("mfaRequired"):
        decision = "mfa"
    else:
        decision = "password"
    exempt = len(inputs.get("usersExcluded") or [])
    return {
        "name": inputs.get("name"),
        "priority": _n(inputs.get("priority")),
        "signIn": inputs.get("authtype", "ANY"),
        "decision": decision,
        "mfaPrompt": inputs.get("mfaPrompt", "default") if decision == "mfa" else None,
        "exemptBindAccounts": exempt,
        "exemptExactlyTheBindAccounts": exempt in (0, bind_users),
    }


def _rule_text(rule: dict[str, Any]) -> str:
    way = SIGN_IN_WAYS.get(rule["signIn"], str(rule["signIn"]))
    effect = {
        "deny": "denied",
        "mfa": f"MFA required (prompt {rule['mfaPrompt']})",
        "password": "password alone, no MFA",
    }[rule["decision"]]
    exempt = rule["exemptBindAccounts"]
    suffix = f"; the {exempt} bind account(s) exempt" if exempt else ""
    shown = f"{rule['priority']}. {rule['name']!r}: {way}: {effect}{suffix}"
    return (
        shown
        if rule["exemptExactlyTheBindAccounts"]
        else shown + " (NOT exactly the bind accounts)"
    )


def _where(policy: Registration) -> str:
    """Where the policy sits (components/okta/sign_on.py decides; the plan shows it)."""
    priority = _n(policy.inputs.get("priority"))
    if priority is None:
        return "the bottom (just above Okta's default policy; no up moves it)"
    if "priority" in policy.options.get("ignoreChanges", []):
        return f"priority {priority} when created (the top), then left where Okta moves it"
    return f"priority {priority}"


def _org_stacks(plan: PlanResult) -> list[str]:
    cfg = plan.stack
    me = claims_of(project_schema(), cfg.stack, cfg.values, cfg.source)
    same = {p.stack for p in cfg.peers if me.okta_org and p.okta_org == me.okta_org}
    return sorted({cfg.stack, *same})


def _policy(policy: Registration, by_urn: dict[str, Registration]) -> dict[str, Any]:
    return {
        "name": policy.inputs.get("name"),
        "resource": policy.name,
        "priority": _n(policy.inputs.get("priority")),
        "placement": _where(policy),
        "groups": _groups(policy, by_urn),
    }


def _everybody_else(policies: list[Registration]) -> str:
    if len(policies) == 1:
        return "no change (this stack creates no MFA policy)"
    if any(p.inputs.get("groupsIncluded") == [EVERYONE_STAND_IN] for p in policies):
        last = any(p.inputs.get("priority") is None for p in policies)
        return "the MFA policy above, " + (
            "where none of the org's own policies decides first"
            if last
            else "ahead of the org's own policies"
        )
    return "no change outside those groups"


def sign_on_facts(plan: PlanResult) -> dict[str, Any] | None:
    """Who the first `pulumi up` affects, as data; None when the plan has no sign-on policy."""
    by_urn = {r.urn: r for r in plan.resources}
    policies = sorted(plan.of_type(POLICY), key=lambda p: float(p.inputs.get("priority") or "inf"))
    if not policies:
        return None
    logins = sorted(u.inputs.get("login", "?") for u in plan.of_type(USER))
    sign_on = []
    for policy in policies:
        rules = [r for r in plan.of_type(RULE) if policy.urn in _deps(r, "policyId")]
        facts = _policy(policy, by_urn)
        facts["rules"] = [
            _rule(r, len(logins)) for r in sorted(rules, key=lambda r: r.inputs.get("priority", 0))
        ]
        facts["otherSignIns"] = (
            None
            if any(r.inputs.get("authtype", "ANY") == "ANY" for r in rules)
            else "Okta's own Default Rule of this policy (not managed here)"
        )
        sign_on.append(facts)
    passwords = []
    for policy in plan.of_type(PASSWORD_POLICY):
        i = policy.inputs
        passwords.append(
            _policy(policy, by_urn)
            | {
                "maxAgeDays": _n(i.get("passwordMaxAgeDays")),
                "maxLockoutAttempts": _n(i.get("passwordMaxLockoutAttempts")),
                "historyCount": _n(i.get("passwordHistoryCount")),
                "selfServiceRecovery": sorted(
                    k.removesuffix("Recovery") for k in RECOVERY if i.get(k) == "ACTIVE"
                ),
            }
        )
    enrollment = [
        _policy(p, by_urn)
        | {
            "requiredFactors": sorted(
                k
                for k, v in p.inputs.items()
                if isinstance(v, dict) and v.get("enroll") == "REQUIRED"
            )
        }
        for p in plan.of_type(ENROLLMENT_POLICY)
    ]
    return {
        "orgStacks": _org_stacks(plan),
        "signOnPolicies": sign_on,
        "bindAccounts": logins,
        "everybodyElse": _everybody_else(policies),
        "everyUserAffected": any(
            p.inputs.get("groupsIncluded") == [EVERYONE_STAND_IN] for p in policies
        ),
        "orgSignOnPoliciesMoveDownBy": sum(
            1 for p in policies if p.inputs.get("priority") is not None
        ),
        "passwordPolicies": passwords,
        "enrollmentPolicies": enrollment,
        "orgAccountPoliciesMoveDownBy": 1 if passwords or enrollment else 0,
    }


def sign_on_summary(plan: PlanResult) -> list[str]:
    facts = sign_on_facts(plan)
    if facts is None:
        return []
    lines = ["Okta sign-on: who the first `pulumi up` affects"]
    stacks = facts["orgStacks"]
    if len(stacks) > 1:
        lines.append(
            f"  this Okta org holds {len(stacks)} stacks of this project ({', '.join(stacks)}): "
            "their bind-account policies stay one block at the top, above every MFA policy "
            "of theirs and the org's own; no up moves another stack's policy"
        )
    for policy in facts["signOnPolicies"]:
        lines.append(
            f"  policy {policy['name']!r} at {policy['placement']}, "
            f"for {_groups_text(policy['groups'])}"
        )
        lines += [f"    {_rule_text(rule)}" for rule in policy["rules"]]
        if policy["otherSignIns"]:
            lines.append(
                "    any other sign-in: Okta's own Default Rule of this policy (not managed "
                "here; Okta adds it to every new policy)"
            )
    logins = facts["bindAccounts"]
    lines.append(f"  bind accounts ({len(logins)}): {', '.join(logins)}")
    lines.append(f"  everybody else: {facts['everybodyElse']}")
    lines.append(
        f"  the org's own sign-on policies keep their order; Okta moves each down by "
        f"{facts['orgSignOnPoliciesMoveDownBy']} to keep priorities contiguous"
    )
    lines += _account_policies(facts)
    return [*lines, ""]


def _account_policies(facts: dict[str, Any]) -> list[str]:
    """The bind group's own password and MFA enrollment policies."""
    lines = []
    for p in facts["passwordPolicies"]:
        lines.append(
            f"  password policy {p['name']!r} at {p['placement']}, for "
            f"{_groups_text(p['groups'])}: never expires (maxAgeDays "
            f"{p['maxAgeDays']}), lockout after "
            f"{p['maxLockoutAttempts']} attempts (0: never), history "
            f"{p['historyCount']}, "
            + (
                "self-service recovery by " + ", ".join(p["selfServiceRecovery"])
                if p["selfServiceRecovery"]
                else "no self-service recovery"
            )
        )
    for p in facts["enrollmentPolicies"]:
        required = p["requiredFactors"]
        lines.append(
            f"  MFA enrollment policy {p['name']!r} at {p['placement']}, "
            f"for {_groups_text(p['groups'])}: requires "
            + (", ".join(required) if required else "nothing")
            + " (no factor a bind account cannot have)"
        )
    if facts["orgAccountPoliciesMoveDownBy"]:
        lines.append("  the org's own password and MFA enrollment policies each move down by 1")
    return lines
