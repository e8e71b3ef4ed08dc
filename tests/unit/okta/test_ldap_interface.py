from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from ldap3.utils.dn import escape_rdn, parse_dn

from components.okta.ldap_interface import dn_from_rdns, okta_ldap_directory


@pytest.mark.parametrize(
    ("domain", "root"),
    [
        ("okta.com", "dc=acme,dc=okta,dc=com"),
        ("oktapreview.com", "dc=acme,dc=oktapreview,dc=com"),
        ("okta-emea.com", "dc=acme,dc=okta-emea,dc=com"),
    ],
)
def test_okta_names_follow_the_domain(domain: str, root: str) -> None:
    d = okta_ldap_directory("acme", domain)
    assert d.host == f"acme.ldap.{domain}"
    assert d.port == 636
    assert d.uses_ldaps
    assert d.users_base_dn == f"ou=users,{root}"
    assert d.groups_base_dn == f"ou=groups,{root}"
    assert d.bind_dn("svc@acme.example") == f"uid=svc@acme.example,{root}"


def test_starttls_uses_389_and_overrides_win() -> None:
    assert okta_ldap_directory("acme", "okta.com", "starttls").port == 389
    d = okta_ldap_directory("acme", "okta.com", "ldaps", host="127.0.0.1", port=10636)
    assert (d.host, d.port, d.transport) == ("127.0.0.1", 10636, "ldaps")
    assert d.root_dn == "dc=acme,dc=okta,dc=com"


def _unescape(value: str) -> str:
    """RFC 4514 value unescape: `\\c` is c, `\\hh` is a byte (test helper)."""
    out, i = bytearray(), 0
    while i < len(value):
        if value[i] == "\\":
            pair = value[i + 1 : i + 3]
            if len(pair) == 2 and all(c in "0123456789abcdefABCDEF" for c in pair):
                out += bytes.fromhex(pair)
                i += 3
                continue
            out += value[i + 1].encode()
            i += 2
            continue
        out += value[i].encode()
        i += 1
    return out.decode()


@pytest.mark.parametrize(
    "login",
    [
        "o'brien+ldap@acme.example",
        "a,b@acme.example",
        'q"uote;x=y<z>@acme.example',
        " lead@x.example",
        "#hash@x.example",
        "back\\slash@x.example",
        "é@x.example",
    ],
)
def test_bind_dn_escapes_every_special_character(login: str) -> None:
    dn = okta_ldap_directory("acme", "okta.com").bind_dn(login)
    rdns = parse_dn(dn, escape=False, strip=False)
    assert [attr for attr, _, _ in rdns] == ["uid", "dc", "dc", "dc"]
    assert _unescape(rdns[0][1]) == login


def test_okta_gov_derives_host_and_dn_like_the_other_domains() -> None:
    d = okta_ldap_directory("agency", "okta-gov.com")
    assert d.host == "agency.ldap.okta-gov.com"
    assert d.root_dn == "dc=agency,dc=okta-gov,dc=com"
    assert d.bind_dn("svc@agency.gov") == "uid=svc@agency.gov,dc=agency,dc=okta-gov,dc=com"


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from('ab@.- #\\,+"<>;=\x00é'), min_size=1))
@example("plain@acme.example")
@example(" ")
@example("#")
def test_dn_values_are_escaped_exactly_as_ldap3_escapes_them(value: str) -> None:
    # ldap3 is imported only for a value that needs escaping: the result must not differ.
    assert dn_from_rdns(("uid", value)) == f"uid={escape_rdn(value)}"
