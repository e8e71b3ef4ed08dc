"""Stack configs as the CLI would pass them, and the real program run under mocks."""

from __future__ import annotations

from collections.abc import Mapping

from rehearsal.mock_engine import HELM_RELEASE, PlanResult, helm_rules, run_program, unwrap_secrets
from rehearsal.stack_config import StackConfig, load_stack_config

__all__ = [
    "HELM_RELEASE",
    "P",
    "config_for",
    "helm_rules",
    "run_stack",
    "unwrap_secrets",
    "with_secrets",
]
P = "okta-ldap-immuta:"


def config_for(stack: str = "dev", **overrides: str | None) -> StackConfig:
    """The stack's config as the CLI would pass it, with `key=value` overrides (None removes)."""
    base = load_stack_config(stack)
    values = dict(base.values)
    for short, value in overrides.items():
        key = short.replace("__", ":") if "__" in short else P + short
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    return StackConfig(base.project, base.stack, values, tuple(sorted(base.secret_keys)))


def with_secrets(cfg: StackConfig, secrets: Mapping[str, str]) -> StackConfig:
    """`cfg` with project keys set as `--secret` values."""
    values = dict(cfg.values)
    values.update({P + k: v for k, v in secrets.items()})
    keys = tuple(sorted({*cfg.secret_keys, *(P + k for k in secrets)}))
    return StackConfig(cfg.project, cfg.stack, values, keys)


def run_stack(
    stack: str = "dev", secret_keys: Mapping[str, str] | None = None, **overrides: str | None
) -> PlanResult:
    """Run the real `__main__.py` under mocks (call it inside a test, never at import)."""
    cfg = config_for(stack, **overrides)
    return run_program(with_secrets(cfg, secret_keys) if secret_keys else cfg)
