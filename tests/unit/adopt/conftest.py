"""The three emulators adopt reads (Okta, Immuta over HTTPS with the test CA, the Kubernetes
stand-in), and `run_adopt`, which runs `python -m adopt` in-process against them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adopt.__main__ import main
from rehearsal.immuta_emulator import ImmutaEmulator
from rehearsal.kubernetes_emulator import KubernetesEmulator
from rehearsal.okta_emulator import OktaEmulator
from rehearsal.tls import TestCA
from tests.unit.adopt.manual_setup import Org, Run, write_config


@pytest.fixture(scope="module")
def okta_emu() -> Iterator[OktaEmulator]:
    emu = OktaEmulator().start()
    yield emu
    emu.stop()


@pytest.fixture(scope="module")
def kube_emu() -> Iterator[KubernetesEmulator]:
    emu = KubernetesEmulator().start()
    yield emu
    emu.stop()


@pytest.fixture
def run_adopt(
    okta_emu: OktaEmulator,
    emulator: ImmutaEmulator,
    kube_emu: KubernetesEmulator,
    ca: TestCA,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> Callable[..., Run]:
    """Seed `org` (the manual setup by default) and run adopt on `stack` against it."""

    def run(
        org: Org | None = None,
        *,
        stack: str = "prod",
        extra: dict[str, str] | None = None,
        json_out: bool = False,
        reseed: bool = True,
        okta_token: str | None = None,
        oauth: Callable[[OktaEmulator], dict[str, Any]] | None = None,
    ) -> Run:
        if reseed:
            (org or Org()).seed(okta_emu, emulator, kube_emu)
        config = write_config(
            tmp_path / "config.json",
            okta_emu,
            emulator,
            ca.cert.read_text(),
            okta_token,
            oauth(okta_emu) if oauth else None,
            **(extra or {}),
        )
        kubeconfig = kube_emu.write_kubeconfig(tmp_path / "kubeconfig")
        target = tmp_path / f"pulumi-import-{stack}.json"
        argv = [
            "--stack",
            stack,
            "--config",
            str(config),
            "--okta-url",
            okta_emu.url,
            "--kubeconfig",
            str(kubeconfig),
            "--import-file",
            str(target),
        ]
        capsys.readouterr()
        code = main([*argv, "--json"] if json_out else argv)
        captured = capsys.readouterr()
        text = target.read_text() if target.exists() else "{}"
        return Run(code, captured.out, captured.err, json.loads(text), text, config)

    return run
