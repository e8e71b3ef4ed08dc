"""Mandatory guardrails for okta-ldap-immuta stacks; each message says how to fix it.

Python policies see secret values already unwrapped, so "values are secret" is checked on the
resource's `additional_secret_outputs`; the unit tests prove the inputs themselves are secret.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from components.query_engine.pg_hba import PgHbaError, parse_line
from policy.bind_group_policies import check_bind_account_policies
from policy.stack_resources import MEMBERSHIPS, OKTA_USER, bind_groups, deps, of_type, urns

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
ADMIN_ROLES = "okta:index/userAdminRoles:UserAdminRoles"
SIGNON_RULE = "okta:policy/ruleSignon:RuleSignon"
SIGNON_POLICY = "okta:policy/signon:Signon"
GROUP = "okta:group/group:Group"
BIND_POLICY_PRIORITY = 1  # the stack's bind-account policy decides before any other
DYNAMIC = "pulumi-python:dynamic:Resource"
AUTH_METHODS = frozenset(
    {"trust", "reject", "md5", "password", "scram-sha-256", "gss", "sspi", "ident", "peer",
     "ldap", "radius", "cert", "pam", "bsd"}
)  # fmt: skip


def pg_hba_rules(props: Mapping[str, Any]) -> list[str]:
    values = props.get("values") or {}
    query_engine = values.get("queryEngine") or {} if isinstance(values, Mapping) else {}
    return [str(r) for r in query_engine.get("clientPgHBARules") or []]


def _has_address(address: str) -> bool:
    if address in AUTH_METHODS or "=" in address:
        return False
    if address in ("all", "samehost", "samenet") or (
        not address[:1].isdigit() and ":" not in address
    ):
        return True  # a keyword or a host name
    try:
        ipaddress.ip_network(address, strict=False)
    except ValueError:
        return False
    return True


def rule_problems(rule: str) -> list[str]:
    """What is wrong with one pg_hba line, each with its fix."""
    try:
        parsed = parse_line(rule)
    except PgHbaError as exc:
        return [f"does not parse as one pg_hba line ({exc}); render it with the stack's rules"]
    problems = []
    if parsed.method == "trust" or (
        parsed.conn_type.startswith("host") and parsed.address == "trust"
    ):
        problems.append(
            "uses trust: anyone it matches logs in without a password; use ldap or scram-sha-256"
        )
    if parsed.conn_type.startswith("host") and not _has_address(parsed.address):
        problems.append(
            f"has no address column (PostgreSQL reads {parsed.address!r} as the address and "
            "rejects the rule); add a CIDR such as 0.0.0.0/0 after the user column"
        )
    elif parsed.method == "ldap":
        scheme, starttls = parsed.option("ldapscheme"), parsed.option("ldaptls")
        if scheme != "ldaps" and starttls != "1":
            problems.append(
                "LDAP without TLS sends every password in clear; add ldapscheme=ldaps (port 636) "
                "or ldaptls=1 (StartTLS, port 389)"
            )
        if scheme == "ldaps" and starttls == "1":
            problems.append(
                "sets both ldapscheme=ldaps and ldaptls=1, so every login fails with "
                "'TLS already started'; keep only one"
            )
    return problems


def check_pg_hba_rules(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """pg_hba LDAP rules use TLS, have an address column, and never trust."""
    if args.resource_type != HELM_RELEASE:
        return
    for i, rule in enumerate(pg_hba_rules(args.props)):
        for problem in rule_problems(rule):
            report(f"queryEngine.clientPgHBARules[{i}] {problem}", None)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def check_ldap_logins_bounded(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """LDAP rules use StartTLS, so a stalled Okta cannot hold Query Engine logins forever."""
    if args.resource_type != HELM_RELEASE:
        return
    for i, rule in enumerate(pg_hba_rules(args.props)):
        try:
            parsed = parse_line(rule)
        except PgHbaError:
            continue  # the mandatory rule check reports it
        if parsed.method == "ldap" and parsed.option("ldapscheme") == "ldaps":
            report(
                f"queryEngine.clientPgHBARules[{i}] uses ldapscheme=ldaps: when Okta stalls, "
                "these logins never end and hold Query Engine connections; use ldaptls=1 "
                "(ldapTransport: starttls) with LDAPTIMEOUT in the Query Engine's environment",
                None,
            )


def check_secret_helm_values(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Helm values that carry ldapbindpasswd are secret."""
    if args.resource_type != HELM_RELEASE:
        return
    carries_password = any("ldapbindpasswd" in s for s in _strings(args.props.get("values")))
    if carries_password and "values" not in (args.opts.additional_secret_outputs or []):
        report(
            "Helm values carry ldapbindpasswd but are not secret: build them with "
            "pulumi.Output.secret(...) and register the release with "
            "additional_secret_outputs=['values']",
            None,
        )


def check_read_only_admin(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Bind accounts hold exactly READ_ONLY_ADMIN."""
    if args.resource_type != ADMIN_ROLES:
        return
    roles = list(args.props.get("adminRoles") or [])
    if roles != ["READ_ONLY_ADMIN"]:
        report(
            f"a bind account holds admin roles {roles}; it must hold exactly ['READ_ONLY_ADMIN'] "
            "(least privilege that can still read the directory)",
            None,
        )


def check_immuta_iam_ssl(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """The Immuta IAM uses LDAPS with certificate checking."""
    if args.resource_type != DYNAMIC or "iamId" not in args.props:
        return
    if args.props.get("useSsl") is not True or args.props.get("rejectUnauthorized") is not True:
        report(
            "the Immuta LDAP IAM must use LDAPS with certificate checking: set useSsl and "
            "rejectUnauthorized to true (Okta's LDAP Interface refuses plain LDAP anyway)",
            None,
        )


def _bind_policies(args: StackValidationArgs) -> list[PolicyResource]:
    groups = bind_groups(args)
    return [p for p in of_type(args, SIGNON_POLICY) if deps(p, "groupsIncluded") & groups]


def _rules_of(args: StackValidationArgs, policy: PolicyResource) -> list[PolicyResource]:
    return [r for r in of_type(args, SIGNON_RULE) if policy.urn in deps(r, "policyId")]


def check_bind_account_policy(args: StackValidationArgs, report: ReportViolation) -> None:
    """The bind-account policy is priority 1, includes only the bind group, whose members are
    exactly the bind accounts; its only ALLOW rule is an LDAP Interface bind without MFA."""
    users = urns(of_type(args, OKTA_USER))
    if not users:
        return
    memberships = of_type(args, MEMBERSHIPS)
    if len(memberships) != 1:
        report(f"expected one bind group membership resource, found {len(memberships)}", None)
    for m in memberships:
        members = list(m.props.get("users") or [])
        if deps(m, "users") != users or len(members) != len(users):
            report(
                f"the bind group's members must be exactly this stack's {len(users)} LDAP bind "
                "accounts, no one else: set users to their user ids",
                m.urn,
            )
        if m.props.get("trackAllUsers") is not True:
            report("the bind group must track all users (trackAllUsers: true)", m.urn)
    bind_policies = _bind_policies(args)
    if len(bind_policies) != 1:
        report(f"expected one bind-account sign-on policy, found {len(bind_policies)}", None)
    groups = bind_groups(args)
    for policy in of_type(args, SIGNON_POLICY):
        included = list(policy.props.get("groupsIncluded") or [])
        if policy in bind_policies:
            if policy.props.get("priority") != BIND_POLICY_PRIORITY:
                report(
                    f"the bind-account policy must be priority {BIND_POLICY_PRIORITY}, or the "
                    "org's other policies decide for the bind accounts first",
                    policy.urn,
                )
            if len(included) != 1:
                report("the bind-account policy must include only the bind group", policy.urn)
            _check_bind_rules(_rules_of(args, policy), report)
        elif deps(policy, "groupsIncluded") & groups or policy.props.get("priority") == 1:
            report(
                f"sign-on policy {policy.name} must not include the bind group nor take priority "
                f"{BIND_POLICY_PRIORITY}: that is the bind-account policy's",
                policy.urn,
            )


def _check_bind_rules(rules: list[PolicyResource], report: ReportViolation) -> None:
    first = [r for r in rules if r.props.get("priority") == 1]
    ok = len(first) == 1 and (
        first[0].props.get("authtype") == "LDAP_INTERFACE"
        and first[0].props.get("access", "ALLOW") == "ALLOW"
        and first[0].props.get("mfaRequired") is False
    )
    if not ok:
        report(
            "the bind-account policy's rule 1 must allow LDAP Interface binds without MFA "
            "(authtype LDAP_INTERFACE, access ALLOW, mfaRequired false)",
            None,
        )
    for rule in rules:
        if rule not in first and rule.props.get("access", "ALLOW") != "DENY":
            report(
                f"sign-on rule {rule.name} of the bind-account policy must deny: the bind "
                "accounts need no other way in",
                rule.urn,
            )


def check_mfa_exemptions(args: StackValidationArgs, report: ReportViolation) -> None:
    """The MFA policy's rules require MFA; their exemptions are exactly the bind accounts."""
    users = urns(of_type(args, OKTA_USER))
    bind = set(urns(_bind_policies(args)))
    for policy in of_type(args, SIGNON_POLICY):
        if policy.urn in bind:
            continue
        rules = _rules_of(args, policy)
        if not any(r.props.get("mfaRequired") is True for r in rules):
            report(
                f"{policy.name}: no sign-on rule requires MFA: add the MFA rule "
                "(components.okta.mfa_policy)",
                policy.urn,
            )
        for rule in rules:
            _check_mfa_rule(rule, users, report)


def _check_mfa_rule(rule: PolicyResource, users: set[str], report: ReportViolation) -> None:
    if rule.props.get("authtype", "ANY") == "ANY" and rule.props.get("mfaRequired") is not True:
        report(f"sign-on rule {rule.name} must require MFA (mfaRequired: true)", rule.urn)
    exempt = deps(rule, "usersExcluded")
    if exempt != users or len(rule.props.get("usersExcluded") or []) != len(users):
        report(
            f"sign-on rule {rule.name} must exempt exactly this stack's LDAP bind accounts "
            f"({len(users)}), no one else: set usersExcluded to their user ids",
            rule.urn,
        )
    if rule.props.get("groupsExcluded"):
        report(f"sign-on rule {rule.name} must not exempt groups (groupsExcluded)", rule.urn)


def check_roles_once_per_account(args: StackValidationArgs, report: ReportViolation) -> None:
    """Each bind account has exactly one UserAdminRoles."""
    roles = [r for r in args.resources if r.resource_type == ADMIN_ROLES]
    for user in (r for r in args.resources if r.resource_type == OKTA_USER):
        holders = [r for r in roles if user.urn in urns(r.property_dependencies.get("userId", []))]
        if len(holders) != 1:
            report(
                f"bind account {user.name} has {len(holders)} UserAdminRoles; give it exactly one "
                "with ['READ_ONLY_ADMIN'] (roles set in two places flip-flop on every run)",
                user.urn,
            )


def _resource(
    name: str,
    check: Callable[..., None],
    level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> ResourceValidationPolicy:
    return ResourceValidationPolicy(
        name=name,
        description=(check.__doc__ or name).strip(),
        validate=check,
        enforcement_level=level,
    )


def _stack(name: str, check: Callable[..., None]) -> StackValidationPolicy:
    return StackValidationPolicy(
        name=name,
        description=(check.__doc__ or name).strip(),
        validate=check,
        enforcement_level=EnforcementLevel.MANDATORY,
    )


POLICIES = [
    _resource("pg-hba-ldap-rules-use-tls", check_pg_hba_rules),
    _resource("helm-values-with-bind-password-are-secret", check_secret_helm_values),
    _resource(
        "pg-hba-ldap-logins-end-when-okta-stalls",
        check_ldap_logins_bounded,
        EnforcementLevel.ADVISORY,
    ),
    _resource("bind-accounts-read-only-admin", check_read_only_admin),
    _resource("immuta-iam-uses-ldaps", check_immuta_iam_ssl),
    _stack("bind-account-policy-first-and-only-for-bind-accounts", check_bind_account_policy),
    _stack("mfa-rule-exempts-exactly-bind-accounts", check_mfa_exemptions),
    _stack("bind-account-roles-set-once", check_roles_once_per_account),
    _stack("bind-accounts-own-password-and-enrollment-policies", check_bind_account_policies),
]
