"""The optional Okta sign-on policy that requires MFA for the groups a stack names, below every
bind-account policy of the org's stacks (priority 2 when the stack is alone in its org, else
last: components/okta/sign_on.py), with exactly the LDAP bind accounts exempt."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_okta as okta

from components.config import MfaPolicySettings
from components.okta.sign_on import below_bind_placement, identity_provider, primary_factor

POLICY_DESCRIPTION = (
    "Managed by Pulumi (okta-ldap-immuta). Requires MFA; the LDAP bind service accounts are "
    "exempt because a static LDAP bind password can never carry a one-time code."
)


@dataclass(frozen=True, kw_only=True)
class MfaSignOnPolicyArgs:
    """Policy settings and the Okta user ids of the bind accounts to exempt."""

    settings: MfaPolicySettings
    exempt_user_ids: Sequence[pulumi.Input[str]]


class MfaSignOnPolicy(pulumi.ComponentResource):
    """The policy and its rules; rule priorities run 1..n with no gaps, each rule waiting for
    the one before it (Okta locks a policy while one of its rules is written)."""

    policy_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: MfaSignOnPolicyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("okta-ldap-immuta:okta:MfaSignOnPolicy", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cfg = args.settings
        groups: list[pulumi.Input[str]] = (
            [okta.group.get_everyone_group_output(opts=pulumi.InvokeOutputOptions(parent=self)).id]
            if cfg.everyone
            else list(cfg.group_ids)
        )
        placement = below_bind_placement(cfg.org_stacks)
        policy = okta.policy.Signon(
            "mfa-policy",
            name=cfg.name,
            description=POLICY_DESCRIPTION,
            groups_included=groups,
            priority=placement.priority,
            status="ACTIVE",
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=placement.ignore_changes),
        )
        exempt = list(args.exempt_user_ids)
        factor = primary_factor(cfg.engine)
        idp = identity_provider(cfg.identity_provider_condition)

        def lifetime(prompt: str | None) -> int | None:
            # pulumi-okta sends factorLifetime only when set (json omitempty on 0), and Okta
            # wants one for a rule that requires a factor once per session.
            return cfg.factor_lifetime_minutes if prompt == "SESSION" else None

        previous: list[pulumi.Resource] = []
        priority = 1
        if cfg.ldap_interface_rule != "none":
            require_mfa = cfg.ldap_interface_rule == "requireMfa"
            previous = [
                okta.policy.RuleSignon(
                    "mfa-rule-ldap-interface",
                    policy_id=policy.id,
                    name=cfg.ldap_rule_name,
                    priority=priority,
                    status="ACTIVE",
                    access="ALLOW",
                    authtype="LDAP_INTERFACE",
                    mfa_required=require_mfa,
                    mfa_prompt=cfg.prompt if require_mfa else None,
                    mfa_lifetime=lifetime(cfg.prompt if require_mfa else None),
                    primary_factor=factor,
                    identity_provider=idp,
                    users_excluded=exempt,
                    opts=child,
                )
            ]
            priority += 1
        okta.policy.RuleSignon(
            "mfa-rule",
            policy_id=policy.id,
            name=cfg.rule_name,
            priority=priority,
            status="ACTIVE",
            access="ALLOW",
            authtype="ANY",
            mfa_required=True,
            mfa_prompt=cfg.prompt,
            mfa_lifetime=lifetime(cfg.prompt),
            primary_factor=factor,
            identity_provider=idp,
            users_excluded=exempt,
            opts=pulumi.ResourceOptions(parent=self, depends_on=previous),
        )
        self.policy_id = policy.id
        self.register_outputs({"policyId": policy.id})
