"""Shared fixtures: the program under fresh mocks per test, session servers (helpers live in
tests/support)."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from rehearsal._watchdog import guard_folder
from rehearsal.immuta_emulator import ImmutaEmulator
from rehearsal.mock_engine import PlanResult
from rehearsal.servers import TestCA
from tests.support import stacks

# Property tests: random and remembering failures locally; in CI the same examples every run
# (derandomized, no example database), so a run is reproducible and never replays a stale one.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev")
settings.load_profile("ci" if os.environ.get("CI") else "dev")
# Test servers live under this prefix; `make test` passes a run id so that its check for
# leftover servers looks at this run's processes only.
WORKDIR_PREFIX = f"okta-ldap-immuta-it-{os.environ.get('TEST_RUN_ID', os.getpid())}-"


INTERRUPTING = (signal.SIGTERM, signal.SIGHUP)
_interrupted: list[int] = []


def _interrupt(signum: int, _frame: object) -> None:
    # Once: a second one (`timeout` signals the process, then its group) must not cut short the
    # teardown the first one started. Ctrl-C still interrupts it; SIGKILL leaves it to the watchdog.
    if not _interrupted:
        _interrupted.append(signum)
        raise KeyboardInterrupt(f"{signal.Signals(signum).name}")


def pytest_configure(config: pytest.Config) -> None:
    """SIGTERM (a cancelled CI job, `timeout`) and SIGHUP (a closed terminal) end the run as
    Ctrl-C does: pytest stops and tears down every fixture, so the test servers are stopped and
    their folders removed. (SIGKILL runs nothing here: rehearsal's watchdog covers it.) A signal
    the caller ignores (nohup's SIGHUP) stays ignored."""
    for signum in INTERRUPTING:
        if signal.getsignal(signum) == signal.SIG_DFL:
            signal.signal(signum, _interrupt)


_WORKER_STARTUPS: dict[str, dict[str, float]] = {}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """pytest-xdist (make test): each worker's integration server start-up times."""
    startup = getattr(node, "workeroutput", {}).get("serverStartup")
    if startup:
        _WORKER_STARTUPS[str(node.gateway.id)] = startup


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for worker, startup in sorted(_WORKER_STARTUPS.items()):
        parts = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in startup.items())
        terminalreporter.write_line(f"integration servers started in ({worker}): {parts}")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Every fixture is torn down by now: a late signal just ends the process."""
    for signum in INTERRUPTING:
        if signal.getsignal(signum) == _interrupt:
            signal.signal(signum, signal.SIG_DFL)


@pytest.fixture
def run_stack() -> Callable[..., PlanResult]:
    """Run the real `__main__.py` under mocks set inside this test (never at import time)."""
    return stacks.run_stack


@pytest.fixture(scope="session")
def workdir() -> Iterator[Path]:
    """A temp folder the test servers (own system users when root) can reach."""
    root = Path(tempfile.mkdtemp(prefix=WORKDIR_PREFIX))
    guard_folder(root)  # removed even when pytest is killed
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def ca(workdir: Path) -> TestCA:
    """A test CA (openssl) for every TLS server of the suite."""
    return TestCA.create(workdir / "ca")


@pytest.fixture(autouse=True)
def _immuta_requests_are_valid(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a test that used the Immuta emulator: every request it got was valid by Immuta's
    API description, and every answer in its shape (rehearsal/immuta_contract)."""
    yield
    marked = request.node.get_closest_marker("invalid_immuta_requests")
    if "emulator" in request.fixturenames and marked is None:
        assert request.getfixturevalue("emulator").invalid_requests() == []


@pytest.fixture(scope="session")
def emulator(ca: TestCA) -> Iterator[ImmutaEmulator]:
    """The Immuta API emulator over HTTPS (test CA); tests reset its state."""
    cert, key = ca.server_cert("immuta-emulator")
    server = ImmutaEmulator(cert=cert, key=key).start()
    yield server
    server.stop()
