"""The Okta-shaped test directory's org and users, and the program's rules pointed at it."""

from __future__ import annotations

from rehearsal.mock_engine import PlanResult, run_program
from rehearsal.servers import DirectoryUser, Slapd
from tests.support.stacks import config_for, helm_rules, with_secrets

ORG = "acme"
IAM_ID = "okta"
ROLE = f"{IAM_ID}_user"
QE_BIND = DirectoryUser("svc-immuta-qe-ldap@acme.example", "Qe-Bind-Passw0rd!")
IMMUTA_BIND = DirectoryUser("svc-immuta-ldap-sync@acme.example", "Sync-Bind-Passw0rd!")
ALICE = DirectoryUser("alice@acme.example", "Alice-Passw0rd!")  # in the directory and the role
BOB = DirectoryUser("bob@acme.example", "Bob-Passw0rd!")  # in the directory, not the role
CAROL = "carol@acme.example"  # in the role, not in the directory


def program_plan(slapd: Slapd, qe_password: str = QE_BIND.password, **overrides: str) -> PlanResult:
    """The real program under mocks, pointed at the test slapd, with the bind passwords set."""
    settings = {
        "okta__orgName": ORG,
        "okta__baseUrl": "okta.com",
        "ldapHost": "127.0.0.1",
        "ldapTransport": "ldaps",  # the LDAPS listener; StartTLS tests pass their own port
        "ldapPort": str(slapd.port),
        "immutaBindLogin": IMMUTA_BIND.login,
        "queryEngineBindLogin": QE_BIND.login,
        "immutaIamId": IAM_ID,
        "queryEngineClientCidrs": '["0.0.0.0/0", "::/0"]',
    }
    cfg = config_for("dev", **{**settings, **overrides})
    passwords = {"queryEngineBindPassword": qe_password, "immutaBindPassword": IMMUTA_BIND.password}
    if overrides.get("queryEngineLdapMode") == "simpleBind":  # no Query Engine account at all
        del passwords["queryEngineBindPassword"]
    return run_program(with_secrets(cfg, passwords))


def program_rules(slapd: Slapd, qe_password: str = QE_BIND.password, **overrides: str) -> list[str]:
    """queryEngine.clientPgHBARules of the Helm release, as the real program renders them."""
    return helm_rules(program_plan(slapd, qe_password, **overrides))
