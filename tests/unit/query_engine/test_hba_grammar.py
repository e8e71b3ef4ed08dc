"""pg_hba grammar: PostgreSQL 15's load-time rules, the extra-rule policy, secrets kept out.

The `LOADS` and `REFUSED` tables were each written to a real PostgreSQL 15.18 and read back
through pg_hba_file_rules; tests/integration/test_pg_hba_grammar.py keeps checking the same
grammar against it with generated lines."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from components.query_engine.hba_grammar import METHODS, rule_problems
from components.query_engine.hba_policy import extra_rule_problems, unsafe_problems
from components.query_engine.pg_hba import MAX_TOKEN_BYTES, LdapSearchBindRule
from components.secret_text import MASK

HOST = "host all all 0.0.0.0/0"
LDAP_TLS = "ldap ldapserver=h ldapscheme=ldaps ldapbasedn=x"
PROJECT_RULE = LdapSearchBindRule(
    role="okta_user",
    address="0.0.0.0/0",
    server="acme.ldap.okta.com",
    port=636,
    transport="ldaps",
    base_dn="ou=users,dc=acme,dc=okta,dc=com",
    bind_dn="uid=svc-qe@acme.example,dc=acme,dc=okta,dc=com",
    bind_password='pa"ss, #word\\',
)


def pad(prefix: str, size: int, suffix: str = "") -> str:
    """`prefix` + `a`s so that the token between them holds `size` bytes after quote removal."""
    return prefix + "a" * (size - len(prefix.replace('"', "").split()[-1])) + suffix


# Each line loads in PostgreSQL 15.18 (measured), however odd it looks.
LOADS = [
    "local all all peer",
    "local all all ident",  # ident on a socket is peer
    "local all all peer map=x",
    '"local" all all peer',  # only keywords in the address column care about quotes
    'local "" "" peer',
    "local @ all peer",  # a lone @ is a name
    'local "@/etc/passwd" all peer',  # quoted: a name, not an inclusion
    "local @/etc/passwd all peer",  # grammar: loads when the file exists
    "local a, ,b all peer",  # commas before a token are skipped
    " , local all all peer",
    'local all all peer # comment "unbalanced',
    "hostssl all +okta_user 10.0.0.0/8 scram-sha-256",
    "hostnogssenc all all 0.0.0.0/0 scram-sha-256",
    "hostgssenc all all 0.0.0.0/0 gss include_realm=0 krb_realm=X map=m",
    f"{HOST} pam pamservice=x pam_use_hostname=yes",
    f"{HOST} reject",
    f'{HOST} "md5"',  # the method may be quoted
    "host all all 10.0.0.1/8 md5",  # host bits may be set
    "host all all 10/8 md5",  # inet_aton shorthand: 0.0.0.10
    "host all all 0x0a.1/8 md5",
    "host all all 012.0.0.1/32 md5",  # octal: 10.0.0.1
    "host all all 4294967295/32 md5",
    'host all all "10.0.0.0/ 8" md5',  # strtol skips blanks
    'host all all "10.0.0.0/+8" md5',
    "host all all 10.0.0.0/-0 md5",
    "host all all 0.0.0.0/08 md5",
    'host all all "0.0.0.0/\x0b8" md5',
    "host all all 10.0.0.0 255.0.255.0 md5",  # netmasks need not be contiguous
    "host all all 10.0.0.0 255 md5",
    "host all all ::1/128 md5",
    "host all all ::1 ffff:: md5",
    "host all all ::1%1/64 md5",
    "host all all ::ffff:1.2.3.4/128 md5",
    "host all all 1::2:3:4:5:6:7/128 md5",
    "host all all 300.0.0.0 md5",  # not numeric, so a host name
    "host all all 1.2.3.4.5 md5",
    'host all all "" md5',
    'host all all "all" md5',  # quoted: the host named "all"
    'host all all al"l" md5',  # a quote after the first character: still the keyword
    'host all all ""all md5',  # an empty quote first: the host named "all"
    'local ""@/etc/passwd all peer',  # a name, not an inclusion
    "host all all samehost md5",
    "host all all .example.com md5",
    f"{HOST} ident map=x",
    f"{HOST} ldap ldapbasedn=x",  # ldapserver is optional with OpenLDAP
    f"{HOST} ldap ldapprefix=",
    f"{HOST} ldap ldapsuffix=x ldapprefix=y ldapserver=z ldaptls=1 ldapport=1",
    f"{HOST} ldap ldapscheme=foo ldapbasedn=x",  # only logged, see the policy
    f"{HOST} ldap ldaptls=1 ldapscheme=ldaps ldapbasedn=x",  # fails at login only
    f"{HOST} ldap ldapport=-5 ldapbasedn=x",
    f"{HOST} ldap ldapport=99999999999999999999 ldapbasedn=x",  # atoi: -1
    f'{HOST} ldap ldapport=" 7x" ldapbasedn=x',
    f'{HOST} ldap ldapport="\x0b5" ldapbasedn=x',
    f"{HOST} ldap ldapbasedn=x ldapsearchfilter=a ldapbinddn=b ldapbindpasswd=c",
    f'{HOST} ldap ldapbasedn="a b" ldapbinddn=x,ldapbindpasswd=y',
    "hostssl all all 0.0.0.0/0 md5 clientcert=verify-ca",
    "hostssl all all 0.0.0.0/0 md5 clientcert=verify-full clientname=DN",
    "hostssl all all 0.0.0.0/0 cert map=x clientname=CN",
    f"{HOST} radius radiusservers=127.0.0.1 radiussecrets=a",
    f'{HOST} radius radiusservers="127.0.0.1, 127.0.0.2" radiussecrets="a,b" radiusports=" 1 ,2"',
    f'{HOST} radius radiusservers="""127.0.0.1""" radiussecrets=a',
    f'{HOST} radius radiusservers=127.1 radiussecrets=""""""',
    f'{HOST} radius radiusservers="::1%1" radiussecrets=a',
    f"{HOST} radius radiusservers=10 radiussecrets=a",
    f'{HOST} radius radiusservers=127.0.0.1 radiussecrets="a\x0bb"',  # \v: no GUC blank in 15
    f'{HOST} radius radiusservers=127.0.0.1 radiussecrets="""a"" "',
    f'{HOST} radius radiusservers=127.0.0.1 radiussecrets=a radiusports="1,-1" radiusports=2',
    pad("local all all peer map=", 10_239),  # bare: 10,239 bytes
    pad('local all all peer map="', 10_238, '"'),  # quoted: 10,238 bytes
    pad("local all all peer map=", 10_238, ","),  # ended by a comma: 10,238 bytes
    pad("local all all peer map=", 10_239, "#c"),  # a comment reads nothing into it
    pad("local all all peer map=", 10_238, '""'),
    "local all all peer map=" + "é" * 5_117 + "a",  # bytes, not characters
]

# Each line is refused by PostgreSQL 15.18 (measured), with the word our message must name.
REFUSED = [
    (f"{HOST} Trust", "'Trust'"),
    (f"{HOST} TRUST", "'TRUST'"),
    (f"{HOST} bogus", "'bogus'"),
    (f"{HOST} sspi", "Windows"),
    (f"{HOST} bsd", "OpenBSD"),
    (f"{HOST} md5,trust", "one value"),
    ("host,local all all 0.0.0.0/0 md5", "one value"),
    ("bogus all all peer", "'bogus'"),
    ("local all all gss", "local sockets"),
    (f"{HOST} peer", "local sockets"),
    (f"{HOST} cert", "hostssl"),
    ("local all all", "method"),
    ("local", "database"),
    ("host all all", "address"),
    (f"{HOST}", "method"),
    ("host all all 10.0.0.0/255.0.0.0 md5", "/255.0.0.0"),
    ("host all all 10.0.0.0/33 md5", "/33"),
    ("host all all ::1/129 md5", "/129"),
    ("host all all 0.0.0.0/0x8 md5", "/0x8"),
    ('host all all "0.0.0.0/8 " md5', "mask"),
    ("host all all 10.0.0.0/ 8 md5", "mask"),
    ("host all all 300.0.0.0/8 md5", "host name"),
    ("host all all 09.0.0.1/32 md5", "host name"),  # 9 is no octal digit
    ("host all all 256.1/32 md5", "host name"),
    ("host all all 1.16777216/32 md5", "host name"),
    ("host all all 0x/8 md5", "host name"),
    ("host all all fe80::1%/64 md5", "host name"),
    ("host all all ::1%lo/64 md5", "host name"),  # names only for link-local addresses
    ("host all all ::1%4294967296/64 md5", "host name"),
    ('host all all "0.0.0.0 /8" md5', "host name"),
    ("host all all example.com/24 md5", "host name"),
    ("host all all 10.0.0.1 md5", "'md5'"),  # read as the netmask column
    ("host all all 10.0.0.0 ::1 md5", "IPv6 netmask"),
    ('host all all 10.0.0.0 "" md5', "netmask"),
    ("host all all 1.2.3.4 255.255.255.255%1 md5", "netmask"),
    ("host all all 10.0.0.0 255.0.0.0,255.0.0.0 md5", "one value"),
    ("host all,x all 0.0.0.0/0,1.2.3.4/32 md5", "one value"),
    ("local all all md5 map=x", "map"),
    (f"{HOST} scram-sha-256 map=x", "map"),
    (f"{HOST} pam map=x", "map"),
    ("hostgssenc all all 0.0.0.0/0 gss compat_realm=1", "sspi"),
    ("local all all peer map=x ldapbindpasswd=y", "ldap"),
    (f"{HOST} md5 ldapbasedn=x", "ldap"),
    (f"{HOST} md5 x=1", "'x=1'"),
    (f"{HOST} md5 x", "name=value"),
    (f"{HOST} md5 =x", "'=x'"),
    (f'{HOST} md5 "x=1"', "'x=1'"),
    ("local all all peer map=a,,,b=c", "'b=c'"),
    ("hostssl all all 0.0.0.0/0 md5 clientcert=bogus", "verify-full"),
    ("hostssl all all 0.0.0.0/0 cert clientcert=verify-ca", "verify-full"),
    ("hostssl all all 0.0.0.0/0 md5 clientname=cn", "CN"),
    (f"{HOST} md5 clientcert=verify-full", "hostssl"),
    (f"{HOST} md5 clientname=CN", "hostssl"),
    ("hostnossl all all 0.0.0.0/0 md5 clientcert=verify-full", "hostssl"),
    (f"{HOST} ldap ldapserver=x", "ldapbasedn"),
    (f"{HOST} ldap ldapprefix= ldapbasedn=x", "mixed"),
    (
        f"{HOST} ldap ldapbasedn=x ldapsearchattribute=uid ldapsearchfilter=(uid=$username)",
        "together",
    ),
    (f"{HOST} ldap ldapport=0 ldapbasedn=x", "port"),
    (f"{HOST} ldap ldapport=4294967296 ldapbasedn=x", "port"),  # atoi: 0
    (f'{HOST} ldap ldapport="\xa05" ldapbasedn=x', "port"),  # NBSP is no C blank
    (f"{HOST} radius radiusservers=127.0.0.1", "radiussecrets"),
    (f"{HOST} radius radiussecrets=a", "radiusservers"),
    (f'{HOST} radius radiusservers=" " radiussecrets=a', "radiusservers"),
    (f'{HOST} radius radiusservers="127.0.0.1,,127.0.0.2" radiussecrets=a', "list"),
    (f'{HOST} radius radiusservers="127.0.0.1,127.0.0.2" radiussecrets="a,b,c"', "3 values"),
    (f'{HOST} radius radiusservers=127.0.0.1 radiussecrets=a radiusports="1,2"', "2 values"),
    (f'{HOST} radius radiusservers=127.0.0.1 radiussecrets=a radiusidentifiers="x,y"', "2 values"),
    (f'{HOST} radius radiusservers=127.0.0.1 radiussecrets=a radiusports="0"', "port"),
    (f'{HOST} radius radiusservers=127.0.0.1 radiussecrets=a radiusports="x"', "port"),
    (f'{HOST} radius radiusservers=127.0.0.1 radiussecrets="a,"', "list"),
    (f'{HOST} radius radiusservers=127.0.0.1 radiussecrets="a\x0cb"', "list"),  # \f is a blank
    (f'{HOST} radius radiusservers="""""" radiussecrets=a', "IP address"),
    (f"{HOST} radius radiusservers=nonexistent.invalid radiussecrets=a", "IP address"),
    ("local all all @/etc/hostname", "file"),
    (pad("local all all peer map=", 10_240), "10,240 bytes"),
    (pad('local all all peer map="', 10_239, '"'), "10,239 bytes"),  # the closing quote
    (pad("local all all peer map=", 10_239, ",x=1"), "10,239 bytes"),  # the comma
    ("local all all peer map=" + "é" * 5_118, "10,240 bytes"),
    ("local all all peer map=" + "a" * 11_040, "11,044 bytes"),
]

# PostgreSQL loads these, but their meaning depends on the server or they cannot travel as
# one line; rule_problems refuses them on purpose.
DELIBERATE = [
    ('local all all peer map="unbalanced', "never closed"),
    ("   # just a comment", "no rule"),
    ("", "no rule"),
    ("local all all peer \\", "backslash"),
    ("local all all peer map=a\nhost all all 0.0.0.0/0 trust", "newline"),
    ("local all all peer map=a\rb", "carriage return"),
    ("local all all peer map=a\0", "NUL"),
    ('local all all peer map="a\u2028b"', "U+2028"),
    ("host all all fe80::1%lo/64 md5", "zone id (%lo) is not accepted here"),
    (f'{HOST} ldap ldapurl="ldaps://h:636/dc=x"', "ldapurl"),
    (f"{HOST} radius radiusservers=localhost radiussecrets=a", "not an IP address"),
]


@pytest.mark.parametrize("line", LOADS, ids=lambda s: s[:60])
def test_lines_postgresql_loads_have_no_problems(line: str) -> None:
    assert rule_problems(line) == []


@pytest.mark.parametrize(("line", "word"), REFUSED, ids=lambda s: str(s)[:60])
def test_lines_postgresql_refuses_are_refused_naming_the_token(line: str, word: str) -> None:
    problems = rule_problems(line)
    assert problems, line
    assert any(word in p for p in problems), problems
    assert all(p.startswith(("token '", 'token "', "line: ")) for p in problems), problems


@pytest.mark.parametrize(("line", "word"), DELIBERATE, ids=lambda s: str(s)[:60])
def test_server_dependent_or_unportable_lines_are_refused(line: str, word: str) -> None:
    problems = rule_problems(line)
    assert any(word in p for p in problems), problems


@pytest.mark.parametrize("method", ["Trust", "TRUST", "bogus"])
def test_a_wrong_method_is_named_with_the_case_sensitive_list(method: str) -> None:
    assert extra_rule_problems(2, f"{HOST} {method}") == [
        f"rule [2] token '{method}': not a method PostgreSQL knows (methods are "
        "case-sensitive: " + ", ".join(METHODS) + ")"
    ]


def test_an_unknown_option_is_named() -> None:
    assert rule_problems("hostssl all all 0.0.0.0/0 scram-sha-256 x=1") == [
        "token 'x=1': not an option PostgreSQL knows (option names are case-sensitive)"
    ]


def test_an_11044_byte_token_is_refused() -> None:
    token = "ldapbasedn=" + "d" * (11_044 - len("ldapbasedn="))
    (problem,) = rule_problems(f"hostssl all all 0.0.0.0/0 {LDAP_TLS} {token}")
    assert problem.startswith("token 'ldapbasedn=ddd")
    assert "11,044 bytes after quote removal" in problem
    assert f"{MAX_TOKEN_BYTES:,}" in problem
    assert len(problem) < 200


def test_a_dotted_mask_after_the_slash_is_refused() -> None:
    assert rule_problems("host all all 10.0.0.0/255.0.0.0 md5") == [
        "token '10.0.0.0/255.0.0.0': invalid CIDR mask /255.0.0.0 (PostgreSQL: invalid CIDR "
        "mask in address): the prefix is 0 to 32; a netmask goes in its own column"
    ]
    assert rule_problems("host all all 10.0.0.0 255.0.0.0 md5") == []


def test_local_peer_is_accepted_by_both_layers() -> None:
    assert extra_rule_problems(0, "local all all peer") == []


def test_a_scram_hostssl_line_is_accepted_by_both_layers() -> None:
    assert extra_rule_problems(0, "hostssl immuta +analysts 10.20.0.0/16 scram-sha-256") == []


@pytest.mark.parametrize(("transport", "port"), [("ldaps", 636), ("starttls", 389)])
def test_the_projects_own_ldap_rule_is_accepted(transport: str, port: int) -> None:
    line = dataclasses.replace(PROJECT_RULE, transport=transport, port=port).render()
    assert rule_problems(line) == []
    assert unsafe_problems(line) == []


@pytest.mark.parametrize(
    ("line", "token", "word"),
    [
        (f"{HOST} trust", "trust", "without a password"),
        ('local all all "trust"', "trust", "without a password"),
        (f"{HOST} ident", "ident", "ident server"),
        ("hostssl all all 0.0.0.0/0 ident map=m", "ident", "ident server"),
        (f"{HOST} password", "password", "clear text"),
        ("hostssl all all 0.0.0.0/0 password", "password", "clear text"),
        ("local all @/etc/passwd peer", "@/etc/passwd", "includes a file"),
        ('local @"names.txt" all peer', "@names.txt", "includes a file"),
        (f"{HOST} ldap ldapserver=h ldapport=389 ldapbasedn=x", "ldap", "without TLS"),
        (f"{HOST} ldap ldapbasedn=x ldaptls=true", "ldaptls=true", "only ldaptls=1"),
        (f"{HOST} ldap ldapbasedn=x ldaptls=1 ldaptls=0", "ldaptls=0", "without TLS"),
        (f"{HOST} ldap ldapbasedn=x ldapscheme=LDAPS", "ldapscheme=LDAPS", "invalid ldapscheme"),
        (f"{HOST} ldap ldapbasedn=x ldaptls=1 ldapscheme=ldaps", "ldaptls=1", "every login"),
    ],
)
def test_policy_refuses_what_postgresql_loads(line: str, token: str, word: str) -> None:
    assert rule_problems(line) == []
    problems = unsafe_problems(line)
    assert any(p.startswith(f"token '{token}': ") and word in p for p in problems), problems


@pytest.mark.parametrize(
    "line",
    [
        "local all all ident",  # a socket: peer
        f"{HOST} ldap ldapbasedn=x ldaptls=1",
        f"{HOST} ldap ldapbasedn=x ldapscheme=ldaps",
        f"{HOST} ldap ldapbasedn=x ldapscheme=ldap ldaptls=1",
        'local "@/etc/passwd" all peer',  # a quoted name, no inclusion
        "local @ all peer",
        f"{HOST} md5",
    ],
)
def test_policy_lets_safe_rules_through(line: str) -> None:
    assert extra_rule_problems(1, line) == []


def test_extra_rule_problems_prefixes_both_layers_in_order() -> None:
    assert extra_rule_problems(3, "host @/etc/passwd all 0.0.0.0/0 Trust trust") == [
        "rule [3] token 'Trust': not a method PostgreSQL knows (methods are case-sensitive: "
        + ", ".join(METHODS)
        + ")",
        "rule [3] token '@/etc/passwd': includes a file as a list of names; write the names "
        "in the rule",
    ]


SECRET = "Tr0ub4dor&3-horse"


@pytest.mark.parametrize(
    "line",
    [
        f"{HOST} ldap ldapbasedn=x ldapbindpasswd={SECRET} x=1",
        f"{HOST} md5 ldapbindpasswd={SECRET}",
        f"{HOST} ldap ldapbasedn=x ldapbindpasswd={SECRET[:8]},{SECRET[8:]}",
        f"{HOST} ldap ldapbasedn=x ldapbindpasswd={SECRET[:8]} {SECRET[8:]}",
        f'{HOST} ldap ldapbasedn=x ldapbindpasswd="{SECRET}',
        f'{HOST} ldap ldapbasedn=x ldapbindpasswd=a "{SECRET}',
        f"{HOST} ldap ldapbasedn=x ldapbindpasswd={SECRET * 700}",
        f'{HOST} ldap ldapbasedn=x ldapprefix=p ldapbindpasswd="{SECRET}"',
        f"{HOST} ldap ldapserver=h ldapbindpasswd={SECRET} ldapbasedn=x",
        f'{HOST} radius radiusservers=127.0.0.1 radiussecrets="{SECRET},{SECRET[::-1]}"',
        f"{HOST} radius radiusservers=host.invalid radiussecrets={SECRET} {SECRET[::-1]}",
        f"{HOST} md5 radiussecrets={SECRET}",
    ],
)
def test_messages_never_show_a_secret_value(line: str) -> None:
    problems = extra_rule_problems(1, line)
    assert problems
    text = "\n".join(problems)
    for fragment in (SECRET, SECRET[:8], SECRET[8:], SECRET[::-1]):
        assert fragment not in text, text


def test_a_secret_option_is_shown_masked() -> None:
    (problem,) = rule_problems(f"{HOST} md5 ldapbindpasswd={SECRET}")
    assert problem.startswith(f"token 'ldapbindpasswd={MASK}': ")


@given(
    prefix=st.sampled_from([f"{HOST} ldap ldapbasedn=x", f"{HOST} radius radiusservers=::1"]),
    name=st.sampled_from(["ldapbindpasswd", "radiussecrets"]),
    secret=st.text(st.characters(codec="utf-8", exclude_characters="\r\n\0"), min_size=4),
    quoted=st.booleans(),
    tail=st.sampled_from(["", " x=1", " bogus", ' "', ",y", " ldaptls=1"]),
)
def test_no_secret_of_four_or_more_characters_is_ever_echoed(
    prefix: str, name: str, secret: str, quoted: bool, tail: str
) -> None:
    assume(secret not in MASK and secret.strip())  # scrub() cannot hide a piece of its mask
    value = '"' + secret.replace('"', '""') + '"' if quoted else secret  # what quote() writes
    problems = extra_rule_problems(1, f"{prefix} {name}={value}{tail}")
    assert all(secret not in p for p in problems), problems


@given(st.text(st.sampled_from(list(' \t,"#=@/\\+.:%ab019x\x0b')), max_size=40))
def test_rule_problems_never_raises(line: str) -> None:
    assert isinstance(rule_problems(line), list)
    assert isinstance(unsafe_problems(line), list)
