"""Read a stack's config the way the Pulumi CLI hands it to the program, without the CLI."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's safe loader when built


def _read_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(), Loader=_SafeLoader)  # noqa: S506 (a safe loader)


PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Stands in for each `secure:` value, which only the stack's secrets provider can decrypt.
SECRET_PLACEHOLDER = "offline-plan-secret-placeholder"


class StackConfigError(ValueError):
    """The project or stack file is not what the Pulumi CLI would accept."""


@dataclass(frozen=True)
class StackConfig:
    project: str
    stack: str
    values: dict[str, str]  # "namespace:key" -> text, as the engine passes config
    secret_keys: tuple[str, ...]


def load_project(root: Path = PROJECT_ROOT) -> dict[str, Any]:
    project = _read_yaml(root / "Pulumi.yaml")
    if not isinstance(project, dict) or "name" not in project:
        raise StackConfigError("Pulumi.yaml has no project name")
    return project


def stack_file(stack: str, root: Path = PROJECT_ROOT) -> Path:
    project = load_project(root)
    return root / str(project.get("stackConfigDir", ".")) / f"Pulumi.{stack}.yaml"


def list_stacks(root: Path = PROJECT_ROOT) -> list[str]:
    folder = stack_file("x", root).parent
    return sorted(
        p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in folder.glob("Pulumi.*.yaml")
    )


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _type_ok(type_name: str | None, value: Any) -> bool:
    if type_name is None:
        return True
    checks = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: (
            (isinstance(v, int) and not isinstance(v, bool))
            or (isinstance(v, str) and v.lstrip("-").isdigit())
        ),
        "boolean": lambda v: isinstance(v, bool) or v in ("true", "false"),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
    }
    return checks[type_name](value)


def load_stack_config(stack: str, root: Path = PROJECT_ROOT) -> StackConfig:
    """Merge Pulumi.yaml defaults under the stack file, type-checked like the CLI does."""
    project = load_project(root)
    name = project["name"]
    path = stack_file(stack, root)
    if not path.exists():
        raise StackConfigError(
            f"no stack file {path.relative_to(root)} (stacks: {list_stacks(root)})"
        )
    raw = (_read_yaml(path) or {}).get("config") or {}
    declared: dict[str, dict[str, Any]] = project.get("config") or {}
    values: dict[str, str] = {}
    secrets: list[str] = []
    problems: list[str] = []
    for key, value in raw.items():
        full = key if ":" in key else f"{name}:{key}"
        short = full.removeprefix(f"{name}:")
        spec = declared.get(short, {}) if full.startswith(f"{name}:") else {}
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[full] = SECRET_PLACEHOLDER
            secrets.append(full)
            continue
        if spec.get("secret"):
            problems.append(f"{full} must be encrypted as it's secret (pulumi config set --secret)")
        if not _type_ok(spec.get("type"), value):
            problems.append(f"{full} must be of type '{spec.get('type')}'")
        values[full] = _as_text(value)
    for short, spec in declared.items():
        full = f"{name}:{short}"
        if full in values:
            continue
        if "default" not in spec and spec.get("secret"):
            values[full] = SECRET_PLACEHOLDER  # a credential: set at deploy time, never committed
            secrets.append(full)
            continue
        if "default" not in spec:
            problems.append(f"stack {stack!r} is missing configuration value {full}")
            continue
        values[full] = _as_text(spec["default"])
    if problems:
        raise StackConfigError("; ".join(problems))
    return StackConfig(project=name, stack=stack, values=values, secret_keys=tuple(secrets))
