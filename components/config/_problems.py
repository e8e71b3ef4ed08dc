"""Config problems: each names its key, the value (never a secret one) and what is allowed."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from components.secret_text import MASK, scrub


@dataclass(frozen=True)
class Problem:
    """One bad config value: its key, the value (None when secret) and what is allowed."""

    key: str
    message: str
    value: Any = None
    secret: bool = False
    # For a value YAML read as another type (quoting fixes that): the message without its
    # "quote it" example, so that a problem of the text itself joins it (`merge_retyped`).
    retyped: str = ""

    def __str__(self) -> str:
        if self.secret:
            return f"{self.key} = {MASK}: {self.message}"
        if self.value is None:
            return f"{self.key}: {self.message}"
        text = json.dumps(self.value, ensure_ascii=False)
        shown = text if len(text) <= 80 else text[:77] + "..."
        return f"{self.key} = {shown}: {self.message}"


def merge_retyped(problems: Iterable[Problem]) -> list[Problem]:
    """One problem per key when a value must be quoted and its text is refused as well: the
    quote-it example would otherwise send the user to a second refusal."""
    problems = list(problems)
    typed = {p.key for p in problems if p.retyped}
    also: dict[str, list[str]] = {}
    for p in problems:
        if p.key in typed and not p.retyped:
            also.setdefault(p.key, []).append(p.message)
    return [
        replace(
            p,
            message=f"{p.retyped}: quote it, but the text is refused too: "
            + "; ".join(also[p.key]),
        )
        if p.retyped and p.key in also
        else p
        for p in problems
        if p.retyped or p.key not in also
    ]


class SettingsError(ValueError):
    """Stack config that cannot be deployed; lists every problem found, secrets masked."""

    def __init__(
        self, problems: Iterable[Problem], *, source: str = "", secrets: Iterable[str] = ()
    ) -> None:
        self.problems = tuple(problems)
        self.source = source
        where = f" in {source}" if source else ""
        known = sorted(set(secrets), key=len, reverse=True)  # longest first: no partial masks
        lines = "\n".join(scrub(f"  - {p}", known) for p in self.problems)
        super().__init__(
            f"invalid stack configuration{where} ({len(self.problems)} problem(s)):\n{lines}"
        )
