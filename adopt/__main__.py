"""`python -m adopt --stack prod`: what of this stack already exists, and how to take it over.

Reads, with GET requests only: Okta's Management API (okta:apiToken from the stack config,
else OKTA_API_TOKEN, else OAuth with the provider's okta:clientId, okta:privateKeyId,
okta:privateKey and okta:scopes, whose one POST mints the access token; `--okta-url` for
another address), Immuta (immutaUrl / immutaApiKey from
the stack config, IMMUTA_API_KEY overrides the key; plus the one POST that exchanges the key
for a token, `/bim/apikey/authenticate`) and the cluster (your kubeconfig:
--kubeconfig, $KUBECONFIG or ~/.kube/config; --kube-context). The config comes from the stack
file plus `pulumi config --json --show-secrets` (when the Pulumi CLI is on PATH) or --config.

Writes one file: the import file for `pulumi import --file` (--import-file). Prints the report
(or --json). Nothing is written to Okta, Immuta or the cluster, and no secret is printed.
Every missing or unusable input is named in one report before anything is sent.
"""

from __future__ import annotations

import argparse
import ssl
import sys
import textwrap

from adopt.discover import Connections, adopt
from adopt.helm_release import ReleaseRecordError
from adopt.inputs import InputError
from adopt.kube import KubeError, load_target
from adopt.preflight import check_inputs, import_path
from adopt.readonly import WriteRefused
from adopt.report import import_file_text, render_json, render_text
from components import tool_input
from components.config import Problem
from components.immuta.client import ImmutaError
from components.okta.errors import OktaError
from components.tool_input import RaisingParser, UsageError, stack_in

EPILOG = """exit codes:
  0  the plan is complete (the import file and the config changes cover everything found)
  1  something needs your decision (the report's "Needs your decision" section)
  2  an input is missing or unusable (every one is listed in one report, before anything is
     sent), a read failed, or the command line is wrong

With --json, errors are a JSON object on stdout as well:
  {"stack": ..., "exitCode": 2,
   "errors": [{"input": "<key, option or variable>", "message": "..."}]}
"""
FAILURES: dict[type[Exception], str] = {
    OktaError: "Okta",
    ImmutaError: "Immuta",
    KubeError: "cluster",
    ReleaseRecordError: "cluster",
    WriteRefused: "read-only guard",
    InputError: "stack config",
    ValueError: "stack config",
    ssl.SSLError: "TLS set-up (a CA in the kubeconfig, or immutaCaCertificate)",
}


class _Help(argparse.RawDescriptionHelpFormatter):
    def _split_lines(self, text: str, width: int) -> list[str]:
        # Never break inside a file name such as pulumi-import-<stack>.json.
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)


def parser() -> argparse.ArgumentParser:
    p = RaisingParser(
        prog="python -m adopt",
        allow_abbrev=False,
        description=__doc__,
        epilog=EPILOG,
        formatter_class=_Help,
    )
    p.add_argument("--stack", default="dev", help="the stack to adopt into (default: %(default)s)")
    p.add_argument(
        "--config",
        metavar="FILE",
        help="JSON of `pulumi config --json --show-secrets` (default: ask the Pulumi CLI when "
        "it is on PATH; the stack file alone otherwise)",
    )
    p.add_argument(
        "--import-file",
        metavar="FILE",
        help="where to write the import file (default: pulumi-import-<stack>.json)",
    )
    p.add_argument(
        "--okta-url",
        metavar="URL",
        help="Okta API address (default: https://<okta:orgName>.<okta:baseUrl>; http only for "
        "127.0.0.1/localhost)",
    )
    p.add_argument(
        "--kubeconfig",
        metavar="FILE",
        help="kubeconfig file (default: the first existing file of $KUBECONFIG, else "
        "~/.kube/config)",
    )
    p.add_argument(
        "--kube-context", metavar="NAME", help="kubeconfig context (default: current-context)"
    )
    p.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=float,
        default=30.0,
        help="per request (default: %(default)s)",
    )
    p.add_argument("--json", action="store_true", help="the report (or the errors) as JSON")
    return p


def report_problems(
    stack: str, problems: list[Problem], secrets: list[str], as_json: bool, *, read: bool = False
) -> int:
    """The problems at once, as JSON on stdout or as text on stderr; exit code 2."""
    return tool_input.report_problems("adopt", stack, problems, secrets, as_json=as_json, read=read)


def _failure(exc: Exception) -> Problem:
    source = next(name for kind, name in FAILURES.items() if isinstance(exc, kind))
    text = str(exc) if not isinstance(exc, ssl.SSLError) else f"{exc.reason or exc.strerror}"
    return Problem(source, text)


def main(argv: list[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else argv
    try:
        args = parser().parse_args(given)
    except UsageError as exc:
        if "--json" not in given:
            parser().print_usage(sys.stderr)
        usage = [Problem("command line", str(exc))]
        return report_problems(stack_in(given), usage, [], "--json" in given)
    checked = check_inputs(args)
    secrets = checked.secrets()
    if checked.problems:
        return report_problems(args.stack, checked.problems, secrets, args.json)
    inputs, okta, immuta = checked.inputs, checked.okta, checked.immuta
    assert inputs is not None
    assert okta is not None
    assert immuta is not None
    path = import_path(args)
    try:
        kube = load_target(args.kubeconfig, args.kube_context)  # runs an exec plugin, if any
        connections = Connections(okta=okta, immuta=immuta, kube=kube, timeout=args.timeout)
        result = adopt(inputs, connections)
    except tuple(FAILURES) as exc:
        return report_problems(args.stack, [_failure(exc)], secrets, args.json, read=True)
    try:
        path.write_text(import_file_text(result))
    except OSError as exc:
        # After the reads (GET only): say so, not "cannot start ... nothing was sent".
        why = (
            f"cannot write the import file {path} ({exc.strerror}); the reads were made and "
            "nothing was changed anywhere: make the file writable and run again"
        )
        problem = Problem("--import-file", why)
        return report_problems(args.stack, [problem], secrets, args.json, read=True)
    shown = str(path)
    sys.stdout.write(render_json(result, shown) if args.json else render_text(result, shown))
    return 1 if result.blocked() else 0


if __name__ == "__main__":
    sys.exit(main())
