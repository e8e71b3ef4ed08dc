"""The Pulumi CLI's rules (pulumi/pulumi v3.259.0, restated in tests/support/pulumi_cli.py)
applied to Pulumi.yaml and every stack file: what `pulumi preview`, `up` and `import` check
before the program starts. Each rule also has a case showing it refuses what it should, so a
test here breaks before a user's `up` does.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pulumi
import pytest

from components.config import project_schema
from components.config._go_values import config_text
from components.config._yaml import load as yaml_v3_load
from components.config.stack_file import StackFileError, list_stacks, read_stack_file
from rehearsal.mock_engine import run_program
from rehearsal.stack_config import load_stack_config
from tests.support.pulumi_cli import (
    CliError,
    Value,
    load_project,
    merge_config,
    stack_values,
)
from tests.support.stacks import config_for, with_secrets
from verify.__main__ import load_config

ROOT = Path(__file__).resolve().parents[3]
PROJECT = "okta-ldap-immuta"
API_KEY = Value("the-immuta-api-key", secure=True)  # `pulumi config set --secret immutaApiKey`
STACKS = list_stacks()


def project_text() -> str:
    return (ROOT / "Pulumi.yaml").read_text()


def stack_text(stack: str) -> str:
    return (ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text()


def with_lines(stack: str, *lines: str) -> str:
    """The stack file with `key: value` lines set, replacing the key's entry if it has one."""
    keys = {line.split(":", 1)[0] for line in lines}
    kept, dropping = [], False
    for row in stack_text(stack).splitlines():
        if row.startswith("  ") and not row.startswith("   "):
            dropping = row.strip().removeprefix(f"{PROJECT}:").split(":", 1)[0] in keys
        if not dropping:
            kept.append(row)
    return "\n".join(kept) + "\n" + "".join(f"  {PROJECT}:{line}\n" for line in lines)


def cli_run(stack: str, project: str | None = None, text: str | None = None) -> dict[str, Value]:
    """What `pulumi preview` checks on the stack once its one required secret is set."""
    loaded = load_project(project or project_text())
    values = stack_values(stack_text(stack) if text is None else text, PROJECT)
    values.setdefault(f"{PROJECT}:immutaApiKey", API_KEY)
    return merge_config(loaded, stack, values)


# --- Pulumi.yaml -------------------------------------------------------------------------------
def test_pulumi_yaml_is_valid_by_the_project_schema_and_project_validate() -> None:
    project = load_project(project_text())
    assert project["name"] == PROJECT


def test_no_key_is_both_secret_and_defaulted() -> None:
    """The rule behind every stack's failure before: a defaulted secret key gets a plaintext
    default (mergeConfig) that validateStackConfigValues then refuses."""
    for key, spec in load_project(project_text())["config"].items():
        assert not (spec.get("secret") and spec.get("default") is not None), key


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            (
                "  mfaPolicyGroups:\n    type: array\n    items:\n      type: string\n",
                "  mfaPolicyGroups:\n    type: array\n",
            ),
            "The configuration key 'mfaPolicyGroups' declares an array but does not specify "
            "the underlying type via the 'items' attribute",
        ),
        (
            (
                "  ldapPort:\n    type: integer\n    default: 0\n",
                '  ldapPort:\n    type: integer\n    default: "zero"\n',
            ),
            "The default value specified for configuration key 'ldapPort' is not of the "
            "expected type 'integer'",
        ),
        (
            (
                "  ldapPort:\n    type: integer\n",
                "  ldapPort:\n    type: integer\n    required: true\n",
            ),
            "project is invalid: config/ldapPort",
        ),
        (
            ("  ldapHost:\n    type: string\n", "  ldapHost:\n    type: text\n"),
            "project is invalid",
        ),
    ],
    ids=["array without items", "default of the wrong type", "unknown attribute", "unknown type"],
)
def test_a_broken_project_file_is_refused_as_the_cli_refuses_it(
    edit: tuple[str, str], message: str
) -> None:
    before, after = edit
    assert before in project_text()
    with pytest.raises(CliError, match=re.escape(message)):
        load_project(project_text().replace(before, after))


# --- stack files against the merged config ------------------------------------------------------
@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_passes_the_cli_config_check_once_the_api_key_is_set(stack: str) -> None:
    merged = cli_run(stack)
    assert merged[f"{PROJECT}:immutaApiKey"].secure


@pytest.mark.parametrize("stack", STACKS)
def test_a_stack_without_the_api_key_is_missing_it(stack: str) -> None:
    project = load_project(project_text())
    with pytest.raises(
        CliError, match=rf"^Stack '{stack}' is missing configuration value 'immutaApiKey'$"
    ):
        merge_config(project, stack, stack_values(stack_text(stack), PROJECT))


def test_a_stack_missing_any_required_key_is_refused() -> None:
    project = project_text().replace("config:\n", "config:\n  clusterName:\n    type: string\n", 1)
    with pytest.raises(CliError, match="is missing configuration value 'clusterName'"):
        cli_run("dev", project=project)


def test_a_secret_key_with_a_default_fails_every_stack_that_does_not_set_it() -> None:
    """The design before: `secret: true` and `default: ""` on helmRepositoryPassword."""
    before = '  helmRepositoryPassword:\n    type: string\n    default: ""\n'
    assert before in project_text()
    project = project_text().replace(
        before, before.replace('default: ""', 'secret: true\n    default: ""')
    )
    for stack in STACKS:
        with pytest.raises(
            CliError,
            match=f"Stack '{stack}' with configuration key 'helmRepositoryPassword' must be "
            "encrypted as it's secret",
        ):
            cli_run(stack, project=project)


CREDENTIALS = sorted(k for k, spec in project_schema().keys.items() if spec.secret)


@pytest.mark.parametrize("key", CREDENTIALS)
def test_a_credential_set_with_secret_passes_the_cli(key: str) -> None:
    """A stack deployed with its credentials set by `--secret` keeps working."""
    if project_schema().keys[key].type == "object":  # `config set --secret --path k.x`
        entry = f"  {PROJECT}:{key}:\n    imagePullPassword:\n      secure: v1:ciphertext\n"
    else:
        entry = f"  {PROJECT}:{key}:\n    secure: v1:ciphertext\n"
    merged = cli_run("dev", text=stack_text("dev") + entry)
    assert merged[f"{PROJECT}:{key}"].secure


def test_the_credentials_are_the_ones_the_program_refuses_in_plain() -> None:
    assert (
        sorted(
            {
                "immutaApiKey",
                "immutaBindPassword",
                "queryEngineBindPassword",
                "sharedBindPassword",
                "helmRepositoryPassword",
                "helmSecretValues",
            }
        )
        == CREDENTIALS
    )


@pytest.mark.parametrize(
    ("line", "key", "type_name"),
    [
        ("ldapPort: yes", "ldapPort", "integer"),
        ("ldapPort: 3.5", "ldapPort", "integer"),
        ("bindDenyOtherSignIns: yes", "bindDenyOtherSignIns", "boolean"),
        ("bindDenyOtherSignIns: 1", "bindDenyOtherSignIns", "boolean"),
        ("mfaPolicyGroups: 00g1", "mfaPolicyGroups", "array<string>"),
        ("mfaPolicyGroups: [1, 2]", "mfaPolicyGroups", "array<string>"),
        ("helmValues: [a]", "helmValues", "object"),
        ("bindRotationCount:", "bindRotationCount", "integer"),
    ],
)
def test_a_typed_value_of_the_wrong_type_is_refused(line: str, key: str, type_name: str) -> None:
    text = with_lines("dev", line)
    with pytest.raises(
        CliError,
        match=re.escape(
            f"Stack 'dev' with configuration key '{key}' must be of type '{type_name}'"
        ),
    ):
        cli_run("dev", text=text)


@pytest.mark.parametrize(
    "line",
    [
        "ldapPort: 6_36",  # 636: yaml.v3 drops underscores
        "ldapPort: 0x27d",  # 637
        "bindDenyOtherSignIns: True",
        "bindRotationCount: 0",
        "mfaPolicyGroups: []",
    ],
)
def test_a_typed_value_the_cli_reads_right_passes(line: str) -> None:
    cli_run("dev", text=with_lines("dev", line))


# --- one reading: what the CLI passes is what the offline tools read ------------------------
def _stack_with(tmp_path: Path, body: str) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.t.yaml").write_text(body)
    return tmp_path


@pytest.mark.parametrize("stack", STACKS)
def test_the_offline_tools_read_each_value_as_the_cli_passes_it(stack: str) -> None:
    merged = {k: v.text for k, v in cli_run(stack).items() if not v.secure}
    offline = load_stack_config(stack)  # the offline plan and the sandbox
    assert {k: offline.values[k] for k in merged} == merged
    verified = load_config(stack, None)
    assert {k: verified[k] for k in merged} == merged


TRICKY = {
    # key: (as typed in the stack file, what the CLI passes the program)
    "bindPasswordRotation": ("2026-12-01", "2026-12-01 00:00:00 +0000 UTC"),
    "immutaIamDisplayName": ("no", "no"),
    "mfaPolicyGroups": ("[00g1, Everyone]", '["00g1","Everyone"]'),
    "helmValues": (
        "{b: {y: 2026-12-01T10:00:00Z, n: 0755}, a: <x>, c: yes, d: ~, e: 4.10}",
        '{"a":"\\u003cx\\u003e","b":{"n":493,"y":"2026-12-01 10:00:00 +0000 UTC"},'
        '"c":"yes","d":null,"e":4.1}',
    ),
    "ldapPort": ("6_36", "636"),
    "bindRotationCount": ("0o17", "15"),
    "immutaTestBeforeSave": ("False", "false"),
    "queryEngineSearchFilter": ("", ""),
}


def test_tricky_values_reach_every_tool_as_the_cli_passes_them(tmp_path: Path) -> None:
    body = with_lines("dev", *(f"{k}: {typed}" for k, (typed, _) in TRICKY.items()))
    root = _stack_with(tmp_path, body)
    cli = {
        k: v.text
        for k, v in merge_config(
            load_project(project_text()),
            "t",
            {**stack_values(body, PROJECT), f"{PROJECT}:immutaApiKey": API_KEY},
        ).items()
    }
    offline = read_stack_file("t", root).values
    for key, (_, expected) in TRICKY.items():
        full = f"{PROJECT}:{key}"
        assert cli[full] == expected, key
        assert offline[full] == expected, key


# go-yaml v3 resolve.go (resolve, parseTimestamp) and Pulumi's config object.go
# (MarshalString, unmarshalObject): an unquoted scalar -> the text the program receives.
SCALARS = [
    ("yes", "yes"),
    ("No", "No"),
    ("on", "on"),
    ("y", "y"),
    ("True", "true"),
    ("FALSE", "false"),
    ("tRUE", "tRUE"),
    ("~", ""),
    ("null", ""),
    ("", ""),
    ("0", "0"),
    ("-17", "-17"),
    ("+5", "5"),
    ("1_000", "1000"),
    ("0x1F", "31"),
    ("0o17", "15"),
    ("017", "15"),
    ("0b101", "5"),
    ("089", "89"),
    ("00", "0"),
    ("0x", "0x"),
    ("9223372036854775807", "9223372036854775807"),
    ("18446744073709551615", "18446744073709551615"),
    ("18446744073709551616", "18446744073709552000"),
    ("4.10", "4.1"),
    ("4.13", "4.13"),
    ("1e3", "1000"),
    ("1.0", "1"),
    (".5", "0.5"),
    ("-.5", "-0.5"),
    ("1e21", "1e+21"),
    ("0.0000001", "1e-7"),
    ("0.000001", "0.000001"),
    ("1e400", "1e400"),
    ("1:30", "1:30"),
    ("1.2.3", "1.2.3"),
    ("12:00:00", "12:00:00"),
    ("2026-12-01", "2026-12-01 00:00:00 +0000 UTC"),
    ("2026-1-2", "2026-01-02 00:00:00 +0000 UTC"),
    ("2026-12-01T10:30:00Z", "2026-12-01 10:30:00 +0000 UTC"),
    ("2026-12-01t10:30:00.250Z", "2026-12-01 10:30:00.25 +0000 UTC"),
    ("2026-12-01 10:30:00", "2026-12-01 10:30:00 +0000 UTC"),
    ("2026-12-01T10:30:00+00:00", "2026-12-01 10:30:00 +0000 UTC"),
    ("2026-12-01T10:30:00+02:00", "2026-12-01 10:30:00 +0200 +0200"),
    ("2026-12-01T10:30:00", "2026-12-01T10:30:00"),  # a T layout needs a zone
    ("2026-02-30", "2026-02-30"),  # no such day: text
    ("2024-02-29", "2024-02-29 00:00:00 +0000 UTC"),
    ("26-12-01", "26-12-01"),
]


@pytest.mark.parametrize(("typed", "passed"), SCALARS, ids=[s[0] or "empty" for s in SCALARS])
def test_a_scalar_reads_as_yaml_v3_and_pulumi_read_it(typed: str, passed: str) -> None:
    document = yaml_v3_load(f"config:\n  k: {typed}\n")
    assert config_text(document["config"]["k"]) == passed


@pytest.mark.parametrize("typed", [".inf", "-.Inf", ".nan"])
def test_infinity_is_refused_as_the_cli_cannot_write_it_as_json(typed: str, tmp_path: Path) -> None:
    root = _stack_with(tmp_path, f"config:\n  {PROJECT}:ldapHost: {typed}\n")
    with pytest.raises(StackFileError, match="JSON has no infinity or NaN"):
        read_stack_file("t", root)


def test_quoted_and_block_scalars_stay_text() -> None:
    document = yaml_v3_load("config:\n  a: \"0755\"\n  b: 'yes'\n  c: |\n    2026-12-01\n")
    assert [config_text(document["config"][k]) for k in "abc"] == ["0755", "yes", "2026-12-01\n"]


def test_objects_are_json_as_go_writes_it() -> None:
    document = yaml_v3_load("config:\n  k: {z: 1, a: [é, '&', '\u2028'], m: {b: 2.50, a: 1e3}}\n")
    expected = '{"a":["é","\\u0026","\\u2028"],"m":{"a":1000,"b":2.5},"z":1}'
    assert config_text(document["config"]["k"]) == expected


@pytest.mark.parametrize("key", CREDENTIALS)
def test_the_program_refuses_a_credential_the_cli_passes_in_plain(key: str) -> None:
    """The CLI checks `secret: true` only for immutaApiKey now; the program itself refuses a
    plaintext value of every credential, before anything is registered, never showing it."""
    canary = "CANARY-plain-9d2e"
    value = '{"imagePullPassword":"' + canary + '"}' if key == "helmSecretValues" else canary
    cfg = with_secrets(config_for("dev"), {"immutaApiKey": "k"})
    plain = cfg.with_values({f"{PROJECT}:{key}": value})  # set, but not as a secret
    with pytest.raises(
        pulumi.RunError, match=rf"{PROJECT}:{key} = \[secret\]: must be encrypted"
    ) as info:
        run_program(plain)
    assert canary not in str(info.value)


@pytest.mark.parametrize(
    "typed", ["7301234567890123456789", "0734561234", "2026-12-01T10:00:00+02:00"]
)
def test_a_secret_typed_as_a_number_or_date_is_never_shown(typed: str, tmp_path: Path) -> None:
    """The "quote it" hint shows what was typed, except for a secret key."""
    root = _stack_with(tmp_path, with_lines("dev", f"immutaBindPassword: {typed}"))
    problems = read_stack_file("t", root).problems
    assert problems
    assert all(typed not in str(p) and typed[1:8] not in str(p) for p in problems)
