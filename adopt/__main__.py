"""`python -m adopt --stack prod`: what of this stack already exists, and how to take it over.

Reads, with GET requests only: Okta's Management API (okta:apiToken from the stack config,
else OKTA_API_TOKEN, else OAuth with the provider's okta:clientId, okta:privateKeyId,
okta:privateKey and okta:scopes, whose one POST mints the access token; `--okta-url` for
another address), Immuta (immutaUrl / immutaApiKey from
the stack config, IMMUTA_API_KEY overrides the key; plus the one POST that exchanges the key
for a token, `/bim/apikey/authenticate`) and the cluster (your kubeconfig:
--kubeconfig, $KUBECONFIG or ~/.kube/config; --kube-context). The config comes from the stack
file plus `pulumi config --json --show-secrets` (when the Pulumi CLI is on PATH) or --config.

Writes one file: the import file for `pulumi import --file` (--import-file, default
pulumi-import-<stack>.json). Prints the report (or --json). Nothing is written to Okta, Immuta
or the cluster, and no secret is printed.
Exit code: 0 the plan is complete; 1 something needs your decision; 2 an input or read failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from adopt.discover import Connections, adopt
from adopt.helm_release import ReleaseRecordError
from adopt.inputs import InputError, load_inputs
from adopt.kube import KubeError, load_target
from adopt.readonly import WriteRefused
from adopt.report import import_file_text, render_json, render_text
from components.immuta.client import ImmutaError
from components.immuta.connection import connection_from_config
from components.okta.api_connection import SET_TOKEN_HINT, okta_connection_from_config
from components.okta.errors import OktaConfigError, OktaError
from components.secret_text import scrub


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m adopt",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--stack", default="dev")
    p.add_argument("--config", help="JSON of `pulumi config --json --show-secrets`")
    p.add_argument("--import-file", help="where to write the import file")
    p.add_argument("--okta-url", help="Okta API address (http only for 127.0.0.1/localhost)")
    p.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")
    p.add_argument("--kube-context", help="kubeconfig context (default: current-context)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    p.add_argument("--json", action="store_true", help="the report as JSON")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    path = args.import_file or f"pulumi-import-{args.stack}.json"
    secrets: list[str] = []
    try:
        inputs = load_inputs(args.stack, args.config)
        secrets = inputs.secrets()
        okta = okta_connection_from_config(
            inputs.live, base_url=args.okta_url, timeout=args.timeout
        )
        if okta is None:
            raise InputError(f"no Okta credentials: {SET_TOKEN_HINT}")
        immuta = connection_from_config(inputs.live, timeout=args.timeout)
        if immuta is None:
            raise InputError(
                "no Immuta connection: set immutaUrl and immutaApiKey (or IMMUTA_API_KEY)"
            )
        kube = load_target(args.kubeconfig, args.kube_context)
        result = adopt(
            inputs, Connections(okta=okta, immuta=immuta, kube=kube, timeout=args.timeout)
        )
    except (
        InputError,
        OktaConfigError,
        OktaError,
        ImmutaError,
        KubeError,
        ReleaseRecordError,
        WriteRefused,
        ValueError,
    ) as exc:
        print(f"error: {scrub(str(exc), secrets)}", file=sys.stderr)
        return 2
    Path(path).write_text(import_file_text(result))
    sys.stdout.write(render_json(result, path) if args.json else render_text(result, path))
    return 1 if result.blocked() else 0


if __name__ == "__main__":
    sys.exit(main())
