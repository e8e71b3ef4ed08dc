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
