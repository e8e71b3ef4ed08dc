"""Where the Management API is and how verify and adopt authenticate to it, from stack config.

The same keys the pulumi-okta provider reads: `okta:orgName` and `okta:baseUrl` for the address
(`https://<orgName>.<baseUrl>`, okta.com by default); an API token (`okta:apiToken`, else
OKTA_API_TOKEN; sent as `Authorization: SSWS <token>`), or OAuth 2.0 for a service app
(`okta:clientId`, `okta:privateKeyId`, `okta:privateKey`, `okta:scopes`, else the provider's
OKTA_API_CLIENT_ID, OKTA_API_PRIVATE_KEY_ID, OKTA_API_PRIVATE_KEY, OKTA_API_SCOPES; see
components/okta/oauth.py). An API token, when set, wins. Nothing here holds a secret in its repr.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from components.okta.errors import OktaConfigError
from components.okta.oauth import (
    ADOPT_SCOPES,
    OAuthCredentials,
    OAuthError,
    OktaOAuth,
    parse_scopes,
)

ORG_NAME_KEY = "okta:orgName"
BASE_URL_KEY = "okta:baseUrl"
API_TOKEN_KEY = "okta:apiToken"
PRIVATE_KEY_KEY = "okta:privateKey"
CLIENT_ID_KEY = "okta:clientId"
PRIVATE_KEY_ID_KEY = "okta:privateKeyId"
SCOPES_KEY = "okta:scopes"
TOKEN_ENV = "OKTA_API_TOKEN"
# The pulumi-okta provider's own environment variables for OAuth.
OAUTH_ENV = {
    CLIENT_ID_KEY: "OKTA_API_CLIENT_ID",
    PRIVATE_KEY_ID_KEY: "OKTA_API_PRIVATE_KEY_ID",
    PRIVATE_KEY_KEY: "OKTA_API_PRIVATE_KEY",
    SCOPES_KEY: "OKTA_API_SCOPES",
}
DEFAULT_DOMAIN = "okta.com"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
SET_TOKEN_HINT = (
    f"set {TOKEN_ENV} to a Read-Only Administrator's API token, or "
    f"`pulumi config set --secret {API_TOKEN_KEY} <token>`, or give the stack's OAuth service "
    f"app ({CLIENT_ID_KEY}, {PRIVATE_KEY_ID_KEY}, {PRIVATE_KEY_KEY}, {SCOPES_KEY} with "
    f"{', '.join(ADOPT_SCOPES)} or their .manage forms)"
)
_ORG_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_DOMAIN_RE = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+")


@dataclass(frozen=True, kw_only=True)
class OktaConnection:
    """The org's API address (no trailing slash), its credentials (an API token, or OAuth:
    `oauth` caches the access token for every client of this connection), and the timeout."""

    base_url: str
    api_token: str = field(default="", repr=False)
    timeout: float
    oauth: OktaOAuth | None = None

    def secrets(self) -> list[str]:
        """Every credential this connection holds or has obtained."""
        found = [self.api_token, *(self.oauth.secrets() if self.oauth else [])]
        return [s for s in found if s]

    @property
    def auth_name(self) -> str:
        return "OAuth access token" if self.oauth else "API token"


class ConfigSource(Protocol):
    """A stack config map (`namespace:key` -> value) or anything else with `get`."""

    def get(self, key: str, /) -> Any: ...


def _checked_url(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and host:
        return url.rstrip("/")
    if parts.scheme == "http" and host in LOOPBACK_HOSTS:
        return url.rstrip("/")
    # Never echo credentials written into the URL (user:password@).
    shown = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    raise OktaConfigError(
        f"Okta URL {json.dumps(shown)}: use https://; plain http only for 127.0.0.1, localhost "
        "or ::1 (the local emulator)"
    )


def _oauth_value(config: ConfigSource, key: str) -> Any:
    value = config.get(key)
    return value if value not in (None, "", []) else os.environ.get(OAUTH_ENV[key], "")


def _credentials(config: ConfigSource) -> OAuthCredentials | None:
    client_id = str(_oauth_value(config, CLIENT_ID_KEY) or "")
    key = str(_oauth_value(config, PRIVATE_KEY_KEY) or "")
    if not client_id and not key:
        return None
    try:
        scopes = parse_scopes(_oauth_value(config, SCOPES_KEY))
    except OAuthError as exc:
        raise OktaConfigError(str(exc)) from None
    missing = [
        k
        for k, v in ((CLIENT_ID_KEY, client_id), (PRIVATE_KEY_KEY, key), (SCOPES_KEY, scopes))
        if not v
    ]
    if missing:
        raise OktaConfigError(
            f"OAuth for Okta needs {', '.join(missing)} as well (or {TOKEN_ENV}): {SET_TOKEN_HINT}"
        )
    key_id = str(_oauth_value(config, PRIVATE_KEY_ID_KEY) or "")
    return OAuthCredentials(client_id=client_id, key_id=key_id, private_key=key, scopes=scopes)


def okta_api_url(config: ConfigSource, base_url: str | None = None) -> str:
    """`https://<okta:orgName>.<okta:baseUrl>`, or `base_url` when given; OktaConfigError
    naming the key when either cannot be used."""
    if base_url:
        return _checked_url(base_url)
    org = str(config.get(ORG_NAME_KEY) or "")
    domain = str(config.get(BASE_URL_KEY) or "") or DEFAULT_DOMAIN
    if not _ORG_RE.fullmatch(org):
        raise OktaConfigError(f"{ORG_NAME_KEY} must be the org's subdomain (got {json.dumps(org)})")
    if not _DOMAIN_RE.fullmatch(domain):
        raise OktaConfigError(f"{BASE_URL_KEY} must be a domain like okta.com ({domain!r})")
    return f"https://{org}.{domain}"


def okta_connection_from_config(
    config: ConfigSource, *, base_url: str | None = None, timeout: float
) -> OktaConnection | None:
    """The connection the stack config describes, or None when it holds no credentials.

    URL: `https://<okta:orgName>.<okta:baseUrl>` unless `base_url` overrides it. Credentials:
    `okta:apiToken` (else OKTA_API_TOKEN), else OAuth (see the module's text). Raises
    OktaConfigError naming the key when the config cannot be used.
    """
    token = str(config.get(API_TOKEN_KEY) or "") or os.environ.get(TOKEN_ENV, "")
    credentials = None if token else _credentials(config)
    if not token and credentials is None:
        return None
    url = okta_api_url(config, base_url)
    if credentials is None:
        return OktaConnection(base_url=url, api_token=token, timeout=timeout)
    try:
        oauth = OktaOAuth(url, credentials)
    except OAuthError as exc:
        raise OktaConfigError(str(exc)) from None
    return OktaConnection(base_url=url, timeout=timeout, oauth=oauth)
