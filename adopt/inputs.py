"""The stack's config, twice: as the program sees it (to run it under mocks) and as the
connections need it (decrypted credentials only, never a placeholder).

The stack file gives every plain value; `secure:` values are decrypted by the Pulumi CLI
(`pulumi config --json --show-secrets`, when the CLI is on PATH) or come from `--config FILE`
(the same JSON). What neither decrypts stays a placeholder for the mock run and is absent for
the connections, which then fall back to OKTA_API_TOKEN / IMMUTA_API_KEY.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.config import project_schema
from components.config.stack_file import StackFileError
from components.immuta.connection import API_KEY_KEY
from components.secret_text import MIN_SECRET_LENGTH
from components.tool_input import JsonFileError, read_json
from rehearsal.stack_config import SECRET_PLACEHOLDER, StackConfig, load_stack_config

IMMUTA_KEY_ENV = "IMMUTA_API_KEY"


class InputError(Exception):
    """The stack's config cannot be read or used; the message says what to do."""


@dataclass(frozen=True)
class StackInputs:
    config: StackConfig  # the program's view; placeholders for what was not decrypted
    live: dict[str, str]  # decrypted or plain values only: what connections may use

    def with_changes(self, changes: Mapping[str, str]) -> StackInputs:
        """These inputs with config changes applied (as plain values)."""
        values = {**self.config.values, **changes}
        keys = tuple(k for k in self.config.secret_keys if k not in changes)
        return StackInputs(
            config=dataclasses.replace(self.config, values=values, secret_keys=keys),
            live={**self.live, **changes},
        )

    def secrets(self) -> list[str]:
        """Every secret value known here, to be masked wherever text is shown."""
        out = [v for k, v in self.live.items() if k in self.config.secret_keys]
        out += [
            os.environ.get(n, "")
            for n in ("OKTA_API_TOKEN", "OKTA_API_PRIVATE_KEY", IMMUTA_KEY_ENV)
        ]
        return sorted({s for s in out if len(s) >= MIN_SECRET_LENGTH and s != SECRET_PLACEHOLDER})


def _cli_config(stack: str) -> Any:
    done = subprocess.run(
        ["pulumi", "config", "--json", "--show-secrets", "--stack", stack],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise InputError(f"`pulumi config --stack {stack}` failed: {done.stderr.strip()[:300]}")
    try:
        return json.loads(done.stdout)
    except ValueError:
        raise InputError(f"`pulumi config --stack {stack}` printed no JSON") from None


def _config_file(path: str) -> Any:
    try:
        return read_json(path)
    except JsonFileError as exc:
        what = "give the JSON of `pulumi config --json --show-secrets`"
        raise InputError(f"--config {path}: {exc}; {what}") from None


def load_inputs(stack: str, config_file: str | None = None) -> StackInputs:
    """The stack file over Pulumi.yaml's defaults, then the decrypted config over it."""
    try:
        base = load_stack_config(stack)
    except StackFileError as exc:
        raise InputError(str(exc)) from None
    raw: Any = None
    if config_file:
        raw = _config_file(config_file)
    elif shutil.which("pulumi"):
        raw = _cli_config(stack)
    else:
        raw = {}
    if not isinstance(raw, Mapping):
        raise InputError(
            f"--config {config_file or ''}: must be a JSON object of `project:key` -> value, as "
            "`pulumi config --json --show-secrets` prints"
        )
    given: dict[str, str] = {}
    secret: set[str] = set()
    for key, item in raw.items():
        if isinstance(item, Mapping):
            value = item.get("value", "")
            if item.get("secret"):
                secret.add(str(key))
        else:
            value = item
        given[str(key)] = value if isinstance(value, str) else json.dumps(value)
    values = {**base.values, **given}
    secret_keys = tuple(sorted({*base.secret_keys, *secret}))
    live = {k: v for k, v in values.items() if k in given or k not in base.secret_keys}
    schema = project_schema()
    if os.environ.get(IMMUTA_KEY_ENV):
        live[schema.full(API_KEY_KEY)] = os.environ[IMMUTA_KEY_ENV]
    config = dataclasses.replace(base, values=values, secret_keys=secret_keys)
    return StackInputs(config=config, live=live)
