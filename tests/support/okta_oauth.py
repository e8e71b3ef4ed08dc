"""An OAuth service app for the Okta emulator: a key pair, registered, and the provider's config
keys that name it (as `pulumi config --json --show-secrets` prints them)."""

from __future__ import annotations

import functools
import json
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from components.okta.oauth import ADOPT_SCOPES
from rehearsal.okta_emulator import OktaEmulator

CLIENT_ID = "0oaServiceApp0000001"
KEY_ID = "kid-service-app-1"


@functools.cache
def key_pair(which: str) -> tuple[str, str]:
    """(private PEM, public PEM); one per name and test session (RSA generation is slow)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def service_app(
    emu: OktaEmulator,
    *,
    dpop: bool = False,
    scopes: tuple[str, ...] = ADOPT_SCOPES,
    granted: tuple[str, ...] | None = None,
    signing_key: str = "app",
) -> dict[str, str]:
    """Register the app (its public key; `granted` scopes, default `scopes`) and return the
    config values that sign with `signing_key`'s private key."""
    emu.register_client(
        CLIENT_ID,
        key_pair("app")[1],
        key_id=KEY_ID,
        scopes=set(granted if granted is not None else scopes),
        dpop=dpop,
    )
    return {
        "okta:clientId": CLIENT_ID,
        "okta:privateKeyId": KEY_ID,
        "okta:privateKey": key_pair(signing_key)[0],
        "okta:scopes": json.dumps(list(scopes)),
    }


def as_cli_config(values: dict[str, str]) -> dict[str, Any]:
    """The values as `pulumi config --json --show-secrets` prints them (the key secret)."""
    return {k: {"value": v, "secret": k == "okta:privateKey"} for k, v in values.items()}
