"""Read `stacks/Pulumi.<stack>.yaml` the way the Pulumi CLI hands it to the program.

Plain values become exactly the text the CLI passes (see `_go_values`: yaml.v3's scalars, Go's
JSON for arrays and objects, a date as Go prints a time); `secure:` values stay encrypted, so
only their keys are known here. What only the file shows (a YAML number, boolean or date where
text belongs, keys outside `config:`) comes back as problems for the one report load_settings
makes; the program reads the same file under the real CLI, so every tool refuses the same files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.config._go_values import GoTime, GoValueError
from components.config._problems import Problem
from components.config._providers import PROVIDER_STRING_KEYS
from components.config._schema import PROJECT_ROOT, config_text, load_schema
from components.config._yaml import YamlError, config_scalars, load


class StackFileError(ValueError):
    """The stack file is missing, is not YAML, or is not a mapping with a `config:` mapping."""


@dataclass(frozen=True, kw_only=True)
class StackFile:
    project: str
    stack: str
    path: Path  # relative to the project root
    values: dict[str, str]  # "namespace:key" -> text, the plain entries
    secure_keys: tuple[str, ...]  # keys whose value is `secure:` (encrypted)
    problems: tuple[Problem, ...] = ()


def list_stacks(root: Path = PROJECT_ROOT) -> list[str]:
    folder = load_schema(root).stack_file("x", root).parent
    return sorted(
        p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in folder.glob("Pulumi.*.yaml")
    )


def _has_secure(value: Any) -> bool:
    if isinstance(value, dict):
        return set(value) == {"secure"} or any(_has_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_secure(v) for v in value)
    return False


def _yaml_type(value: Any) -> str:
    if isinstance(value, GoTime):
        return "a date"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "empty"
    return "a list" if isinstance(value, list) else "a mapping"


def _shown(text: str, spec: Any) -> str:
    return "[secret]" if spec is not None and spec.secret else f'"{text}"'


def _shown_typed(text: str, spec: Any) -> str:
    """The value as typed, for a hint; never a secret key's."""
    return "[secret]" if spec is not None and spec.secret else text


def _leaves(value: Any) -> list[Any]:
    """The scalars of a value, a `secure:` mapping counting as one."""
    if isinstance(value, dict) and set(value) != {"secure"}:
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def _mixed_secret(value: Any, spec: Any) -> str:
    """Why a value holding `secure:` somewhere is still a mistake ("" when it is not): a text
    key's value is one encrypted value, and a secret mapping holds no plain value beside its
    encrypted ones (the plain ones would sit readable in the stack file)."""
    if spec is None:
        return ""
    if spec.type == "string" and not (isinstance(value, dict) and set(value) == {"secure"}):
        return f"must be one encrypted value: `pulumi config set --secret {spec.name}`"
    plain = [leaf for leaf in _leaves(value) if not isinstance(leaf, dict) and leaf is not None]
    if spec.secret and plain:
        return (
            "holds plain values beside encrypted ones; set every value inside with "
            f"`pulumi config set --secret --path {spec.name}.<key>`"
        )
    return ""


def read_stack_file(stack: str, root: Path = PROJECT_ROOT) -> StackFile:
    """The stack file's entries; keys without a namespace get the project's, as the CLI does."""
    schema = load_schema(root)
    path = schema.stack_file(stack, root)
    shown = path.relative_to(root)
    if not path.exists():
        raise StackFileError(f"no stack file {shown} (stacks: {', '.join(list_stacks(root))})")
    try:
        document_text = path.read_text(encoding="utf-8")
        document: Any = load(document_text) or {}
    except (YamlError, UnicodeDecodeError) as exc:
        raise StackFileError(f"{shown}: {exc}") from None
    if not isinstance(document, dict):
        raise StackFileError(f"{shown}: must be a YAML mapping with a `config:` mapping")
    raw = document.get("config") or {}
    if not isinstance(raw, dict):
        raise StackFileError(f"{shown}: `config:` must be a mapping of key: value, not a list")
    problems = [
        Problem(
            str(key),
            "outside `config:`; stack keys go under `config:` (indent them below a `config:` line)"
            if ":" in str(key)
            else "not a stack file setting; the CLI reads `config:` (and `environment`, "
            "`secretsprovider`, `encryptionsalt`, `encryptedkey`)",
        )
        for key in document
        if key not in ("config", "environment", "secretsprovider", "encryptionsalt", "encryptedkey")
    ]
    values: dict[str, str] = {}
    secure: list[str] = []
    typed = config_scalars(document_text)
    for key, value in raw.items():
        if not isinstance(key, str):  # SimplifyMarshalledProject: "expected only string keys"
            raise StackFileError(
                f"{shown}: the key {config_text(key)!r} under `config:` is not text; quote it"
            )
        full = key if ":" in key else schema.full(key)
        name = full.removeprefix(f"{schema.name}:")
        spec = schema.keys.get(name) if full.startswith(f"{schema.name}:") else None
        if _has_secure(value):  # `secure:` here or deeper (`config set --secret --path`)
            secure.append(full)  # the CLI hands the whole value over as a secret
            mixed = _mixed_secret(value, spec)
            if mixed:
                problems.append(Problem(full, mixed, None, True))
            continue
        textual = full in PROVIDER_STRING_KEYS or (spec is not None and spec.type == "string")
        if value is None:  # `key:` with nothing after it: the CLI passes an empty string
            value = ""
        try:
            values[full] = config_text(value)
        except GoValueError as exc:  # the CLI cannot read such a file either
            raise StackFileError(f"{shown}: {full}: {exc}") from None
        if textual and not isinstance(value, str):
            problems.append(
                Problem(
                    full,
                    f"must be text, but YAML read {_yaml_type(value)}, which the CLI passes as "
                    f"{_shown(values[full], spec)}: quote it "
                    f'(e.g. {name}: "{_shown_typed(typed.get(key, values[full]), spec)}")',
                    None if spec is not None and spec.secret else values[full],
                    bool(spec and spec.secret),
                )
            )
    return StackFile(
        project=schema.name,
        stack=stack,
        path=shown,
        values=values,
        secure_keys=tuple(secure),
        problems=tuple(problems),
    )
