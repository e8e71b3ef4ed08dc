"""What the sandbox tells people (a short summary) and scripts (`--json` connection facts).

The summary holds no password except a generated `--user` password, shown once; psql reads
the sample users' passwords from the sandbox's pgpass file. `--json` holds the sample users'
passwords on purpose: they are local sandbox credentials, gone when the sandbox stops.
"""

from __future__ import annotations

import os
import shlex
from typing import Any

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


OKTA_SKIP = "no Okta API token"


def verify_lines(result: dict[str, Any]) -> list[str]:
    lines = []
    for c in result.get("checks", []):
        detail = str(c["detail"])
        if c["status"] == "skip" and detail.startswith(OKTA_SKIP):  # verify's advice: not here
            detail = "reads Okta's Management API, which the sandbox has not (see Okta sign-on)"
        lines.append(f"  {str(c['status']).upper():<4} {c['number']} {c['name']}: {detail}")
        lines += [f"         {k}: {c[k]}" for k in ("cause", "fix", "warning") if c.get(k)]
    ran = [c for c in result.get("checks", []) if c["status"] != "skip"]
    good = sum(c["status"] == "pass" for c in ran)
    verdict = "OK" if result.get("passed") else "FAILED"
    return [*lines, f"  {verdict}: {good} of {len(ran)} checks passed"]


def summary(sb: Sandbox, *, staying: bool) -> str:
    d, pg, slapd = sb.desired, sb.postgres, sb.slapd
    state = "running (Ctrl-C or `make sandbox-down` stops it)" if staying else "checked"
    clients = ", ".join(d.settings.query_engine.client_cidrs)
    out = [
        f"Sandbox of stack {sb.request.stack!r}: {state}; folder {sb.root}",
        f"  Directory     slapd (pid {slapd.proc.pid if slapd.proc else '-'}) "
        f"ldaps://127.0.0.1:{slapd.port}, StartTLS ldap://127.0.0.1:{slapd.starttls_port}; "
        f"suffix {slapd.root_dn}",
        f"  Query Engine  PostgreSQL 15 (pid {_postmaster(sb)}) 127.0.0.1:{pg.port}, database "
        f"{d.database}, role {d.role}; pg_hba.conf: the Helm release's {len(d.hba_rules)} "
        "rule(s), then the chart's catch-all",
        f"  Immuta        emulator {sb.emulator.url}; IAM {d.iam_id!r} as Immuta stores it: "
        f"{sb.iam_file}",
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
    others = [u for u in sb.request.samples if not u.member]
    if staying and members:
        out += ["Log in as a sample member:", f"  {psql_command(sb, members[0].login)}"]
        if others:
            out.append(f"  (as {others[0].login}, not a member, the same command is refused)")
        out.append("  `--json` lists every sample user's password.")
    out += [NOT_REHEARSED, f"SANDBOX {'OK' if sb.passed else 'FAILED'}"]
    return "\n".join(out) + "\n"


def _groups(sb: Sandbox, login: str) -> str:
    groups = sb.groups.get(login)
    if groups is None:
        return "not synced by Immuta"
    return f"Immuta groups: {', '.join(groups) if groups else '(none)'}"


def facts(sb: Sandbox) -> dict[str, Any]:
    """Connection facts for scripts; sample users' passwords included on purpose."""
    d, pg, slapd = sb.desired, sb.postgres, sb.slapd
    return {
        "stack": sb.request.stack,
        "passed": sb.passed,
        "pid": os.getpid(),
        "folder": str(sb.root),
        "caFile": str(sb.ca.cert),
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
            "pgpassFile": str(sb.pgpass),
            "addedClientNetwork": d.added_client,
            "pid": _postmaster(sb),
        },
        "immuta": {"url": sb.emulator.url, "iamId": d.iam_id, "iam": sb.iam},
        "bindAccounts": [a.login for a in d.bind_accounts],
        "sampleUsers": [
            {
                "login": u.login,
                "password": u.password,
                "member": u.member,
                "immutaGroups": sb.groups.get(u.login),
            }
            for u in sb.request.samples
        ],
        "signOn": [s.as_dict() for s in sb.sign_on],
        "verify": sb.verify,
    }


def _postmaster(sb: Sandbox) -> int | None:
    try:
        return sb.postgres.postmaster_pid()
    except (OSError, ValueError):
        return None
