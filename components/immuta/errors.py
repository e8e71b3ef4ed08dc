"""Immuta's failures as exceptions that do not know their callers, and how an error answer
becomes one (Immuta's documented error bodies: 400 {"message"}, 422 {"validation": [...]})."""

from __future__ import annotations

from collections.abc import Callable

import httpx


class ImmutaError(Exception):
    """A failed Immuta call: says what failed and what to do; never holds a secret."""


class ImmutaAuthError(ImmutaError):
    """The API key or a fresh token was refused."""


class ImmutaUnavailable(ImmutaError):
    """Immuta could not be reached, or kept answering 429/5xx, within the retry budget."""


class ImmutaRejected(ImmutaError):
    """Immuta refused the request (400/422), e.g. a failed dry-run of the IAM."""


class ImmutaConflict(ImmutaError):
    """The IAM exists already (and may not be adopted), or other writers kept winning."""


def failure(response: httpx.Response, what: str, scrub: Callable[[str], str]) -> ImmutaError:
    """The error a non-2xx answer stands for, with Immuta's own message passed through `scrub`."""
    detail = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    # Only plain strings are shown: a repr would escape a secret's backslashes and slip past
    # the scrubbing below.
    if isinstance(body, dict):
        if isinstance(body.get("message"), str):
            detail = body["message"]
        elif isinstance(body.get("validation"), list):
            codes = [v.get("code") if isinstance(v, dict) else v for v in body["validation"]]
            detail = "; ".join(c if isinstance(c, str) else "(no code)" for c in codes)
    detail = scrub(detail)[:300]
    if response.status_code in (400, 422):
        return ImmutaRejected(f"{what}: Immuta rejected it (HTTP {response.status_code}): {detail}")
    return ImmutaError(f"{what}: Immuta answered HTTP {response.status_code} {detail}".rstrip())
