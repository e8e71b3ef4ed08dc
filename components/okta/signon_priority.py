"""Okta's priority shifting for "v1" policy types (OKTA_SIGN_ON, PASSWORD, MFA_ENROLL), on an
Org of components/okta/signon_model.py. Pure standard library; every behaviour rests on:

[SHIFT] Okta developer guide "Policy and rule prioritization"
  (https://developer.okta.com/docs/guides/policy-rule-prioritization/main/, source
  okta/okta-developer-docs PR #5897): "When you create a policy or rule and assign a priority
  that's already in use, Okta automatically shifts the existing rule down by one. Okta also
  shifts those below it down by one." Its table puts SIGN_ON (OKTA_SIGN_ON), PASSWORD and
  MFA_ENROLL among the "Policies v1": "Priorities start at 1", "Priorities are sequential",
  "Delete requests result in automatic shifts of priority order", "Creates/Updates to priorities
  of existing values result in shifts of order between old and new." See `place`/`remove`.
[LAST] No priority sent: "API defaults it to the last (lowest) if not there" (terraform-provider-
  okta, okta/services/idaas/policy.go, the `priority` attribute); an update sent without a
  priority moves the policy to the bottom too (salto-io/salto PR #6620: a payload without
  `priority` made Okta "fallback to the lowest priority available"). The default policy stays last.
[CLAMP] A priority past the end lands at the end (terraform-provider-okta #1059: priority 3 asked
  with only one rule before it was "self corrected" to 2), and the provider then fails the
  create or update: it compares the priority it sent with the one Okta answers
  (utils.ValidatePriority, called from createPolicy and updatePolicy in policy.go: "provided
  priority was not valid"); pulumi-okta is that provider, bridged. See `PriorityNotValid`.
[NAMES] Group names: the API refuses a second OKTA_GROUP of a name already taken ("Okta API
  enforces unique names on all groups regardless of type", terraform-provider-okta
  data_source_okta_group.go; maintainer in PR #1794: "you can't use the API to create a new group
  if the name is taken"; only imported APP_GROUPs may repeat a name). Policy names: no Okta text
  found either way (the provider looks a policy up by name and takes the first match,
  findPolicyByNameAndType in policy.go). So two stacks must never share a name by default: with
  a refused duplicate the second stack's first `up` fails; with a kept one, adopt and verify
  could not tell whose policy is whose. The config check refuses same-named objects across the
  stack files of one org (components/config/_peers.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from components.okta.signon_model import LAST, Org, Policy, ordered_policies


class PriorityNotValid(ValueError):
    """Okta placed the policy elsewhere than asked [CLAMP]; the provider reports the write as
    failed although Okta made it (the org has already changed)."""

    def __init__(self, org: Org, policy_id: str, asked: int, got: int) -> None:
        super().__init__(f"policy {policy_id}: priority {asked} asked, Okta answered {got}")
        self.org, self.policy_id, self.asked, self.got = org, policy_id, asked, got


def _renumbered(org: Org, order: Sequence[Policy]) -> Org:
    system = [p for p in org.policies if p.system]
    tail = [replace(p, priority=len(order) + 1 + i) for i, p in enumerate(system)]
    return replace(org, policies=(*(replace(p, priority=i) for i, p in enumerate(order, 1)), *tail))


def place(org: Org, policy: Policy, priority: int | None = None) -> Org:
    """The org after creating `policy` (a new id) or updating it (an existing id) at `priority`,
    as Okta does it for v1 policy types [SHIFT]: the others keep their order and priorities
    stay 1..n. `priority` None or LAST: the bottom, above the default policy [LAST]. Past the
    end: the bottom, and PriorityNotValid as the provider reports it [CLAMP]."""
    if policy.system or any(p.system and p.id == policy.id for p in org.policies):
        raise ValueError("the default policy cannot be placed")
    order = [p for p in ordered_policies(org) if not p.system and p.id != policy.id]
    want = len(order) + 1 if priority in (None, LAST) else priority
    if want < 1:
        raise ValueError(f"priority {priority} (Okta's start at 1)")
    index = min(want, len(order) + 1) - 1
    order.insert(index, policy)
    after = _renumbered(org, order)
    if priority not in (None, LAST) and index + 1 != priority:
        raise PriorityNotValid(after, policy.id, priority, index + 1)
    return after


def remove(org: Org, policy_id: str) -> Org:
    """The org after deleting a policy: the ones below move up by one [SHIFT]."""
    order = [p for p in ordered_policies(org) if not p.system and p.id != policy_id]
    return _renumbered(org, order)


def find(org: Org, policy_id: str) -> Policy | None:
    return next((p for p in org.policies if p.id == policy_id), None)
