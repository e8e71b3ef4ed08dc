"""The Okta API emulator, started once per module and emptied for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rehearsal.okta_emulator import OktaEmulator


@pytest.fixture(scope="module")
def okta_server() -> Iterator[OktaEmulator]:
    emu = OktaEmulator().start()
    yield emu
    emu.stop()


@pytest.fixture
def emu(okta_server: OktaEmulator) -> OktaEmulator:
    """The module's emulator, emptied: no data, no faults, no recorded requests, and the
    default page size (a test may have lowered it)."""
    okta_server.default_limit = 20
    return okta_server.seed()
