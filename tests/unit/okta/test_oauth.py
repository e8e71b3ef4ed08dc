"""OAuth for the Management API against the emulator's token endpoint: a private-key JWT, DPoP
when the app demands it, the token cached for its lifetime and fetched again once it expires;
a wrong key, a missing scope and an expired token each fail clearly, holding no secret."""

from __future__ import annotations

import pytest

from components.okta.api_connection import OktaConnection, okta_connection_from_config
from components.okta.errors import OktaAuthError, OktaForbidden
from components.okta.management_api import OktaClient
from components.okta.oauth import READ_SCOPES
from rehearsal.okta_emulator import OktaEmulator
from tests.support.okta_oauth import key_pair, service_app

EVERYONE = {"id": "00gEveryone", "type": "BUILT_IN", "profile": {"name": "Everyone"}}
POLICY = {
    "id": "00pA",
    "type": "OKTA_SIGN_ON",
    "name": "A",
    "priority": 1,
    "status": "ACTIVE",
    "system": True,
    "conditions": {"people": {"groups": {"include": ["00gEveryone"]}}},
}


def connect(emu: OktaEmulator, values: dict[str, str]) -> OktaConnection:
    conn = okta_connection_from_config(values, base_url=emu.url, timeout=5)
    assert conn is not None
    assert conn.oauth is not None
    return conn


def read(conn: OktaConnection) -> tuple[int, str]:
    with OktaClient(conn, max_attempts=1) as api:
        return len(api.signon_policies()), api.everyone_group_id()


@pytest.fixture
def seeded(emu: OktaEmulator) -> OktaEmulator:
    return emu.seed(policies=[POLICY], groups=[EVERYONE])


@pytest.mark.parametrize("dpop", [False, True])
def test_a_token_is_fetched_once_and_serves_every_client_of_the_connection(
    seeded: OktaEmulator, dpop: bool
) -> None:
    conn = connect(seeded, service_app(seeded, dpop=dpop))
    assert read(conn) == (1, "00gEveryone")
    assert read(conn) == (1, "00gEveryone")
    assert conn.oauth is not None
    # Plain, then (DPoP) a proof without the nonce, then the nonce: one token in the end.
    assert conn.oauth.token_requests == (3 if dpop else 1)
    assert len(seeded.oauth.tokens) == 1
    token = next(iter(seeded.oauth.tokens))
    assert (seeded.oauth.tokens[token].jkt is not None) == dpop
    assert token in conn.secrets()
    assert token not in repr(conn)
    assert "PRIVATE KEY" not in repr(conn)


@pytest.mark.parametrize("dpop", [False, True])
def test_an_expired_token_is_replaced_once(seeded: OktaEmulator, dpop: bool) -> None:
    conn = connect(seeded, service_app(seeded, dpop=dpop))
    read(conn)
    seeded.oauth.expire_tokens()
    assert read(conn) == (1, "00gEveryone")
    assert len(seeded.oauth.tokens) == 2


def test_an_expired_token_that_okta_keeps_refusing_fails_clearly(seeded: OktaEmulator) -> None:
    conn = connect(seeded, service_app(seeded))
    read(conn)
    seeded.oauth.token_lifetime = -60  # every new token is born expired
    seeded.oauth.expire_tokens()
    with pytest.raises(OktaAuthError, match="refused the OAuth access token") as info:
        read(conn)
    for secret in conn.secrets():
        assert secret not in str(info.value)


def test_a_wrong_key_is_refused_without_showing_the_key(seeded: OktaEmulator) -> None:
    values = service_app(seeded, signing_key="another")
    conn = connect(seeded, values)
    with pytest.raises(OktaAuthError, match="invalid_client") as info:
        read(conn)
    assert "okta:privateKey" in str(info.value)
    assert key_pair("another")[0] not in str(info.value)
    assert not seeded.oauth.tokens


def test_asking_for_a_scope_the_app_was_not_granted_is_refused(seeded: OktaEmulator) -> None:
    values = service_app(seeded, granted=READ_SCOPES)  # asks okta.roles.read too
    with pytest.raises(OktaAuthError, match=r"invalid_scope.*okta\.roles\.read"):
        read(connect(seeded, values))


def test_a_token_without_an_endpoints_scope_names_what_is_missing(seeded: OktaEmulator) -> None:
    values = service_app(seeded, scopes=("okta.policies.read",))
    with pytest.raises(OktaForbidden, match="lacks the scope"):
        read(connect(seeded, values))  # the policies read passes, the groups read does not


def test_manage_scopes_grant_the_reads(seeded: OktaEmulator) -> None:
    manage = ("okta.policies.manage", "okta.users.manage", "okta.groups.manage")
    assert read(connect(seeded, service_app(seeded, scopes=manage))) == (1, "00gEveryone")
