"""The adoption report: readable text and JSON, both with every known secret masked.

Deterministic: the same org, IAM and release give the same bytes (no timestamps, sorted
inputs), so a second run can be compared with the first.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable, Sequence
from typing import Any

from adopt.discover import Adoption
from adopt.model import SECTION_TITLES, Finding, Section
from adopt.proposals import config_commands
from components.secret_text import scrub

WIDTH = 100
COLUMNS = (19, 35, 35)  # aspect, today, after the first up


def _wrap(
    text: str, width: int, initial_indent: str = "", subsequent_indent: str = ""
) -> list[str]:
    """Wrapped at blanks only: logins, DNs and URLs stay whole (and findable)."""
    return textwrap.wrap(
        text,
        width,
        initial_indent=initial_indent,
        subsequent_indent=subsequent_indent,
        break_on_hyphens=False,
        break_long_words=False,
    )


def _table(rows: Sequence[Sequence[str]], indent: str) -> list[str]:
    """Rows of (aspect, today, after, meaning): three columns side by side, meaning below."""
    header = ("aspect", "today", "after the first up")
    out = []
    for row in [(*header, ""), *rows]:
        pairs = zip(row[:3], COLUMNS, strict=True)
        cells = [textwrap.wrap(c, w, break_on_hyphens=False) or [""] for c, w in pairs]
        for i in range(max(len(c) for c in cells)):
            parts = [
                (c[i] if i < len(c) else "").ljust(w) for c, w in zip(cells, COLUMNS, strict=True)
            ]
            out.append((indent + " ".join(parts)).rstrip())
        if row[3]:
            out += _wrap(
                row[3],
                WIDTH - len(indent) - 4,
                initial_indent=indent + "  = ",
                subsequent_indent=indent + "    ",
            )
    return out


def _finding(f: Finding) -> list[str]:
    lines = _wrap(
        f"{f.subject}: {f.text}", WIDTH - 2, initial_indent="  ", subsequent_indent="      "
    )
    rows = [d[1:].split("|")[:4] for d in f.detail if d.startswith("|")]
    for d in (d for d in f.detail if not d.startswith("|")):
        if d.startswith(("today:", "after up:")):
            lines.append(f"      {d}")  # a pg_hba line: kept whole, so it can be copied
        else:
            lines += _wrap(d, WIDTH - 8, initial_indent="      - ", subsequent_indent="        ")
    if rows:
        lines += _table(rows, "      ")
    return lines


def next_steps(a: Adoption, path: str) -> list[str]:
    s = a.stack
    steps = [
        "apply the config changes above" if a.proposals.changes else "no config changes needed",
        f"pulumi import --stack {s} --file {path} --generate-code=false --protect=false",
        f"pulumi preview --stack {s} --diff --policy-pack policy   (read it: no `replace` or "
        "`delete` of an adopted object, and the changes listed above)",
        f"pulumi up --stack {s}",
        f"make verify STACK={s}",
    ]
    if a.blocked():
        steps.insert(0, "resolve every decision above, then run `make adopt` again")
    return [f"  {i}. {step}" for i, step in enumerate(steps, 1)]


def render_text(a: Adoption, path: str) -> str:
    document = a.import_document()
    resources = document["resources"]
    components = sum(1 for r in resources if r.get("component"))
    lines = [
        f"Adoption of stack '{a.stack}' (project {a.project}): read only, nothing was written",
        f"  read: Okta {a.okta.url} ({a.okta.reads} GET)",
        f"        Immuta {a.immuta.url} ({a.immuta.reads} GET)",
        f"        Kubernetes {a.kube.server}, context '{a.kube.context}' ({a.kube_reads} GET)",
    ]
    for use in a.uses:
        lines.append(
            f"  in use today: {use.consumer.value} binds as {use.login} ({use.source}"
            + (f"; {use.note}" if use.note else "")
            + ")"
        )
    lines.append(
        f"  import file: {path} ({len(resources) - components} objects, {components} components)"
    )
    decisions = [Finding("decide", "stack config", d) for d in a.proposals.decisions]
    findings = [*a.outcome.findings, *decisions]
    for section in SECTION_TITLES:
        chosen = [f for f in findings if f.section == section]
        if chosen:
            lines += ["", SECTION_TITLES[section]]
            for f in chosen:
                lines += _finding(f)
    if a.proposals.notes:
        lines += ["", "Notes"]
        for note in a.proposals.notes:
            lines += _wrap(note, WIDTH - 2, initial_indent="  - ", subsequent_indent="    ")
    lines += ["", "Config changes the stack needs"]
    if not a.proposals.changes:
        lines.append("  none")
    for key in sorted(a.proposals.changes):
        lines.append(f"  {key}: {a.proposals.changes[key]}")
        lines.append(f"      ({a.proposals.why.get(key, '')})")
    if a.proposals.changes:
        lines += ["  as commands:"] + [
            f"    {c}" for c in config_commands(a.stack, a.proposals.changes)
        ]
    lines += ["", "Next", *next_steps(a, path)]
    return scrub("\n".join(lines) + "\n", a.secrets)


def render_json(a: Adoption, path: str) -> str:
    sections: dict[Section, list[dict[str, Any]]] = {s: [] for s in SECTION_TITLES}
    for f in a.outcome.findings:
        sections[f.section].append({"subject": f.subject, "text": f.text, "detail": list(f.detail)})
    sections["decide"] += [
        {"subject": "stack config", "text": d, "detail": []} for d in a.proposals.decisions
    ]
    body = {
        "stack": a.stack,
        "project": a.project,
        "written": False,
        "importFile": {"path": path, "document": a.import_document()},
        "config": dict(sorted(a.proposals.changes.items())),
        "configCommands": config_commands(a.stack, a.proposals.changes),
        "findings": sections,
        "notes": a.proposals.notes,
        "reads": {"okta": a.okta.reads, "immuta": a.immuta.reads, "kubernetes": a.kube_reads},
        "blocked": a.blocked(),
    }
    return scrub(json.dumps(body, indent=2, sort_keys=False) + "\n", a.secrets)


def import_file_text(a: Adoption) -> str:
    """The import file as written: ids, names and types only, never a secret."""
    return scrub(json.dumps(a.import_document(), indent=4) + "\n", a.secrets)


def masked(texts: Iterable[str], secrets: Sequence[str]) -> list[str]:
    return [scrub(t, secrets) for t in texts]
