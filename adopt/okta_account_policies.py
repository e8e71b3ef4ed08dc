"""The bind group's own PASSWORD and MFA_ENROLL policies (and their rules) mapped to what exists.

Import ids (pulumi-okta 7.x, each resource's `## Import` section): Password and Mfa: the policy
id; RulePassword and RuleMfa: `<policy id>/<rule id>`. A policy is matched by name among the
policies of its type; Okta's default policy of a type is never adopted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adopt.context import Ctx, plain, subject

PASSWORD_POLICY = "okta:policy/password:Password"
PASSWORD_RULE = "okta:policy/rulePassword:RulePassword"
ENROLLMENT_POLICY = "okta:policy/mfa:Mfa"
ENROLLMENT_RULE = "okta:policy/ruleMfa:RuleMfa"
KINDS = {
    PASSWORD_POLICY: ("PASSWORD", "password policy", PASSWORD_RULE),
    ENROLLMENT_POLICY: ("MFA_ENROLL", "MFA enrollment policy", ENROLLMENT_RULE),
}


def _include(item: Mapping[str, Any]) -> set[str]:
    groups = ((item.get("conditions") or {}).get("people") or {}).get("groups") or {}
    return {str(g) for g in groups.get("include") or ()}


def map_account_policies(ctx: Ctx) -> None:
    for policy_type, (okta_type, what, rule_type) in KINDS.items():
        for reg in ctx.of_type(policy_type):
            want = plain(reg.inputs)
            name = str(want.get("name"))
            same = [
                p
                for p in ctx.okta.account_policies.get(okta_type, ())
                if str(p.get("name", "")).casefold() == name.casefold()
            ]
            if not same:
                ctx.out.add("create", subject(reg), f"{what} '{name}' at priority 1")
                continue
            if len(same) > 1 or same[0].get("system"):
                ctx.out.add(
                    "decide",
                    subject(reg),
                    f"{what} '{name}': "
                    + ("Okta's default policy" if same[0].get("system") else "several policies")
                    + " has this name; rename it, or set another bindPolicyName",
                )
                continue
            policy = same[0]
            pid = str(policy["id"])
            ctx.adopt(reg, pid, pid, f"{what} '{name}' ({pid}, priority {policy.get('priority')})")
            lines = []
            if int(policy.get("priority") or 0) != int(want.get("priority") or 0):
                lines.append(f"priority: {policy.get('priority')} -> {want.get('priority')}")
            new = {ctx.resolve(g) for g in want.get("groupsIncluded") or []}
            if _include(policy) != new:
                lines.append(f"applies to: {ctx.names(_include(policy))} -> {ctx.names(new)}")
            lines.append("settings: set to the stack's (`pulumi preview --diff` shows each)")
            ctx.out.add("change", subject(reg), f"{what} '{name}'", lines)
        _map_rules(ctx, rule_type, what)


def _map_rules(ctx: Ctx, rule_type: str, what: str) -> None:
    for reg in ctx.of_type(rule_type):
        name = str(reg.inputs.get("name"))
        policy_reg = ctx.referenced(reg.inputs.get("policyId"))
        pid = ctx.real(policy_reg) if policy_reg else None
        if pid is None:
            ctx.out.add("create", subject(reg), f"rule '{name}' of the new {what}")
            continue
        same = [
            r
            for r in ctx.okta.account_rules.get(pid, ())
            if str(r.get("name", "")).casefold() == name.casefold()
        ]
        if not same:
            ctx.out.add("create", subject(reg), f"rule '{name}' in the adopted {what} {pid}")
            continue
        if len(same) > 1:
            text = f"{what} {pid} has {len(same)} rules named '{name}'; remove the extra ones"
            ctx.out.add("decide", subject(reg), text)
            continue
        rid = str(same[0]["id"])
        ctx.adopt(reg, f"{pid}/{rid}", rid, f"rule '{name}' ({rid}) of {what} {pid}")
