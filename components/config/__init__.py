"""Stack config: `Pulumi.yaml` declares every key (type, default, secret); this package reads a
stack's config, reports every problem at once, and gives the components immutable settings."""

from components.config._load import decode_value, load_settings
from components.config._peers import (
    STACK_PLACEHOLDER,
    StackClaims,
    claims_of,
    read_peer_claims,
    stack_named,
)
from components.config._problems import Problem, SettingsError
from components.config._providers import PROVIDER_SECRET_KEYS
from components.config._rules import OKTA_DOMAIN_KEY, OKTA_ORG_KEY
from components.config._runtime import current_stack_config, load_current_settings, project_root
from components.config._schema import (
    PROJECT_ROOT,
    KeySpec,
    ProjectSchema,
    load_schema,
    project_schema,
)
from components.config._settings import (
    ENROLLMENT_POLICY_SUFFIX,
    PASSWORD_POLICY_SUFFIX,
    BindAccount,
    BindPolicySettings,
    Consumer,
    ImmutaSettings,
    MfaPolicySettings,
    OktaEngine,
    QueryEngineSettings,
    RotationSettings,
    Settings,
)

__all__ = [
    "ENROLLMENT_POLICY_SUFFIX",
    "OKTA_DOMAIN_KEY",
    "OKTA_ORG_KEY",
    "PASSWORD_POLICY_SUFFIX",
    "PROJECT_ROOT",
    "PROVIDER_SECRET_KEYS",
    "STACK_PLACEHOLDER",
    "BindAccount",
    "BindPolicySettings",
    "Consumer",
    "ImmutaSettings",
    "KeySpec",
    "MfaPolicySettings",
    "OktaEngine",
    "Problem",
    "ProjectSchema",
    "QueryEngineSettings",
    "RotationSettings",
    "Settings",
    "SettingsError",
    "StackClaims",
    "claims_of",
    "current_stack_config",
    "decode_value",
    "load_current_settings",
    "load_schema",
    "load_settings",
    "project_root",
    "project_schema",
    "read_peer_claims",
    "stack_named",
]
