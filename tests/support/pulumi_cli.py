"""The Pulumi CLI's own rules for a project, its stack files and import files, restated here.

No Pulumi CLI can be installed on these machines, yet every user runs one; what it refuses
before the program starts must be refused by a test here first. Each function below restates
one function of the CLI's source, pulumi/pulumi at tag v3.259.0, named in its docstring, with
the CLI's own error text. The YAML reading (gopkg.in/yaml.v3 and Pulumi's config.Value) is the
product's `components.config._go_values`, checked against a table in the contract test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema

from components.config._go_values import GoTime, config_text, go_json
from components.config._yaml import load as yaml_v3_load


class CliError(Exception):
    """What the CLI prints when it refuses (its own words)."""


# sdk/go/common/workspace/project.json, the JSON schema `pulumi` validates Pulumi.yaml with
# (ValidateProject in project.go), reduced to what this project uses, in our own words: a name,
# a runtime (a name or {name, options}), typed config declarations that allow only `type`,
# `items`, `description`, `secret`, `default` and `value`, where an array names its `items`.
_SIMPLE_TYPE = {"enum": ["string", "integer", "boolean", "array", "object"]}
_ITEMS: dict[str, Any] = {
    "type": "object",
    "required": ["type"],
    "properties": {
        "type": {"oneOf": [_SIMPLE_TYPE, {"$ref": "#/$defs/items"}]},
        "items": {"$ref": "#/$defs/items"},
    },
    "if": {"properties": {"type": {"const": "array"}}},
    "then": {"required": ["items"]},
}
PROJECT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["name"],
    "additionalProperties": True,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "description": {"type": ["string", "null"]},
        "runtime": {
            "oneOf": [
                {"type": "string", "minLength": 1},
                {
                    "type": "object",
                    "required": ["name"],
                    "additionalProperties": False,
                    "properties": {
                        "name": {"type": "string", "minLength": 1},
                        "options": {"type": ["object", "null"]},
                    },
                },
            ]
        },
        "stackConfigDir": {"type": ["string", "null"]},
        "config": {
            "type": ["object", "string", "null"],
            "additionalProperties": {
                "oneOf": [
                    {"type": "string"},
                    {"type": "integer"},
                    {"type": "boolean"},
                    {"type": "array"},
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "type": _SIMPLE_TYPE,
                            "items": {"$ref": "#/$defs/items"},
                            "description": {"type": "string"},
                            "secret": {"type": "boolean"},
                            "default": {},
                            "value": {},
                        },
                    },
                ]
            },
        },
    },
    "$defs": {"items": _ITEMS},
}
_NAMES = {"string", "integer", "boolean", "array", "object"}


def _plain(value: Any) -> Any:
    """yaml.v3 values as JSON would hold them (a time is text once it reaches the CLI)."""
    if isinstance(value, GoTime):
        return value.text
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def load_project(text: str) -> dict[str, Any]:
    """LoadProject (sdk/go/common/workspace/loaders.go): yaml.v3, the JSON schema, then
    Project.Validate."""
    project = _plain(yaml_v3_load(text))
    try:
        jsonschema.validate(project, PROJECT_SCHEMA)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path)
        raise CliError(f"project is invalid: {where}: {exc.message}") from None
    validate_project(project)
    return dict(project)


def _items(spec: Mapping[str, Any]) -> Mapping[str, Any] | None:
    items = spec.get("items")
    return items if isinstance(items, Mapping) else None


def infer_full_type_name(type_name: str, items: Mapping[str, Any] | None) -> str:
    """InferFullTypeName (sdk/go/common/workspace/project.go)."""
    if items is not None:
        return f"array<{infer_full_type_name(str(items['type']), _items(items))}>"
    return type_name


def validate_config_value(type_name: str, items: Mapping[str, Any] | None, value: Any) -> bool:
    """ValidateConfigValue (project.go): text for string; an int, a whole float or text that
    strconv.Atoi reads for integer; "true"/"false" or a bool for boolean; a map for object;
    a list whose every item is valid for array."""
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return True
        if isinstance(value, float):
            return value == int(value)
        if isinstance(value, str):
            return re.fullmatch(r"[+-]?[0-9]+", value) is not None and _fits_int64(value)
        return False
    if type_name == "boolean":
        return value in ("true", "false") or isinstance(value, bool)
    if type_name == "object":
        return isinstance(value, dict)
    if not isinstance(value, list) or items is None:
        return False
    return all(validate_config_value(str(items["type"]), _items(items), v) for v in value)


def _fits_int64(text: str) -> bool:
    return -(2**63) <= int(text) < 2**63


def validate_project(project: Mapping[str, Any]) -> None:
    """Project.Validate (project.go): a name; no key with both `default` and `value`; a typed
    array names its `items`; a typed default is of its type; a key of another namespace has
    no type and no default, only a `value`."""
    if not project.get("name"):
        raise CliError("project is missing a 'name' attribute")
    name = str(project["name"])
    config = project.get("config") or {}
    for key, spec in config.items():
        spec = spec if isinstance(spec, dict) else {"value": spec}
        default, value = spec.get("default"), spec.get("value")
        if default is not None and value is not None:
            raise CliError(
                f"project config '{key}' cannot have both a 'default' and 'value' attribute"
            )
        typed = "type" in spec
        type_name = str(spec.get("type", "string"))
        if ":" not in key or key.startswith(name + ":"):
            if typed and type_name == "array" and _items(spec) is None:
                raise CliError(
                    f"The configuration key '{key}' declares an array but does not specify "
                    "the underlying type via the 'items' attribute"
                )
            if (
                typed
                and default is not None
                and not validate_config_value(type_name, _items(spec), default)
            ):
                full = infer_full_type_name(type_name, _items(spec))
                raise CliError(
                    f"The default value specified for configuration key '{key}' is not of the "
                    f"expected type '{full}'"
                )
        elif typed:
            raise CliError(
                f"Configuration key '{key}' is not namespaced by the project and should not "
                "define a type"
            )
        elif default is not None:
            raise CliError(
                f"Configuration key '{key}' is not namespaced by the project and should not "
                "define a default value. Did you mean to use the 'value' attribute instead of "
                "'default'?"
            )
        elif value is None:
            raise CliError(
                f"Configuration key '{key}' is namespaced and must provide an attribute 'value'"
            )


@dataclass(frozen=True)
class Value:
    """config.Value: the text the program gets, whether it is encrypted, whether it is JSON."""

    text: str
    secure: bool = False
    object: bool = False


def _has_secure(value: Any) -> bool:
    if isinstance(value, dict):
        return set(value) == {"secure"} or any(_has_secure(v) for v in value.values())
    return isinstance(value, list) and any(_has_secure(v) for v in value)


def _decrypted(value: Any, plaintexts: Mapping[str, str]) -> Any:
    if isinstance(value, dict) and set(value) == {"secure"}:
        return plaintexts.get(str(value["secure"]), "decrypted")
    if isinstance(value, dict):
        return {k: _decrypted(v, plaintexts) for k, v in value.items()}
    if isinstance(value, list):
        return [_decrypted(v, plaintexts) for v in value]
    return value


def stack_values(
    text: str, project: str, plaintexts: Mapping[str, str] | None = None
) -> dict[str, Value]:
    """LoadProjectStackBytes (loaders.go) and config.Value: each `config:` entry under its
    namespaced key (parseConfigKey: no `:` means the project's namespace). A `secure:` value
    is encrypted; `plaintexts` maps its ciphertext to what the secrets provider decrypts."""
    document = yaml_v3_load(text) or {}
    out: dict[str, Value] = {}
    for key, value in (document.get("config") or {}).items():
        full = key if ":" in key else f"{project}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            out[full] = Value(_decrypted(value, plaintexts or {}), secure=True)
        elif _has_secure(value):
            out[full] = Value(go_json(_decrypted(value, plaintexts or {})), True, True)
        else:
            out[full] = Value(config_text(value), object=isinstance(value, list | dict))
    return out


def create_config_value(raw: Any) -> Value:
    """createConfigValue (pkg/workspace/config.go): a string, int or bool as Go's %v prints
    it; anything else as JSON, an object value. Never secure."""
    if isinstance(raw, bool):
        return Value("true" if raw else "false")
    if isinstance(raw, str | int):
        return Value(str(raw))
    return Value(go_json(raw), object=True)


def merge_config(
    project: Mapping[str, Any], stack: str, values: Mapping[str, Value]
) -> dict[str, Value]:
    """mergeConfig then validateStackConfigValues (pkg/workspace/config.go), as `pulumi
    preview`, `up` and `import` run them (ValidateStackConfigAndApplyProjectConfig): a key
    the stack does not set gets its default as a plaintext value; a key of the project's
    namespace with neither is missing; then every typed key is checked, secret first."""
    name = str(project["name"])
    merged = dict(values)
    missing = []
    declared = project.get("config") or {}
    for key in sorted(declared):
        spec = declared[key] if isinstance(declared[key], dict) else {"value": declared[key]}
        full = key if ":" in key else f"{name}:{key}"
        fallback = spec.get("value") if spec.get("value") is not None else spec.get("default")
        if full not in merged and fallback is None and full.split(":")[0] == name:
            missing.append(key)
        elif full not in merged:
            merged[full] = create_config_value(_plain(fallback))
    if missing:
        plural = "values" if len(missing) > 1 else "value"
        raise CliError(f"Stack '{stack}' is missing configuration {plural} {_listed(missing)}")
    for key in sorted(declared):
        spec = declared[key]
        if not isinstance(spec, dict) or "type" not in spec:
            continue
        value = merged.get(key if ":" in key else f"{name}:{key}")
        if value is None:
            continue
        if spec.get("secret") is True and not value.secure:
            raise CliError(
                f"Stack '{stack}' with configuration key '{key}' must be encrypted as it's secret"
            )
        content: Any = json.loads(value.text) if value.object else value.text
        if not validate_config_value(str(spec["type"]), _items(spec), content):
            full_type = infer_full_type_name(str(spec["type"]), _items(spec))
            raise CliError(
                f"Stack '{stack}' with configuration key '{key}' must be of type '{full_type}'"
            )
    return merged


def _listed(keys: list[str]) -> str:
    """formatMissingKeys (config.go)."""
    if len(keys) == 1:
        return f"'{keys[0]}'"
    keys = sorted(keys)
    return (
        ", ".join(f"'{k}'" for k in keys[:-2])
        + (", " if len(keys) > 2 else "")
        + (f"'{keys[-2]}' and '{keys[-1]}'")
    )


# --- pkg/cmd/pulumi/operations/import.go ----------------------------------------------------
_SPEC_FIELDS: dict[str, type | tuple[type, ...]] = {
    "type": str,
    "name": str,
    "id": str,
    "parent": str,
    "provider": str,
    "version": str,
    "pluginDownloadUrl": str,
    "logicalName": str,
    "properties": list,
    "component": bool,
    "remote": bool,
    "inputs": dict,
    "outputs": dict,
}


def read_import_file(text: str) -> dict[str, Any]:
    """readImportFile: encoding/json into importFile (unknown fields ignored, a field of the
    wrong type refused)."""
    document = json.loads(text)
    if not isinstance(document, dict):
        raise CliError("json: cannot unmarshal into Go value of type importFile")
    table = document.get("nameTable") or {}
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise CliError("json: cannot unmarshal nameTable into map[string]resource.URN")
    resources = document.get("resources") or []
    if not isinstance(resources, list):
        raise CliError("json: cannot unmarshal resources into []importSpec")
    for spec in resources:
        if not isinstance(spec, dict):
            raise CliError("json: cannot unmarshal into Go struct importSpec")
        for field, kind in _SPEC_FIELDS.items():
            if spec.get(field) is not None and not isinstance(spec[field], kind):
                raise CliError(f"json: cannot unmarshal into Go struct field importSpec.{field}")
    return document


def _describe(index: int, spec: Mapping[str, Any]) -> str:
    out = "resource " + (
        f"'{spec['name']}'"
        if spec.get("name")
        else f"'{spec['id']}'"
        if spec.get("id")
        else str(index)
    )
    return out + (f" of type '{spec['type']}'" if spec.get("type") else "")


def parse_import_file(document: Mapping[str, Any], stack: str, project: str) -> dict[str, str]:
    """parseImportFile: every entry has a type and a name (logicalName and name default to
    each other); an id unless it is a component or a provider (`pulumi:providers:`); a parent
    that is another entry's name or a nameTable entry, and not ambiguous; a URN no other entry
    has. Returns name -> URN; CliError lists every problem as the CLI does."""
    specs = [dict(s) for s in document.get("resources") or []]
    table: dict[str, str] = dict(document.get("nameTable") or {})
    errors: list[str] = []
    for spec in specs:  # logicalName and name default to each other
        spec["logicalName"] = spec.get("logicalName") or spec.get("name") or ""
        spec["name"] = spec.get("name") or spec["logicalName"]
    ambiguous = {
        s["name"] for i, s in enumerate(specs) if any(o["name"] == s["name"] for o in specs[:i])
    }
    for i, spec in enumerate(specs):
        what = _describe(i, spec)
        if not spec.get("type"):
            errors.append(f"{what} has no type")
        if not spec.get("name"):
            errors.append(f"{what} has no name")
        if str(spec.get("type", "")).startswith("pulumi:providers:"):
            if spec.get("id"):
                errors.append(
                    f"{what} has an ID, but is a provider, which is created rather than read"
                )
            if spec.get("component"):
                errors.append(f"{what} is a provider and may not be marked as a component")
        elif not spec.get("component") and not spec.get("id"):
            errors.append(f"{what} has no ID")
        elif spec.get("component") and spec.get("id"):
            errors.append(f"{what} has an ID, but is marked as a component")
        if spec.get("remote") and not spec.get("component"):
            errors.append(f"{what} is marked as remote, but not as a component")
    if errors:
        raise CliError("\n".join(errors))
    urns: dict[str, str] = {}
    taken = set(table.values())
    pending = list(range(len(specs)))
    for _ in range(len(specs) + 1):  # the CLI loops until every parent is resolved
        for i in list(pending):
            spec = specs[i]
            parent_type = ""
            parent = spec.get("parent")
            if parent:
                if parent in ambiguous:
                    errors.append(f"{_describe(i, spec)} has an ambiguous parent")
                if parent in table:
                    parent_type = table[parent].split("::")[2]
                elif parent not in {s["name"] for s in specs}:
                    what = _describe(i, spec)
                    errors.append(f"the parent '{parent}' for {what} has no entry in 'nameTable'")
                elif parent not in urns:
                    continue
                else:
                    parent_type = urns[parent].split("::")[2]
            qualified = f"{parent_type}${spec['type']}" if parent_type else str(spec["type"])
            urn = f"urn:pulumi:{stack}::{project}::{qualified}::{spec['logicalName']}"
            if urn in taken:
                errors.append(
                    f"{_describe(i, spec)} has an ambiguous URN, "
                    "set name (or logical name) to be unique"
                )
            taken.add(urn)
            urns[spec["name"]] = urn
            pending.remove(i)
        if errors:
            raise CliError("\n".join(errors))
    if pending:
        raise CliError("parents form a cycle: the CLI would never finish resolving them")
    return urns
