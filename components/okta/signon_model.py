"""A model of how Okta picks the OKTA_SIGN_ON (global session) policy rule for a sign-in.

Pure standard library. Every behaviour below rests on Okta's own text:

[EVAL] Okta Policy API, "Policy evaluation"
  (https://developer.okta.com/docs/api/openapi/okta-management/management/tag/Policy/ and the
  archived https://developer.okta.com/docs/reference/api/policy/#policy-evaluation):
  "each policy of the appropriate type is considered in turn, in the order indicated by the policy
  priority. Each of the conditions associated with the policy is evaluated. If one or more of the
  conditions can't be met, then the next policy in the list is considered. If the conditions can be
  met, then each of the rules associated with the policy is considered in turn, in the order
  specified by the rule priority. [...] If all of the conditions associated with a rule are met,
  then the settings contained in the rule, and in the associated policy, are applied to the user.
  If none of the policy rules have conditions that can be met, then the next policy in the list is
  considered." and "Policies that have no Rules aren't considered during evaluation and are never
  applied."
[DEFAULT] same page, "Default Policies": "The default Policy is always the last Policy in the
  priority order"; "The default Policy always has one default Rule that can't be deleted. It is
  always the last Rule in the priority order." The default policy has `system: true` and includes
  the Everyone group. Its Default Rule cannot be changed through the API (terraform-provider-okta
  #721); the Admin Console can still switch its MFA on or off (help.okta.com/oie .../
  edit-global-session-policy.htm), so never assume the default rule's MFA setting.
[AUTORULE] Inferred, not documented: Okta adds a rule named "Default Rule" to every new
  OKTA_SIGN_ON policy by itself. terraform-provider-okta #2412 reports it; the archived Policy
  API says "Only the default Policy contains a default Rule". Its settings are documented
  nowhere: DEFAULT_RULE_* below is an inference (allow, any way in, no MFA) kept in one place.
  The stack's rules come first and decide for the bind accounts, so neither reading matters
  to them.
[PRIMARY] Identity Engine: an ALLOW rule names its primary factor, `PASSWORD_IDP` or
  `PASSWORD_IDP_ANY_FACTOR`; a rule created without one reads back `PASSWORD_IDP_ANY_FACTOR`
  (recorded from a real Identity Engine org). Okta's LDAP Interface instructions ask for "A
  password" (`PASSWORD_IDP`); what an LDAP bind meets under any other primary factor is not
  documented, so a rule with it that decides an LDAP bind makes the decision unknowable.
[ORDER] A rule (or policy) without a priority (`priority: null`) has no documented place in
  the order: when it and another rule of the same policy both hold, which one decides is
  unknowable. Alone, it decides wherever it sits.
[STATUS] Rules and policies have `status` ACTIVE or INACTIVE; only ACTIVE ones are evaluated.
[SHIFT] [LAST] [CLAMP] [NAMES] How Okta shifts priorities when a policy is created, updated or
  deleted, what a missing or too large priority does, and whether names may repeat: cited in
  components/okta/signon_priority.py, which applies them to an Org.

Okta facts on what an OKTA_SIGN_ON rule accepts, Classic vs Identity Engine: see AUTHTYPE_FINDINGS.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Literal

AuthType = Literal["ANY", "RADIUS", "LDAP_INTERFACE"]
Access = Literal["ALLOW", "DENY", "CHALLENGE"]
AUTH_TYPES: tuple[AuthType, ...] = ("ANY", "RADIUS", "LDAP_INTERFACE")

AUTHTYPE_FINDINGS = """\
- conditions.authContext.authType: Classic Engine Policy API reference lists `ANY`, `RADIUS`,
  `LDAP_INTERFACE` (LDAP_INTERFACE added 2020-11 as Early Access, okta/okta-developer-docs PR #1648,
  https://github.com/okta/okta-developer-docs/pull/1648). The Identity Engine version of the same
  page lists `ANY` or `LDAP_INTERFACE` (no RADIUS), still marked EA. So LDAP_INTERFACE is NOT
  Identity-Engine-only: Okta's support article configures the LDAP Interface sign-on rule on both
  engines (https://support.okta.com/help/s/article/configure-a-global-session-policy-for-the-ldap-interface;
  OIE: https://help.okta.com/oie/en-us/Content/Topics/directory/ldap-add-global-session-policy.htm).
  Some generated SDK enums (PolicyRuleAuthContextType) still list only ANY and RADIUS.
- Classic: Okta sign-on policies made under Security > Authentication do not apply to RADIUS apps
  (https://help.okta.com/en/prod/Content/Topics/Security/policies/about-signon-policies.htm).
- actions.signon.access: `ALLOW` or `DENY` on both engines (Signon Action object). Identity Engine
  adds `primaryFactor` (PASSWORD_IDP_ANY_FACTOR | PASSWORD_IDP, required when access is ALLOW).
  The Terraform/Pulumi resource also documents access `CHALLENGE` (factor sequences, Classic
  Engine feature PASSWORDLESS_AUTHN_SIGNON_POLICY,
  https://registry.terraform.io/providers/okta/okta/latest/docs/resources/policy_rule_signon):
  nothing documents what it means for an LDAP bind, so such a rule on a sign-in's path makes
  the decision unknowable; anywhere else it changes nothing.
"""

DEFAULT_RULE_NAME = "Default Rule"
DEFAULT_RULE_ACCESS: Access = "ALLOW"  # inferred [AUTORULE]
DEFAULT_RULE_AUTHTYPE: AuthType = "ANY"  # inferred [AUTORULE]
DEFAULT_RULE_MFA = False  # inferred [AUTORULE]
PASSWORD_ONLY = "PASSWORD_IDP"  # [PRIMARY]
ANY_FACTOR = "PASSWORD_IDP_ANY_FACTOR"
LAST = 0  # a policy registered without a priority: Okta puts it last [LAST]


@dataclass(frozen=True, kw_only=True)
class Rule:
    """One OKTA_SIGN_ON rule. `unevaluable` names conditions this model cannot check."""

    id: str
    name: str
    priority: int | None  # None: Okta answered `priority: null` [ORDER]
    status: str = "ACTIVE"
    access: Access = "ALLOW"
    authtype: AuthType = "ANY"
    mfa_required: bool = False
    users_excluded: frozenset[str] = frozenset()
    system: bool = False
    unevaluable: tuple[str, ...] = ()
    primary_factor: str | None = None  # Identity Engine only [PRIMARY]


@dataclass(frozen=True, kw_only=True)
class Policy:
    """One OKTA_SIGN_ON policy; only its people.groups.include condition selects users."""

    id: str
    name: str
    priority: int | None  # None: Okta answered `priority: null` [ORDER]
    status: str = "ACTIVE"
    groups_included: frozenset[str]
    rules: tuple[Rule, ...] = ()
    system: bool = False
    unevaluable: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Org:
    policies: tuple[Policy, ...]
    everyone_group_id: str

    def policy(self, name: str) -> Policy:
        for p in self.policies:
            if p.name == name:
                return p
        raise KeyError(name)


@dataclass(frozen=True, kw_only=True)
class Attempt:
    """A sign-in. authtype is the way in: an LDAP Interface bind is LDAP_INTERFACE, a RADIUS
    sign-in RADIUS, and "ANY" stands for any other sign-in (only `ANY` rules match it)."""

    user_id: str
    groups: frozenset[str]
    authtype: AuthType


@dataclass(frozen=True)
class Decision:
    """The rule that decides. When `unknown` is not empty, this rule decides only if those
    conditions hold; `otherwise` is the decision when they do not (None: Okta denies). When
    `unknowable` is set, Okta's answer is not documented: it names the one rule that makes it so.
    """

    policy: Policy
    rule: Rule
    unknown: tuple[str, ...] = ()
    otherwise: Decision | None = None
    unknowable: str = ""

    @property
    def allowed(self) -> bool:
        return self.rule.access == "ALLOW"

    @property
    def mfa_required(self) -> bool:
        return self.allowed and self.rule.mfa_required

    @property
    def uncertain(self) -> bool:
        return bool(self.unknown)

    @property
    def reason(self) -> str:
        return "; ".join(self.unknown)

    @property
    def key(self) -> tuple[str, str]:
        return (self.policy.id, self.rule.id)

    def outcomes(self) -> tuple[Decision | None, ...]:
        """Every decision Okta may reach (a sound over-approximation when uncertain)."""
        if not self.uncertain:
            return (self,)
        rest = self.otherwise.outcomes() if self.otherwise else (None,)
        return (replace(self, otherwise=None), *rest)


def policy_order(priority: int | None) -> tuple[bool, int]:
    """Sort key of a priority: by number, a missing one (null) after the others [ORDER]."""
    return (priority is None, priority or 0)


def ordered_policies(org: Org) -> tuple[Policy, ...]:
    """Priority order, the system default policy last whatever its number [DEFAULT]."""
    return tuple(sorted(org.policies, key=lambda p: (p.system, *policy_order(p.priority))))


def ordered_rules(policy: Policy) -> tuple[Rule, ...]:
    """Priority order; a rule without a priority after the others [ORDER]."""
    return tuple(sorted(policy.rules, key=lambda r: policy_order(r.priority)))


def _includes(org: Org, policy: Policy, attempt: Attempt) -> bool:
    # Everyone holds every user, whether or not the caller listed it in attempt.groups.
    return org.everyone_group_id in policy.groups_included or bool(
        policy.groups_included & attempt.groups
    )


def _rule_holds(rule: Rule, attempt: Attempt) -> bool:
    if attempt.user_id in rule.users_excluded:
        return False
    return rule.authtype == "ANY" or rule.authtype == attempt.authtype


def _where(policy: Policy, rule: Rule) -> str:
    return f'rule "{rule.name}" ({rule.id}) of policy "{policy.name}"'


def _unknowable(policy: Policy, rule: Rule, holding: Sequence[Rule], attempt: Attempt) -> str:
    """Why Okta's answer for this rule on this sign-in is not documented ("" when it is)."""
    if rule.access == "CHALLENGE":
        return (
            f"{_where(policy, rule)} answers access CHALLENGE (a factor sequence); Okta "
            f"documents no outcome of it for an {attempt.authtype} sign-in"
        )
    unordered = next((r for r in holding if r.priority is None), None)
    if unordered is not None and len(holding) > 1:
        return (
            f"{_where(policy, unordered)} has no priority (null), so which of the "
            f"{len(holding)} rules of that policy that hold comes first is not documented"
        )
    if (
        attempt.authtype == "LDAP_INTERFACE"
        and rule.access == "ALLOW"
        and rule.primary_factor not in (None, PASSWORD_ONLY)
    ):
        return (
            f"{_where(policy, rule)} establishes the session with primaryFactor "
            f"{rule.primary_factor}; Okta's LDAP Interface instructions ask for a password "
            f"({PASSWORD_ONLY}) and document no LDAP bind under any other primary factor"
        )
    return ""


def _candidates(org: Org, attempt: Attempt) -> Iterator[tuple[Policy, Rule, tuple[str, ...], str]]:
    reached: list[tuple[Policy, list[Rule]]] = []
    for policy in ordered_policies(org):
        if policy.status != "ACTIVE" or not _includes(org, policy, attempt):  # [STATUS] [EVAL]
            continue
        # A policy with no (active) rules yields nothing and so never applies [EVAL].
        holding = [
            r for r in ordered_rules(policy) if r.status == "ACTIVE" and _rule_holds(r, attempt)
        ]
        if holding:
            reached.append((policy, holding))
    unordered = next((p for p, _ in reached if p.priority is None and not p.system), None)
    order = ""
    if unordered is not None and len(reached) > 1:
        order = (
            f'policy "{unordered.name}" ({unordered.id}) has no priority (null), so which of '
            f"the {len(reached)} policies that include the account comes first is not documented"
        )
    for policy, holding in reached:
        for rule in holding:
            why = order or _unknowable(policy, rule, holding, attempt)
            yield policy, rule, policy.unevaluable + rule.unevaluable, why


def decide(org: Org, attempt: Attempt) -> Decision | None:
    """The first rule whose conditions all hold decides [EVAL]; None when none does (then no
    sign-in: inferred, since the default policy normally always has a rule that applies)."""
    result: Decision | None = None
    for policy, rule, unknown, why in reversed(list(_candidates(org, attempt))):
        result = Decision(policy, rule, unknown, result if unknown else None, why)
    return result


def okta_default_rule(policy_id: str, priority: int) -> Rule:
    """The rule Okta adds to a new OKTA_SIGN_ON policy [AUTORULE] (settings inferred)."""
    return Rule(
        id=f"{policy_id}-default-rule",
        name=DEFAULT_RULE_NAME,
        priority=priority,
        access=DEFAULT_RULE_ACCESS,
        authtype=DEFAULT_RULE_AUTHTYPE,
        mfa_required=DEFAULT_RULE_MFA,
    )


def _with_okta_default_rule(policy: Policy) -> Policy:
    if any(r.name == DEFAULT_RULE_NAME for r in policy.rules):
        return policy
    last = max((r.priority or 0 for r in policy.rules), default=0)
    return replace(policy, rules=(*policy.rules, okta_default_rule(policy.id, last + 1)))


def insert_policies(
    org: Org, planned: Sequence[Policy], *, okta_adds_default_rule: bool = True
) -> Org:
    """The org after the stack creates `planned` at their explicit priorities, as Okta does it.

    Each existing non-system policy at or below an inserted priority moves down one, priorities
    stay 1..n with no gaps, a priority past the end lands just above the default policy, and the
    system default policy stays last; a policy at LAST (no priority sent) goes to the end. A
    planned policy named like an existing non-system policy
    replaces it (an update moves it): it keeps the existing id and the existing Okta Default Rule.
    With `okta_adds_default_rule`, a newly created policy gets Okta's own Default Rule last.
    """
    priorities = [p.priority or LAST for p in planned if (p.priority or LAST) != LAST]
    if len(set(priorities)) != len(priorities) or any(n < 1 for n in priorities):
        raise ValueError("planned policies need distinct priorities from 1 up (or LAST)")
    if any(p.system for p in planned):
        raise ValueError("the stack cannot create a system policy")
    by_name = {p.name: p for p in org.policies if not p.system}
    system = [p for p in org.policies if p.system]
    if any(p.name == s.name for p in planned for s in system):
        raise ValueError("the default policy cannot be replaced")
    planned_names = {p.name for p in planned}
    order = [
        p
        for p in sorted(org.policies, key=lambda p: policy_order(p.priority))
        if not p.system and p.name not in planned_names
    ]
    for new in sorted(planned, key=lambda p: (not p.priority, p.priority or LAST)):
        old = by_name.get(new.name)
        if old is not None:
            names = {r.name for r in new.rules}
            kept = [r for r in old.rules if (r.name == DEFAULT_RULE_NAME or r.system)]
            last = max((r.priority or 0 for r in new.rules), default=0)
            extra = [
                replace(r, priority=last + i)
                for i, r in enumerate((r for r in kept if r.name not in names), start=1)
            ]
            new = replace(new, id=old.id, rules=(*new.rules, *extra))
        elif okta_adds_default_rule:
            new = _with_okta_default_rule(new)
        at = len(order) if not new.priority else min(new.priority - 1, len(order))
        order.insert(at, new)
    renumbered = [replace(p, priority=i) for i, p in enumerate(order, start=1)]
    tail = [replace(p, priority=len(renumbered) + 1 + i) for i, p in enumerate(system)]
    return replace(org, policies=(*renumbered, *tail))
