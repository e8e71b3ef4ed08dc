"""Every relative link in the README, CHANGELOG and docs/ points at a file or folder of the
checkout, and every `#anchor` at a heading of the page it names (GitHub's slug rules)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^(```|~~~)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
_INLINE_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: the rendered text in lower case, every character but
    letters, digits, `_`, `-` and spaces dropped, spaces turned into hyphens."""
    text = _INLINE_LINK.sub(r"\1", heading).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives the headings of `page` (a repeated slug gets -1, -2, ...)."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    fenced = False
    for line in page.read_text().splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            continue
        heading = None if fenced else _HEADING.match(line)
        if heading is None:
            continue
        base = slug(heading.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(page: Path) -> list[str]:
    """Link targets of `page`, outside code blocks."""
    text = "\n".join(_unfenced(page.read_text().splitlines()))
    return _LINK.findall(re.sub(r"`[^`\n]*`", "", text))


def _unfenced(lines: list[str]) -> list[str]:
    kept, fenced = [], False
    for line in lines:
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            kept.append(line)
    return kept


def test_slug_follows_github() -> None:
    assert slug("When Okta stalls") == "when-okta-stalls"
    assert slug("8. Bind account passwords") == "8-bind-account-passwords"
    assert slug("`make sandbox`: see a stack work") == "make-sandbox-see-a-stack-work"
    assert slug("The pg_hba rule (search+bind, the default)") == (
        "the-pg_hba-rule-searchbind-the-default"
    )
    assert slug("See [the plan](docs/plan.md) first") == "see-the-plan-first"


def test_repeated_headings_get_numbered_anchors(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text("# A\n## Fix\n```\n# not a heading\n```\n## Fix\n")
    assert anchors(page) == {"a", "fix", "fix-1"}


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_relative_links_resolve(page: Path) -> None:
    broken = []
    for target in links(page):
        if re.match(r"[a-z]+:", target):
            continue  # a URL
        path_part, _, anchor = target.partition("#")
        path = (page.parent / path_part).resolve() if path_part else page
        checked_page = path.exists() and path.suffix == ".md"
        if not path.exists() or (anchor and checked_page and anchor not in anchors(path)):
            broken.append(target)
    assert broken == [], f"{page.relative_to(ROOT)}: links to nothing: {broken}"
