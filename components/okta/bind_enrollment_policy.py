"""The bind group's own MFA enrollment (MFA_ENROLL) policy: first, only the bind group, no factor.

Okta runs the authenticator enrollment policy during sign-in; a bind account has no factor and
can never enroll one, and Okta does not document whether LDAP Interface binds pass through it.
So the bind accounts get their own policy, first (priority 1) and including only the bind group,
that requires nothing but what they have:

- Identity Engine (`settings.type: AUTHENTICATORS`): the password authenticator REQUIRED (every
  account has one; Okta requires it on Identity Engine unless the org went passwordless), the
  email authenticator NOT_ALLOWED; nothing else is named, and pulumi-okta checks only the
  authenticators it names.
- Classic Engine (`settings.type: FACTORS`): Okta Verify OTP NOT_ALLOWED, nothing required.
Its one rule (policies without rules are never applied) never prompts for enrollment. Check 7
of `make verify` reads the policy Okta actually applies and fails when it requires any factor
beyond the password.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_okta as okta

from components.config import BindPolicySettings
from components.okta.sign_on import bind_placement

POLICY_DESCRIPTION = (
    "Managed by Pulumi (okta-ldap-immuta). Only the LDAP bind service accounts: they can never "
    "enroll a factor, so none is required."
)
RULE_NAME = "Bind accounts: nothing to enroll"
REQUIRED, NOT_ALLOWED = "REQUIRED", "NOT_ALLOWED"


@dataclass(frozen=True, kw_only=True)
class BindEnrollmentPolicyArgs:
    settings: BindPolicySettings
    group_id: pulumi.Input[str]  # the bind group


class BindEnrollmentPolicy(pulumi.ComponentResource):
    """The policy and its one rule (the rule waits for the policy)."""

    policy_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: BindEnrollmentPolicyArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("okta-ldap-immuta:okta:BindEnrollmentPolicy", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # First of its kind like the bind-account sign-on policy, and placed the same way: with
        # several stacks in one org the priority is set at creation, then left to Okta.
        placement = bind_placement(args.settings.org_stacks)
        identity = args.settings.engine == "identity"
        policy = okta.policy.Mfa(
            f"{name}-policy",
            name=args.settings.enrollment_policy_name,
            description=POLICY_DESCRIPTION,
            groups_included=[args.group_id],
            priority=placement.priority,
            status="ACTIVE",
            is_oie=identity,
            okta_password={"enroll": REQUIRED} if identity else None,
            okta_email={"enroll": NOT_ALLOWED} if identity else None,
            okta_otp=None if identity else {"enroll": NOT_ALLOWED},
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=placement.ignore_changes),
        )
        okta.policy.RuleMfa(
            f"{name}-rule",
            policy_id=policy.id,
            name=RULE_NAME,
            priority=1,
            status="ACTIVE",
            enroll="NEVER",  # nothing to prompt the accounts for
            opts=child,
        )
        self.policy_id = policy.id
        self.register_outputs({"policyId": policy.id})
