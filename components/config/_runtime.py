"""Read the running stack's config, as the Pulumi engine hands it to the program."""

from __future__ import annotations

from pathlib import Path

import pulumi
from pulumi.runtime import config as runtime_config

from components.config._load import load_settings
from components.config._peers import read_peer_claims
from components.config._problems import Problem
from components.config._schema import PROJECT_ROOT, project_schema
from components.config._settings import Settings
from components.config.stack_file import StackFileError, read_stack_file


def current_stack_config() -> dict[str, str]:
    """Every `namespace:key` the engine set: PULUMI_CONFIG first, explicit config over it."""
    merged: dict[str, str] = {str(k): str(v) for k, v in runtime_config.get_config_env().items()}
    merged.update({str(k): str(v) for k, v in runtime_config.CONFIG.get().items()})
    return merged


def _file_problems(stack: str, root: Path) -> tuple[Problem, ...]:
    """What only the stack file shows (a YAML number or date where text belongs, which the
    CLI passes on changed), so the program refuses the same files as the offline tools."""
    path = project_schema().stack_file(stack, root)
    try:
        if not path.is_file():
            return ()  # config from `--config` or an ESC environment only
        return read_stack_file(stack, root).problems
    except (StackFileError, OSError) as exc:
        return (Problem(path.name, str(exc)),)


def load_current_settings() -> Settings:
    """Validated settings of the running stack (raises SettingsError, secrets masked)."""
    config = current_stack_config()
    secret_keys = {k for k in config if runtime_config.is_config_secret(k)}
    secret_keys.update(runtime_config.get_config_secret_keys_env())
    stack = pulumi.get_stack()
    root = project_root()
    stack_file = project_schema().stack_file(stack)
    return load_settings(
        config,
        # The engine always names the secret keys it passes (immutaApiKey at least): the
        # optional credentials are refused in plain here, as the CLI no longer checks them.
        secret_keys=frozenset(secret_keys),
        source=str(stack_file.relative_to(PROJECT_ROOT)),
        file_problems=_file_problems(stack, root),
        stack=stack,
        peers=read_peer_claims(stack, root),
    )


def project_root() -> Path:
    """Where the program runs: the CLI starts it in the project's folder (the one holding
    Pulumi.yaml), whose stack files are the stacks it shares orgs and servers with."""
    here = Path.cwd()
    return here if (here / "Pulumi.yaml").is_file() else PROJECT_ROOT
