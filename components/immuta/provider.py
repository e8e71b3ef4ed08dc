"""The Pulumi dynamic provider of Immuta's LDAP IAM, over Immuta's REST API.

The provider holds no secret when it is serialized into the program's state: the Immuta URL
and API key reach it through `configure()` from stack config, in the provider process. The
bind password is a secret input; outputs carry a salted scrypt digest of it (so a change is
seen without the plaintext in state), never the password.

Deployed stacks refer to this class by module path (the state holds it pickled by reference);
`components/immuta_iam.py` keeps the path of the first layout importable.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

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

from components.immuta.iam_document import (
    CONNECTION_FIELDS,
    FIELDS,
    IAM_ID_RULE,
    iam_entry,
    is_iam_id,
    outputs_of,
)

if TYPE_CHECKING:  # the HTTP stack (httpx, tenacity) loads in the provider process only
    from components.immuta.client import ImmutaClient
    from components.immuta.connection import ImmutaConnection


def password_digest(password: str, salt: str) -> str:
    """`scrypt$<salt>$<hex>`: compares passwords without keeping one."""
    derived = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=2**14, r=8, p=1)
    return f"scrypt${salt}${derived.hex()}"


def same_password(password: str, digest: str | None) -> bool:
    if not digest or digest.count("$") != 2:
        return False
    salt = digest.split("$")[1]
    return hmac.compare_digest(password_digest(password, salt), digest)


def _check_failures(news: Mapping[str, Any]) -> list[CheckFailure]:
    failures = []

    def known(key: str) -> bool:
        return news.get(key) != UNKNOWN

    if known("iamId") and not is_iam_id(str(news.get("iamId", ""))):
        failures.append(CheckFailure("iamId", IAM_ID_RULE))
    if known("port") and not (
        isinstance(news.get("port"), int | float) and 1 <= news["port"] <= 65535
    ):
        failures.append(CheckFailure("port", "a TCP port, 1-65535"))
    for key in ("host", "bindDn", "userSearchBase", "displayName", "bindPassword"):
        if known(key) and not (isinstance(news.get(key), str) and news[key]):
            failures.append(CheckFailure(key, "required, a non-empty string"))
    if news.get("useSsl") is not True or news.get("rejectUnauthorized") is not True:
        failures.append(CheckFailure("useSsl", "the IAM must use LDAPS with certificate checking"))
    members = news.get("groupMembershipAttributes") or []
    if known("groupMembershipAttributes") and any(
        not isinstance(a, str) or a != a.lower() for a in members
    ):
        failures.append(
            CheckFailure("groupMembershipAttributes", "attribute names in lower case (Immuta's)")
        )
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
    """CRUD of one LDAP IAM in Immuta's App Settings; see components.immuta.client."""

    connection: ImmutaConnection | None = None

    def configure(self, req: ConfigureRequest) -> None:
        """Read Immuta's URL, API key and CA from stack config (never from resource inputs)."""
        from components.immuta.connection import connection_from_config

        self.connection = connection_from_config(req.config)

    def _client(self) -> ImmutaClient:
        from components.immuta.client import ImmutaClient, ImmutaError

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
        self,
        props: dict[str, Any],
        *,
        create_only: bool,
        salt: str | None,
        sync: bool,
        olds: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Save the IAM; with `sync`, start one LDAP sync after it. A sync that does not start
        leaves the saved IAM to the next cron run and says why in `syncProblem` (an output
        `make verify` reports with the fix); without `sync` the last sync's outputs stay."""
        from components.immuta.client import ImmutaError

        entry = iam_entry(props)
        started, problem = (olds or {}).get("syncStarted"), (olds or {}).get("syncProblem")
        with self._client() as client:
            test = (lambda: client.test_iam(entry)) if props.get("testBeforeSave") else None
            client.upsert_iam(entry, create_only=create_only, before_write=test)
            if sync:
                try:
                    client.start_sync(str(entry["id"]))
                    started, problem = True, None
                except ImmutaError as exc:  # scrubbed: it never holds a secret
                    started, problem = False, str(exc)
        digest = password_digest(str(props["bindPassword"]), salt or secrets.token_hex(16))
        return {
            **outputs_of(entry, digest),
            "adopt": props.get("adopt"),
            "testBeforeSave": props.get("testBeforeSave"),
            "syncStarted": bool(started),
            "syncProblem": problem,
        }

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Refuses an existing IAM with this id unless `adopt` says to take it over."""
        outs = self._save(props, create_only=not props.get("adopt"), salt=None, sync=True)
        return CreateResult(id_=str(props["iamId"]), outs=outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Returns the full outputs, or the state would lose them."""
        digest = olds.get("bindPasswordDigest") or ""
        salt = digest.split("$")[1] if digest.count("$") == 2 else None
        reconnect = any(olds.get(k) != news.get(k) for k in CONNECTION_FIELDS) or not (
            same_password(str(news.get("bindPassword")), digest)
        )
        outs = self._save(news, create_only=False, salt=salt, sync=reconnect, olds=olds)
        return UpdateResult(outs=outs)

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
            "syncStarted": props.get("syncStarted"),
            "syncProblem": props.get("syncProblem"),
        }
        return ReadResult(id_, outs)

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        """Removes only this IAM; one that is already gone is success."""
        with self._client() as client:
            client.delete_iam(id_)
