"""The checks of `make verify`, in the order PostgreSQL and Immuta depend on them.

At most two binds per bind account per run (Okta allows about four per second): one to prove
the account, and the Query Engine account's connection is reused for the search.
"""

from __future__ import annotations

import dataclasses
import socket
import ssl
from dataclasses import asdict, dataclass, field
from typing import Literal

import ldap3
import psycopg
from ldap3.core.exceptions import LDAPException, LDAPSocketOpenError, LDAPSocketReceiveError
from ldap3.utils.conv import escape_filter_chars

from components.immuta.client import ImmutaClient, ImmutaError
from components.immuta.connection import ImmutaConnection
from components.okta.api_connection import SET_TOKEN_HINT, OktaConnection
from components.secret_text import scrub
from verify.diagnosis import Diagnosis, diagnose_bind, diagnose_connect, diagnose_search

Status = Literal["pass", "fail", "skip"]
LDAP_REFUSED = "PostgreSQL's LDAP search+bind refused the login"
LDAPS_STALL_WARNING = (
    "ldapTransport is ldaps: when Okta stalls, PostgreSQL's LDAPS logins never end (no timeout "
    "applies) and hold Query Engine connections until it recovers; use starttls with LDAPTIMEOUT "
    'in the Query Engine\'s environment (see docs/query-engine.md, "When Okta stalls")'
)
# RFC 4511 ExtendedRequest for StartTLS (OID 1.3.6.1.4.1.1466.20037), message id 1.
STARTTLS_REQUEST = b"\x30\x1d\x02\x01\x01\x77\x18\x80\x16" + b"1.3.6.1.4.1.1466.20037"


@dataclass
class Check:
    number: int
    name: str
    status: Status
    detail: str
    cause: str | None = None
    fix: str | None = None
    warning: str | None = None  # passed, but worth acting on

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class BindAccount:
    consumer: str
    dn: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class Target:
    """What to verify: the stack's outputs and config, plus the operator's probe."""

    host: str
    port: int
    transport: str  # ldaps | starttls
    user_base_dn: str
    accounts: tuple[BindAccount, ...]
    iam_id: str | None
    immuta: ImmutaConnection | None = None
    immuta_sync_problem: str | None = None  # the stack output: why the last sync did not start
    search_filter: str | None = None
    database: str = "immuta"
    simple_bind_dn: str | None = None  # simpleBind: PostgreSQL binds at this DN, no search
    ldap_ca: str | None = None
    probe_login: str | None = None
    probe_password: str | None = field(default=None, repr=False)
    query_engine_host: str | None = None
    query_engine_port: int = 5432
    query_engine_ca: str | None = None
    timeout: float = 10.0
    okta: OktaConnection | None = None  # the Management API, for check 7
    okta_problem: str | None = None  # why there is no Okta connection, when not "no token"
    bind_account_ids: tuple[tuple[str, str], ...] = ()  # (consumer, Okta user id)
    bind_group_name: str = ""  # the stack's bind group, policy and rule ("" if unknown)
    bind_policy_name: str = ""
    bind_policy_id: str = ""  # the stack output bindPolicyId, when the stack has it
    bind_rule_name: str = ""
    # Okta object name -> "stack <name> (<its stack file>)", for the other stacks of this org
    other_stacks: tuple[tuple[str, str], ...] = ()

    def owner(self, name: str) -> str | None:
        """Which other stack of this project creates an Okta object of that name, if any."""
        return next((who for n, who in self.other_stacks if n.casefold() == name.casefold()), None)

    def secrets(self) -> list[str]:
        okta = self.okta.secrets() if self.okta else []
        found = [*(a.password for a in self.accounts), self.probe_password, *okta]
        return [s for s in found if s]


def _tls_context(ca: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca) if ca else ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _starttls(sock: socket.socket) -> None:
    sock.sendall(STARTTLS_REQUEST)
    answer = sock.recv(1024)
    if b"\x0a\x01\x00" not in answer:  # resultCode success(0)
        raise ssl.SSLError("the server refused StartTLS")


def check_tls(t: Target) -> tuple[Check, bool]:
    name = f"TCP and TLS to {t.host}:{t.port} ({t.transport})"
    try:
        with socket.create_connection((t.host, t.port), timeout=t.timeout) as raw:
            if t.transport == "starttls":
                _starttls(raw)
            with _tls_context(t.ldap_ca).wrap_socket(raw, server_hostname=t.host) as tls:
                version = tls.version()
    except (OSError, ssl.SSLError) as exc:
        d = diagnose_connect(exc, t.host, t.port)
        return Check(
            1, name, "fail", "cannot reach the LDAP server over TLS", d.cause, d.fix
        ), False
    return Check(1, name, "pass", f"{version}, certificate valid for {t.host}"), True


def _connection(t: Target, dn: str, password: str) -> ldap3.Connection:
    tls = ldap3.Tls(
        validate=ssl.CERT_REQUIRED,
        version=ssl.PROTOCOL_TLS_CLIENT,
        ca_certs_file=t.ldap_ca,
    )
    server = ldap3.Server(
        t.host,
        port=t.port,
        use_ssl=t.transport == "ldaps",
        tls=tls,
        get_info=ldap3.NONE,
        connect_timeout=max(1, int(t.timeout)),
    )
    return ldap3.Connection(
        server, user=dn, password=password, receive_timeout=max(1, int(t.timeout)), read_only=True,
        raise_exceptions=False, auto_bind=ldap3.AUTO_BIND_NONE,
    )  # fmt: skip


def bind(t: Target, dn: str, password: str) -> tuple[ldap3.Connection | None, Diagnosis | None]:
    """One bind; (open connection, None) or (None, why it failed)."""
    conn = _connection(t, dn, password)
    try:
        conn.open()
        if t.transport == "starttls":
            conn.start_tls()
        if conn.bind():
            return conn, None
        result = conn.result or {}
        code = result.get("result")
        message = " ".join(str(result.get(k) or "") for k in ("description", "message")).strip()
        conn.unbind()
        return None, diagnose_bind(code if isinstance(code, int) else None, message)
    except LDAPSocketReceiveError:
        return None, diagnose_bind(None, "", timed_out=True)
    except LDAPSocketOpenError as exc:
        # ldap3 puts a list of (exception, address) pairs after its message: not shown.
        why = exc.args[0] if exc.args and isinstance(exc.args[0], str) else type(exc).__name__
        return None, Diagnosis(f"cannot open the LDAP connection ({why})", "see check 1")
    except LDAPException as exc:
        return None, diagnose_bind(None, type(exc).__name__)


def _search(t: Target, conn: ldap3.Connection, login: str, name: str) -> tuple[Check, str | None]:
    escaped = escape_filter_chars(login)
    query = t.search_filter.replace("$username", escaped) if t.search_filter else f"(uid={escaped})"
    conn.search(t.user_base_dn, query, search_scope=ldap3.SUBTREE, attributes=["uid"])
    code = (conn.result or {}).get("result")
    entries = list(conn.entries)
    if code == 0 and len(entries) == 1:
        dn = str(entries[0].entry_dn)
        return Check(3, name, "pass", f"{query} finds exactly one entry: {dn}"), dn
    d = diagnose_search(
        code if isinstance(code, int) else None, len(entries), t.user_base_dn, login
    )
    return Check(3, name, "fail", f"{query} finds {len(entries)} entries", d.cause, d.fix), None


SYNC_FIX = (
    "until a sync runs, new directory users cannot log in to the Query Engine: wait for the "
    "scheduled sync (immutaSyncCron) or start one in Immuta (App Settings, the IAM); if Immuta "
    "refused the request, check that it is a supported release (see docs/immuta-iam.md)"
)


def check_immuta(t: Target) -> Check:
    """`GET /bim/iam` (described: id, displayName, type, oauth; no version and no sync status)."""
    if not t.iam_id:  # a stack deployed before the output existed
        name = "Immuta lists the stack's IAM"
        return Check(5, name, "skip", "the stack has no output immutaIamId: run `pulumi up`")
    name = f'Immuta lists the IAM "{t.iam_id}"'
    if t.immuta is None:
        return Check(5, name, "skip", "no Immuta URL and API key (immutaUrl, IMMUTA_API_KEY)")
    try:
        with ImmutaClient(t.immuta) as client:
            iams = client.list_iams()
    except ImmutaError as exc:
        return Check(5, name, "fail", "cannot list Immuta's IAMs", str(exc), "see the cause")
    ids = [str(i.get("id")) for i in iams]
    if t.iam_id in ids:
        check = Check(5, name, "pass", f'GET /bim/iam lists "{t.iam_id}"')
        if t.immuta_sync_problem:
            check.warning = (
                f"the sync after the last `pulumi up` did not start ({t.immuta_sync_problem}); "
                f"fix: {SYNC_FIX}"
            )
        return check
    return Check(
        5,
        name,
        "fail",
        f'GET /bim/iam lists {len(ids)} IAMs, not "{t.iam_id}"',
        "the IAM is missing in Immuta (never created, or deleted by hand)",
        "run `pulumi up` (`pulumi refresh` first shows a deletion as drift)",
    )


def check_query_engine(t: Target) -> Check:
    name = f"Query Engine login as the probe user ({t.query_engine_host}:{t.query_engine_port})"
    try:
        psycopg.connect(
            host=t.query_engine_host, port=t.query_engine_port, dbname=t.database,
            user=t.probe_login, password=t.probe_password, sslmode="verify-full",
            sslrootcert=t.query_engine_ca or "system", connect_timeout=int(t.timeout),
        ).close()  # fmt: skip
    except psycopg.OperationalError as exc:
        text = str(exc)  # run_checks scrubs every result of secrets
        if "no pg_hba.conf entry" in text:
            cause, fix = (
                "no pg_hba rule matches this client, user and database",
                "deploy the rules (pulumi up), and check queryEngineClientCidrs and that the "
                "user is a member of the IAM's role <id>_user",
            )
        elif "authentication failed" in text:
            cause, fix = (
                LDAP_REFUSED,
                "PostgreSQL's log names the failing step; checks 2-4 above test the same path",
            )
        else:
            cause, fix = text.strip().splitlines()[-1][:200], "check the host, port and TLS"
        return Check(6, name, "fail", "login refused", cause, fix)
    return Check(6, name, "pass", "TLS (verify-full) and LDAP login succeeded")


def run_checks(t: Target) -> list[Check]:
    """Every check in order; a check whose prerequisite failed is skipped, not run."""
    checks: list[Check] = []
    tls, reachable = check_tls(t)
    if t.transport == "ldaps":
        tls.warning = LDAPS_STALL_WARNING
    checks.append(tls)
    query_engine_conn: ldap3.Connection | None = None
    for account in t.accounts:
        name = f"bind as the {account.consumer} account ({account.dn})"
        if not reachable:
            checks.append(Check(2, name, "skip", "needs check 1"))
            continue
        conn, why = bind(t, account.dn, account.password)
        if conn is None:
            assert why is not None
            checks.append(Check(2, name, "fail", "bind refused", why.cause, why.fix))
            continue
        checks.append(Check(2, name, "pass", "bound"))
        if account.consumer == "queryEngine":
            query_engine_conn = conn
        else:
            conn.unbind()
    probe_dn = _probe_search(t, query_engine_conn, checks)
    checks.append(_probe_bind(t, probe_dn))
    checks.append(check_immuta(t))
    checks.append(_query_engine_login(t, checks))
    return [scrubbed(c, t.secrets()) for c in checks]


def _probe_search(t: Target, conn: ldap3.Connection | None, checks: list[Check]) -> str | None:
    name = f"search {t.user_base_dn} for the probe login, as PostgreSQL does"
    if not t.probe_login:
        checks.append(Check(3, name, "skip", "give --probe-login <an Okta login>"))
        return None
    if t.simple_bind_dn is not None:  # PostgreSQL binds as prefix + login + suffix directly
        if conn is not None:
            conn.unbind()
        simple_dn = t.simple_bind_dn.replace("{login}", t.probe_login)
        checks.append(Check(3, "simpleBind: no search", "skip", f"PostgreSQL binds at {simple_dn}"))
        return simple_dn
    if conn is None:
        checks.append(Check(3, name, "skip", "needs the queryEngine bind of check 2"))
        return None
    try:
        check, dn = _search(t, conn, t.probe_login, name)
    finally:
        conn.unbind()
    checks.append(check)
    return dn


def _probe_bind(t: Target, probe_dn: str | None) -> Check:
    name = "bind as the probe user"
    if not t.probe_password:
        return Check(4, name, "skip", "no probe password (--probe-password-env or --prompt)")
    if probe_dn is None:
        return Check(4, name, "skip", "needs check 3")
    conn, why = bind(t, probe_dn, t.probe_password)
    if conn is None:
        assert why is not None
        if "invalid credentials" in why.cause:  # the probe's own password, not an account's
            return Check(
                4, name, "fail", "bind refused",
                "Okta refused the probe user's password (or MFA applies to the probe user)",
                "check the password you gave for the probe login (VERIFY_PROBE_PASSWORD or "
                "--prompt); with MFA on LDAP logins, append a one-time code: password,123456",
            )  # fmt: skip
        return Check(4, name, "fail", "bind refused", why.cause, why.fix)
    conn.unbind()
    return Check(4, name, "pass", f"bound as {probe_dn}")


def _query_engine_login(t: Target, checks: list[Check]) -> Check:
    name = "Query Engine login as the probe user"
    if not (t.query_engine_host and t.probe_login and t.probe_password):
        return Check(6, name, "skip", "give --query-engine-host and a probe login and password")
    # simpleBind skips the search on purpose (PostgreSQL does none); the probe bind must pass.
    if any((c.number == 4 and c.status != "pass") or c.status == "fail" for c in checks):
        return Check(6, name, "skip", "needs checks 3 and 4 (PostgreSQL does the same search+bind)")
    check = check_query_engine(t)
    if check.status == "fail" and check.cause == LDAP_REFUSED:
        # Checks 1-4 did the same search+bind with the stack's outputs, and they passed.
        return dataclasses.replace(
            check,
            cause="the same search+bind passed above with the stack's outputs, so the rule the "
            "Query Engine runs differs from them: a rollout that has not finished, a stale "
            "release, or a hand-edited pg_hba.conf",
            fix="compare the release's values with `pulumi stack output pgHbaRules "
            "--show-secrets`, wait for the Query Engine pods to roll out (kubectl rollout "
            "status), and run `pulumi up` if the release is behind",
        )
    return check


def scrubbed(check: Check, secrets: list[str]) -> Check:
    """`check` with every secret in its texts masked."""

    def clean(text: str | None) -> str | None:
        return None if text is None else scrub(text, secrets)

    return dataclasses.replace(
        check, detail=scrub(check.detail, secrets), cause=clean(check.cause), fix=clean(check.fix)
    )


def counts(checks: list[Check]) -> dict[str, int]:
    """Checks counted by number, not by line (checks 2, 7 and 8 print a line per bind
    account): a check failed if any of its lines failed, else passed if any passed, else it
    was skipped."""
    statuses: dict[int, set[str]] = {}
    for c in checks:
        statuses.setdefault(c.number, set()).add(c.status)
    of = [next((s for s in ("fail", "pass") if s in seen), "skip") for seen in statuses.values()]
    return {
        "passed": of.count("pass"),
        "skipped": of.count("skip"),
        "failed": of.count("fail"),
        "total": len(of),
    }


def passed(checks: list[Check]) -> bool:
    """True when every check that ran passed (skipped checks do not count)."""
    return all(c.status != "fail" for c in checks) and any(c.status == "pass" for c in checks)


def okta_consumers(t: Target, number: int, name: str) -> dict[str, list[str]] | Check:
    """Bind account id -> the consumers binding with it, for the checks that read Okta; or the
    skip (no token) or failure (no ids in the outputs) those checks report instead."""
    if t.okta is None:
        hint = t.okta_problem or f"no Okta credentials: {SET_TOKEN_HINT}"
        return Check(number, name, "skip", hint)
    if not t.bind_account_ids:
        return Check(
            number, name, "fail", "the stack has no output bindAccountIds",
            "the stack was deployed by an older version of this program", "run `pulumi up`",
        )  # fmt: skip
    consumers: dict[str, list[str]] = {}
    for consumer, user_id in sorted(t.bind_account_ids):
        consumers.setdefault(user_id, []).append(consumer)
    return consumers
