"""A stack's config as the Pulumi CLI would pass it to the program, without the CLI.

Defaults come from `Pulumi.yaml` (the same merge the program applies). A `secure:` value can
only be decrypted by the stack's secrets provider, so a placeholder stands in for it, and for
a credential without a default that is set only at deploy time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from components.config import (
    PROJECT_ROOT,
    Problem,
    Settings,
    StackClaims,
    load_schema,
    load_settings,
    read_peer_claims,
)
from components.config.stack_file import list_stacks, read_stack_file

SECRET_PLACEHOLDER = "offline-plan-secret-placeholder"

__all__ = [
    "PROJECT_ROOT",
    "SECRET_PLACEHOLDER",
    "StackConfig",
    "list_stacks",
    "load_stack_config",
]


@dataclass(frozen=True)
class StackConfig:
    project: str
    stack: str
    values: dict[str, str]  # "namespace:key" -> text, as the engine passes config
    secret_keys: tuple[str, ...]
    source: str = ""  # the stack file, relative to the project
    problems: tuple[Problem, ...] = field(default=(), repr=False)  # seen only in the file
    peers: tuple[StackClaims, ...] = field(default=(), repr=False)  # the other stack files
    root: Path | None = None  # the project the stack file is in; None: a config made by hand

    def settings(self) -> Settings:
        """The settings the program would load; SettingsError with every problem at once."""
        return load_settings(
            self.values,
            secret_keys=frozenset(self.secret_keys),
            source=self.source,
            file_problems=self.problems,
            stack=self.stack,
            peers=self.peers,
        )

    def with_values(self, values: Mapping[str, str], *, secret: bool = False) -> StackConfig:
        """This config with `namespace:key` values set, as `--secret` values with `secret`."""
        keys = (
            set(self.secret_keys) | set(values) if secret else set(self.secret_keys) - set(values)
        )
        merged = {**self.values, **values}
        return replace(self, values=merged, secret_keys=tuple(sorted(keys)))


def load_stack_config(stack: str, root: Path = PROJECT_ROOT) -> StackConfig:
    """The stack file over `Pulumi.yaml`'s defaults; placeholders for encrypted values."""
    schema = load_schema(root)
    file = read_stack_file(stack, root)
    values = schema.with_defaults(file.values)
    secrets = list(file.secure_keys)
    for key, spec in schema.keys.items():
        full = schema.full(key)
        if spec.secret and not spec.has_default and full not in values and full not in secrets:
            secrets.append(full)  # a credential: set at deploy time, never committed
    for full in secrets:  # of the key's type, so the placeholder itself validates
        declared = schema.keys.get(full.removeprefix(f"{schema.name}:"))
        kind = declared.type if declared and full.startswith(f"{schema.name}:") else "string"
        values[full] = {"object": "{}", "array": "[]"}.get(kind, SECRET_PLACEHOLDER)
    return StackConfig(
        project=file.project,
        stack=stack,
        values=values,
        secret_keys=tuple(secrets),
        source=str(file.path),
        problems=file.problems,
        peers=read_peer_claims(stack, root),
        root=root,
    )
