"""What adoption concludes per resource the program registers, and the import file it yields.

Pulumi's import file (`pulumi import --file`, pkg/cmd/pulumi/operations/import.go: importFile
and importSpec) is `{"nameTable": {name: URN}, "resources": [{type, name, id, parent,
component, version, ...}]}`. `parent` names another entry of the file (or a nameTable entry);
an entry without one is parented to the stack. A component resource is declared with
`component: true` and no id (the engine creates it empty, Pulumi 3.94+), so the imported
children get the same URNs the program registers. `version` picks the provider version the
program's SDK asks for, so the import uses the same default provider as the first `up`. This
is the shape `pulumi preview --import-file` writes itself (buildImportFile in preview.go).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata, resources
from typing import Any, Literal

ROOT_STACK = "pulumi:pulumi:Stack"


def shown(value: Any) -> str:
    """A value as the report shows it: JSON (`"text"`, `null`, `true`, `["a"]`), never repr."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


Section = Literal["adopt", "adopt-config", "create", "change", "keep", "review", "decide"]
SECTION_TITLES: dict[Section, str] = {
    "adopt": "Adopted with `pulumi import` (nothing is recreated)",
    "adopt-config": "Adopted through stack config (not importable)",
    "create": "Created by the first `pulumi up` (nothing like it exists)",
    "change": "Changed by the first `pulumi up`",
    "keep": "Stays as it is (not managed by the stack)",
    "review": "Review before `pulumi up`",
    "decide": "Needs your decision (left out of the import file; adopt does not guess)",
}
_PROVIDER_PACKAGES = {
    "okta": "pulumi_okta",
    "kubernetes": "pulumi_kubernetes",
    "random": "pulumi_random",
}


@dataclass(frozen=True)
class ImportEntry:
    type: str
    name: str
    id: str | None = None
    parent: str | None = None  # another entry's name
    component: bool = False
    version: str | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "name": self.name}
        if self.id is not None:
            out["id"] = self.id
        if self.parent is not None:
            out["parent"] = self.parent
        if self.component:
            out["component"] = True
        if self.version:
            out["version"] = self.version
        return out


@dataclass(frozen=True)
class Finding:
    section: Section
    subject: str  # "<type> <name>" of the program's resource, or what it is about
    text: str
    detail: tuple[str, ...] = ()


@dataclass
class Outcome:
    """Where each registration landed and what the report says about it."""

    entries: list[ImportEntry] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    real_ids: dict[str, str] = field(default_factory=dict)  # registration URN -> object id

    def add(self, section: Section, subject: str, text: str, detail: Iterable[str] = ()) -> None:
        self.findings.append(Finding(section, subject, text, tuple(detail)))

    def decisions(self) -> list[Finding]:
        return [f for f in self.findings if f.section == "decide"]


def provider_version(type_token: str) -> str | None:
    """The provider plugin version the program's SDK registers `type_token` with."""
    module = _PROVIDER_PACKAGES.get(type_token.split(":", 1)[0])
    if module is None:
        return None
    try:
        plugin = json.loads((resources.files(module) / "pulumi-plugin.json").read_text())
        return str(plugin["version"])
    except (OSError, KeyError, ValueError, ModuleNotFoundError):
        try:
            return metadata.version(module.replace("_", "-"))
        except metadata.PackageNotFoundError:
            return None


def import_file(entries: Iterable[ImportEntry]) -> dict[str, Any]:
    """The import file: components first, then objects, each group in a stable order."""
    ordered = sorted(entries, key=lambda e: (not e.component, e.parent or "", e.type, e.name))
    names = [e.name for e in ordered]
    if len(set(names)) != len(names):
        raise ValueError("import entries must have unique names")
    return {"nameTable": {}, "resources": [e.as_json() for e in ordered]}


def implied_urns(document: Mapping[str, Any], project: str, stack: str) -> dict[str, str]:
    """The URN each entry of an import file gets, as parseImportFile computes it: the parent's
    qualified type joined with `$`, none for the stack's children (the engine's generateURN
    leaves the root stack type out)."""
    entries = {str(r["name"]): r for r in document.get("resources", [])}
    table = dict(document.get("nameTable") or {})
    out: dict[str, str] = {}

    def qualified(name: str) -> str:
        if name in table:
            return str(table[name]).split("::")[2]
        entry = entries[name]
        parent = entry.get("parent")
        own = str(entry["type"])
        return f"{qualified(str(parent))}${own}" if parent else own

    for name, entry in entries.items():
        logical = str(entry.get("logicalName") or name)
        out[name] = f"urn:pulumi:{stack}::{project}::{qualified(name)}::{logical}"
    return out


def engine_urn(mock_urn: str) -> str:
    """A URN from the mock engine as the real engine forms it (no root-stack type in it)."""
    return mock_urn.replace(f"::{ROOT_STACK}$", "::", 1)
