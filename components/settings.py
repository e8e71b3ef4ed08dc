"""Stack settings: stack config in, validated immutable models out (pure, no resources).

Every project key is declared in `Pulumi.yaml` with the same default as here; a test keeps
the two in step. The Okta org comes from the Okta provider's own `okta:orgName` and
`okta:baseUrl`, so it is never typed twice.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)

from components.ldap_names import OKTA_DOMAINS, LdapDirectory, Transport, okta_ldap_directory
from components.pg_hba import PgHbaError, carriable_problem, parse_line
from components.query_engine_rules import query_engine_rules

PROJECT = "okta-ldap-immuta"
OKTA_ORG_KEY = "okta:orgName"
OKTA_DOMAIN_KEY = "okta:baseUrl"
SECRET_KEYS: frozenset[str] = frozenset(
    {
        "immutaBindPassword",
        "queryEngineBindPassword",
        "sharedBindPassword",
        "helmRepositoryPassword",
        "immutaApiKey",
    }
)
OKTA_LOGIN_MAX = 100
PASSWORD_MIN, PASSWORD_MAX = 12, 128
_ORG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_GROUP_ID_RE = re.compile(r"^00g[A-Za-z0-9]{17}$")
# Immuta names the Query Engine role `<id>_user`; pg_hba writes `+<id>_user` unquoted, and a
# PostgreSQL name has at most 63 bytes.
IAM_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,57}$")
_DNS_LABEL_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_HOSTNAME_RE = re.compile(
    r"^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$"
)


class Consumer(StrEnum):
    """Who binds to the LDAP Interface with a service account."""

    IMMUTA = "immuta"  # Immuta's LDAP IAM (user and group sync)
    QUERY_ENGINE = "queryEngine"  # PostgreSQL search+bind on every Query Engine login


@dataclass(frozen=True)
class Problem:
    """One bad config value: its key, the value (None when secret) and what is allowed."""

    key: str
    message: str
    value: Any = None
    secret: bool = False

    def __str__(self) -> str:
        if self.secret:
            return f"{self.key} = [secret]: {self.message}"
        if self.value is None:
            return f"{self.key}: {self.message}"
        text = json.dumps(self.value, ensure_ascii=False)
        shown = text if len(text) <= 80 else text[:77] + "..."
        return f"{self.key} = {shown}: {self.message}"


class SettingsError(ValueError):
    """Stack config that cannot be deployed; lists every problem found, secrets masked."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"invalid stack configuration ({len(self.problems)} problem(s)):\n{lines}")


def _printable(value: str) -> str:
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValueError("must not contain control characters (newline, tab, NUL, ...)")
    return value


def _okta_login(value: str) -> str:
    if not value:
        return value
    if len(value) > OKTA_LOGIN_MAX:
        raise ValueError(f"an Okta login has at most {OKTA_LOGIN_MAX} characters")
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(
            f"must be an Okta login in e-mail form (name@example.com): {exc}"
        ) from None
    return value


def _password(value: SecretStr) -> SecretStr:
    plain = value.get_secret_value()
    if not plain:
        return value
    if not PASSWORD_MIN <= len(plain) <= PASSWORD_MAX:
        raise ValueError(
            f"a bind password must have {PASSWORD_MIN} to {PASSWORD_MAX} characters; "
            "leave it unset to have one generated"
        )
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in plain):
        raise ValueError("a bind password must not contain control characters")
    return value


OktaLogin = Annotated[str, AfterValidator(_okta_login)]
BindPassword = Annotated[SecretStr, AfterValidator(_password)]
PolicyName = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_printable)]
RuleName = Annotated[str, Field(min_length=1, max_length=44), AfterValidator(_printable)]


class StackConfig(BaseModel):
    """The project's stack config keys, exactly as `pulumi config set` names them."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=False)

    ldap_transport: Transport = Field("ldaps", alias="ldapTransport")
    ldap_host: str = Field("", alias="ldapHost")
    ldap_port: int = Field(0, alias="ldapPort")
    bind_account_mode: Literal["perConsumer", "shared"] = Field(
        "perConsumer", alias="bindAccountMode"
    )
    immuta_bind_login: OktaLogin = Field("", alias="immutaBindLogin")
    query_engine_bind_login: OktaLogin = Field("", alias="queryEngineBindLogin")
    shared_bind_login: OktaLogin = Field("", alias="sharedBindLogin")
    immuta_bind_password: BindPassword = Field(SecretStr(""), alias="immutaBindPassword")
    query_engine_bind_password: BindPassword = Field(SecretStr(""), alias="queryEngineBindPassword")
    shared_bind_password: BindPassword = Field(SecretStr(""), alias="sharedBindPassword")
    mfa_policy_name: PolicyName = Field("Immuta LDAP: require MFA", alias="mfaPolicyName")
    mfa_policy_priority: int = Field(1, ge=1, le=100, alias="mfaPolicyPriority")
    mfa_policy_groups: tuple[str, ...] = Field((), alias="mfaPolicyGroups")
    mfa_rule_name: RuleName = Field("Require MFA; LDAP bind accounts exempt", alias="mfaRuleName")
    mfa_prompt: Literal["DEVICE", "SESSION", "ALWAYS"] = Field("ALWAYS", alias="mfaPrompt")
    ldap_interface_rule: Literal["none", "requireMfa", "passwordOnly"] = Field(
        "none", alias="ldapInterfaceRule"
    )
    immuta_iam_id: str = Field("", alias="immutaIamId")
    query_engine_client_cidrs: tuple[str, ...] = Field(
        ("0.0.0.0/0", "::/0"), alias="queryEngineClientCidrs"
    )
    query_engine_database: str = Field("immuta", alias="queryEngineDatabase")
    query_engine_search_filter: str = Field("", alias="queryEngineSearchFilter")
    query_engine_extra_pg_hba_rules: tuple[str, ...] = Field((), alias="queryEngineExtraPgHbaRules")
    helm_chart: str = Field("immuta", min_length=1, alias="helmChart")
    helm_repository: str = Field("https://archives.immuta.com/charts", alias="helmRepository")
    helm_chart_version: str = Field("", alias="helmChartVersion")
    helm_namespace: str = Field("immuta", alias="helmNamespace")
    helm_release_name: str = Field("immuta", alias="helmReleaseName")
    helm_repository_username: str = Field("", alias="helmRepositoryUsername")
    helm_repository_password: SecretStr = Field(SecretStr(""), alias="helmRepositoryPassword")
    helm_values: dict[str, Any] = Field(default_factory=dict, alias="helmValues")
    immuta_url: str = Field("", alias="immutaUrl")
    immuta_api_key: SecretStr = Field(SecretStr(""), alias="immutaApiKey")
    immuta_ca_certificate: str = Field("", alias="immutaCaCertificate")
    immuta_iam_display_name: PolicyName = Field("Okta LDAP", alias="immutaIamDisplayName")
    immuta_iam_adopt: bool = Field(False, alias="immutaIamAdopt")
    immuta_test_before_save: bool = Field(True, alias="immutaTestBeforeSave")
    immuta_sync_cron: str = Field("0 */6 * * *", alias="immutaSyncCron")
    immuta_timeout_seconds: int = Field(30, ge=1, le=300, alias="immutaTimeoutSeconds")
    bind_password_rotation: str = Field("", max_length=100, alias="bindPasswordRotation")

    @field_validator("immuta_url")
    @classmethod
    def _immuta_url(cls, value: str) -> str:
        if value and not re.match(r"^https://[^/\s?#]+(/[^\s?#]*)?$", value):
            raise ValueError("the https:// address of Immuta (no query or fragment; TLS only)")
        return value.rstrip("/")

    @field_validator("immuta_ca_certificate")
    @classmethod
    def _ca(cls, value: str) -> str:
        if value and "-----BEGIN CERTIFICATE-----" not in value:
            raise ValueError("PEM text of the CA certificate(s) Immuta's TLS chains to")
        return value

    @field_validator("immuta_sync_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        if len(value.split()) != 5:
            raise ValueError("a five-field cron rule, e.g. '0 */6 * * *'")
        return value

    @field_validator("immuta_iam_id")
    @classmethod
    def _iam_id(cls, value: str) -> str:
        if value and not IAM_ID_RE.match(value):
            raise ValueError(
                "1-58 letters, digits, _ or -, starting with a letter or digit "
                "(Immuta's role `<id>_user` is written unquoted in pg_hba.conf)"
            )
        return value

    @field_validator("query_engine_client_cidrs")
    @classmethod
    def _cidrs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("at least one client CIDR (0.0.0.0/0 and ::/0 allow every client)")
        for cidr in value:
            try:
                if "/" not in cidr:
                    raise ValueError("write the prefix length, e.g. 10.0.0.0/8 or 192.0.2.7/32")
                ipaddress.ip_network(cidr, strict=True)
            except ValueError as exc:
                raise ValueError(f"{cidr!r} is not a CIDR network: {exc}") from None
        if len(set(value)) != len(value):
            raise ValueError("CIDRs must not repeat")
        return value

    @field_validator("query_engine_database")
    @classmethod
    def _database(cls, value: str) -> str:
        if value in {"all", "sameuser", "samerole", "samegroup", "replication"}:
            raise ValueError("a pg_hba keyword, not a database name")
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$", value):
            raise ValueError("a plain PostgreSQL database name (letters, digits, _)")
        return value

    @field_validator("query_engine_search_filter")
    @classmethod
    def _search_filter(cls, value: str) -> str:
        if value and "$username" not in value:
            raise ValueError(
                "an LDAP filter using $username, e.g. (&(uid=$username)(objectClass=person))"
            )
        if value and carriable_problem(value):
            raise ValueError(f"cannot be written into pg_hba.conf: {carriable_problem(value)}")
        return value

    @field_validator("query_engine_extra_pg_hba_rules")
    @classmethod
    def _extra_rules(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for i, rule in enumerate(value):
            try:
                parsed = parse_line(rule)
            except PgHbaError as exc:
                raise ValueError(f"rule [{i}] does not parse as one pg_hba line: {exc}") from None
            if parsed.method == "trust":
                raise ValueError(
                    f"rule [{i}] uses trust: every client it matches logs in without a password"
                )
        return value

    @field_validator("helm_namespace", "helm_release_name")
    @classmethod
    def _dns_label(cls, value: str) -> str:
        if len(value) > 53 or not _DNS_LABEL_RE.match(value):
            raise ValueError("a DNS-1123 label: lowercase letters, digits and inner -, at most 53")
        return value

    @field_validator("helm_repository")
    @classmethod
    def _repository(cls, value: str) -> str:
        if not value.startswith(("https://", "oci://")):
            raise ValueError("an https:// or oci:// chart repository (plain http is refused)")
        return value

    @field_validator("helm_values")
    @classmethod
    def _values(cls, value: dict[str, Any]) -> dict[str, Any]:
        if "clientPgHBARules" in (value.get("queryEngine") or {}):
            raise ValueError(
                "queryEngine.clientPgHBARules is built by this stack; "
                "put your own rules in queryEngineExtraPgHbaRules"
            )
        return value

    @field_validator("ldap_host")
    @classmethod
    def _host(cls, value: str) -> str:
        if not value:
            return value
        if "://" in value or ":" in value.replace("::", ""):
            raise ValueError("a bare host name or IP address (no scheme, no port: use ldapPort)")
        try:
            ipaddress.ip_address(value)
        except ValueError:
            if not _HOSTNAME_RE.match(value):
                raise ValueError("a valid DNS host name or IP address") from None
        return value

    @field_validator("ldap_port")
    @classmethod
    def _port(cls, value: int) -> int:
        if not 0 <= value <= 65535:
            raise ValueError("a TCP port from 1 to 65535, or 0 for the transport's standard port")
        return value

    @field_validator("mfa_policy_groups")
    @classmethod
    def _groups(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for group_id in value:
            if not _GROUP_ID_RE.match(group_id):
                raise ValueError(
                    f"{group_id!r} is not an Okta group id (00g + 17 letters/digits); "
                    "leave the list empty for the Everyone group"
                )
        if len(set(value)) != len(value):
            raise ValueError("group ids must not repeat")
        return value


@dataclass(frozen=True)
class OktaOrg:
    """The Okta org, read from the Okta provider's own config keys."""

    org_name: str
    domain: str


@dataclass(frozen=True)
class BindAccount:
    """One LDAP bind service account and the consumers that bind with it."""

    key: str  # stable resource-name stem: "immuta", "query-engine" or "shared"
    login: str
    password: SecretStr | None  # None: generated by the stack
    consumers: tuple[Consumer, ...]

    @property
    def last_name(self) -> str:
        return {"immuta": "Immuta LDAP Sync", "query-engine": "Immuta Query Engine"}.get(
            self.key, "Immuta Shared"
        )


@dataclass(frozen=True)
class MfaPolicySettings:
    """The sign-on policy that requires MFA, bind accounts exempt."""

    name: str
    priority: int
    group_ids: tuple[str, ...]  # empty: the org's Everyone group
    rule_name: str
    prompt: Literal["DEVICE", "SESSION", "ALWAYS"]
    ldap_interface_rule: Literal["none", "requireMfa", "passwordOnly"]


@dataclass(frozen=True)
class QueryEngineSettings:
    """The Query Engine's pg_hba rules and the Immuta Helm release that carries them."""

    client_cidrs: tuple[str, ...]
    database: str
    search_filter: str | None  # None: search by `uid`
    extra_rules: tuple[str, ...]
    chart: str
    repository: str
    chart_version: str
    namespace: str
    release_name: str
    repository_username: str | None
    repository_password: SecretStr | None = field(repr=False)
    base_values: Mapping[str, Any]


@dataclass(frozen=True)
class ImmutaSettings:
    """Immuta's LDAP IAM. The URL and API key are read by the provider, not the program."""

    display_name: str
    adopt: bool
    test_before_save: bool
    sync_cron: str
    profile: Mapping[str, str]


@dataclass(frozen=True)
class Settings:
    """Everything the program needs, derived from a validated StackConfig."""

    okta: OktaOrg
    directory: LdapDirectory
    bind_accounts: tuple[BindAccount, ...]
    mfa: MfaPolicySettings
    iam_id: str
    query_engine: QueryEngineSettings
    immuta: ImmutaSettings
    password_rotation: str


def project_key(name: str) -> str:
    return f"{PROJECT}:{name}"


# Config key (alias) -> StackConfig field name, in declaration order.
_FIELD_BY_ALIAS: dict[str, str] = {f.alias or n: n for n, f in StackConfig.model_fields.items()}


def declared_keys() -> tuple[str, ...]:
    """The project's config keys (without the project prefix), in declaration order."""
    return tuple(_FIELD_BY_ALIAS)


def _optional_secret(value: SecretStr) -> SecretStr | None:
    """An empty secret config value means "not set"."""
    return value if value.get_secret_value() else None


def _load_okta_org(config: Mapping[str, str]) -> tuple[OktaOrg | None, list[Problem]]:
    org = config.get(OKTA_ORG_KEY)
    domain = config.get(OKTA_DOMAIN_KEY, "okta.com")
    problems: list[Problem] = []
    if not org:
        problems.append(Problem(OKTA_ORG_KEY, "required: your Okta org's subdomain, e.g. acme"))
    elif not _ORG_RE.match(org):
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
    if problems:
        return None, problems
    return OktaOrg(org_name=str(org), domain=domain), []


def _unknown_key_problems(config: Mapping[str, str]) -> list[Problem]:
    known = declared_keys()
    problems = []
    for full_key in sorted(config):
        namespace, _, name = full_key.partition(":")
        if namespace != PROJECT or name in known:
            continue
        close = difflib.get_close_matches(name, known, n=1)
        hint = (
            f"did you mean {project_key(close[0])}?" if close else "see Pulumi.yaml's config block"
        )
        problems.append(Problem(full_key, f"unknown key; {hint}"))
    return problems


_JSON_EMPTY: dict[Any, Any] = {tuple[str, ...]: [], dict[str, Any]: {}}


def _decode(name: str, raw: str) -> Any:
    """Config values arrive as strings; arrays and objects arrive as JSON text."""
    annotation = StackConfig.model_fields[_FIELD_BY_ALIAS[name]].annotation
    if annotation not in _JSON_EMPTY or not isinstance(raw, str):
        return raw
    if not raw.strip():
        return _JSON_EMPTY[annotation]
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw  # pydantic then reports the type error under this key


def _parse_stack_config(config: Mapping[str, str]) -> tuple[StackConfig | None, list[Problem]]:
    values = {
        name: _decode(name, config[project_key(name)])
        for name in declared_keys()
        if project_key(name) in config
    }
    try:
        return StackConfig.model_validate(values), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            name = str(err["loc"][0]) if err["loc"] else ""
            message = err["msg"].removeprefix("Value error, ")
            secret = name in SECRET_KEYS
            value = None if secret else values.get(name)
            problems.append(Problem(project_key(name), message, value, secret))
    # Keep checking what is left (cross-key rules), so one run reports every problem.
    bad = {p.key.removeprefix(f"{PROJECT}:") for p in problems}
    try:
        rest = StackConfig.model_validate({k: v for k, v in values.items() if k not in bad})
    except ValidationError:
        rest = None
    return rest, problems


def _bind_accounts(cfg: StackConfig) -> tuple[tuple[BindAccount, ...], list[Problem]]:
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
    mode_key = project_key("bindAccountMode")

    def forbid(unused: Mapping[str, str], mode: str) -> None:
        for name, value in unused.items():
            if value:
                problems.append(
                    Problem(
                        project_key(name),
                        f"not used when {mode_key} is {mode!r}; remove it",
                        None if name in SECRET_KEYS else value,
                        name in SECRET_KEYS,
                    )
                )

    accounts: tuple[BindAccount, ...]
    if cfg.bind_account_mode == "shared":
        forbid(per_consumer, "shared")
        if not cfg.shared_bind_login:
            problems.append(
                Problem(project_key("sharedBindLogin"), "required when bindAccountMode is 'shared'")
            )
        accounts = (
            BindAccount(
                key="shared",
                login=cfg.shared_bind_login,
                password=_optional_secret(cfg.shared_bind_password),
                consumers=(Consumer.IMMUTA, Consumer.QUERY_ENGINE),
            ),
        )
        return accounts, problems

    forbid(shared, "perConsumer")
    for name in ("immutaBindLogin", "queryEngineBindLogin"):
        if not per_consumer[name]:
            problems.append(
                Problem(project_key(name), "required: one Okta bind account per consumer")
            )
    if cfg.immuta_bind_login and (
        cfg.immuta_bind_login.casefold() == cfg.query_engine_bind_login.casefold()
    ):
        problems.append(
            Problem(
                project_key("queryEngineBindLogin"),
                "duplicates immutaBindLogin (Okta logins ignore case); use a second account, "
                f"or set {mode_key} to 'shared' and sharedBindLogin",
                cfg.query_engine_bind_login,
            )
        )
    accounts = (
        BindAccount(
            key="immuta",
            login=cfg.immuta_bind_login,
            password=_optional_secret(cfg.immuta_bind_password),
            consumers=(Consumer.IMMUTA,),
        ),
        BindAccount(
            key="query-engine",
            login=cfg.query_engine_bind_login,
            password=_optional_secret(cfg.query_engine_bind_password),
            consumers=(Consumer.QUERY_ENGINE,),
        ),
    )
    return accounts, problems


def load_settings(config: Mapping[str, str]) -> Settings:
    """Validate a full stack config map (`project:key` -> text) into Settings.

    Raises SettingsError listing every problem; secret values are never in its text.
    """
    org, problems = _load_okta_org(config)
    problems += _unknown_key_problems(config)
    cfg, parse_problems = _parse_stack_config(config)
    problems += parse_problems
    accounts: tuple[BindAccount, ...] = ()
    if cfg is not None:
        accounts, account_problems = _bind_accounts(cfg)
        problems += account_problems + _required_problems(cfg)
    if problems or org is None or cfg is None:
        raise SettingsError(problems)
    directory = okta_ldap_directory(
        org.org_name,
        org.domain,
        transport=cfg.ldap_transport,
        host=cfg.ldap_host or None,
        port=cfg.ldap_port or None,
    )
    mfa = MfaPolicySettings(
        name=cfg.mfa_policy_name,
        priority=cfg.mfa_policy_priority,
        group_ids=cfg.mfa_policy_groups,
        rule_name=cfg.mfa_rule_name,
        prompt=cfg.mfa_prompt,
        ldap_interface_rule=cfg.ldap_interface_rule,
    )
    query_engine = QueryEngineSettings(
        client_cidrs=cfg.query_engine_client_cidrs,
        database=cfg.query_engine_database,
        search_filter=cfg.query_engine_search_filter or None,
        extra_rules=cfg.query_engine_extra_pg_hba_rules,
        chart=cfg.helm_chart,
        repository=cfg.helm_repository,
        chart_version=cfg.helm_chart_version,
        namespace=cfg.helm_namespace,
        release_name=cfg.helm_release_name,
        repository_username=cfg.helm_repository_username or None,
        repository_password=_optional_secret(cfg.helm_repository_password),
        base_values=cfg.helm_values,
    )
    settings = Settings(
        okta=org,
        directory=directory,
        bind_accounts=accounts,
        mfa=mfa,
        iam_id=cfg.immuta_iam_id,
        query_engine=query_engine,
        immuta=ImmutaSettings(
            display_name=cfg.immuta_iam_display_name,
            adopt=cfg.immuta_iam_adopt,
            test_before_save=cfg.immuta_test_before_save,
            sync_cron=cfg.immuta_sync_cron,
            profile={"name": "cn", "email": "mail"},
        ),
        password_rotation=cfg.bind_password_rotation,
    )
    _check_rules_render(settings)
    return settings


def _check_rules_render(settings: Settings) -> None:
    """Render the pg_hba rules once with a stand-in password, so bad facts fail up front."""
    login = next(a.login for a in settings.bind_accounts if Consumer.QUERY_ENGINE in a.consumers)
    try:
        query_engine_rules(
            settings.query_engine,
            settings.directory,
            settings.iam_id,
            settings.directory.bind_dn(login),
            "stand-in",
        )
    except PgHbaError as exc:
        raise SettingsError([Problem(project_key("queryEngineBindLogin"), str(exc))]) from None


def _required_problems(cfg: StackConfig) -> list[Problem]:
    """Keys with an empty default that a deployable stack must set."""
    required = {
        "immutaIamId": (cfg.immuta_iam_id, "the Immuta IAM id, e.g. okta (its role is <id>_user)"),
        "helmChartVersion": (cfg.helm_chart_version, "pin the Immuta chart version, e.g. 4.13.5"),
        "immutaUrl": (cfg.immuta_url, "the https:// address of Immuta"),
        "immutaApiKey": (
            cfg.immuta_api_key.get_secret_value(),
            "`pulumi config set --secret okta-ldap-immuta:immutaApiKey <key>`",
        ),
    }
    return [
        Problem(project_key(key), f"required: {hint}")
        for key, (value, hint) in required.items()
        if not value
    ]
