"""Canary secrets in every secret position and in URL userinfo never reach any output or file:
the program's plan (text and JSON), plan-update, config errors, and `make verify` failures."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

import pytest

import components.immuta.client as immuta_client
import offline_plan.__main__ as plan_cli
from components.okta.management_api import OktaClient
from offline_plan.render import to_json, to_text
from rehearsal.mock_engine import run_program
from tests.support.stacks import P, config_for, with_secrets
from verify import okta_signon, password_expiry
from verify.__main__ import main as verify_main

CANARIES = {  # every secret key of the project, as the CLI hands them decrypted
    "immutaBindPassword": "CANARY-immuta-bind-pw-1",
    "queryEngineBindPassword": "CANARY-qe-bind-pw-2",
    "helmRepositoryPassword": "CANARY-repo-pw-3",
    "immutaApiKey": "CANARY-api-key-4",
    "helmSecretValues": json.dumps({"global": {"imagePullPassword": "CANARY-pull-pw-5"}}),
}
OKTA_TOKEN = "CANARY-okta-token-6"
USERINFO = "CANARY-userinfo-pw-7"


def assert_clean(text: str) -> None:
    assert "CANARY" not in text, text[text.find("CANARY") - 200 : text.find("CANARY") + 50]


def canary_config(**overrides: str) -> Any:
    cfg = with_secrets(config_for("dev", helmRepositoryUsername="bot", **overrides), CANARIES)
    cfg.values["okta:apiToken"] = OKTA_TOKEN
    return type(cfg)(cfg.project, cfg.stack, cfg.values, (*cfg.secret_keys, "okta:apiToken"))


def test_the_program_plan_in_text_and_json_shows_no_canary() -> None:
    plan = run_program(canary_config())
    values = plan.only("kubernetes:helm.sh/v3:Release").inputs["values"]["value"]
    assert values["global"]["imagePullPassword"] == "CANARY-pull-pw-5"  # it did reach Helm
    assert_clean(to_text(plan))
    assert_clean(to_json(plan))


def test_shared_mode_plan_shows_no_canary() -> None:
    cfg = canary_config(
        bindAccountMode="shared", immutaBindLogin="", queryEngineBindLogin="",
        sharedBindLogin="svc@acme.example",
    )  # fmt: skip
    for key in ("immutaBindPassword", "queryEngineBindPassword"):
        cfg.values[P + key] = ""
    cfg.values[P + "sharedBindPassword"] = "CANARY-shared-pw-8"
    keys = (*cfg.secret_keys, P + "sharedBindPassword")
    plan = run_program(type(cfg)(cfg.project, cfg.stack, cfg.values, keys))
    assert_clean(to_text(plan) + to_json(plan))


@pytest.mark.parametrize(
    "bad",
    [
        {"immutaBindPassword": "CANARY\n-with-a-newline"},
        {"queryEngineBindPassword": "CANARY"},  # too short
        {"immutaUrl": f"https://admin:{USERINFO}@immuta.acme.example"},
        {"helmRepository": f"https://bot:{USERINFO}@charts.acme.example"},
        {"helmValues": json.dumps({"queryEngine": {"password": "CANARY-in-values"}})},
        {"bindRuleName": OKTA_TOKEN * 3},  # a known secret pasted into a plain key
    ],
)
def test_config_errors_show_no_canary(bad: dict[str, str]) -> None:
    cfg = canary_config(**bad)
    for key, value in bad.items():
        cfg.values[P + key] = value
    with pytest.raises(Exception, match="invalid stack configuration") as info:
        run_program(cfg)
    assert_clean(str(info.value) + repr(info.value))


def test_plan_update_writes_no_canary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "project"
    (root / "stacks").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text(
        (Path(plan_cli.__file__).parents[1] / "Pulumi.yaml").read_text()
    )
    good = (Path(plan_cli.__file__).parents[1] / "stacks" / "Pulumi.dev.yaml").read_text()
    (root / "stacks" / "Pulumi.good.yaml").write_text(
        good + "  okta-ldap-immuta:immutaApiKey:\n    secure: v1:CANARY-ciphertext\n"
    )
    (root / "stacks" / "Pulumi.bad.yaml").write_text(
        good.replace("https://immuta-dev", f"https://u:{USERINFO}@immuta-dev")
        + f"  okta:apiToken: {OKTA_TOKEN}\n"
    )
    out = tmp_path / "plans"
    code = plan_cli.main(["--write", "--out", str(out), "--root", str(root)])
    printed = capsys.readouterr()
    assert code == 2  # the bad stack is refused
    assert_clean(printed.out + printed.err)
    for written in out.glob("*"):
        assert_clean(written.read_text())


def test_verify_failures_show_no_canary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every check fails or is refused against closed local ports; nothing it prints leaks."""
    # One attempt per request: the retries are tested elsewhere, here they only cost time.
    monkeypatch.setattr(immuta_client, "MAX_ATTEMPTS", 1)
    monkeypatch.setattr(okta_signon, "OktaClient", partial(OktaClient, max_attempts=1))
    monkeypatch.setattr(password_expiry, "OktaClient", partial(OktaClient, max_attempts=1))
    monkeypatch.setenv("VERIFY_PROBE_PASSWORD", "CANARY-probe-pw-9")
    monkeypatch.setenv("OKTA_API_TOKEN", OKTA_TOKEN)
    outputs = {
        "ldapHost": "127.0.0.1", "ldapPort": 1, "ldapTransport": "ldaps",
        "ldapUserBaseDn": "ou=users,dc=acme,dc=okta,dc=com", "immutaIamId": "okta",
        "bindDns": {"immuta": "uid=a,dc=acme", "queryEngine": "uid=b,dc=acme"},
        "bindPasswords": {"immuta": "CANARY-bind-a", "queryEngine": "CANARY-bind-b"},
        "bindAccountIds": {"immuta": "00uA", "queryEngine": "00uB"},
    }  # fmt: skip
    (tmp_path / "outputs.json").write_text(json.dumps(outputs))
    for url in ("https://127.0.0.1:1", f"https://u:{USERINFO}@127.0.0.1:1"):
        (tmp_path / "config.json").write_text(
            json.dumps({P + "immutaUrl": url, P + "immutaApiKey": "CANARY-api-key-4"})
        )
        argv = [
            "--stack", "dev", "--outputs", str(tmp_path / "outputs.json"),
            "--config", str(tmp_path / "config.json"), "--probe-login", "alice@acme.example",
            "--query-engine-host", "127.0.0.1", "--query-engine-port", "1",
            "--okta-url", "http://127.0.0.1:1", "--timeout", "1",
        ]  # fmt: skip
        for extra in ([], ["--json"]):
            code = verify_main([*argv, *extra])
            printed = capsys.readouterr()
            assert code != 0
            assert_clean(printed.out + printed.err)
