"""Each stack's committed offline plan is current, so a pull request shows its change as a diff."""

from __future__ import annotations

import json

import pytest

from offline_plan.__main__ import SNAPSHOT_DIR, main, render
from rehearsal.stack_config import list_stacks


@pytest.mark.parametrize("stack", list_stacks())
def test_snapshot_is_current(stack: str) -> None:
    snapshot = SNAPSHOT_DIR / f"{stack}.txt"
    assert snapshot.exists(), f"missing {snapshot}: run `make plan-update` and commit it"
    assert render(stack) == snapshot.read_text(), (
        f"stacks/plans/{stack}.txt is stale: run `make plan-update` and commit the diff"
    )


def test_no_snapshot_without_a_stack() -> None:
    assert sorted(p.stem for p in SNAPSHOT_DIR.glob("*.txt")) == list_stacks()


def test_plan_is_deterministic_and_masks_secrets() -> None:
    first, second = render("dev"), render("dev")
    assert first == second
    assert "[secret]" in first
    doc = json.loads(render("dev", as_json=True))
    users = [r for r in doc["resources"] if r["type"] == "okta:user/user:User"]
    assert len(users) == 2
    assert {u["inputs"]["password"] for u in users} == {"[secret]"}


def test_cli_reports_a_bad_stack_with_exit_code_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack", "does-not-exist"]) == 2
    assert "no stack file" in capsys.readouterr().err
