"""Render a PlanResult as stable, diff-friendly text or JSON; secrets become `[secret]`."""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass
from typing import Any

from components.query_engine.pg_hba import redact
from components.secret_text import MASK
from offline_plan.config_view import config_lines, config_values
from offline_plan.sign_on import sign_on_facts, sign_on_summary
from rehearsal.mock_engine import PlanResult, Registration, is_secret_wrapper
from rehearsal.stack_config import SECRET_PLACEHOLDER

SECRET = MASK
HEADER = """\
# Offline plan of stack {stack!r} (project {project})
# The desired state that `pulumi up` would converge to, rendered by running the real program
# under Pulumi's mock engine: no Pulumi CLI, no credentials, no calls to Okta, Immuta or
# Kubernetes. Secrets show as {secret}; <...> marks a value known only after apply.
# `+` marks a resource the stack declares: this is the whole desired state, whether or not
# the stack is deployed; `make plan-diff` shows what changes against a committed snapshot."""
REGENERATE = "# Regenerate with `make plan-update`; CI fails when this file is stale."

# Inputs that are Pulumi or SDK plumbing, not the desired state a reviewer judges: hidden in
# text and JSON, and named in the plan's header (only those the plan had) so nothing is
# dropped silently. Input name -> (resource types, or None for every type; why it is hidden).
PLUMBING: dict[str, tuple[frozenset[str] | None, str]] = {
    "__provider": (None, "the dynamic provider's serialized code, stored by the engine"),
    "compat": (
        frozenset({"kubernetes:helm.sh/v3:Release"}),
        "a constant the Kubernetes SDK adds to every Helm release",
    ),
}


def is_plumbing(resource_type: str, name: str) -> bool:
    if name not in PLUMBING:
        return False
    types = PLUMBING[name][0]
    return types is None or resource_type in types


def desired_inputs(r: Registration) -> dict[str, Any]:
    """The resource's inputs without the plumbing."""
    return {k: v for k, v in r.inputs.items() if not is_plumbing(r.type, k)}


def omitted(plan: PlanResult) -> dict[str, str]:
    """The plumbing inputs this plan hides, with why."""
    names = {k for r in plan.resources for k in r.inputs if is_plumbing(r.type, k)}
    return {name: PLUMBING[name][1] for name in sorted(names)}


def omitted_note(plan: PlanResult) -> list[str]:
    hidden = omitted(plan)
    if not hidden:
        return []
    said = ", ".join(f"{name} ({why})" for name, why in hidden.items())
    return textwrap.wrap(
        f"Hidden inputs (engine plumbing, not desired state): {said}.",
        width=96,
        initial_indent="# ",
        subsequent_indent="# ",
    )


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
                k: SECRET if in_secret and _CREDENTIAL_KEY.search(str(k)) else self(v, in_secret)
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


def to_text(plan: PlanResult) -> str:
    by_urn = {r.urn: r for r in plan.resources}
    mask = Masker(known_secrets(plan))
    lines = [HEADER.format(stack=plan.stack.stack, project=plan.stack.project, secret=SECRET)]
    lines += [*omitted_note(plan), REGENERATE, ""]
    lines += sign_on_summary(plan)
    lines += ["Config", *config_lines(plan)]
    lines += ["", f"Resources ({len(plan.resources)})"]
    for depth, r in _ordered(plan.resources):
        pad = "  " * (depth + 1)
        kind = "" if r.custom else "  [component]"
        lines.append(f"{pad}+ {r.type} {r.name}{kind}")
        lines.append(f"{pad}    parent: {_label(r.parent_urn, by_urn)}")
        for key in sorted(r.options):
            lines += _lines(key, _named(r.options[key], by_urn), pad + "    ")
        inputs = mask(desired_inputs(r))
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
        "config": config_values(plan),
        "omittedInputs": omitted(plan),
        "signOn": sign_on_facts(plan),
        "resources": [
            {
                "type": r.type,
                "name": r.name,
                "parent": _label(r.parent_urn, by_urn),
                "component": not r.custom,
                "options": {k: _named(v, by_urn) for k, v in r.options.items()},
                "inputs": _plain(mask(desired_inputs(r))),
            }
            for _, r in _ordered(plan.resources)
        ],
        "outputs": _plain(mask(plan.outputs)),
    }
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
