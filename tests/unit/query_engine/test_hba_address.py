"""The address and netmask columns: each refusal names the real problem, PostgreSQL's own words
and the fix (tests/integration/test_pg_hba_grammar.py checks PostgreSQL's words against a real
PostgreSQL 15)."""

from __future__ import annotations

import pytest

from components.query_engine.hba_address import Address, mask_problem, missing_mask, parse_address
from components.query_engine.hba_grammar import METHODS, rule_problems
from components.secret_text import MASK


@pytest.mark.parametrize(
    ("text", "family", "needs_mask"),
    [
        ("10.1.2.3", 4, True),
        ("10.1.2.0/24", 4, False),
        ("::1", 6, True),
        ("fe80::%1/10", 6, False),  # a numeric zone before the prefix: PostgreSQL loads it
        ("example.com", None, False),
        ("10.1.2.3%eth0", None, False),  # not an address: PostgreSQL reads a host name
    ],
)
def test_addresses_postgresql_loads(text: str, family: int | None, needs_mask: bool) -> None:
    assert parse_address(text) == Address(family, needs_mask)


def test_a_method_read_as_the_netmask_is_explained_with_the_fix() -> None:
    (problem,) = rule_problems("hostssl immuta monitoring 10.1.2.3 scram-sha-256")
    assert problem == (
        "token 'scram-sha-256': read as the netmask, not as the method, because the address "
        '10.1.2.3 has no /prefix (PostgreSQL: invalid IP mask "scram-sha-256"); give the '
        "address a CIDR length, e.g. 10.1.2.3/32 (this one address), or a netmask column "
        "after it, e.g. 10.1.2.3 255.255.255.255"
    )


def test_a_word_read_as_the_netmask_is_never_quoted() -> None:
    """A token there may be a secret option: only the token name (masked) shows it."""
    problem = mask_problem("10.1.2.3", 4, "ldapbindpasswd=hunter2-xyz", METHODS)
    assert problem is not None
    assert "hunter2" not in problem
    assert "not a netmask, which PostgreSQL expects here" in problem
    assert "10.1.2.3/32" in problem
    (shown,) = rule_problems("host all all 10.1.2.3 ldapbindpasswd=hunter2-xyz")
    assert "hunter2" not in shown
    assert f"ldapbindpasswd={MASK}" in shown


def test_an_ipv6_address_at_the_end_of_the_line() -> None:
    assert missing_mask("2001:db8::7", 6) == (
        "the line ends where PostgreSQL expects the netmask of this address, as it has no "
        "/prefix (PostgreSQL: end-of-line before netmask specification); give the address a "
        "CIDR length, e.g. 2001:db8::7/128 (this one address), or a netmask column after it"
    )


def test_a_netmask_of_the_other_family() -> None:
    assert mask_problem("10.0.0.0", 4, "ffff::", METHODS) == (
        "an IPv6 netmask for an IPv4 address (PostgreSQL: IP address and mask do not match)"
    )
    assert mask_problem("10.0.0.0", 4, "255.0.0.0", METHODS) is None


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        ("fe80::/10%eth0", "leave it out: fe80::/10"),
        ("fe80::/10%1", "leave it out: fe80::/10"),
        ("10.1.2.3/32%eth0", "leave it out: 10.1.2.3/32"),
    ],
)
def test_a_zone_after_the_prefix_is_named_as_such(text: str, fix: str) -> None:
    problem = parse_address(text).problem
    assert problem is not None
    zone = text.partition("%")[2]
    assert problem.startswith(f"a zone id (%{zone}) cannot follow the /prefix")
    assert "(PostgreSQL: invalid CIDR mask in address)" in problem
    assert problem.endswith(fix)
    assert "netmask" not in problem


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        ("fe80::1%eth0/64", "e.g. fe80::1/64"),
        ("fe80::1%eth0", "e.g. fe80::1/128 (or fe80::1 and a netmask column)"),
    ],
)
def test_a_zone_name_before_the_prefix_is_refused_with_the_fix(text: str, fix: str) -> None:
    problem = parse_address(text).problem
    assert problem is not None
    assert problem.startswith("a zone id (%eth0) is not accepted here: it names a network")
    assert problem.endswith(fix)


def test_a_long_zone_is_shortened() -> None:
    problem = parse_address("fe80::1%" + "z" * 500 + "/64").problem
    assert problem is not None
    assert "%zzzzzzzzzzzzzzzz..." in problem
    assert len(problem) < 300


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("example.com/24", "specifying both host name and CIDR mask is invalid"),
        ("10.0.0.0/33", "invalid CIDR mask /33 (PostgreSQL: invalid CIDR mask in address)"),
        ("10.0.0.0/255.0.0.0", "a netmask goes in its own column"),
    ],
)
def test_other_address_problems_quote_postgresql(text: str, words: str) -> None:
    problem = parse_address(text).problem
    assert problem is not None
    assert words in problem
