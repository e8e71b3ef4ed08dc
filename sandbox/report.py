"""What the sandbox tells people (a short summary) and scripts (`--json` connection facts).

The summary holds no password except a generated `--user` password, shown once; psql reads
the sample users' passwords from the sandbox's pgpass file. `--json` holds the sample users'
passwords on purpose: they are local sandbox credentials, gone when the sandbox stops.
"""

from __future__ import annotations

import os
import shlex
from typing import Any

from rehearsal.servers import CHART_CATCH_ALL
from sandbox.immuta import OKTA_LDAPS_PORT
from sandbox.run import Sandbox

NOT_REHEARSED = (
    "Not rehearsed: Okta itself (the directory is slapd in the LDAP Interface's layout, and "
    "sign-on is the model's answer, not Okta's), MFA prompts (the sandbox directory takes the "
    "password alone), and the Kubernetes rollout of the Helm release."
)


def psql_command(sb: Sandbox, login: str) -> str:
    pg = sb.postgres
    conninfo = (
        f"host=127.0.0.1 port={pg.port} dbname={sb.desired.database} user={login} "
        f"sslmode=verify-full sslrootcert={sb.ca.cert}"
    )
    return f"PGPASSFILE={shlex.quote(str(sb.pgpass))} psql {shlex.quote(conninfo)}"


# verify's skip for checks that read Okta's Management API (the sandbox blanks its credentials)
OKTA_SKIPS = ("no Okta credentials", "no Okta API token")
OKTA_REASON = "the sandbox has no Okta Management API"
FOLDER_GONE = "its servers stop and its folder is removed as it exits, so no file is named here"


def _skip_reason(check: dict[str, Any]) -> str:
    detail = str(check.get("detail", ""))
    return OKTA_REASON if detail.startswith(OKTA_SKIPS) else detail


def tally(checks: list[dict[str, Any]]) -> str:
    """Checks counted by number (one check may print a line per bind account): passed,
    skipped (and why), failed, of how many. A check fails if any line fails, else passes if
    any line passes, else it is skipped."""
    lines: dict[int, list[dict[str, Any]]] = {}
    for c in checks:
        lines.setdefault(int(c["number"]), []).append(c)
    status = {
        n: next((s for s in ("fail", "pass") if any(c["status"] == s for c in cs)), "skip")
        for n, cs in lines.items()
    }
    why: dict[str, list[str]] = {}
    for n in sorted(n for n, s in status.items() if s == "skip"):
        why.setdefault(_skip_reason(lines[n][0]), []).append(str(n))
    count = {s: sum(v == s for v in status.values()) for s in ("pass", "skip", "fail")}
    reasons = "; ".join(f"{', '.join(ns)}: {reason}" for reason, ns in why.items())
    return (
        f"{count['pass']} passed, {count['skip']} skipped{f' ({reasons})' if reasons else ''}, "
        f"{count['fail']} failed of {len(status)} checks"
    )


def verify_lines(result: dict[str, Any]) -> list[str]:
    lines = []
    checks = list(result.get("checks", []))
    for c in checks:
        detail = c["detail"]
        if c["status"] == "skip" and _skip_reason(c) == OKTA_REASON:
            detail = f"{OKTA_REASON} (its sign-on model stands in: see Okta sign-on above)"
        lines.append(f"  {str(c['status']).upper():<4} {c['number']} {c['name']}: {detail}")
        lines += [f"         {k}: {c[k]}" for k in ("cause", "fix", "warning") if c.get(k)]
    verdict = "OK" if result.get("passed") else "FAILED"
    return [*lines, f"  {verdict}: {tally(checks)}"]


def iam_endpoint(sb: Sandbox) -> str:
    """Where the IAM binds, and where the sandbox's Immuta really reaches it."""
    options = sb.iam.get("options") or {}
    scheme = "ldaps" if options.get("useSSL") else "ldap"
    host, port = options.get("host"), options.get("port")
    where = f"{scheme}://{host}:{port}"
    if port == OKTA_LDAPS_PORT and sb.slapd.port != OKTA_LDAPS_PORT:
        where += (
            f" (Okta's LDAPS port, which the IAM keeps even when PostgreSQL uses StartTLS; "
            f"nothing listens on {port} here: the sandbox's Immuta reaches slapd's LDAPS port "
            f"{sb.slapd.port} instead)"
        )
    return where


def refusal_line(sb: Sandbox, login: str, width: int) -> str:
    """Why PostgreSQL refused a non-member, from its real answer."""
    answer, role = sb.refusals.get(login, ""), sb.desired.role
    if not answer:
        return f"  {login:<{width}}  LET IN  <- FAILS: only members of {role} may log in"
    if "password authentication failed" in answer:
        return (
            f"  {login:<{width}}  refused, as intended: not in the role {role}, so no LDAP "
            f"rule (+{role}) matches; the chart's catch-all `{CHART_CATCH_ALL}` then asks for "
            f"a PostgreSQL password, which an Okta user has not: {answer}"
        )
    return f"  {login:<{width}}  refused, as intended (not in the role {role}): {answer}"


def summary(sb: Sandbox, *, staying: bool) -> str:
    d, pg, slapd = sb.desired, sb.postgres, sb.slapd
    stack = sb.request.stack
    if staying:
        state = f"running (Ctrl-C or `make sandbox-down` stops it); folder {sb.root}"
    else:
        state = f"checked; {FOLDER_GONE}"
    clients = ", ".join(d.settings.query_engine.client_cidrs)
    out = [
        f"Sandbox of stack {stack}: {state}",
        f"  Directory     slapd (pid {slapd.proc.pid if slapd.proc else '-'}) "
        f"ldaps://127.0.0.1:{slapd.port}, StartTLS ldap://127.0.0.1:{slapd.starttls_port}; "
        f"suffix {slapd.root_dn}",
        f"  Query Engine  PostgreSQL 15 (pid {_postmaster(sb)}) 127.0.0.1:{pg.port}, database "
        f"{d.database}, role {d.role}; pg_hba.conf: the Helm release's {len(d.hba_rules)} "
        "rule(s), then the chart's catch-all",
        f"  Immuta        emulator {sb.emulator.url}; IAM {d.iam_id} binds to {iam_endpoint(sb)}",
    ]
    if staying:
        out += [
            f"                the IAM as Immuta stores it: {sb.iam_file}",
            f"  CA            {sb.ca.cert}",
        ]
    if d.added_client:
        out.append(
            f"  (client networks {clients}: {d.added_client} added so that local logins match)"
        )
    out.append("Users")
    logins = [a.login for a in d.bind_accounts] + [u.login for u in sb.request.samples]
    width = max(map(len, logins))
    out += [f"  {a.login:<{width}}  bind account" for a in d.bind_accounts]
    for user in sb.request.samples:
        role = f"member of {d.role}" if user.member else "not a member"
        once = f"; password (shown once): {user.password}" if user.show_once else ""
        out.append(f"  {user.login:<{width}}  {role}; {_groups(sb, user.login)}{once}")
    others = [u for u in sb.request.samples if not u.member]
    if others:
        out.append("Query Engine login of each non-member (tried by the sandbox)")
        out += [refusal_line(sb, u.login, width) for u in others]
    out.append(
        f"Okta sign-on of LDAP Interface binds: the stack's policies in {sb.request.org.source}"
    )
    if sb.request.org.user_groups == {} and sb.request.settings.mfa:
        out.append(
            "  (sample members are in the stack's mfaPolicyGroups; --org FILE can say otherwise)"
        )
    for s in sb.sign_on:
        flag = "" if s.ok else "  <- FAILS: a bind account must bind without MFA"
        out.append(f"  {s.login:<{width}}  {s.verdict}{flag}")
    if any(s.decision and s.decision.mfa_required for s in sb.sign_on if s.kind != "bind account"):
        out.append(
            "  (with MFA, Okta wants password,<one-time code> or a push on each Query Engine "
            "login; the sandbox directory takes the password alone)"
        )
    out += ["verify (python -m verify, against the sandbox)", *verify_lines(sb.verify)]
    members = [u for u in sb.request.samples if u.member]
    if staying and members:
        out += ["Log in as a sample member:", f"  {psql_command(sb, members[0].login)}"]
        if others:
            out.append(f"  (as {others[0].login}, not a member, it is refused: see above why)")
        out.append("  `--json` lists every sample user's password.")
    out += [NOT_REHEARSED, f"SANDBOX {'OK' if sb.passed else 'FAILED'}"]
    return "\n".join(out) + "\n"


def _groups(sb: Sandbox, login: str) -> str:
    groups = sb.groups.get(login)
    if groups is None:
        return "not synced by Immuta"
    return f"Immuta groups: {', '.join(groups) if groups else '(none)'}"


def facts(sb: Sandbox, *, staying: bool = True) -> dict[str, Any]:
    """Connection facts for scripts; sample users' passwords included on purpose. With
    --check (not staying) the files are gone once it exits: their paths are null."""
    d, pg, slapd = sb.desired, sb.postgres, sb.slapd

    def path(p: object) -> str | None:
        return str(p) if staying else None

    return {
        "stack": sb.request.stack,
        "passed": sb.passed,
        "pid": os.getpid(),
        "files": "kept while it runs" if staying else FOLDER_GONE,
        "folder": path(sb.root),
        "caFile": path(sb.ca.cert),
        "ldap": {
            "host": "127.0.0.1",
            "ldapsPort": slapd.port,
            "starttlsPort": slapd.starttls_port,
            "transport": d.settings.directory.transport,
            "port": d.settings.directory.port,
            "rootDn": slapd.root_dn,
            "userBaseDn": d.settings.directory.users_base_dn,
            "groupBaseDn": d.settings.directory.groups_base_dn,
            "pid": slapd.proc.pid if slapd.proc else None,
        },
        "queryEngine": {
            "host": "127.0.0.1",
            "port": pg.port,
            "database": d.database,
            "role": d.role,
            "pgpassFile": path(sb.pgpass),
            "addedClientNetwork": d.added_client,
            "pid": _postmaster(sb),
        },
        "immuta": {
            "url": sb.emulator.url,
            "iamId": d.iam_id,
            "iam": sb.iam,
            "iamFile": path(sb.iam_file),
            "iamLdapReachedAt": {"host": "127.0.0.1", "port": _iam_port(sb)},
        },
        "bindAccounts": [a.login for a in d.bind_accounts],
        "sampleUsers": [
            {
                "login": u.login,
                "password": u.password,
                "member": u.member,
                "immutaGroups": sb.groups.get(u.login),
                **({} if u.member else {"queryEngineRefusal": sb.refusals.get(u.login, "")}),
            }
            for u in sb.request.samples
        ],
        "signOn": [s.as_dict() for s in sb.sign_on],
        "verify": sb.verify,
    }


def _iam_port(sb: Sandbox) -> int:
    """The port the sandbox's Immuta binds to for the IAM (Okta's 636 stands for slapd's)."""
    port = (sb.iam.get("options") or {}).get("port")
    return sb.slapd.port if port == OKTA_LDAPS_PORT or not isinstance(port, int) else port


def _postmaster(sb: Sandbox) -> int | None:
    try:
        return sb.postgres.postmaster_pid()
    except (OSError, ValueError):
        return None
