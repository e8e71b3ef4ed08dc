"""Keep secrets out of text meant for people: errors, logs, check results (pure)."""

from __future__ import annotations

from collections.abc import Iterable

MASK = "[secret]"
MIN_SECRET_LENGTH = 4  # shorter strings would mask ordinary words


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every occurrence of each known secret replaced by `[secret]`."""
    for secret in secrets:
        if secret and len(secret) >= MIN_SECRET_LENGTH:
            text = text.replace(secret, MASK)
    return text
