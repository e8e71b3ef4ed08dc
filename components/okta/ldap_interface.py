"""Names of Okta's LDAP Interface: host, port, base DNs and bind DNs (pure, no Pulumi)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Transport = Literal["ldaps", "starttls"]

# Okta's "LDAP Interface connection settings" (help.okta.com) lists okta.com, oktapreview.com and
# okta-emea.com for the host and bind DN, and okta-gov.com too for the base DN. For okta-gov.com
# the host `<org>.ldap.okta-gov.com` and the DN `dc=<org>,dc=okta-gov,dc=com` follow the same
# pattern as the other three: inferred, the page spells neither out.
OKTA_DOMAINS: tuple[str, ...] = ("okta.com", "oktapreview.com", "okta-emea.com", "okta-gov.com")
STANDARD_PORTS: dict[Transport, int] = {"ldaps": 636, "starttls": 389}
# What ldap3's escape_rdn changes: these characters anywhere, `#` or a space first, a space last.
_RDN_SPECIALS = frozenset('\\,+"<>;=\x00')


def _escape_rdn(value: str) -> str:
    """ldap3's RFC 4514 escaping; ldap3 (its package import loads the whole LDAP client, ~50 ms)
    is loaded only for a value that has something to escape."""
    if value and value[0] not in "# " and value[-1] != " " and _RDN_SPECIALS.isdisjoint(value):
        return value  # what escape_rdn returns for it
    from ldap3.utils.dn import escape_rdn

    return str(escape_rdn(value))


def dn_from_rdns(*rdns: tuple[str, str]) -> str:
    """Join (attribute, value) pairs into a DN, escaping each value (RFC 4514)."""
    return ",".join(f"{attr}={_escape_rdn(value)}" for attr, value in rdns)


def okta_root_dn(org_name: str, domain: str) -> str:
    """`dc=<org>,dc=okta,dc=com`; the `dc=` parts after the org follow the domain."""
    labels = [org_name, *domain.split(".")]
    return dn_from_rdns(*(("dc", label) for label in labels))


@dataclass(frozen=True)
class LdapDirectory:
    """Where and how to reach one Okta org's LDAP Interface."""

    host: str
    port: int
    transport: Transport
    root_dn: str

    @property
    def users_base_dn(self) -> str:
        return f"ou=users,{self.root_dn}"

    @property
    def groups_base_dn(self) -> str:
        return f"ou=groups,{self.root_dn}"

    @property
    def uses_ldaps(self) -> bool:
        return self.transport == "ldaps"

    def bind_dn(self, login: str) -> str:
        """Okta's bind DN form: `uid=<login>,dc=<org>,...` (no `ou=users`)."""
        return f"{dn_from_rdns(('uid', login))},{self.root_dn}"


def okta_ldap_directory(
    org_name: str,
    domain: str,
    transport: Transport = "ldaps",
    host: str | None = None,
    port: int | None = None,
) -> LdapDirectory:
    """Derive the LDAP Interface of an org; host and port may be overridden (proxies, tests)."""
    return LdapDirectory(
        host=host or f"{org_name}.ldap.{domain}",
        port=port or STANDARD_PORTS[transport],
        transport=transport,
        root_dn=okta_root_dn(org_name, domain),
    )
