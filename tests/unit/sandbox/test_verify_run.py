"""The sandbox runs `python -m verify --json` as a subprocess and reads its JSON answer."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from sandbox.desired import SandboxError
from sandbox.verify_run import VerifyTarget, run_verify

CANARY_KEY = "canary-immuta-key-7f3e"


def _target(tmp_path: Path, outputs: dict[str, Any]) -> VerifyTarget:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    ca = tmp_path / "ca.pem"
    ca.write_text("not a certificate\n")
    emulator = SimpleNamespace(url="https://127.0.0.1:9", api_key=CANARY_KEY)
    return VerifyTarget(
        stack="dev",
        private=private,
        outputs=outputs,
        emulator=cast(Any, emulator),
        ca_file=ca,
        query_engine_port=9,
        probe_login=None,
    )


def test_inputs_verify_refuses_are_the_sandbox_s_error_with_verify_s_words(
    tmp_path: Path,
) -> None:
    # No outputs at all: verify names each missing one and runs no check (exit 2, JSON errors).
    with pytest.raises(SandboxError) as raised:
        run_verify(_target(tmp_path, outputs={}))
    message = str(raised.value)
    assert message.startswith("`python -m verify` refused its inputs: ")
    assert "bindDns: missing" in message
    assert CANARY_KEY not in message
