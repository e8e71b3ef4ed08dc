"""Render a PlanResult as stable, diff-friendly text or JSON; secrets become `[secret]`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from components.config import PROVIDER_SECRET_KEYS, project_schema
from components.query_engine.pg_hba import redact
from components.secret_text import MASK
from offline_plan.sign_on import sign_on_summary
from rehearsal.mock_engine import PlanResult, Registration, is_secret_wrapper
from rehearsal.stack_config import SECRET_PLACEHOLDER

SECRET = MASK
PROVIDER_BLOB = "<serialized dynamic provider>"
HEADER = """\
# Offline plan of stack {stack!r} (project {project})
# The desired state that `pulumi up` would converge to, rendered by running the real program
# under Pulumi's mock engine: no Pulumi CLI, no credentials, no calls to Okta, Immuta or
# Kubernetes. Secrets show as {secret}; <...> marks a value known only after apply.
# Regenerate with `make plan-update`; CI fails when this file is stale."""


@dataclass(frozen=True)
class SecretContent:
    """A secret map or list (Helm values, rules): shown, with every secret inside masked."""

    content: Any


_CREDENTIAL_KEY = re.compile(r"pass|secret|token|api.?key|private.?key", re.IGNORECASE)


def _walk_secret_strings(value: Any, found: set[str]) -> None:
    if is_secret_wrapper(value) and isinstance(value["value"], str):
        found.add(value["value"])  # a secret leaf; strings merely inside a secret map are not
    elif isinstance(value, dict):
        for v in value.values():
            _walk_secret_strings(v, found)
    elif isinstance(value, list | tuple):
        for v in value:
            _walk_secret_strings(v, found)


def known_secrets(plan: PlanResult) -> frozenset[str]:
    """Every secret string of the run: secret config values and secret leaves."""
    found = {plan.stack.values[k] for k in plan.stack.secret_keys} | {SECRET_PLACEHOLDER}
    for r in plan.resources:
        _walk_secret_strings(r.inputs, found)
    _walk_secret_strings(plan.outputs, found)
    return frozenset(s for s in found if len(s) >= 4)


@dataclass(frozen=True)
class Masker:
    """Replaces every secret with `[secret]`; protobuf's whole-number doubles become ints.

    A secret map or list is opened (SecretContent) so a reviewer sees the pg_hba rules; inside
    it, bind passwords are masked by parsing each rule, credential-named keys are masked, and
    so is any string holding a known secret.
    """

    secrets: frozenset[str] = frozenset({SECRET_PLACEHOLDER})

    def __call__(self, value: Any, in_secret: bool = False) -> Any:
        if is_secret_wrapper(value):
            inner = value["value"]
            if isinstance(inner, dict | list):
                return SecretContent(self(inner, in_secret=True))
            return SECRET
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, dict):
            return {
                k: PROVIDER_BLOB
                if k == "__provider"
                else SECRET
                if in_secret and _CREDENTIAL_KEY.search(str(k))
                else self(v, in_secret)
                for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            return [self(v, in_secret) for v in value]
        if isinstance(value, str):
            if "ldapbindpasswd" in value:
                value = redact(value)
            if any(secret in value for secret in self.secrets):
                return SECRET
        return value


def _ordered(resources: list[Registration]) -> list[tuple[int, Registration]]:
    """Depth-first by parent, siblings sorted by (type, name): stable whatever the RPC order."""
    children: dict[str, list[Registration]] = {}
    urns = {r.urn for r in resources}
    for r in resources:
        parent = r.parent_urn if r.parent_urn in urns else ""
        children.setdefault(parent, []).append(r)
    ordered: list[tuple[int, Registration]] = []

    def walk(parent: str, depth: int) -> None:
        for r in sorted(children.get(parent, []), key=lambda x: (x.type, x.name)):
            ordered.append((depth, r))
            walk(r.urn, depth + 1)

    walk("", 0)
    return ordered


def _label(urn: str, by_urn: dict[str, Registration]) -> str:
    r = by_urn.get(urn)
    return f"{r.type} {r.name}" if r else "(stack)"


def _named(value: Any, by_urn: dict[str, Registration]) -> Any:
    """URNs in options (dependsOn) shown as the resources' logical names."""
    if isinstance(value, list):
        return [by_urn[v].name if v in by_urn else v for v in value]
    return value


def _scalar(value: Any) -> str:
    return SECRET if value == SECRET else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _item(value: Any) -> str:
    """A list item: printable strings raw (pg_hba rules read as they will be written)."""
    if isinstance(value, str) and value.isprintable() and value == value.strip() and value:
        return value
    return _scalar(value)


def _is_block(value: Any) -> bool:
    if isinstance(value, SecretContent):
        return True
    if isinstance(value, dict):
        return bool(value)
    if isinstance(value, list):
        return any(_is_block(v) or (isinstance(v, str) and len(v) > 40) for v in value)
    return False


def _block(value: Any, indent: str) -> list[str]:
    if isinstance(value, SecretContent):
        return _block(value.content, indent)
    if isinstance(value, dict):
        return [line for k in sorted(value) for line in _lines(str(k), value[k], indent)]
    if isinstance(value, list):
        out = []
        for item in value:
            if _is_block(item):
                out += [f"{indent}-", *_block(item, indent + "  ")]
            else:
                out.append(f"{indent}- {_item(item)}")
        return out
    return [f"{indent}{_scalar(value)}"]


def _lines(key: str, value: Any, indent: str) -> list[str]:
    if isinstance(value, SecretContent):
        head = f"{indent}{key}: {SECRET} (shown with its secrets masked)"
        return [head, *_block(value.content, indent + "  ")]
    if _is_block(value):
        return [f"{indent}{key}:", *_block(value, indent + "  ")]
    return [f"{indent}{key}: {_scalar(value)}"]


def _config_text(value: str) -> str:
    """A config value as written in YAML: arrays and objects as JSON, strings quoted."""
    if value[:1] in "[{":
        try:
            return json.dumps(json.loads(value), ensure_ascii=False, sort_keys=True)
        except ValueError:
            pass
    return json.dumps(value, ensure_ascii=False)


def _is_secret(plan: PlanResult, key: str) -> bool:
    """Secret keys show as `[secret]` whether set or not: the plan never tells which are set."""
    schema = project_schema()
    name = key.removeprefix(f"{schema.name}:")
    declared = key.startswith(f"{schema.name}:") and name in schema.keys
    return (
        key in plan.stack.secret_keys
        or key in PROVIDER_SECRET_KEYS
        or (declared and schema.keys[name].secret)
    )


def to_text(plan: PlanResult) -> str:
    by_urn = {r.urn: r for r in plan.resources}
    mask = Masker(known_secrets(plan))
    lines = [HEADER.format(stack=plan.stack.stack, project=plan.stack.project, secret=SECRET), ""]
    lines += sign_on_summary(plan)
    lines.append("Config")
    for key in sorted(plan.stack.values):
        shown = SECRET if _is_secret(plan, key) else _config_text(plan.stack.values[key])
        lines.append(f"  {key} = {shown}")
    lines += ["", f"Resources ({len(plan.resources)})"]
    for depth, r in _ordered(plan.resources):
        pad = "  " * (depth + 1)
        kind = "" if r.custom else "  [component]"
        lines.append(f"{pad}+ {r.type} {r.name}{kind}")
        lines.append(f"{pad}    parent: {_label(r.parent_urn, by_urn)}")
        for key in sorted(r.options):
            lines += _lines(key, _named(r.options[key], by_urn), pad + "    ")
        inputs = mask(r.inputs)
        for key in sorted(inputs):
            lines += _lines(key, inputs[key], pad + "    ")
    lines += ["", f"Outputs ({len(plan.outputs)})"]
    for key in sorted(plan.outputs):
        lines += _lines(key, mask(plan.outputs[key]), "  ")
    return "\n".join(lines) + "\n"


def _plain(value: Any) -> Any:
    if isinstance(value, SecretContent):
        return {SECRET: _plain(value.content)}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def to_json(plan: PlanResult) -> str:
    by_urn = {r.urn: r for r in plan.resources}
    mask = Masker(known_secrets(plan))
    doc = {
        "project": plan.stack.project,
        "stack": plan.stack.stack,
        "config": {
            k: SECRET if _is_secret(plan, k) else v for k, v in sorted(plan.stack.values.items())
        },
        "resources": [
            {
                "type": r.type,
                "name": r.name,
                "parent": _label(r.parent_urn, by_urn),
                "component": not r.custom,
                "options": {k: _named(v, by_urn) for k, v in r.options.items()},
                "inputs": _plain(mask(r.inputs)),
            }
            for _, r in _ordered(plan.resources)
        ],
        "outputs": _plain(mask(plan.outputs)),
    }
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
