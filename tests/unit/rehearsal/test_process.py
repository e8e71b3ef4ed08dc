"""run_tied: a child (a pytest that starts servers) ends with the script that runs it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from rehearsal._watchdog import start_time

ROOT = Path(__file__).resolve().parents[3]

# The child records the first signal it gets and exits 3; the script runs it tied. Each note
# is written whole (a temp file renamed), so the test never reads a file half written.
CHILD = textwrap.dedent("""
    import os, signal, sys, time
    from pathlib import Path
    out = Path(sys.argv[1])
    def write(name, text):
        (out / (name + ".tmp")).write_text(text)
        os.replace(out / (name + ".tmp"), out / name)
    def note(signum, _):
        write("got", signal.Signals(signum).name)
        sys.exit(3)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, note)
    write("child", str(os.getpid()))
    time.sleep(60)
""")
SCRIPT = textwrap.dedent("""
    import signal, sys
    from rehearsal._process import run_tied
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # whatever our caller ignores
        signal.signal(s, signal.default_int_handler if s == signal.SIGINT else signal.SIG_DFL)
    sys.exit(run_tied([sys.executable, "-c", sys.argv[1], sys.argv[2]]).returncode)
""")


def _wait_for(path: Path, bound: float = 20.0) -> str:
    deadline = time.monotonic() + bound
    while not path.exists():
        assert time.monotonic() < deadline, f"no {path.name} after {bound}s"
        time.sleep(0.05)
    return path.read_text()


@pytest.mark.parametrize(
    ("sent", "got"),
    [
        (signal.SIGTERM, "SIGTERM"),  # passed on
        (signal.SIGINT, "SIGINT"),
        (signal.SIGHUP, "SIGHUP"),
        (signal.SIGKILL, "SIGTERM"),  # the kernel's parent-death signal
    ],
    ids=["TERM", "INT", "HUP", "KILL"],
)
def test_the_child_gets_the_signal_once_and_ends(
    tmp_path: Path, sent: signal.Signals, got: str
) -> None:
    script = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, CHILD, str(tmp_path)], cwd=ROOT, start_new_session=True
    )
    try:
        child = int(_wait_for(tmp_path / "child"))
        os.kill(script.pid, sent)
        script.wait(20)
        assert _wait_for(tmp_path / "got") == got
        if sent != signal.SIGKILL:
            assert script.returncode == 3  # the child's exit code, passed on
        deadline = time.monotonic() + 10
        while start_time(child) is not None:
            assert time.monotonic() < deadline, "the child outlived the script"
            time.sleep(0.05)
    finally:
        if script.poll() is None:
            os.killpg(script.pid, signal.SIGKILL)
            script.wait()
