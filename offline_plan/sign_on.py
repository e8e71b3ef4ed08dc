"""A reviewer's summary of what the plan changes in Okta sign-on, and for whom."""

from __future__ import annotations

from components.config import claims_of, project_schema
from rehearsal.mock_engine import PlanResult, Registration

USER = "okta:user/user:User"
GROUP = "okta:group/group:Group"
POLICY = "okta:policy/signon:Signon"
RULE = "okta:policy/ruleSignon:RuleSignon"
PASSWORD_POLICY = "okta:policy/password:Password"
ENROLLMENT_POLICY = "okta:policy/mfa:Mfa"
EVERYONE_STAND_IN = "<id of the org's Everyone group>"


def _n(value: object) -> object:
    """Protobuf carries numbers as doubles: 1.0 reads as 1."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _deps(r: Registration, prop: str) -> list[str]:
    return r.property_dependencies.get(prop, [])


def _groups(policy: Registration, by_urn: dict[str, Registration]) -> str:
    named = [by_urn[u].inputs["name"] for u in _deps(policy, "groupsIncluded") if u in by_urn]
    if named:
        return "only the group " + ", ".join(f'"{n}" (the bind accounts)' for n in named)
    ids = list(policy.inputs.get("groupsIncluded") or [])
    if ids == [EVERYONE_STAND_IN]:
        return "Everyone: EVERY USER OF THE ORG"
    return "members of the groups " + ", ".join(ids)


def _rule(rule: Registration, bind_users: int) -> str:
    inputs = rule.inputs
    way = {"ANY": "any sign-in", "LDAP_INTERFACE": "LDAP Interface binds"}.get(
        inputs.get("authtype", "ANY"), str(inputs.get("authtype"))
    )
    if inputs.get("access", "ALLOW") == "DENY":
        effect = "denied"
    elif inputs.get("mfaRequired"):
        effect = f"MFA required (prompt {inputs.get('mfaPrompt', 'default')})"
    else:
        effect = "password alone, no MFA"
    exempt = len(inputs.get("usersExcluded") or [])
    suffix = f"; the {exempt} bind account(s) exempt" if exempt else ""
    shown = f"{_n(inputs.get('priority'))}. {inputs.get('name')!r}: {way}: {effect}{suffix}"
    return shown if exempt in (0, bind_users) else shown + " (NOT exactly the bind accounts)"


def _where(policy: Registration) -> str:
    """Where the policy sits (components/okta/sign_on.py decides; the plan shows it)."""
    priority = _n(policy.inputs.get("priority"))
    if priority is None:
        return "the bottom (just above Okta's default policy; no up moves it)"
    if "priority" in policy.options.get("ignoreChanges", []):
        return f"priority {priority} when created (the top), then left where Okta moves it"
    return f"priority {priority}"


def _org_stacks(plan: PlanResult) -> tuple[str, ...]:
    cfg = plan.stack
    me = claims_of(project_schema(), cfg.stack, cfg.values, cfg.source)
    same = {p.stack for p in cfg.peers if me.okta_org and p.okta_org == me.okta_org}
    return tuple(sorted({cfg.stack, *same}))


def sign_on_summary(plan: PlanResult) -> list[str]:
    by_urn = {r.urn: r for r in plan.resources}
    policies = sorted(plan.of_type(POLICY), key=lambda p: float(p.inputs.get("priority") or "inf"))
    if not policies:
        return []
    logins = sorted(u.inputs.get("login", "?") for u in plan.of_type(USER))
    lines = ["Okta sign-on: who the first `pulumi up` affects"]
    stacks = _org_stacks(plan)
    if len(stacks) > 1:
        lines.append(
            f"  this Okta org holds {len(stacks)} stacks of this project ({', '.join(stacks)}): "
            "their bind-account policies stay one block at the top, above every MFA policy "
            "of theirs and the org's own; no up moves another stack's policy"
        )
    for policy in policies:
        lines.append(
            f"  policy {policy.inputs.get('name')!r} at {_where(policy)}, "
            f"for {_groups(policy, by_urn)}"
        )
        rules = [r for r in plan.of_type(RULE) if policy.urn in _deps(r, "policyId")]
        for rule in sorted(rules, key=lambda r: r.inputs.get("priority", 0)):
            lines.append(f"    {_rule(rule, len(logins))}")
        if not any(r.inputs.get("authtype", "ANY") == "ANY" for r in rules):
            lines.append(
                "    any other sign-in: Okta's own Default Rule of this policy (not managed "
                "here; Okta adds it to every new policy)"
            )
    lines.append(f"  bind accounts ({len(logins)}): {', '.join(logins)}")
    everyone = any(p.inputs.get("groupsIncluded") == [EVERYONE_STAND_IN] for p in policies)
    if len(policies) == 1:
        lines.append("  everybody else: no change (this stack creates no MFA policy)")
    elif everyone:
        last = any(p.inputs.get("priority") is None for p in policies)
        lines.append(
            "  everybody else: the MFA policy above, "
            + (
                "where none of the org's own policies decides first"
                if last
                else "ahead of the org's own policies"
            )
        )
    else:
        lines.append("  everybody else outside those groups: no change")
    placed = sum(1 for p in policies if p.inputs.get("priority") is not None)
    lines.append(
        f"  the org's own sign-on policies keep their order; Okta moves each down by "
        f"{placed} to keep priorities contiguous"
    )
    lines += _account_policies(plan, by_urn)
    return [*lines, ""]


def _account_policies(plan: PlanResult, by_urn: dict[str, Registration]) -> list[str]:
    """The bind group's own password and MFA enrollment policies."""
    lines = []
    for policy in plan.of_type(PASSWORD_POLICY):
        i = policy.inputs
        lines.append(
            f"  password policy {i.get('name')!r} at {_where(policy)}, for "
            f"{_groups(policy, by_urn)}: never expires (maxAgeDays "
            f"{_n(i.get('passwordMaxAgeDays'))}), lockout after "
            f"{_n(i.get('passwordMaxLockoutAttempts'))} attempts (0: never), history "
            f"{_n(i.get('passwordHistoryCount'))}, no self-service recovery"
        )
    for policy in plan.of_type(ENROLLMENT_POLICY):
        i = policy.inputs
        required = sorted(
            k for k, v in i.items() if isinstance(v, dict) and v.get("enroll") == "REQUIRED"
        )
        lines.append(
            f"  MFA enrollment policy {i.get('name')!r} at {_where(policy)}, "
            f"for {_groups(policy, by_urn)}: requires "
            + (", ".join(required) if required else "nothing")
            + " (no factor a bind account cannot have)"
        )
    if lines:
        lines.append("  the org's own password and MFA enrollment policies each move down by 1")
    return lines
