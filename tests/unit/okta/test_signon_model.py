"""The OKTA_SIGN_ON evaluation model: each documented behaviour, then a property over orgs."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.okta.account_policies import AccountPolicy, applicable, insert_first, ordered
from components.okta.signon_api import from_api
from components.okta.signon_model import (
    AUTH_TYPES,
    DEFAULT_RULE_NAME,
    Attempt,
    AuthType,
    Org,
    Policy,
    Rule,
    decide,
    insert_policies,
)
from tests.support.okta_orgs import (
    EVERYONE,
    GROUPS,
    USERS,
    GeneratedOrg,
    org_to_api,
    orgs,
    user_sets,
)

ALICE, BIND = "00uAlice", "00uBind"
ADMINS, BINDERS = "00gAdmins", "00gBinders"


def rule(rid: str, priority: int = 1, **kw: object) -> Rule:
    kw.setdefault("name", rid)
    return Rule(id=rid, priority=priority, **kw)  # type: ignore[arg-type]


def policy(pid: str, priority: int, *rules: Rule, **kw: object) -> Policy:
    kw.setdefault("groups_included", frozenset({EVERYONE}))
    return Policy(id=pid, name=pid, priority=priority, rules=rules, **kw)  # type: ignore[arg-type]


def default_policy(priority: int, *, mfa: bool = False) -> Policy:
    return policy(
        "00pDefault",
        priority,
        rule("0prDefault", name=DEFAULT_RULE_NAME, mfa_required=mfa, system=True),
        system=True,
    )


def org(*policies: Policy) -> Org:
    return Org(policies=policies, everyone_group_id=EVERYONE)


def attempt(user: str = ALICE, *groups: str, authtype: AuthType = "LDAP_INTERFACE") -> Attempt:
    return Attempt(user_id=user, groups=frozenset(groups), authtype=authtype)


def key(o: Org, a: Attempt) -> tuple[str, str] | None:
    d = decide(o, a)
    return None if d is None else d.key


# --- documented behaviours, one by one ------------------------------------------------------


def test_policies_are_considered_in_priority_order() -> None:
    o = org(policy("00pB", 2, rule("0prB")), policy("00pA", 1, rule("0prA")), default_policy(3))
    assert key(o, attempt()) == ("00pA", "0prA")


def test_inactive_policy_is_skipped() -> None:
    o = org(policy("00pA", 1, rule("0prA"), status="INACTIVE"), default_policy(2))
    assert key(o, attempt()) == ("00pDefault", "0prDefault")


def test_inactive_rule_is_skipped() -> None:
    o = org(policy("00pA", 1, rule("0prA1", 1, status="INACTIVE"), rule("0prA2", 2)))
    assert key(o, attempt()) == ("00pA", "0prA2")


def test_policy_whose_groups_do_not_include_the_user_is_skipped() -> None:
    o = org(
        policy("00pA", 1, rule("0prA", mfa_required=True), groups_included=frozenset({ADMINS})),
        default_policy(2),
    )
    assert key(o, attempt(ALICE)) == ("00pDefault", "0prDefault")
    decision = decide(o, attempt(ALICE, ADMINS))
    assert decision is not None
    assert decision.key == ("00pA", "0prA")
    assert decision.mfa_required


def test_everyone_includes_a_user_whose_groups_do_not_list_it() -> None:
    o = org(policy("00pA", 1, rule("0prA")))
    assert key(o, attempt(ALICE)) == ("00pA", "0prA")


def test_first_rule_whose_conditions_all_hold_decides() -> None:
    # Listed out of order on purpose: rule priority, not tuple order, decides.
    o = org(
        policy(
            "00pA",
            1,
            rule("0prLate", 3, mfa_required=True),
            rule("0prExcl", 1, users_excluded=frozenset({ALICE})),
            rule("0prFirst", 2, access="DENY"),
        )
    )
    decision = decide(o, attempt(ALICE))
    assert decision is not None
    assert decision.key == ("00pA", "0prFirst")
    assert not decision.allowed
    assert not decision.mfa_required


def test_user_excluded_from_every_rule_falls_through_to_next_policy() -> None:
    excluded = frozenset({BIND})
    mfa = policy(
        "00pMfa",
        1,
        rule("0prLdap", 1, authtype="LDAP_INTERFACE", mfa_required=True, users_excluded=excluded),
        rule("0prAny", 2, mfa_required=True, users_excluded=excluded),
    )
    o = org(mfa, default_policy(2, mfa=True))
    assert key(o, attempt(BIND)) == ("00pDefault", "0prDefault")
    assert key(o, attempt(ALICE)) == ("00pMfa", "0prLdap")
    d = decide(o, attempt(BIND))
    assert d is not None
    assert d.mfa_required


def test_excluded_user_lands_on_the_default_rule_okta_added_to_the_policy() -> None:
    """Reference 9: the auto-added Default Rule catches users excluded from every stack rule."""
    excluded = frozenset({BIND})
    planned = policy(
        "00pMfa",
        1,
        rule("0prLdap", 1, authtype="LDAP_INTERFACE", mfa_required=True, users_excluded=excluded),
        rule("0prAny", 2, mfa_required=True, users_excluded=excluded),
    )
    after = insert_policies(org(default_policy(1, mfa=True)), [planned])
    decision = decide(after, attempt(BIND))
    assert decision is not None
    assert decision.policy.id == "00pMfa"
    assert decision.rule.name == DEFAULT_RULE_NAME
    assert not decision.mfa_required  # (Default Rule settings inferred: no MFA)


def test_default_policy_is_last_whatever_its_number() -> None:
    o = org(default_policy(1), policy("00pA", 5, rule("0prA")))
    assert key(o, attempt()) == ("00pA", "0prA")


@pytest.mark.parametrize(
    ("rule_type", "way_in", "matches"),
    [
        ("ANY", "LDAP_INTERFACE", True),
        ("ANY", "RADIUS", True),
        ("ANY", "ANY", True),
        ("LDAP_INTERFACE", "LDAP_INTERFACE", True),
        ("LDAP_INTERFACE", "ANY", False),
        ("LDAP_INTERFACE", "RADIUS", False),
        ("RADIUS", "RADIUS", True),
        ("RADIUS", "LDAP_INTERFACE", False),
        ("RADIUS", "ANY", False),
    ],
)
def test_authtype_matching(rule_type: AuthType, way_in: AuthType, matches: bool) -> None:
    o = org(policy("00pA", 1, rule("0prA", authtype=rule_type)), default_policy(2))
    expected = ("00pA", "0prA") if matches else ("00pDefault", "0prDefault")
    assert key(o, attempt(authtype=way_in)) == expected


def test_policy_with_no_rules_or_only_inactive_rules_never_applies() -> None:
    o = org(
        policy("00pEmpty", 1),
        policy("00pDead", 2, rule("0prDead", status="INACTIVE")),
        default_policy(3),
    )
    assert key(o, attempt()) == ("00pDefault", "0prDefault")


def test_no_policy_decides_means_none() -> None:
    o = org(policy("00pA", 1, rule("0prA", users_excluded=frozenset({ALICE}))))
    assert decide(o, attempt(ALICE)) is None


# --- insert_policies: as Okta renumbers ---------------------------------------------------


def priorities(o: Org) -> list[tuple[str, int]]:
    return sorted(((p.id, p.priority) for p in o.policies), key=lambda t: t[1])


def test_insert_shifts_existing_policies_down_and_keeps_priorities_contiguous() -> None:
    before = org(
        policy("00pA", 1, rule("0prA")),
        policy("00pB", 2, rule("0prB")),
        policy("00pC", 3, rule("0prC")),
        default_policy(4),
    )
    after = insert_policies(
        before, [policy("00pX", 2, rule("0prX")), policy("00pY", 9, rule("0prY"))]
    )
    assert priorities(after) == [
        ("00pA", 1),
        ("00pX", 2),
        ("00pB", 3),
        ("00pC", 4),
        ("00pY", 5),  # past the end: just above the default policy
        ("00pDefault", 6),
    ]


def test_insert_at_one_and_three_gives_each_its_priority() -> None:
    before = org(policy("00pA", 1, rule("0prA")), policy("00pB", 2, rule("0prB")))
    after = insert_policies(
        before, [policy("00pY", 3, rule("0prY")), policy("00pX", 1, rule("0prX"))]
    )
    assert priorities(after) == [("00pX", 1), ("00pA", 2), ("00pY", 3), ("00pB", 4)]


def test_insert_adds_okta_default_rule_last_unless_told_not_to() -> None:
    planned = policy("00pX", 1, rule("0prX", 1), rule("0prX2", 2))
    added = insert_policies(org(default_policy(1)), [planned]).policy("00pX")
    assert [(r.name, r.priority) for r in added.rules][-1] == (DEFAULT_RULE_NAME, 3)
    bare = insert_policies(org(default_policy(1)), [planned], okta_adds_default_rule=False)
    assert bare.policy("00pX").rules == planned.rules


def test_insert_replaces_a_policy_of_the_same_name_keeping_id_and_default_rule() -> None:
    okta_rule = rule("0prOktaDefault", 2, name=DEFAULT_RULE_NAME)
    before = org(
        policy("00pA", 1, rule("0prA")),
        Policy(
            id="00pOld",
            name="mfa",
            priority=2,
            groups_included=frozenset({EVERYONE}),
            rules=(rule("0prOld", 1), okta_rule),
        ),
        default_policy(3),
    )
    new = Policy(
        id="planned",
        name="mfa",
        priority=1,
        groups_included=frozenset({EVERYONE}),
        rules=(rule("0prNew1", 1), rule("0prNew2", 2)),
    )
    after = insert_policies(before, [new])
    assert priorities(after) == [("00pOld", 1), ("00pA", 2), ("00pDefault", 3)]
    moved = after.policy("mfa")
    assert [r.id for r in moved.rules] == ["0prNew1", "0prNew2", "0prOktaDefault"]
    assert moved.rules[-1].priority == 3


@pytest.mark.parametrize(
    "planned",
    [
        [policy("00pX", 1, rule("r")), policy("00pY", 1, rule("r"))],
        [policy("00pX", -1, rule("r"))],
        [policy("00pX", 1, rule("r"), system=True)],
    ],
)
def test_insert_refuses_what_okta_would(planned: list[Policy]) -> None:
    with pytest.raises(ValueError, match=r"priorit|system"):
        insert_policies(org(default_policy(1)), planned)


# --- from_api and conditions the model cannot evaluate -----------------------------------


def api_rule(rid: str, priority: int, **conditions: object) -> dict[str, object]:
    return {
        "id": rid,
        "name": rid,
        "priority": priority,
        "status": "ACTIVE",
        "system": False,
        "conditions": {"people": {"users": {"exclude": []}}, **conditions},
        "actions": {"signon": {"access": "ALLOW", "requireFactor": False}},
    }


API_POLICY = {
    "id": "00pA",
    "type": "OKTA_SIGN_ON",
    "name": "A",
    "priority": 1,
    "status": "ACTIVE",
    "system": False,
    "conditions": {"people": {"groups": {"include": [EVERYONE]}}},
}


def test_from_api_reads_the_fields_and_defaults_authtype_to_any() -> None:
    r = api_rule("0prA", 1, network={"connection": "ANYWHERE"}, riskScore={"level": "ANY"})
    r["actions"] = {"signon": {"access": "DENY", "requireFactor": True}}
    r["conditions"]["people"]["users"]["exclude"] = [ALICE]  # type: ignore[index]
    o = from_api([API_POLICY], {"00pA": [r]}, EVERYONE)
    (got,) = o.policies[0].rules
    assert (got.access, got.mfa_required, got.authtype) == ("DENY", True, "ANY")
    assert got.users_excluded == {ALICE}
    assert got.unevaluable == ()


def test_network_zone_is_reported_not_assumed() -> None:
    zoned = api_rule("0prZone", 1, network={"connection": "ZONE", "include": ["nzo1"]})
    zoned["actions"] = {"signon": {"access": "DENY"}}
    o = from_api([API_POLICY], {"00pA": [zoned, api_rule("0prAll", 2)]}, EVERYONE)
    d = decide(o, attempt())
    assert d is not None
    assert d.uncertain
    assert "network" in d.reason
    assert "ZONE" in d.reason
    assert d.key == ("00pA", "0prZone")
    assert d.otherwise is not None
    assert d.otherwise.key == ("00pA", "0prAll")
    assert [None if x is None else x.key for x in d.outcomes()] == [
        ("00pA", "0prZone"),
        ("00pA", "0prAll"),
    ]


@pytest.mark.parametrize(
    "conditions",
    [
        {"identityProvider": {"provider": "SPECIFIC_IDP", "idpIds": ["0oa1"]}},
        {"risk": {"behaviors": ["New City"]}},
        {"riskScore": {"level": "HIGH"}},
        {"authContext": {"authType": "SOMETHING_NEW"}},
        {"people": {"users": {"include": [ALICE]}}},
    ],
)
def test_other_unsupported_conditions_make_the_decision_uncertain(
    conditions: dict[str, object],
) -> None:
    o = from_api([API_POLICY], {"00pA": [api_rule("0prX", 1, **conditions)]}, EVERYONE)
    d = decide(o, attempt())
    assert d is not None
    assert d.uncertain
    assert d.otherwise is None
    assert d.outcomes()[-1] is None  # if the condition fails, nothing decides: denied


def test_policy_without_group_condition_is_uncertain() -> None:
    bare = {**API_POLICY, "conditions": {}}
    d = decide(from_api([bare], {"00pA": [api_rule("0prA", 1)]}, EVERYONE), attempt())
    assert d is not None
    assert d.uncertain
    assert "groups.include" in d.reason


def test_from_api_refuses_unknown_access_and_missing_rules() -> None:
    odd = api_rule("0prC", 1)
    odd["actions"] = {"signon": {"access": "MAYBE"}}
    with pytest.raises(ValueError, match="MAYBE"):
        from_api([API_POLICY], {"00pA": [odd]}, EVERYONE)
    with pytest.raises(ValueError, match="rules of policy 00pA"):
        from_api([API_POLICY], {}, EVERYONE)


# --- property over generated orgs ---------------------------------------------------------

BIND_POLICY_ID, BIND_RULE_ID = "00pBindAccounts", "0prBindLdapNoMfa"


def attempts(memberships: dict[str, frozenset[str]]) -> list[Attempt]:
    return [
        Attempt(user_id=u, groups=memberships[u] | {EVERYONE}, authtype=t)
        for u in USERS
        for t in AUTH_TYPES
    ]


@settings(max_examples=500, deadline=None)
@given(
    gen=orgs(),
    bind_group=st.sampled_from(GROUPS),
    members=user_sets,
    okta_adds_default_rule=st.booleans(),
)
def test_priority_one_bind_policy_changes_only_bind_members_ldap_logins(
    gen: GeneratedOrg, bind_group: str, members: frozenset[str], okta_adds_default_rule: bool
) -> None:
    memberships = {
        u: (g | {bind_group}) if u in members else (g - {bind_group})
        for u, g in gen.memberships.items()
    }
    bind_rule = Rule(
        id=BIND_RULE_ID,
        name="LDAP bind: no MFA",
        priority=1,
        access="ALLOW",
        authtype="LDAP_INTERFACE",
        mfa_required=False,
    )
    planned = Policy(
        id=BIND_POLICY_ID,
        name="LDAP bind accounts",
        priority=1,
        groups_included=frozenset({bind_group}),
        rules=(bind_rule,),
    )
    before = gen.org
    after = insert_policies(before, [planned], okta_adds_default_rule=okta_adds_default_rule)

    # Okta's numbering: contiguous, new policy first, old order kept, default policy last.
    ordered = sorted(after.policies, key=lambda p: p.priority)
    assert [p.priority for p in ordered] == list(range(1, len(before.policies) + 2))
    assert ordered[0].id == BIND_POLICY_ID
    assert ordered[-1].system
    old_order = [p.id for p in sorted(before.policies, key=lambda p: p.priority)]
    assert [p.id for p in ordered[1:]] == old_order

    for a in attempts(memberships):
        was, now = decide(before, a), decide(after, a)
        if a.user_id not in members:
            assert (now and now.key) == (was and was.key), a
            continue
        if a.authtype == "LDAP_INTERFACE":
            assert now is not None
            assert now.key == (BIND_POLICY_ID, BIND_RULE_ID)
            assert now.allowed
            assert not now.mfa_required
            assert not now.uncertain
        elif okta_adds_default_rule:
            # The trap: Okta's own Default Rule now catches the members' other sign-ins.
            assert now is not None
            assert now.policy.id == BIND_POLICY_ID
            assert now.rule.name == DEFAULT_RULE_NAME
        else:
            assert (now and now.key) == (was and was.key), a


@settings(max_examples=100, deadline=None)
@given(gen=orgs())
def test_generated_orgs_round_trip_through_api_json(gen: GeneratedOrg) -> None:
    policies_json, rules_json = org_to_api(gen.org)
    assert from_api(policies_json, rules_json, EVERYONE) == gen.org


# --- PASSWORD and MFA_ENROLL policies at random priorities ----------------------------------

account_policy_lists = st.lists(
    st.builds(
        AccountPolicy,
        id=st.uuids().map(lambda u: f"00p{u.hex[:17]}"),
        name=st.just("org policy"),
        priority=st.integers(1, 9),
        status=st.sampled_from(("ACTIVE", "ACTIVE", "INACTIVE")),
        groups=st.frozensets(st.sampled_from((*GROUPS, EVERYONE)), min_size=1, max_size=2),
        provider=st.sampled_from(("OKTA", "OKTA", "ACTIVE_DIRECTORY")),
        has_rule=st.booleans(),
        requires=st.frozensets(st.sampled_from(("okta_verify", "okta_email")), max_size=2),
        max_attempts=st.sampled_from((0, 3, 10)),
    ),
    max_size=5,
)


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(("PASSWORD", "MFA_ENROLL")),
    policies=account_policy_lists,
    default_requires=st.booleans(),
    bind_group=st.sampled_from(GROUPS),
    members=user_sets,
    gen=orgs(max_policies=0),
)
def test_the_bind_groups_first_policy_decides_for_its_members_and_nobody_else(
    kind: str,
    policies: list[AccountPolicy],
    default_requires: bool,
    bind_group: str,
    members: frozenset[str],
    gen: GeneratedOrg,
) -> None:
    default = AccountPolicy(
        id="00pDefault", name="Default Policy", priority=len(policies) + 1, system=True,
        requires=frozenset({"okta_verify"}) if default_requires else frozenset(),
        max_attempts=10, kind=kind,
    )  # fmt: skip
    before = [*(replace(p, kind=kind) for p in policies), default]
    ours = AccountPolicy(
        id="00pBindGroup", name="bind", priority=1, groups=frozenset({bind_group}), kind=kind
    )
    after = insert_first(before, ours)
    assert [p.priority for p in ordered(after)][: len(before)] == list(range(1, len(before) + 1))
    assert ordered(after)[-1].system
    for user, groups in gen.memberships.items():
        groups = (groups | {bind_group}) if user in members else (groups - {bind_group})
        groups |= {EVERYONE}
        now, was = applicable(after, groups), applicable(before, groups)
        if user in members:
            assert now is not None
            assert now.id == ours.id
            assert (now.requires, now.max_attempts) == (frozenset(), 0)
        else:
            assert (now and now.id) == (was and was.id)
