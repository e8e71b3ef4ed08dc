"""The project's config schema, read from `Pulumi.yaml`: the one source of keys, types,
defaults and which keys are secret. The Pulumi CLI applies the same defaults before the program
runs; this module lets the program, the offline plan and `verify` apply them identically.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's safe loader when built


def read_yaml(path: Path) -> Any:
    """A YAML file with a safe loader (no Python objects)."""
    return yaml.load(path.read_text(), Loader=_SafeLoader)  # noqa: S506 (a safe loader)


@dataclass(frozen=True)
class KeySpec:
    """One project key as `Pulumi.yaml` declares it."""

    name: str
    type: str  # string | integer | boolean | array | object
    description: str
    secret: bool
    default: Any = None
    has_default: bool = False

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
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def load_schema(root: Path = PROJECT_ROOT) -> ProjectSchema:
    project = read_yaml(root / "Pulumi.yaml")
    if not isinstance(project, dict) or not project.get("name"):
        raise ValueError(f"{root / 'Pulumi.yaml'} has no project name")
    keys = {
        str(name): KeySpec(
            name=str(name),
            type=str(spec.get("type", "string")),
            description=str(spec.get("description", "")),
            secret=bool(spec.get("secret", False)),
            default=spec.get("default"),
            has_default="default" in spec,
        )
        for name, spec in (project.get("config") or {}).items()
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
