"""Check 7: Okta's sign-on policies let each bind account's LDAP bind in without MFA.

A static bind password can never carry a one-time code, so a bind account whose LDAP Interface
binds reach an MFA rule breaks every login. The check reads the live org once through the
read-only Management API (the OKTA_SIGN_ON policies and their rules, the Everyone group, each
bind account's groups) and asks `signon_model.decide` which rule decides an LDAP_INTERFACE
sign-in of each account. No bind is made: checks 2-4 do that.

It also reads the MFA_ENROLL (authenticator enrollment) policies: Okta runs the one that applies
during sign-in, a bind account can never enroll a factor, and Okta does not document whether
LDAP Interface binds pass through it; so an account whose enrollment policy requires any factor
beyond the password fails (`components/okta/account_policies.py` picks the policy as Okta does).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from components.config import ENROLLMENT_POLICY_SUFFIX
from components.okta.account_policies import AccountPolicy, applicable
from components.okta.api_connection import SET_TOKEN_HINT
from components.okta.errors import (
    OktaAuthError,
    OktaError,
    OktaForbidden,
    OktaNotFound,
    OktaUnavailable,
)
from components.okta.management_api import OktaClient
from components.okta.signon_model import (
    Attempt,
    AuthType,
    Decision,
    Org,
    decide,
    ordered_policies,
)
from verify.checks import Check, Target, okta_consumers, scrubbed

NUMBER = 7
NAME = "Okta sign-on decides each bind account's LDAP bind without MFA"
LDAP: AuthType = "LDAP_INTERFACE"


def _account_name(consumers: Sequence[str], user_id: str) -> str:
    who = " and ".join(consumers)
    return f"Okta sign-on decides the {who} account's LDAP bind without MFA ({user_id})"


def _verdict(d: Decision) -> str:
    if not d.allowed:
        return "DENY"
    return "ALLOW, requires MFA" if d.mfa_required else "ALLOW, no MFA"


def _whose(t: Target, name: str) -> str:
    """(another stack's: ...) when another stack file of this org creates that policy."""
    owner = t.owner(name)
    return f" (another stack's: {owner})" if owner else ""


def _where(d: Decision, t: Target | None = None) -> str:
    whose = _whose(t, d.policy.name) if t else ""
    return f'policy "{d.policy.name}"{whose} (priority {d.policy.priority}), rule "{d.rule.name}"'


def _above(org: Org, d: Decision, t: Target) -> str:
    """The other stacks' policies above the deciding one (they include only their own bind
    group, so they never decide for this stack's accounts)."""
    order = ordered_policies(org)
    ahead = [p for p in order[: order.index(d.policy)] if t.owner(p.name)]
    if not ahead:
        return ""
    shown = ", ".join(f'"{p.name}"{_whose(t, p.name)}' for p in ahead)
    return f"; above it, other stacks' policies: {shown}"


def _fix(t: Target) -> str:
    policy = f'"{t.bind_policy_name}"' if t.bind_policy_name else "(bindPolicyName)"
    group = f'"{t.bind_group_name}"' if t.bind_group_name else "(bindGroupName)"
    rule = f'"{t.bind_rule_name}"' if t.bind_rule_name else "(bindRuleName)"
    return (
        f"the stack's bind-account policy {policy} must sit above every policy that includes "
        f"the bind accounts (priority 1, or below only other stacks' bind-account policies), "
        f"include the bind group {group} with every bind account in it, and its rule {rule} "
        "must allow LDAP Interface binds without MFA: run `pulumi up` (`pulumi refresh` first "
        "shows changes made by hand; with several stacks in the org, `up` does not move the "
        "policy back: move it to the top in the Admin Console)"
    )


def _stack_policy(org: Org, attempt: Attempt, t: Target, d: Decision | None = None) -> str:
    """Why the stack's bind-account policy and rule did not decide, as far as the org shows."""
    by_id = {p.id: p for p in org.policies}
    policy = by_id.get(t.bind_policy_id) or next(
        (p for p in org.policies if t.bind_policy_name and p.name == t.bind_policy_name), None
    )
    if policy is None:
        shown = f'"{t.bind_policy_name}"' if t.bind_policy_name else t.bind_policy_id or ""
        return f"; the stack's bind-account policy {shown} does not exist in Okta" if shown else ""
    if policy.status != "ACTIVE":
        return f'; the stack\'s policy "{policy.name}" is {policy.status}'
    if not (
        policy.groups_included & attempt.groups or org.everyone_group_id in policy.groups_included
    ):
        return f'; the account is not in any group the stack\'s policy "{policy.name}" includes'
    first = next(
        (p for p in ordered_policies(org) if p.status == "ACTIVE" and not t.owner(p.name)), None
    )
    if first is not None and first.id != policy.id:
        return (
            f'; the stack\'s policy "{policy.name}" is at priority {policy.priority}, '
            f'after "{first.name}"'
        )
    rule = next((r for r in policy.rules if r.name == t.bind_rule_name), None)
    if not t.bind_rule_name or d is None or d.policy.id != policy.id:
        return ""
    if rule is not None and d.rule.id == rule.id:
        return ""
    if rule is None:
        return f'; the stack\'s policy has no rule "{t.bind_rule_name}"'
    if rule.status != "ACTIVE" or attempt.user_id in rule.users_excluded:
        return f'; the stack\'s rule "{rule.name}" is inactive or excludes the account'
    return f'; the stack\'s rule "{rule.name}" is not the first rule that matches'


def _judge(org: Org, attempt: Attempt, name: str, t: Target) -> Check:
    d = decide(org, attempt)
    if d is None:
        return Check(
            NUMBER, name, "fail", "no sign-on rule applies to its LDAP Interface binds",
            "no active policy that includes the account has an active rule for LDAP_INTERFACE "
            "or ANY sign-ins that holds for it, so Okta refuses the bind"
            + _stack_policy(org, attempt, t),
            _fix(t),
        )  # fmt: skip
    outcomes = d.outcomes()
    unknowable = next((o for o in outcomes if o is not None and o.unknowable), None)
    if unknowable is not None:
        return Check(
            NUMBER, name, "fail", f"unknowable: {unknowable.unknowable}",
            "Okta documents no outcome for this account's LDAP Interface binds on that rule"
            + (f" (it decides only if {d.reason} holds)" if d.uncertain else "")
            + _stack_policy(org, attempt, t, d),
            "give the bind accounts a rule Okta documents for LDAP Interface binds (authtype "
            "LDAP_INTERFACE, access ALLOW, no MFA, primaryFactor PASSWORD_IDP on Identity "
            "Engine: oktaEngine identity), or " + _fix(t),
        )  # fmt: skip
    good = all(o is not None and o.allowed and not o.mfa_required for o in outcomes)
    detail = f"{_where(d, t)}: {_verdict(d)}"
    if good:
        if d.uncertain:
            detail += f" (whether or not {d.reason} holds, every possible rule allows it)"
        return Check(NUMBER, name, "pass", detail + _above(org, d, t))
    if d.uncertain:
        others = ", ".join(
            "no rule (Okta denies)" if o is None else f"{_where(o)}: {_verdict(o)}"
            for o in outcomes[1:]
        )
        return Check(
            NUMBER, name, "fail", f"uncertain: {detail} decides only if its conditions hold",
            f"conditions this check cannot evaluate decide the bind: {d.reason}; when they do "
            f"not hold: {others}",
            "remove those conditions from the bind-account policy and rule (network zones, "
            "identity providers, risk and behaviours cannot be evaluated offline), or "
            + _fix(t),
        )  # fmt: skip
    if not d.allowed:
        cause = f"Okta denies LDAP Interface binds of this account ({_where(d, t)})"
    else:
        cause = (
            f"its LDAP Interface binds are decided by {_where(d, t)}, which requires MFA; a static "
            "bind password can never carry a one-time code, so every bind fails (or waits for "
            "an Okta Verify push)"
        )
    return Check(NUMBER, name, "fail", detail, cause + _stack_policy(org, attempt, t, d), _fix(t))


def _read_failed(exc: OktaError, t: Target) -> Check:
    cause = str(exc)
    if isinstance(exc, OktaAuthError):
        fix = f"{SET_TOKEN_HINT}, made in this org (an Okta token expires after 30 days unused)"
    elif isinstance(exc, OktaForbidden):
        fix = "use the API token of an administrator who may read policies, users and groups"
    elif isinstance(exc, OktaUnavailable):
        fix = "run verify again later; check the network path to Okta"
    else:
        fix = "check okta:orgName and okta:baseUrl (or --okta-url) and the cause above"
    detail = "cannot read the org's sign-on policies" + (f" at {t.okta.base_url}" if t.okta else "")
    return Check(NUMBER, NAME, "fail", detail, cause, fix)


def check_okta_signon(t: Target) -> list[Check]:
    """One check per bind account (one when the org cannot be read); scrubbed of secrets."""
    return [scrubbed(c, t.secrets()) for c in _checks(t)]


def _checks(t: Target) -> list[Check]:
    consumers = okta_consumers(t, NUMBER, NAME)
    if isinstance(consumers, Check):
        return [consumers]
    assert t.okta is not None  # okta_consumers skips without a connection
    groups: dict[str, frozenset[str] | None] = {}
    try:
        with OktaClient(t.okta) as api:
            org = api.signon_org()
            for user_id in consumers:
                try:
                    groups[user_id] = frozenset(str(g["id"]) for g in api.user_groups(user_id))
                except OktaNotFound:
                    groups[user_id] = None
            known = [g for g in groups.values() if g is not None]
            enrollment = api.account_policies(api.enrollment_policies(), known)
    except OktaError as exc:
        return [_read_failed(exc, t)]
    out = []
    for user_id, names in consumers.items():
        name = _account_name(names, user_id)
        member_of = groups[user_id]
        if member_of is None:
            gone = Check(
                NUMBER, name, "fail", f"Okta has no user {user_id}",
                "the bind account was deleted in Okta, or the stack's outputs are stale",
                "run `pulumi refresh`, then `pulumi up` to create it again",
            )  # fmt: skip
            out.append(gone)
            continue
        attempt = Attempt(user_id=user_id, groups=member_of, authtype=LDAP)
        out.append(_enrollment(_judge(org, attempt, name, t), enrollment, member_of, t))
    return out


def _enrollment_fix(t: Target) -> str:
    name = f'"{t.bind_policy_name}{ENROLLMENT_POLICY_SUFFIX}"' if t.bind_policy_name else ""
    return (
        f"the stack's MFA enrollment policy {name or '(bindPolicyName + (MFA enrollment))'} must "
        "be priority 1 among MFA enrollment policies, include the bind group and require no "
        "factor but the password: run `pulumi up` (`pulumi refresh` first shows changes made "
        "by hand)"
    )


def _enrollment(
    check: Check, policies: Sequence[AccountPolicy], groups: frozenset[str], t: Target
) -> Check:
    """The sign-on verdict, failed when the account's enrollment policy asks for a factor."""
    policy = applicable(policies, groups)
    if policy is None or (not policy.unreadable and not policy.requires):
        if check.status != "pass":
            return check
        note = (
            "; MFA enrollment: no enrollment policy applies"
            if policy is None
            else f"; {policy} requires no factor beyond the password"
        )
        return dataclasses.replace(check, detail=check.detail + note)
    if policy.unreadable:
        detail = f"unknowable: {policy} ({policy.id}): {policy.unreadable}"
        cause = "its settings are in a shape Okta documents for neither engine"
    else:
        needed = ", ".join(sorted(policy.requires))
        detail = f"{policy} ({policy.id}) requires {needed}"
        cause = (
            "Okta runs the enrollment policy during sign-in; a bind account has no factor and "
            "can never enroll one, and Okta documents no exemption for LDAP Interface binds"
        )
    if check.status == "fail":  # the sign-on failure stays first; the enrollment joins it
        return dataclasses.replace(check, cause=f"{check.cause}; also: {detail}")
    return Check(NUMBER, check.name, "fail", detail, cause, _enrollment_fix(t))
