"""docs/config.md says what Pulumi.yaml says: every key, once, with its type and default."""

from __future__ import annotations

from components.config import project_schema
from config_reference.__main__ import PAGE, main, render


def test_the_committed_page_is_current() -> None:
    assert PAGE.read_text() == render(), "docs/config.md is stale: run `make docs` and commit it"
    assert main(["--check"]) == 0


def test_every_key_has_one_row_with_its_type() -> None:
    rows = [line for line in render().splitlines() if line.startswith("| `")]
    schema = project_schema()
    assert [r.split("`")[1] for r in rows] == list(schema.keys)
    for row, spec in zip(rows, schema.keys.values(), strict=True):
        assert f"| {spec.type}" in row
        assert ("secret" in row.split("|")[2]) is spec.secret
    api_key = next(r for r in rows if r.startswith("| `immutaApiKey`"))
    assert "| required |" in api_key
