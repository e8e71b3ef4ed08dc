"""Pulumi.yaml, stack files and settings agree; the offline loader acts like the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from components.config import SettingsError, load_settings, project_schema
from components.config._model import ConfigModel
from components.config._schema import read_yaml
from components.config.stack_file import StackFileError
from rehearsal.stack_config import SECRET_PLACEHOLDER, list_stacks, load_stack_config

ROOT = Path(__file__).resolve().parents[3]
PROJECT = "okta-ldap-immuta"
CREDENTIAL_KEYS = {"immutaApiKey"}


def test_pulumi_yaml_is_the_one_schema_of_the_model() -> None:
    project = read_yaml(ROOT / "Pulumi.yaml")
    schema = project_schema()
    assert project["name"] == schema.name == PROJECT
    assert project["stackConfigDir"] == "stacks"
    assert project["runtime"] == {
        "name": "python",
        "options": {"toolchain": "uv", "virtualenv": ".venv"},
    }
    aliases = [f.alias for f in ConfigModel.model_fields.values()]
    assert list(schema.keys) == aliases  # every key typed in the model, no other
    assert all(f.is_required() for f in ConfigModel.model_fields.values())  # no second default
    for key, spec in schema.keys.items():
        assert spec.type in {"string", "integer", "boolean", "array", "object"}, key
        assert spec.description, key
        if not spec.has_default:  # required credentials: the CLI demands them before a run
            assert key in CREDENTIAL_KEYS, key
            assert spec.secret, key


@pytest.mark.parametrize("stack", list_stacks())
def test_every_stack_file_validates(stack: str) -> None:
    raw = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    assert all(":" in k for k in raw), "namespace every key (okta:... or okta-ldap-immuta:...)"
    cfg = load_stack_config(stack)
    load_settings(cfg.values, secret_keys=frozenset(cfg.secret_keys))


def test_stacks_dev_and_prod_exist() -> None:
    assert {"dev", "prod"} <= set(list_stacks())


def _project(tmp_path: Path, stack_yaml: str) -> Path:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "stacks" / "Pulumi.t.yaml").write_text(stack_yaml)
    return tmp_path


def test_loader_applies_defaults_and_masks_secure_values(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        "config:\n  okta:orgName: acme\n  okta-ldap-immuta:ldapPort: 10636\n"
        "  okta-ldap-immuta:mfaPolicyGroups: [00gAAAAAAAAAAAAAAAAA]\n"
        "  okta-ldap-immuta:immutaBindPassword:\n    secure: v1:abc\n",
    )
    cfg = load_stack_config("t", root)
    assert cfg.values[f"{PROJECT}:ldapPort"] == "10636"
    assert json.loads(cfg.values[f"{PROJECT}:mfaPolicyGroups"]) == ["00gAAAAAAAAAAAAAAAAA"]
    assert cfg.values[f"{PROJECT}:ldapTransport"] == "starttls"  # default from Pulumi.yaml
    assert cfg.values[f"{PROJECT}:immutaBindPassword"] == SECRET_PLACEHOLDER
    assert set(cfg.secret_keys) == {f"{PROJECT}:immutaBindPassword", f"{PROJECT}:immutaApiKey"}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("okta-ldap-immuta:immutaBindPassword: plain", "must be encrypted"),
        ("okta-ldap-immuta:ldapPort: abc", "must be of type 'integer'"),
        ("okta-ldap-immuta:mfaPolicyGroups: 00gAAAAAAAAAAAAAAAAA", "must be of type 'array'"),
    ],
)
def test_settings_reject_what_the_cli_rejects(tmp_path: Path, line: str, message: str) -> None:
    root = _project(tmp_path, f"config:\n  okta:orgName: acme\n  {line}\n")
    cfg = load_stack_config("t", root)
    with pytest.raises(SettingsError, match=message) as info:
        load_settings(cfg.values, secret_keys=frozenset(cfg.secret_keys))
    assert "plain" not in str(info.value)  # a secret typed in plain is still never shown


def test_loader_supplies_a_placeholder_for_unset_credentials(tmp_path: Path) -> None:
    cfg = load_stack_config("t", _project(tmp_path, "config:\n  okta:orgName: acme\n"))
    assert cfg.values[f"{PROJECT}:immutaApiKey"] == SECRET_PLACEHOLDER
    assert f"{PROJECT}:immutaApiKey" in cfg.secret_keys
    assert cfg.values[f"{PROJECT}:immutaBindPassword"] == ""  # optional secrets stay unset


def test_loader_names_a_missing_stack(tmp_path: Path) -> None:
    root = _project(tmp_path, "config: {}\n")
    with pytest.raises(StackFileError, match=r"no stack file .*Pulumi.nope.yaml") as info:
        load_stack_config("nope", root)
    assert str(info.value).endswith("(stacks: t)")  # a plain list, no Python repr


def test_the_sync_cron_default_is_a_valid_five_field_rule() -> None:
    from croniter import croniter

    from components.config._model import DEFAULT_SYNC_CRON

    assert project_schema().keys["immutaSyncCron"].default == DEFAULT_SYNC_CRON
    assert len(DEFAULT_SYNC_CRON.split()) == 5
    assert croniter.is_valid(DEFAULT_SYNC_CRON)
