"""Immuta in the sandbox: the emulator, whose dry-run sync really binds to the sandbox directory,
and the IAM created by the project's dynamic provider through its real gRPC server."""

from __future__ import annotations

import copy
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import ldap3
from ldap3.core.exceptions import LDAPException

from components.config import project_schema
from components.immuta.connection import API_KEY_KEY, CA_KEY, TIMEOUT_KEY
from components.immuta.iam_document import find_iam
from components.secret_text import MASK
from rehearsal.immuta_emulator import ImmutaEmulator
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


def dry_run_against(slapd: Slapd) -> Callable[[dict[str, Any]], str | None]:
    """Immuta's dry-run sync as a real LDAPS bind and user search against the sandbox slapd.

    Okta's LDAPS port 636 stands for the sandbox's LDAPS listener (a free port)."""

    def dry_run(entry: dict[str, Any]) -> str | None:
        options, creds = entry.get("options") or {}, entry.get("credentials") or {}
        host, port = str(options.get("host")), int(options.get("port") or 0)
        port = slapd.port if port == OKTA_LDAPS_PORT else port
        tls = ldap3.Tls(
            validate=ssl.CERT_REQUIRED,
            version=ssl.PROTOCOL_TLS_CLIENT,
            ca_certs_file=str(slapd.ca.cert),
        )
        server = ldap3.Server(
            host, port=port, use_ssl=True, tls=tls, get_info=ldap3.NONE, connect_timeout=5
        )
        dn = str(creds.get("bind_dn"))
        conn = ldap3.Connection(
            server, user=dn, password=str(creds.get("bind_pw")), receive_timeout=5,
            raise_exceptions=False, auto_bind=ldap3.AUTO_BIND_NONE,
        )  # fmt: skip
        try:
            if not conn.bind():
                return f"LDAP bind as {dn} refused: {(conn.result or {}).get('description')}"
            base = str(options.get("userSearchBase"))
            conn.search(base, "(uid=*)", attributes=["uid"])
            if (conn.result or {}).get("result") != 0:
                return f"search of {base} failed: {(conn.result or {}).get('description')}"
            return None
        except LDAPException as exc:
            return f"LDAPS to {host}:{port} failed: {type(exc).__name__}"
        finally:
            conn.unbind()

    return dry_run


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
        raise SandboxError(f"Immuta holds no IAM {iam_id!r} after the provider created it")
    shown = copy.deepcopy(entry)
    if isinstance(shown.get("credentials"), dict) and "bind_pw" in shown["credentials"]:
        shown["credentials"]["bind_pw"] = MASK
    return shown
