"""Okta LDAP Interface -> Immuta Query Engine: one stack per environment."""

import pulumi

from components.immuta_iam import ImmutaLdapIam, ImmutaLdapIamArgs
from components.okta_bind_accounts import BindAccountsArgs, OktaBindAccounts
from components.okta_mfa_policy import MfaSignOnPolicy, MfaSignOnPolicyArgs
from components.pulumi_config import load_current_settings
from components.query_engine import ImmutaQueryEngine, QueryEngineArgs
from components.settings import Consumer, SettingsError

try:
    settings = load_current_settings()
except SettingsError as exc:  # before any resource is registered
    raise pulumi.RunError(str(exc)) from None

directory = settings.directory
bind_accounts = OktaBindAccounts(
    "ldap-bind-accounts",
    BindAccountsArgs(
        accounts=settings.bind_accounts,
        directory=directory,
        rotation=settings.password_rotation,
    ),
)
mfa = MfaSignOnPolicy(
    "mfa-sign-on",
    MfaSignOnPolicyArgs(settings=settings.mfa, exempt_user_ids=bind_accounts.user_ids),
)

iam = ImmutaLdapIam(
    "immuta-iam",
    ImmutaLdapIamArgs(
        settings=settings.immuta,
        iam_id=settings.iam_id,
        directory=directory,
        bind=bind_accounts.for_consumer(Consumer.IMMUTA),
    ),
)
query_engine = ImmutaQueryEngine(
    "query-engine",
    QueryEngineArgs(
        settings=settings.query_engine,
        directory=directory,
        iam_id=iam.iam_id,  # the role <id>_user follows the IAM resource
        bind=bind_accounts.for_consumer(Consumer.QUERY_ENGINE),
    ),
)

pulumi.export("ldapHost", directory.host)
pulumi.export("ldapPort", directory.port)
pulumi.export("ldapTransport", directory.transport)
pulumi.export("ldapUserBaseDn", directory.users_base_dn)
pulumi.export("ldapGroupBaseDn", directory.groups_base_dn)
pulumi.export(
    "bindDns",
    {c.value: bind_accounts.for_consumer(c).bind_dn for c in Consumer},
)
pulumi.export(
    "bindAccountIds",
    {c.value: bind_accounts.for_consumer(c).user_id for c in Consumer},
)
pulumi.export(
    "bindPasswords",  # secret; `make verify` binds with them
    pulumi.Output.secret({c.value: bind_accounts.for_consumer(c).password for c in Consumer}),
)
pulumi.export("mfaPolicyId", mfa.policy_id)
pulumi.export("immutaIamId", iam.iam_id)
pulumi.export("queryEngineRole", query_engine.role)
pulumi.export("pgHbaRules", query_engine.pg_hba_rules)
