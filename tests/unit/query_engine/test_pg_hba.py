"""pg_hba rules: exact rendering, quoting, rejection without leaking secrets, parser round trip."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.query_engine.pg_hba import (
    MAX_TOKEN_BYTES,
    YAML_LINE_BREAKS,
    LdapSearchBindRule,
    PgHbaError,
    carriable_problem,
    parse_line,
    quote,
    redact,
)

RULE = LdapSearchBindRule(
    role="okta_user",
    address="0.0.0.0/0",
    server="acme.ldap.okta.com",
    port=636,
    transport="ldaps",
    base_dn="ou=users,dc=acme,dc=okta,dc=com",
    bind_dn="uid=svc-qe@acme.example,dc=acme,dc=okta,dc=com",
    bind_password='pa"ss, #word\\',
)


def test_renders_one_hostssl_line_with_the_address_column() -> None:
    assert RULE.render() == (
        "hostssl immuta +okta_user 0.0.0.0/0 ldap"
        ' ldapserver="acme.ldap.okta.com" ldapport="636" ldapscheme="ldaps"'
        ' ldapbasedn="ou=users,dc=acme,dc=okta,dc=com" ldapsearchattribute="uid"'
        ' ldapbinddn="uid=svc-qe@acme.example,dc=acme,dc=okta,dc=com"'
        ' ldapbindpasswd="pa""ss, #word\\"'
    )
    parsed = parse_line(RULE.render())
    assert (parsed.conn_type, parsed.address, parsed.method) == ("hostssl", "0.0.0.0/0", "ldap")
    assert [(t.text, t.quoted) for t in parsed.users] == [("+okta_user", False)]


def test_starttls_replaces_ldapscheme_never_both() -> None:
    line = dataclasses.replace(RULE, transport="starttls", port=389).render()
    opts = dict((n, v) for n, v, _ in parse_line(line).options)
    assert opts["ldaptls"] == "1"
    assert "ldapscheme" not in opts
    assert "ldapscheme" in dict((n, v) for n, v, _ in parse_line(RULE.render()).options)


def test_search_filter_replaces_search_attribute_never_both() -> None:
    line = dataclasses.replace(
        RULE, search_attribute=None, search_filter="(&(uid=$username)(objectClass=person))"
    ).render()
    names = [n for n, _, _ in parse_line(line).options]
    assert "ldapsearchfilter" in names
    assert "ldapsearchattribute" not in names
    with pytest.raises(PgHbaError, match="exactly one of"):
        dataclasses.replace(RULE, search_filter="(uid=$username)")
    with pytest.raises(PgHbaError, match="exactly one of"):
        dataclasses.replace(RULE, search_attribute=None)


def test_never_simple_bind_options() -> None:
    names = {n for n, _, _ in parse_line(RULE.render()).options}
    assert not names & {"ldapprefix", "ldapsuffix", "ldapurl"}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("pw\nhost all all 0.0.0.0/0 trust", "newline"),
        ("pw\rmore", "carriage return"),
        ("pw\0more", "NUL"),
        ("", "empty"),
        ("x" * MAX_TOKEN_BYTES, "too long"),
        ("\udc80lone-surrogate", "Unicode"),
    ],
)
def test_uncarriable_password_is_refused_without_printing_it(bad: str, message: str) -> None:
    with pytest.raises(PgHbaError, match=message) as info:
        dataclasses.replace(RULE, bind_password=bad).render()
    assert "ldapbindpasswd" in str(info.value)
    if bad:
        assert bad not in str(info.value)
        assert bad[:2] not in str(info.value).split(": ", 1)[-1]


def test_token_limit_is_exact() -> None:
    limit_value = "x" * (MAX_TOKEN_BYTES - len("ldapbindpasswd="))
    assert quote("ldapbindpasswd", limit_value) == f'"{limit_value}"'
    with pytest.raises(PgHbaError, match="too long"):
        quote("ldapbindpasswd", limit_value + "x")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("role", "okta user", "written unquoted"),
        ("role", 'okta"', "written unquoted"),
        ("database", "all", "keyword"),
        ("address", "0.0.0.0", "not a CIDR"),
        ("address", "10.0.0.1/8", "not a CIDR"),
        ("port", 0, "1 to 65535"),
        ("transport", "ldap", "ldaps or starttls"),
    ],
)
def test_structural_values_are_validated(field: str, value: object, message: str) -> None:
    with pytest.raises(PgHbaError, match=message):
        dataclasses.replace(RULE, **{field: value})


def test_the_source_docs_example_line_is_rejected() -> None:
    # The page users follow today has no address column; PostgreSQL refuses it, and so do we.
    doc_line = (
        'hostssl immuta +okta_user ldap ldapserver="acme.ldap.okta.com" ldapscheme=ldaps'
        ' ldapbasedn="ou=users,dc=acme,dc=okta,dc=com" ldapsearchattribute="uid"'
    )
    parsed = parse_line(doc_line)
    assert parsed.address == "ldap"  # the method lands in the address column
    assert parsed.method.startswith("ldapserver=")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('hostssl immuta +r 0.0.0.0/0 ldap ldapbindpasswd="open', "unbalanced quote"),
        ("hostssl immuta +r 0.0.0.0/0 ldap ldapserver=x \\", "trailing backslash"),
        ("hostssl immuta +r 0.0.0.0/0 ldap\nhost all all 0.0.0.0/0 trust", "one line"),
        ("hostssl immuta +r 0.0.0.0/0", "expected"),
        ("hostssl immuta +r 0.0.0.0/0 ldap ldapserver", "name=value"),
    ],
)
def test_parser_rejects_what_is_not_one_rule(line: str, message: str) -> None:
    with pytest.raises(PgHbaError, match=message):
        parse_line(line)


def test_parser_follows_postgres_tokenizing() -> None:
    line = 'host db1,"all" "+quoted",+role 10.0.0.0/8 ldap a="x,y" b=c,d=e # comment "x'
    parsed = parse_line(line)
    assert [(t.text, t.quoted) for t in parsed.databases] == [("db1", False), ("all", True)]
    assert [(t.text, t.quoted) for t in parsed.users] == [("+quoted", True), ("+role", False)]
    assert [(n, v) for n, v, _ in parsed.options] == [("a", "x,y"), ("b", "c"), ("d", "e")]


def test_last_duplicate_option_wins_as_in_postgres() -> None:
    assert parse_line("host a b 0.0.0.0/0 ldap x=1 x=2").option("x") == "2"


def test_redact_masks_only_the_password_value() -> None:
    line = RULE.render()
    masked = redact(line)
    assert masked.endswith("ldapbindpasswd=[secret]")
    assert masked.replace("ldapbindpasswd=[secret]", "") == line[: line.index("ldapbindpasswd=")]
    assert RULE.bind_password not in masked
    assert (
        redact('host a b 0.0.0.0/0 ldap ldapbindpasswd="unclosed')
        == "[unparseable pg_hba rule hidden]"
    )


values = st.text(
    alphabet=st.one_of(st.sampled_from(list('"\\#, \t=+;<>é€𝄞')), st.characters(codec="utf-8")),
    min_size=1,
    max_size=60,
)


@given(password=values, base_dn=values, bind_dn=values)
def test_render_then_parse_round_trips(password: str, base_dn: str, bind_dn: str) -> None:
    rule = dataclasses.replace(RULE, bind_password=password, base_dn=base_dn, bind_dn=bind_dn)
    if any(ch in password + base_dn + bind_dn for ch in "\r\n\0" + YAML_LINE_BREAKS):
        with pytest.raises(PgHbaError) as info:
            rule.render()
        # The error is a fixed text naming the first bad option: no part of any value in it.
        name, value = next((n, v) for n, v in rule.options() if carriable_problem(v) is not None)
        assert str(info.value) == f"pg_hba option {name}: the value {carriable_problem(value)}"
        return
    line = rule.render()
    assert [(n, v) for n, v, _ in parse_line(line).options] == rule.options()
    assert "\n" not in line  # PostgreSQL ends a line at LF (CR is refused too); nothing else
    assert "\r" not in line
