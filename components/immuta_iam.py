"""Immuta LDAP IAM: a Pulumi dynamic provider over Immuta's REST API, and its component.

The provider holds no secret when it is serialized into the program's state: the Immuta URL
and API key reach it through `configure()` from stack config, in the provider process. The
bind password is a secret input; outputs carry a salted scrypt digest of it (so a change is
seen without the plaintext in state), never the password.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.runtime.rpc import UNKNOWN  # an input not known until apply

from components.ldap_names import LdapDirectory
from components.okta_bind_accounts import BindCredentials
from components.settings import IAM_ID_RE, PROJECT, ImmutaSettings

if TYPE_CHECKING:  # the HTTP stack (httpx, tenacity) loads in the provider process only
    from components.immuta_api import ImmutaClient, ImmutaConnection

# Inputs compared by diff; the password is compared through its digest.
FIELDS = (
    "iamId",
    "displayName",
    "host",
    "port",
    "useSsl",
    "rejectUnauthorized",
    "userSearchBase",
    "userIdAttribute",
    "groupSearchBase",
    "groupSearchFilter",
    "bindDn",
    "profile",
    "syncCron",
    "pageSize",
    "supportedActions",
)
SUPPORTED_ACTIONS = ["linkPostgresAccount", "ldapSync", "syncGroups"]
OKTA_PAGE_SIZE = 1000  # Okta's LDAP Interface returns at most 1,000 entries a page


def password_digest(password: str, salt: str) -> str:
    """`scrypt$<salt>$<hex>`: compares passwords without keeping one."""
    derived = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=2**14, r=8, p=1)
    return f"scrypt${salt}${derived.hex()}"


def same_password(password: str, digest: str | None) -> bool:
    if not digest or digest.count("$") != 2:
        return False
    salt = digest.split("$")[1]
    return hmac.compare_digest(password_digest(password, salt), digest)


def iam_entry(props: Mapping[str, Any]) -> dict[str, Any]:
    """The LDAP IAM entry of Immuta's App Settings document, from the resource inputs."""
    return {
        "id": props["iamId"],
        "displayName": props["displayName"],
        "type": "ldap",
        "plugin": "ldap",
        "supportedActions": list(props["supportedActions"]),
        "credentials": {"bind_dn": props["bindDn"], "bind_pw": props["bindPassword"]},
        "options": {
            "host": props["host"],
            "port": int(props["port"]),
            "useSSL": bool(props["useSsl"]),
            "rejectUnauthorized": bool(props["rejectUnauthorized"]),
            "userSearchBase": props["userSearchBase"],
            "userIdAttribute": props["userIdAttribute"],
            "groupSearchBase": props["groupSearchBase"],
            "groupSearchFilter": props["groupSearchFilter"],
            "connectTimeout": 10000,
        },
        "schema": {"profile": dict(props["profile"])},
        "ldapSync": {
            "cronRule": props["syncCron"],
            "paged": True,
            "pageSize": int(props["pageSize"]),
        },
    }


def outputs_of(entry: Mapping[str, Any], digest: str | None) -> dict[str, Any]:
    """Resource outputs from an IAM entry (as sent, or as read back): no password."""
    options = entry.get("options") or {}
    sync = entry.get("ldapSync") or {}
    return {
        "iamId": entry.get("id"),
        "displayName": entry.get("displayName"),
        "host": options.get("host"),
        "port": options.get("port"),
        "useSsl": options.get("useSSL"),
        "rejectUnauthorized": options.get("rejectUnauthorized"),
        "userSearchBase": options.get("userSearchBase"),
        "userIdAttribute": options.get("userIdAttribute"),
        "groupSearchBase": options.get("groupSearchBase"),
        "groupSearchFilter": options.get("groupSearchFilter"),
        "bindDn": (entry.get("credentials") or {}).get("bind_dn"),
        "profile": (entry.get("schema") or {}).get("profile"),
        "syncCron": sync.get("cronRule"),
        "pageSize": sync.get("pageSize"),
        "supportedActions": entry.get("supportedActions"),
        "bindPasswordDigest": digest,
        "queryEngineRole": f"{entry.get('id')}_user",
    }


def _check_failures(news: Mapping[str, Any]) -> list[CheckFailure]:
    failures = []

    def known(key: str) -> bool:
        return news.get(key) != UNKNOWN

    if known("iamId") and not IAM_ID_RE.match(str(news.get("iamId", ""))):
        failures.append(CheckFailure("iamId", "1-58 letters, digits, _ or -"))
    if known("port") and not (
        isinstance(news.get("port"), int | float) and 1 <= news["port"] <= 65535
    ):
        failures.append(CheckFailure("port", "a TCP port, 1-65535"))
    for key in ("host", "bindDn", "userSearchBase", "displayName", "bindPassword"):
        if known(key) and not (isinstance(news.get(key), str) and news[key]):
            failures.append(CheckFailure(key, "required, a non-empty string"))
    if news.get("useSsl") is not True or news.get("rejectUnauthorized") is not True:
        failures.append(CheckFailure("useSsl", "the IAM must use LDAPS with certificate checking"))
    if known("supportedActions") and "linkPostgresAccount" not in (
        news.get("supportedActions") or []
    ):
        failures.append(
            CheckFailure(
                "supportedActions", "must include linkPostgresAccount (Query Engine logins)"
            )
        )
    return failures


class ImmutaIamProvider(ResourceProvider):
    """CRUD of one LDAP IAM in Immuta's App Settings; see components.immuta_api."""

    connection: ImmutaConnection | None = None

    def configure(self, req: ConfigureRequest) -> None:
        """Read Immuta's URL, API key and CA from stack config (never from resource inputs)."""
        from components.immuta_api import ImmutaConnection

        url = req.config.get(f"{PROJECT}:immutaUrl")
        api_key = req.config.get(f"{PROJECT}:immutaApiKey")
        if not url or not api_key:
            self.connection = None
            return
        timeout = req.config.get(f"{PROJECT}:immutaTimeoutSeconds")
        self.connection = ImmutaConnection(
            url=str(url),
            api_key=str(api_key),
            ca_pem=str(req.config.get(f"{PROJECT}:immutaCaCertificate") or "") or None,
            timeout=float(timeout) if timeout else 30.0,
        )

    def _client(self) -> ImmutaClient:
        from components.immuta_api import ImmutaClient, ImmutaError

        if self.connection is None:
            raise ImmutaError(
                "Immuta is not configured for this stack: set okta-ldap-immuta:immutaUrl and "
                "`pulumi config set --secret okta-ldap-immuta:immutaApiKey <key>`"
            )
        return ImmutaClient(self.connection)

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, _check_failures(news))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """No API calls. A new id replaces (delete first); anything else updates in place."""
        changed = [k for k in FIELDS if news.get(k) == UNKNOWN or olds.get(k) != news.get(k)]
        password = news.get("bindPassword")
        if password == UNKNOWN or not same_password(str(password), olds.get("bindPasswordDigest")):
            changed.append("bindPassword")
        replaces = ["iamId"] if "iamId" in changed else []
        return DiffResult(
            changes=bool(changed),
            replaces=replaces,
            delete_before_replace=True,
        )

    def _save(
        self, props: dict[str, Any], *, create_only: bool, salt: str | None
    ) -> dict[str, Any]:
        entry = iam_entry(props)
        with self._client() as client:
            test = (lambda: client.test_iam(entry)) if props.get("testBeforeSave") else None
            client.upsert_iam(entry, create_only=create_only, before_write=test)
        digest = password_digest(str(props["bindPassword"]), salt or secrets.token_hex(16))
        return {
            **outputs_of(entry, digest),
            "adopt": props.get("adopt"),
            "testBeforeSave": props.get("testBeforeSave"),
        }

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Refuses an existing IAM with this id unless `adopt` says to take it over."""
        outs = self._save(props, create_only=not props.get("adopt"), salt=None)
        return CreateResult(id_=str(props["iamId"]), outs=outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Returns the full outputs, or the state would lose them."""
        digest = olds.get("bindPasswordDigest") or ""
        salt = digest.split("$")[1] if digest.count("$") == 2 else None
        return UpdateResult(outs=self._save(news, create_only=False, salt=salt))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh: the live entry field by field; a vanished IAM is reported gone."""
        with self._client() as client:
            live = client.read_iam(id_)
        if live is None:
            return ReadResult(None, {})
        digest = props.get("bindPasswordDigest")
        live_password = (live.get("credentials") or {}).get("bind_pw")
        if (
            isinstance(live_password, str)
            and live_password
            and not same_password(live_password, digest)
        ):
            digest = "changed-outside-pulumi"
        outs = {
            **outputs_of(live, digest),
            "adopt": props.get("adopt"),
            "testBeforeSave": props.get("testBeforeSave"),
        }
        return ReadResult(id_, outs)

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        """Removes only this IAM; one that is already gone is success."""
        with self._client() as client:
            client.delete_iam(id_)


class LdapIamResource(pulumi.dynamic.Resource):
    """The dynamic resource; outputs are the inputs without the password, plus the role."""

    iamId: pulumi.Output[str]
    queryEngineRole: pulumi.Output[str]

    def __init__(
        self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        secret_outs = pulumi.ResourceOptions(additional_secret_outputs=["bindPasswordDigest"])
        super().__init__(
            ImmutaIamProvider(),
            name,
            {**props, "bindPasswordDigest": None, "queryEngineRole": None},
            pulumi.ResourceOptions.merge(opts, secret_outs),
        )


@dataclass(frozen=True)
class ImmutaLdapIamArgs:
    """IAM settings, the directory, and the credentials Immuta's LDAP sync binds with."""

    settings: ImmutaSettings
    iam_id: str
    directory: LdapDirectory
    bind: BindCredentials


def iam_inputs(args: ImmutaLdapIamArgs) -> dict[str, Any]:
    """The IAM for Okta's LDAP Interface: LDAPS with certificate checks, `uid` as user id."""
    d, s = args.directory, args.settings
    return {
        "iamId": args.iam_id,
        "displayName": s.display_name,
        "host": d.host,
        "port": d.port if d.uses_ldaps else 636,  # Immuta binds over LDAPS even if PG uses StartTLS
        "useSsl": True,
        "rejectUnauthorized": True,
        "userSearchBase": d.users_base_dn,
        "userIdAttribute": "uid",
        "groupSearchBase": d.groups_base_dn,
        "groupSearchFilter": "(objectClass=groupofUniqueNames)",
        "bindDn": args.bind.bind_dn,
        "bindPassword": args.bind.password,
        "profile": dict(s.profile),
        "syncCron": s.sync_cron,
        "pageSize": OKTA_PAGE_SIZE,
        "supportedActions": list(SUPPORTED_ACTIONS),
        "adopt": s.adopt,
        "testBeforeSave": s.test_before_save,
    }


class ImmutaLdapIam(pulumi.ComponentResource):
    """Immuta's LDAP IAM for Okta's LDAP Interface, bound with Immuta's own bind account."""

    iam_id: pulumi.Output[str]
    query_engine_role: pulumi.Output[str]

    def __init__(
        self, name: str, args: ImmutaLdapIamArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("okta-ldap-immuta:immuta:LdapIam", name, None, opts)
        iam = LdapIamResource(
            "immuta-ldap-iam", iam_inputs(args), pulumi.ResourceOptions(parent=self)
        )
        self.iam_id = iam.iamId
        self.query_engine_role = iam.queryEngineRole
        self.register_outputs({"iamId": self.iam_id, "queryEngineRole": self.query_engine_role})
