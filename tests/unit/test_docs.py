"""The README stays a five-minute read that leads to every docs/ page, and the make targets the
docs name are the Makefile's, each documented."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
MAX_README_LINES = 200
_TARGET_RULE = re.compile(r"^([a-z][a-z0-9-]*):", re.MULTILINE)
_HELP_LINE = re.compile(r"^\s*make (\S+)", re.MULTILINE)
_CODE = re.compile(r"```.*?```|`[^`\n]+`", re.DOTALL)
_MAKE = re.compile(r"\bmake ([a-z][a-z0-9-]*)")


def makefile_targets() -> set[str]:
    return set(_TARGET_RULE.findall((ROOT / "Makefile").read_text()))


def help_targets() -> set[str]:
    out = subprocess.run(
        ["make", "--no-print-directory", "-s", "help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(_HELP_LINE.findall(out))


def targets_named(text: str) -> set[str]:
    """`make <target>` inside code spans and code blocks."""
    return {t for code in _CODE.findall(text) for t in _MAKE.findall(code)}


def test_readme_is_short() -> None:
    lines = README.read_text().count("\n")
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines, at most {MAX_README_LINES}"


def test_readme_links_every_docs_page() -> None:
    text = README.read_text()
    missing = [p.name for p in DOCS if f"(docs/{p.name})" not in text]
    assert missing == [], f"README.md does not link: {missing}"


def test_targets_named_in_readme_and_docs_exist() -> None:
    known = makefile_targets()
    unknown = {
        f"{page.relative_to(ROOT)}: make {target}"
        for page in [README, *DOCS]
        for target in targets_named(page.read_text())
        if target not in known
    }
    assert unknown == set(), f"no such Makefile target: {sorted(unknown)}"


def test_every_help_target_is_documented() -> None:
    named = set().union(*(targets_named(p.read_text()) for p in [README, *DOCS]))
    undocumented = help_targets() - named
    assert undocumented == set(), f"`make help` lists targets no page names: {sorted(undocumented)}"


def test_help_lists_every_documented_target_rule() -> None:
    # `make help` is built from the `##` lines; a target with one must be a real rule.
    assert help_targets() <= makefile_targets()


def test_targets_named_reads_only_code() -> None:
    assert targets_named("run `make plan` and\n```sh\nmake test ARGS=-x\n```\nmake sure") == {
        "plan",
        "test",
    }
