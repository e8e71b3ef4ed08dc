"""The OAuth 2.0 side of the Okta emulator: Okta's org authorization server for service apps.

`POST /oauth2/v1/token` (client credentials, private-key JWT) answers as Okta documents:
- 401 `invalid_client` when the client is unknown, or its assertion is not signed by the
  registered key, names another audience or issuer, has expired or reuses a `jti`;
- 400 `invalid_scope` when a requested scope was not granted to the app;
- for an app that requires DPoP: 400 `invalid_dpop_proof` without a `DPoP` proof, 400
  `use_dpop_nonce` with a `DPoP-Nonce` header while the proof lacks the current nonce; then a
  token of `token_type: DPoP` bound to the proof's key;
- 200 `{"token_type", "expires_in", "access_token", "scope"}`.
An API request presents `Bearer <token>`, or `DPoP <token>` with a fresh proof (`htm`, `htu`,
`ath`, signed by the bound key). An unknown, expired or unbound token gets 401 E0000011; a token
without the endpoint's scope (`okta.<x>.read`, or `.manage`) gets 403 E0000006 with
`WWW-Authenticate: Bearer error="insufficient_scope"`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt

TOKEN_PATH = "/oauth2/v1/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
JSON = dict[str, Any]


@dataclass
class OAuthClient:
    public_key: str  # PEM
    key_id: str
    scopes: frozenset[str]
    dpop: bool = False


@dataclass
class Issued:
    client_id: str
    scopes: frozenset[str]
    expires_at: float
    jkt: str | None  # the DPoP key's thumbprint, for a DPoP-bound token


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def thumbprint(jwk: JSON) -> str:
    """RFC 7638 JWK thumbprint (RSA: e, kty, n; EC: crv, kty, x, y)."""
    members = ("e", "kty", "n") if jwk.get("kty") == "RSA" else ("crv", "kty", "x", "y")
    canonical = json.dumps({k: jwk[k] for k in members}, separators=(",", ":"), sort_keys=True)
    return _b64(hashlib.sha256(canonical.encode()).digest())


def scope_for(path: str) -> str:
    """The read scope an endpoint needs (Okta's OAuth scopes for the Management API)."""
    if path.startswith("/api/v1/policies"):
        return "okta.policies.read"
    if path.endswith("/roles"):
        return "okta.roles.read"
    if path.startswith("/api/v1/groups"):
        return "okta.groups.read"
    return "okta.users.read"


def _oauth_error(status: int, error: str, description: str) -> tuple[int, JSON, dict[str, str]]:
    return status, {"error": error, "error_description": description}, {}


@dataclass
class OAuthServer:
    clients: dict[str, OAuthClient] = field(default_factory=dict)
    token_lifetime: int = 3600
    tokens: dict[str, Issued] = field(default_factory=dict)
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    used_jti: set[str] = field(default_factory=set)
    token_requests: int = 0

    def reset(self) -> None:
        self.token_lifetime = 3600
        self.clients.clear()
        self.tokens.clear()
        self.used_jti.clear()
        self.token_requests = 0

    def expire_tokens(self) -> None:
        for issued in self.tokens.values():
            issued.expires_at = 0.0

    def secrets(self) -> list[str]:
        return list(self.tokens)

    # --- the token endpoint -------------------------------------------------------------

    def token(self, base_url: str, headers: Any, body: bytes) -> tuple[int, JSON, dict[str, str]]:
        self.token_requests += 1
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "The grant type is not supported.")
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            return _oauth_error(401, "invalid_client", "Client authentication failed.")
        url = base_url + TOKEN_PATH
        client_id, problem = self._client(form.get("client_assertion", ""), url)
        if problem:
            return _oauth_error(401, "invalid_client", problem)
        client = self.clients[client_id]
        asked = frozenset(form.get("scope", "").split())
        if not asked or not asked <= client.scopes:
            extra = " ".join(sorted(asked - client.scopes)) or "(none asked)"
            return _oauth_error(
                400, "invalid_scope", f"The following scopes are not allowed: {extra}"
            )
        jkt = None
        if client.dpop:
            proof = headers.get("DPoP")
            if not proof:
                return _oauth_error(
                    400, "invalid_dpop_proof", "The DPoP proof JWT header is missing."
                )
            jkt, problem = self._proof(proof, "POST", url, nonce=True)
            if problem == "nonce":
                status, payload, _ = _oauth_error(
                    400, "use_dpop_nonce", "Authorization server requires nonce in DPoP proof."
                )
                return status, payload, {"DPoP-Nonce": self.nonce}
            if problem:
                return _oauth_error(400, "invalid_dpop_proof", problem)
        value = secrets.token_urlsafe(32)
        self.tokens[value] = Issued(client_id, asked, time.time() + self.token_lifetime, jkt)
        return (
            200,
            {
                "token_type": "DPoP" if jkt else "Bearer",
                "expires_in": self.token_lifetime,
                "access_token": value,
                "scope": " ".join(sorted(asked)),
            },
            {},
        )

    def _client(self, assertion: str, audience: str) -> tuple[str, str]:
        try:
            claims = jwt.decode(assertion, options={"verify_signature": False})
            client_id = str(claims.get("iss", ""))
            client = self.clients.get(client_id)
            if client is None:
                return "", "The client_id is not valid."
            kid = jwt.get_unverified_header(assertion).get("kid")
            if client.key_id and kid != client.key_id:
                return "", "The client_assertion key id is not registered."
            verified = jwt.decode(
                assertion,
                client.public_key,
                algorithms=["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"],
                audience=audience,
                issuer=client_id,
                options={"require": ["exp", "iat", "jti", "sub"]},
            )
        except jwt.InvalidTokenError:
            return "", "The client_assertion signature is invalid or the JWT has expired."
        if verified["sub"] != client_id or verified["jti"] in self.used_jti:
            return "", "The client_assertion was already used or names another subject."
        self.used_jti.add(str(verified["jti"]))
        return client_id, ""

    def _proof(
        self, proof: str, method: str, url: str, *, nonce: bool = False, token: str | None = None
    ) -> tuple[str | None, str]:
        """(the proof key's thumbprint, "") or (None, why the proof is refused)."""
        try:
            header = jwt.get_unverified_header(proof)
            jwk = header.get("jwk") or {}
            if header.get("typ") != "dpop+jwt" or not jwk:
                return None, "The DPoP proof JWT header is invalid."
            key = jwt.PyJWK.from_dict(jwk).key
            claims = jwt.decode(proof, key, algorithms=["RS256", "ES256"])
        except (jwt.InvalidTokenError, jwt.PyJWKError, ValueError, TypeError):
            return None, "The DPoP proof JWT signature is invalid."
        parts = urlsplit(url)
        if claims.get("htm") != method or claims.get("htu") != (
            f"{parts.scheme}://{parts.netloc}{parts.path}"
        ):
            return None, "The DPoP proof htm or htu does not match the request."
        if abs(time.time() - float(claims.get("iat") or 0)) > 300:
            return None, "The DPoP proof is too old."
        if nonce and claims.get("nonce") != self.nonce:
            return None, "nonce"
        if token is not None:
            ath = _b64(hashlib.sha256(token.encode()).digest())
            if claims.get("ath") != ath:
                return None, "The DPoP proof ath does not match the access token."
        return thumbprint(jwk), ""

    # --- API requests -------------------------------------------------------------------

    def authorize(
        self, auth: str, headers: Any, method: str, url: str, path: str
    ) -> tuple[int, str]:
        """(0, "") when the token may read `path`; else (401 | 403, WWW-Authenticate)."""
        kind, _, value = auth.partition(" ")
        issued = self.tokens.get(value)
        if kind not in ("Bearer", "DPoP") or issued is None or issued.expires_at < time.time():
            return 401, f'{kind or "Bearer"} error="invalid_token"'
        if (kind == "DPoP") != (issued.jkt is not None):
            return 401, 'DPoP error="invalid_token"'
        if issued.jkt is not None:
            jkt, problem = self._proof(headers.get("DPoP", ""), method, url, token=value)
            if problem or jkt != issued.jkt:
                return 401, 'DPoP error="invalid_dpop_proof"'
        needed = scope_for(path)
        if needed not in issued.scopes and needed.replace(".read", ".manage") not in issued.scopes:
            return 403, (
                f'{kind} error="insufficient_scope", error_description="The access token '
                f'provided does not contain the required scopes.", scope="{needed}"'
            )
        return 0, ""
