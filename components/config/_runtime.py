"""Read the running stack's config, as the Pulumi engine hands it to the program."""

from __future__ import annotations

import pulumi
from pulumi.runtime import config as runtime_config

from components.config._load import load_settings
from components.config._schema import PROJECT_ROOT, project_schema
from components.config._settings import Settings


def current_stack_config() -> dict[str, str]:
    """Every `namespace:key` the engine set: PULUMI_CONFIG first, explicit config over it."""
    merged: dict[str, str] = {str(k): str(v) for k, v in runtime_config.get_config_env().items()}
    merged.update({str(k): str(v) for k, v in runtime_config.CONFIG.get().items()})
    return merged


def load_current_settings() -> Settings:
    """Validated settings of the running stack (raises SettingsError, secrets masked)."""
    config = current_stack_config()
    secret_keys = {k for k in config if runtime_config.is_config_secret(k)}
    secret_keys.update(runtime_config.get_config_secret_keys_env())
    stack_file = project_schema().stack_file(pulumi.get_stack())
    return load_settings(
        config,
        # None when the engine passed no secret keys: the CLI then checked encryption itself.
        secret_keys=frozenset(secret_keys) or None,
        source=str(stack_file.relative_to(PROJECT_ROOT)),
    )
