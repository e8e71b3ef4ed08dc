"""`make verify` against the sandbox, as a subprocess (a tool never imports another tool).

Its inputs hold secrets, so they go in the sandbox's 0700 folder: the stack's outputs as
`pulumi stack output --json --show-secrets` would give them, and the config as `pulumi config
--json --show-secrets` would (the emulator's URL, key and CA). The probe is the first sample
member; its password travels in the environment, never on the command line. Okta credentials
are blanked, so verify never reaches a real org from here: checks that need Okta's Management
API skip, and the sandbox's own sign-on model stands in for them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.config import PROJECT_ROOT, project_schema
from components.immuta.connection import API_KEY_KEY, CA_KEY
from components.okta.api_connection import (
    API_TOKEN_KEY,
    CLIENT_ID_KEY,
    OAUTH_ENV,
    PRIVATE_KEY_KEY,
    TOKEN_ENV,
)
from components.secret_text import scrub
from rehearsal.immuta_emulator import ImmutaEmulator
from sandbox.desired import GENERATED, SandboxError

PROBE_ENV = "SANDBOX_PROBE_PASSWORD"
TIMEOUT = 120


@dataclass(frozen=True)
class VerifyTarget:
    """The sandbox as `make verify` sees a deployed stack."""

    stack: str
    private: Path  # the sandbox's 0700 folder
    outputs: dict[str, Any] = field(repr=False)
    emulator: ImmutaEmulator
    ca_file: Path
    query_engine_port: int
    probe_login: str | None
    probe_password: str | None = field(default=None, repr=False)


def _config(t: VerifyTarget) -> dict[str, Any]:
    schema = project_schema()
    return {
        schema.full("immutaUrl"): {"value": t.emulator.url, "secret": False},
        schema.full(API_KEY_KEY): {"value": t.emulator.api_key, "secret": True},
        schema.full(CA_KEY): {"value": t.ca_file.read_text(), "secret": False},
        API_TOKEN_KEY: {"value": "", "secret": True},
        PRIVATE_KEY_KEY: {"value": "", "secret": True},
        CLIENT_ID_KEY: {"value": "", "secret": False},
    }


def verify_command(t: VerifyTarget) -> list[str]:
    probe = ["--probe-login", t.probe_login] if t.probe_login else []
    ca = str(t.ca_file)
    return [
        sys.executable, "-m", "verify", "--stack", t.stack,
        "--outputs", str(t.private / "outputs.json"), "--config", str(t.private / "config.json"),
        *probe, "--probe-password-env", PROBE_ENV, "--ldap-ca", ca,
        "--query-engine-host", "127.0.0.1", "--query-engine-port", str(t.query_engine_port),
        "--query-engine-ca", ca, "--timeout", "5", "--json",
    ]  # fmt: skip


def run_verify(t: VerifyTarget) -> dict[str, Any]:
    """verify's JSON result: {"passed": bool, "checks": [{number, name, status, ...}]}."""
    for name, content in (("outputs.json", t.outputs), ("config.json", _config(t))):
        path = t.private / name
        path.write_text(json.dumps(content))
        path.chmod(0o600)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in (TOKEN_ENV, "IMMUTA_API_KEY", "VERIFY_PROBE_PASSWORD", PROBE_ENV)
        and k not in OAUTH_ENV.values()
    }
    if t.probe_password:
        env[PROBE_ENV] = t.probe_password
    result = subprocess.run(
        verify_command(t), cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
        timeout=TIMEOUT, check=False,
    )  # fmt: skip
    try:
        parsed: dict[str, Any] = json.loads(result.stdout)
    except ValueError:
        why = scrub((result.stderr or result.stdout).strip()[-500:], GENERATED)
        raise SandboxError(f"`python -m verify` exited {result.returncode}: {why}") from None
    if errors := parsed.get("errors"):
        # verify refused its inputs (exit 2) and ran no check: the sandbox handed it something
        # it cannot use, so say what, as verify said it.
        why = "; ".join(f"{e.get('input')}: {e.get('message')}" for e in errors)
        raise SandboxError(f"`python -m verify` refused its inputs: {scrub(why, GENERATED)}")
    return parsed
