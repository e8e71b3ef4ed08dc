"""`python -m config_reference [--check]`: write docs/config.md from Pulumi.yaml, or (with
--check) exit 1 when the committed page differs from what Pulumi.yaml says.

Pulumi.yaml is the one source of every key, type, default and secret marker; this page is only
its reading, so it can never say something else.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from components.config import PROJECT_ROOT, project_schema
from components.config._schema import config_text

PAGE = PROJECT_ROOT / "docs" / "config.md"


def _cell(text: str) -> str:
    """Text for a Markdown table cell (`<id>` would otherwise read as an HTML tag)."""
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def render() -> str:
    schema = project_schema()
    lines = [
        "# Config reference",
        "",
        "<!-- Generated from Pulumi.yaml by `make docs`; a test fails when it is stale. -->",
        "",
        f"Every key of the `{schema.name}` namespace, as `Pulumi.yaml` declares it. Set one with",
        f"`pulumi config set {schema.name}:<key> <value>` (credentials with `--secret`). The Okta",
        "org is the Okta provider's own `okta:orgName` and `okta:baseUrl`; Kubernetes uses your",
        "kubeconfig (`kubernetes:context` selects a context).",
        "",
        "| key | type | default | description |",
        "|---|---|---|---|",
    ]
    for key, spec in schema.keys.items():
        if not spec.has_default:
            default = "required"
        else:
            text = config_text(spec.default)
            default = f"`{text}`" if text else '`""`'
        kind = spec.type + (", secret" if spec.secret else "")
        lines.append(f"| `{key}` | {kind} | {_cell(default)} | {_cell(spec.description)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m config_reference",
        description="Write docs/config.md from Pulumi.yaml (exit 0), or check it (exit 1: stale).",
    )
    parser.add_argument("--check", action="store_true", help="only check; write nothing")
    args = parser.parse_args(argv)
    page = render()
    if args.check:
        if not PAGE.exists() or PAGE.read_text() != page:
            print(f"{PAGE.relative_to(PROJECT_ROOT)} is stale: run `make docs`", file=sys.stderr)
            return 1
        return 0
    PAGE.parent.mkdir(exist_ok=True)
    PAGE.write_text(page)
    print(f"wrote {Path(PAGE).relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
