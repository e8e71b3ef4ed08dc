"""The offline plan: the desired state of a stack (what `pulumi up` would converge to), rendered
by running the real program under Pulumi's mock engine; no Pulumi CLI, no credentials, no
network. Secrets show as [secret].

  python -m offline_plan --stack prod            the plan as text (`make plan STACK=prod`)
  python -m offline_plan --stack prod --json     as JSON (`make plan-json`)
  python -m offline_plan --write                 every stack's snapshot (`make plan-update`)
  python -m offline_plan --stack prod --diff origin/main
                                                 the change against the snapshot committed at
                                                 a git ref (`make plan-diff REF=origin/main`)
"""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

from components.config import PROJECT_ROOT, SettingsError
from components.config.stack_file import StackFileError, list_stacks
from offline_plan.diff import SNAPSHOT_FOLDER, DiffError, plan_diff, snapshot_at
from offline_plan.render import to_json, to_text
from rehearsal.mock_engine import run_program
from rehearsal.stack_config import load_stack_config

SNAPSHOT_DIR = PROJECT_ROOT / SNAPSHOT_FOLDER
EXIT_CODES = """\
exit codes:
  0  the plan was printed or written; with --diff also when the desired state changed
  1  the program failed (a bug: the message names the error)
  2  bad input: a stack file or config problem, an unknown stack, an unknown git ref or no
     snapshot at that ref (one message, nothing rendered)
"""


def render(stack: str, as_json: bool = False, root: Path = PROJECT_ROOT) -> str:
    config = load_stack_config(stack, root)
    settings = config.settings()  # every problem at once (the file's too), before it runs
    for warning in settings.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    plan = run_program(config)
    return to_json(plan) if as_json else to_text(plan)


def diff(stack: str, ref: str, root: Path = PROJECT_ROOT) -> str:
    """The change of `stack`'s desired state (rendered now) against its snapshot at `ref`."""
    stacks = list_stacks(root)
    if stack not in stacks:
        raise DiffError(f"no stack file stacks/Pulumi.{stack}.yaml (stacks: {', '.join(stacks)})")
    old = snapshot_at(ref, stack, root)
    return plan_diff(stack, ref, old, render(stack, root=root))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m offline_plan",
        allow_abbrev=False,
        description=__doc__,
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--stack",
        default="dev",
        help="stack name: stacks/Pulumi.<stack>.yaml (default: %(default)s)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--json", action="store_true", help="the plan as JSON instead of text")
    mode.add_argument(
        "--write",
        action="store_true",
        help="write every stack's plan to stacks/plans/<stack>.txt (--stack is not used)",
    )
    mode.add_argument(
        "--diff",
        nargs="?",
        const="HEAD",
        metavar="REF",
        help="print the change of the stack's plan against stacks/plans/<stack>.txt as "
        "committed at the git ref REF (default: HEAD when REF is left out): a summary, then a "
        "unified diff; exit code 0 whether or not it changed",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="with --write: the folder to write the snapshots to (default: stacks/plans/)",
    )
    parser.add_argument("--root", type=Path, default=PROJECT_ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.out and not args.write:
        parser.error("--out goes with --write")
    try:
        if args.diff is not None:
            sys.stdout.write(diff(args.stack, args.diff, args.root))
            return 0
        if args.write:
            out = args.out or args.root / SNAPSHOT_FOLDER
            out.mkdir(parents=True, exist_ok=True)
            for stack in list_stacks(args.root):
                (out / f"{stack}.txt").write_text(render(stack, root=args.root))
                print(f"wrote {out / f'{stack}.txt'}")
            return 0
        sys.stdout.write(render(args.stack, args.json, args.root))
    except (StackFileError, SettingsError, DiffError) as exc:  # bad input: one report, exit 2
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
    # A short-lived process: what it has loaded lives until it exits. Frozen (gc.freeze), the
    # cycle collector stops rescanning it during the run and at exit, where it would otherwise
    # spend about a third of the plan's CPU time; memory is freed at exit all the same.
    gc.freeze()
    code = main()
    gc.freeze()
    sys.exit(code)
