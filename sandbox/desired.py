"""What the stack declares, pointed at the sandbox: its real program under the mock engine with
the LDAP host and port, the Immuta URL (and, when needed, a client network for 127.0.0.1) set to
the local servers, and what `pulumi up` would compute (generated passwords) made locally."""

from __future__ import annotations

import ipaddress
import json
import re
import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from components.config import Settings, project_schema
from components.immuta.iam_document import query_engine_role
from rehearsal.mock_engine import PlanResult, helm_rules, run_program, secret, unwrap_secrets
from rehearsal.stack_config import SECRET_PLACEHOLDER, StackConfig, load_stack_config

OKTA_USER = "okta:user/user:User"
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
IAM_RESOURCE = "pulumi-python:dynamic:Resource"
BIND_PASSWORD_KEYS = ("immutaBindPassword", "queryEngineBindPassword", "sharedBindPassword")
LOCAL_CLIENT = "127.0.0.1/32"
LOCALHOST = "127.0.0.1"
LOGIN_RE = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")

# Every password and key this process made: masked wherever text reaches a person.
GENERATED: list[str] = []


class SandboxError(Exception):
    """The sandbox cannot start or apply the stack; the message says what and why."""


def new_password(length: int = 32) -> str:
    """Letters and digits, with one of each class Okta's default policy asks for, and nothing
    that needs quoting anywhere (LDIF, pg_hba, a shell)."""
    alphabet = string.ascii_letters + string.digits
    body = "".join(secrets.choice(alphabet) for _ in range(max(length, 16) - 4))
    password = f"{body}-Sb1"
    GENERATED.append(password)
    return password


def remember(value: str) -> str:
    """Mask `value` (a prompted password, an API key) like a generated one."""
    GENERATED.append(value)
    return value


def check_login(login: str) -> str:
    if not LOGIN_RE.fullmatch(login) or len(login) > 100:
        shown = json.dumps(login, ensure_ascii=False)  # quoted, control characters escaped
        raise SandboxError(f"--user {shown}: give an Okta login in e-mail form (user@domain)")
    return login


@dataclass(frozen=True)
class Local:
    """Where the local servers listen, chosen before the program runs."""

    ldaps_port: int
    starttls_port: int
    immuta_url: str


@dataclass(frozen=True)
class Account:
    """An Okta user the stack declares (a bind account) with the password applied locally."""

    login: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class Desired:
    """The program's registrations and outputs, as the sandbox applies them."""

    config: StackConfig
    settings: Settings
    plan: PlanResult = field(repr=False)
    bind_accounts: tuple[Account, ...]
    iam_inputs: dict[str, Any] = field(repr=False)
    hba_rules: tuple[str, ...] = field(repr=False)  # as the Helm release carries them
    outputs: dict[str, Any] = field(repr=False)  # as `pulumi stack output --show-secrets`
    added_client: str | None  # a client network the sandbox added for 127.0.0.1

    @property
    def iam_id(self) -> str:
        return str(self.iam_inputs["iamId"])

    @property
    def role(self) -> str:
        return str(self.outputs.get("queryEngineRole") or query_engine_role(self.iam_id))

    @property
    def database(self) -> str:
        return self.settings.query_engine.database


def stack_config(stack: str) -> tuple[StackConfig, Settings]:
    """The stack's config as the CLI would pass it; SettingsError/StackFileError when bad."""
    config = load_stack_config(stack)
    return config, config.settings()


def _local_config(
    config: StackConfig, settings: Settings, local: Local
) -> tuple[StackConfig, str | None]:
    schema = project_schema()
    port = local.ldaps_port if settings.directory.uses_ldaps else local.starttls_port
    values = {
        schema.full("ldapHost"): LOCALHOST,
        schema.full("ldapPort"): str(port),
        schema.full("immutaUrl"): local.immuta_url,
    }
    cidrs = settings.query_engine.client_cidrs
    here = ipaddress.ip_address(LOCALHOST)
    added = None
    if not any(here in ipaddress.ip_network(c, strict=False) for c in cidrs):
        added = LOCAL_CLIENT  # psql and verify connect from 127.0.0.1
        values[schema.full("queryEngineClientCidrs")] = json.dumps([*cidrs, added])
    local_config = config.with_values(values)
    # A `secure:` password cannot be decrypted without the stack's secrets provider: a local
    # one stands in for it (unset passwords are generated below, as the stack generates them).
    stand_ins = {
        schema.full(key): new_password()
        for key in BIND_PASSWORD_KEYS
        if config.values.get(schema.full(key)) == SECRET_PLACEHOLDER
    }
    if stand_ins:
        local_config = local_config.with_values(stand_ins, secret=True)
    return local_config, added


def _compute(type_: str, _name: str, inputs: dict[str, Any]) -> dict[str, Any] | None:
    if type_ == RANDOM_PASSWORD:
        return {"result": secret(new_password(int(inputs.get("length") or 32)))}
    return None


def apply_program(config: StackConfig, settings: Settings, local: Local) -> Desired:
    """Run the stack's program against the local servers and collect what it declares."""
    local_config, added = _local_config(config, settings, local)
    local_settings = local_config.settings()
    plan = run_program(local_config, compute=_compute)
    accounts = []
    for user in plan.of_type(OKTA_USER):
        password = unwrap_secrets(user.inputs.get("password"))
        if not isinstance(password, str) or not password:
            raise SandboxError(f"the Okta user {user.name} has no password in the plan")
        accounts.append(Account(str(user.inputs["login"]), password))
    (iam,) = plan.of_type(IAM_RESOURCE)
    iam_inputs = {k: unwrap_secrets(v) for k, v in iam.inputs.items() if k != "__provider"}
    return Desired(
        config=local_config,
        settings=local_settings,
        plan=plan,
        bind_accounts=tuple(sorted(accounts, key=lambda a: a.login)),
        iam_inputs=iam_inputs,
        hba_rules=tuple(helm_rules(plan)),
        outputs=unwrap_secrets(plan.outputs),
        added_client=added,
    )
