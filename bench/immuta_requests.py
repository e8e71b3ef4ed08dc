"""Benchmark: HTTP requests per provider operation, through the real gRPC provider server
against the Immuta emulator. Goals: check and diff 0; read at most 2 including
authentication; create, update and delete at most 3 each plus the optional dry-run test;
one authentication for all operations of a process (the token is reused)."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rehearsal._watchdog import guard_folder  # noqa: E402
from rehearsal.immuta_emulator import ImmutaEmulator  # noqa: E402
from rehearsal.provider_server import ProviderServer  # noqa: E402
from rehearsal.servers import TestCA  # noqa: E402
from tests.support.immuta_iam import desired, provider_config  # noqa: E402

GOALS = {"check": 0, "diff": 0, "read (first op)": 2, "create": 3, "update": 3, "delete": 3}
AUTH = "/bim/apikey/authenticate"


def main() -> int:
    argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0], epilog="exit 0: every goal met; 1: one missed"
    ).parse_args()
    work = Path(tempfile.mkdtemp(prefix="immuta-bench-"))  # the test CA's key: removed at exit
    guard_folder(work)  # even when this benchmark is killed
    try:
        return _measure(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _measure(work: Path) -> int:
    ca = TestCA.create(work / "ca")
    cert, key = ca.server_cert("emulator")
    emulator = ImmutaEmulator(cert=cert, key=key).start()
    rows: list[tuple[str, int, int, int]] = []  # (operation, requests, dry-runs, auths)

    def measure(name: str, operation: object) -> None:
        start = len(emulator.requests)
        operation()  # type: ignore[operator]
        done = emulator.requests[start:]
        dry = sum(1 for r in done if r.path.endswith("/sync"))
        auth = sum(1 for r in done if r.path == AUTH)
        rows.append((name, len(done) - dry, dry, auth))

    try:
        first = ProviderServer(work / "p1.log", provider_config(emulator, ca)).start()
        emulator.document["plugins"]["pre"] = {**desired(), "id": "preexisting"}
        measure("read (first op)", lambda: first.read("preexisting", {}))
        first.stop()

        p = ProviderServer(work / "p2.log", provider_config(emulator, ca)).start()
        outs: dict[str, object] = {}
        measure("check", lambda: p.check({}, desired()))
        measure("create", lambda: outs.update(p.create(desired())[1]))
        measure("read", lambda: p.read("okta", outs))
        measure("diff", lambda: p.diff("okta", outs, desired(displayName="Okta (LDAP)")))
        measure(
            "update",
            lambda: outs.update(p.update("okta", outs, desired(displayName="Okta (LDAP)"))),
        )
        measure("delete", lambda: p.delete("okta", outs))
        p.stop()
    finally:
        emulator.stop()

    ok = True
    print(f"{'operation':<18}{'requests':>9}{'+dry-run':>9}{'auth':>6}{'goal':>6}")
    for name, count, dry, auth in rows:
        goal = GOALS.get(name)
        met = goal is None or count <= goal
        ok &= met
        shown_goal = "" if goal is None else str(goal)
        verdict = "" if met else "  MISSED"
        print(f"{name:<18}{count:>9}{dry:>9}{auth:>6}{shown_goal:>6}{verdict}")
    auths = sum(auth for name, _, _, auth in rows if name != "read (first op)")
    print(f"authentications across check..delete in one process: {auths} (goal 1)")
    ok &= auths == 1
    print("goals: " + ("met" if ok else "MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
