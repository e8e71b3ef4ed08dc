"""OAuth 2.0 for Okta's Management API: client credentials with a private-key JWT, DPoP on demand.

What Okta documents ("Implement OAuth for Okta with a service app", developer.okta.com):
- Token request: `POST https://<org>/oauth2/v1/token`, form `grant_type=client_credentials`,
  `scope=<space-separated okta.* scopes>`, `client_assertion_type=
  urn:ietf:params:oauth:client-assertion-type:jwt-bearer` and `client_assertion`: a JWT signed
  with the app's private key (header `kid` = the key's id), claims `iss` = `sub` = client id,
  `aud` = the token endpoint, `exp` at most an hour ahead, a unique `jti`.
- Errors: `{"error", "error_description"}`; `invalid_client` (bad assertion or key),
  `invalid_scope` (a scope the app was not granted).
- DPoP (RFC 9449), when the app demands it: Okta answers 400 `invalid_dpop_proof` (no proof) or
  `use_dpop_nonce` with a `DPoP-Nonce` header; the client retries with a `DPoP` proof JWT
  (`typ: dpop+jwt`, its public `jwk` in the header, claims `htm`, `htu`, `iat`, `jti`, `nonce`).
  API requests then carry `Authorization: DPoP <token>` and a fresh proof with `ath`, the
  base64url SHA-256 of the token; a resource answer 401 with `WWW-Authenticate: DPoP
  error="use_dpop_nonce"` asks for a nonce there too.
- The token lives `expires_in` seconds; it is cached for that long (less a margin) and fetched
  again after a 401.

The same config the pulumi-okta provider reads: `okta:clientId`, `okta:privateKeyId`,
`okta:privateKey` (PEM text or a file holding it), `okta:scopes`; or its environment variables
OKTA_API_CLIENT_ID, OKTA_API_PRIVATE_KEY_ID, OKTA_API_PRIVATE_KEY, OKTA_API_SCOPES. The private
key, the assertion and the token are secrets: never in a repr, a log line or an exception.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

TOKEN_PATH = "/oauth2/v1/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_SECONDS = 300
EXPIRY_MARGIN = 30.0  # seconds before `expires_in` ends that the token counts as expired
# What verify and adopt read; a `.manage` scope grants the same reads.
READ_SCOPES = ("okta.policies.read", "okta.users.read", "okta.groups.read")
ADOPT_SCOPES = (*READ_SCOPES, "okta.roles.read")


class OAuthError(Exception):
    """Okta refused the token request, or the OAuth config cannot be used (no secret inside)."""


@dataclass(frozen=True, kw_only=True)
class OAuthCredentials:
    client_id: str
    key_id: str
    private_key: str = field(repr=False)  # PEM
    scopes: tuple[str, ...]


def parse_scopes(value: Any) -> tuple[str, ...]:
    """`okta:scopes` as Pulumi passes it (a JSON array) or as text (comma or blank separated)."""
    if isinstance(value, list | tuple):
        return tuple(str(s) for s in value if str(s).strip())
    text = str(value or "").strip()
    if text.startswith("["):
        try:
            return tuple(str(s) for s in json.loads(text) if str(s).strip())
        except ValueError:
            raise OAuthError("okta:scopes is not a JSON list of scope names") from None
    return tuple(s for s in text.replace(",", " ").split() if s)


def missing_scopes(granted: Sequence[str], needed: Sequence[str]) -> list[str]:
    """The needed `okta.<x>.read` scopes neither granted nor implied by `okta.<x>.manage`."""
    have = set(granted)
    return [s for s in needed if s not in have and s.replace(".read", ".manage") not in have]


def load_private_key(text: str) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    """The key from PEM text, or from the file the text names (the provider accepts both)."""
    pem = text.strip()
    if not pem.startswith("-----BEGIN"):
        try:
            pem = Path(pem).expanduser().read_text().strip()
        except (OSError, ValueError):
            raise OAuthError(
                "okta:privateKey is neither a PEM private key nor a readable file holding one"
            ) from None
    try:
        key = load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise OAuthError("okta:privateKey does not hold a PEM private key Okta can use") from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise OAuthError("okta:privateKey must be an RSA or EC private key")
    return key


def _algorithm(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _error(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("error") or ""), str(body.get("error_description") or "")[:200]


@dataclass
class _Token:
    value: str = field(repr=False)
    kind: str  # Bearer or DPoP
    expires_at: float


class OktaOAuth(httpx.Auth):
    """An httpx auth flow: fetches, caches and presents the access token; DPoP when asked."""

    requires_response_body = True

    def __init__(self, base_url: str, credentials: OAuthCredentials) -> None:
        self._token_url = base_url.rstrip("/") + TOKEN_PATH
        self._creds = credentials
        self._key = load_private_key(credentials.private_key)
        self._dpop_key: rsa.RSAPrivateKey | None = None
        self._nonce: dict[str, str] = {}  # "token" | "api" -> the server's latest nonce
        self._token: _Token | None = None
        self.token_requests = 0

    def __repr__(self) -> str:
        return f"OktaOAuth(client_id={self._creds.client_id!r})"

    def secrets(self) -> list[str]:
        """What must never be printed: the key as configured and the current token."""
        return [self._creds.private_key, *([self._token.value] if self._token else [])]

    # --- JWTs ------------------------------------------------------------------------------

    def _assertion(self) -> str:
        now = int(time.time())
        claims = {
            "iss": self._creds.client_id,
            "sub": self._creds.client_id,
            "aud": self._token_url,
            "iat": now,
            "exp": now + ASSERTION_SECONDS,
            "jti": uuid.uuid4().hex,
        }
        headers = {"kid": self._creds.key_id} if self._creds.key_id else None
        return jwt.encode(claims, self._key, algorithm=_algorithm(self._key), headers=headers)

    def _proof(self, method: str, url: str, nonce: str | None, token: str | None = None) -> str:
        if self._dpop_key is None:
            self._dpop_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        parts = urlsplit(url)
        claims: dict[str, Any] = {
            "htm": method,
            "htu": f"{parts.scheme}://{parts.netloc}{parts.path}",
            "iat": int(time.time()),
            "jti": uuid.uuid4().hex,
        }
        if nonce:
            claims["nonce"] = nonce
        if token:
            claims["ath"] = _b64(hashlib.sha256(token.encode()).digest())
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self._dpop_key.public_key(), as_dict=True)
        headers = {"typ": "dpop+jwt", "jwk": jwk}
        return jwt.encode(claims, self._dpop_key, algorithm="RS256", headers=headers)

    # --- token -----------------------------------------------------------------------------

    def _token_request(self, dpop: bool) -> httpx.Request:
        form = {
            "grant_type": "client_credentials",
            "scope": " ".join(self._creds.scopes),
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self._assertion(),
        }
        headers = {"Accept": "application/json"}
        if dpop:
            headers["DPoP"] = self._proof("POST", self._token_url, self._nonce.get("token"))
        return httpx.Request("POST", self._token_url, data=form, headers=headers)

    def _fetch(self) -> Generator[httpx.Request, httpx.Response, None]:
        dpop = self._dpop_key is not None
        for _ in range(3):  # plain; with a proof; with the nonce
            self.token_requests += 1
            response = yield self._token_request(dpop)
            if response.status_code == 200:
                self._take(response)
                return
            error, description = _error(response)
            if response.status_code == 400 and error in ("invalid_dpop_proof", "use_dpop_nonce"):
                if nonce := response.headers.get("DPoP-Nonce"):
                    self._nonce["token"] = nonce
                if not dpop or error == "use_dpop_nonce":
                    dpop = True
                    continue
            raise OAuthError(self._refused(response.status_code, error, description))
        raise OAuthError(f"Okta kept asking for DPoP at {self._token_url}")

    def _refused(self, status: int, error: str, description: str) -> str:
        detail = f"{error}: {description}" if error else f"HTTP {status}"
        hint = {
            "invalid_client": (
                "okta:clientId, okta:privateKeyId or okta:privateKey do not match the service "
                "app's public key in Okta"
            ),
            "invalid_scope": (
                f"okta:scopes ({' '.join(self._creds.scopes)}) asks for a scope the app was not "
                "granted (Okta API Scopes tab of the app)"
            ),
            "unauthorized_client": "the app may not use the client credentials grant",
        }.get(error, "check the service app in Okta")
        return f"Okta refused the OAuth token request ({detail}): {hint}"

    def _take(self, response: httpx.Response) -> None:
        body = response.json()
        try:
            value, kind = str(body["access_token"]), str(body.get("token_type") or "Bearer")
            lifetime = float(body.get("expires_in") or 3600)
        except (KeyError, TypeError, ValueError):
            raise OAuthError("Okta's token answer has no usable access_token") from None
        self._token = _Token(value, kind, time.monotonic() + lifetime - EXPIRY_MARGIN)

    def _valid(self) -> bool:
        return self._token is not None and time.monotonic() < self._token.expires_at

    # --- every API request -----------------------------------------------------------------

    def _sign(self, request: httpx.Request) -> None:
        assert self._token is not None
        token = self._token
        request.headers["Authorization"] = f"{token.kind} {token.value}"
        if token.kind.lower() == "dpop":
            proof = self._proof(
                request.method, str(request.url), self._nonce.get("api"), token.value
            )
            request.headers["DPoP"] = proof

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if not self._valid():
            yield from self._fetch()
        self._sign(request)
        response = yield request
        if response.status_code != 401:
            return
        challenge = response.headers.get("WWW-Authenticate", "")
        if "use_dpop_nonce" in challenge and response.headers.get("DPoP-Nonce"):
            self._nonce["api"] = response.headers["DPoP-Nonce"]
        else:  # expired or revoked: one new token
            self._token = None
            yield from self._fetch()
        self._sign(request)
        yield request
