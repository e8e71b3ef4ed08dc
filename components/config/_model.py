"""The config model: each project key's type and rules (pydantic), no defaults (pure)."""

from __future__ import annotations

import ipaddress
import re
import ssl
import unicodedata
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, field_validator

from components.config._credentials import (
    SECRET_HBA_OPTIONS,
    CredentialValueError,
    credential_paths,
    url_problem,
)
from components.config._settings import EVERYONE
from components.immuta.iam_document import IAM_ID_RULE, ROLE_SUFFIX, is_iam_id
from components.okta.ldap_interface import Transport
from components.query_engine.hba_policy import extra_rule_problems
from components.query_engine.pg_hba import (
    YAML_LINE_BREAKS,
    PgHbaError,
    carriable_problem,
    cidr_problem,
    database_problem,
    parse_line,
)

OKTA_LOGIN_MAX = 100
DEFAULT_SYNC_CRON = "0 */6 * * *"  # Pulumi.yaml's default of immutaSyncCron
RULE_NAME_MAX = 44  # Okta sign-on rule names
PASSWORD_MIN, PASSWORD_MAX = 12, 128
_GROUP_ID_RE = re.compile(r"00g[A-Za-z0-9]{17}")
# semver.org's regular expression for one version (no ranges, no `v` prefix).
_SEMVER_RE = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)
_DNS_LABEL_RE = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")
_HOSTNAME_RE = re.compile(
    r"(?=.{1,253}\Z)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*"
)


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
    if any(ch in YAML_LINE_BREAKS for ch in plain):
        raise ValueError(
            "a bind password must not contain U+0085, U+2028 or U+2029 (YAML line breaks)"
        )
    return value


OktaLogin = Annotated[str, AfterValidator(_okta_login)]
BindPassword = Annotated[SecretStr, AfterValidator(_password)]
NAME_MAX = 100  # an Okta group's or policy's name, as this project allows it
PolicyName = Annotated[str, Field(min_length=1, max_length=NAME_MAX), AfterValidator(_printable)]
RuleName = Annotated[str, Field(min_length=1, max_length=RULE_NAME_MAX), AfterValidator(_printable)]


class ConfigModel(BaseModel):
    """The project's keys, exactly as `pulumi config set` names them. No defaults here: they
    come from `Pulumi.yaml` (the loader fills every key before validating)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=False)

    ldap_transport: Transport = Field(alias="ldapTransport")
    ldap_host: str = Field(alias="ldapHost")
    ldap_port: int = Field(alias="ldapPort")
    bind_account_mode: Literal["perConsumer", "shared"] = Field(alias="bindAccountMode")
    immuta_bind_login: OktaLogin = Field(alias="immutaBindLogin")
    query_engine_bind_login: OktaLogin = Field(alias="queryEngineBindLogin")
    shared_bind_login: OktaLogin = Field(alias="sharedBindLogin")
    immuta_bind_password: BindPassword = Field(alias="immutaBindPassword")
    query_engine_bind_password: BindPassword = Field(alias="queryEngineBindPassword")
    shared_bind_password: BindPassword = Field(alias="sharedBindPassword")
    okta_engine: Literal["identity", "classic"] = Field(alias="oktaEngine")
    okta_identity_provider_condition: bool = Field(alias="oktaIdentityProviderCondition")
    bind_group_name: PolicyName = Field(alias="bindGroupName")
    bind_policy_name: PolicyName = Field(alias="bindPolicyName")
    bind_rule_name: RuleName = Field(alias="bindRuleName")
    bind_deny_other_sign_ins: bool = Field(alias="bindDenyOtherSignIns")
    mfa_policy_name: PolicyName = Field(alias="mfaPolicyName")
    mfa_policy_groups: tuple[str, ...] = Field(alias="mfaPolicyGroups")
    mfa_rule_name: RuleName = Field(alias="mfaRuleName")
    mfa_prompt: Literal["DEVICE", "SESSION", "ALWAYS"] = Field(alias="mfaPrompt")
    mfa_factor_lifetime_minutes: int = Field(alias="mfaFactorLifetimeMinutes", ge=1, le=43200)
    ldap_interface_rule: Literal["none", "requireMfa", "passwordOnly"] = Field(
        alias="ldapInterfaceRule"
    )
    immuta_iam_id: str = Field(alias="immutaIamId")
    query_engine_client_cidrs: tuple[str, ...] = Field(alias="queryEngineClientCidrs")
    query_engine_ldap_mode: Literal["searchBind", "simpleBind"] = Field(alias="queryEngineLdapMode")
    query_engine_database: str = Field(alias="queryEngineDatabase")
    query_engine_search_filter: str = Field(alias="queryEngineSearchFilter")
    query_engine_extra_pg_hba_rules: tuple[str, ...] = Field(alias="queryEngineExtraPgHbaRules")
    helm_chart: str = Field(min_length=1, alias="helmChart")
    helm_repository: str = Field(alias="helmRepository")
    helm_chart_version: str = Field(alias="helmChartVersion")
    helm_namespace: str = Field(alias="helmNamespace")
    helm_release_name: str = Field(alias="helmReleaseName")
    helm_repository_username: str = Field(alias="helmRepositoryUsername")
    helm_repository_password: SecretStr = Field(alias="helmRepositoryPassword")
    helm_values: dict[str, Any] = Field(alias="helmValues")
    helm_secret_values: dict[str, Any] = Field(alias="helmSecretValues")
    immuta_url: str = Field(alias="immutaUrl")
    immuta_api_key: SecretStr = Field(alias="immutaApiKey")
    immuta_ca_certificate: str = Field(alias="immutaCaCertificate")
    immuta_iam_display_name: PolicyName = Field(alias="immutaIamDisplayName")
    immuta_iam_adopt: bool = Field(alias="immutaIamAdopt")
    immuta_test_before_save: bool = Field(alias="immutaTestBeforeSave")
    immuta_sync_cron: str = Field(alias="immutaSyncCron")
    immuta_timeout_seconds: int = Field(ge=1, le=300, alias="immutaTimeoutSeconds")
    bind_password_rotation: str = Field(max_length=100, alias="bindPasswordRotation")
    bind_account_rotation: Literal["single", "alternating"] = Field(alias="bindAccountRotation")
    bind_rotation_count: int = Field(ge=0, le=1_000_000, alias="bindRotationCount")

    @field_validator("immuta_url")
    @classmethod
    def _immuta_url(cls, value: str) -> str:
        if not value:
            return value
        url_problem(value, "the API key goes in immutaApiKey (a secret key)")
        if not re.fullmatch(r"https://[^/\s?#@]+(/[^\s?#]*)?", value):
            raise ValueError("the https:// address of Immuta (no query or fragment; TLS only)")
        return value.rstrip("/")

    @field_validator("immuta_ca_certificate")
    @classmethod
    def _ca(cls, value: str) -> str:
        if not value:
            return value
        try:  # parsed by OpenSSL, as the Immuta client will load it
            ssl.create_default_context().load_verify_locations(cadata=value)
        except (ssl.SSLError, ValueError):
            raise ValueError(
                "PEM text of the CA certificate(s) Immuta's TLS chains to "
                "(-----BEGIN CERTIFICATE----- ...); this does not parse as one"
            ) from None
        return value

    @field_validator("immuta_sync_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        if value == DEFAULT_SYNC_CRON:  # checked once by a test; croniter loads in ~50 ms
            return value
        from croniter import croniter

        if len(value.split()) != 5 or not croniter.is_valid(value):
            raise ValueError(
                "a five-field cron rule (minute hour day month weekday), e.g. '0 */6 * * *'"
            )
        return value

    @field_validator("helm_chart_version")
    @classmethod
    def _chart_version(cls, value: str) -> str:
        if value and not _SEMVER_RE.fullmatch(value):
            raise ValueError(
                'one exact chart version in full, e.g. helmChartVersion: "4.13.5" (a semantic '
                "version), not a range or a tag: a pinned chart changes only in a reviewed pull "
                "request"
            )
        return value

    @field_validator("immuta_iam_id")
    @classmethod
    def _iam_id(cls, value: str) -> str:
        if value and not is_iam_id(value):
            raise ValueError(
                f"{IAM_ID_RULE} (Immuta's role `<id>{ROLE_SUFFIX}` is written unquoted in "
                "pg_hba.conf)"
            )
        return value

    @field_validator("query_engine_client_cidrs")
    @classmethod
    def _cidrs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("at least one client CIDR (0.0.0.0/0 and ::/0 allow every client)")
        for cidr in value:
            problem = cidr_problem(cidr)
            if problem is not None:
                raise ValueError(f"{cidr!r} is not a CIDR network: {problem}")
        if len(set(value)) != len(value):
            raise ValueError("CIDRs must not repeat")
        return value

    @field_validator("query_engine_database")
    @classmethod
    def _database(cls, value: str) -> str:
        problem = database_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("query_engine_search_filter")
    @classmethod
    def _search_filter(cls, value: str) -> str:
        example = "e.g. (&(uid=$username)(objectClass=person))"
        if value and "$username" not in value:
            raise ValueError(f"an LDAP filter using $username, {example}")
        if value and carriable_problem(value):
            raise ValueError(f"cannot be written into pg_hba.conf: {carriable_problem(value)}")
        if value:
            from ldap3.core.exceptions import LDAPException
            from ldap3.operation.search import parse_filter

            try:  # PostgreSQL puts the login where $username stands
                parse_filter(
                    value.replace("$username", "someone"),
                    None,
                    auto_escape=True,
                    auto_encode=True,
                    validator=None,
                    check_names=False,
                )
            except LDAPException:
                raise ValueError(
                    f"not a valid LDAP filter (RFC 4515: balanced parentheses), {example}"
                ) from None
        return value

    @field_validator("query_engine_extra_pg_hba_rules")
    @classmethod
    def _extra_rules(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        """Every bad rule in one message (rule [i]: why; rule [j]: why), so one run names them
        all. A rule holding a credential is named for that alone: its other problems could
        quote the credential's token."""
        credentials: list[str] = []
        problems: list[str] = []
        for i, rule in enumerate(value):
            low = rule.lower()
            try:
                parsed = parse_line(rule)
            except PgHbaError:
                parsed = None
            named = [o for o in sorted(SECRET_HBA_OPTIONS) if o in low] or [
                n for n, _, _ in (parsed.options if parsed else ()) if n in SECRET_HBA_OPTIONS
            ]
            if named:  # refused whether or not the rest of the line parses
                credentials.append(
                    f"rule [{i}] carries {named[0]}: plain config lands in the plan, snapshots "
                    "and state. The stack renders its own LDAP rule with the bind password from "
                    "a secret key; an extra rule cannot hold a credential"
                )
                continue
            problems += extra_rule_problems(i, rule)  # PostgreSQL 15's grammar, then our policy
        if credentials:
            raise CredentialValueError("; ".join(credentials + problems))
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @field_validator("helm_namespace", "helm_release_name")
    @classmethod
    def _dns_label(cls, value: str) -> str:
        if len(value) > 53 or not _DNS_LABEL_RE.fullmatch(value):
            raise ValueError("a DNS-1123 label: lowercase letters, digits and inner -, at most 53")
        return value

    @field_validator("helm_repository")
    @classmethod
    def _repository(cls, value: str) -> str:
        if not value.startswith(("https://", "oci://")):
            raise ValueError("an https:// or oci:// chart repository (plain http is refused)")
        url_problem(value, "use helmRepositoryUsername and helmRepositoryPassword (a secret key)")
        return value

    @field_validator("helm_values", "helm_secret_values")
    @classmethod
    def _values(cls, value: dict[str, Any]) -> dict[str, Any]:
        query_engine = value.get("queryEngine", {})
        if not isinstance(query_engine, dict):
            raise ValueError(
                "queryEngine must be a mapping of the chart's Query Engine values "
                "(e.g. queryEngine: {replicaCount: 1}); this stack adds clientPgHBARules to it"
            )
        if "clientPgHBARules" in query_engine:
            raise ValueError(
                "queryEngine.clientPgHBARules is built by this stack; "
                "put your own rules in queryEngineExtraPgHbaRules"
            )
        return value

    @field_validator("helm_values")
    @classmethod
    def _plain_values(cls, value: dict[str, Any]) -> dict[str, Any]:
        found = credential_paths(value)
        if found:
            raise CredentialValueError(
                f"{found[0]} looks like a credential: plain config lands in the plan, snapshots "
                "and state. Put chart credentials in helmSecretValues "
                "(`pulumi config set --secret --path`), merged over helmValues"
            )
        return value

    @field_validator("ldap_host")
    @classmethod
    def _host(cls, value: str) -> str:
        if not value:
            return value
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            address = None
        if isinstance(address, ipaddress.IPv6Address):
            # PostgreSQL 15 builds the LDAP URL without brackets: "Bad parameter to an ldap
            # routine" on every login (measured); a zone (%eth0) is refused as well.
            raise ValueError(
                "an IPv6 address cannot be PostgreSQL's ldapserver (every login fails); use a "
                "host name that resolves to it"
            )
        if address is not None:
            return value
        if "://" in value or ":" in value:
            raise ValueError("a bare host name or IP address (no scheme, no port: use ldapPort)")
        if not _HOSTNAME_RE.fullmatch(value):
            raise ValueError("a valid DNS host name or IP address")
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
            if group_id != EVERYONE and not _GROUP_ID_RE.fullmatch(group_id):
                raise ValueError(
                    f"{group_id!r} is not an Okta group id (00g + 17 letters/digits) nor "
                    f"{EVERYONE!r} (the whole org, only when you mean it); leave the list empty "
                    "to create no MFA policy"
                )
        if len(set(value)) != len(value):
            raise ValueError("group ids must not repeat")
        if EVERYONE in value and len(value) > 1:
            raise ValueError(f"{EVERYONE!r} already holds every group; name it alone")
        return value
