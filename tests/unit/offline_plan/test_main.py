"""`python -m offline_plan --help` answers without rendering: folders, defaults, exit codes."""

from __future__ import annotations

import pytest

import offline_plan.__main__ as plan_cli


def _no_render(*_: object, **__: object) -> str:
    raise AssertionError("rendered a plan")


def test_help_names_the_real_folders_defaults_and_exit_codes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plan_cli, "render", _no_render)
    with pytest.raises(SystemExit) as exited:
        plan_cli.main(["--help"])
    assert exited.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps by terminal width
    assert "stacks/Pulumi.<stack>.yaml (default: dev)" in text
    assert "write every stack's plan to stacks/plans/<stack>.txt" in text
    assert "the folder to write the snapshots to (default: stacks/plans/)" in text
    assert "(default: HEAD when REF is left out)" in text
    assert "exit code 0 whether or not it changed" in text
    assert "exit codes: 0 the plan was printed or written" in text
    assert "2 bad input:" in text
    assert "make plan-diff REF=origin/main" in text


@pytest.mark.parametrize(
    "argv",
    [["--out", "x"], ["--json", "--diff"], ["--write", "--json"], ["--diff", "HEAD", "--write"]],
)
def test_options_that_do_not_go_together_are_refused(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plan_cli, "render", _no_render)
    with pytest.raises(SystemExit) as exited:
        plan_cli.main(argv)
    assert exited.value.code == 2
    assert "error:" in capsys.readouterr().err
