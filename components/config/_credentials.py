"""What counts as a credential in plain config, which a report must never show (pure)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

SECRET_HBA_OPTIONS = frozenset({"ldapbindpasswd", "radiussecrets"})
_CREDENTIAL_KEY_RE = re.compile(
    r"pass|pwd|secret|token|api.?key|private.?key|access.?key|credential", re.I
)
_URL_USERINFO_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s@]*:[^/\s@]*@")
_REFERENCE_KEY_RE = re.compile(r"^existing|name$|ref$|file$|path$", re.I)


class CredentialValueError(ValueError):
    """A value refused because it holds a credential: the report must not show it."""


def url_problem(url: str, where: str) -> None:
    """Raise when `url` carries credentials or a port out of range (never echoing them)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port out of range)
    except ValueError:
        raise ValueError("the port must be a number from 1 to 65535") from None
    if parts.username is not None or parts.password is not None:
        raise CredentialValueError(
            f"must not carry credentials (user:password@ in the URL): {where}"
        )


def holds_credentials(value: Any) -> bool:
    """Whether a config value carries something a report must not show: a credential-named
    key with a value, `user:password@` in a URL, or a pg_hba secret option, wherever it is."""
    if isinstance(value, str):
        low = value.lower()
        return bool(_URL_USERINFO_RE.search(value)) or any(o in low for o in SECRET_HBA_OPTIONS)
    if isinstance(value, dict | list):
        texts = value.values() if isinstance(value, dict) else value
        return bool(credential_paths(value)) or any(holds_credentials(v) for v in texts)
    return False


def credential_paths(value: Any, path: str = "") -> list[str]:
    """Dotted paths of keys that look like credentials and hold a value (not a reference to a
    Kubernetes Secret such as `existingSecret` or `secretName`), and of URLs with
    `user:password@` in them."""
    found: list[str] = []
    if isinstance(value, str) and _URL_USERINFO_RE.search(value):
        return [path or "(value)"]
    if isinstance(value, dict):
        for key, child in value.items():
            here = f"{path}.{key}" if path else str(key)
            name = str(key)
            looks_secret = _CREDENTIAL_KEY_RE.search(name) and not _REFERENCE_KEY_RE.search(name)
            scalar = isinstance(child, str | int | float) and not isinstance(child, bool)
            if looks_secret and scalar and child != "":
                found.append(here)
            else:
                found += credential_paths(child, here)
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found += credential_paths(child, f"{path}[{i}]")
    return found
