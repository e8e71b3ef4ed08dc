"""Facts of the stack's Okta sign-on layout shared by its policies, the pack and the tests.

Okta evaluates OKTA_SIGN_ON policies by priority and the first policy whose groups include the
user decides (components/okta/signon_model.py cites the text, and how Okta shifts priorities).

Where the stack's policies sit (`Placement`), for any number of this project's stacks in one org
(the org's stacks are the stack files naming the same `okta:orgName` and `okta:baseUrl`):

- One stack in the org (the usual case, unchanged): the bind-account policy at priority 1 and
  the MFA policy at 2, both enforced: an `up` puts them back there.
- Several stacks in the org: each bind-account policy is created at priority 1 and its priority
  is never sent again as a change (`ignore_changes`): Okta moves the older ones down by one
  [SHIFT], so every bind-account policy of the org's stacks stays in one block at the top, above
  every other policy, and no stack's `up` moves another stack's policy back (no flip-flop: two
  policies that both want priority 1 would swap on every `up`). Their order among themselves
  does not matter: each includes only its own stack's bind group. Each MFA policy is registered
  without a priority: Okta puts it last, just above the default policy [LAST], so it is below
  every bind-account policy however many stacks come later, and any update keeps it at the
  bottom. The priority is checked, not forced: `make verify` check 7 reads the live order.
- A second stack file joining a stack's org changes nothing for the deployed one: an ignored
  priority is not diffed, and an unset one is not either (the provider suppresses the diff when
  the new value is unset: `priority` has `utils.CreateValueDiffSuppression("0")` in
  terraform-provider-okta's policy.go), so its MFA policy stays at 2 until Okta moves it.

The same rule carries over to the other "v1" policy types that Okta shifts the same way (PASSWORD,
MFA_ENROLL): a policy that must decide for the bind accounts takes `bind_placement`, one that
must stay below them takes `below_bind_placement`.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.config import OktaEngine

BIND_POLICY_PRIORITY = 1
MFA_POLICY_PRIORITY = 2
# Identity Engine: a rule that allows sign-in names its primary factor (Okta Policy API,
# Signon Action object: `primaryFactor`, PASSWORD_IDP_ANY_FACTOR or PASSWORD_IDP); Classic
# Engine has no such field and refuses it.
IDENTITY_ENGINE_PRIMARY_FACTOR = "PASSWORD_IDP"


def primary_factor(engine: OktaEngine) -> str | None:
    """The primary factor an ALLOW rule names on this engine (None on Classic)."""
    return IDENTITY_ENGINE_PRIMARY_FACTOR if engine == "identity" else None


@dataclass(frozen=True)
class Placement:
    """The priority a policy is registered with, and whether an `up` enforces it.

    `priority` None: none is sent, Okta puts the policy last. `enforced` False: the priority is
    used when the policy is created and ignored afterwards (`ignore_changes=["priority"]`)."""

    priority: int | None
    enforced: bool

    @property
    def ignore_changes(self) -> list[str]:
        return [] if self.enforced or self.priority is None else ["priority"]

    def describe(self) -> str:
        """Where the policy sits, for the plan summary."""
        if self.priority is None:
            return "last (just above Okta's default policy; never moved by an up)"
        if self.enforced:
            return f"priority {self.priority}"
        return f"priority {self.priority} when created (the top), then left where Okta moves it"


def bind_placement(org_stacks: int) -> Placement:
    """A policy that decides for this stack's bind accounts: the top of the org."""
    return Placement(BIND_POLICY_PRIORITY, enforced=org_stacks <= 1)


def below_bind_placement(org_stacks: int) -> Placement:
    """A policy that must sit below every bind-account policy of the org's stacks."""
    if org_stacks <= 1:
        return Placement(MFA_POLICY_PRIORITY, enforced=True)
    return Placement(None, enforced=False)


# pulumi-okta 7 bridges terraform-provider-okta v6, whose okta_policy_rule_signon (file
# okta/services/idaas/resource_okta_policy_rule_sign_on.go)
# declares `identity_provider` with `Default: "ANY"` and builds the rule with
# `if provider, ok := d.GetOk("identity_provider"); ok {...}`, so a rule that leaves it unset
# still sends `conditions.identityProvider: {"provider": "ANY"}`; orgs without Okta's feature
# flag refuse it ("Invalid condition type specified: identityProvider", terraform-provider-okta
# #953, #1079, #1166). A Terraform default fills only a null value: an empty string reaches the
# provider as an empty string (pulumi-terraform-bridge passes "" through, its cross-test
# TestInputsEmptyString), `GetOk` reports it unset, and no condition is sent. Inferred from
# both sources, not run against an org without the flag.
IDENTITY_PROVIDER_ANY = "ANY"
IDENTITY_PROVIDER_OMITTED = ""


def identity_provider(send_condition: bool) -> str:
    """The RuleSignon `identity_provider` input: ANY, or "" so that no condition is sent."""
    return IDENTITY_PROVIDER_ANY if send_condition else IDENTITY_PROVIDER_OMITTED
