"""What an extra pg_hba rule must not be although PostgreSQL 15 loads it: trust, ident and
password over TCP, LDAP without TLS (or with both TLS kinds), any @file inclusion (pure)."""

from __future__ import annotations

from components.query_engine.hba_grammar import Rule, Tok, analyse, rule_problems, scrubbed


def unsafe_problems(line: str) -> list[str]:
    """Rules PostgreSQL loads but an extra rule must not be: trust, ident and password over
    TCP, LDAP without TLS (or with both TLS kinds: every login fails), any @file inclusion."""
    rule = analyse(line)
    out = Rule(secrets=rule.secrets)
    for tok in rule.includes:
        out.add(tok, "includes a file as a list of names; write the names in the rule")
    method, conn = rule.method, rule.conn or ""
    if method is not None and method.text == "trust":
        instead = (
            "peer (the operating system user) or scram-sha-256"
            if conn == "local"
            else "scram-sha-256 on a hostssl line (a PostgreSQL password) or ldap with "
            "ldaptls=1 (a directory password over StartTLS, as the stack's own rule)"
        )
        out.add(
            method,
            f"trust lets anyone who matches the rule in without a password; use {instead}",
        )
    if method is not None and conn.startswith("host") and method.text in ("ident", "password"):
        why = {
            "ident": "ident over TCP believes the client machine's ident server",
            "password": "password sends the password in clear text over TCP",
        }
        out.add(method, why[method.text] + "; use scram-sha-256, ldap or cert")
    if method is not None and method.text == "ldap":
        _ldap_tls(out, method, rule.options)
    return scrubbed(rule, out.problems)


def _ldap_tls(out: Rule, method: Tok, options: list[tuple[str, str, Tok]]) -> None:
    last = {name: (value, tok) for name, value, tok in options}
    tls, tls_tok = last.get("ldaptls", ("", None))
    scheme, scheme_tok = last.get("ldapscheme", ("ldap", None))
    if scheme_tok is not None and scheme not in ("ldap", "ldaps"):
        out.add(scheme_tok, "PostgreSQL 15 only logs an invalid ldapscheme, then uses plain LDAP")
    if tls == "1" and scheme == "ldaps":
        out.add(tls_tok, "StartTLS inside ldapscheme=ldaps: every login fails (TLS already on)")
    elif tls != "1" and scheme != "ldaps":
        hint = " (only ldaptls=1 turns StartTLS on)" if tls_tok is not None else ""
        out.add(
            tls_tok or method,
            "LDAP without TLS sends every password in clear text: add ldapscheme=ldaps or "
            f"ldaptls=1{hint}",
        )


def extra_rule_problems(index: int, line: str) -> list[str]:
    """Every problem with extra rule number `index`: PostgreSQL's, then the policy's."""
    problems = rule_problems(line)
    problems += [p for p in unsafe_problems(line) if p not in problems]
    return [f"rule [{index}] {p}" for p in problems]
