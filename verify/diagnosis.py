"""What an LDAP or network failure most likely means on Okta's LDAP Interface, and the fix
(pure: fed result codes and messages, so Okta-only refusals are testable without Okta)."""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass

ENABLE_LDAP_INTERFACE = (
    "turn the LDAP Interface on in Okta (Admin Console > Directory > Directory Integrations > "
    "Add LDAP Interface); no API can do it"
)


@dataclass(frozen=True)
class Diagnosis:
    cause: str
    fix: str


def diagnose_connect(exc: BaseException, host: str, port: int) -> Diagnosis:
    """A TCP or TLS failure reaching the LDAP server."""
    if isinstance(exc, socket.gaierror):
        return Diagnosis(
            f"{host} does not resolve: the org has no LDAP Interface, or ldapHost is wrong",
            ENABLE_LDAP_INTERFACE + "; check okta:orgName, okta:baseUrl and ldapHost",
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        if "hostname" in str(exc).lower() or "ip address mismatch" in str(exc).lower():
            return Diagnosis(
                f"the server's certificate is not valid for {host}",
                "point ldapHost at the name on the certificate (Okta: <org>.ldap.<domain>), "
                "not at an alias or IP address",
            )
        return Diagnosis(
            f"the server's certificate does not chain to a trusted CA ({exc.verify_message})",
            "trust the CA that issued it (PostgreSQL: LDAPTLS_CACERT; this check: --ldap-ca)",
        )
    if isinstance(exc, ssl.SSLError):
        return Diagnosis(
            f"the TLS handshake failed ({exc.reason or exc})",
            "use port 636 with ldaps, or 389 with starttls; Okta accepts TLS 1.2 only",
        )
    if isinstance(exc, ConnectionRefusedError):
        return Diagnosis(
            f"nothing listens on {host}:{port}",
            ENABLE_LDAP_INTERFACE + "; or fix ldapPort (636 ldaps, 389 starttls)",
        )
    if isinstance(exc, TimeoutError | socket.timeout):
        return Diagnosis(
            f"{host}:{port} does not answer (timeout)",
            "check the network path and firewalls from the Query Engine to Okta",
        )
    return Diagnosis(f"cannot connect ({type(exc).__name__})", "check ldapHost and ldapPort")


def diagnose_bind(code: int | None, message: str, timed_out: bool = False) -> Diagnosis:
    """A refused LDAP bind (result code and diagnostic message as the server sent them)."""
    text = message.lower()
    if timed_out:
        return Diagnosis(
            "the bind got no answer: Okta is probably waiting for an Okta Verify push, i.e. "
            "MFA applies to this account",
            "exempt the bind account from every MFA rule (this stack's rule does; look for "
            "another sign-on policy or rule that matches it)",
        )
    if code == 11 or "limit exceeded" in text:
        return Diagnosis(
            "Okta's rate limit (about 4 binds per second per account): administrative limit "
            "exceeded",
            "give each consumer its own bind account (bindAccountMode: perConsumer) and retry",
        )
    if code == 49 and any(w in text for w in ("mfa", "factor", "push", "passcode", "verify")):
        return Diagnosis(
            "Okta refused the bind because MFA is required for this account",
            "exempt the bind account from every MFA rule; a static bind password can never "
            "carry a one-time code",
        )
    if code == 49:
        return Diagnosis(
            "invalid credentials: wrong bind DN or password (or MFA applies to the account)",
            "check the bind DN (uid=<login>,dc=<org>,dc=okta,dc=com) and that Okta holds the "
            "stack's password (a rotation cut short?); then that no MFA rule matches the account",
        )
    if code == 53:
        return Diagnosis(
            "the server is unwilling to perform the bind (anonymous, or the account is locked or "
            "suspended)",
            "check the account's status in Okta (ACTIVE) and that a DN and password are sent",
        )
    if code in (32, 34):
        return Diagnosis(
            "the bind DN does not exist or is malformed",
            "use Okta's bind DN form uid=<login>,dc=<org>,dc=okta,dc=com (no ou=users)",
        )
    return Diagnosis(
        f"bind refused (LDAP result {code}: {message or 'no message'})",
        "check the account in Okta and the LDAP Interface settings",
    )


def diagnose_search(code: int | None, found: int, base: str, login: str) -> Diagnosis:
    if code == 32:
        return Diagnosis(
            f"the search base {base} does not exist",
            "the user base is ou=users,dc=<org>,dc=okta,dc=com; check okta:orgName/baseUrl",
        )
    if found == 0:
        return Diagnosis(
            f"no entry with uid={login} under {base}",
            "check the login (Okta logins are usually e-mail addresses) and that the user "
            "exists and is active in Okta",
        )
    return Diagnosis(
        f"{found} entries match uid={login}: PostgreSQL needs exactly one",
        "use a search attribute or filter that is unique (uid is, in Okta)",
    )
