"""The bind accounts' own Okta group and the sign-on policy at the top that decides for them.

The policy includes only the bind group, so it decides every sign-in of the bind accounts and
nobody else's: their LDAP Interface binds are allowed with the password alone (a static bind
password can never carry a one-time code), and, optionally, every other way in is denied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_okta as okta

from components.config import BindPolicySettings
from components.okta.sign_on import bind_placement, identity_provider, primary_factor

GROUP_DESCRIPTION = (
    "Managed by Pulumi (okta-ldap-immuta): exactly the LDAP bind service accounts. Membership "
    "is managed by the stack; the bind-account sign-on policy includes only this group."
)
POLICY_DESCRIPTION = (
    "Managed by Pulumi (okta-ldap-immuta). Decides every sign-in of the LDAP bind service "
    "accounts (and nobody else's): LDAP Interface binds with the password alone."
)
DENY_RULE_NAME = "Bind accounts: no other sign-in"


@dataclass(frozen=True, kw_only=True)
class BindAccountPolicyArgs:
    """Policy settings and the Okta user ids of the bind accounts (the group's members)."""

    settings: BindPolicySettings
    member_user_ids: Sequence[pulumi.Input[str]]


class BindAccountPolicy(pulumi.ComponentResource):
    """Group, memberships, policy and rules; each rule waits for the one before it."""

    group_id: pulumi.Output[str]
    policy_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: BindAccountPolicyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("okta-ldap-immuta:okta:BindAccountPolicy", name, None, opts)
        cfg = args.settings
        child = pulumi.ResourceOptions(parent=self)
        group = okta.group.Group(
            f"{name}-group", name=cfg.group_name, description=GROUP_DESCRIPTION, opts=child
        )
        okta.GroupMemberships(
            f"{name}-members",
            group_id=group.id,
            users=list(args.member_user_ids),
            track_all_users=True,  # anyone added by hand is removed on the next up
            opts=child,
        )
        # At the top of the org; with other stacks of this project in the org, set only when
        # created (components/okta/sign_on.py: no stack moves another's policy back).
        placement = bind_placement(cfg.org_stacks)
        policy = okta.policy.Signon(
            f"{name}-policy",
            name=cfg.policy_name,
            description=POLICY_DESCRIPTION,
            groups_included=[group.id],
            priority=placement.priority,
            status="ACTIVE",
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=placement.ignore_changes),
        )
        bind_rule = okta.policy.RuleSignon(
            f"{name}-ldap-bind",
            policy_id=policy.id,
            name=cfg.rule_name,
            priority=1,
            status="ACTIVE",
            access="ALLOW",
            authtype="LDAP_INTERFACE",
            mfa_required=False,
            primary_factor=primary_factor(cfg.engine),
            identity_provider=identity_provider(cfg.identity_provider_condition),
            opts=child,
        )
        if cfg.deny_other_sign_ins:
            okta.policy.RuleSignon(
                f"{name}-deny-other",
                policy_id=policy.id,
                name=DENY_RULE_NAME,
                priority=2,
                status="ACTIVE",
                access="DENY",
                authtype="ANY",
                identity_provider=identity_provider(cfg.identity_provider_condition),
                # Okta locks a policy while it writes one of its rules (HTTP 423).
                opts=pulumi.ResourceOptions(parent=self, depends_on=[bind_rule]),
            )
        self.group_id = group.id
        self.policy_id = policy.id
        self.register_outputs({"groupId": group.id, "policyId": policy.id})
