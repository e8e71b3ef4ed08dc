"""One Immuta emulator (HTTPS, test CA) and one dynamic-provider process for the session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from components.immuta_iam import OKTA_PAGE_SIZE, SUPPORTED_ACTIONS
from tests.immuta_emulator import ImmutaEmulator
from tests.integration.servers import TestCA
from tests.provider.harness import ProviderServer

BIND_PASSWORD = "Immuta-Bind-Passw0rd-7q"
TIMEOUT_SECONDS = 2


def desired(**overrides: Any) -> dict[str, Any]:
    """The IAM inputs the component sends for the dev stack's Okta org."""
    root = "dc=acme,dc=okta,dc=com"
    props = {
        "iamId": "okta",
        "displayName": "Okta LDAP",
        "host": "acme.ldap.okta.com",
        "port": 636,
        "useSsl": True,
        "rejectUnauthorized": True,
        "userSearchBase": f"ou=users,{root}",
        "userIdAttribute": "uid",
        "groupSearchBase": f"ou=groups,{root}",
        "groupSearchFilter": "(objectClass=groupofUniqueNames)",
        "bindDn": f"uid=svc-immuta-ldap-sync@acme.example,{root}",
        "bindPassword": BIND_PASSWORD,
        "profile": {"name": "cn", "email": "mail"},
        "syncCron": "0 */6 * * *",
        "pageSize": OKTA_PAGE_SIZE,
        "supportedActions": list(SUPPORTED_ACTIONS),
        "adopt": False,
        "testBeforeSave": True,
    }
    props.update(overrides)
    return props


def provider_config(emulator: ImmutaEmulator, ca: TestCA, **overrides: str) -> dict[str, str]:
    config = {
        "okta-ldap-immuta:immutaUrl": emulator.url,
        "okta-ldap-immuta:immutaApiKey": emulator.api_key,
        "okta-ldap-immuta:immutaCaCertificate": ca.cert.read_text(),
        "okta-ldap-immuta:immutaTimeoutSeconds": str(TIMEOUT_SECONDS),
    }
    config.update(overrides)
    return config


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
