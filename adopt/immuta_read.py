"""Whether Immuta already has the stack's IAM, and what it holds (read only).

`GET /bim/iam` (documented) lists the live IAMs; only when the stack's id is among them is the
App Settings document read (`GET /configuration`, the contract components/immuta/client.py
targets) for that one IAM's entry. The document holds other IAMs' secrets: only our entry is
kept, and its bind password is dropped at once (only whether one is set is remembered).
Authentication is Immuta's documented `POST /bim/apikey/authenticate`, which writes nothing;
every other verb is refused before it is sent (adopt.readonly).
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from adopt.readonly import ReadOnlyTransport
from components.immuta.client import AUTH_PATH, ImmutaClient
from components.immuta.connection import ImmutaConnection


@dataclass(frozen=True)
class ImmutaFacts:
    url: str
    iam_id: str
    listed: Mapping[str, Any] | None  # the IAM as GET /bim/iam lists it, or None
    entry: Mapping[str, Any] | None = None  # its App Settings entry, without the bind password
    has_password: bool = False
    others: tuple[str, ...] = field(default_factory=tuple)  # ids of the other IAMs (names only)
    reads: int = 0

    @property
    def exists(self) -> bool:
        return self.listed is not None


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Dotted paths of the leaves of a JSON object (lists are leaves)."""
    if isinstance(value, Mapping) and value:
        out: set[str] = set()
        for key, item in value.items():
            out |= key_paths(item, f"{prefix}.{key}" if prefix else str(key))
        return out
    return {prefix} if prefix else set()


def _transport(connection: ImmutaConnection) -> httpx.HTTPTransport:
    """TLS as ImmutaClient verifies it (the system CAs plus immutaCaCertificate)."""
    context = ssl.create_default_context()
    if connection.ca_pem:
        context.load_verify_locations(cadata=connection.ca_pem)
    return httpx.HTTPTransport(verify=context)


def read_immuta(
    connection: ImmutaConnection,
    iam_id: str,
    *,
    transport: httpx.BaseTransport | None = None,
) -> ImmutaFacts:
    """The IAM with `iam_id`, if Immuta has one; ImmutaError (never a secret) on failure."""
    guard = ReadOnlyTransport(transport or _transport(connection), post_paths=(AUTH_PATH,))
    with ImmutaClient(connection, transport=guard) as client:
        listing = client.list_iams()
        listed = next((i for i in listing if i.get("id") == iam_id), None)
        others = tuple(sorted(str(i.get("id")) for i in listing if i.get("id") != iam_id))
        entry = client.read_iam(iam_id) if listed is not None else None
    kept: dict[str, Any] | None = None
    has_password = False
    if entry is not None:
        kept = {k: v for k, v in entry.items() if k != "credentials"}
        credentials = entry.get("credentials")
        if isinstance(credentials, Mapping):
            has_password = bool(credentials.get("bind_pw"))
            kept["credentials"] = {k: v for k, v in credentials.items() if k != "bind_pw"}
    return ImmutaFacts(
        url=connection.url,
        iam_id=iam_id,
        listed={k: v for k, v in listed.items() if k in ("id", "displayName", "type")}
        if listed is not None
        else None,
        entry=kept,
        has_password=has_password,
        others=others,
        reads=guard.reads,
    )
