"""What an HTTP client error means, for the clients of Immuta's and Okta's APIs."""

from __future__ import annotations

import ssl


def is_tls_failure(exc: BaseException) -> bool:
    """Whether `exc` was caused by TLS (a certificate that does not verify): never retried."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
