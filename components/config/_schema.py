"""The project's config schema, read from `Pulumi.yaml`: the one source of keys, types,
defaults and which keys are secret. The Pulumi CLI applies the same defaults before the program
runs; this module lets the program, the offline plan and `verify` apply them identically.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.config import _go_values, _yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Credentials that are optional: stored only with `pulumi config set --secret`, and refused by
# the program when plain. They cannot be declared `secret: true` in Pulumi.yaml: the CLI gives
# a key the stack does not set its `default` as a *plaintext* value and then refuses every
# `secret: true` key that is not encrypted (pkg/workspace/config.go, mergeConfig then
# validateStackConfigValues, CLI 3.202+), and a `secret: true` key without a default is
# required ("Stack 'S' is missing configuration value 'K'"). So Pulumi.yaml declares them with
# their default and without `secret`, and this is the one place that marks them secret.
OPTIONAL_SECRET_KEYS = frozenset(
    {
        "immutaBindPassword",
        "queryEngineBindPassword",
        "sharedBindPassword",
        "helmRepositoryPassword",
        "helmSecretValues",
    }
)


def read_yaml(path: Path) -> Any:
    """A YAML file read as the Pulumi CLI reads it (yaml.v3 scalars, no Python objects)."""
    return _yaml.load(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class KeySpec:
    """One project key as `Pulumi.yaml` declares it."""

    name: str
    type: str  # string | integer | boolean | array | object
    description: str
    secret: bool  # declared `secret: true`, or one of OPTIONAL_SECRET_KEYS
    default: Any = None
    has_default: bool = False
    declared_secret: bool = False  # what Pulumi.yaml itself says (what the CLI enforces)

    @property
    def default_text(self) -> str:
        """The default as the engine passes config: text, arrays and objects as JSON."""
        return config_text(self.default)


@dataclass(frozen=True)
class ProjectSchema:
    name: str
    stack_config_dir: str
    keys: Mapping[str, KeySpec]  # in declaration order

    def full(self, key: str) -> str:
        """`<project>:<key>`, as `pulumi config` names a project key."""
        return f"{self.name}:{key}"

    @property
    def secret_keys(self) -> frozenset[str]:
        return frozenset(k for k, spec in self.keys.items() if spec.secret)

    def stack_file(self, stack: str, root: Path = PROJECT_ROOT) -> Path:
        return root / self.stack_config_dir / f"Pulumi.{stack}.yaml"

    def with_defaults(self, values: Mapping[str, str]) -> dict[str, str]:
        """`values` plus every declared default not set there (what the CLI passes)."""
        merged = dict(values)
        for key, spec in self.keys.items():
            if spec.has_default:
                merged.setdefault(self.full(key), spec.default_text)
        return merged


def config_text(value: Any) -> str:
    """A config value as text, the way the engine hands it to the program."""
    return _go_values.config_text(value)


def load_schema(root: Path = PROJECT_ROOT) -> ProjectSchema:
    """The schema of the project in `root`, read once per process and folder (every stack
    file read needs it, and the program reads each of the project's stack files)."""
    return _load_schema(root.resolve())


@functools.cache
def _load_schema(root: Path) -> ProjectSchema:
    project = read_yaml(root / "Pulumi.yaml")
    if not isinstance(project, dict) or not project.get("name"):
        raise ValueError(f"{root / 'Pulumi.yaml'} has no project name")
    declared = project.get("config") or {}
    unknown = sorted(OPTIONAL_SECRET_KEYS - set(declared))
    if unknown:
        raise ValueError(f"{root / 'Pulumi.yaml'} does not declare the secret keys {unknown}")
    keys = {
        str(name): KeySpec(
            name=str(name),
            type=str(spec.get("type", "string")),
            description=str(spec.get("description", "")),
            secret=spec.get("secret") is True or name in OPTIONAL_SECRET_KEYS,
            default=spec.get("default"),
            has_default=spec.get("default") is not None,
            declared_secret=spec.get("secret") is True,
        )
        for name, spec in declared.items()
    }
    return ProjectSchema(
        name=str(project["name"]),
        stack_config_dir=str(project.get("stackConfigDir", ".")),
        keys=keys,
    )


@functools.cache
def project_schema() -> ProjectSchema:
    """This project's schema, read once per process."""
    return load_schema()
