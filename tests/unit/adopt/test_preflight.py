"""adopt's inputs: one run names every missing or unusable one (Okta credentials and address,
the Immuta connection, the kubeconfig, the import file's folder, the config file, the timeout)
before anything is sent, as text or as JSON; no secret, no repr, no traceback in any of it;
--help shows the defaults and exit codes and runs nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import adopt.__main__ as cli
from components.okta.api_connection import OAUTH_ENV

P = "okta-ldap-immuta:"
CANARIES = ("CANARY-immuta-key-61b", "CANARY-okta-key-2f0", "CANARY-userinfo-9d4")
REPR = re.compile(r"<\w+\.\w+: |PosixPath\(|Traceback|\{'|\['|\bNone\b|Errno")


@pytest.fixture(autouse=True)
def nothing_sent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No Pulumi CLI, no credentials or kubeconfig from this machine, and no read may start."""
    for name in ("OKTA_API_TOKEN", "IMMUTA_API_KEY", *OAUTH_ENV.values()):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-kubeconfig"))
    monkeypatch.setattr("shutil.which", lambda _: None)

    def never(*_: object, **__: object) -> Any:
        raise AssertionError("a read started although an input was missing")

    monkeypatch.setattr(cli, "adopt", never)
    monkeypatch.setattr(cli, "load_target", never)


def run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, config: Any, *extra: str
) -> tuple[int, str, str]:
    path = tmp_path / "config.json"
    path.write_text(config if isinstance(config, str) else json.dumps(config))
    code = cli.main(["--stack", "prod", "--config", str(path), *extra])
    printed = capsys.readouterr()
    return code, printed.out, printed.err


def clean(text: str) -> None:
    assert not REPR.search(text), text
    for canary in CANARIES:
        assert canary not in text


def errors(out: str) -> dict[str, str]:
    body = json.loads(out)
    assert body["stack"] == "prod"
    assert body["exitCode"] == 2
    return {e["input"]: e["message"] for e in body["errors"]}


def test_one_run_names_the_okta_credentials_the_immuta_connection_and_the_kubeconfig(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = {P + "immutaUrl": "", "okta:orgName": ""}
    extra = ("--import-file", str(tmp_path / "no-folder" / "import.json"), "--timeout", "0")
    code, out, err = run(capsys, tmp_path, config, *extra)
    assert code == 2
    assert not out
    assert err.startswith("error: adopt cannot start, 7 input problems (nothing was sent):")
    named = [line.removeprefix("  - ").split(":")[0] for line in err.splitlines()[1:]]
    assert named == [
        "--timeout", "Okta credentials", "Okta address", "immutaUrl", "immutaApiKey",
        "--kubeconfig", "--import-file",
    ]  # fmt: skip
    code, out, err = run(capsys, tmp_path, config, *extra, "--json")
    assert code == 2
    assert not err
    found = errors(out)
    assert list(found) == named
    assert "set OKTA_API_TOKEN" in found["Okta credentials"]
    assert "okta:privateKeyId" in found["Okta credentials"]
    assert "okta:orgName" in found["Okta address"]
    assert "--okta-url" in found["Okta address"]
    assert "`pulumi config set immutaUrl" in found["immutaUrl"]
    assert "IMMUTA_API_KEY" in found["immutaApiKey"]
    assert "encrypted value needs the Pulumi CLI" in found["immutaApiKey"]
    assert "none of the files in KUBECONFIG exists" in found["--kubeconfig"]
    assert "no folder" in found["--import-file"]
    clean(out + err)


def test_half_an_oauth_config_and_a_url_with_credentials_are_named_without_secrets(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = {
        "okta:privateKey": {"value": CANARIES[1], "secret": True},
        P + "immutaUrl": f"https://u:{CANARIES[2]}@immuta.example",
        P + "immutaApiKey": {"value": CANARIES[0], "secret": True},
    }
    for extra in ((), ("--json",)):
        code, out, err = run(capsys, tmp_path, config, *extra)
        assert code == 2
        clean(out + err)
    found = errors(out)
    assert "OAuth for Okta needs okta:clientId, okta:scopes as well" in found["Okta connection"]
    assert "must not carry credentials" in found["immutaUrl"]
    assert "--kubeconfig" in found


HOSTILE_CONFIG = {
    "a list": "[]",
    "text": '"text"',
    "null": "null",
    "broken JSON": "{bad",
}


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("case", sorted(HOSTILE_CONFIG))
def test_a_hostile_config_file_is_named_with_the_other_problems(
    case: str, as_json: bool, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    extra = ("--json",) if as_json else ()
    code, out, err = run(capsys, tmp_path, HOSTILE_CONFIG[case], *extra)
    assert code == 2
    clean(out + err)
    text = json.dumps(errors(out)) if as_json else err
    assert "stack config" in text
    assert "--config" in text
    assert "--kubeconfig" in text  # the other problems are still named


@pytest.mark.parametrize("where", ["missing file", "folder"])
def test_an_unreadable_config_file_is_named(
    where: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "none.json" if where == "missing file" else tmp_path
    code = cli.main(["--stack", "prod", "--config", str(path), "--json"])
    out = capsys.readouterr().out
    assert code == 2
    clean(out)
    message = errors(out)["stack config"]
    assert str(path) in message
    assert ("is a folder" if where == "folder" else "No such file or directory") in message


def test_an_import_file_that_is_a_folder_is_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, tmp_path, {}, "--import-file", str(tmp_path), "--json")
    assert code == 2
    assert "is a folder" in errors(out)["--import-file"]


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_a_bad_command_line_exits_2_and_with_json_says_so_in_json(
    as_json: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--stack", "prod", "--timeout", "soon", *(["--json"] if as_json else [])]
    code = cli.main(argv)
    printed = capsys.readouterr()
    assert code == 2
    if as_json:
        assert errors(printed.out) == {
            "command line": "argument --timeout: invalid float value: 'soon'"
        }
    else:
        assert printed.err.startswith("usage: python -m adopt")


def test_help_shows_the_defaults_and_exit_codes_and_runs_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*_: object) -> None:
        raise AssertionError("--help ran adopt")

    monkeypatch.setattr(cli, "check_inputs", never)
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for default in (
        "the stack to adopt into (default: dev)",
        "(default: pulumi-import-<stack>.json)",
        "per request (default: 30.0)",
        "(default: current-context)",
        "else ~/.kube/config)",
    ):
        assert default in text
    assert "exit codes: 0 the plan is complete (the import file" in text
    assert "1 something needs your decision" in text
    assert "2 an input is missing or unusable" in text
