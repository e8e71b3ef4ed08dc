"""PostgreSQL 15's pg_hba.conf grammar, for user-supplied extra rules (pure, no I/O).

`rule_problems(line)` is empty exactly when PostgreSQL 15 loads the line (checked against a
real 15.18 by tests/integration/test_pg_hba_grammar.py), for a build with SSL, GSSAPI, PAM and
LDAP (Debian, PGDG, the official images; SSPI and BSD auth are not built on Linux) running
with ssl=on. It follows src/backend/libpq/hba.c (next_token, parse_hba_line,
parse_hba_auth_opt) and the C library functions it calls (getaddrinfo with AI_NUMERICHOST,
inet_aton, strtol, atoi) and SplitGUCList. What PostgreSQL only finds out at login (a wrong
server, ldaptls=1 inside ldapscheme=ldaps) is not a load error; the policy layer covers some.

It also refuses, although PostgreSQL would load them, lines whose meaning depends on the
server machine or that cannot travel through Helm as one line:
- what pg_hba.carriable_problem refuses: LF, NUL, CR and the other YAML line breaks (U+0085,
  U+2028, U+2029); a trailing backslash (joins the next line); an unclosed double quote (runs
  to the end of the line); a blank or comment-only line (no rule at all);
- `@file` outside the database and user columns (the grammar then depends on the file);
- `ldapurl` (libldap parses it; write the separate ldap* options instead);
- RADIUS servers by host name (PostgreSQL resolves them when it loads the file);
- IPv6 zone names such as `fe80::1%eth0` (they depend on the server's interfaces).
An `@file` in the database or user column is grammar: PostgreSQL loads it when the file
exists there. `unsafe_problems` refuses it, with trust, ident/password over TCP and LDAP
without TLS (hba_policy.py). Tokens come from pg_hba.tokens; messages never show a secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from components.query_engine.hba_address import mask_problem, missing_mask, parse_address
from components.query_engine.hba_libc import ZoneName, atoi, numeric_family, split_guc_list
from components.query_engine.pg_hba import MAX_TOKEN_BYTES, PgHbaError, carriable_problem, tokens
from components.secret_text import MASK, scrub

__all__ = ["CONNECTION_TYPES", "METHODS", "Rule", "Tok", "analyse", "rule_problems", "scrubbed"]

CONNECTION_TYPES = ("local", "host", "hostssl", "hostnossl", "hostgssenc", "hostnogssenc")
# The methods a Linux build of PostgreSQL 15 loads; names are compared case-sensitively.
METHODS = (
    "trust", "reject", "scram-sha-256", "md5", "password", "gss", "ident", "peer", "pam",
    "ldap", "radius", "cert",
)  # fmt: skip
_NOT_BUILT = {"sspi": "only Windows builds have it", "bsd": "only OpenBSD builds have it"}
SECRET_OPTIONS = frozenset({"ldapbindpasswd", "radiussecrets"})
# next_token's buffer keeps MAX_TOKEN - 1 = 10,239 bytes; reading one more character of the
# token (a closing quote, a terminating comma, anything) is "authentication file token too
# long". So a quoted token holds 10,238 bytes (MAX_TOKEN_BYTES), a bare one 10,239.
_TOKEN_BUFFER = MAX_TOKEN_BYTES + 1
_LDAP_OPTIONS = (
    "ldapurl", "ldaptls", "ldapscheme", "ldapserver", "ldapport", "ldapbinddn",
    "ldapbindpasswd", "ldapsearchattribute", "ldapsearchfilter", "ldapbasedn", "ldapprefix",
    "ldapsuffix",
)  # fmt: skip
_RADIUS_OPTIONS = ("radiusservers", "radiusports", "radiussecrets", "radiusidentifiers")
# Which methods take each option (after `local ... ident` became peer, as hba.c does).
_OPTION_METHODS: dict[str, frozenset[str]] = {
    "map": frozenset({"ident", "peer", "gss", "sspi", "cert"}),
    "pamservice": frozenset({"pam"}),
    "pam_use_hostname": frozenset({"pam"}),
    "krb_realm": frozenset({"gss", "sspi"}),
    "include_realm": frozenset({"gss", "sspi"}),
    "compat_realm": frozenset({"sspi"}),
    "upn_username": frozenset({"sspi"}),
    **{name: frozenset({"ldap"}) for name in _LDAP_OPTIONS},
    **{name: frozenset({"radius"}) for name in _RADIUS_OPTIONS},
}
_HOSTSSL_OPTIONS = {"clientcert": ("verify-full", "verify-ca"), "clientname": ("CN", "DN")}
_KNOWN_OPTIONS = frozenset({*_OPTION_METHODS, *_HOSTSSL_OPTIONS})


@dataclass(frozen=True)
class Tok:
    """A token as PostgreSQL sees it: `quoted` is next_token's initial_quote."""

    text: str
    quoted: bool
    raw: str  # the token as written
    comma: bool  # ended by a comma (PostgreSQL reads that comma as part of the token)
    masked: bool = False  # may be a piece of a secret value: never shown

    @property
    def is_include(self) -> bool:
        return not self.quoted and self.text.startswith("@") and len(self.text.encode()) > 1


@dataclass
class Rule:
    problems: list[str] = field(default_factory=list)
    conn: str | None = None
    method: Tok | None = None
    options: list[tuple[str, str, Tok]] = field(default_factory=list)
    includes: list[Tok] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)

    def add(self, token: Tok | None, what: str) -> None:
        self.problems.append(f"{_name(token)}: {what}")


def _name(token: Tok | None) -> str:
    if token is None:
        return "line"
    if token.masked:
        return f"token '{MASK}'"
    name, sep, _ = token.text.partition("=")
    text = f"{name}={MASK}" if sep and name in SECRET_OPTIONS else token.text
    if len(text) > 60:
        text = f"{text[:40]}... ({len(token.text.encode())} bytes)"
    return f"token {text!r}"


# --- the line -------------------------------------------------------------------------------


def _fields(line: str, rule: Rule) -> list[list[Tok]] | None:
    """The fields PostgreSQL reads, or None after adding the problem that stops it."""
    if not line.strip(" \t"):
        rule.add(None, "no rule here (a blank line)")
        return None
    problem = carriable_problem(line)
    if problem is not None:
        rule.add(None, problem)
        return None
    if line.rstrip(" \t").endswith("\\"):
        rule.add(None, "ends in a backslash, which would join the next line to this rule")
        return None
    try:
        raw_fields = tokens(line)
    except PgHbaError:
        last = tokens(line + '"')[-1][-1]  # the token that runs to the end of the line
        after_secret = any(f"{name}=" in line[: last.start] for name in SECRET_OPTIONS)
        tok = Tok(last.text, False, line[last.start :], False, masked=after_secret)
        rule.add(tok, "its double quote is never closed (PostgreSQL reads the rest of the line)")
        return None
    fields: list[list[Tok]] = []
    after_secret = False
    for raw_field in raw_fields:
        toks: list[Tok] = []
        for t in raw_field:
            if t.start == t.end:  # a stray comma: next_token skips commas before a token
                continue
            name, sep, value = t.text.partition("=")
            masked = after_secret and len(fields) >= 4 and not (sep and name in _KNOWN_OPTIONS)
            raw = line[t.start : t.end]
            comma = line[t.end : t.end + 1] == ","
            toks.append(Tok(t.text, raw.startswith('"'), raw, comma, masked))
            if len(fields) >= 4 and sep and name in SECRET_OPTIONS:
                after_secret = True
                rule.secrets += [value, *(split_guc_list(value) or [])]
        if toks:
            fields.append(toks)
    if not fields:
        rule.add(None, "no rule here (only a comment)")
        return None
    for tok in (t for f in fields for t in f):
        size = len(tok.text.encode())
        read_past = tok.raw.endswith('"') or tok.comma  # one more character read into the buffer
        if size > _TOKEN_BUFFER or (size == _TOKEN_BUFFER and read_past):
            rule.add(
                tok,
                f"{size:,} bytes after quote removal: PostgreSQL 15 refuses a token over "
                f"{MAX_TOKEN_BYTES:,} bytes (authentication file token too long)",
            )
    rule.includes = [t for f in fields for t in f if t.is_include]
    for tok in (t for i, f in enumerate(fields) if i not in (1, 2) for t in f if t.is_include):
        rule.add(tok, "includes a file outside the database and user columns")
    return None if rule.problems else fields


def _one(rule: Rule, tokens: list[Tok], column: str) -> Tok | None:
    if len(tokens) > 1:
        rule.add(tokens[1], f"the {column} column takes one value, not a comma-separated list")
        return None
    return tokens[0]


def _address(rule: Rule, fields: list[list[Tok]], i: int) -> int | None:
    """Check the address (and netmask) columns at fields[i]; the index after them."""
    if i >= len(fields):
        rule.add(fields[-1][-1], "the line ends before the address column")
        return None
    tok = _one(rule, fields[i], "address")
    if tok is None:
        return None
    if not tok.quoted and tok.text in ("all", "samehost", "samenet"):
        return i + 1
    address = parse_address(tok.text)
    if address.problem is not None:
        rule.add(tok, address.problem)
        return None
    if address.family is None or not address.needs_mask:
        return i + 1
    if i + 1 >= len(fields):
        rule.add(tok, missing_mask(tok.text, address.family))
        return None
    mask = _one(rule, fields[i + 1], "netmask")
    if mask is None:
        return None
    problem = mask_problem(tok.text, address.family, mask.text, METHODS)
    if problem is not None:
        rule.add(mask, problem)
        return None
    return i + 2


def _method(rule: Rule, tok: Tok, conn: str) -> str | None:
    name = tok.text
    if name in _NOT_BUILT:
        rule.add(tok, f"PostgreSQL 15 on Linux does not support this method ({_NOT_BUILT[name]})")
        return None
    if name not in METHODS:
        rule.add(
            tok,
            "not a method PostgreSQL knows (methods are case-sensitive: "
            + ", ".join(METHODS)
            + ")",
        )
        return None
    if conn == "local" and name == "ident":
        name = "peer"  # hba.c: ident on a local socket is peer
    if conn == "local" and name == "gss":
        rule.add(tok, "gss is not supported on local sockets")
    elif conn != "local" and name == "peer":
        rule.add(tok, "peer works on local sockets only")
    elif conn != "hostssl" and name == "cert":
        rule.add(tok, "cert works on hostssl lines only")
    return name


def _option(rule: Rule, tok: Tok, conn: str, method: str) -> str | None:
    """Check one option; its name when it is valid."""
    name, sep, value = tok.text.partition("=")
    if not sep:
        rule.add(tok, "not an option in name=value form")
        return None
    if name in _HOSTSSL_OPTIONS:
        allowed = _HOSTSSL_OPTIONS[name]
        if conn != "hostssl":
            rule.add(tok, f"{name} only works on hostssl lines")
        elif value not in allowed:
            rule.add(tok, f"{name} must be {' or '.join(allowed)} (case-sensitive)")
        elif method == "cert" and value == "verify-ca":
            rule.add(tok, "cert authentication always verifies fully: clientcert=verify-full")
        else:
            return name
        return None
    methods = _OPTION_METHODS.get(name)
    if methods is None:
        rule.add(tok, "not an option PostgreSQL knows (option names are case-sensitive)")
        return None
    if method not in methods:
        rule.add(tok, f"{name} is only for method {' or '.join(sorted(methods))}, not {method}")
        return None
    if name == "ldapurl":
        rule.add(
            tok,
            "ldapurl is not accepted here (libldap parses it): write ldapserver, ldapport, "
            "ldapscheme, ldapbasedn and ldapsearchattribute or ldapsearchfilter",
        )
        return None
    if name == "ldapport" and atoi(value) == 0:
        rule.add(tok, "not a port number (PostgreSQL reads it with atoi and refuses 0)")
        return None
    if name in _RADIUS_OPTIONS:
        items = split_guc_list(value)
        if items is None:
            rule.add(tok, "not a comma-separated list PostgreSQL can split")
            return None
        if name == "radiusports" and any(atoi(p) == 0 for p in items):
            rule.add(tok, "every RADIUS port must be a number other than 0")
            return None
        if name == "radiusservers":
            return name if _radius_servers(rule, tok, items) else None
    return name


def _radius_servers(rule: Rule, tok: Tok, servers: list[str]) -> bool:
    for server in servers:
        try:
            numeric = numeric_family(server) is not None
        except ZoneName:
            numeric = False
        if not numeric:
            rule.add(
                tok,
                f"RADIUS server {server!r} is not an IP address (PostgreSQL resolves names "
                "when it loads the file, so only an address can be checked here)",
            )
            return False
    return True


def _ldap_and_radius(rule: Rule, method: Tok, name: str, seen: dict[str, str]) -> None:
    """parse_hba_line's checks once all options are read (the last value of an option wins)."""
    if name == "ldap":
        search = [o for o in ("ldapbasedn", "ldapbinddn", "ldapbindpasswd",
                              "ldapsearchattribute", "ldapsearchfilter") if o in seen]  # fmt: skip
        if "ldapprefix" in seen or "ldapsuffix" in seen:
            if search:
                rule.add(
                    method,
                    f"simple bind (ldapprefix/ldapsuffix) mixed with search+bind ({search[0]})",
                )
        elif "ldapbasedn" not in seen:
            rule.add(method, "ldap needs ldapbasedn (search+bind) or ldapprefix/ldapsuffix")
        if "ldapsearchattribute" in seen and "ldapsearchfilter" in seen:
            rule.add(method, "ldapsearchattribute and ldapsearchfilter cannot be used together")
    if name == "radius":
        lists = {o: split_guc_list(seen.get(o, "")) or [] for o in _RADIUS_OPTIONS}
        servers = len(lists["radiusservers"])
        missing = [o for o in ("radiusservers", "radiussecrets") if not lists[o]]
        for option in missing:
            rule.add(method, f"radius needs {option} (a non-empty list)")
        for option in () if missing else ("radiussecrets", "radiusports", "radiusidentifiers"):
            count = len(lists[option])
            if count not in (0, 1, servers) or (count == 0 and option == "radiussecrets"):
                rule.add(
                    method, f"{option} lists {count} values for {servers} servers (1 or {servers})"
                )


def analyse(line: str) -> Rule:
    rule = Rule()
    fields = _fields(line, rule)
    if fields is None:
        return rule
    conn_tok = _one(rule, fields[0], "connection type")
    if conn_tok is None:
        return rule
    if conn_tok.text not in CONNECTION_TYPES:
        kinds = ", ".join(CONNECTION_TYPES)
        rule.add(conn_tok, f"not a connection type PostgreSQL knows (case-sensitive: {kinds})")
        return rule
    rule.conn = conn = conn_tok.text
    for i, column in ((1, "database"), (2, "user")):
        if i >= len(fields):
            rule.add(fields[-1][-1], f"the line ends before the {column} column")
            return rule
    next_field = 3 if conn == "local" else _address(rule, fields, 3)
    if next_field is None:
        return rule
    if next_field >= len(fields):
        rule.add(fields[-1][-1], "the line ends before the method column")
        return rule
    rule.method = _one(rule, fields[next_field], "method")
    if rule.method is None:
        return rule
    method = _method(rule, rule.method, conn)
    options = [t for f in fields[next_field + 1 :] for t in f]
    seen: dict[str, str] = {}
    for tok in options:
        name, _, value = tok.text.partition("=")
        rule.options.append((name, value, tok))
        if method is not None and _option(rule, tok, conn, method) is not None:
            seen[name] = value
    if method is not None and not rule.problems:
        _ldap_and_radius(rule, rule.method, method, seen)
    return rule


def scrubbed(rule: Rule, problems: list[str]) -> list[str]:
    return [scrub(p, rule.secrets) for p in problems]


def rule_problems(line: str) -> list[str]:
    """Why PostgreSQL 15 would not load `line` as one pg_hba rule; empty when it would."""
    rule = analyse(line)
    return scrubbed(rule, rule.problems)
