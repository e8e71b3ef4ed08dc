"""The pg_hba line deployed today next to the one the stack renders, and what differs in meaning.

The line from the manual page has no address column; components.query_engine.pg_hba.parse_line
would read it column by column and take `ldap` for the address, so this module reads the same
tokens (pg_hba.tokens, PostgreSQL's tokenizer) loosely: when the fourth column is a method
name followed by options, the address is missing. Whether PostgreSQL 15 loads a line at all is
hba_grammar.rule_problems' verdict. Every shown line and value has the bind password masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from components.query_engine.hba_grammar import METHODS, rule_problems
from components.query_engine.pg_hba import SECRET_OPTIONS, PgHbaError, tokens
from components.secret_text import MASK, scrub

UNPARSEABLE = "[unparseable pg_hba rule hidden]"
SECRETS = SECRET_OPTIONS | {"radiussecrets"}
OPTIONS = frozenset(
    {
        "ldapurl",
        "ldaptls",
        "ldapscheme",
        "ldapserver",
        "ldapport",
        "ldapbinddn",
        "ldapbindpasswd",
        "ldapsearchattribute",
        "ldapsearchfilter",
        "ldapbasedn",
        "ldapprefix",
        "ldapsuffix",
        "radiusservers",
        "radiusports",
        "radiussecrets",
        "radiusidentifiers",
        "map",
        "clientcert",
        "clientname",
        "pamservice",
        "pam_use_hostname",
        "krb_realm",
        "include_realm",
        "compat_realm",
        "upn_username",
    }
)
DN_OPTIONS = ("ldapbasedn", "ldapbinddn")
COMPARED = (
    "ldapserver",
    "ldapbasedn",
    "ldapsearchattribute",
    "ldapsearchfilter",
    "ldapbinddn",
    "ldapprefix",
    "ldapsuffix",
)
SOURCES = {  # where the stack's value of each option comes from
    "ldapserver": "ldapHost, else <org>.ldap.<domain> (Okta's LDAP Interface)",
    "ldapbasedn": "the org's users: ou=users,<root DN>",
    "ldapsearchattribute": "uid, unless queryEngineSearchFilter is set",
    "ldapsearchfilter": "queryEngineSearchFilter",
    "ldapbinddn": "the Query Engine's own bind account (queryEngineBindLogin, or sharedBindLogin) "
    "in Okta's bind DN form",
    "ldapprefix": "simpleBind: users bind at Okta's bind DN form",
    "ldapsuffix": "simpleBind: users bind at Okta's bind DN form",
}
TLS_MEANING = (
    "StartTLS (ldaptls=1, port 389) ends every login within LDAPTIMEOUT or "
    "authentication_timeout when Okta stalls; LDAPS logins stay stuck and hold connections "
    '(see docs/query-engine.md, "When Okta stalls")'
)


def mask_line(line: str, secrets: Iterable[str] = ()) -> str:
    """`line` with every secret option's value masked wherever it stands, and known secrets."""
    try:
        fields = tokens(line)
    except PgHbaError:
        return UNPARSEABLE
    out, last = [], 0
    for tok in (t for f in fields for t in f):
        name, sep, _ = tok.text.partition("=")
        if sep and name in SECRETS:
            out += [line[last : tok.start], f"{name}={MASK}"]
            last = tok.end
    return scrub("".join(out) + line[last:], secrets)


@dataclass(frozen=True)
class Option:
    value: str
    quoted: bool


@dataclass(frozen=True)
class HbaView:
    """One line read loosely: columns, options, and the flaws PostgreSQL would not forgive."""

    conn: str
    database: str
    user: str  # the user column's text after quote removal
    user_quoted: bool
    address: str | None  # None: the column is missing
    method: str
    options: dict[str, Option]  # the last value of each option wins, as in PostgreSQL
    fragments: dict[str, list[str]] = field(default_factory=dict)  # option -> split-off pieces
    problems: tuple[str, ...] = ()  # why PostgreSQL 15 would not load it (masked)

    @property
    def role(self) -> str | None:
        return self.user[1:] if self.user.startswith("+") and not self.user_quoted else None

    def transport(self) -> str:
        tls = self.options.get("ldaptls", Option("", False)).value == "1"
        ldaps = self.options.get("ldapscheme", Option("", False)).value == "ldaps"
        return {
            (True, True): "both (every login fails)",
            (False, True): "ldaps",
            (True, False): "starttls",
            (False, False): "none (clear text)",
        }[(tls, ldaps)]


def read_line(line: str) -> HbaView | None:
    """The line's columns and options, or None when it cannot be tokenized."""
    try:
        fields = tokens(line)
    except PgHbaError:
        return None
    if len(fields) < 4:
        return None
    first = [f[0] for f in fields]
    conn, database, user = first[0].text, first[1].text, first[2]
    rest = fields[3:]
    address: str | None = None
    if conn != "local" and not (
        rest[0][0].text in METHODS and len(rest) > 1 and "=" in rest[1][0].text
    ):
        address, rest = rest[0][0].text, rest[1:]
    if not rest:
        return None
    method, option_tokens = rest[0][0].text, [t for f in rest[1:] for t in f]
    options: dict[str, Option] = {}
    fragments: dict[str, list[str]] = {}
    previous = ""
    for tok in option_tokens:
        name, sep, value = tok.text.partition("=")
        if sep and name in OPTIONS:
            options[name] = Option(value, tok.quoted)
            previous = name
        elif previous:
            piece = MASK if previous in SECRETS else tok.text
            fragments.setdefault(previous, []).append(piece)
    return HbaView(
        conn=conn,
        database=database,
        user=user.text,
        user_quoted=user.quoted,
        address=address,
        method=method,
        options=options,
        fragments=fragments,
        problems=tuple(rule_problems(line)),
    )


def normal_dn(dn: str) -> str:
    """A DN compared as LDAP compares it: blanks around separators and attribute case ignored."""
    parts = re.split(r"(?<!\\),", dn)
    out = []
    for part in parts:
        attr, _, value = part.partition("=")
        out.append(f"{attr.strip().casefold()}={value.strip().casefold()}")
    return ",".join(out)


@dataclass(frozen=True)
class Comparison:
    today: str  # masked
    after: tuple[str, ...]  # masked, one per client network
    rows: tuple[tuple[str, str, str, str], ...]  # aspect, today, after the first up, meaning


def _shown(view: HbaView, name: str) -> str:
    option = view.options.get(name)
    if option is None:
        return "(not set)"
    value = MASK if name in SECRETS else option.value
    return f'"{value}"' if option.quoted else f"{value} (unquoted)"


def compare(today: str, rendered: Sequence[str], secrets: Iterable[str] = ()) -> Comparison:
    """What the first up changes when `rendered` replaces the deployed line `today`."""
    known = list(secrets)
    now, want = read_line(today), read_line(rendered[0]) if rendered else None
    rows: list[tuple[str, str, str, str]] = []
    after_lines = tuple(mask_line(r, known) for r in rendered)
    if now is None or want is None:
        rows.append(
            (
                "line",
                "cannot be read (an unclosed quote?)",
                "rendered by the stack",
                "PostgreSQL would read the rest of the line as one value",
            )
        )
        return Comparison(mask_line(today, known), after_lines, tuple(rows))
    if now.problems:
        rows.append(
            (
                "PostgreSQL 15 loads",
                "no: " + scrub(now.problems[0], known).split(" (")[0],
                "yes",
                "one bad line keeps PostgreSQL from loading pg_hba.conf at all",
            )
        )
    views = [read_line(r) for r in rendered]
    addresses = ", ".join(v.address for v in views if v is not None and v.address)
    if now.address != want.address or len(rendered) > 1:
        meaning = (
            "one rule per client network (queryEngineClientCidrs)"
            if now.address
            else "without it PostgreSQL takes `ldap` for the address and the first option "
            "for the method: 'invalid authentication method'"
        )
        rows.append(("address column", now.address or "(missing)", addresses, meaning))
    if now.user != want.user or now.user_quoted != want.user_quoted:
        meaning = (
            "quoted, it names a role called '+...', not the members of the role"
            if now.user_quoted
            else "members of Immuta's role <IAM id>_user"
        )
        user_now = f'"{now.user}"' if now.user_quoted else now.user
        rows.append(("user column", user_now, want.user, meaning))
    if now.transport() != want.transport():
        rows.append(("TLS", now.transport(), want.transport(), TLS_MEANING))
    if _shown(now, "ldapport") != _shown(want, "ldapport"):
        rows.append(
            (
                "ldapport",
                _shown(now, "ldapport"),
                _shown(want, "ldapport"),
                "follows ldapTransport (389 StartTLS, 636 LDAPS) or ldapPort",
            )
        )
    for name in COMPARED:
        a, b = now.options.get(name), want.options.get(name)
        if a is None and b is None:
            continue
        same_value = (
            a is not None
            and b is not None
            and (
                normal_dn(a.value) == normal_dn(b.value)
                if name in DN_OPTIONS
                else a.value == b.value
            )
        )
        if same_value and a is not None and b is not None and a.value != b.value:
            rows.append((name, _shown(now, name), _shown(want, name), "the same DN (blanks only)"))
        elif not same_value:
            meaning = SOURCES.get(name, "the stack's value")
            if a is not None and "`" in a.value:
                meaning = "holds backquotes copied from the page's formatting: Okta has no such DN"
            rows.append((name, _shown(now, name), _shown(want, name), meaning))
    for name, pieces in sorted(now.fragments.items()):
        rows.append(
            (
                f"{name} quoting",
                f"split at an unquoted comma or blank: {' '.join(pieces)}",
                "one double-quoted value",
                "PostgreSQL reads each piece as another option",
            )
        )
    unquoted = sorted(n for n, o in now.options.items() if not o.quoted and n not in SECRETS)
    if unquoted:
        rows.append(
            (
                "quoting",
                "unquoted: " + ", ".join(unquoted),
                "every value double-quoted",
                'a value with a blank, comma, # or " would be cut or change the rule',
            )
        )
    if "ldapbindpasswd" in now.options or "ldapbindpasswd" in want.options:
        rows.append(
            (
                "ldapbindpasswd",
                _shown(now, "ldapbindpasswd"),
                _shown(want, "ldapbindpasswd"),
                "the Query Engine account's password as the stack sets it (quoted, \" doubled)",
            )
        )
    return Comparison(mask_line(today, known), after_lines, tuple(rows))
