"""Where Immuta is and how to reach it, built once from stack config (provider and verify)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from components.config import project_schema

URL_KEY = "immutaUrl"
API_KEY_KEY = "immutaApiKey"
CA_KEY = "immutaCaCertificate"
TIMEOUT_KEY = "immutaTimeoutSeconds"


@dataclass(frozen=True, kw_only=True)
class ImmutaConnection:
    """Immuta's address, API key, extra trusted CA and per-request timeout. TLS is always
    verified."""

    url: str
    api_key: str = field(repr=False)
    ca_pem: str | None = field(default=None, repr=False)  # extra trusted CA(s), PEM
    timeout: float

    def __post_init__(self) -> None:
        # httpx would send user:password@ as Basic auth, and every error would print it.
        parts = urlsplit(self.url)
        if parts.username is not None or parts.password is not None:
            raise ValueError(
                f"{URL_KEY} must not carry credentials (user:password@ in the URL); the API key "
                f"goes in {API_KEY_KEY}"
            )


class ConfigSource(Protocol):
    """A stack config map, or the dynamic provider's `Config` (both have `get`)."""

    def get(self, key: str, /) -> Any: ...


def connection_from_config(
    config: ConfigSource, *, timeout: float | None = None
) -> ImmutaConnection | None:
    """The connection the stack config describes (`project:key` -> value), or None when the
    URL or API key is not set. `timeout` overrides `immutaTimeoutSeconds` (verify's own)."""
    schema = project_schema()
    url = str(config.get(schema.full(URL_KEY)) or "")
    api_key = str(config.get(schema.full(API_KEY_KEY)) or "")
    if not url or not api_key:
        return None
    if timeout is None:
        configured = config.get(schema.full(TIMEOUT_KEY)) or schema.keys[TIMEOUT_KEY].default
        timeout = float(str(configured))
    return ImmutaConnection(
        url=url.rstrip("/"),
        api_key=api_key,
        ca_pem=str(config.get(schema.full(CA_KEY)) or "") or None,
        timeout=timeout,
    )
