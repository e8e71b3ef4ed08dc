"""pg_hba.conf LDAP search+bind rules: a typed model, exact rendering and a parser (pure).

PostgreSQL splits a line on blanks and commas, so every option value is double-quoted; inside
quotes the only escape is `""` for `"`. No value may hold LF or NUL (a new line is a new rule)
nor CR (PostgreSQL keeps it inside quotes, but YAML normalises it to a line break on the way
through the Helm chart), and a token has at most MAX_TOKEN_BYTES. Everything else (backslashes,
`#`, commas, blanks, tabs, other control characters, non-ASCII) PostgreSQL 15 reads back
exactly, as the integration tests show.
Error messages name the option, never a secret value.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from components.okta.ldap_interface import Transport
from components.secret_text import MASK

# Role tokens are written unquoted, so they must need no quoting at all.
_BARE_TOKEN_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@-]*")
# Database names are written unquoted too; a plain name (at most 63 bytes) needs no quoting.
_DATABASE_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
# Words PostgreSQL reads as keywords in the database column, never as a database name.
RESERVED_DATABASES = frozenset({"all", "sameuser", "samerole", "samegroup", "replication"})
# Measured on PostgreSQL 15.18: a token (`name=value` after quote removal, in UTF-8) of more
# than 10,238 bytes is "authentication file token too long" and the rule is skipped.
MAX_TOKEN_BYTES = 10_238
SECRET_OPTIONS = frozenset({"ldapbindpasswd"})
YAML_LINE_BREAKS = "\u0085\u2028\u2029"  # NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR


class PgHbaError(ValueError):
    """A value that cannot be written into pg_hba.conf exactly; never quotes a secret."""


def carriable_problem(value: str) -> str | None:
    """Why PostgreSQL 15 could not read `value` back exactly as one quoted token, or None."""
    if value == "":
        return "must not be empty"
    for ch, name in (("\0", "a NUL byte"), ("\n", "a newline")):
        if ch in value:
            return f"must not contain {name} (it would end the rule and start another)"
    if "\r" in value:  # PostgreSQL 15 keeps it inside quotes, but YAML turns it into a newline
        return "must not contain a carriage return (a YAML line break on its way through Helm)"
    for ch in YAML_LINE_BREAKS:
        if ch in value:  # YAML 1.1 (the Helm chart's) reads these as line breaks too
            return f"must not contain U+{ord(ch):04X} (a YAML line break on its way through Helm)"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text (no lone surrogates)"
    return None


def database_problem(name: str) -> str | None:
    """Why `name` cannot be the database column of our rules, or None."""
    if name in RESERVED_DATABASES:
        return "a pg_hba keyword, not a database name"
    if not _DATABASE_RE.fullmatch(name):
        return "a plain PostgreSQL database name (letters, digits, _)"
    return None


def cidr_problem(address: str) -> str | None:
    """Why `address` is not a client network PostgreSQL reads as one CIDR column, or None."""
    if "/" not in address:  # without a prefix PostgreSQL reads a netmask column next
        return "write the prefix length, e.g. 10.0.0.0/8 or 192.0.2.7/32"
    if not address.rpartition("/")[2].isdigit():  # PostgreSQL refuses 10.0.0.0/255.0.0.0
        return "the prefix length is a number (10.0.0.0/8), not a netmask"
    try:
        ipaddress.ip_network(address, strict=True)
    except ValueError as exc:
        return str(exc)
    return None


def quote(option: str, value: str) -> str:
    """`value` as one pg_hba token, `"` doubled; raises PgHbaError naming only the option."""
    problem = carriable_problem(value)
    if problem is None and len(f"{option}={value}".encode()) > MAX_TOKEN_BYTES:
        problem = f"is too long for one pg_hba.conf token ({MAX_TOKEN_BYTES} bytes at most)"
    if problem is not None:
        raise PgHbaError(f"pg_hba option {option}: the value {problem}")
    return '"' + value.replace('"', '""') + '"'


def _bare(kind: str, value: str) -> str:
    if not _BARE_TOKEN_RE.fullmatch(value):
        raise PgHbaError(
            f"pg_hba {kind} {value!r}: only letters, digits and _ . @ - are allowed here "
            "(it is written unquoted)"
        )
    return value


def _check_common(role: str, address: str, port: int, transport: str, database: str) -> None:
    if transport not in ("ldaps", "starttls"):
        raise PgHbaError(f"transport {transport!r}: must be ldaps or starttls")
    if not 1 <= port <= 65535:
        raise PgHbaError(f"ldapport {port}: must be 1 to 65535")
    cidr = cidr_problem(address)
    if cidr is not None:
        raise PgHbaError(f"address {address!r}: not a CIDR network ({cidr})")
    _bare("role", role)
    problem = database_problem(database)
    if problem is not None:
        raise PgHbaError(f"database {database!r}: {problem}")


def _render(database: str, role: str, address: str, options: list[tuple[str, str]]) -> str:
    """Exactly one pg_hba.conf line (no newline); every option value quoted."""
    opts = " ".join(f"{name}={quote(name, value)}" for name, value in options)
    return f"hostssl {database} +{role} {address} ldap {opts}"


def _tls(transport: Transport) -> tuple[str, str]:
    """TLS by ldaps or StartTLS, never both (both parse, and then every login fails)."""
    return ("ldapscheme", "ldaps") if transport == "ldaps" else ("ldaptls", "1")


@dataclass(frozen=True)
class LdapSearchBindRule:
    """One `hostssl` rule: members of `role` log in to `database` by LDAP search+bind."""

    role: str  # group role; rendered `+role` (member of), never quoted
    address: str  # client CIDR, e.g. 0.0.0.0/0
    server: str
    port: int
    transport: Transport
    base_dn: str
    bind_dn: str
    bind_password: str = field(repr=False)
    search_attribute: str | None = "uid"
    search_filter: str | None = None
    database: str = "immuta"

    def __post_init__(self) -> None:
        if (self.search_attribute is None) == (self.search_filter is None):
            raise PgHbaError("set exactly one of ldapsearchattribute and ldapsearchfilter")
        _check_common(self.role, self.address, self.port, self.transport, self.database)

    def options(self) -> list[tuple[str, str]]:
        """The options in the order they are written."""
        search = (
            ("ldapsearchattribute", self.search_attribute)
            if self.search_attribute is not None
            else ("ldapsearchfilter", self.search_filter or "")
        )
        return [
            ("ldapserver", self.server),
            ("ldapport", str(self.port)),
            _tls(self.transport),
            ("ldapbasedn", self.base_dn),
            search,
            ("ldapbinddn", self.bind_dn),
            ("ldapbindpasswd", self.bind_password),
        ]

    def render(self) -> str:
        return _render(self.database, self.role, self.address, self.options())


@dataclass(frozen=True)
class LdapSimpleBindRule:
    """One `hostssl` rule: members of `role` log in by binding as `prefix + user + suffix`.

    No service account and no password in the rule. PostgreSQL does not escape the user name
    here: the DN is the role name as typed (tests/integration/test_simple_bind.py shows what
    `+ , = " \\ #` and blanks do).
    """

    role: str
    address: str
    server: str
    port: int
    transport: Transport
    prefix: str  # e.g. uid=
    suffix: str  # e.g. ,dc=acme,dc=okta,dc=com
    database: str = "immuta"

    def __post_init__(self) -> None:
        _check_common(self.role, self.address, self.port, self.transport, self.database)

    def options(self) -> list[tuple[str, str]]:
        return [
            ("ldapserver", self.server),
            ("ldapport", str(self.port)),
            _tls(self.transport),
            ("ldapprefix", self.prefix),
            ("ldapsuffix", self.suffix),
        ]

    def render(self) -> str:
        return _render(self.database, self.role, self.address, self.options())


# --- parsing: the same line format, as PostgreSQL 15 tokenizes it ------------------------


@dataclass(frozen=True)
class Token:
    text: str  # after quote removal
    quoted: bool
    start: int  # span in the line
    end: int


@dataclass(frozen=True)
class HbaLine:
    conn_type: str
    databases: tuple[Token, ...]
    users: tuple[Token, ...]
    address: str
    method: str
    options: tuple[tuple[str, str, Token], ...]  # (name, value, token)

    def option(self, name: str) -> str | None:
        """The value PostgreSQL uses: a repeated option's last value wins."""
        values = [value for n, value, _ in self.options if n == name]
        return values[-1] if values else None


def tokens(line: str) -> list[list[Token]]:
    """Fields of tokens; commas join tokens into one field, blanks separate fields."""
    fields: list[list[Token]] = []
    i, n = 0, len(line)
    joined = False
    while i < n:
        while i < n and line[i] in " \t":
            i += 1
        if i >= n or line[i] == "#":
            break
        start, text, quoted, in_quote = i, [], False, False
        while i < n:
            ch = line[i]
            if in_quote:
                if ch == '"':
                    if i + 1 < n and line[i + 1] == '"':
                        text.append('"')
                        i += 2
                        continue
                    in_quote = False
                else:
                    text.append(ch)
                i += 1
                continue
            if ch in " \t,#":
                break
            if ch == '"':
                in_quote = quoted = True
            else:
                text.append(ch)
            i += 1
        if in_quote:
            raise PgHbaError("unbalanced quote: the value would run to the end of the line")
        token = Token("".join(text), quoted, start, i)
        if joined:
            fields[-1].append(token)
        else:
            fields.append([token])
        joined = i < n and line[i] == ","
        if joined:
            i += 1
    return fields


def parse_line(line: str) -> HbaLine:
    """Parse one `host*` pg_hba.conf line with an address column."""
    if any(ch in line for ch in "\r\n\0"):
        raise PgHbaError("a pg_hba.conf rule is one line: no CR, LF or NUL")
    if line.rstrip(" \t").endswith("\\"):
        raise PgHbaError("a trailing backslash would join the next line to this rule")
    fields = tokens(line)
    if len(fields) < 5:
        raise PgHbaError("expected: type database user address method [options]")
    conn, dbs, users, address, method, *rest = fields
    options = []
    for token in (t for f in rest for t in f):  # each comma-separated token is an option
        name, sep, value = token.text.partition("=")
        if not sep:
            raise PgHbaError(f"option {name!r} is not in name=value form")
        options.append((name, value, token))
    return HbaLine(
        conn_type=conn[0].text,
        databases=tuple(dbs),
        users=tuple(users),
        address=address[0].text,
        method=method[0].text,
        options=tuple(options),
    )


def redact(line: str, secret_options: frozenset[str] = SECRET_OPTIONS) -> str:
    """The line with every secret option's value masked, for plans and logs."""
    try:
        parsed = parse_line(line)
    except PgHbaError:
        return "[unparseable pg_hba rule hidden]"
    out, last = [], 0
    for name, _, token in parsed.options:
        if name in secret_options:
            out += [line[last : token.start], f"{name}={MASK}"]
            last = token.end
    return "".join(out) + line[last:]
