"""Every script and tool answers `--help` with its usage, and runs nothing.

Each case proves the help did not fall through to the real work: the output is not what the
work prints (JSON, a path, a port), and the side effect the work would have is absent.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable


def _help(cmd: list[str], cwd: Path = ROOT, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        cmd,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    return done.stdout


@pytest.mark.parametrize("tool", ["offline_plan", "verify", "adopt", "sandbox", "config_reference"])
def test_each_tool_shows_its_usage_and_exit_codes(tool: str) -> None:
    out = _help([PY, "-m", tool, "--help"])
    assert out.startswith("usage: python -m " + tool)
    # What its exit codes mean (beyond argparse's own "show this help message and exit").
    assert re.search(r"exit (codes?\b|[0-9])", out, re.IGNORECASE)


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "bench").glob("*.py")))
def test_each_benchmark_shows_its_usage(script: str) -> None:
    out = _help([PY, f"bench/{script}", "--help"])
    assert out.startswith("usage:")
    assert "x floor" not in out  # no table: nothing ran
    assert "passed" not in out


def test_stack_matrix_shows_its_usage_not_the_matrix(tmp_path: Path) -> None:
    github_output = tmp_path / "github-output"
    out = _help(
        [PY, "scripts/stack_matrix.py", "--help"], env={"GITHUB_OUTPUT": str(github_output)}
    )
    assert out.startswith("usage: python3 scripts/stack_matrix.py")
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)
    assert not github_output.exists()


def test_fresh_debian_shows_its_usage_and_builds_no_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    out = _help(["bash", "scripts/fresh-debian.sh", "--help"], env={"FRESH_DEBIAN_DIR": str(root)})
    assert "sudo bash scripts/fresh-debian.sh [REPO [BRANCH]]" in out
    assert not root.exists()


def test_uv_bootstrap_shows_its_usage_not_a_path() -> None:
    out = _help(["bash", "scripts/uv.sh", "-h"])
    assert "Usage: bash scripts/uv.sh" in out
    assert not out.rstrip().endswith("/uv")


def test_system_deps_shows_its_usage_and_installs_nothing(tmp_path: Path) -> None:
    # With nothing on PATH every dependency looks missing: the real run would say what it installs.
    out = _help(
        ["/bin/bash", "scripts/install-system-deps.sh", "--help"], env={"PATH": str(tmp_path)}
    )
    assert "Usage: sudo bash scripts/install-system-deps.sh" in out
    assert "with apt..." not in out
    assert "missing slapd" not in out


def test_policy_pack_shows_its_usage_and_serves_nothing() -> None:
    # Run as the engine runs it (tests/unit/policy/test_pack_grpc.py): the pack would print its
    # gRPC port and serve until stopped; the timeout in _help catches that.
    out = _help([PY, "-u", "__main__.py", "--help"], cwd=ROOT / "policy")
    assert out.startswith("usage: pulumi preview --policy-pack policy")
    assert not out.strip().isdigit()
