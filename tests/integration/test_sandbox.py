"""`make sandbox` end to end, as a user runs it: `python -m sandbox` in its own process.

`--json` gives the connection facts; psql logs in as a sample member (success) and as the
non-member (refused); `--down` from another process stops it, every server and the folder
gone. `--check` passes on its own and leaves nothing behind. The sandbox's folders live under
the suite's workdir, so `make test`'s leftover check covers their servers too.
"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from components.config import PROJECT_ROOT

GENERATED = re.compile(r"[A-Za-z0-9]{12,}-Sb1")  # the shape of the sandbox's passwords
TIMEOUT = 90


def sandbox_env(workdir: Path, name: str) -> tuple[dict[str, str], Path]:
    base = workdir / name
    base.mkdir(mode=0o755)
    base.chmod(0o755)  # slapd and PostgreSQL run as their own users when the suite is root
    env = {k: v for k, v in os.environ.items() if k not in ("OKTA_API_TOKEN", "IMMUTA_API_KEY")}
    env.update(SANDBOX_TMPDIR=str(base), SANDBOX_PIDFILE=str(base / "sandbox.pid"))
    return env, base


def sandbox(*args: str) -> list[str]:
    return [sys.executable, "-m", "sandbox", *args]


def psql(facts: dict[str, Any], login: str, password: str) -> subprocess.CompletedProcess[str]:
    qe = facts["queryEngine"]
    conninfo = (
        f"host=127.0.0.1 port={qe['port']} dbname={qe['database']} user={login} "
        f"sslmode=verify-full sslrootcert={facts['caFile']}"
    )
    env = {**os.environ, "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "10"}
    return subprocess.run(
        ["psql", conninfo, "-XAtc", "SELECT current_user"],
        env=env, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip


def read_json(proc: subprocess.Popen[str], timeout: float) -> dict[str, Any]:
    """The JSON document the sandbox prints once it is up (it then stays in the foreground)."""
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    stdout = proc.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
    text, deadline = "", time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            text += lines.get(timeout=0.2)
        except queue.Empty:
            if proc.poll() is not None and lines.empty():
                break  # it ended without printing the facts
            continue
        if text.startswith("{") and text.rstrip().endswith("}"):
            try:
                return dict(json.loads(text))
            except ValueError:
                continue
    raise AssertionError(f"no JSON from the sandbox (exit {proc.poll()}): {text[-500:]}")


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_json_facts_let_a_member_in_and_keep_the_non_member_out_until_sandbox_down(
    workdir: Path,
) -> None:
    env, base = sandbox_env(workdir, "sandbox-json")
    log = (base / "progress.log").open("w")
    proc = subprocess.Popen(
        sandbox("--stack", "dev", "--json"), cwd=PROJECT_ROOT, env=env,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, text=True,
    )  # fmt: skip
    try:
        facts = read_json(proc, TIMEOUT)
        assert facts["passed"] is True, facts["verify"]
        assert facts["pid"] == proc.pid
        assert json.loads((base / "sandbox.pid").read_text())["pid"] == proc.pid
        members = [u for u in facts["sampleUsers"] if u["member"]]
        (outsider,) = [u for u in facts["sampleUsers"] if not u["member"]]
        assert len(members) == 2
        assert facts["ldap"]["rootDn"] == "dc=acme-dev,dc=oktapreview,dc=com"
        assert facts["immuta"]["iam"]["credentials"]["bind_pw"] == "[secret]"
        # What Immuta's sync recorded, from a real search of the sandbox slapd.
        assert [u["immutaGroups"] for u in members] == [["okta_user"], ["okta_user"]]
        assert outsider["immutaGroups"] == []
        assert [s["ok"] for s in facts["signOn"] if s["kind"] == "bind account"] == [True, True]

        member = psql(facts, members[0]["login"], members[0]["password"])
        assert member.returncode == 0, member.stderr
        assert member.stdout.strip() == members[0]["login"]
        refused = psql(facts, outsider["login"], outsider["password"])
        assert refused.returncode != 0
        assert "authentication failed" in refused.stderr
        # the sandbox tried the same login and says so
        assert "password authentication failed" in outsider["queryEngineRefusal"]
        # dev uses StartTLS: its IAM keeps Okta's LDAPS port 636, reached at slapd's LDAPS port
        assert facts["immuta"]["iam"]["options"]["port"] == 636
        assert facts["immuta"]["iamLdapReachedAt"]["port"] == facts["ldap"]["ldapsPort"]
        assert Path(facts["immuta"]["iamFile"]).is_file()

        down = subprocess.run(
            sandbox("--down"), cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
            timeout=TIMEOUT, check=False,
        )  # fmt: skip
        assert down.returncode == 0, down.stderr
        assert f"stopped the sandbox (pid {proc.pid})" in down.stdout
        assert proc.wait(TIMEOUT) == 0
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(TIMEOUT)
        log.close()
    servers = [facts["ldap"]["pid"], facts["queryEngine"]["pid"]]
    assert not [pid for pid in servers if alive(pid)]
    assert not Path(facts["folder"]).exists()
    assert not (base / "sandbox.pid").exists()
    progress = (base / "progress.log").read_text()
    assert "make verify against the sandbox" in progress
    assert "stopped every process and removed" in progress
    assert not GENERATED.search(progress)  # the progress lines carry no password


def test_check_passes_prints_a_summary_and_leaves_nothing_behind(workdir: Path) -> None:
    env, base = sandbox_env(workdir, "sandbox-check")
    result = subprocess.run(
        sandbox("--stack", "prod", "--check", "--user", "dave@acme.example"),
        cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=TIMEOUT, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert out.rstrip().endswith("SANDBOX OK")
    assert "PASS 6 Query Engine login as the probe user" in out
    # checks counted as checks, skips with their reason; no path that --check removes
    assert re.search(r"  OK: 6 passed, 2 skipped \(7, 8: [^)]+\), 0 failed of 8 checks\n", out)
    assert str(base) not in out
    assert "so no file is named here" in out
    assert re.search(
        r"carol@acme\.example +refused, as intended: not in the role okta_user, .*catch-all.*"
        r'password authentication failed for user "carol@acme\.example"',
        out,
    )
    assert "Not rehearsed: Okta itself" in out
    # The generated --user password is printed once; no other password is.
    (shown,) = GENERATED.findall(out)
    assert re.search(
        rf"dave@acme\.example +member of okta_user; Immuta groups: okta_user; "
        rf"password \(shown once\): {shown}",
        out,
    )
    assert not GENERATED.search(result.stderr)
    assert sorted(p.name for p in base.iterdir()) == []  # folder removed, no PID file (--check)
    left = subprocess.run(["pgrep", "-f", str(base)], capture_output=True, text=True, check=False)
    assert left.stdout == ""
