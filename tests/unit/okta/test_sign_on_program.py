"""The program's sign-on policies inserted into generated orgs, as Okta would evaluate them.

For every generated org (0-6 existing policies at random priorities, MFA or not, with and
without Okta's Default Rules, random group memberships) and each planned configuration:
- every bind account's LDAP Interface bind is decided by the bind-account rule, without MFA,
  and none of its sign-ins ever reaches another policy of the org;
- with no MFA policy, every other user's deciding rule is exactly what it was before;
- with an MFA policy, the named groups get MFA and everybody else is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.okta.signon_model import AUTH_TYPES, Attempt, Decision, decide, insert_policies
from rehearsal.okta_plan import PlannedSignOn, planned_sign_on
from tests.support.okta_orgs import EVERYONE, GROUPS, USERS, GeneratedOrg, orgs
from tests.support.stacks import run_stack

NAMED = GROUPS[:2]
CONFIGS: dict[str, dict[str, str]] = {
    "no MFA policy (prod's default)": {"mfaPolicyGroups": "[]"},
    "no MFA policy, no deny rule": {"mfaPolicyGroups": "[]", "bindDenyOtherSignIns": "false"},
    "MFA for two groups": {"mfaPolicyGroups": f'["{NAMED[0]}", "{NAMED[1]}"]'},
    "MFA for two groups, LDAP rule password only": {
        "mfaPolicyGroups": f'["{NAMED[0]}", "{NAMED[1]}"]',
        "ldapInterfaceRule": "passwordOnly",
    },
    "MFA for Everyone, LDAP rule requires MFA": {
        "mfaPolicyGroups": '["Everyone"]',
        "ldapInterfaceRule": "requireMfa",
    },
    "classic engine, shared account": {
        "oktaEngine": "classic",
        "bindAccountMode": "shared",
        "immutaBindLogin": "",
        "queryEngineBindLogin": "",
        "sharedBindLogin": "svc-ldap@acme.example",
    },
}


@pytest.fixture(scope="module")
def planned() -> Iterator[dict[str, tuple[dict[str, str], PlannedSignOn]]]:
    return {
        name: (cfg, planned_sign_on(run_stack("dev", **cfg), everyone_group_id=EVERYONE))
        for name, cfg in CONFIGS.items()
    }


def _key(d: Decision | None) -> tuple[str, str] | None:
    return d.key if d else None


@settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    generated=orgs(),
    config=st.sampled_from(sorted(CONFIGS)),
    bind_extra_groups=st.frozensets(st.sampled_from(GROUPS)),
)
def test_planned_policies_decide_for_bind_accounts_and_change_only_named_groups(
    planned: dict[str, tuple[dict[str, str], PlannedSignOn]],
    generated: GeneratedOrg,
    config: str,
    bind_extra_groups: frozenset[str],
) -> None:
    cfg, stack = planned[config]
    before = generated.org
    after = insert_policies(before, stack.policies)
    # The bind accounts may also sit in the org's own groups (group rules, earlier setups).
    bind_groups = {stack.bind_group_id, EVERYONE, *bind_extra_groups}
    for user in stack.bind_user_ids:
        for authtype in AUTH_TYPES:
            d = decide(
                after, Attempt(user_id=user, groups=frozenset(bind_groups), authtype=authtype)
            )
            assert d is not None
            assert not d.uncertain
            assert d.policy.id == stack.bind_policy_id  # never another policy of the org
            if authtype == "LDAP_INTERFACE":
                assert d.rule.id == stack.bind_rule_id
                assert d.allowed
                assert not d.mfa_required
            elif cfg.get("bindDenyOtherSignIns") != "false":
                assert not d.allowed  # a leaked bind password opens no Okta session
    named = set(GROUPS) if "Everyone" in cfg.get("mfaPolicyGroups", "") else set()
    named |= {g for g in NAMED if g in cfg.get("mfaPolicyGroups", "")}
    for user in USERS:
        groups = generated.groups_of(user)
        for authtype in AUTH_TYPES:
            attempt = Attempt(user_id=user, groups=groups, authtype=authtype)
            old, new = decide(before, attempt), decide(after, attempt)
            everyone = "Everyone" in cfg.get("mfaPolicyGroups", "")
            if stack.mfa_policy_id is None or not (everyone or groups & named):
                assert _key(new) == _key(old)  # exactly as before the stack
                continue
            assert new is not None
            assert new.policy.id == stack.mfa_policy_id
            password_only = cfg.get("ldapInterfaceRule") == "passwordOnly"
            if authtype == "LDAP_INTERFACE" and password_only:
                assert new.allowed
                assert not new.mfa_required
            elif authtype != "RADIUS" or new.rule.authtype == "ANY":
                assert new.mfa_required


def test_every_planned_configuration_has_the_bind_policy_first(
    planned: dict[str, tuple[dict[str, str], PlannedSignOn]],
) -> None:
    for _, stack in planned.values():
        bind = next(p for p in stack.policies if p.id == stack.bind_policy_id)
        assert bind.priority == 1
        assert bind.groups_included == {stack.bind_group_id}
        others = [p.priority for p in stack.policies if p.id != stack.bind_policy_id]
        assert others in ([], [2])  # contiguous: the MFA policy, when asked for, right after
