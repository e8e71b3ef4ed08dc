"""Deployed stacks hold the provider pickled by reference to its first module path."""

from __future__ import annotations

import base64
from pathlib import Path

import dill
from pulumi.dynamic.dynamic import serialize_provider

from components.immuta.provider import ImmutaIamProvider

# `__provider` as the first layout serialized it (components/immuta_iam.py).
BEFORE = Path(__file__).parent / "data" / "provider_serialized_before_layout_change.b64"


def _deserialize(blob: str) -> object:
    return dill.loads(base64.b64decode(blob))


def test_state_written_before_the_layout_change_still_loads() -> None:
    blob = BEFORE.read_text().strip()
    assert b"components.immuta_iam" in base64.b64decode(blob)
    provider = _deserialize(blob)
    assert isinstance(provider, ImmutaIamProvider)  # refresh and destroy can still run


def test_new_state_refers_to_the_new_module() -> None:
    provider = _deserialize(serialize_provider(ImmutaIamProvider()))
    assert type(provider).__module__ == "components.immuta.provider"
