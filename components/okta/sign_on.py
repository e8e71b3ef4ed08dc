"""Facts of the stack's Okta sign-on layout shared by its policies, the pack and the tests.

Okta evaluates OKTA_SIGN_ON policies by priority and the first policy whose groups include the
user decides (components/okta/signon_model.py cites the text). The stack's priorities are
explicit and contiguous: its bind-account policy is first, so the bind accounts never reach any
other policy of the org; its optional MFA policy comes right after it.
"""

from __future__ import annotations

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
