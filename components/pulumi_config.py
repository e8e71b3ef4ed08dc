"""Read the running stack's config, as the Pulumi engine hands it to the program."""

from __future__ import annotations

from pulumi.runtime import config as runtime_config

from components.settings import Settings, load_settings


def current_stack_config() -> dict[str, str]:
    """Every `namespace:key` the engine set: PULUMI_CONFIG first, explicit config over it."""
    merged: dict[str, str] = {str(k): str(v) for k, v in runtime_config.get_config_env().items()}
    merged.update({str(k): str(v) for k, v in runtime_config.CONFIG.get().items()})
    return merged


def load_current_settings() -> Settings:
    """Validated settings of the running stack (raises SettingsError, secrets masked)."""
    return load_settings(current_stack_config())
