"""The CI matrix, from the stack files: every `stacks/Pulumi.<stack>.yaml` is previewed and
drift-checked, and deployed when it names its GitHub environment. Standard library only, so the
workflows' first job needs nothing installed.

Markers, each a comment line of its own in the stack file:
- `# stack-role: example`: only an example (never deployed): left out of every matrix.
- `# deploy-environment: <name>`: merges to main deploy it, in that GitHub environment (its
  protection rules apply); without it the stack is previewed and drift-checked only.
Deploys run one at a time: stacks whose environment is `production` last, the rest by name.

`python3 scripts/stack_matrix.py` prints {"preview": [...], "deploy": [...]}; with
`--github-output` it appends `preview=<json>` and `deploy=<json>` to $GITHUB_OUTPUT.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = re.compile(r"^#\s*stack-role:\s*example\b", re.MULTILINE)
ENVIRONMENT = re.compile(r"^#\s*deploy-environment:\s*([A-Za-z0-9_.-]+)\s*$", re.MULTILINE)
STACK = re.compile(r"Pulumi\.([A-Za-z0-9_.-]+)\.yaml")


def matrix(root: Path = ROOT) -> dict[str, list[dict[str, str]]]:
    preview: list[dict[str, str]] = []
    deploy: list[dict[str, str]] = []
    for path in sorted((root / "stacks").glob("Pulumi.*.yaml")):
        name = STACK.fullmatch(path.name)
        text = path.read_text(encoding="utf-8")
        if name is None or EXAMPLE.search(text):
            continue
        preview.append({"stack": name.group(1)})
        if env := ENVIRONMENT.search(text):
            deploy.append({"stack": name.group(1), "environment": env.group(1)})
    deploy.sort(key=lambda d: (d["environment"] == "production", d["stack"]))
    return {"preview": preview, "deploy": deploy}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 scripts/stack_matrix.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Exit code: 0 printed; 1 no stack file to preview.",
    )
    parser.add_argument(
        "--github-output", action="store_true", help="also append both lists to $GITHUB_OUTPUT"
    )
    args = parser.parse_args(argv)
    found = matrix()
    if not found["preview"]:
        print("no stack files to preview in stacks/", file=sys.stderr)
        return 1
    if args.github_output:
        with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as out:
            for key, value in found.items():
                out.write(f"{key}={json.dumps(value)}\n")
    print(json.dumps(found, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
