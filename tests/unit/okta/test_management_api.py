"""OktaClient against the local Okta emulator: pagination, errors, rate limits, read-only, and a
generated org read back deciding like the original."""

from __future__ import annotations

import socket
import time
from typing import Any

import httpx
import pytest
from hypothesis import given, settings

import components.okta.management_api as api
from components.okta.api_connection import OktaConnection, okta_connection_from_config
from components.okta.errors import (
    OktaAuthError,
    OktaConfigError,
    OktaError,
    OktaForbidden,
    OktaNotFound,
    OktaUnavailable,
)
from components.okta.management_api import OktaClient
from components.okta.signon_model import AUTH_TYPES, Attempt, Org, decide
from rehearsal.okta_emulator import OktaEmulator
from tests.support.okta_orgs import (
    EVERYONE,
    USERS,
    GeneratedOrg,
    directory_to_api,
    login_of,
    org_to_api,
    orgs,
)


def connect(emu: OktaEmulator, token: str | None = None, **options: Any) -> OktaClient:
    conn = OktaConnection(base_url=emu.url, api_token=token or emu.token, timeout=5)
    return OktaClient(conn, **options)


def policy(
    i: int, *, system: bool = False, groups: tuple[str, ...] = (EVERYONE,)
) -> dict[str, Any]:
    return {
        "id": f"00p{i:03d}",
        "type": "OKTA_SIGN_ON",
        "name": "Default Policy" if system else f"policy {i}",
        "priority": i,
        "status": "ACTIVE",
        "system": system,
        "conditions": {"people": {"groups": {"include": list(groups)}}},
    }


def rule(policy_id: str, n: int, *, mfa: bool = False) -> dict[str, Any]:
    return {
        "id": f"0pr{policy_id}{n}",
        "name": f"rule {n}",
        "priority": n,
        "status": "ACTIVE",
        "conditions": {"authContext": {"authType": "ANY"}},
        "actions": {"signon": {"access": "ALLOW", "requireFactor": mfa}},
    }


def directory() -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, list[str]]]:
    empty = Org(policies=(), everyone_group_id=EVERYONE)
    gen = GeneratedOrg(org=empty, memberships={u: frozenset() for u in USERS})
    return directory_to_api(gen)


def small_org(emu: OktaEmulator, policies: int = 5) -> None:
    listed = [policy(i) for i in range(1, policies + 1)] + [policy(policies + 1, system=True)]
    users, groups, user_groups = directory()
    user_groups[USERS[0]] += [g["id"] for g in groups[1:]]
    emu.seed(
        policies=listed,
        rules={p["id"]: [rule(p["id"], 1), rule(p["id"], 2, mfa=True)] for p in listed},
        users=users,
        groups=groups,
        user_groups=user_groups,
    )


def test_lists_follow_next_links_across_pages(emu: OktaEmulator) -> None:
    small_org(emu)
    emu.default_limit = 2
    with connect(emu) as client:
        policies = client.signon_policies()
        groups = client.user_groups(USERS[0])
        assert client.requests_sent == {"signon_policies": 3, "user_groups": 3}
    assert [p["id"] for p in policies] == [f"00p{i:03d}" for i in range(1, 7)]
    assert groups[0]["id"] == EVERYONE
    assert len(groups) == 5
    assert emu.count(r"/api/v1/policies") == 3
    after = [r.query.get("after") for r in emu.requests if r.path == "/api/v1/policies"]
    assert after == [None, ("00p002",), ("00p004",)]


def test_signon_org_reads_each_object_once_and_only_gets(emu: OktaEmulator) -> None:
    small_org(emu, policies=3)
    with connect(emu) as client:
        org = client.signon_org()
        user = client.user(login_of(USERS[1]))
        assert client.requests_sent == {
            "signon_policies": 1,
            "rules": 4,
            "everyone_group_id": 1,
            "user": 1,
        }
    assert org.everyone_group_id == EVERYONE
    assert [p.name for p in org.policies] == ["policy 1", "policy 2", "policy 3", "Default Policy"]
    assert user["id"] == USERS[1]
    assert len(emu.requests) == 7
    assert {r.method for r in emu.requests} == {"GET"}
    assert all(r.status == 200 for r in emu.requests)


def test_user_lookups_are_url_quoted(emu: OktaEmulator) -> None:
    small_org(emu)
    with connect(emu) as client, pytest.raises(OktaNotFound, match="not found"):
        client.user("x/../../policies")  # stays one path segment, not another endpoint
    assert [r.path for r in emu.requests] == ["/api/v1/users/x/../../policies"]


def test_a_wrong_token_is_an_auth_error_without_the_token(emu: OktaEmulator) -> None:
    small_org(emu)
    wrong = "00Wrong-Okta-Token-" + emu.token[-8:]
    with connect(emu, token=wrong) as client, pytest.raises(OktaAuthError) as info:
        client.signon_org()
    text = f"{info.value} {info.value!r}"
    assert "HTTP 401" in text
    assert "E0000011" in text
    assert wrong not in text
    assert emu.token not in text
    assert emu.count(status=401) == 1  # no retry of a refused token


def test_403_names_the_endpoint_and_the_role_that_suffices(emu: OktaEmulator) -> None:
    small_org(emu)
    emu.forbid(r"/api/v1/policies/00p002/rules")
    with connect(emu) as client, pytest.raises(OktaForbidden) as info:
        client.signon_org()
    assert "GET /api/v1/policies/00p002/rules" in str(info.value)
    assert "Read-Only Administrator" in str(info.value)
    assert emu.token not in str(info.value)


class Recording(httpx.HTTPTransport):
    """The real transport, keeping each response's status and headers."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[int, httpx.Headers]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        self.seen.append((response.status_code, response.headers))
        return response


def test_429_waits_until_the_rate_limit_resets(emu: OktaEmulator) -> None:
    small_org(emu)
    emu.rate_limit(1, reset_after=2)
    recording = Recording()
    with connect(emu, transport=recording) as client:
        policies = client.signon_policies()
    done = time.time()
    assert len(policies) == 6
    (limited, limited_headers), (ok, _) = recording.seen
    assert (limited, ok) == (429, 200)
    reset = int(limited_headers["X-Rate-Limit-Reset"])
    assert done >= reset  # never before the reset (Okta's clock, from Date)
    assert done <= reset + 1.2  # and not much after it
    assert emu.count(r"/api/v1/policies", status=429) == 1
    assert emu.count(r"/api/v1/policies", status=200) == 1


def test_429_forever_gives_up_within_the_budget(emu: OktaEmulator) -> None:
    small_org(emu)
    emu.rate_limit(10_000, reset_after=1)
    start = time.time()
    with connect(emu, max_retry_seconds=2.5) as client, pytest.raises(OktaUnavailable) as info:
        client.signon_policies()
    assert time.time() - start < 3.5
    assert "429" in str(info.value)
    assert "rate limit" in str(info.value)
    assert 2 <= emu.count(r"/api/v1/policies", status=429) <= 4


def test_429_without_a_reset_header_backs_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "BACKOFF_INITIAL", 0.01)
    replies = iter([429, 503, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "GET"
        status = next(replies)
        return httpx.Response(status, json=[] if status == 200 else {"errorCode": "E0000047"})

    conn = OktaConnection(base_url="https://acme.okta.com", api_token="tok-1234567", timeout=1)
    with OktaClient(conn, transport=httpx.MockTransport(handler)) as client:
        assert client.signon_policies() == []
        assert client.requests_sent == {"signon_policies": 3}


def test_timeouts_and_refused_connections_are_retried_then_unavailable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(api, "BACKOFF_INITIAL", 0.01)
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ReadTimeout("slow", request=request)

    conn = OktaConnection(base_url="https://acme.okta.com", api_token="tok-1234567", timeout=1)
    mock = httpx.MockTransport(handler)
    with (
        OktaClient(conn, transport=mock, max_attempts=3) as client,
        pytest.raises(OktaUnavailable) as info,
    ):
        client.everyone_group_id()
    assert "timed out" in str(info.value)
    assert calls == 3
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conn = OktaConnection(base_url=f"http://127.0.0.1:{port}", api_token="tok-1234567", timeout=1)
    with OktaClient(conn, max_retry_seconds=0.5) as client, pytest.raises(OktaUnavailable) as info:
        client.signon_policies()
    assert "cannot reach Okta" in str(info.value)
    assert "tok-1234567" not in str(info.value)


def test_a_next_link_to_another_host_is_not_followed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "acme.okta.com"
        link = '<https://evil.example/api/v1/policies?after=x>; rel="next"'
        return httpx.Response(200, json=[], headers={"Link": link})

    conn = OktaConnection(base_url="https://acme.okta.com", api_token="tok-1234567", timeout=1)
    mock = httpx.MockTransport(handler)
    with OktaClient(conn, transport=mock) as client, pytest.raises(OktaError) as info:
        client.signon_policies()
    assert "leaves https://acme.okta.com" in str(info.value)


def test_connection_from_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OKTA_API_TOKEN", raising=False)
    org = {"okta:orgName": "acme", "okta:baseUrl": "oktapreview.com"}
    assert okta_connection_from_config(org, timeout=5) is None
    conn = okta_connection_from_config({**org, "okta:apiToken": "tok-secret-1"}, timeout=5)
    assert conn == OktaConnection(
        base_url="https://acme.oktapreview.com", api_token="tok-secret-1", timeout=5
    )
    assert "tok-secret-1" not in repr(conn)
    monkeypatch.setenv("OKTA_API_TOKEN", "tok-from-env")
    conn = okta_connection_from_config({"okta:orgName": "acme"}, timeout=5)
    assert conn is not None
    assert (conn.base_url, conn.api_token) == ("https://acme.okta.com", "tok-from-env")
    local = okta_connection_from_config(org, base_url="http://127.0.0.1:8080/", timeout=1)
    assert local is not None
    assert local.base_url == "http://127.0.0.1:8080"
    with pytest.raises(OktaConfigError, match="plain http only"):
        okta_connection_from_config(org, base_url="http://okta.example", timeout=1)
    with pytest.raises(OktaConfigError, match="subdomain"):
        okta_connection_from_config({"okta:orgName": "acme.okta.com"}, timeout=1)
    monkeypatch.delenv("OKTA_API_TOKEN")
    # OAuth half-configured: the missing keys are named.
    with pytest.raises(OktaConfigError, match=r"okta:clientId, okta:scopes"):
        okta_connection_from_config({**org, "okta:privateKey": "-----BEGIN"}, timeout=1)
    with pytest.raises(OktaConfigError, match="neither a PEM private key nor a readable file"):
        okta_connection_from_config(
            {**org, "okta:privateKey": "no-such-key", "okta:clientId": "0oa1", "okta:scopes": "x"},
            timeout=1,
        )


@settings(max_examples=25, deadline=None)
@given(gen=orgs())
def test_a_generated_org_read_through_the_client_decides_the_same(
    okta_server: OktaEmulator, gen: GeneratedOrg
) -> None:
    policies, rules = org_to_api(gen.org)
    users, groups, user_groups = directory_to_api(gen)
    okta_server.seed(
        policies=policies, rules=rules, users=users, groups=groups, user_groups=user_groups
    )
    okta_server.default_limit = 2
    with connect(okta_server) as client:
        org = client.signon_org()
        assert org == gen.org
        for user in USERS:
            found = client.user(login_of(user))
            ids = frozenset(g["id"] for g in client.user_groups(found["id"]))
            for way_in in AUTH_TYPES:
                served = Attempt(user_id=found["id"], groups=ids, authtype=way_in)
                truth = Attempt(user_id=user, groups=gen.groups_of(user), authtype=way_in)
                assert decide(org, served) == decide(gen.org, truth)
        assert client.requests_sent["rules"] == len(policies)
        assert client.requests_sent["user"] == len(USERS)
    assert {r.method for r in okta_server.requests} == {"GET"}
