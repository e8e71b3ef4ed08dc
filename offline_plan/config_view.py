"""The plan's Config section: each key by the type `Pulumi.yaml` declares, secrets masked.

The engine hands config to the program as text (`"true"`, `"0"`, `'["a"]'`); a reviewer reads
`true`, `0` and `["a"]`. The types come from the project schema (components/config), and the
text is decoded the way the program's config loader decodes it, so the plan shows the values
the program runs with. A key the schema does not declare (a provider's, e.g. `okta:orgName`)
is text.
"""

from __future__ import annotations

import json
from typing import Any

from components.config import (
    PROJECT_ROOT,
    PROVIDER_SECRET_KEYS,
    KeySpec,
    decode_value,
    load_schema,
)
from components.secret_text import MASK
from rehearsal.mock_engine import PlanResult


def _spec(plan: PlanResult, key: str) -> KeySpec | None:
    """The declaration of `key` in Pulumi.yaml; None for another namespace's key."""
    schema = load_schema(plan.stack.root or PROJECT_ROOT)
    prefix = f"{schema.name}:"
    return schema.keys.get(key.removeprefix(prefix)) if key.startswith(prefix) else None


def is_secret(plan: PlanResult, key: str) -> bool:
    """Secret keys show as `[secret]` whether set or not: the plan never tells which are set."""
    spec = _spec(plan, key)
    return (
        key in plan.stack.secret_keys
        or key in PROVIDER_SECRET_KEYS
        or (spec is not None and spec.secret)
    )


def typed(plan: PlanResult, key: str) -> Any:
    """The value of `key` of its declared type; text when undeclared or not of its type (the
    config loader refuses such a value before a plan is rendered)."""
    text = plan.stack.values[key]
    spec = _spec(plan, key)
    if spec is None:
        return text
    value, problem = decode_value(spec, text)
    return text if problem else value


def config_values(plan: PlanResult) -> dict[str, Any]:
    """Every config key, sorted, typed; secrets as `[secret]`."""
    return {
        key: MASK if is_secret(plan, key) else typed(plan, key) for key in sorted(plan.stack.values)
    }


def config_lines(plan: PlanResult) -> list[str]:
    """`  key = value`, the value as JSON (true, 0, "text", ["a"], {"k": 1}); secrets masked."""
    return [
        f"  {key} = "
        + (
            MASK
            if is_secret(plan, key)
            else json.dumps(typed(plan, key), ensure_ascii=False, sort_keys=True)
        )
        for key in sorted(plan.stack.values)
    ]
