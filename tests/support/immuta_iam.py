"""The Immuta IAM provider's inputs and config, as the component and the stack give them."""

from __future__ import annotations

from typing import Any

from components.immuta.iam_document import OKTA_PAGE_SIZE, SUPPORTED_ACTIONS
from rehearsal.immuta_emulator import ImmutaEmulator
from rehearsal.servers import TestCA

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
        "groupNameAttribute": "cn",
        "groupMembershipAttributes": ["uniquemember"],
        "normalizeUserId": True,
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
