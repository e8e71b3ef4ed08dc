"""`make plan-diff`: the change of a stack's desired state against its snapshot at a git ref.

A committed snapshot (`stacks/plans/<stack>.txt`) is always current (a test fails otherwise),
so the snapshot at a ref is that ref's desired state. The working tree's plan is rendered
now and compared with it: first a summary by resource, config key and output, then the
unified diff of the text. Both sides are rendered plans, so secrets are `[secret]` on both.
"""

from __future__ import annotations

import difflib
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

SNAPSHOT_FOLDER = "stacks/plans"
_RESOURCE = re.compile(r"^(?P<pad> *)\+ (?P<type>\S+) (?P<name>.+?)(?:  \[component\])?$")


class DiffError(Exception):
    """Bad input (an unknown ref, no snapshot at the ref, no git): one line for the user."""


def snapshot_path(stack: str) -> str:
    return f"{SNAPSHOT_FOLDER}/{stack}.txt"


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    git = shutil.which("git")
    if git is None:
        raise DiffError("plan-diff reads the snapshot with git, which is not installed")
    return subprocess.run(
        [git, "-C", str(root), *args], capture_output=True, text=True, check=False
    )


def snapshot_at(ref: str, stack: str, root: Path) -> str:
    """The text of `stacks/plans/<stack>.txt` as committed at `ref` (`git show`)."""
    if not ref or ref.startswith("-") or any(c.isspace() for c in ref):
        raise DiffError(f"{ref!r} is not a git ref (a branch, tag or commit, e.g. origin/main)")
    clone = _git(root, "rev-parse", "--git-dir")
    if clone.returncode != 0:
        said = clone.stderr.strip().splitlines()[:1]  # e.g. git's "dubious ownership"
        raise DiffError(
            f"git cannot read {root} as a clone ({said[0] if said else 'no answer'}): "
            "plan-diff compares with a git ref"
        )
    if _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
        known = _git(root, "rev-parse", "--verify", "--quiet", ref).returncode == 0
        raise DiffError(
            (f"git ref {ref!r} names no commit" if known else f"unknown git ref {ref!r}")
            + " (a branch, tag or commit, e.g. origin/main)"
        )
    shown = _git(root, "show", f"{ref}:./{snapshot_path(stack)}")
    if shown.returncode != 0:
        raise DiffError(
            f"{snapshot_path(stack)} does not exist at {ref}: the stack has no committed "
            "snapshot there (compare with another ref, or see the whole plan with `make plan`)"
        )
    return shown.stdout


@dataclass
class Sections:
    """A text plan read back by section: what the summary compares."""

    config: dict[str, str] = field(default_factory=dict)  # key -> value as printed
    resources: dict[str, dict[str, str]] = field(default_factory=dict)  # label -> attr -> text
    outputs: dict[str, str] = field(default_factory=dict)
    sign_on: list[str] = field(default_factory=list)


def parse(text: str) -> Sections:
    found = Sections()
    section = ""
    attrs: dict[str, str] = {}
    attr_pad = -1
    attr = ""
    for line in text.splitlines():
        if not line.startswith(" "):
            section = line.split(" ")[0] if line and not line.startswith("#") else section
            continue
        pad = len(line) - len(line.lstrip(" "))
        if section == "Okta":
            found.sign_on.append(line)
        elif section == "Config":
            key, _, value = line.strip().partition(" = ")
            found.config[key] = value
        elif section == "Outputs":
            if pad == 2:
                attr = line.strip().partition(":")[0]
            found.outputs[attr] = found.outputs.get(attr, "") + line.strip() + "\n"
        elif section == "Resources" and (match := _RESOURCE.match(line)):
            attrs = found.resources.setdefault(f"{match['type']} {match['name']}", {})
            attr_pad = len(match["pad"]) + 4
        elif section == "Resources" and pad >= attr_pad >= 0:
            if pad == attr_pad:
                attr = line.strip().partition(":")[0]
            attrs[attr] = attrs.get(attr, "") + line.strip() + "\n"
    return found


def _changed(old: dict[str, str], new: dict[str, str]) -> list[str]:
    return sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))


def summary(old_text: str, new_text: str) -> list[str]:
    """Per resource, config key and output: what was added, removed or changed."""
    old, new = parse(old_text), parse(new_text)
    lines = []
    added = sorted(new.resources.keys() - old.resources.keys())
    removed = sorted(old.resources.keys() - new.resources.keys())
    changed = {
        label: _changed(old.resources[label], new.resources[label])
        for label in sorted(old.resources.keys() & new.resources.keys())
        if old.resources[label] != new.resources[label]
    }
    if added or removed or changed:
        lines.append(
            f"Resources: {len(added)} added, {len(removed)} removed, {len(changed)} changed"
        )
        lines += [f"  + {label}" for label in added]
        lines += [f"  - {label}" for label in removed]
        lines += [f"  ~ {label}: {', '.join(keys)}" for label, keys in changed.items()]
    config = _changed(old.config, new.config)
    if config:
        lines.append(f"Config: {len(config)} key(s) changed")
        for key in config:
            if key not in old.config:
                lines.append(f"  + {key} = {new.config[key]}")
            elif key not in new.config:
                lines.append(f"  - {key} = {old.config[key]}")
            else:
                lines.append(f"  ~ {key}: {old.config[key]} -> {new.config[key]}")
    outputs = _changed(old.outputs, new.outputs)
    if outputs:
        lines.append(f"Outputs: {len(outputs)} changed")
        for key in outputs:
            sign = "+" if key not in old.outputs else "-" if key not in new.outputs else "~"
            lines.append(f"  {sign} {key}")
    if old.sign_on != new.sign_on:
        lines.append("Okta sign-on summary: changed (see the diff below)")
    if not lines:
        lines.append("No resource, config key or output changed: only the plan's wording")
    return lines


def plan_diff(stack: str, ref: str, old_text: str, new_text: str) -> str:
    """The report `make plan-diff` prints: a summary, then the unified diff."""
    where = f"{snapshot_path(stack)} at {ref}"
    if old_text == new_text:
        return f"No change: the desired state of stack {stack!r} equals {where}.\n"
    head = f"Change of stack {stack!r}: the working tree against {where}"
    diff = difflib.unified_diff(
        old_text.splitlines(keepends=True),
        new_text.splitlines(keepends=True),
        fromfile=f"{snapshot_path(stack)} ({ref})",
        tofile=f"{snapshot_path(stack)} (working tree)",
    )
    return "\n".join([head, *summary(old_text, new_text), ""]) + "\n" + "".join(diff)
