"""Every request the provider (through its real gRPC server), verify and adopt send to Immuta is
valid by Immuta's published API description (rehearsal/immuta_contract), and the emulator
refuses what the description refuses."""

from __future__ import annotations

import ssl
from typing import Any

import httpx
import pytest

import components.immuta.client as immuta_client
from adopt.immuta_read import read_immuta
from components.immuta.connection import ImmutaConnection
from rehearsal import immuta_contract as contract
from rehearsal.immuta_emulator import Fault, ImmutaEmulator
from rehearsal.provider_server import ProviderServer
from rehearsal.servers import TestCA
from tests.support.immuta_iam import desired
from verify.checks import Target, check_immuta


def connection(emulator: ImmutaEmulator, ca: TestCA) -> ImmutaConnection:
    return ImmutaConnection(
        url=emulator.url, api_key=emulator.api_key, ca_pem=ca.cert.read_text(), timeout=5
    )


def sent(emulator: ImmutaEmulator) -> set[tuple[str, str]]:
    return {(r.method, r.path) for r in emulator.requests}


def test_the_provider_sends_only_valid_requests(
    provider: ProviderServer, emulator: ImmutaEmulator
) -> None:
    checked, failures = provider.check({}, desired())
    assert failures == []
    _, outs = provider.create(checked)  # dry run, save, sync
    provider.read("okta", outs)
    moved = desired(port=10636)
    outs = provider.update("okta", outs, moved)  # a connection change: save and sync again
    provider.diff("okta", outs, moved)
    provider.delete("okta", outs)
    assert emulator.invalid_requests() == []
    assert {
        ("POST", "/bim/apikey/authenticate"),
        ("POST", "/iam/okta/sync"),
        ("GET", "/configuration"),
        ("PUT", "/configuration"),
    } <= sent(emulator)
    bodies = [r.body for r in emulator.requests if r.path == "/iam/okta/sync"]
    assert [b["dryRun"] for b in bodies] == [True, False, True, False]  # test, save, sync: twice


def test_the_sync_fallback_is_valid_too(provider: ProviderServer, emulator: ImmutaEmulator) -> None:
    emulator.faults.append(Fault("POST", r"/iam/okta/sync", status=404))
    _, outs = provider.create(desired(testBeforeSave=False))
    assert outs["syncStarted"] is True
    assert emulator.syncs == ["okta"]  # started through /bim/syncUsers
    assert emulator.count("POST", "/bim/syncUsers") == 1
    assert emulator.invalid_requests() == []


def test_verify_and_adopt_send_only_valid_requests(
    provider: ProviderServer, emulator: ImmutaEmulator, ca: TestCA, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider.create(desired())
    emulator.requests.clear()
    monkeypatch.setattr(immuta_client, "_TOKENS", {})  # a fresh process: it authenticates
    target = Target(
        host="127.0.0.1", port=636, transport="ldaps", user_base_dn="ou=users,dc=x",
        accounts=(), iam_id="okta", immuta=connection(emulator, ca),
    )  # fmt: skip
    assert check_immuta(target).status == "pass"
    facts = read_immuta(connection(emulator, ca), "okta")
    assert facts.exists
    assert emulator.invalid_requests() == []
    assert sent(emulator) == {
        ("POST", "/bim/apikey/authenticate"),
        ("GET", "/bim/iam"),
        ("GET", "/configuration"),
    }


def _post(emulator: ImmutaEmulator, ca: TestCA, path: str, body: Any) -> httpx.Response:
    trust = ssl.create_default_context(cafile=str(ca.cert))
    with httpx.Client(base_url=emulator.url, verify=trust) as http:
        token = http.post("/bim/apikey/authenticate", json={"apikey": emulator.api_key})
        bearer = {"Authorization": f"Bearer {token.json()['token']}"}
        return http.post(path, json=body, headers=bearer)


@pytest.mark.invalid_immuta_requests
def test_the_emulator_refuses_a_sync_without_dry_run(
    provider: ProviderServer, emulator: ImmutaEmulator, ca: TestCA
) -> None:
    provider.create(desired(testBeforeSave=False))
    emulator.syncs.clear()
    refused = _post(emulator, ca, "/iam/okta/sync", {"userId": "*"})  # the old request
    assert refused.status_code == 400
    assert refused.json() == {
        "statusCode": 400,
        "error": "Bad Request",
        "message": '"dryRun" is required',
    }
    assert emulator.syncs == []
    assert _post(emulator, ca, "/iam/okta/sync", {"userId": "*", "dryRun": False}).is_success
    assert emulator.syncs == ["okta"]


@pytest.mark.invalid_immuta_requests
@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/iam/okta/sync", {"dryRun": "false"}, '"dryRun" must be of type boolean'),
        ("/iam/okta/sync", {"dryRun": True, "iamConfig": {"id": "x"}}, '"iamConfig.displayName"'),
        ("/iam/okta/sync", {"dryRun": False, "users": "*"}, '"users" is not allowed'),
        ("/bim/syncUsers", {}, '"iamid" is required'),
        ("/bim/syncUsers", {"iamid": 7}, '"iamid" must be of type string'),
    ],
)
def test_the_emulator_refuses_what_the_description_refuses(
    emulator: ImmutaEmulator, ca: TestCA, path: str, body: Any, message: str
) -> None:
    answer = _post(emulator, ca, path, body)
    assert answer.status_code == 400
    assert message in answer.json()["message"]
    assert emulator.syncs == []


def test_an_iam_entry_is_held_to_iam_config(provider: ProviderServer) -> None:
    from components.immuta.iam_document import iam_entry

    entry = iam_entry(desired())
    assert contract.iam_entry_problems(entry) == []
    entry["options"]["port"] = "636"
    entry["options"]["connectTimeout"] = "10s"
    del entry["options"]["host"]
    assert contract.iam_entry_problems(entry) == [
        '"options.host" is required',
        '"options.port" must be of type integer',
        '"options.connectTimeout" must be of type number',
    ]


@pytest.mark.invalid_immuta_requests
def test_the_emulator_refuses_a_saved_entry_the_description_refuses(
    provider: ProviderServer, emulator: ImmutaEmulator
) -> None:
    import grpc

    with pytest.raises(grpc.RpcError) as info:  # a wrong type reaches Immuta: it says so
        provider.create(desired(testBeforeSave=False, groupMembershipAttributes=[1]))
    assert "groupMembershipAttributes" in str(info.value.details())
    assert "rejected it (HTTP 400)" in str(info.value.details())
