"""The plan's sign-on summary says plainly who the first `pulumi up` affects."""

from __future__ import annotations

from typing import Any

from offline_plan.render import to_text
from offline_plan.sign_on import sign_on_summary


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
    assert "outside those groups: no change" not in text  # nobody is outside Everyone
    assert "everybody else: the MFA policy above" in text


def test_without_the_deny_rule_the_default_rule_is_named(run_stack: Any) -> None:
    text = "\n".join(sign_on_summary(run_stack("prod", bindDenyOtherSignIns="false")))
    assert "any other sign-in: Okta's own Default Rule of this policy" in text


def test_the_summary_heads_the_text_plan(run_stack: Any) -> None:
    text = to_text(run_stack())
    assert text.index("Okta sign-on: who the first `pulumi up` affects") < text.index("Config")
