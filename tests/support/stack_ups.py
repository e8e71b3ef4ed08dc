"""`pulumi up` of several of this project's stacks into one Okta org, as the sign-on model sees it.

Each stack declares what components/okta/bind_policy.py and mfa_policy.py declare (a bind group,
its policy with the LDAP Interface rule and optionally the deny rule, an optional MFA policy
exempting the bind accounts), placed by components/okta/sign_on.py, the code the program uses.
An `up` does what Pulumi and the Okta provider do with those registrations:

- a policy not in the stack's state is created at its placement's priority (none: Okta puts it
  last); Okta adds its own Default Rule (signon_model [AUTORULE]);
- an enforced priority that differs from the state (or, with `refresh`, from the live org) is
  updated back to it; an ignored one is never diffed;
- `touch` stands for any other change to the policy (its name, its groups): the provider then
  sends the whole policy, with the priority the program registered (for an ignored priority the
  old input, which is the same value here) or none;
- every write goes through `signon_model.place`, so Okta's shifting [SHIFT] and the provider's
  refusal of a moved priority [CLAMP] apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from components.okta.sign_on import Placement, below_bind_placement, bind_placement
from components.okta.signon_model import Attempt, Org, Policy, Rule, decide, okta_default_rule
from components.okta.signon_priority import PriorityNotValid, find, place


@dataclass(frozen=True)
class StackSpec:
    """One stack of the org: its bind accounts and what its config asks for."""

    name: str
    bind_users: tuple[str, ...]
    deny_other_sign_ins: bool = True
    mfa_groups: frozenset[str] | None = None  # None: no MFA policy

    @property
    def bind_group(self) -> str:
        return f"00gBind{self.name}"

    @property
    def bind_policy_name(self) -> str:
        return f"Immuta LDAP bind accounts ({self.name})"

    @property
    def mfa_policy_name(self) -> str:
        return f"Immuta LDAP ({self.name}): require MFA"

    @property
    def ldap_rule_id(self) -> str:
        return f"0prBind{self.name}Ldap"


def declared(spec: StackSpec, org_stacks: int) -> list[tuple[Policy, Placement]]:
    """The stack's sign-on policies as the program registers them, bind policy first."""
    bind_rules = [
        Rule(
            id=spec.ldap_rule_id,
            name="LDAP Interface bind, no MFA",
            priority=1,
            authtype="LDAP_INTERFACE",
        )
    ]
    if spec.deny_other_sign_ins:
        bind_rules.append(
            Rule(id=f"0prBind{spec.name}Deny", name="deny", priority=2, access="DENY")
        )
    out = [
        (
            Policy(
                id=f"00pBind{spec.name}",
                name=spec.bind_policy_name,
                priority=1,
                groups_included=frozenset({spec.bind_group}),
                rules=tuple(bind_rules),
            ),
            bind_placement(org_stacks),
        )
    ]
    if spec.mfa_groups is not None:
        rule = Rule(
            id=f"0prMfa{spec.name}",
            name="Require MFA",
            priority=1,
            mfa_required=True,
            users_excluded=frozenset(spec.bind_users),
        )
        out.append(
            (
                Policy(
                    id=f"00pMfa{spec.name}",
                    name=spec.mfa_policy_name,
                    priority=1,
                    groups_included=spec.mfa_groups,
                    rules=(rule,),
                ),
                below_bind_placement(org_stacks),
            )
        )
    return out


@dataclass
class Up:
    """What one `up` did: the writes Okta saw, and the priorities the provider refused."""

    writes: list[str] = field(default_factory=list)
    not_valid: list[str] = field(default_factory=list)


@dataclass
class Deployment:
    """The org and every stack's state (policy id -> the priority the state last recorded)."""

    org: Org
    stacks: Sequence[StackSpec]
    state: dict[str, dict[str, int]] = field(default_factory=dict)

    def deployed(self) -> list[StackSpec]:
        return [s for s in self.stacks if s.name in self.state]

    def up(self, spec: StackSpec, *, refresh: bool = False, touch: bool = False) -> Up:
        result = Up()
        state = self.state.setdefault(spec.name, {})
        for policy, placement in declared(spec, len(self.stacks)):
            live = find(self.org, policy.id)
            if live is None:
                created = replace(
                    policy,
                    rules=(
                        *policy.rules,
                        okta_default_rule(policy.id, len(policy.rules) + 1),
                    ),
                )
                self._write(result, created, placement.priority, f"create {policy.name}")
            else:
                recorded = live.priority if refresh else state[policy.id]
                moved = placement.enforced and recorded != placement.priority
                if moved or touch:
                    self._write(result, live, placement.priority, f"update {policy.name}")
            after = find(self.org, policy.id)
            assert after is not None
            state[policy.id] = after.priority
        return result

    def _write(self, result: Up, policy: Policy, priority: int | None, what: str) -> None:
        result.writes.append(what)
        try:
            self.org = place(self.org, policy, priority)
        except PriorityNotValid as exc:  # Okta made the change; the provider reports it failed
            self.org = exc.org
            result.not_valid.append(what)


def binds_by_own_rule(dep: Deployment) -> list[str]:
    """Problems: a deployed stack's bind account whose LDAP bind is not decided, without MFA
    and for certain, by its own stack's LDAP Interface rule."""
    problems = []
    for spec in dep.deployed():
        for user in spec.bind_users:
            attempt = Attempt(
                user_id=user, groups=frozenset({spec.bind_group}), authtype="LDAP_INTERFACE"
            )
            d = decide(dep.org, attempt)
            if d is None or d.uncertain or d.mfa_required or not d.allowed:
                problems.append(f"{spec.name}/{user}: {d and (d.policy.name, d.rule.name)}")
            elif d.rule.id != spec.ldap_rule_id:
                problems.append(f"{spec.name}/{user}: decided by {d.policy.name}/{d.rule.name}")
    return problems
