"""Read `stacks/Pulumi.<stack>.yaml` the way the Pulumi CLI hands it to the program.

Plain values become text (arrays and objects as JSON); `secure:` values stay encrypted, so
only their keys are known here. Type checks and every other rule belong to load_settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.config._schema import PROJECT_ROOT, config_text, load_schema, read_yaml


class StackFileError(ValueError):
    """The stack file is missing or is not a YAML mapping with a `config:` mapping."""


@dataclass(frozen=True, kw_only=True)
class StackFile:
    project: str
    stack: str
    path: Path  # relative to the project root
    values: dict[str, str]  # "namespace:key" -> text, the plain entries
    secure_keys: tuple[str, ...]  # keys whose value is `secure:` (encrypted)


def list_stacks(root: Path = PROJECT_ROOT) -> list[str]:
    folder = load_schema(root).stack_file("x", root).parent
    return sorted(
        p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in folder.glob("Pulumi.*.yaml")
    )


def read_stack_file(stack: str, root: Path = PROJECT_ROOT) -> StackFile:
    """The stack file's entries; keys without a namespace get the project's, as the CLI does."""
    schema = load_schema(root)
    path = schema.stack_file(stack, root)
    shown = path.relative_to(root)
    if not path.exists():
        raise StackFileError(f"no stack file {shown} (stacks: {list_stacks(root)})")
    document: Any = read_yaml(path) or {}
    if not isinstance(document, dict):
        raise StackFileError(f"{shown}: must be a YAML mapping with a `config:` mapping")
    raw = document.get("config") or {}
    if not isinstance(raw, dict):
        raise StackFileError(f"{shown}: `config:` must be a mapping of key: value")
    values: dict[str, str] = {}
    secure: list[str] = []
    for key, value in raw.items():
        full = str(key) if ":" in str(key) else schema.full(str(key))
        if isinstance(value, dict) and set(value) == {"secure"}:
            secure.append(full)
        else:
            values[full] = config_text(value)
    return StackFile(
        project=schema.name, stack=stack, path=shown, values=values, secure_keys=tuple(secure)
    )
