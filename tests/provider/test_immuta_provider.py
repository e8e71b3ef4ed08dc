"""The Immuta IAM dynamic provider through its real gRPC server, against the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from pulumi.runtime.proto import provider_pb2

from components.immuta.iam_document import iam_entry
from rehearsal.immuta_emulator import ImmutaEmulator
from rehearsal.provider_server import ProviderServer
from tests.support.immuta_iam import BIND_PASSWORD, desired


def ours(emulator: ImmutaEmulator) -> list[dict[str, Any]]:
    """Every IAM entry with our id (there must never be two)."""
    plugins = emulator.document.get("plugins", {})
    return [v for v in plugins.values() if isinstance(v, dict) and v.get("id") == "okta"]


def no_secret_anywhere(emulator: ImmutaEmulator, provider: ProviderServer, *extra: str) -> None:
    text = "\n".join(provider.seen) + provider.logs()
    for secret in (emulator.api_key, BIND_PASSWORD, *emulator.issued_tokens, *extra):
        assert secret not in text
    assert "legacy-ad-secret-pw" not in text  # other IAMs' secrets: the document never leaks
    assert "s3cr3t-saml-key" not in text


# --- check and diff: validation and change detection, no API calls ------------------------


def test_check_accepts_the_component_inputs_without_calling_immuta(
    provider: ProviderServer, emulator: ImmutaEmulator
) -> None:
    _, failures = provider.check({}, desired())
    assert failures == []
    assert emulator.requests == []


@pytest.mark.parametrize(
    ("overrides", "property_"),
    [
        ({"iamId": "okta user"}, "iamId"),
        ({"port": 0}, "port"),
        ({"useSsl": False}, "useSsl"),
        ({"rejectUnauthorized": False}, "useSsl"),
        ({"bindDn": ""}, "bindDn"),
        ({"supportedActions": ["ldapSync"]}, "supportedActions"),
    ],
)
def test_check_names_the_bad_input(
    provider: ProviderServer, emulator: ImmutaEmulator, overrides: dict[str, Any], property_: str
) -> None:
    _, failures = provider.check({}, desired(**overrides))
    assert property_ in [p for p, _ in failures]
    assert emulator.requests == []


def test_diff_without_api_calls(provider: ProviderServer, emulator: ImmutaEmulator) -> None:
    _, outs = provider.create(desired())
    emulator.requests.clear()
    same = provider.diff("okta", outs, desired())
    assert same.changes == provider_pb2.DiffResponse.DIFF_NONE
    renamed = provider.diff("okta", outs, desired(displayName="Okta (LDAP)"))
    assert renamed.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(renamed.replaces) == []
    new_password = provider.diff("okta", outs, desired(bindPassword="Rotated-Bind-Passw0rd"))
    assert new_password.changes == provider_pb2.DiffResponse.DIFF_SOME
    new_id = provider.diff("okta", outs, desired(iamId="okta2"))
    assert list(new_id.replaces) == ["iamId"]
    assert new_id.deleteBeforeReplace is True
    assert emulator.requests == []


# --- create, read, update, delete ----------------------------------------------------------


def test_create_saves_only_our_entry(provider: ProviderServer, emulator: ImmutaEmulator) -> None:
    before = emulator.others()
    id_, outs = provider.create(desired())
    assert id_ == "okta"
    assert ours(emulator) == [iam_entry(desired())]
    assert emulator.others() == before
    assert outs["queryEngineRole"] == "okta_user"
    assert "bindPassword" not in outs
    assert outs["bindPasswordDigest"].startswith("scrypt$")
    assert emulator.count("POST", r"/iam/okta/sync") == 2  # tested before saving, synced after
    assert emulator.syncs == ["okta"]  # new users can log in to the Query Engine now
    assert outs["syncStarted"] is True
    no_secret_anywhere(emulator, provider)


def test_a_connection_change_starts_one_sync_and_a_rename_none(
    provider: ProviderServer, emulator: ImmutaEmulator
) -> None:
    _, outs = provider.create(desired())
    emulator.syncs.clear()
    renamed = provider.update("okta", outs, desired(displayName="Okta (LDAP)"))
    assert emulator.syncs == []
    assert (renamed["syncStarted"], renamed.get("syncProblem")) == (True, None)  # carried on
    rotated = desired(displayName="Okta (LDAP)", bindPassword="Rotated-Bind-Passw0rd")
    assert provider.update("okta", renamed, rotated)["syncStarted"] is True
    moved = desired(displayName="Okta (LDAP)", bindPassword="Rotated-Bind-Passw0rd", port=10636)
    provider.update("okta", renamed, moved)
    assert emulator.syncs == ["okta", "okta"]


def test_a_sync_that_does_not_start_leaves_the_saved_iam(
    provider: ProviderServer, emulator: ImmutaEmulator
) -> None:
    from rehearsal.immuta_emulator import Fault

    emulator.faults.append(Fault("POST", r"/iam/okta/sync", status=500, times=2))
    _, outs = provider.create(desired(testBeforeSave=False))
    assert ours(emulator) == [iam_entry(desired(testBeforeSave=False))]
    assert outs["syncStarted"] is False  # the cron picks it up; the up itself succeeded
    assert "start a sync of IAM 'okta': Immuta answered HTTP 500" in outs["syncProblem"]
    assert emulator.syncs == []
    no_secret_anywhere(emulator, provider)


def test_a_sync_refused_on_both_paths_says_both_reasons(
    provider: ProviderServer, emulator: ImmutaEmulator
) -> None:
    from rehearsal.immuta_emulator import Fault

    emulator.faults.append(Fault("POST", r"/iam/okta/sync", status=400))
    emulator.faults.append(Fault("POST", r"/bim/syncUsers", status=404))
    _, outs = provider.create(desired(testBeforeSave=False))
    assert outs["syncStarted"] is False
    assert "rejected it (HTTP 400)" in outs["syncProblem"]
    assert "then /bim/syncUsers: Immuta answered HTTP 404" in outs["syncProblem"]
    assert emulator.syncs == []


def test_create_refuses_an_existing_iam_unless_adopted(
    provider: ProviderServer, emulator: ImmutaEmulator
) -> None:
    emulator.document["plugins"]["okta-by-hand"] = {
        **iam_entry(desired(displayName="By hand")),
        "id": "okta",
    }
    document = json.dumps(emulator.document, sort_keys=True)
    with pytest.raises(grpc.RpcError) as info:
        provider.create(desired())
    assert "immutaIamAdopt" in str(info.value.details())
    assert json.dumps(emulator.document, sort_keys=True) == document
    _, outs = provider.create(desired(adopt=True))
    assert ours(emulator) == [iam_entry(desired())]  # taken over in place: no duplicate
    assert "okta-by-hand" in emulator.document["plugins"]
    assert outs["displayName"] == "Okta LDAP"


def test_create_refuses_an_identical_iam_it_did_not_write(
    provider: ProviderServer, emulator: ImmutaEmulator
) -> None:
    emulator.document["plugins"]["okta-elsewhere"] = iam_entry(desired())  # another stack's
    document = json.dumps(emulator.document, sort_keys=True)
    with pytest.raises(grpc.RpcError) as info:
        provider.create(desired())
    details = str(info.value.details())
    assert "identical to this stack's" in details
    assert "immutaIamAdopt" in details
    assert json.dumps(emulator.document, sort_keys=True) == document
    assert emulator.count("PUT", "/configuration") == 0
    assert emulator.syncs == []


@pytest.mark.parametrize("etag", [True, False], ids=["with ETag", "without ETag"])
def test_a_create_whose_put_landed_but_whose_answer_was_lost_converges(
    provider: ProviderServer, emulator: ImmutaEmulator, etag: bool
) -> None:
    from rehearsal.immuta_emulator import Fault

    emulator.etag = etag
    emulator.faults.append(Fault("PUT", "/configuration", drop_after=True))
    id_, outs = provider.create(desired())
    assert id_ == "okta"
    assert ours(emulator) == [iam_entry(desired())]  # once, and no conflict with itself
    assert emulator.faults[0].times == 0  # the answer really was lost
    assert emulator.syncs == ["okta"]
    assert outs["syncStarted"] is True


def test_read_reports_drift_field_by_field_and_a_vanished_iam(
    provider: ProviderServer, emulator: ImmutaEmulator
) -> None:
    _, outs = provider.create(desired())
    (entry,) = ours(emulator)
    entry["displayName"] = "Edited in the UI"
    entry["options"]["port"] = 389
    entry["credentials"]["bind_pw"] = "Changed-By-Hand-1"
    id_, live = provider.read("okta", outs)
    assert id_ == "okta"
    assert (live["displayName"], live["port"]) == ("Edited in the UI", 389)
    assert live["bindDn"] == outs["bindDn"]
    drift = provider.diff("okta", live, desired())
    assert drift.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert "Changed-By-Hand-1" not in json.dumps(live)
    del emulator.document["plugins"][
        next(k for k, v in emulator.document["plugins"].items() if v is entry)
    ]
    gone_id, _ = provider.read("okta", outs)
    assert gone_id == ""


def test_update_returns_full_outputs_and_touches_only_our_entry(
    provider: ProviderServer, emulator: ImmutaEmulator
) -> None:
    _, outs = provider.create(desired())
    before = emulator.others()
    news = desired(displayName="Okta (LDAP)", bindPassword="Rotated-Bind-Passw0rd")
    updated = provider.update("okta", outs, news)
    assert ours(emulator) == [iam_entry(news)]
    assert emulator.others() == before
    expected = {k: v for k, v in outs.items() if k not in ("displayName", "bindPasswordDigest")}
    assert {k: updated[k] for k in expected} == expected
    assert updated["displayName"] == "Okta (LDAP)"
    assert updated["bindPasswordDigest"] != outs["bindPasswordDigest"]
    assert provider.diff("okta", updated, news).changes == provider_pb2.DiffResponse.DIFF_NONE
    no_secret_anywhere(emulator, provider, "Rotated-Bind-Passw0rd")


def test_delete_removes_only_ours_and_a_missing_iam_is_success(
    provider: ProviderServer, emulator: ImmutaEmulator
) -> None:
    before = emulator.others()
    _, outs = provider.create(desired())
    provider.delete("okta", outs)
    assert ours(emulator) == []
    assert emulator.others() == before
    puts = emulator.count("PUT", "/configuration")
    provider.delete("okta", outs)
    assert emulator.count("PUT", "/configuration") == puts  # nothing to write


def test_failed_dry_run_saves_nothing_and_says_why(
    provider: ProviderServer, emulator: ImmutaEmulator
) -> None:
    emulator.dry_run = lambda entry: (
        f"LDAP bind failed for {entry['credentials']['bind_pw']}: Invalid credentials (49)"
    )
    document = json.dumps(emulator.document, sort_keys=True)
    with pytest.raises(grpc.RpcError) as info:
        provider.create(desired())
    details = str(info.value.details())
    assert "Invalid credentials (49)" in details
    assert "Nothing was saved" in details
    assert json.dumps(emulator.document, sort_keys=True) == document
    assert emulator.count("PUT", "/configuration") == 0
    no_secret_anywhere(emulator, provider)


def test_dry_run_can_be_switched_off(provider: ProviderServer, emulator: ImmutaEmulator) -> None:
    provider.create(desired(testBeforeSave=False))
    assert emulator.count("POST", r"/iam/.*/sync") == 1  # only the real sync after saving
    assert emulator.syncs == ["okta"]
    assert len(ours(emulator)) == 1


# --- faults: the right end state or a clear error; other IAMs never altered ---------------

FAULTS = [
    ("429 with Retry-After", [("PUT", "/configuration", {"status": 429, "retry_after": "1"})]),
    ("500 on a stale token", [("GET", "/configuration", {"status": 500})]),
    ("502", [("GET", "/configuration", {"status": 502})]),
    ("503 twice", [("PUT", "/configuration", {"status": 503, "times": 2})]),
    ("504", [("POST", r"/iam/okta/sync", {"status": 504})]),
    ("slower than the timeout", [("GET", "/configuration", {"delay": 3.0})]),
    ("dropped connection", [("PUT", "/configuration", {"drop": True})]),
]


@pytest.mark.parametrize(("name", "faults"), FAULTS, ids=[f[0] for f in FAULTS])
def test_create_survives_transient_faults(
    provider: ProviderServer, emulator: ImmutaEmulator, name: str, faults: list[Any]
) -> None:
    from rehearsal.immuta_emulator import Fault

    before = emulator.others()
    for method, path, kwargs in faults:
        emulator.faults.append(Fault(method, path, **kwargs))
    provider.create(desired())
    assert ours(emulator) == [iam_entry(desired())]
    assert emulator.others() == before
    assert all(f.times == 0 for f in emulator.faults)  # every fault was really hit
    no_secret_anywhere(emulator, provider)


def test_expired_token_is_renewed_once(provider: ProviderServer, emulator: ImmutaEmulator) -> None:
    provider.create(desired())
    emulator.expire_tokens()
    auths = emulator.count("POST", "/bim/apikey/authenticate")
    _, outs = provider.read("okta", {"bindPasswordDigest": ""})
    assert outs["iamId"] == "okta"
    assert emulator.count("POST", "/bim/apikey/authenticate") == auths + 1


def test_500_instead_of_401_quirk(provider: ProviderServer, emulator: ImmutaEmulator) -> None:
    provider.create(desired())
    emulator.expire_tokens()
    emulator.quirk_500_for_401 = True
    provider.delete("okta", {})
    assert ours(emulator) == []


@pytest.mark.parametrize("etag", [True, False], ids=["with ETag", "without ETag"])
def test_another_writer_between_get_and_put_is_not_overwritten(
    provider: ProviderServer, emulator: ImmutaEmulator, etag: bool
) -> None:
    emulator.etag = etag
    writer = {"id": "oidc", "displayName": "Added meanwhile", "type": "oidc"}
    emulator.after_get_configuration = lambda doc: doc["plugins"].__setitem__("oidc", writer)
    provider.create(desired())
    assert emulator.document["plugins"]["oidc"] == writer  # their change survived
    assert ours(emulator) == [iam_entry(desired())]  # ours landed, once


def test_persistent_outage_is_a_clear_error_and_changes_nothing(
    provider: ProviderServer, emulator: ImmutaEmulator
) -> None:
    from rehearsal.immuta_emulator import Fault

    emulator.faults.append(Fault("PUT", "/configuration", status=503, times=99))
    document = json.dumps(emulator.document, sort_keys=True)
    with pytest.raises(grpc.RpcError) as info:
        provider.create(desired())
    assert "still answered HTTP 503 after 5 attempts" in str(info.value.details())
    assert json.dumps(emulator.document, sort_keys=True) == document
    no_secret_anywhere(emulator, provider)


def test_wrong_api_key_is_a_clear_error(
    start_provider: Callable[..., ProviderServer], emulator: ImmutaEmulator
) -> None:
    server = start_provider(**{"okta-ldap-immuta:immutaApiKey": "wrong-key-123456"})
    with pytest.raises(grpc.RpcError) as info:
        server.create(desired())
    details = str(info.value.details())
    assert "refused the API key (HTTP 401)" in details
    assert "wrong-key-123456" not in details + server.logs()


def test_unknown_ca_fails_tls_verification_clearly(
    start_provider: Callable[..., ProviderServer], emulator: ImmutaEmulator
) -> None:
    server = start_provider(**{"okta-ldap-immuta:immutaCaCertificate": ""})
    with pytest.raises(grpc.RpcError) as info:
        server.create(desired())
    assert "failed certificate verification" in str(info.value.details())
    assert emulator.requests == []


def test_missing_immuta_config_is_a_clear_error(
    start_provider: Callable[..., ProviderServer],
) -> None:
    server = start_provider(**{"okta-ldap-immuta:immutaUrl": ""})
    with pytest.raises(grpc.RpcError) as info:
        server.create(desired())
    assert "Immuta is not configured for this stack" in str(info.value.details())
