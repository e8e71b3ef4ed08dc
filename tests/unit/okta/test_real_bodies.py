"""Real and documented Okta answers (tests/support/okta_bodies.py) through the sign-on model and
the Management API client: each gets the decision Okta would make, or an "unknowable" that
names the one rule on the sign-in's path that makes it so."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from components.okta.api_connection import OktaConnection
from components.okta.management_api import OktaClient
from components.okta.signon_api import from_api
from components.okta.signon_model import Attempt, AuthType, Decision, decide
from tests.support import okta_bodies as bodies

BIND = "00uBindAccount0000001"
BIND_GROUP = "00gBindAccounts000001"
EVERYONE = bodies.REAL_EVERYONE
CUSTOM, DEFAULT = bodies.REAL_CUSTOM_POLICY, bodies.REAL_DEFAULT_POLICY

BIND_POLICY: dict[str, Any] = {
    "id": "00pBindAccounts000001",
    "type": "OKTA_SIGN_ON",
    "name": "Immuta LDAP bind accounts",
    "priority": 1,
    "status": "ACTIVE",
    "system": False,
    "conditions": {"people": {"groups": {"include": [BIND_GROUP]}}},
}
BIND_RULE: dict[str, Any] = {
    "id": "0prBindLdap000000001",
    "type": "SIGN_ON",
    "name": "LDAP Interface bind, no MFA",
    "priority": 1,
    "status": "ACTIVE",
    "system": False,
    "conditions": {
        "people": {"users": {"exclude": []}},
        "network": {"connection": "ANYWHERE"},
        "authContext": {"authType": "LDAP_INTERFACE"},
        "identityProvider": {"provider": "ANY"},
    },
    "actions": {
        "signon": {"access": "ALLOW", "requireFactor": False, "primaryFactor": "PASSWORD_IDP"}
    },
}
DEFAULT_RULE: dict[str, Any] = {
    "id": "0prDefaultRule000001",
    "type": "SIGN_ON",
    "name": "Default Rule",
    "priority": 2,
    "status": "ACTIVE",
    "system": True,
    "conditions": {"people": {"users": {"exclude": []}}, "network": {"connection": "ANYWHERE"}},
    "actions": {
        "signon": {"access": "ALLOW", "requireFactor": False, "primaryFactor": "PASSWORD_IDP"}
    },
}


def decision(
    rules: list[dict[str, Any]],
    *,
    authtype: AuthType = "LDAP_INTERFACE",
    groups: frozenset[str] = frozenset(),
    bind_policy: bool = False,
    default_rules: list[dict[str, Any]] | None = None,
) -> Decision | None:
    """The decision for BIND when the real custom policy holds `rules` (the real default policy
    last with its Default Rule), optionally behind the stack's bind policy."""
    policies = [CUSTOM, DEFAULT]
    by_policy = {CUSTOM["id"]: rules, DEFAULT["id"]: [*(default_rules or []), DEFAULT_RULE]}
    if bind_policy:
        policies.insert(0, BIND_POLICY)
        by_policy[BIND_POLICY["id"]] = [BIND_RULE]
    org = from_api(policies, by_policy, EVERYONE)
    return decide(org, Attempt(user_id=BIND, groups=groups | {EVERYONE}, authtype=authtype))


@pytest.mark.parametrize(
    "key",
    [
        "real_oie.no_primary_factor_sent",
        "real_oie.in_default_policy",
        "real_oie.risk_any",
        "spec.sign_on_policy_rule",
        "spec.rules_list_item",
    ],
)
def test_a_rule_okta_filled_with_any_factor_makes_an_ldap_bind_unknowable(key: str) -> None:
    d = decision([bodies.signon_rule(key)])
    assert d is not None
    assert d.rule.id == bodies.SIGNON_RULES[key]["id"]
    assert not d.uncertain  # every condition of these rules is neutral
    assert "PASSWORD_IDP_ANY_FACTOR" in d.unknowable
    assert bodies.SIGNON_RULES[key]["id"] in d.unknowable
    # Any other sign-in: documented, allowed without MFA.
    other = decision([bodies.signon_rule(key)], authtype="ANY")
    assert other is not None
    assert (other.allowed, other.mfa_required, other.unknowable) == (True, False, "")


def test_the_stack_rule_decides_cleanly_before_every_real_rule() -> None:
    every = [
        bodies.signon_rule(k, priority=n) for n, k in enumerate(sorted(bodies.SIGNON_RULES), 1)
    ]
    d = decision(every, groups=frozenset({BIND_GROUP}), bind_policy=True)
    assert d is not None
    assert d.rule.id == BIND_RULE["id"]
    assert (d.allowed, d.mfa_required, d.uncertain, d.unknowable) == (True, False, False, "")


def test_an_empty_group_condition_narrows_nothing() -> None:
    d = decision([bodies.signon_rule("spec.cloud_rule")])
    assert d is not None
    assert d.uncertain  # the network zone, and only it
    assert "network" in d.reason
    assert "people" not in d.reason
    assert d.mfa_required


def test_a_risk_level_is_unevaluable_and_the_next_rule_decides_otherwise() -> None:
    low = bodies.signon_rule("real_oie.risk_low")
    d = decision([low, bodies.signon_rule("spec.deny_rule", priority=3)])
    assert d is not None
    assert d.uncertain
    assert "riskScore" in d.reason
    assert "LOW" in d.reason
    assert d.otherwise is not None
    assert d.otherwise.rule.name == "Deny"
    assert not d.otherwise.allowed


def test_a_zone_rule_is_uncertain() -> None:
    d = decision([bodies.signon_rule("spec.skip_factor_challenge_on_prem_rule")])
    assert d is not None
    assert d.uncertain
    assert "ZONE" in d.reason


def test_a_deny_rule_denies() -> None:
    d = decision([bodies.signon_rule("spec.deny_rule")])
    assert d is not None
    assert (d.allowed, d.unknowable) == (False, "")


def test_a_radius_rule_does_not_hold_for_an_ldap_bind() -> None:
    d = decision([bodies.signon_rule("spec.radius_rule")])
    assert d is not None
    assert d.rule.id == DEFAULT_RULE["id"]
    radius = decision([bodies.signon_rule("spec.radius_rule")], authtype="RADIUS")
    assert radius is not None
    assert radius.mfa_required


def test_challenge_on_the_path_is_unknowable_and_named() -> None:
    d = decision([bodies.signon_rule("constructed.challenge")])
    assert d is not None
    assert "CHALLENGE" in d.unknowable
    assert '"Passwordless"' in d.unknowable


def test_challenge_off_the_path_changes_nothing() -> None:
    challenge = bodies.signon_rule("constructed.challenge")
    d = decision([challenge], groups=frozenset({BIND_GROUP}), bind_policy=True)
    assert d is not None
    assert (d.rule.id, d.unknowable) == (BIND_RULE["id"], "")
    # In the default policy, behind a rule that decides: also off the path.
    deny = bodies.signon_rule("spec.deny_rule", priority=1)
    d = decision([deny], default_rules=[challenge])
    assert d is not None
    assert (d.rule.name, d.unknowable) == ("Deny", "")


def test_a_null_priority_alone_decides_and_beside_another_rule_is_unknowable() -> None:
    alone = decision([bodies.signon_rule("spec.deny_rule", priority=None)])
    assert alone is not None
    assert (alone.rule.name, alone.unknowable) == ("Deny", "")
    both = decision(
        [bodies.signon_rule("spec.deny_rule", priority=None), dict(BIND_RULE, priority=1)]
    )
    assert both is not None
    assert "no priority (null)" in both.unknowable
    assert "rule8jjozjGMGbHyC1d7" in both.unknowable
    # Off the path (the account's own policy decides first): no crash, no doubt.
    far = decision(
        [bodies.signon_rule("spec.deny_rule", priority=None)],
        groups=frozenset({BIND_GROUP}),
        bind_policy=True,
    )
    assert far is not None
    assert (far.rule.id, far.unknowable) == (BIND_RULE["id"], "")


def test_the_spec_policy_list_with_placeholders_reads() -> None:
    rule = bodies.signon_rule("spec.rules_list_item")
    org = from_api([bodies.SPEC_SIGNON_POLICY], {"policyId": [rule]}, "everyone")
    d = decide(org, Attempt(user_id=BIND, groups=frozenset({"groupId"}), authtype="ANY"))
    assert d is not None
    assert d.rule.authtype == "ANY"  # no authContext: Okta's documented default


# --- the Management API client on real headers ----------------------------------------------


def client(handler: Any, **kw: Any) -> OktaClient:
    conn = OktaConnection(base_url="https://acme.okta.com", api_token="tok-canary-1", timeout=2)
    return OktaClient(conn, transport=httpx.MockTransport(handler), **kw)


def test_two_link_headers_are_followed() -> None:
    base = "https://acme.okta.com"
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if "after=" in str(request.url):
            return httpx.Response(200, json=bodies.GROUPS_Q_EVERYONE_2)
        links = [link.format(base=base) for link in bodies.PAGINATION_LINKS]
        headers = [("Link", link) for link in links]
        return httpx.Response(200, json=bodies.GROUPS_Q_EVERYONE, headers=headers)

    with client(handler) as api:
        groups = list(api._pages("/api/v1/logs", "logs", {"limit": "20"}))
    assert [g["id"] for g in groups] == [EVERYONE, bodies.REAL_EVERYONE_2]
    assert seen[1].endswith("after=1627500044869_1")


def test_a_429_whose_reset_is_past_backs_off_instead_of_hammering() -> None:
    answers = [429, 429, 200]
    waits: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        status = answers.pop(0)
        if status == 429:
            return httpx.Response(
                429, json=bodies.RATE_LIMITED_BODY, headers=bodies.RATE_LIMITED_HEADERS
            )
        return httpx.Response(200, json=bodies.GROUPS_Q_EVERYONE)

    with client(handler, sleep=waits.append) as api:
        assert api.everyone_group_id() == EVERYONE
    assert len(waits) == 2
    assert all(w >= 0.5 for w in waits), waits  # exponential backoff, not 0 s
    assert waits[1] > waits[0] - 0.5
