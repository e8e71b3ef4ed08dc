"""The bind group's own PASSWORD policy, first among password policies and only for the bind group.

Okta applies to a user the first ACTIVE PASSWORD policy (by priority, its default policy last)
whose groups include the user (Okta Policy API, "Policy evaluation"; policies without rules are
never applied, so the policy carries one rule). The default password policy of a real Identity
Engine org locks an account after 10 bad passwords until an administrator unlocks it
(`maxAttempts: 10, autoUnlockMinutes: 0`): a consumer still binding with an old password during a
rotation would lock the bind account, and every Query Engine login with it. So this policy:

- never expires the password (`passwordMaxAgeDays: 0`, documented "0 = no limit"), and no breach
  expiry is configured;
- never locks the account out (`passwordMaxLockoutAttempts: 0`, documented "0 = no limit"):
  Okta allows it, and it is the one setting under which a consumer holding a stale password
  cannot take every login down; the generated passwords are 40 random characters;
- keeps no history and no minimum age (`passwordHistoryCount: 0`, `passwordMinAgeMinutes: 0`),
  so alternating rotation may renew an account's password whenever its turn comes;
- turns off every self-service recovery (email, SMS, call, question): nobody resets a bind
  account's password but the stack; its rule denies self-service reset and unlock.
Okta-sourced users only (`authProvider: OKTA`), as the bind accounts are.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_okta as okta

from components.config import BindPolicySettings
from components.okta.sign_on import bind_placement

POLICY_DESCRIPTION = (
    "Managed by Pulumi (okta-ldap-immuta). Only the LDAP bind service accounts: their passwords "
    "never expire and never lock out; only the stack sets them."
)
RULE_NAME = "Bind accounts: no self-service"
# The settings the policy pack and check 8 hold the policy to.
SETTINGS: dict[str, object] = {
    "authProvider": "OKTA",
    "passwordMaxAgeDays": 0,
    "passwordExpireWarnDays": 0,
    "passwordMaxLockoutAttempts": 0,
    "passwordAutoUnlockMinutes": 0,
    "passwordHistoryCount": 0,
    "passwordMinAgeMinutes": 0,
    "emailRecovery": "INACTIVE",
    "smsRecovery": "INACTIVE",
    "callRecovery": "INACTIVE",
    "questionRecovery": "INACTIVE",
}


@dataclass(frozen=True, kw_only=True)
class BindPasswordPolicyArgs:
    settings: BindPolicySettings
    group_id: pulumi.Input[str]  # the bind group


class BindPasswordPolicy(pulumi.ComponentResource):
    """The policy and its one rule (the rule waits for the policy)."""

    policy_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: BindPasswordPolicyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("okta-ldap-immuta:okta:BindPasswordPolicy", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # First of its kind like the bind-account sign-on policy, and placed the same way: with
        # several stacks in one org the priority is set at creation, then left to Okta.
        placement = bind_placement(args.settings.org_stacks)
        policy = okta.policy.Password(
            f"{name}-policy",
            name=args.settings.password_policy_name,
            description=POLICY_DESCRIPTION,
            groups_included=[args.group_id],
            priority=placement.priority,
            status="ACTIVE",
            auth_provider="OKTA",
            password_max_age_days=0,
            password_expire_warn_days=0,
            password_max_lockout_attempts=0,
            password_auto_unlock_minutes=0,
            password_history_count=0,
            password_min_age_minutes=0,
            email_recovery="INACTIVE",
            sms_recovery="INACTIVE",
            call_recovery="INACTIVE",
            question_recovery="INACTIVE",
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=placement.ignore_changes),
        )
        okta.policy.RulePassword(
            f"{name}-rule",
            policy_id=policy.id,
            name=RULE_NAME,
            priority=1,
            status="ACTIVE",
            password_change="ALLOW",  # harmless: the accounts have no one to sign in as them
            password_reset="DENY",
            password_unlock="DENY",
            opts=child,
        )
        self.policy_id = policy.id
        self.register_outputs({"policyId": policy.id})
