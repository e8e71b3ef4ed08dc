"""Differential property: hba_grammar.rule_problems against a real PostgreSQL 15.

Generated pg_hba lines, valid and broken (connection types, keywords, quoting, addresses,
masks, methods, options and their values, tokens near the length limit), go into pg_hba.conf
in batches behind the superuser line; one read of pg_hba_file_rules per batch tells, per
line_number, whether PostgreSQL loads each line. (The view re-reads the file on every query;
nothing is reloaded, so the running server keeps its rules.) A line loads when its row has no
error and a method: PostgreSQL leaves `error` empty for some refusals (clientcert=bogus), and
comment-only lines have no row at all.

Both directions: every line rule_problems accepts loads, and every line PostgreSQL refuses is
refused. Lines PostgreSQL loads but rule_problems refuses must be one of its documented
deliberate refusals (server-dependent or unportable); anything else fails the test.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.query_engine.hba_grammar import CONNECTION_TYPES, METHODS, rule_problems
from components.query_engine.pg_hba import MAX_TOKEN_BYTES, PgHbaError, quote
from rehearsal.servers import HbaRow, Postgres, give_to

BATCHES = int(os.environ.get("PG_HBA_GRAMMAR_BATCHES", "100"))
LINES_PER_BATCH = 12
COUNTS: Counter[str] = Counter()
# rule_problems refuses these on purpose although PostgreSQL may load them (see its docstring).
DELIBERATE = (
    "its double quote is never closed",
    "no rule here",
    "ldapurl is not accepted here",
    "is not an IP address (PostgreSQL resolves names",
    "is not accepted here: it names a network interface",
    "includes a file outside",
    "would join the next line",  # a backslash before trailing blanks: pg_hba.py refuses it too
    "a YAML line break on its way through Helm",  # U+0085, U+2028, U+2029 (carriable_problem)
)
INCLUDED = "hba_grammar_names.txt"  # an @file in the data directory, next to pg_hba.conf


def one_of_weighted(*pairs: tuple[int, st.SearchStrategy[str]]) -> st.SearchStrategy[str]:
    return st.one_of(*[s for weight, s in pairs for _ in range(weight)])


def pick(*values: str) -> st.SearchStrategy[str]:
    return st.sampled_from(values)


# --- columns ------------------------------------------------------------------------------

ODD_CONN_TYPES = ("Host", "HOSTSSL", "hostsll", '"host"', "host,local", "hostgss", '""', "@x")
NAME_TOKENS = (
    "all", "sameuser", "samerole", "samegroup", "replication", "immuta", '"all"', "+okta_user",
    '"+okta_user"', "+", "@", '"@/etc/passwd"', "@/etc/passwd", f"@{INCLUDED}",
    f'@"{INCLUDED}"', '""', '"a b"', '"x,y"', "alice@example.com", "é", "a#c", '"a""b"',
)  # fmt: skip
NAMED_HOSTS = (
    "all", "samehost", "samenet", '"all"', '"samehost"', "example.com", ".example.com",
    "300.0.0.0", "1.2.3.4.5", '""', "example.com/24", "300.0.0.0/8",
)  # fmt: skip
ODD_ADDRESSES = (
    "10/8", "0x0a.1/8", "012.0.0.1/32", "09.0.0.1/32", "4294967295/32", "256.1/32",
    "1.16777216/32", "0x/8", "::1%1/64", "fe80::1%1/64", "fe80::1%/64", "::1%lo/64",
    "fe80::1%lo/64", '"10.0.0.0/ 8"', "10.0.0.0/ 8", '"0.0.0.0/\x0b8"', "::ffff:1.2.3.4/128",
    "10.0.0.0/255.0.0.0", "10.0.0.0,10.0.0.1/32", "10.0.0.1",
)  # fmt: skip
ODD_METHODS = (
    "Trust", "TRUST", "MD5", "Ldap", "sspi", "bsd", "bogus", '"md5"', "md5,trust",
    "scram-sha256", "",
)  # fmt: skip
LDAP_PORTS = ("389", "636", "0", "-5", "4294967296", "99999999999999999999", " 7x", "abc", "\x0b5")
RADIUS_SERVERS = (
    "127.0.0.1", "127.0.0.1,127.0.0.2", "::1", "10", " ", "127.0.0.1,,127.0.0.2", "localhost",
    '"127.0.0.1"', '""', "127.0.0.1 ,::1",
)  # fmt: skip
RADIUS_SECRETS = ("a", "a,b", "a,", '"a"" x"', '""', "a\x0bb", "a\x0cb", "a,b,c")

conn_types = one_of_weighted(
    (6, pick("host", "hostssl", "hostnossl", "hostgssenc", "hostnogssenc")),
    (3, st.just("local")),
    (1, pick(*ODD_CONN_TYPES)),
)
name_lists = st.lists(pick(*NAME_TOKENS), min_size=1, max_size=3).map(",".join) | pick(
    "a,,b", "a, b", ",a", "a ,b", "a,"
)
clean_name_lists = st.lists(
    pick(*(n for n in NAME_TOKENS if "#" not in n)), min_size=1, max_size=3
).map(",".join)
v4 = st.ip_addresses(v=4).map(str)
v6 = st.ip_addresses(v=6).map(str)
prefixes = st.integers(-1, 130).map(str) | pick("", "+8", "08", "0x8", "255.0.0.0", "8 ")
masks = v4 | v6 | pick("255", "255.255.0", "md5", '""')
addresses = one_of_weighted(
    (4, st.tuples(v4, pick("/"), prefixes).map("".join)),
    (2, st.tuples(v6, pick("/"), prefixes).map("".join)),
    (2, st.tuples(v4 | v6, pick(" "), masks).map("".join)),
    (2, pick(*NAMED_HOSTS)),
    (2, pick(*ODD_ADDRESSES)),
)
clean_addresses = one_of_weighted(
    (4, st.tuples(v4, pick("/"), st.integers(0, 32).map(str)).map("".join)),
    (2, st.tuples(v6, pick("/"), st.integers(0, 128).map(str)).map("".join)),
    (1, st.tuples(v4, pick(" "), v4).map("".join)),
    (1, st.tuples(v6, pick(" "), v6).map("".join)),
    (1, pick("all", "samehost", "samenet", "example.com", ".example.com", '"all"')),
)
TAILS = (" # comment", '\t# "quoted', ' "unclosed', " ,", "\t", ",", " x=1", " #")
methods = one_of_weighted((8, st.sampled_from(METHODS)), (1, pick(*ODD_METHODS)))

# --- options --------------------------------------------------------------------------------

secrets = st.text(st.characters(codec="utf-8", exclude_characters="\r\n\0"), max_size=12)


def quoted_or_bare(value: str) -> st.SearchStrategy[str]:
    try:
        quoted = quote("v", value)
    except PgHbaError:  # empty, or refused on its way through Helm: write it anyway
        quoted = '"' + value.replace('"', '""') + '"'
    return pick(quoted, quoted if any(c in value for c in ' \t,#"') else value)


def option(name: str, *values: str) -> st.SearchStrategy[str]:
    return st.sampled_from(values).flatmap(quoted_or_bare).map(lambda v: f"{name}={v}")


ldap_any = st.one_of(
    option("ldapserver", "ldap.example.com", "127.0.0.1"),
    option("ldapport", *LDAP_PORTS),
    option("ldapscheme", "ldaps", "ldap", "LDAPS", "foo"),
    option("ldaptls", "1", "0", "true"),
    option("ldapbasedn", "dc=x,dc=y", "ou=users,dc=acme", ""),
    option("ldapbinddn", "uid=svc,dc=x"),
    secrets.flatmap(quoted_or_bare).map(lambda v: f"ldapbindpasswd={v}"),
    option("ldapsearchattribute", "uid", "mail"),
    option("ldapsearchfilter", "(uid=$username)"),
    option("ldapprefix", "cn=", ""),
    option("ldapsuffix", ",dc=x"),
    option("ldapurl", "ldaps://h:636/dc=x", "ldap://h/dc=x?uid?sub", "http://h/x"),
)
radius_any = st.one_of(
    option("radiusservers", *RADIUS_SERVERS),
    option("radiussecrets", *RADIUS_SECRETS),
    option("radiusports", "1812", "1,2", "0", "x", " 1 ,2", "\x0b1"),
    option("radiusidentifiers", "x", "x,y"),
)
other_any = st.one_of(
    option("map", "m", ""),
    option("clientcert", "verify-full", "verify-ca", "bogus", "1"),
    option("clientname", "CN", "DN", "cn"),
    option("pamservice", "postgresql"),
    option("pam_use_hostname", "1", "yes"),
    option("krb_realm", "EXAMPLE.COM"),
    option("include_realm", "0", "1"),
    option("compat_realm", "1"),
    option("upn_username", "1"),
    pick("x=1", "x", "=1", "MAP=m", "map", '"map=m"', "map=a,,b=c"),
)
# A working search+bind or RADIUS rule, then a few random options of the same family.
ldap_base = st.tuples(
    option("ldapbasedn", "dc=x,dc=y"),
    option("ldapscheme", "ldaps") | option("ldaptls", "1"),
    option("ldapsearchattribute", "uid") | option("ldapsearchfilter", "(uid=$username)"),
)
radius_base = st.tuples(option("radiusservers", "127.0.0.1"), option("radiussecrets", "s3cret"))
OPTIONS = {
    "ldap": st.tuples(ldap_base, st.lists(ldap_any, max_size=2)).map(lambda t: [*t[0], *t[1]])
    | st.lists(ldap_any, max_size=5),
    "radius": st.tuples(radius_base, st.lists(radius_any, max_size=2)).map(lambda t: [*t[0], *t[1]])
    | st.lists(radius_any, max_size=4),
}
other_options = st.lists(other_any, max_size=2)
mixed_options = st.lists(ldap_any | radius_any | other_any, max_size=4)


@st.composite
def near_limit(draw: st.DrawFn) -> str:
    """An option token a few bytes either side of the limit: bare, quoted, comma, comment."""
    name = draw(pick("map", "ldapbasedn", "pamservice", "ldapbindpasswd"))
    size = draw(st.integers(MAX_TOKEN_BYTES - 2, MAX_TOKEN_BYTES + 3))
    wide = draw(st.booleans())  # two-byte characters: the limit counts bytes
    body = size - len(name) - 1
    value = "é" * (body // 2) + "a" * (body % 2) if wide else "a" * body
    form = draw(pick("bare", "quoted", "comma", "comment", "doubled"))
    return {
        "bare": f"{name}={value}",
        "quoted": f'{name}="{value}"',
        "comma": f"{name}={value},x=1",
        "comment": f"{name}={value}#c",
        "doubled": f'{name}={value[:-1]}""',
    }[form]


VALID_OPTIONS = {
    "ldap": OPTIONS["ldap"],
    "radius": OPTIONS["radius"],
    "ident": st.lists(option("map", "m"), max_size=1),
    "peer": st.lists(option("map", "m"), max_size=1),
    "gss": st.lists(option("include_realm", "0") | option("krb_realm", "X") | option("map", "m")),
    "pam": st.lists(option("pamservice", "postgresql") | option("pam_use_hostname", "1")),
    "cert": st.lists(option("map", "m") | option("clientname", "CN", "DN"), max_size=2),
}
HOSTSSL_OPTIONS = st.lists(option("clientcert", "verify-full", "verify-ca"), max_size=1)
MUTATIONS = ("none", "none", "none", "conn", "names", "address", "method", "options", "length",
             "tail", "requote", "soup", "everything")  # fmt: skip
SOUP = (*CONNECTION_TYPES, *METHODS, *NAME_TOKENS, *NAMED_HOSTS, *ODD_ADDRESSES, "0.0.0.0/0",
        "10.0.0.0", "255.0.0.0", "::1/128", "map=m", "ldapbasedn=x", "ldaptls=1", '"', '""', ",",
        "#", "=", "@", "x=", "radiusservers=::1", "radiussecrets=s")  # fmt: skip


def requote(column: str, how: str) -> str:
    """The same text quoted differently: only a quote before the first character makes a
    token "quoted" (no keyword, no +group, no @file), and "" alone is an empty token."""
    if '"' in column or "," in column or len(column) < 2:
        return column
    return {
        "whole": f'"{column}"',
        "tail": f'{column[0]}"{column[1:]}"',
        "head": f'"{column[:-1]}"{column[-1]}',
        "empty first": f'""{column}',
        "empty last": f'{column}""',
    }[how]


def valid_method(conn: str) -> st.SearchStrategy[str]:
    allowed = [m for m in METHODS if (m == "peer") == (conn == "local") or m == "ident"]
    allowed = [m for m in allowed if not (m == "gss" and conn == "local")]
    return pick(*(m for m in allowed if m != "cert" or conn == "hostssl"))


@st.composite
def hba_lines(draw: st.DrawFn) -> str:
    """A line PostgreSQL should load, then (mostly) one kind of damage."""
    mutation = draw(pick(*MUTATIONS))
    everything = mutation == "everything"
    conn = draw(conn_types if mutation in ("conn", "everything") else pick(*CONNECTION_TYPES))
    names = name_lists if mutation in ("names", "everything") else clean_name_lists
    columns = [conn, draw(names), draw(names)]
    if mutation in ("address", "everything"):
        if conn != "local" or draw(st.booleans()):
            columns.append(draw(addresses))
    elif conn != "local":
        columns.append(draw(clean_addresses))
    method = draw(methods if mutation in ("method", "everything") else valid_method(conn))
    columns.append(method)
    if mutation in ("options", "everything"):
        some = (
            mixed_options if everything else st.lists(ldap_any | radius_any | other_any, max_size=3)
        )
        opts = list(draw(some))
    else:
        opts = list(draw(VALID_OPTIONS.get(method, st.just([]))))
        opts += draw(HOSTSSL_OPTIONS) if conn == "hostssl" and method != "cert" else []
    if mutation in ("length", "everything") and (mutation == "length" or draw(st.booleans())):
        opts.insert(draw(st.integers(0, len(opts))), draw(near_limit()))
    columns += draw(st.permutations(opts))
    if mutation == "requote":
        i = draw(st.integers(0, len(columns) - 1))
        how = draw(pick("whole", "tail", "head", "empty first", "empty last"))
        columns[i] = requote(columns[i], how)
    if mutation == "soup":
        columns = draw(st.lists(pick(*SOUP), min_size=1, max_size=9))
        separators = draw(st.lists(pick(" ", "\t", ",", ", ", " ,", ""), min_size=len(columns)))
        return "".join(c + sep for c, sep in zip(columns, separators, strict=False)).rstrip("\\")
    line = " ".join(c for c in columns if c)
    tail = draw(pick(*TAILS)) if mutation in ("tail", "everything") else ""
    return (draw(pick("", " ", "\t", ", ")) + line + tail).rstrip("\\")


# --- the test -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def conn(postgres: Postgres) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    included = postgres.data / INCLUDED
    included.write_text('alice, bob\n"carol d"\n')
    give_to("postgres", included)
    with postgres.superuser() as connection:
        yield connection
    postgres.write_hba([])  # what the session fixture wrote; nothing was reloaded
    included.unlink()


def loaded(row: HbaRow | None) -> bool:
    return row is None or (row.error is None and row.auth_method is not None)


def deliberate(problems: list[str]) -> bool:
    return bool(problems) and all(any(d in p for d in DELIBERATE) for p in problems)


def check_batch(
    postgres: Postgres, conn: psycopg.Connection[tuple[object, ...]], lines: list[str]
) -> None:
    body = "\n".join(["local all postgres trust", *lines]) + "\n"
    postgres.hba_file.write_bytes(body.encode("utf-8"))
    rows = {row.line_number: row for row in postgres.hba_rules(conn)}
    assert loaded(rows.get(1)), rows.get(1)
    for number, line in enumerate(lines, start=2):
        row = rows.get(number)
        pg_loads, problems = loaded(row), rule_problems(line)
        COUNTS["lines"] += 1
        COUNTS["accepted" if not problems else "refused"] += 1
        COUNTS["postgres loads" if pg_loads else "postgres refuses"] += 1
        shown = line if len(line) < 300 else f"{line[:150]}...{line[-100:]}"
        if not problems:  # accepted: PostgreSQL must load it
            assert pg_loads, f"accepted, but PostgreSQL: {row and row.error!r}\n{shown}"
            COUNTS["agreements"] += 1
        elif not pg_loads:  # PostgreSQL refuses it: so do we
            COUNTS["agreements"] += 1
        else:
            assert deliberate(problems), f"PostgreSQL loads it, we refuse: {problems}\n{shown}"
            COUNTS["deliberate refusals"] += 1


def test_rule_problems_agrees_with_postgresql_15(
    postgres: Postgres, conn: psycopg.Connection[tuple[object, ...]]
) -> None:
    @settings(
        max_examples=BATCHES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(hba_lines(), min_size=LINES_PER_BATCH, max_size=LINES_PER_BATCH))
    def batches(lines: list[str]) -> None:
        check_batch(postgres, conn, lines)

    COUNTS.clear()
    batches()
    summary = ", ".join(f"{k} {v}" for k, v in sorted(COUNTS.items()))
    print(f"\npg_hba grammar vs PostgreSQL 15: {summary}")
    assert COUNTS["lines"] >= min(500, BATCHES * LINES_PER_BATCH), summary
    assert COUNTS["accepted"] >= COUNTS["lines"] // 10, f"too few valid lines: {summary}"
    assert COUNTS["postgres refuses"] >= COUNTS["lines"] // 10, f"too few broken: {summary}"


# The address hints quote PostgreSQL's own words, so that a user finds the line in its log.
HINTED = [
    ("hostssl immuta monitoring 10.1.2.3 scram-sha-256", 'invalid IP mask "scram-sha-256"'),
    ("hostssl immuta monitoring 10.1.2.3 bogus scram-sha-256", "invalid IP mask"),
    ("hostssl immuta monitoring 10.1.2.3", "end-of-line before netmask specification"),
    ("hostssl immuta monitoring fe80::/10%eth0 scram-sha-256", "invalid CIDR mask in address"),
    ("hostssl immuta monitoring fe80::/10%1 scram-sha-256", "invalid CIDR mask in address"),
    ("hostssl immuta monitoring 10.0.0.0/33 scram-sha-256", "invalid CIDR mask in address"),
    (
        "hostssl immuta monitoring example.com/24 scram-sha-256",
        "specifying both host name and CIDR mask is invalid",
    ),
    ("hostssl immuta monitoring 10.0.0.0 ffff:: scram-sha-256", "IP address and mask do not match"),
]


def test_address_hints_quote_what_postgresql_15_says(
    postgres: Postgres, conn: psycopg.Connection[tuple[object, ...]]
) -> None:
    lines = [line for line, _ in HINTED]
    body = "\n".join(["local all postgres trust", *lines]) + "\n"
    postgres.hba_file.write_bytes(body.encode("utf-8"))
    rows = {row.line_number: row for row in postgres.hba_rules(conn)}
    for number, (line, words) in enumerate(HINTED, start=2):
        error = rows[number].error or ""
        assert words in error, (line, error)
        (problem,) = rule_problems(line)
        assert f"(PostgreSQL: {words}" in problem, (line, problem)
