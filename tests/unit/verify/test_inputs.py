"""verify's inputs: every missing or unusable one is named in one report (exit 2) before any
connection is made, as text or, with --json, as a JSON object; hostile files never produce a
traceback, a Python repr or a secret; --help shows the defaults and exit codes and runs nothing."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path
from typing import Any

import pytest

from components.okta.api_connection import OAUTH_ENV
from verify import inputs
from verify.__main__ import main

P = "okta-ldap-immuta:"
CANARIES = {
    "api key": "CANARY-immuta-key-5e1",
    "okta token": "CANARY-okta-token-77c",
    "bind password": "CANARY-bind-pw-30d",
    "probe password": "CANARY-probe-pw-8a2",
}
HEALTHY_OUTPUTS = {
    "ldapHost": "acme.ldap.okta.com",
    "ldapPort": 636,
    "ldapUserBaseDn": "ou=users,dc=acme,dc=okta,dc=com",
    "bindDns": {"immuta": "uid=svc@acme.example,dc=acme,dc=okta,dc=com"},
    "bindPasswords": {"immuta": CANARIES["bind password"]},
}
REQUIRED = ("bindDns", "bindPasswords", "ldapHost", "ldapPort", "ldapUserBaseDn")
REPR = re.compile(r"<\w+\.\w+: |PosixPath\(|Traceback|\{'|\['|\bNone\b")


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """No Pulumi CLI, no credentials from the environment, and any connection attempt recorded."""
    for name in ("OKTA_API_TOKEN", "IMMUTA_API_KEY", "VERIFY_PROBE_PASSWORD", *OAUTH_ENV.values()):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("shutil.which", lambda _: None)
    attempts: list[object] = []

    def refuse(address: object, *_: object, **__: object) -> socket.socket:
        attempts.append(address)
        raise OSError("no connection in this test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def run(
    capsys: pytest.CaptureFixture[str], *argv: str, as_json: bool = False
) -> tuple[int, str, str]:
    code = main([*argv, "--json"] if as_json else list(argv))
    printed = capsys.readouterr()
    return code, printed.out, printed.err


def errors(out: str) -> dict[str, str]:
    body = json.loads(out)
    assert body["passed"] is False
    assert body["checks"] == []
    assert body["exitCode"] == 2
    return {e["input"]: e["message"] for e in body["errors"]}


def clean(text: str) -> None:
    assert not REPR.search(text), text
    for canary in CANARIES.values():
        assert canary not in text


def write(path: Path, content: Any) -> str:
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def test_a_run_missing_every_input_names_them_all_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], offline: list[object]
) -> None:
    argv = [
        "--outputs", write(tmp_path / "outputs.json", {}),
        "--config", write(tmp_path / "config.json", []),
        "--probe-login", "alice@acme.example", "--ldap-ca", str(tmp_path),
        "--query-engine-ca", str(tmp_path / "none.pem"), "--timeout", "0",
        "--password-warn-days", "-1", "--query-engine-port", "70000",
    ]  # fmt: skip
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert not out
    assert err.startswith("error: verify cannot start, 12 input problems (nothing was sent):")
    named = [line.removeprefix("  - ").split(":")[0] for line in err.splitlines()[1:]]
    assert sorted(named) == sorted([
        "--timeout", "--query-engine-port", "--password-warn-days", "--ldap-ca",
        "--query-engine-ca", "--config", *REQUIRED, "VERIFY_PROBE_PASSWORD",
    ])  # fmt: skip
    code, out, _ = run(capsys, *argv, as_json=True)
    assert code == 2
    found = errors(out)
    assert set(found) == set(named)
    assert "must be 0 or more" in found["--password-warn-days"]
    assert "--prompt" in found["VERIFY_PROBE_PASSWORD"]
    assert "pulumi stack output --json --show-secrets" in found["bindDns"]
    assert "a map of consumer -> text" in found["bindDns"]
    assert "a port number from 1 to 65535" in found["ldapPort"]
    assert offline == []


def test_an_empty_outputs_file_names_each_output_and_where_outputs_come_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--outputs", write(tmp_path / "o.json", {}))
    assert code == 2
    for key in REQUIRED:
        assert f"  - {key}: missing: run `pulumi up` first (outputs come from `pulumi stack " in err
    clean(err)


HOSTILE_OUTPUTS: dict[str, tuple[Any, str]] = {
    "empty object": ({}, "bindDns"),
    "a list": ([], "--outputs"),
    "text": ("just text", "--outputs"),
    "null": (None, "--outputs"),
    "broken JSON": ("{bad", "--outputs"),
    "not UTF-8": ("\udcff", "--outputs"),
    "wrong types": (
        {
            "bindDns": ["uid=a"],
            "bindPasswords": CANARIES["bind password"],
            "ldapHost": 5,
            "ldapPort": "abc",
            "ldapUserBaseDn": {"a": 1},
            "ldapTransport": "plain",
            "bindAccountIds": [1],
            "immutaIamId": ["okta"],
        },
        "bindPasswords",
    ),
    "no shared consumer": (
        {**HEALTHY_OUTPUTS, "bindDns": {"queryEngine": "uid=b"}},
        "bindDns, bindPasswords",
    ),
}


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("case", sorted(HOSTILE_OUTPUTS))
def test_hostile_outputs_are_named_without_repr_traceback_or_secret(
    case: str, as_json: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, key = HOSTILE_OUTPUTS[case]
    path = tmp_path / "outputs.json"
    if content == "\udcff":
        path.write_bytes(b"\xff\xfe{")
    elif content is None:
        path.write_text("null")
    else:
        write(path, content)
    config = {P + "immutaApiKey": CANARIES["api key"], "okta:apiToken": CANARIES["okta token"]}
    argv = ["--outputs", str(path), "--config", write(tmp_path / "c.json", config)]
    code, out, err = run(capsys, *argv, as_json=as_json)
    assert code == 2
    clean(out + err)
    if as_json:
        assert not err
        assert key in errors(out)
    else:
        assert not out
        assert f"  - {key}" in err


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("option", ["--outputs", "--config"])
@pytest.mark.parametrize("where", ["missing file", "folder"])
def test_an_unreadable_file_is_named_with_its_option(
    option: str, where: str, as_json: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "nothing.json" if where == "missing file" else tmp_path
    other = "--config" if option == "--outputs" else "--outputs"
    argv = [option, str(path), other, write(tmp_path / "ok.json", HEALTHY_OUTPUTS)]
    if other == "--config":
        argv[-1] = write(tmp_path / "ok.json", {})
    code, out, err = run(capsys, *argv, as_json=as_json)
    assert code == 2
    clean(out + err)
    text = errors(out)[option] if as_json else err
    assert str(path) in text
    assert ("is a folder" if where == "folder" else "No such file or directory") in text


def test_outputs_with_secrets_of_the_wrong_type_never_show_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VERIFY_PROBE_PASSWORD", CANARIES["probe password"])
    monkeypatch.setenv("OKTA_API_TOKEN", CANARIES["okta token"])
    outputs = {**HEALTHY_OUTPUTS, "bindDns": CANARIES["bind password"], "ldapPort": 0}
    config = {
        P + "immutaUrl": f"https://u:{CANARIES['api key']}@immuta.example",
        P + "immutaApiKey": CANARIES["api key"],
        "okta:orgName": "Not An Org",
    }
    argv = [
        "--outputs", write(tmp_path / "o.json", outputs),
        "--config", write(tmp_path / "c.json", config), "--probe-login", "alice@acme.example",
    ]  # fmt: skip
    for as_json in (False, True):
        code, out, err = run(capsys, *argv, as_json=as_json)
        assert code == 2
        clean(out + err)
    found = errors(out)
    assert set(found) == {"bindDns", "ldapPort", "Okta connection", P + "immutaUrl"}
    assert "(got text)" in found["bindDns"]
    assert "okta:orgName" in found["Okta connection"]


def test_half_an_oauth_config_is_named_beside_the_other_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = {"okta:privateKey": {"value": CANARIES["okta token"], "secret": True}}
    argv = ["--outputs", write(tmp_path / "o.json", {"ldapPort": 1}), "--config"]
    code, out, _ = run(capsys, *argv, write(tmp_path / "c.json", config), as_json=True)
    assert code == 2
    found = errors(out)
    assert "OAuth for Okta needs okta:clientId" in found["Okta connection"]
    assert "bindDns" in found
    clean(out)


def test_prompt_without_a_probe_login_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--outputs", write(tmp_path / "o.json", HEALTHY_OUTPUTS), "--prompt"]
    code, out, _ = run(capsys, *argv, as_json=True)
    assert code == 2
    assert "give --probe-login" in errors(out)["--prompt"]


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_a_bad_command_line_exits_2_and_with_json_says_so_in_json(
    as_json: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--timeout", "soon", "--stack", "prod", as_json=as_json)
    assert code == 2
    if as_json:
        body = json.loads(out)
        assert body["stack"] == "prod"
        assert body["errors"] == [
            {"input": "command line", "message": "argument --timeout: invalid float value: 'soon'"}
        ]
    else:
        assert err.startswith("usage: python -m verify")
        assert "  - command line: argument --timeout: invalid float value" in err


def test_help_shows_the_defaults_and_exit_codes_and_runs_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*_: object) -> None:
        raise AssertionError("--help ran verify")

    monkeypatch.setattr(inputs, "load_outputs", never)
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for default in (
        "the stack to check (default: dev)",
        "(default: VERIFY_PROBE_PASSWORD)",
        "per connection and request (default: 10.0)",
        "when larger; default: 14)",
        "the Query Engine's port (default: 5432)",
    ):
        assert default in text
    assert "exit codes: 0 every check that ran passed 1 a check failed" in text
    assert '"errors": [{"input":' in text


@pytest.mark.parametrize("timeout", ["inf", "1e400", "nan", "0"])
def test_a_timeout_that_is_not_a_finite_positive_number_is_an_input_error(
    timeout: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--outputs", write(tmp_path / "o.json", HEALTHY_OUTPUTS), "--timeout", timeout]
    code, out, _ = run(capsys, *argv, "--config", write(tmp_path / "c.json", {}), as_json=True)
    assert code == 2
    assert errors(out)["--timeout"] == "must be a finite number of seconds above 0"


def test_json_nested_too_deeply_is_named_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = write(tmp_path / "deep.json", "[" * 100_000 + "]" * 100_000)
    code, out, _ = run(capsys, "--outputs", deep, "--config", deep, as_json=True)
    assert code == 2
    found = errors(out)
    assert "nests too deeply" in found["--outputs"]
    assert "nests too deeply" in found["--config"]


def test_a_missing_stack_file_is_an_input_error_unless_the_config_comes_from_elsewhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # No --config and no Pulumi CLI (the fixture hides it): the stack file is the config.
    outputs = write(tmp_path / "o.json", HEALTHY_OUTPUTS)
    code, out, _ = run(capsys, "--stack", "nosuch", "--outputs", outputs, as_json=True)
    assert code == 2
    assert "no stack file stacks/Pulumi.nosuch.yaml" in errors(out)["--stack"]
    # With --config the missing file is read around (a stack whose config the CLI holds).
    config = write(tmp_path / "c.json", {})
    code, out, _ = run(
        capsys, "--stack", "nosuch", "--outputs", outputs, "--config", config, as_json=True
    )
    assert all(e["input"] != "--stack" for e in json.loads(out).get("errors", []))


def test_a_password_in_the_okta_url_is_never_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OKTA_API_TOKEN", CANARIES["okta token"])
    url = f"http://u:{CANARIES['bind password']}@okta.example.com"
    argv = ["--outputs", write(tmp_path / "o.json", HEALTHY_OUTPUTS), "--okta-url", url]
    code, out, err = run(capsys, *argv, "--config", write(tmp_path / "c.json", {}), as_json=True)
    assert code == 2
    clean(out + err)
    assert 'Okta URL "http://okta.example.com": use https://' in errors(out)["Okta connection"]
