"""Shared fixtures: stack config maps and the real program run under fresh mocks per test."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from offline_plan.engine import PlanResult, run_program
from offline_plan.stack_config import StackConfig, load_stack_config
from tests.immuta_emulator import ImmutaEmulator
from tests.integration.servers import TestCA

P = "okta-ldap-immuta:"


def config_for(stack: str = "dev", **overrides: str | None) -> StackConfig:
    """The stack's config as the CLI would pass it, with `key=value` overrides (None removes)."""
    base = load_stack_config(stack)
    values = dict(base.values)
    secrets = set(base.secret_keys)
    for short, value in overrides.items():
        key = short.replace("__", ":") if "__" in short else P + short
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    return StackConfig(base.project, base.stack, values, tuple(sorted(secrets)))


@pytest.fixture
def run_stack() -> Callable[..., PlanResult]:
    """Run the real `__main__.py` under mocks set inside this test (never at import time)."""

    def run(
        stack: str = "dev", secret_keys: Mapping[str, str] | None = None, **overrides: str | None
    ) -> PlanResult:
        cfg = config_for(stack, **overrides)
        if secret_keys:
            values = dict(cfg.values)
            values.update({P + k: v for k, v in secret_keys.items()})
            cfg = StackConfig(
                cfg.project,
                cfg.stack,
                values,
                tuple(sorted({*cfg.secret_keys, *(P + k for k in secret_keys)})),
            )
        return run_program(cfg)

    return run


@pytest.fixture(scope="session")
def workdir() -> Iterator[Path]:
    """A temp folder the test servers (own system users when root) can reach."""
    root = Path(tempfile.mkdtemp(prefix="okta-ldap-immuta-it-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def ca(workdir: Path) -> TestCA:
    """A test CA (openssl) for every TLS server of the suite."""
    return TestCA.create(workdir / "ca")


HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


def helm_rules(plan: PlanResult) -> list[str]:
    """queryEngine.clientPgHBARules of the Immuta Helm release (its values are secret)."""
    values = plan.only(HELM_RELEASE).inputs["values"]
    return list(values["value"]["queryEngine"]["clientPgHBARules"])


@pytest.fixture(scope="session")
def emulator(ca: TestCA) -> Iterator[ImmutaEmulator]:
    """The Immuta API emulator over HTTPS (test CA); tests reset its state."""
    cert, key = ca.server_cert("immuta-emulator")
    server = ImmutaEmulator(cert=cert, key=key).start()
    yield server
    server.stop()
