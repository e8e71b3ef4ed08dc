"""The policy pack, called directly: compliant and violating resources, and the real stacks."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)

from policy import bind_group_policies as bp
from policy import guardrails as g
from policy.guardrails import POLICIES
from rehearsal.mock_engine import PlanResult
from tests.support.stacks import unwrap_secrets

GOOD_RULE = (
    'hostssl immuta +okta_user 0.0.0.0/0 ldap ldapserver="acme.ldap.okta.com" ldapport="636" '
    'ldapscheme="ldaps" ldapbasedn="ou=users,dc=acme,dc=okta,dc=com" ldapsearchattribute="uid" '
    'ldapbinddn="uid=svc@acme.example,dc=acme,dc=okta,dc=com" ldapbindpasswd="pw"'
)


def options(secret_outputs: list[str] | None = None) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=secret_outputs or [],
    )


def violations(check: Callable[..., None], args: Any) -> list[str]:
    found: list[str] = []
    check(args, lambda message, urn=None: found.append(message))
    return found


def resource(type_: str, props: dict[str, Any], secret_outputs: list[str] | None = None) -> Any:
    return ResourceValidationArgs(
        type_, props, f"urn:pulumi:t::p::{type_}::x", "x", options(secret_outputs), None
    )


def stack_of(plan: PlanResult) -> list[PolicyResource]:
    """The stack's resources as the policy SDK hands them to a stack validation."""
    by_urn = {
        r.urn: PolicyResource(
            r.type,
            unwrap_secrets(r.inputs),
            r.urn,
            r.name,
            options(r.options.get("additionalSecretOutputs")),
            None,
            None,
            [],
            {},
        )
        for r in plan.resources
    }
    for r in plan.resources:
        by_urn[r.urn].property_dependencies = {
            k: [by_urn[u] for u in urns if u in by_urn]
            for k, urns in r.property_dependencies.items()
        }
    return list(by_urn.values())


def all_violations(resources: list[PolicyResource]) -> list[str]:
    found: list[str] = []
    for policy in POLICIES:
        for r in resources:
            if isinstance(policy, g.ResourceValidationPolicy):
                args = ResourceValidationArgs(r.resource_type, r.props, r.urn, r.name, r.opts, None)
                found += [f"{policy.name}: {v}" for v in violations(policy.validate, args)]
        if isinstance(policy, g.StackValidationPolicy):
            found += [
                f"{policy.name}: {v}"
                for v in violations(policy.validate, StackValidationArgs(resources))
            ]
    return found


@pytest.mark.parametrize(
    ("stack", "overrides"),
    [
        ("dev", {}),
        ("prod", {}),
        ("staging", {}),  # simpleBind: no Query Engine account
        ("dev", {"ldapInterfaceRule": "passwordOnly", "ldapTransport": "starttls"}),
        (
            "dev",
            {
                "bindAccountMode": "shared",
                "immutaBindLogin": "",
                "queryEngineBindLogin": "",
                "sharedBindLogin": "svc-ldap@acme.example",
            },
        ),
    ],
)
def test_the_stacks_as_declared_pass_every_policy(
    run_stack: Any, stack: str, overrides: dict[str, str]
) -> None:
    assert all_violations(stack_of(run_stack(stack, **overrides))) == []


def test_every_policy_is_mandatory_and_described() -> None:
    assert len(POLICIES) == 9
    advisory = {p.name for p in POLICIES if p.enforcement_level == g.EnforcementLevel.ADVISORY}
    assert advisory == {"pg-hba-ldap-logins-end-when-okta-stalls"}  # a warning, not a block
    assert all(p.description for p in POLICIES)


def test_an_ldaps_rule_gets_the_stall_warning_and_starttls_does_not() -> None:
    props = {"values": {"queryEngine": {"clientPgHBARules": [GOOD_RULE]}}}
    found = violations(g.check_ldap_logins_bounded, resource(g.HELM_RELEASE, props))
    assert len(found) == 1
    assert "never end" in found[0]
    starttls = GOOD_RULE.replace('ldapscheme="ldaps"', 'ldaptls="1"').replace("636", "389")
    props = {"values": {"queryEngine": {"clientPgHBARules": [starttls]}}}
    assert violations(g.check_ldap_logins_bounded, resource(g.HELM_RELEASE, props)) == []


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (GOOD_RULE.replace(" 0.0.0.0/0", ""), "has no address column"),
        ("hostssl immuta all 0.0.0.0/0 trust", "uses trust"),
        (GOOD_RULE.replace('ldapscheme="ldaps" ', ""), "LDAP without TLS"),
        (
            GOOD_RULE.replace('ldapscheme="ldaps"', 'ldapscheme="ldaps" ldaptls="1"'),
            "TLS already started",
        ),
        ('hostssl immuta all 0.0.0.0/0 ldap ldapbindpasswd="open', "does not parse"),
    ],
)
def test_bad_pg_hba_rule_is_a_violation_with_its_fix(rule: str, expected: str) -> None:
    values = {"queryEngine": {"clientPgHBARules": [GOOD_RULE, rule]}}
    found = violations(
        g.check_pg_hba_rules, resource(g.HELM_RELEASE, {"values": values}, ["values"])
    )
    assert len(found) == 1
    assert found[0].startswith("queryEngine.clientPgHBARules[1] ")
    assert expected in found[0]


def test_good_rules_and_starttls_pass() -> None:
    starttls = GOOD_RULE.replace('ldapport="636" ldapscheme="ldaps"', 'ldapport="389" ldaptls="1"')
    values = {"queryEngine": {"clientPgHBARules": [GOOD_RULE, starttls]}}
    assert (
        violations(g.check_pg_hba_rules, resource(g.HELM_RELEASE, {"values": values}, ["values"]))
        == []
    )


def test_helm_values_with_a_bind_password_must_be_secret() -> None:
    values = {"queryEngine": {"clientPgHBARules": [GOOD_RULE]}}
    found = violations(g.check_secret_helm_values, resource(g.HELM_RELEASE, {"values": values}))
    assert len(found) == 1
    assert "additional_secret_outputs=['values']" in found[0]
    assert (
        violations(
            g.check_secret_helm_values, resource(g.HELM_RELEASE, {"values": values}, ["values"])
        )
        == []
    )
    assert (
        violations(g.check_secret_helm_values, resource(g.HELM_RELEASE, {"values": {"x": 1}})) == []
    )


@pytest.mark.parametrize("roles", [["SUPER_ADMIN"], ["READ_ONLY_ADMIN", "ORG_ADMIN"], []])
def test_bind_accounts_hold_exactly_read_only_admin(roles: list[str]) -> None:
    assert violations(g.check_read_only_admin, resource(g.ADMIN_ROLES, {"adminRoles": roles}))
    assert (
        violations(
            g.check_read_only_admin, resource(g.ADMIN_ROLES, {"adminRoles": ["READ_ONLY_ADMIN"]})
        )
        == []
    )


@pytest.mark.parametrize("field", ["useSsl", "rejectUnauthorized"])
def test_immuta_iam_must_use_ldaps_with_certificate_checks(field: str) -> None:
    props = {"iamId": "okta", "useSsl": True, "rejectUnauthorized": True}
    assert violations(g.check_immuta_iam_ssl, resource(g.DYNAMIC, props)) == []
    found = violations(g.check_immuta_iam_ssl, resource(g.DYNAMIC, {**props, field: False}))
    assert len(found) == 1
    assert "rejectUnauthorized to true" in found[0]


def _stack_with(run_stack: Any, change: Callable[[list[PolicyResource]], None]) -> list[str]:
    resources = stack_of(run_stack())
    change(resources)
    found = []
    for check in (
        g.check_bind_account_policy,
        g.check_mfa_exemptions,
        g.check_roles_once_per_account,
        bp.check_bind_account_policies,
    ):
        found += violations(check, StackValidationArgs(resources))
    return found


def _rule(resources: list[PolicyResource], name: str = "mfa-rule") -> PolicyResource:
    return next(r for r in resources if r.resource_type == g.SIGNON_RULE and r.name == name)


def _named(resources: list[PolicyResource], name: str) -> PolicyResource:
    return next(r for r in resources if r.name == name)


def test_the_real_stack_has_a_bind_policy_and_passes(run_stack: Any) -> None:
    resources = stack_of(run_stack())
    assert any(r.resource_type == g.MEMBERSHIPS for r in resources)  # not vacuous
    assert _stack_with(run_stack, lambda _: None) == []


def test_bind_policy_not_first_is_a_violation(run_stack: Any) -> None:
    def demote(resources: list[PolicyResource]) -> None:
        _named(resources, "bind-sign-on-policy").props["priority"] = 3

    assert any("must be priority 1" in v for v in _stack_with(run_stack, demote))


def test_bind_policy_including_another_group_is_a_violation(run_stack: Any) -> None:
    def widen(resources: list[PolicyResource]) -> None:
        _named(resources, "bind-sign-on-policy").props["groupsIncluded"].append("00gEveryone")

    assert any("include only the bind group" in v for v in _stack_with(run_stack, widen))


def test_bind_group_with_a_stranger_is_a_violation(run_stack: Any) -> None:
    def add(resources: list[PolicyResource]) -> None:
        _named(resources, "bind-sign-on-members").props["users"].append("00uStranger")

    assert any("exactly this stack's 2" in v for v in _stack_with(run_stack, add))


def test_bind_rule_requiring_mfa_or_an_extra_allow_rule_is_a_violation(run_stack: Any) -> None:
    def break_rules(resources: list[PolicyResource]) -> None:
        _rule(resources, "bind-sign-on-ldap-bind").props["mfaRequired"] = True
        _rule(resources, "bind-sign-on-deny-other").props["access"] = "ALLOW"

    found = _stack_with(run_stack, break_rules)
    assert any("rule 1 must allow LDAP Interface binds without MFA" in v for v in found)
    assert any("must deny" in v for v in found)


def test_another_policy_at_priority_one_is_a_violation(run_stack: Any) -> None:
    def promote(resources: list[PolicyResource]) -> None:
        _named(resources, "mfa-policy").props["priority"] = 1

    assert any("bind-account policy's" in v for v in _stack_with(run_stack, promote))


def test_mfa_rule_missing_a_bind_account_is_a_violation(run_stack: Any) -> None:
    def drop_one(resources: list[PolicyResource]) -> None:
        rule = _rule(resources)
        rule.property_dependencies["usersExcluded"] = rule.property_dependencies["usersExcluded"][
            :1
        ]
        rule.props["usersExcluded"] = rule.props["usersExcluded"][:1]

    assert any(
        "exempt exactly this stack's LDAP bind accounts (2)" in v
        for v in _stack_with(run_stack, drop_one)
    )


def test_mfa_rule_exempting_someone_else_is_a_violation(run_stack: Any) -> None:
    def add_stranger(resources: list[PolicyResource]) -> None:
        _rule(resources).props["usersExcluded"].append("00uSomeoneElse")

    assert any("no one else" in v for v in _stack_with(run_stack, add_stranger))


def test_mfa_rule_that_does_not_require_mfa_is_a_violation(run_stack: Any) -> None:
    def relax(resources: list[PolicyResource]) -> None:
        _rule(resources).props["mfaRequired"] = False

    found = _stack_with(run_stack, relax)
    assert any("must require MFA" in v for v in found)
    assert any("no sign-on rule requires MFA" in v for v in found)


def test_exempting_groups_is_a_violation(run_stack: Any) -> None:
    def exempt_group(resources: list[PolicyResource]) -> None:
        _rule(resources).props["groupsExcluded"] = ["00gAdmins"]

    assert any("must not exempt groups" in v for v in _stack_with(run_stack, exempt_group))


def test_roles_granted_twice_or_never_are_violations(run_stack: Any) -> None:
    def duplicate(resources: list[PolicyResource]) -> None:
        roles = next(r for r in resources if r.resource_type == g.ADMIN_ROLES)
        resources.append(copy.copy(roles))
        resources.remove(
            next(r for r in resources if r.resource_type == g.ADMIN_ROLES and r is not roles)
        )

    found = _stack_with(run_stack, duplicate)
    assert any("has 2 UserAdminRoles" in v for v in found)
    assert any("has 0 UserAdminRoles" in v for v in found)


def test_the_real_stack_has_both_bind_group_policies(run_stack: Any) -> None:
    kinds = {r.resource_type for r in stack_of(run_stack())}
    assert {bp.PASSWORD_POLICY, bp.PASSWORD_RULE, bp.ENROLLMENT_POLICY, bp.ENROLLMENT_RULE} <= kinds


@pytest.mark.parametrize(
    ("name", "prop", "value", "expected"),
    [
        ("bind-passwords-policy", "priority", 2, "must be priority 1"),
        ("bind-passwords-policy", "passwordMaxAgeDays", 90, "passwordMaxAgeDays: 0"),
        ("bind-passwords-policy", "passwordMaxLockoutAttempts", 10, "passwordMaxLockoutAttempts"),
        ("bind-passwords-policy", "passwordHistoryCount", 4, "passwordHistoryCount: 0"),
        ("bind-enrollment-policy", "oktaVerify", {"enroll": "REQUIRED"}, "requires oktaVerify"),
        ("bind-enrollment-policy", "priority", 3, "must be priority 1"),
        ("bind-enrollment-rule", "status", "INACTIVE", "needs an ACTIVE rule"),
    ],
)
def test_a_bind_group_policy_out_of_shape_is_a_violation(
    run_stack: Any, name: str, prop: str, value: Any, expected: str
) -> None:
    def change(resources: list[PolicyResource]) -> None:
        _named(resources, name).props[prop] = value

    assert any(expected in v for v in _stack_with(run_stack, change))


def test_a_missing_bind_group_policy_is_a_violation(run_stack: Any) -> None:
    def drop(resources: list[PolicyResource]) -> None:
        resources.remove(_named(resources, "bind-enrollment-policy"))

    assert any("expected one MFA enrollment policy" in v for v in _stack_with(run_stack, drop))
