"""The bind group's own PASSWORD and MFA_ENROLL policies (components/okta/bind_password_policy.py,
bind_enrollment_policy.py): first, for the bind group alone, in shape, each with a rule."""

from __future__ import annotations

from collections.abc import Mapping

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs

from policy.stack_resources import OKTA_USER, bind_groups, deps, of_type

PASSWORD_POLICY = "okta:policy/password:Password"
PASSWORD_RULE = "okta:policy/rulePassword:RulePassword"
ENROLLMENT_POLICY = "okta:policy/mfa:Mfa"
ENROLLMENT_RULE = "okta:policy/ruleMfa:RuleMfa"
# What the bind group's own password policy must hold (components/okta/bind_password_policy.py).
BIND_PASSWORD_SETTINGS = {
    "passwordMaxAgeDays": 0,
    "passwordMaxLockoutAttempts": 0,
    "passwordHistoryCount": 0,
    "passwordMinAgeMinutes": 0,
}


def _only_bind_group_first(
    args: StackValidationArgs, policy: PolicyResource, what: str, report: ReportViolation
) -> None:
    groups = bind_groups(args)
    included = list(policy.props.get("groupsIncluded") or [])
    if policy.props.get("priority") != 1 or len(included) != 1:
        report(f"the bind group's {what} must be priority 1 and include only it", policy.urn)
    if not deps(policy, "groupsIncluded") & groups:
        report(f"the {what} must include the bind group (its groupsIncluded)", policy.urn)
    rules = [
        r
        for r in args.resources
        if r.resource_type in (PASSWORD_RULE, ENROLLMENT_RULE) and policy.urn in deps(r, "policyId")
    ]
    if not any(r.props.get("status", "ACTIVE") == "ACTIVE" for r in rules):
        report(
            f"the {what} needs an ACTIVE rule: Okta never applies a policy without one",
            policy.urn,
        )


def check_bind_account_policies(args: StackValidationArgs, report: ReportViolation) -> None:
    """The bind group has its own password policy (never expires, never locks out, no history
    or minimum age) and MFA enrollment policy (no factor but the password), each first and for
    the bind group alone, each with a rule."""
    if not of_type(args, OKTA_USER):
        return
    for type_, what in ((PASSWORD_POLICY, "password policy"), (ENROLLMENT_POLICY, "MFA "
                        "enrollment policy")):  # fmt: skip
        found = of_type(args, type_)
        if len(found) != 1:
            report(f"expected one {what} for the bind group, found {len(found)}", None)
        for policy in found:
            _only_bind_group_first(args, policy, what, report)
    for policy in of_type(args, PASSWORD_POLICY):
        wrong = {
            k: policy.props.get(k)
            for k, v in BIND_PASSWORD_SETTINGS.items()
            if policy.props.get(k) != v
        }
        if wrong:
            report(
                f"the bind group's password policy must never expire, lock out or refuse a "
                f"rotation: set {', '.join(f'{k}: 0' for k in sorted(wrong))}",
                policy.urn,
            )
    for policy in of_type(args, ENROLLMENT_POLICY):
        required = sorted(
            k
            for k, v in policy.props.items()
            if isinstance(v, Mapping) and v.get("enroll") == "REQUIRED" and k != "oktaPassword"
        )
        if required:
            report(
                f"the bind group's MFA enrollment policy requires {', '.join(required)}: a bind "
                "account can never enroll a factor; set them NOT_ALLOWED",
                policy.urn,
            )
