"""`python -m verify --stack dev --probe-login alice@acme.example`: will logins really work?

Reads the stack's outputs (`pulumi stack output --json --show-secrets` when the Pulumi CLI is
on PATH, or --outputs FILE) and config (the stack file, `pulumi config --json --show-secrets`
or --config FILE; IMMUTA_API_KEY overrides the key; okta:apiToken, else OKTA_API_TOKEN, or
the provider's OAuth keys okta:clientId, okta:privateKeyId, okta:privateKey and okta:scopes,
read Okta's sign-on and enrollment policies for check 7 and the bind accounts' password state
for check 8), then runs each check with a pass/fail line and, on failure, the likely cause and
the fix. A check whose input is not given (no probe login, no Okta credentials) is skipped.
No secret is printed.
"""

from __future__ import annotations

import argparse
import json
import sys

from components import tool_input
from components.config import Problem
from components.tool_input import RaisingParser, UsageError, stack_in
from verify.checks import Check, counts, passed, run_checks
from verify.inputs import InputProblems, build_target, load_config
from verify.okta_signon import check_okta_signon
from verify.password_expiry import WARN_DAYS, check_password_expiry

__all__ = ["load_config", "main", "parser"]

EPILOG = """exit codes:
  0  every check that ran passed
  1  a check failed (its lines give the likely cause and the fix)
  2  an input is missing or unusable, or the command line is wrong: every such problem is
     listed in one report, before anything is sent

With --json, the result is a JSON object on stdout, also for exit code 2:
  {"stack": ..., "passed": false, "checks": [], "exitCode": 2,
   "errors": [{"input": "<option, output, config key or variable>", "message": "..."}]}
"""


def render(checks: list[Check]) -> str:
    lines = []
    for c in checks:
        lines.append(f"{c.status.upper():<4} {c.number} {c.name}: {c.detail}")
        if c.cause:
            lines.append(f"       likely cause: {c.cause}")
        if c.fix:
            lines.append(f"       fix: {c.fix}")
        if c.warning:
            lines.append(f"       warning: {c.warning}")
    n = counts(checks)
    lines.append(
        f"{'OK' if passed(checks) else 'FAILED'}: {n['passed']} passed, {n['skipped']} skipped, "
        f"{n['failed']} failed of {n['total']} check{'' if n['total'] == 1 else 's'}"
    )
    return "\n".join(lines) + "\n"


def parser() -> argparse.ArgumentParser:
    p = RaisingParser(
        prog="python -m verify",
        allow_abbrev=False,
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--stack", default="dev", help="the stack to check (default: %(default)s)")
    p.add_argument(
        "--outputs",
        metavar="FILE",
        help="JSON of `pulumi stack output --json --show-secrets` (default: ask the Pulumi CLI)",
    )
    p.add_argument(
        "--config",
        metavar="FILE",
        help="JSON of `pulumi config --json --show-secrets` (default: ask the Pulumi CLI when "
        "it is on PATH; the stack file alone otherwise)",
    )
    p.add_argument(
        "--probe-login",
        metavar="LOGIN",
        help="an Okta login to search for and bind as (checks 3 and 4; its password from "
        "--probe-password-env or --prompt; default: both skipped)",
    )
    p.add_argument(
        "--probe-password-env",
        metavar="NAME",
        default="VERIFY_PROBE_PASSWORD",
        help="environment variable with the probe login's password (default: %(default)s)",
    )
    p.add_argument("--prompt", action="store_true", help="ask for the probe password instead")
    p.add_argument(
        "--query-engine-host",
        metavar="HOST",
        help="log in to the Query Engine as the probe user (check 6; default: skipped)",
    )
    p.add_argument(
        "--query-engine-port",
        metavar="PORT",
        type=int,
        default=5432,
        help="the Query Engine's port (default: %(default)s)",
    )
    p.add_argument(
        "--query-engine-ca", metavar="FILE", help="CA file for the Query Engine's TLS "
        "(default: the system's CAs)"
    )  # fmt: skip
    p.add_argument(
        "--ldap-ca", metavar="FILE", help="CA file for the LDAP server (default: the system's "
        "CAs; Okta's certificate is publicly trusted)"
    )  # fmt: skip
    p.add_argument(
        "--okta-url",
        metavar="URL",
        help="Okta Management API address (default: https://<okta:orgName>.<okta:baseUrl>; "
        "http only for 127.0.0.1/localhost, e.g. a local emulator); the credentials come from "
        "okta:apiToken or OKTA_API_TOKEN, or the okta:clientId/privateKeyId/privateKey/scopes "
        "keys; without any, checks 7 and 8 are skipped",
    )
    p.add_argument(
        "--password-warn-days",
        metavar="DAYS",
        type=int,
        default=WARN_DAYS,
        help="check 8 fails when a bind account's Okta password expires within this many days "
        "(or the password policy's expireWarnDays, when larger; default: %(default)s)",
    )
    p.add_argument(
        "--timeout", metavar="SECONDS", type=float, default=10.0,
        help="per connection and request (default: %(default)s)",
    )  # fmt: skip
    p.add_argument("--json", action="store_true", help="the result (or the errors) as JSON")
    return p


def report_problems(
    stack: str, problems: tuple[Problem, ...], secrets: list[str], as_json: bool
) -> int:
    """Every input problem at once (exit code 2); the JSON has the result's shape."""
    fields = {"passed": False, "checks": []}
    return tool_input.report_problems(
        "verify", stack, problems, secrets, as_json=as_json, json_fields=fields
    )


def main(argv: list[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else argv
    try:
        args = parser().parse_args(given)
    except UsageError as exc:
        if "--json" not in given:
            parser().print_usage(sys.stderr)
        usage = (Problem("command line", str(exc)),)
        return report_problems(stack_in(given), usage, [], "--json" in given)
    try:
        target = build_target(args)
    except InputProblems as exc:
        return report_problems(args.stack, exc.problems, exc.secrets, args.json)
    checks = [
        *run_checks(target),
        *check_okta_signon(target),
        *check_password_expiry(target, warn_days=args.password_warn_days),
    ]
    if args.json:
        print(
            json.dumps(
                {
                    "stack": args.stack,
                    "passed": passed(checks),
                    "counts": counts(checks),
                    "checks": [c.as_dict() for c in checks],
                },
                indent=2,
            )
        )
    else:
        sys.stdout.write(render(checks))
    return 0 if passed(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
