"""Benchmark: `make plan`'s program run against the floor of importing the SDKs alone.

Runs the commands alternately N times (default 15) as fresh processes, so all see the same
machine noise, and reports median wall time, median CPU time (user+sys, steadier on a shared VM)
and median peak RSS, all from wait4's rusage. Goal: the plan's CPU time at most 1.5x the used-SDK
floor's (importing the SDK modules the program uses), under 150 MB peak. Prints a table and exits
1 when a goal is missed.

The plan freezes its heap (gc.freeze), so it skips the interpreter's closing collections, which
the floor pays (about a third of its CPU time). The frozen floor row does the same; the plan's CPU
over it is printed too: like for like, it is the plan's own overhead.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
USED_SDK = (
    "import pulumi, pulumi_random, pulumi_okta.user, pulumi_okta.policy, pulumi_okta.group,"
    " pulumi_kubernetes.helm.v3, pulumi.dynamic, pulumi.runtime.mocks;"
    # pulumi_okta's subpackages are lazy modules: importing one by name runs none of its code,
    # the first attribute read loads it all (~30 ms), as the program's first resource does.
    " pulumi_okta.user.User, pulumi_okta.policy.Signon, pulumi_okta.group.Group"
)
COMMANDS = {
    "import floor": [PY, "-c", "import pulumi, pulumi_okta, pulumi_kubernetes"],
    # The SDK submodules the program really loads (pulumi_okta.policy, helm.v3 and the
    # `requests` it imports load lazily, so the floor above never pays for them).
    "used-SDK floor": [PY, "-c", USED_SDK],
    "used-SDK, frozen": [PY, "-c", f"{USED_SDK}; import gc; gc.freeze()"],
    "offline plan (dev)": [PY, "-m", "offline_plan", "--stack", "dev"],
}
CPU_RATIO_GOAL, PEAK_MB_GOAL = 1.5, 150.0


def measure(cmd: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS in MB of one fresh run."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cmd} failed")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # Linux: KiB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in COMMANDS}
    for cmd in COMMANDS.values():
        measure(cmd)  # warm the file cache
    for _ in range(args.runs):
        for name, cmd in COMMANDS.items():
            samples[name].append(measure(cmd))
    results = {
        name: tuple(statistics.median(run[i] for run in runs) for i in range(3))
        for name, runs in samples.items()
    }
    floor_wall, floor_cpu, _ = results["import floor"]
    used_wall, used_cpu, _ = results["used-SDK floor"]
    print(
        f"{'command':<20}{'wall s':>8}{'x floor':>9}{'cpu s':>8}{'x floor':>9}"
        f"{'x used':>8}{'peak MB':>9}"
    )
    for name, (wall, cpu, peak) in results.items():
        print(
            f"{name:<20}{wall:>8.3f}{wall / floor_wall:>9.2f}"
            f"{cpu:>8.3f}{cpu / floor_cpu:>9.2f}{cpu / used_cpu:>8.2f}{peak:>9.1f}"
        )
    print(f"(medians of {args.runs} interleaved runs; x used: CPU over the used-SDK floor's)")
    plan_wall, plan_cpu, plan_peak = results["offline plan (dev)"]
    print(f"plan wall over the used-SDK floor's: {plan_wall / used_wall:.2f}x (informational)")
    frozen_cpu = results["used-SDK, frozen"][1]
    like = plan_cpu / frozen_cpu
    print(f"plan CPU over the frozen used-SDK floor's: {like:.2f}x (like for like)")
    ok = plan_cpu <= CPU_RATIO_GOAL * used_cpu and plan_peak < PEAK_MB_GOAL
    print(
        f"goal: CPU <= {CPU_RATIO_GOAL}x the used-SDK floor's ({plan_cpu / used_cpu:.2f}x) "
        f"and < {PEAK_MB_GOAL:.0f} MB peak ({plan_peak:.0f} MB): " + ("met" if ok else "MISSED")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
