"""Immuta in the sandbox: the emulator, whose dry run and sync really bind to and search the
sandbox directory, and the IAM created by the project's dynamic provider through its real gRPC
server."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import grpc

from components.config import project_schema
from components.immuta.connection import API_KEY_KEY, CA_KEY, TIMEOUT_KEY
from components.immuta.iam_document import find_iam
from components.secret_text import MASK
from rehearsal.immuta_emulator import ImmutaEmulator
from rehearsal.immuta_ldap_sync import SyncedUser, ldap_sync
from rehearsal.provider_server import ProviderServer
from rehearsal.servers import Slapd, TestCA
from sandbox.desired import SandboxError, remember

OKTA_LDAPS_PORT = 636  # Immuta's IAM binds over LDAPS on 636 even when PostgreSQL uses StartTLS


def start_emulator(ca: TestCA) -> ImmutaEmulator:
    """The Immuta API emulator over HTTPS with the sandbox CA, holding no IAM yet."""
    cert, key = ca.server_cert("immuta")
    emulator = ImmutaEmulator(cert=cert, key=key, document={"plugins": {}})
    remember(emulator.api_key)
    return emulator.start()


def directory_of(slapd: Slapd) -> Callable[[dict[str, Any]], list[SyncedUser]]:
    """Immuta's LDAP sync and dry run of an IAM entry: a real LDAPS bind and search of the
    sandbox slapd with the entry's own settings (rehearsal.immuta_ldap_sync). Okta's LDAPS port
    636 stands for the sandbox's LDAPS listener (a free port)."""

    def port_for(port: int) -> int:
        return slapd.port if port == OKTA_LDAPS_PORT else port

    return lambda entry: ldap_sync(entry, ca_file=str(slapd.ca.cert), port_for=port_for)


def immuta_groups(
    emulator: ImmutaEmulator, iam_id: str, logins: Iterable[str]
) -> dict[str, tuple[str, ...] | None]:
    """Per login, the groups Immuta recorded in the sync after the IAM was saved (None: the
    sync did not list the user). User ids are compared ignoring case (normalizeUserId)."""
    synced = {u.user_id.lower(): u.groups for u in emulator.synced.get(iam_id, [])}
    return {login: synced.get(login.lower()) for login in logins}


def create_iam(
    log: Path,
    emulator: ImmutaEmulator,
    ca: TestCA,
    inputs: dict[str, Any],
    directory_ready: Callable[[], object] = lambda: None,
) -> dict[str, Any]:
    """Check and create the IAM through the provider's gRPC server, as `pulumi up` would (its
    dry-run test binds to the directory: `directory_ready` waits for it); returns the resource's
    outputs. The provider process is stopped before this returns."""
    schema = project_schema()
    config = {
        schema.full("immutaUrl"): emulator.url,
        schema.full(API_KEY_KEY): emulator.api_key,
        schema.full(CA_KEY): ca.cert.read_text(),
        schema.full(TIMEOUT_KEY): "10",
    }
    server = ProviderServer(log, config)
    try:
        server.start()
        directory_ready()
        checked, failures = server.check({}, inputs)
        if failures:
            shown = "; ".join(f"{prop}: {reason}" for prop, reason in failures)
            raise SandboxError(f"the Immuta provider refused the IAM: {shown}")
        _id, outputs = server.create(checked)
    except grpc.RpcError as exc:  # carries the provider's own (scrubbed) message
        text = exc.details() if callable(getattr(exc, "details", None)) else type(exc).__name__
        raise SandboxError(f"the Immuta provider failed: {text} (log: {log})") from None
    finally:
        server.stop()
    return outputs


def stored_iam(emulator: ImmutaEmulator, iam_id: str) -> dict[str, Any]:
    """The IAM entry Immuta stores, with the bind password masked."""
    _key, entry = find_iam(emulator.document, iam_id)
    if entry is None:
        raise SandboxError(f"Immuta holds no IAM {iam_id} after the provider created it")
    shown = copy.deepcopy(entry)
    if isinstance(shown.get("credentials"), dict) and "bind_pw" in shown["credentials"]:
        shown["credentials"]["bind_pw"] = MASK
    return shown
