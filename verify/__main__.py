"""`python -m verify --stack dev --probe-login alice@acme.example`: will logins really work?

Reads the stack's outputs (`pulumi stack output --json --show-secrets` when the Pulumi CLI is
on PATH, or --outputs FILE) and config (the stack file, `pulumi config --json --show-secrets`
or --config FILE; IMMUTA_API_KEY overrides the key; okta:apiToken, else OKTA_API_TOKEN, or
the provider's OAuth keys okta:clientId, okta:privateKeyId, okta:privateKey and okta:scopes,
read Okta's sign-on and enrollment policies for check 7 and the bind accounts' password state
for check 8), then
runs each check with a pass/fail line and, on failure, the likely cause and the fix. Exit code 0
only when every check that ran passed. No secret is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from components.config import (
    claims_of,
    project_root,
    project_schema,
    read_peer_claims,
    stack_named,
)
from components.config.stack_file import StackFileError, read_stack_file
from components.immuta.connection import API_KEY_KEY, connection_from_config
from components.okta.api_connection import OktaConnection, okta_connection_from_config
from components.okta.errors import OktaConfigError
from components.outputs import StackOutput as Out
from verify.checks import BindAccount, Check, Target, passed, run_checks
from verify.okta_signon import check_okta_signon
from verify.password_expiry import WARN_DAYS, check_password_expiry


class InputError(Exception):
    """The command line or the stack's outputs/config are not usable."""


def _pulumi_json(*args: str) -> Any:
    result = subprocess.run(["pulumi", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise InputError(f"`pulumi {args[0]} {args[1]}` failed: {result.stderr.strip()[:300]}")
    return json.loads(result.stdout)


def load_outputs(stack: str, path: str | None) -> dict[str, Any]:
    if path:
        return dict(json.loads(Path(path).read_text()))
    if shutil.which("pulumi"):
        return dict(_pulumi_json("stack", "output", "--json", "--show-secrets", "--stack", stack))
    raise InputError(
        "no stack outputs: run where the Pulumi CLI is logged in, or pass --outputs FILE from "
        "`pulumi stack output --json --show-secrets`"
    )


def load_config(stack: str, path: str | None) -> dict[str, str]:
    """`project:key` -> value: the stack file, then --config / the CLI's decrypted config."""
    schema = project_schema()
    values: dict[str, str] = {}
    with contextlib.suppress(StackFileError):  # a stack without a file: outputs suffice
        values.update(schema.with_defaults(read_stack_file(stack).values))
    raw: Any = None
    if path:
        raw = json.loads(Path(path).read_text())
    elif shutil.which("pulumi"):
        raw = _pulumi_json("config", "--json", "--show-secrets", "--stack", stack)
    for key, value in (raw or {}).items():
        values[key] = str(value.get("value", "")) if isinstance(value, dict) else str(value)
    if os.environ.get("IMMUTA_API_KEY"):
        values[schema.full(API_KEY_KEY)] = os.environ["IMMUTA_API_KEY"]
    return values


def _okta(config: dict[str, str], args: argparse.Namespace) -> tuple[OktaConnection | None, str]:
    """The Okta Management API connection (None, why) when check 7 cannot run."""
    try:
        return okta_connection_from_config(config, base_url=args.okta_url, timeout=args.timeout), ""
    except OktaConfigError as exc:
        raise InputError(str(exc)) from None


def _setting(config: dict[str, str], key: str) -> str:
    schema = project_schema()
    spec = schema.keys.get(key)
    return str(config.get(schema.full(key)) or (spec.default_text if spec else ""))


def build_target(
    outputs: dict[str, Any], config: dict[str, str], args: argparse.Namespace
) -> Target:
    def need(key: str) -> Any:
        if key not in outputs:
            raise InputError(f"the stack has no output {key!r}: run `pulumi up` first")
        return outputs[key]

    dns, passwords = need(Out.BIND_DNS), need(Out.BIND_PASSWORDS)
    accounts = tuple(
        BindAccount(consumer, str(dn), str(passwords[consumer]))
        for consumer, dn in sorted(dns.items())
        if consumer in passwords
    )
    # Shared mode: one bind for the one account, as the queryEngine consumer (sorted last).
    accounts = tuple({a.dn: a for a in accounts}.values())
    schema = project_schema()
    okta, okta_problem = _okta(config, args)
    ids = outputs.get(Out.BIND_ACCOUNT_IDS) or {}
    if not isinstance(ids, dict):
        raise InputError(f"the stack output {Out.BIND_ACCOUNT_IDS.value!r} is not a map")
    probe_password = None
    if args.prompt:
        probe_password = getpass.getpass(f"password of {args.probe_login}: ")
    elif args.probe_password_env:
        probe_password = os.environ.get(args.probe_password_env) or None
    return Target(
        host=str(need(Out.LDAP_HOST)),
        port=int(need(Out.LDAP_PORT)),
        transport=str(outputs.get(Out.LDAP_TRANSPORT, "ldaps")),
        user_base_dn=str(need(Out.LDAP_USER_BASE_DN)),
        accounts=accounts,
        iam_id=outputs.get(Out.IMMUTA_IAM_ID),
        immuta=connection_from_config(config, timeout=args.timeout),
        immuta_sync_problem=outputs.get(Out.IMMUTA_SYNC_PROBLEM) or None,
        search_filter=config.get(schema.full("queryEngineSearchFilter")) or None,
        simple_bind_dn=_simple_bind_dn(outputs),
        database=config.get(schema.full("queryEngineDatabase")) or "immuta",
        ldap_ca=args.ldap_ca,
        probe_login=args.probe_login,
        probe_password=probe_password,
        query_engine_host=args.query_engine_host,
        query_engine_port=args.query_engine_port,
        query_engine_ca=args.query_engine_ca,
        timeout=args.timeout,
        okta=okta,
        okta_problem=okta_problem or None,
        bind_account_ids=tuple((str(c), str(i)) for c, i in sorted(ids.items())),
        bind_group_name=stack_named(_setting(config, "bindGroupName"), args.stack),
        bind_policy_name=stack_named(_setting(config, "bindPolicyName"), args.stack),
        bind_policy_id=str(outputs.get(Out.BIND_POLICY_ID) or ""),
        bind_rule_name=_setting(config, "bindRuleName"),
        other_stacks=_other_stacks(config, args.stack),
    )


def _other_stacks(config: dict[str, str], stack: str) -> tuple[tuple[str, str], ...]:
    """The Okta objects the other stack files of this org create, and whose they are."""
    me = claims_of(project_schema(), stack, config, "")
    found = []
    for peer in read_peer_claims(stack, project_root()):
        if me.okta_org and peer.okta_org == me.okta_org:
            found += [(name, f"stack {peer.stack} ({peer.source})") for name in peer.names.values()]
    return tuple(found)


def _simple_bind_dn(outputs: dict[str, Any]) -> str | None:
    """In simpleBind mode the DN PostgreSQL binds at, with `{login}` for the user name."""
    if outputs.get(Out.QUERY_ENGINE_LDAP_MODE) != "simpleBind":
        return None
    root = str(outputs[Out.LDAP_USER_BASE_DN]).removeprefix("ou=users,")
    return f"uid={{login}},{root}"


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
    ok = passed(checks)
    ran = sum(c.status != "skip" for c in checks)
    good = sum(c.status == "pass" for c in checks)
    lines.append(f"{'OK' if ok else 'FAILED'}: {good} of {ran} checks passed")
    return "\n".join(lines) + "\n"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m verify",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--stack", default="dev")
    p.add_argument("--outputs", help="JSON of `pulumi stack output --json --show-secrets`")
    p.add_argument("--config", help="JSON of `pulumi config --json --show-secrets`")
    p.add_argument("--probe-login", help="an Okta login to search for (and log in as)")
    p.add_argument(
        "--probe-password-env", default="VERIFY_PROBE_PASSWORD", help="env var with its password"
    )
    p.add_argument("--prompt", action="store_true", help="ask for the probe password")
    p.add_argument("--query-engine-host", help="log in to the Query Engine as the probe user")
    p.add_argument("--query-engine-port", type=int, default=5432)
    p.add_argument("--query-engine-ca", help="CA file for the Query Engine's TLS (default: system)")
    p.add_argument("--ldap-ca", help="CA file for the LDAP server (Okta's is publicly trusted)")
    p.add_argument(
        "--okta-url",
        help="Okta Management API address instead of https://<okta:orgName>.<okta:baseUrl> "
        "(http only for 127.0.0.1/localhost, e.g. a local emulator); the API token comes from "
        "okta:apiToken or OKTA_API_TOKEN",
    )
    p.add_argument(
        "--password-warn-days",
        type=int,
        default=WARN_DAYS,
        help="check 8 fails when a bind account's Okta password expires within this many days "
        "(or the password policy's expireWarnDays, when larger)",
    )
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--json", action="store_true", help="machine-readable result")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.password_warn_days < 0:
        parser().error("--password-warn-days must be 0 or more")
    try:
        target = build_target(
            load_outputs(args.stack, args.outputs), load_config(args.stack, args.config), args
        )
    except (InputError, OSError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
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
