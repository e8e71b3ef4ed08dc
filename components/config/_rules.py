"""Rules across keys: bind accounts per mode, sign-on, required keys, and whether each fact
the pg_hba rule carries can be written there (each problem named after the key it comes from).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from pydantic import SecretStr

from components.config._model import NAME_MAX, OKTA_LOGIN_MAX, RULE_NAME_MAX, ConfigModel
from components.config._problems import Problem
from components.config._schema import ProjectSchema
from components.config._settings import (
    ENROLLMENT_POLICY_SUFFIX,
    LDAP_RULE_SUFFIX,
    PASSWORD_POLICY_SUFFIX,
    BindAccount,
    Consumer,
)
from components.immuta.iam_document import query_engine_role
from components.okta.ldap_interface import LdapDirectory
from components.query_engine.pg_hba import PgHbaError, quote

OKTA_ORG_KEY = "okta:orgName"
OKTA_DOMAIN_KEY = "okta:baseUrl"


def optional_secret(value: SecretStr) -> SecretStr | None:
    """An empty secret config value means "not set"."""
    return value if value.get_secret_value() else None


def bind_accounts(
    schema: ProjectSchema, cfg: ConfigModel
) -> tuple[tuple[BindAccount, ...], list[Problem]]:
    per_consumer = {
        "immutaBindLogin": cfg.immuta_bind_login,
        "queryEngineBindLogin": cfg.query_engine_bind_login,
        "immutaBindPassword": cfg.immuta_bind_password.get_secret_value(),
        "queryEngineBindPassword": cfg.query_engine_bind_password.get_secret_value(),
    }
    shared = {
        "sharedBindLogin": cfg.shared_bind_login,
        "sharedBindPassword": cfg.shared_bind_password.get_secret_value(),
    }
    problems: list[Problem] = []
    mode_key = schema.full("bindAccountMode")

    def forbid(unused: Mapping[str, str], when: str) -> None:
        for name, value in unused.items():
            if value:
                secret = schema.keys[name].secret
                problems.append(
                    Problem(
                        schema.full(name),
                        f"not used when {when}; remove it",
                        None if secret else value,
                        secret,
                    )
                )

    if cfg.query_engine_ldap_mode == "simpleBind":
        accounts, simple_problems = _simple_bind_accounts(schema, cfg, forbid)
        return accounts, problems + simple_problems
    if cfg.bind_account_mode == "shared":
        forbid(per_consumer, f"{mode_key} is 'shared'")
        if not cfg.shared_bind_login:
            problems.append(
                Problem(schema.full("sharedBindLogin"), "required when bindAccountMode is 'shared'")
            )
        account = BindAccount(
            key="shared",
            login=cfg.shared_bind_login,
            password=optional_secret(cfg.shared_bind_password),
            consumers=(Consumer.IMMUTA, Consumer.QUERY_ENGINE),
        )
        return (account,), problems

    forbid(shared, f"{mode_key} is 'perConsumer'")
    for name in ("immutaBindLogin", "queryEngineBindLogin"):
        if not per_consumer[name]:
            problems.append(
                Problem(schema.full(name), "required: one Okta bind account per consumer")
            )
    if cfg.immuta_bind_login and (
        cfg.immuta_bind_login.casefold() == cfg.query_engine_bind_login.casefold()
    ):
        problems.append(
            Problem(
                schema.full("queryEngineBindLogin"),
                "duplicates immutaBindLogin (Okta logins ignore case); use a second account, "
                f"or set {mode_key} to 'shared' and sharedBindLogin",
                cfg.query_engine_bind_login,
            )
        )
    accounts = (
        BindAccount(
            key="immuta",
            login=cfg.immuta_bind_login,
            password=optional_secret(cfg.immuta_bind_password),
            consumers=(Consumer.IMMUTA,),
        ),
        BindAccount(
            key="query-engine",
            login=cfg.query_engine_bind_login,
            password=optional_secret(cfg.query_engine_bind_password),
            consumers=(Consumer.QUERY_ENGINE,),
        ),
    )
    return accounts, problems


def _simple_bind_accounts(
    schema: ProjectSchema, cfg: ConfigModel, forbid: Callable[[Mapping[str, str], str], None]
) -> tuple[tuple[BindAccount, ...], list[Problem]]:
    """simpleBind: the Query Engine binds as each user; only Immuta's sync has an account."""
    problems: list[Problem] = []
    mode = f"{schema.full('queryEngineLdapMode')} is 'simpleBind'"
    if cfg.bind_account_mode == "shared":
        problems.append(
            Problem(
                schema.full("bindAccountMode"),
                "with queryEngineLdapMode simpleBind the Query Engine needs no bind account, so "
                "nothing is shared: use perConsumer and set only immutaBindLogin",
                cfg.bind_account_mode,
            )
        )
    forbid(
        {
            "queryEngineBindLogin": cfg.query_engine_bind_login,
            "queryEngineBindPassword": cfg.query_engine_bind_password.get_secret_value(),
            "sharedBindLogin": cfg.shared_bind_login,
            "sharedBindPassword": cfg.shared_bind_password.get_secret_value(),
            "queryEngineSearchFilter": cfg.query_engine_search_filter,
        },
        mode,
    )
    if not cfg.immuta_bind_login:
        problems.append(
            Problem(schema.full("immutaBindLogin"), "required: Immuta's LDAP sync binds with it")
        )
    account = BindAccount(
        key="immuta",
        login=cfg.immuta_bind_login,
        password=optional_secret(cfg.immuta_bind_password),
        consumers=(Consumer.IMMUTA,),
    )
    return (account,), problems


def alternating(
    schema: ProjectSchema, cfg: ConfigModel, accounts: tuple[BindAccount, ...]
) -> tuple[tuple[BindAccount, ...], list[Problem]]:
    """Alternating rotation: each account becomes a pair; B's login is A's with -b before @."""
    problems: list[Problem] = []
    if cfg.bind_account_rotation == "single":
        if cfg.bind_rotation_count:
            problems.append(
                Problem(
                    schema.full("bindRotationCount"),
                    "used only with bindAccountRotation alternating; in single mode change "
                    "bindPasswordRotation to rotate",
                    cfg.bind_rotation_count,
                )
            )
        return accounts, problems
    if cfg.bind_password_rotation:
        problems.append(
            Problem(
                schema.full("bindPasswordRotation"),
                "not used with bindAccountRotation alternating: add one to bindRotationCount",
                cfg.bind_password_rotation,
            )
        )
    paired = []
    for account in accounts:
        key = {"immuta": "immutaBindPassword", "query-engine": "queryEngineBindPassword"}.get(
            account.key, "sharedBindPassword"
        )
        if account.password is not None:
            problems.append(
                Problem(
                    schema.full(key),
                    "alternating rotation generates both accounts' passwords; remove it",
                    None,
                    True,
                )
            )
        local, _, domain = account.login.rpartition("@")
        alternate = f"{local}-b@{domain}"
        if len(alternate) > OKTA_LOGIN_MAX:
            problems.append(
                Problem(
                    schema.full("bindAccountRotation"),
                    f"account B's login {alternate!r} would pass Okta's {OKTA_LOGIN_MAX} "
                    "characters; shorten the login",
                )
            )
        paired.append(dataclasses.replace(account, alternate_login=alternate, password=None))
    logins = [x.casefold() for a in paired for x in (a.login, a.alternate_login or "")]
    if len(set(logins)) != len(logins):
        problems.append(
            Problem(
                schema.full("bindAccountRotation"),
                "the accounts' B logins (-b before the @) collide with another bind login",
            )
        )
    return tuple(paired), problems


OKTA_DEFAULT_NAMES = {  # Okta's own: the org's default policy, the rule it adds to each policy
    "bindPolicyName": "Default Policy",
    "mfaPolicyName": "Default Policy",
    "bindRuleName": "Default Rule",
    "mfaRuleName": "Default Rule",
}


def sign_on(schema: ProjectSchema, cfg: ConfigModel) -> list[Problem]:
    """Rules across the sign-on keys."""
    problems = []
    names = {
        "bindPolicyName": cfg.bind_policy_name,
        "mfaPolicyName": cfg.mfa_policy_name,
        "bindRuleName": cfg.bind_rule_name,
        "mfaRuleName": cfg.mfa_rule_name,
    }
    for key, reserved in OKTA_DEFAULT_NAMES.items():
        if names[key].casefold() == reserved.casefold():
            problems.append(
                Problem(
                    schema.full(key),
                    f"{reserved!r} is the name Okta gives its own "
                    f"{'default policy' if 'Policy' in reserved else 'automatic rule'}; "
                    "choose another",
                    names[key],
                )
            )
    if cfg.mfa_policy_groups and cfg.mfa_policy_name == cfg.bind_policy_name:
        problems.append(
            Problem(
                schema.full("mfaPolicyName"),
                "must differ from bindPolicyName (Okta policy names are unique)",
                cfg.mfa_policy_name,
            )
        )
    suffix = max(PASSWORD_POLICY_SUFFIX, ENROLLMENT_POLICY_SUFFIX, key=len)
    if len(cfg.bind_policy_name) + len(suffix) > NAME_MAX:
        problems.append(
            Problem(
                schema.full("bindPolicyName"),
                f"at most {NAME_MAX - len(suffix)} characters: the bind group's password "
                f"and MFA enrollment policies are named after it plus {suffix!r}",
                cfg.bind_policy_name,
            )
        )
    longest = RULE_NAME_MAX - len(LDAP_RULE_SUFFIX)
    if cfg.ldap_interface_rule != "none" and len(cfg.mfa_rule_name) > longest:
        problems.append(
            Problem(
                schema.full("mfaRuleName"),
                f"at most {longest} characters with ldapInterfaceRule: the LDAP rule is named "
                f"after it plus {LDAP_RULE_SUFFIX!r} and Okta allows {RULE_NAME_MAX}",
                cfg.mfa_rule_name,
            )
        )
    if not cfg.mfa_policy_groups and cfg.ldap_interface_rule != "none":
        problems.append(
            Problem(
                schema.full("ldapInterfaceRule"),
                "a rule of the MFA policy: set mfaPolicyGroups to create that policy, or "
                "leave this at 'none'",
                cfg.ldap_interface_rule,
            )
        )
    return problems


def required(schema: ProjectSchema, cfg: ConfigModel) -> list[Problem]:
    """Keys with an empty default that a deployable stack must set."""
    required = {
        "immutaIamId": (cfg.immuta_iam_id, "the Immuta IAM id, e.g. okta (its role is <id>_user)"),
        "helmChartVersion": (cfg.helm_chart_version, "pin the Immuta chart version, e.g. 4.13.5"),
        "immutaUrl": (cfg.immuta_url, "the https:// address of Immuta"),
        "immutaApiKey": (
            cfg.immuta_api_key.get_secret_value(),
            f"`pulumi config set --secret {schema.full('immutaApiKey')} <key>`",
        ),
    }
    return [
        Problem(schema.full(key), f"required: {hint}")
        for key, (value, hint) in required.items()
        if not value
    ]


def pg_hba_problems(
    schema: ProjectSchema,
    directory: LdapDirectory,
    accounts: tuple[BindAccount, ...],
    cfg: ConfigModel,
) -> list[Problem]:
    """Each fact the pg_hba rule carries, checked where it comes from (the key that sets it)."""
    host_key = schema.full("ldapHost") if cfg.ldap_host else OKTA_ORG_KEY
    facts = [
        (host_key, "ldapserver", directory.host),
        (OKTA_ORG_KEY, "ldapbasedn", directory.users_base_dn),
        (OKTA_ORG_KEY, "ldapsuffix", directory.root_dn),
        (
            schema.full("queryEngineSearchFilter"),
            "ldapsearchfilter",
            cfg.query_engine_search_filter,
        ),
    ]
    for qe in (a for a in accounts if Consumer.QUERY_ENGINE in a.consumers):
        login_key = "sharedBindLogin" if qe.key == "shared" else "queryEngineBindLogin"
        facts.append((schema.full(login_key), "ldapbinddn", directory.bind_dn(qe.login)))
    problems = []
    for key, option, value in facts:
        if not value:
            continue
        try:
            quote(option, value)
        except PgHbaError as exc:
            problems.append(Problem(key, str(exc)))
    if cfg.immuta_iam_id and len(query_engine_role(cfg.immuta_iam_id).encode()) > 63:
        problems.append(Problem(schema.full("immutaIamId"), "too long for a PostgreSQL role name"))
    return problems
