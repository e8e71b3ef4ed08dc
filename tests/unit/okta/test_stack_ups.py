"""Several stacks of this project in one Okta org: random sequences of `up`s into generated orgs.

After every `up` of any stack, in any order, with or without refresh and with or without another
change to its policies: every bind account of every deployed stack binds without MFA by its own
stack's rule, nobody outside the groups the stacks name is decided differently than before the
stacks came, Okta never places a policy elsewhere than the provider asked (which the provider
would report as a failed `up`), and an immediate second `up` of that stack writes nothing.
"""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from components.okta.sign_on import Placement
from components.okta.signon_model import Attempt, AuthType, Org, decide
from tests.support import stack_ups
from tests.support.okta_orgs import EVERYONE, GROUPS, USERS, GeneratedOrg, orgs
from tests.support.stack_ups import Deployment, StackSpec, binds_by_own_rule

NAMES = ("dev", "staging", "qa", "perf")
AUTH: tuple[AuthType, ...] = ("ANY", "LDAP_INTERFACE")
SEEN: Counter[str] = Counter()  # sequences and ups played, for `-s` runs and the closing note


@st.composite
def stack_specs(draw: st.DrawFn) -> list[StackSpec]:
    count = draw(st.integers(1, 4))
    specs = []
    for name in NAMES[:count]:
        accounts = draw(st.integers(1, 2))
        mfa = draw(
            st.one_of(
                st.none(),
                st.just(frozenset({EVERYONE})),
                st.frozensets(st.sampled_from(GROUPS), min_size=1, max_size=2),
            )
        )
        specs.append(
            StackSpec(
                name=name,
                bind_users=tuple(f"00uBind{name}{i}" for i in range(accounts)),
                deny_other_sign_ins=draw(st.booleans()),
                mfa_groups=mfa,
            )
        )
    return specs


steps = st.lists(
    st.tuples(st.integers(0, 3), st.booleans(), st.booleans()), min_size=1, max_size=10
)


def _outcomes(org: Org, attempt: Attempt) -> frozenset[tuple[str, str] | None]:
    d = decide(org, attempt)
    return frozenset((o.key if o else None) for o in (d.outcomes() if d else (None,)))


def _untouched(gen: GeneratedOrg, dep: Deployment) -> list[str]:
    named: set[str] = set()
    for spec in dep.deployed():
        named |= spec.mfa_groups or set()
    problems = []
    for user in USERS:
        groups = gen.groups_of(user)
        if EVERYONE in named or groups & named:
            continue
        for authtype in AUTH:
            attempt = Attempt(user_id=user, groups=groups, authtype=authtype)
            if _outcomes(gen.org, attempt) != _outcomes(dep.org, attempt):
                problems.append(f"{user} {authtype}")
    return problems


@settings(max_examples=300, deadline=None)
@given(gen=orgs(), specs=stack_specs(), sequence=steps)
def test_any_sequence_of_ups_keeps_every_stack_binding(
    gen: GeneratedOrg, specs: list[StackSpec], sequence: list[tuple[int, bool, bool]]
) -> None:
    dep = Deployment(org=gen.org, stacks=specs)
    event(f"{len(specs)} stack(s)")
    SEEN["sequences"] += 1
    for index, refresh, touch in sequence:
        spec = specs[index % len(specs)]
        up = dep.up(spec, refresh=refresh, touch=touch)
        SEEN["ups"] += 1
        assert up.not_valid == [], up.not_valid
        assert binds_by_own_rule(dep) == []
        assert _untouched(gen, dep) == []
        before = dep.org
        again = dep.up(spec, refresh=True)
        assert again.writes == []
        assert dep.org == before
    # Then every deployed stack once more, in every order of the first three: nothing moves.
    for order in itertools.islice(itertools.permutations(dep.deployed()), 6):
        before = dep.org
        for spec in order:
            assert dep.up(spec, refresh=True).writes == []
        assert dep.org == before


def test_forcing_priority_1_in_every_stack_flip_flops(monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's trap, in the model: two stacks that both enforce priority 1 swap on every
    `up` (so the drift check fails for one of them every day)."""
    monkeypatch.setattr(stack_ups, "bind_placement", lambda _n: Placement(1, enforced=True))
    a, b = StackSpec("a", ("00uA",)), StackSpec("b", ("00uB",))
    dep = Deployment(org=Org(policies=(), everyone_group_id=EVERYONE), stacks=[a, b])
    dep.up(a)
    dep.up(b)
    for spec in (a, b, a, b):
        assert dep.up(spec, refresh=True).writes == [f"update {spec.bind_policy_name}"]


def test_the_design_leaves_the_other_stack_where_it_is() -> None:
    dep = Deployment(org=Org(policies=(), everyone_group_id=EVERYONE), stacks=[])
    a = StackSpec("a", ("00uA",), mfa_groups=frozenset({EVERYONE}))
    b = StackSpec("b", ("00uB",), mfa_groups=frozenset({EVERYONE}))
    dep.stacks = [a, b]
    dep.up(a)
    dep.up(b)
    names = [p.name for p in sorted(dep.org.policies, key=lambda p: p.priority)]
    assert names[:2] == [b.bind_policy_name, a.bind_policy_name]  # both bind policies on top
    assert set(names[2:]) == {a.mfa_policy_name, b.mfa_policy_name}
    assert [dep.up(s, refresh=True).writes for s in (a, b, a)] == [[], [], []]
    assert binds_by_own_rule(dep) == []
