"""What verify reads before any check runs: the stack's outputs and config, the probe and the CA
files. Every problem is collected first and reported at once (exit 2); nothing is sent before.
A problem names the input (option, output, config key or environment variable), what is wrong
and what is allowed; it never shows a value of an output or config key, so never a secret."""

from __future__ import annotations

import argparse
import getpass
import json
import math
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.config import (
    PROJECT_ROOT,
    Problem,
    claims_of,
    project_root,
    project_schema,
    read_peer_claims,
    stack_named,
)
from components.config.stack_file import StackFileError, read_stack_file
from components.immuta.connection import API_KEY_KEY, connection_from_config
from components.okta.api_connection import (
    API_TOKEN_KEY,
    OAUTH_ENV,
    PRIVATE_KEY_KEY,
    TOKEN_ENV,
    okta_connection_from_config,
)
from components.okta.errors import OktaConfigError
from components.outputs import StackOutput as Out
from components.tool_input import JsonFileError, read_json
from verify.checks import BindAccount, Target

OUTPUTS_COMMAND = "pulumi stack output --json --show-secrets"
CONFIG_COMMAND = "pulumi config --json --show-secrets"
IMMUTA_KEY_ENV = "IMMUTA_API_KEY"
TRANSPORTS = ("ldaps", "starttls")


class InputProblems(Exception):
    """Inputs verify cannot use: every problem found, each naming its input."""

    def __init__(self, problems: list[Problem], secrets: list[str] | None = None) -> None:
        self.problems = tuple(problems)
        self.secrets = secrets or []  # to mask wherever the problems are shown
        super().__init__("\n".join(str(p) for p in self.problems))


def kind(value: Any) -> str:
    """The JSON type of a value, as a reader names it (never the value itself)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "a map"


def read_json_file(option: str, path: str, what: str, problems: list[Problem]) -> Any:
    """The JSON in `path`, or None with a problem saying why it cannot be read."""
    try:
        return read_json(path)
    except JsonFileError as exc:
        problems.append(Problem(option, f"{path}: {exc}; give {what}"))
    return None


def _pulumi_json(args: list[str], option: str, problems: list[Problem]) -> Any:
    result = subprocess.run(["pulumi", *args], capture_output=True, text=True, check=False)
    shown = " ".join(args[:2])
    if result.returncode != 0:
        why = result.stderr.strip()[:300]
        problems.append(Problem(option, f"`pulumi {shown}` failed ({why}); or pass {option} FILE"))
        return None
    try:
        return json.loads(result.stdout)
    except ValueError:
        problems.append(Problem(option, f"`pulumi {shown}` printed no JSON; pass {option} FILE"))
        return None


def load_outputs(stack: str, path: str | None, problems: list[Problem]) -> dict[str, Any] | None:
    """The stack's outputs (`--outputs FILE`, else the Pulumi CLI); None and a problem if none."""
    what = f"the JSON of `{OUTPUTS_COMMAND} --stack {stack}`"
    before = len(problems)
    if path:
        raw = read_json_file("--outputs", path, what, problems)
    elif shutil.which("pulumi"):
        args = ["stack", "output", "--json", "--show-secrets", "--stack", stack]
        raw = _pulumi_json(args, "--outputs", problems)
    else:
        why = f"no Pulumi CLI on PATH to read the stack outputs: pass {what}"
        problems.append(Problem("--outputs", why))
        return None
    if len(problems) > before:  # unreadable: said so
        return None
    if not isinstance(raw, dict):
        why = f"must be a JSON object of output name -> value, as `{OUTPUTS_COMMAND}` prints"
        problems.append(Problem("--outputs", f"{why} (got {kind(raw)})"))
        return None
    return raw


def config_values(raw: Any, option: str, problems: list[Problem]) -> dict[str, str]:
    """`project:key` -> text, from the JSON `pulumi config --json` prints."""
    if not isinstance(raw, dict):
        why = f"must be a JSON object of `project:key` -> value, as `{CONFIG_COMMAND}` prints"
        problems.append(Problem(option, f"{why} (got {kind(raw)})"))
        return {}
    values: dict[str, str] = {}
    for key, item in raw.items():
        value = item.get("value", "") if isinstance(item, dict) else item
        values[key] = value if isinstance(value, str) else json.dumps(value)
    return values


def collect_config(stack: str, path: str | None, problems: list[Problem]) -> dict[str, str]:
    """`project:key` -> value: the stack file, then --config / the CLI's decrypted config."""
    schema = project_schema()
    values: dict[str, str] = {}
    try:
        values.update(schema.with_defaults(read_stack_file(stack).values))
    except StackFileError as exc:
        # A broken stack file is never read around; a missing one only when the config comes
        # from --config or the Pulumi CLI (a stack whose file is elsewhere).
        broken = schema.stack_file(stack, PROJECT_ROOT).exists()
        if broken or not (path or shutil.which("pulumi")):
            problems.append(Problem("--stack", str(exc)))
    raw: Any = {}
    before = len(problems)
    if path:
        what = f"the JSON of `{CONFIG_COMMAND} --stack {stack}`"
        raw = read_json_file("--config", path, what, problems)
    elif shutil.which("pulumi"):
        args = ["config", "--json", "--show-secrets", "--stack", stack]
        raw = _pulumi_json(args, "--config", problems)
    if len(problems) == before:  # read: its shape is checked
        values.update(config_values(raw, "--config", problems))
    if os.environ.get(IMMUTA_KEY_ENV):
        values[schema.full(API_KEY_KEY)] = os.environ[IMMUTA_KEY_ENV]
    return values


def load_config(stack: str, path: str | None) -> dict[str, str]:
    """The config as `collect_config` reads it; InputProblems when it cannot be read."""
    problems: list[Problem] = []
    values = collect_config(stack, path, problems)
    if problems:
        raise InputProblems(problems, known_secrets({}, values))
    return values


def known_secrets(outputs: Mapping[str, Any], config: Mapping[str, str], *envs: str) -> list[str]:
    """Every secret verify may hold (and the values of `envs`), to mask in whatever it prints."""
    schema = project_schema()
    secret = {schema.full(k) for k in schema.secret_keys}
    secret |= {API_TOKEN_KEY, PRIVATE_KEY_KEY}
    found = [v for k, v in config.items() if k in secret]
    passwords = outputs.get(Out.BIND_PASSWORDS)
    if isinstance(passwords, dict):
        found += [str(p) for p in passwords.values()]
    found += [
        os.environ.get(n, "") for n in (TOKEN_ENV, IMMUTA_KEY_ENV, *OAUTH_ENV.values(), *envs)
    ]
    return sorted({s for s in found if s}, key=len, reverse=True)


@dataclass(frozen=True)
class _Outputs:
    """The outputs the checks need, each checked for its type (None when absent or wrong)."""

    raw: Mapping[str, Any]
    problems: list[Problem]

    def _bad(self, key: str, allowed: str) -> None:
        key, value = str(key), self.raw.get(key)  # str(): the output's name, not the enum
        if key not in self.raw:
            why = (
                f"missing: run `pulumi up` first (outputs come from `{OUTPUTS_COMMAND}`, or "
                f"--outputs FILE with its JSON); it must be {allowed}"
            )
            self.problems.append(Problem(key, why))
        else:
            self.problems.append(Problem(key, f"the output must be {allowed} (got {kind(value)})"))

    def text(self, key: str, *, required: bool = True) -> str | None:
        value = self.raw.get(key)
        if isinstance(value, str) and value:
            return value
        if required or value not in (None, ""):
            self._bad(key, "a non-empty text")
        return None

    def port(self, key: str) -> int | None:
        value = self.raw.get(key)
        digits = value if isinstance(value, int) and not isinstance(value, bool) else None
        if isinstance(value, str) and value.isdigit():
            digits = int(value)
        if digits is not None and 1 <= digits <= 65535:
            return digits
        self._bad(key, "a port number from 1 to 65535")
        return None

    def text_map(self, key: str, *, required: bool = True) -> dict[str, str] | None:
        value = self.raw.get(key)
        if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
            return value
        if required or value is not None:
            self._bad(key, "a map of consumer -> text")
        return None


def _probe_password(args: argparse.Namespace, problems: list[Problem]) -> str | None:
    """The probe user's password from its environment variable (None: --prompt asks later)."""
    if args.prompt and not args.probe_login:
        why = "asks for the probe user's password: give --probe-login <an Okta login> as well"
        problems.append(Problem("--prompt", why))
        return None
    if not args.probe_login or args.prompt:
        return None
    env = args.probe_password_env
    value = os.environ.get(env) or None
    if value is None:
        why = (
            f"check 4 binds as the probe user (--probe-login) and needs its password: set the "
            f"environment variable {env} (or name another with --probe-password-env), or pass "
            "--prompt to be asked"
        )
        problems.append(Problem(env, why))
    return value


def _files(args: argparse.Namespace, problems: list[Problem]) -> None:
    for option, path in (("--ldap-ca", args.ldap_ca), ("--query-engine-ca", args.query_engine_ca)):
        if path and Path(path).is_dir():
            problems.append(Problem(option, f"{path} is a folder; give a PEM CA file"))
        elif path and not Path(path).is_file():
            problems.append(Problem(option, f"no file {path}; give a PEM CA file"))


def _numbers(args: argparse.Namespace, problems: list[Problem]) -> None:
    if not (args.timeout > 0 and math.isfinite(args.timeout)):
        problems.append(Problem("--timeout", "must be a finite number of seconds above 0"))
    if not 1 <= args.query_engine_port <= 65535:
        problems.append(Problem("--query-engine-port", "must be a port from 1 to 65535"))
    if args.password_warn_days < 0:
        problems.append(Problem("--password-warn-days", "must be 0 or more"))


def _setting(config: dict[str, str], key: str) -> str:
    schema = project_schema()
    spec = schema.keys.get(key)
    return str(config.get(schema.full(key)) or (spec.default_text if spec else ""))


def other_stacks(config: dict[str, str], stack: str) -> tuple[tuple[str, str], ...]:
    """The Okta objects the other stack files of this org create, and whose they are."""
    me = claims_of(project_schema(), stack, config, "")
    found = []
    for peer in read_peer_claims(stack, project_root()):
        if me.okta_org and peer.okta_org == me.okta_org:
            found += [(name, f"stack {peer.stack} ({peer.source})") for name in peer.names.values()]
    return tuple(found)


def build_target(args: argparse.Namespace) -> Target:
    """Every input read and checked; InputProblems listing them all when any is unusable."""
    problems: list[Problem] = []
    _numbers(args, problems)
    _files(args, problems)
    raw = load_outputs(args.stack, args.outputs, problems)
    config = collect_config(args.stack, args.config, problems)
    # Unreadable outputs are one problem, not one per output.
    out = _Outputs(raw, problems) if raw is not None else _Outputs({}, [])
    dns, passwords = out.text_map(Out.BIND_DNS), out.text_map(Out.BIND_PASSWORDS)
    host, port = out.text(Out.LDAP_HOST), out.port(Out.LDAP_PORT)
    base = out.text(Out.LDAP_USER_BASE_DN)
    transport = out.text(Out.LDAP_TRANSPORT, required=False) or "ldaps"
    if transport not in TRANSPORTS:
        allowed = " or ".join(TRANSPORTS)
        problems.append(Problem(Out.LDAP_TRANSPORT.value, f"the output must be {allowed}"))
    ids = out.text_map(Out.BIND_ACCOUNT_IDS, required=False) or {}
    iam_id = out.text(Out.IMMUTA_IAM_ID, required=False)
    sync_problem = out.text(Out.IMMUTA_SYNC_PROBLEM, required=False)
    mode = out.text(Out.QUERY_ENGINE_LDAP_MODE, required=False)
    policy_id = out.text(Out.BIND_POLICY_ID, required=False)
    accounts = tuple(
        BindAccount(consumer, dn, (passwords or {})[consumer])
        for consumer, dn in sorted((dns or {}).items())
        if consumer in (passwords or {})
    )
    if dns is not None and passwords is not None and not accounts:
        why = "name no consumer in both (consumer -> DN, consumer -> password)"
        problems.append(Problem(f"{Out.BIND_DNS.value}, {Out.BIND_PASSWORDS.value}", why))
    try:
        okta = okta_connection_from_config(config, base_url=args.okta_url, timeout=args.timeout)
    except OktaConfigError as exc:
        okta = None
        problems.append(Problem("Okta connection", str(exc)))
    try:
        immuta = connection_from_config(config, timeout=args.timeout)
    except ValueError as exc:
        immuta = None
        problems.append(Problem(project_schema().full("immutaUrl"), str(exc)))
    probe_password = _probe_password(args, problems)
    if problems:
        raise InputProblems(problems, known_secrets(raw or {}, config, args.probe_password_env))
    assert host is not None
    assert port is not None
    assert base is not None
    if args.prompt:
        probe_password = getpass.getpass(f"password of {args.probe_login}: ") or None
    schema = project_schema()
    # simpleBind: PostgreSQL binds at uid=<login>,<the root DN>, with no search.
    simple_dn = f"uid={{login}},{base.removeprefix('ou=users,')}" if mode == "simpleBind" else None
    return Target(
        host=host, port=port, transport=transport, user_base_dn=base,
        accounts=tuple({a.dn: a for a in accounts}.values()),  # shared mode: one bind
        iam_id=iam_id, immuta=immuta, immuta_sync_problem=sync_problem,
        search_filter=config.get(schema.full("queryEngineSearchFilter")) or None,
        simple_bind_dn=simple_dn,
        database=_setting(config, "queryEngineDatabase"),
        ldap_ca=args.ldap_ca, probe_login=args.probe_login, probe_password=probe_password,
        query_engine_host=args.query_engine_host, query_engine_port=args.query_engine_port,
        query_engine_ca=args.query_engine_ca, timeout=args.timeout, okta=okta,
        bind_account_ids=tuple(sorted(ids.items())),
        bind_group_name=stack_named(_setting(config, "bindGroupName"), args.stack),
        bind_policy_name=stack_named(_setting(config, "bindPolicyName"), args.stack),
        bind_policy_id=policy_id or "", bind_rule_name=_setting(config, "bindRuleName"),
        other_stacks=other_stacks(config, args.stack),
    )  # fmt: skip
