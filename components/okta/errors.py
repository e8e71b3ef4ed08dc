"""Okta Management API failures, each saying what failed and what to do; none holds a secret."""

from __future__ import annotations


class OktaError(Exception):
    """A failed Okta read: says what failed and what to do; never holds the token."""


class OktaConfigError(OktaError):
    """The config does not describe a usable Okta connection."""


class OktaAuthError(OktaError):
    """Okta refused the API token or the OAuth token request (401)."""


class OktaForbidden(OktaError):
    """The token's administrator may not read this endpoint (403)."""


class OktaNotFound(OktaError):
    """The user, policy or group does not exist (404)."""


class OktaUnavailable(OktaError):
    """Okta could not be reached, or kept answering 429/5xx, within the retry budget."""
