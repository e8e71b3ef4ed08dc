"""The plan's sign-on summary says plainly who the first `pulumi up` affects, in the text
and as data in the JSON."""

from __future__ import annotations

import json
from typing import Any

from offline_plan.render import to_json, to_text
from offline_plan.sign_on import sign_on_facts, sign_on_summary
from rehearsal.mock_engine import PlanResult
from rehearsal.stack_config import StackConfig


def test_prod_changes_sign_on_for_the_bind_accounts_only(run_stack: Any) -> None:
    text = "\n".join(sign_on_summary(run_stack("prod")))
    assert "policy 'Immuta LDAP bind accounts' at priority 1, for only the group" in text
    assert "LDAP Interface binds: password alone, no MFA" in text
    assert "any sign-in: denied" in text
    assert "everybody else: no change (this stack creates no MFA policy)" in text
    assert "require MFA" not in text
    assert "moves each down by 1" in text


def test_an_everyone_mfa_policy_is_shouted(run_stack: Any) -> None:
    text = "\n".join(sign_on_summary(run_stack(mfaPolicyGroups='["Everyone"]')))
    assert "at priority 2, for Everyone: EVERY USER OF THE ORG" in text
    assert "MFA required" in text
    assert "the 2 bind account(s) exempt" in text
    assert "moves each down by 2" in text
    assert "no change outside those groups" not in text  # nobody is outside Everyone
    assert "everybody else: the MFA policy above" in text


def test_without_the_deny_rule_the_default_rule_is_named(run_stack: Any) -> None:
    text = "\n".join(sign_on_summary(run_stack("prod", bindDenyOtherSignIns="false")))
    assert "any other sign-in: Okta's own Default Rule of this policy" in text


def test_the_summary_heads_the_text_plan(run_stack: Any) -> None:
    text = to_text(run_stack())
    assert text.index("Okta sign-on: who the first `pulumi up` affects") < text.index("Config")


def test_plan_json_carries_the_summary_as_data(run_stack: Any) -> None:
    facts = json.loads(to_json(run_stack("prod")))["signOn"]
    assert facts["bindAccounts"] == [
        "svc-immuta-ldap-sync@acme.example",
        "svc-immuta-qe-ldap@acme.example",
    ]
    (policy,) = facts["signOnPolicies"]
    assert policy["name"] == "Immuta LDAP bind accounts"
    assert (policy["priority"], policy["placement"]) == (1, "priority 1")
    assert policy["groups"] == {"bindGroups": ["Immuta LDAP bind accounts"]}
    assert [(r["priority"], r["signIn"], r["decision"]) for r in policy["rules"]] == [
        (1, "LDAP_INTERFACE", "password"),
        (2, "ANY", "deny"),
    ]
    assert policy["otherSignIns"] is None  # the deny rule decides them
    assert facts["everyUserAffected"] is False
    assert facts["everybodyElse"] == "no change (this stack creates no MFA policy)"
    assert facts["orgSignOnPoliciesMoveDownBy"] == 1
    (passwords,) = facts["passwordPolicies"]
    assert (passwords["maxAgeDays"], passwords["maxLockoutAttempts"]) == (0, 0)
    assert passwords["selfServiceRecovery"] == []
    (enrollment,) = facts["enrollmentPolicies"]
    assert enrollment["requiredFactors"] == ["oktaPassword"]


def test_plan_json_shouts_an_everyone_policy_too(run_stack: Any) -> None:
    plan = run_stack(mfaPolicyGroups='["Everyone"]', bindDenyOtherSignIns="false")
    facts = json.loads(to_json(plan))["signOn"]
    bind, mfa = facts["signOnPolicies"]
    assert bind["otherSignIns"] == "Okta's own Default Rule of this policy (not managed here)"
    assert mfa["groups"] == {"everyone": True}
    (rule,) = mfa["rules"]
    assert (rule["decision"], rule["mfaPrompt"]) == ("mfa", "SESSION")
    assert (rule["exemptBindAccounts"], rule["exemptExactlyTheBindAccounts"]) == (2, True)
    assert facts["everyUserAffected"] is True
    assert facts["orgSignOnPoliciesMoveDownBy"] == 2


def test_text_and_json_say_the_same_facts(run_stack: Any) -> None:
    plan = run_stack("dev")
    facts = sign_on_facts(plan)
    assert facts == json.loads(to_json(plan))["signOn"]
    text = "\n".join(sign_on_summary(plan))
    for policy in facts["signOnPolicies"] if facts else []:
        assert f"policy {policy['name']!r} at {policy['placement']}" in text
        for rule in policy["rules"]:
            assert f"{rule['priority']}. {rule['name']!r}: " in text


def test_no_sign_on_policy_no_summary() -> None:
    stack = StackConfig("okta-ldap-immuta", "dev", {}, ())
    plan = PlanResult(stack=stack, resources=[], outputs={}, invokes=[])
    assert sign_on_facts(plan) is None
    assert sign_on_summary(plan) == []
    assert json.loads(to_json(plan))["signOn"] is None
