"""`python -m offline_plan`: --help answers without rendering (folders, defaults, exit codes);
the whole entry point, as `make plan` runs it, in a fresh process."""

from __future__ import annotations

import subprocess
import sys

import pytest

import offline_plan.__main__ as plan_cli
from components.config import PROJECT_ROOT


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


# Runs the module as `-m` does, then names the libraries loaded by the end (atexit runs last).
_RUN = """
import atexit, runpy, sys
atexit.register(lambda: print(*sorted({m.split(".")[0] for m in sys.modules}), file=sys.stderr))
sys.argv = ["offline_plan", "--stack", "dev"]
runpy.run_module("offline_plan", run_name="__main__", alter_sys=True)
"""


def test_the_plan_prints_the_snapshot_and_loads_no_ldap_client() -> None:
    # No name of the dev stack needs escaping, so ldap3 (its import loads the whole LDAP client)
    # stays unloaded; pydantic and email_validator validate the config, before the run.
    run = subprocess.run(
        [sys.executable, "-c", _RUN], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == (plan_cli.SNAPSHOT_DIR / "dev.txt").read_text()
    loaded = set(run.stderr.split())
    assert {"pydantic", "email_validator", "pulumi_okta"} <= loaded
    assert "ldap3" not in loaded
