"""The Okta Management API emulator: pagination, auth, injected faults, a generated org served."""

from __future__ import annotations

import time
from typing import Any

import httpx
from hypothesis import given, settings

from components.okta.signon_api import from_api
from components.okta.signon_model import AUTH_TYPES, Attempt, Org, decide
from rehearsal.okta_emulator import OktaEmulator
from tests.support import okta_bodies as bodies
from tests.support.okta_orgs import (
    EVERYONE,
    USERS,
    GeneratedOrg,
    directory_to_api,
    login_of,
    org_to_api,
    orgs,
)


def policy_json(i: int, *, system: bool = False) -> dict[str, Any]:
    return {
        "id": f"00p{i:03d}",
        "type": "OKTA_SIGN_ON",
        "name": f"p{i}",
        "priority": i,
        "status": "ACTIVE",
        "system": system,
        "conditions": {"people": {"groups": {"include": [EVERYONE]}}},
    }


def fetch_all(client: httpx.Client, url: str) -> tuple[list[dict[str, Any]], int]:
    """Follow rel="next" links; returns the items and the number of pages."""
    items: list[dict[str, Any]] = []
    pages = 0
    next_url: str | None = url
    while next_url:
        response = client.get(next_url)
        response.raise_for_status()
        items += response.json()
        pages += 1
        next_url = response.links.get("next", {}).get("url")
    return items, pages


def test_policies_are_paginated_with_an_after_cursor(emu: OktaEmulator) -> None:
    emu.seed(policies=[policy_json(i) for i in (3, 1, 4, 2)] + [policy_json(5, system=True)])
    with httpx.Client(base_url=emu.url, headers=emu.auth_header) as client:
        first = client.get("/api/v1/policies", params={"type": "OKTA_SIGN_ON", "limit": 2})
        assert [p["id"] for p in first.json()] == ["00p001", "00p002"]
        assert "after=00p002" in first.links["next"]["url"]
        items, pages = fetch_all(client, "/api/v1/policies?type=OKTA_SIGN_ON&limit=2")
        assert pages == 3
        assert [p["id"] for p in items] == ["00p001", "00p002", "00p003", "00p004", "00p005"]
        assert "next" not in client.get("/api/v1/policies?type=OKTA_SIGN_ON").links
        assert client.get("/api/v1/policies?limit=2").status_code == 400  # type is required
    queries = [r.query for r in emu.requests if r.path == "/api/v1/policies"]
    assert {"type": ("OKTA_SIGN_ON",), "limit": ("2",), "after": ("00p004",)} in queries


def test_wrong_or_missing_token_is_refused_without_echoing_it(emu: OktaEmulator) -> None:
    emu.seed(policies=[policy_json(1)])
    wrong = "SSWS " + emu.token[:-1] + "x"
    for headers in ({"Authorization": wrong}, {}, {"Authorization": f"Bearer {emu.token}"}):
        response = httpx.get(f"{emu.url}/api/v1/policies?type=OKTA_SIGN_ON", headers=headers)
        assert response.status_code == 401
        assert response.json() == {
            "errorCode": "E0000011",
            "errorSummary": "Invalid token provided",
        }
        assert emu.token not in response.text
        assert all(emu.token not in v for v in response.headers.values())
    assert emu.count(status=401) == 3
    assert emu.token not in repr(emu.requests)
    ok = httpx.get(f"{emu.url}/api/v1/policies?type=OKTA_SIGN_ON", headers=emu.auth_header)
    assert ok.status_code == 200
    assert emu.token not in ok.text


def test_injected_403_applies_to_matching_paths(emu: OktaEmulator) -> None:
    emu.seed(policies=[policy_json(1)], rules={"00p001": []})
    emu.forbid(r"/api/v1/policies/[^/]+/rules", times=1)
    with httpx.Client(base_url=emu.url, headers=emu.auth_header) as client:
        denied = client.get("/api/v1/policies/00p001/rules")
        assert denied.status_code == 403
        assert denied.json()["errorCode"] == "E0000006"
        assert client.get("/api/v1/policies?type=OKTA_SIGN_ON").status_code == 200
        assert client.get("/api/v1/policies/00p001/rules").status_code == 200


def test_injected_429_carries_okta_rate_limit_headers(emu: OktaEmulator) -> None:
    emu.seed(policies=[policy_json(1)])
    emu.rate_limit(2, reset_after=30)
    url = "/api/v1/policies?type=OKTA_SIGN_ON"
    with httpx.Client(base_url=emu.url, headers=emu.auth_header) as client:
        for _ in range(2):
            limited = client.get(url)
            assert limited.status_code == 429
            assert limited.json()["errorCode"] == "E0000047"
            assert limited.headers["X-Rate-Limit-Remaining"] == "0"
            assert int(limited.headers["X-Rate-Limit-Limit"]) > 0
            reset = int(limited.headers["X-Rate-Limit-Reset"])
            assert time.time() + 20 < reset <= time.time() + 31
        assert client.get(url).status_code == 200
    assert emu.count(path="/api/v1/policies", status=429) == 2


def test_users_by_id_or_login_and_their_groups(emu: OktaEmulator) -> None:
    none = {u: frozenset[str]() for u in USERS}
    gen = GeneratedOrg(org=Org(policies=(), everyone_group_id=EVERYONE), memberships=none)
    users, groups, user_groups = directory_to_api(gen)
    user_groups[USERS[0]].append(groups[1]["id"])
    emu.seed(users=users, groups=groups, user_groups=user_groups)
    with httpx.Client(base_url=emu.url, headers=emu.auth_header) as client:
        by_login = client.get(f"/api/v1/users/{login_of(USERS[0])}").json()
        assert by_login["id"] == USERS[0]
        assert set(by_login) >= {"id", "status", "profile", "passwordChanged"}
        assert client.get(f"/api/v1/users/{USERS[0]}").json() == by_login
        assert client.get("/api/v1/users/nobody@example.com").json()["errorCode"] == "E0000007"
        ids, pages = fetch_all(client, f"/api/v1/users/{USERS[0]}/groups?limit=1")
        assert [g["id"] for g in ids] == [EVERYONE, groups[1]["id"]]
        assert pages == 2
        found = client.get("/api/v1/groups", params={"q": "group-1"}).json()
        assert [g["profile"]["name"] for g in found] == ["group-1"]
        assert client.post("/api/v1/groups", json={}).status_code == 405


@settings(max_examples=40, deadline=None)
@given(gen=orgs())
def test_generated_org_served_and_read_back_decides_the_same(
    okta_server: OktaEmulator, gen: GeneratedOrg
) -> None:
    policies, rules = org_to_api(gen.org)
    users, groups, user_groups = directory_to_api(gen)
    okta_server.seed(
        policies=policies, rules=rules, users=users, groups=groups, user_groups=user_groups
    )
    with httpx.Client(base_url=okta_server.url, headers=okta_server.auth_header) as client:
        listed, _ = fetch_all(client, "/api/v1/policies?type=OKTA_SIGN_ON&limit=2")
        rules_read = {
            p["id"]: client.get(f"/api/v1/policies/{p['id']}/rules").json() for p in listed
        }
        read = from_api(listed, rules_read, EVERYONE)
        assert read == gen.org
        for user in USERS:
            uid = client.get(f"/api/v1/users/{login_of(user)}").json()["id"]
            group_ids, _ = fetch_all(client, f"/api/v1/users/{uid}/groups")
            for way_in in AUTH_TYPES:
                served = Attempt(
                    user_id=uid, groups=frozenset(g["id"] for g in group_ids), authtype=way_in
                )
                truth = Attempt(user_id=user, groups=gen.groups_of(user), authtype=way_in)
                assert decide(read, served) == decide(gen.org, truth)


def test_pages_carry_one_link_header_per_relation_and_searches_are_not_paged(
    emu: OktaEmulator,
) -> None:
    groups = [
        {"id": f"00gEvery{i}", "type": "OKTA_GROUP", "profile": {"name": f"Every {i}"}}
        for i in range(3)
    ]
    emu.seed(groups=groups)
    listed = httpx.get(emu.url + "/api/v1/groups?limit=1", headers=emu.auth_header)
    links = listed.headers.get_list("Link")
    assert len(links) == 2
    assert links[0].endswith('rel="self"')
    assert links[1].endswith('rel="next"')
    found = httpx.get(emu.url + "/api/v1/groups?q=Every&limit=1", headers=emu.auth_header)
    assert [g["id"] for g in found.json()] == [g["id"] for g in groups]
    assert "Link" not in found.headers


def test_users_are_served_exactly_as_real_okta_holds_them(emu: OktaEmulator) -> None:
    emu.seed(users=[bodies.REAL_USER])
    got = httpx.get(emu.url + "/api/v1/users/" + bodies.REAL_USER["id"], headers=emu.auth_header)
    assert (got.json()["status"], got.json()["passwordChanged"]) == ("PROVISIONED", None)
