"""`python -m offline_plan [--stack dev] [--json] [--write]`: the offline change plan."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from components.config import PROJECT_ROOT, SettingsError
from components.config.stack_file import StackFileError, list_stacks
from offline_plan.render import to_json, to_text
from rehearsal.mock_engine import run_program
from rehearsal.stack_config import load_stack_config

SNAPSHOT_DIR = PROJECT_ROOT / "stacks" / "plans"


def render(stack: str, as_json: bool = False, root: Path = PROJECT_ROOT) -> str:
    config = load_stack_config(stack, root)
    settings = config.settings()  # every problem at once (the file's too), before it runs
    for warning in settings.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    plan = run_program(config)
    return to_json(plan) if as_json else to_text(plan)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline_plan", description=__doc__)
    parser.add_argument("--stack", default="dev", help="stack name (stacks/Pulumi.<stack>.yaml)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--write", action="store_true", help=f"write every stack's snapshot to {SNAPSHOT_DIR.name}/"
    )
    parser.add_argument("--out", type=Path, help="with --write: another folder for the snapshots")
    parser.add_argument("--root", type=Path, default=PROJECT_ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        if args.write:
            out = args.out or SNAPSHOT_DIR
            out.mkdir(parents=True, exist_ok=True)
            for stack in list_stacks(args.root):
                (out / f"{stack}.txt").write_text(render(stack, root=args.root))
                print(f"wrote {out / f'{stack}.txt'}")
            return 0
        sys.stdout.write(render(args.stack, args.json, args.root))
    except (StackFileError, SettingsError) as exc:  # bad input: one report, one exit code
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the program's own errors
        if isinstance(exc.__cause__, SettingsError):  # bad config, reported by the program
            print(f"error: {exc.__cause__}", file=sys.stderr)
            return 2
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
