"""The real program under Pulumi mocks: what it declares in Okta, and what it never leaks."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from offline_plan.render import to_json, to_text
from rehearsal.mock_engine import PlanResult, Registration, is_secret_wrapper

USER = "okta:user/user:User"
ROLES = "okta:index/userAdminRoles:UserAdminRoles"
RULE = "okta:policy/ruleSignon:RuleSignon"
POLICY = "okta:policy/signon:Signon"
PASSWORD = "random:index/randomPassword:RandomPassword"
PLAINTEXT = "Adopted-Bind-Passw0rd!"


def mock_id(r: Registration) -> str:
    return f"<id of {r.name}>"  # the id the mock engine assigned at registration


def mfa_policy(plan: PlanResult) -> tuple[Registration, list[Registration]]:
    """The MFA policy and its rules (the bind-account policy has its own; see tests/unit/okta)."""
    (policy,) = [p for p in plan.of_type(POLICY) if p.name == "mfa-policy"]
    rules = [r for r in plan.of_type(RULE) if r.inputs["policyId"] == mock_id(policy)]
    return policy, rules


def test_dev_declares_two_bind_users_with_exactly_read_only_admin(run_stack: Any) -> None:
    plan = run_stack()
    users = plan.of_type(USER)
    roles = plan.of_type(ROLES)
    assert sorted(u.inputs["login"] for u in users) == [
        "svc-immuta-ldap-sync@acme.example",
        "svc-immuta-qe-ldap@acme.example",
    ]
    assert all(u.inputs["status"] == "ACTIVE" for u in users)
    assert len(roles) == len(users)
    assert sorted(r.inputs["userId"] for r in roles) == sorted(mock_id(u) for u in users)
    assert all(r.inputs["adminRoles"] == ["READ_ONLY_ADMIN"] for r in roles)
    # roles are managed in one place only: no other resource grants roles or groups
    granting = [r for r in plan.resources if "adminRoles" in r.inputs or "groupIds" in r.inputs]
    assert granting == roles


def test_mfa_rule_requires_mfa_and_exempts_exactly_the_bind_accounts(run_stack: Any) -> None:
    plan = run_stack(mfaPolicyGroups='["Everyone"]')
    users = plan.of_type(USER)
    policy, (rule,) = mfa_policy(plan)
    assert rule.inputs["mfaRequired"] is True
    assert rule.inputs["authtype"] == "ANY"
    assert rule.inputs["policyId"] == mock_id(policy)
    assert sorted(rule.inputs["usersExcluded"]) == sorted(mock_id(u) for u in users)
    assert not {"groupsExcluded", "groupsIncluded"} & set(rule.inputs)
    assert policy.inputs["status"] == "ACTIVE"
    assert policy.inputs["groupsIncluded"] == ["<id of the org's Everyone group>"]
    assert [t for t, _ in plan.invokes] == ["okta:group/getEveryoneGroup:getEveryoneGroup"]


@pytest.mark.parametrize(
    ("mode", "ldap_mfa", "prompt"),
    [("requireMfa", True, "ALWAYS"), ("passwordOnly", False, None)],
)
def test_ldap_interface_rule_option_keeps_priorities_contiguous(
    run_stack: Any, mode: str, ldap_mfa: bool, prompt: str | None
) -> None:
    plan = run_stack(ldapInterfaceRule=mode, mfaPrompt="ALWAYS")
    rules = sorted(mfa_policy(plan)[1], key=lambda r: r.inputs["priority"])
    assert [r.inputs["priority"] for r in rules] == [1, 2]
    ldap_rule, any_rule = rules
    assert ldap_rule.inputs["authtype"] == "LDAP_INTERFACE"
    assert ldap_rule.inputs["mfaRequired"] is ldap_mfa
    assert ldap_rule.inputs.get("mfaPrompt") == prompt
    assert any_rule.inputs["mfaRequired"] is True
    exempt = sorted(mock_id(u) for u in plan.of_type(USER))
    assert all(sorted(r.inputs["usersExcluded"]) == exempt for r in rules)


def test_explicit_groups_replace_the_everyone_lookup(run_stack: Any) -> None:
    plan = run_stack(mfaPolicyGroups='["00gAAAAAAAAAAAAAAAAA","00gBBBBBBBBBBBBBBBBB"]')
    policy, _ = mfa_policy(plan)
    assert policy.inputs["groupsIncluded"] == ["00gAAAAAAAAAAAAAAAAA", "00gBBBBBBBBBBBBBBBBB"]
    assert policy.inputs["priority"] == 2  # right after the bind-account policy
    assert plan.invokes == []


def test_generated_passwords_are_secret_inputs(run_stack: Any) -> None:
    plan = run_stack()
    users = plan.of_type(USER)
    generators = plan.of_type(PASSWORD)
    assert len(generators) == len(users) == 2
    assert all(is_secret_wrapper(u.inputs["password"]) for u in users)
    assert all("password" in u.options["additionalSecretOutputs"] for u in users)
    assert all("result" in g.options["additionalSecretOutputs"] for g in generators)
    assert all(g.inputs["length"] >= 32 for g in generators)


def test_configured_password_is_secret_everywhere(run_stack: Any) -> None:
    plan = run_stack(secret_keys={"queryEngineBindPassword": PLAINTEXT})
    qe = next(u for u in plan.of_type(USER) if "qe" in u.inputs["login"])
    assert is_secret_wrapper(qe.inputs["password"])
    assert qe.inputs["password"]["value"] == PLAINTEXT  # the real value reaches Okta...
    assert len(plan.of_type(PASSWORD)) == 1  # ...and only the other account is generated
    for rendered in (to_text(plan), to_json(plan)):
        assert PLAINTEXT not in rendered  # ...but never a rendered plan
    secret_outputs = {k for k, v in plan.outputs.items() if is_secret_wrapper(v)}
    assert secret_outputs == {"pgHbaRules", "bindPasswords"}  # the outputs carrying it
    assert PLAINTEXT not in repr({k: v for k, v in plan.outputs.items() if k not in secret_outputs})


def test_shared_mode_exempts_its_single_account(run_stack: Any) -> None:
    plan = run_stack(
        bindAccountMode="shared",
        immutaBindLogin="",
        queryEngineBindLogin="",
        sharedBindLogin="svc-ldap@acme.example",
    )
    (user,) = plan.of_type(USER)
    _, (rule,) = mfa_policy(plan)
    assert rule.inputs["usersExcluded"] == [mock_id(user)]
    dn = "uid=svc-ldap@acme.example,dc=acme-dev,dc=oktapreview,dc=com"
    assert plan.outputs["bindDns"] == {"immuta": dn, "queryEngine": dn}


def test_outputs_carry_the_ldap_facts(run_stack: Any) -> None:
    plan = run_stack(ldapTransport="starttls")
    out = plan.outputs
    assert (out["ldapHost"], out["ldapPort"], out["ldapTransport"]) == (
        "acme-dev.ldap.oktapreview.com",
        389,
        "starttls",
    )
    assert out["ldapUserBaseDn"] == "ou=users,dc=acme-dev,dc=oktapreview,dc=com"
    users = {u.inputs["login"]: mock_id(u) for u in plan.of_type(USER)}
    assert out["bindAccountIds"] == {
        "immuta": users["svc-immuta-ldap-sync@acme.example"],
        "queryEngine": users["svc-immuta-qe-ldap@acme.example"],
    }


def test_bad_config_is_a_clean_error_without_secrets(run_stack: Any) -> None:
    with pytest.raises(pulumi.RunError, match="okta-ldap-immuta:ldapPort") as info:
        run_stack(ldapPort="99999", secret_keys={"immutaBindPassword": "bad\npassword-x"})
    assert "bad\npassword" not in str(info.value)
    assert "okta-ldap-immuta:immutaBindPassword = [secret]" in str(info.value)


def test_bad_config_registers_nothing(run_stack: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import rehearsal.mock_engine as engine

    seen: list[Registration] = []
    original = engine._RecordingMonitor.__init__

    def spy(self: Any, mocks_: Any, resources: list[Registration]) -> None:
        original(self, mocks_, seen)

    monkeypatch.setattr(engine._RecordingMonitor, "__init__", spy)
    with pytest.raises(Exception, match="invalid stack configuration"):
        run_stack(okta__orgName="")
    assert seen == []
    run_stack()  # the same spy does see registrations when the config is good
    assert len(seen) > 0
