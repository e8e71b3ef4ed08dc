"""Stack config in (`namespace:key` -> text, as the engine passes it), Settings out.

Every problem is collected into one SettingsError: type errors (against `Pulumi.yaml`), unknown
keys, each key's own rules, rules across keys, and whether each fact can be written into
pg_hba.conf. Nothing is registered or called before this has passed.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from components.config._credentials import CredentialValueError, holds_credentials
from components.config._model import NAME_MAX, ConfigModel
from components.config._peers import (
    StackClaims,
    claims_of,
    org_stacks,
    peer_problems,
    stack_named,
)
from components.config._problems import Problem, SettingsError, merge_retyped
from components.config._providers import FREE_NAMESPACES, PROVIDER_KEYS, PROVIDER_SECRET_KEYS
from components.config._rules import (
    OKTA_DOMAIN_KEY,
    OKTA_ORG_KEY,
    alternating,
    bind_accounts,
    optional_secret,
    pg_hba_problems,
    required,
    sign_on,
)
from components.config._schema import KeySpec, ProjectSchema, project_schema
from components.config._settings import (
    BindAccount,
    BindPolicySettings,
    ImmutaSettings,
    MfaPolicySettings,
    QueryEngineSettings,
    RotationSettings,
    Settings,
)
from components.okta.ldap_interface import OKTA_DOMAINS, LdapDirectory, okta_ldap_directory

_ORG_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# Config key (alias) -> ConfigModel field name.
_FIELD_BY_ALIAS: dict[str, str] = {f.alias or n: n for n, f in ConfigModel.model_fields.items()}
# Keys earlier versions had: what replaced them.
_REMOVED = {
    "mfaPolicyPriority": "removed: the stack's priorities are fixed and contiguous (the "
    "bind-account policy 1, the MFA policy 2); see docs/okta-sign-on.md",
}
_ALLOWED_TYPE = {
    "integer": "a whole number",
    "boolean": "true or false",
    "array": "a YAML list",
    "object": "a YAML mapping",
}


def decode_value(spec: KeySpec, raw: str) -> tuple[Any, str | None]:
    """(value of the declared type, None) or (raw, why it is not of that type)."""
    if spec.type == "string":
        return raw, None
    if spec.type == "integer":
        text = raw.strip()
        if text.lstrip("-").isdigit():
            return int(text), None
    elif spec.type == "boolean":
        if raw in ("true", "false"):
            return raw == "true", None
    else:
        empty: Any = [] if spec.type == "array" else {}
        if not raw.strip():
            return empty, None
        try:
            decoded = json.loads(raw)
        except json.JSONDecodeError:
            decoded = None
        if isinstance(decoded, type(empty)):
            return decoded, None
    return raw, f"must be of type '{spec.type}': {_ALLOWED_TYPE[spec.type]}"


def _okta_org(config: Mapping[str, str]) -> tuple[tuple[str, str] | None, list[Problem]]:
    org = config.get(OKTA_ORG_KEY)
    domain = config.get(OKTA_DOMAIN_KEY, "okta.com")
    problems: list[Problem] = []
    if not org:
        problems.append(Problem(OKTA_ORG_KEY, "required: your Okta org's subdomain, e.g. acme"))
    elif not _ORG_RE.fullmatch(org):
        hint = ""
        if "." in org:
            hint = f"; set only the subdomain ({org.split('.')[0].split('//')[-1]!r})"
        problems.append(
            Problem(
                OKTA_ORG_KEY,
                "an Okta org subdomain: lowercase letters, digits and inner hyphens" + hint,
                org,
            )
        )
    if domain not in OKTA_DOMAINS:
        problems.append(Problem(OKTA_DOMAIN_KEY, f"one of {', '.join(OKTA_DOMAINS)}", domain))
    if problems or not org:
        return None, problems
    return (org, domain), []


def _key_problems(
    schema: ProjectSchema, config: Mapping[str, str], secret_keys: frozenset[str] | None
) -> list[Problem]:
    """Keys nobody reads (typos, removed keys, unknown namespaces), keys encrypted that are not
    secret, and provider credentials typed in plain."""
    known = {schema.name: frozenset(schema.keys), **PROVIDER_KEYS}
    everything = [f"{ns}:{k}" for ns, keys in known.items() for k in sorted(keys)]
    problems = []
    for full_key in sorted(config):
        namespace, _, name = full_key.partition(":")
        if namespace in FREE_NAMESPACES or name in known.get(namespace, ()):
            plain = secret_keys is not None and full_key not in secret_keys
            if plain and full_key in PROVIDER_SECRET_KEYS and config[full_key]:
                problems.append(
                    Problem(
                        full_key,
                        f"a credential: set it with `pulumi config set --secret {full_key}` "
                        "(plain config is printed in plans, snapshots and state)",
                        None,
                        True,
                    )
                )
            continue
        if namespace == schema.name and name in _REMOVED:
            problems.append(Problem(full_key, _REMOVED[name]))
            continue
        if namespace in known:
            close = difflib.get_close_matches(name, sorted(known[namespace]), n=1, cutoff=0.6)
            close = close or [k for k in known[namespace] if k.lower() == name.lower()]
            hint = f"did you mean {namespace}:{close[0]}?" if close else "see Pulumi.yaml"
            problems.append(Problem(full_key, f"unknown key; {hint}"))
            continue
        close = difflib.get_close_matches(full_key, everything, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else ""
        problems.append(
            Problem(
                full_key,
                f"unknown namespace {namespace!r} (this stack reads "
                f"{', '.join(sorted(known))}){hint}",
            )
        )
    for full_key in sorted(secret_keys or ()):
        namespace, _, name = full_key.partition(":")
        if namespace == schema.name and name in schema.keys and not schema.keys[name].secret:
            problems.append(
                Problem(
                    full_key,
                    "is not a secret key: set it without --secret (its value is shown in plans; "
                    "credentials have keys of their own, see Pulumi.yaml)",
                    None,
                    True,
                )
            )
    return problems


def _parse(
    schema: ProjectSchema, config: Mapping[str, str], secret_keys: frozenset[str] | None
) -> tuple[ConfigModel | None, list[Problem]]:
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for name, spec in schema.keys.items():
        full = schema.full(name)
        raw = config.get(full)
        if raw is None:  # only a key without a default (a credential) can be missing
            values[name] = spec.default_text if spec.has_default else ""
            continue
        secret = spec.secret or full in (secret_keys or ())
        explicit = raw and not (spec.has_default and raw == spec.default_text)
        if spec.secret and secret_keys is not None and explicit and full not in secret_keys:
            problems.append(
                Problem(full, "must be encrypted: `pulumi config set --secret`", None, True)
            )
        value, error = decode_value(spec, raw)
        if error is not None:
            secret = secret or holds_credentials(raw)
            problems.append(Problem(full, error, None if secret else raw, secret))
            value = spec.default_text if spec.has_default else ""
            value = decode_value(spec, value)[0]
        values[name] = value
    try:
        return ConfigModel.model_validate(values), problems
    except ValidationError as exc:
        bad: set[str] = set()
        for err in exc.errors(include_url=False):
            name = str(err["loc"][0]) if err["loc"] else ""
            bad.add(name)
            full = schema.full(name)
            secret = (
                (name in schema.keys and schema.keys[name].secret)
                or full in (secret_keys or ())
                or isinstance((err.get("ctx") or {}).get("error"), CredentialValueError)
                or holds_credentials(values.get(name))
            )
            message = err["msg"].removeprefix("Value error, ")
            value = None if secret else values.get(name)
            problems.append(Problem(schema.full(name), message, value, secret))
    # Keep checking what is left (cross-key rules) with defaults in place of the bad values,
    # so one run reports every problem.
    rest = {
        k: (decode_value(schema.keys[k], schema.keys[k].default_text)[0] if k in bad else v)
        for k, v in values.items()
    }
    try:
        return ConfigModel.model_validate(rest), problems
    except ValidationError:
        return None, problems


def _secrets(
    schema: ProjectSchema, config: Mapping[str, str], secret_keys: frozenset[str] | None
) -> list[str]:
    """Every value a report must never show: secure entries, secret keys, URL credentials."""
    found = []
    for key, value in config.items():
        namespace, _, name = key.partition(":")
        declared = namespace == schema.name and name in schema.keys and schema.keys[name].secret
        if declared or key in PROVIDER_SECRET_KEYS or key in (secret_keys or ()):
            found.append(value)
        if "@" in value:  # user:password@host in a URL, wherever it was typed
            with contextlib.suppress(ValueError):
                parts = urlsplit(value.strip())
                found += [p for p in (parts.password, parts.username) if p]
    return found


def _one_per_key(problems: list[Problem]) -> list[Problem]:
    """Drop "required" for a key that already has a more specific problem (a value that did
    not validate is not also missing)."""
    specific = {p.key for p in problems if not p.message.startswith("required")}
    return [p for p in problems if not (p.message.startswith("required") and p.key in specific)]


def load_settings(
    config: Mapping[str, str],
    *,
    secret_keys: frozenset[str] | None = None,
    source: str = "",
    file_problems: Sequence[Problem] = (),
    stack: str | None = None,
    peers: Sequence[StackClaims] = (),
) -> Settings:
    """Validate a stack config map into Settings; `Pulumi.yaml` supplies every default.

    `secret_keys` (when known) are the keys set with `--secret`; `source` names the stack
    file in the report, and `file_problems` are what only reading that file showed. `stack`
    (default: from `source`) fills `{stack}` in the Okta objects' names; `peers` are the other
    stack files' claims (`_peers.read_peer_claims`): a clash with one is a problem here, and
    the stacks sharing this Okta org place their sign-on policies together. Raises
    SettingsError listing every problem, secret values masked wherever they appear.
    """
    schema = project_schema()
    config = schema.with_defaults(config)
    stack = stack or _stack_of(source)
    me = claims_of(schema, stack, config, source)
    secrets = _secrets(schema, config, secret_keys)
    org, problems = _okta_org(config)
    problems = [*file_problems, *problems, *_key_problems(schema, config, secret_keys)]
    cfg, parse_problems = _parse(schema, config, secret_keys)
    problems += parse_problems
    accounts: tuple[BindAccount, ...] = ()
    if cfg is not None:
        accounts, account_problems = bind_accounts(schema, cfg)
        accounts, pair_problems = alternating(schema, cfg, accounts)
        account_problems += pair_problems
        problems += account_problems + sign_on(schema, cfg) + required(schema, cfg)
        problems += peer_problems(schema, me, peers) + _named_problems(schema, me)
    if problems or org is None or cfg is None:
        problems = merge_retyped(_one_per_key(problems))
        raise SettingsError(problems, source=source, secrets=secrets)
    directory = okta_ldap_directory(
        *org,
        transport=cfg.ldap_transport,
        host=cfg.ldap_host or None,
        port=cfg.ldap_port or None,
    )
    problems = pg_hba_problems(schema, directory, accounts, cfg)
    if problems:
        raise SettingsError(problems, source=source, secrets=secrets)
    return Settings(
        directory=directory,
        bind_accounts=accounts,
        bind_policy=BindPolicySettings(
            group_name=stack_named(cfg.bind_group_name, stack),
            policy_name=stack_named(cfg.bind_policy_name, stack),
            rule_name=cfg.bind_rule_name,
            deny_other_sign_ins=cfg.bind_deny_other_sign_ins,
            engine=cfg.okta_engine,
            identity_provider_condition=cfg.okta_identity_provider_condition,
            org_stacks=len(org_stacks(me, peers)),
        ),
        mfa=MfaPolicySettings(
            name=stack_named(cfg.mfa_policy_name, stack),
            group_ids=cfg.mfa_policy_groups,
            rule_name=cfg.mfa_rule_name,
            prompt=cfg.mfa_prompt,
            ldap_interface_rule=cfg.ldap_interface_rule,
            engine=cfg.okta_engine,
            identity_provider_condition=cfg.okta_identity_provider_condition,
            factor_lifetime_minutes=cfg.mfa_factor_lifetime_minutes,
            org_stacks=len(org_stacks(me, peers)),
        )
        if cfg.mfa_policy_groups
        else None,
        iam_id=cfg.immuta_iam_id,
        query_engine=QueryEngineSettings(
            client_cidrs=cfg.query_engine_client_cidrs,
            database=cfg.query_engine_database,
            search_filter=cfg.query_engine_search_filter or None,
            ldap_mode=cfg.query_engine_ldap_mode,
            extra_rules=cfg.query_engine_extra_pg_hba_rules,
            chart=cfg.helm_chart,
            repository=cfg.helm_repository,
            chart_version=cfg.helm_chart_version,
            namespace=cfg.helm_namespace,
            release_name=cfg.helm_release_name,
            repository_username=cfg.helm_repository_username or None,
            repository_password=optional_secret(cfg.helm_repository_password),
            base_values=cfg.helm_values,
            secret_values=cfg.helm_secret_values,
        ),
        immuta=ImmutaSettings(
            display_name=cfg.immuta_iam_display_name,
            adopt=cfg.immuta_iam_adopt,
            test_before_save=cfg.immuta_test_before_save,
            sync_cron=cfg.immuta_sync_cron,
            profile={"name": "cn", "email": "mail"},
        ),
        rotation=RotationSettings(
            mode=cfg.bind_account_rotation,
            trigger=cfg.bind_password_rotation,
            count=cfg.bind_rotation_count,
        ),
        warnings=_warnings(cfg, directory),
    )


def _named_problems(schema: ProjectSchema, me: StackClaims) -> list[Problem]:
    """The Okta names once `{stack}` is filled in: still within Okta's limit."""
    return [
        Problem(
            schema.full(key),
            f"at most {NAME_MAX} characters once {{stack}} is filled in ({len(name)} with stack "
            f"{me.stack!r}); shorten the name or set it without {{stack}}",
            name,
        )
        for key, name in me.names.items()
        if len(name) > NAME_MAX
    ]


def _stack_of(source: str) -> str:
    """The stack a stack file is for: stacks/Pulumi.<stack>.yaml."""
    name = PurePath(source).name
    if name.startswith("Pulumi.") and name.endswith(".yaml"):
        return name.removeprefix("Pulumi.").removesuffix(".yaml")
    return "stack"


def _warnings(cfg: ConfigModel, directory: LdapDirectory) -> tuple[str, ...]:
    standard = {"ldaps": 636, "starttls": 389}
    other = {"ldaps": "starttls", "starttls": "ldaps"}[directory.transport]
    if cfg.ldap_port and cfg.ldap_port == standard[other]:
        return (
            f"ldapPort {cfg.ldap_port} is the standard port of {other}, but ldapTransport is "
            f"{directory.transport}: Okta answers {directory.transport} on "
            f"{standard[directory.transport]}; every login will fail unless a proxy translates",
        )
    return ()
