"""`python -m verify --okta-url <emulator>` in-process, for the checks that read Okta."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from components.okta.api_connection import OAUTH_ENV
from rehearsal.okta_emulator import OktaEmulator
from verify.__main__ import main

Run = Callable[..., tuple[int, str]]


def verify_against(
    okta: OktaEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *,
    root_dn: str,
    account_ids: dict[str, str],
    bind_password: str,
) -> Run:
    """A runner: `run(config, *extra_args) -> (exit code, printed text)`. Nothing listens on
    the LDAP port, so check 1 fails at once and checks 2-6 skip; the Okta checks run."""
    for name in ("OKTA_API_TOKEN", "IMMUTA_API_KEY", "VERIFY_PROBE_PASSWORD", *OAUTH_ENV.values()):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("shutil.which", lambda _: None)  # never the real Pulumi CLI

    def go(config: dict[str, Any], *extra: str) -> tuple[int, str]:
        outputs = {
            "ldapHost": "127.0.0.1",
            "ldapPort": 1,
            "ldapUserBaseDn": f"ou=users,{root_dn}",
            "bindDns": {c: f"uid=svc-{c}@acme.example,{root_dn}" for c in account_ids},
            "bindPasswords": dict.fromkeys(account_ids, bind_password),
            "bindAccountIds": account_ids,
        }
        (tmp_path / "outputs.json").write_text(json.dumps(outputs))
        (tmp_path / "config.json").write_text(json.dumps(config))
        files = ["--outputs", str(tmp_path / "outputs.json")]
        files += ["--config", str(tmp_path / "config.json")]
        argv = ["--stack", "dev", *files, "--okta-url", okta.url, "--timeout", "2", *extra]
        code = main(argv)
        return code, capsys.readouterr().out

    return go
