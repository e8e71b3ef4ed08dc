"""One Immuta emulator (HTTPS, test CA) and one dynamic-provider process for the session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rehearsal.immuta_emulator import ImmutaEmulator
from rehearsal.provider_server import ProviderServer
from rehearsal.servers import TestCA
from tests.support.immuta_iam import provider_config


@pytest.fixture(scope="session")
def provider(emulator: ImmutaEmulator, ca: TestCA, workdir: Path) -> Iterator[ProviderServer]:
    server = ProviderServer(workdir / "provider.log", provider_config(emulator, ca)).start()
    yield server
    server.stop()


@pytest.fixture
def start_provider(
    emulator: ImmutaEmulator, ca: TestCA, workdir: Path
) -> Iterator[Callable[..., ProviderServer]]:
    """A provider process of its own, for a test that needs other config."""
    started: list[ProviderServer] = []

    def start(**config: str) -> ProviderServer:
        server = ProviderServer(
            workdir / f"provider-{len(started)}.log", provider_config(emulator, ca, **config)
        ).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(autouse=True)
def fresh_emulator(emulator: ImmutaEmulator) -> None:
    emulator.reset()
