"""Okta LDAP Interface -> Immuta Query Engine: one stack per environment."""

import pulumi

from components.config import Consumer, SettingsError, load_current_settings
from components.immuta.iam import ImmutaLdapIam, ImmutaLdapIamArgs
from components.okta.bind_accounts import BindAccountsArgs, OktaBindAccounts
from components.okta.bind_enrollment_policy import BindEnrollmentPolicy, BindEnrollmentPolicyArgs
from components.okta.bind_password_policy import BindPasswordPolicy, BindPasswordPolicyArgs
from components.okta.bind_policy import BindAccountPolicy, BindAccountPolicyArgs
from components.okta.mfa_policy import MfaSignOnPolicy, MfaSignOnPolicyArgs
from components.outputs import StackOutput as Out
from components.query_engine.release import ImmutaQueryEngine, QueryEngineArgs

try:
    settings = load_current_settings()
except SettingsError as exc:  # before any resource is registered
    raise pulumi.RunError(str(exc)) from exc
for warning in settings.warnings:  # accepted, but worth a second look
    pulumi.log.warn(warning)

directory = settings.directory
bind_accounts = OktaBindAccounts(
    "ldap-bind-accounts",
    BindAccountsArgs(
        accounts=settings.bind_accounts,
        directory=directory,
        rotation=settings.rotation,
    ),
)
# Who binds with which account; the Query Engine has none in simpleBind mode.
binds = {c: cred for c in Consumer if (cred := bind_accounts.for_consumer(c)) is not None}
bind_policy = BindAccountPolicy(
    "bind-sign-on",
    BindAccountPolicyArgs(settings=settings.bind_policy, member_user_ids=bind_accounts.user_ids),
)
# The bind group's own password and MFA enrollment policies, first of their kinds.
bind_passwords = BindPasswordPolicy(
    "bind-passwords",
    BindPasswordPolicyArgs(settings=settings.bind_policy, group_id=bind_policy.group_id),
)
bind_enrollment = BindEnrollmentPolicy(
    "bind-enrollment",
    BindEnrollmentPolicyArgs(settings=settings.bind_policy, group_id=bind_policy.group_id),
)
mfa = (  # only for the groups the stack names; priority 2, written after the bind policy
    MfaSignOnPolicy(
        "mfa-sign-on",
        MfaSignOnPolicyArgs(settings=settings.mfa, exempt_user_ids=bind_accounts.user_ids),
        pulumi.ResourceOptions(depends_on=[bind_policy]),
    )
    if settings.mfa
    else None
)
iam = ImmutaLdapIam(
    "immuta-iam",
    ImmutaLdapIamArgs(
        settings=settings.immuta,
        iam_id=settings.iam_id,
        directory=directory,
        bind=binds[Consumer.IMMUTA],
    ),
)
query_engine = ImmutaQueryEngine(
    "query-engine",
    QueryEngineArgs(
        settings=settings.query_engine,
        directory=directory,
        iam_id=iam.iam_id,  # the role <id>_user follows the IAM resource
        bind=binds.get(Consumer.QUERY_ENGINE),
    ),
)

pulumi.export(Out.LDAP_HOST, directory.host)
pulumi.export(Out.LDAP_PORT, directory.port)
pulumi.export(Out.LDAP_TRANSPORT, directory.transport)
pulumi.export(Out.LDAP_USER_BASE_DN, directory.users_base_dn)
pulumi.export(Out.LDAP_GROUP_BASE_DN, directory.groups_base_dn)
pulumi.export(Out.BIND_DNS, {c.value: cred.bind_dn for c, cred in binds.items()})
pulumi.export(Out.BIND_ACCOUNT_IDS, {c.value: cred.user_id for c, cred in binds.items()})
pulumi.export(Out.BIND_ACTIVE_LOGINS, {c.value: cred.login for c, cred in binds.items()})
pulumi.export(  # secret; `make verify` binds with them
    Out.BIND_PASSWORDS,
    pulumi.Output.secret({c.value: cred.password for c, cred in binds.items()}),
)
pulumi.export(Out.BIND_GROUP_ID, bind_policy.group_id)
pulumi.export(Out.BIND_POLICY_ID, bind_policy.policy_id)
pulumi.export(Out.MFA_POLICY_ID, mfa.policy_id if mfa else None)
pulumi.export(Out.BIND_PASSWORD_POLICY_ID, bind_passwords.policy_id)
pulumi.export(Out.BIND_ENROLLMENT_POLICY_ID, bind_enrollment.policy_id)
pulumi.export(Out.IMMUTA_IAM_ID, iam.iam_id)
pulumi.export(Out.IMMUTA_SYNC_PROBLEM, iam.sync_problem)
pulumi.export(Out.QUERY_ENGINE_ROLE, query_engine.role)
pulumi.export(Out.QUERY_ENGINE_LDAP_MODE, settings.query_engine.ldap_mode)
pulumi.export(Out.PG_HBA_RULES, query_engine.pg_hba_rules)
