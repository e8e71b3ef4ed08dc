"""The stack's output names: exported by the program, read by `make verify` and scripts."""

from enum import StrEnum


class StackOutput(StrEnum):
    LDAP_HOST = "ldapHost"
    LDAP_PORT = "ldapPort"
    LDAP_TRANSPORT = "ldapTransport"
    LDAP_USER_BASE_DN = "ldapUserBaseDn"
    LDAP_GROUP_BASE_DN = "ldapGroupBaseDn"
    BIND_DNS = "bindDns"  # per consumer
    BIND_ACCOUNT_IDS = "bindAccountIds"  # per consumer: the active account
    BIND_ACTIVE_LOGINS = "bindActiveLogins"  # per consumer: A or B with alternating rotation
    BIND_PASSWORDS = "bindPasswords"  # per consumer, secret
    BIND_GROUP_ID = "bindGroupId"
    BIND_POLICY_ID = "bindPolicyId"
    MFA_POLICY_ID = "mfaPolicyId"  # null when the stack creates no MFA policy
    BIND_PASSWORD_POLICY_ID = "bindPasswordPolicyId"  # the bind group's PASSWORD policy
    BIND_ENROLLMENT_POLICY_ID = "bindEnrollmentPolicyId"  # the bind group's MFA_ENROLL policy
    IMMUTA_IAM_ID = "immutaIamId"
    IMMUTA_SYNC_PROBLEM = "immutaSyncProblem"  # why the sync after the last save did not start
    QUERY_ENGINE_ROLE = "queryEngineRole"
    QUERY_ENGINE_LDAP_MODE = "queryEngineLdapMode"  # searchBind | simpleBind
    PG_HBA_RULES = "pgHbaRules"  # secret: they carry the bind password
