"""Config keys of the providers this stack uses (pulumi-okta 7, pulumi-kubernetes 4), so a
typo in their namespace is caught like a typo in ours. Lists from the providers' SDKs."""

from __future__ import annotations

PROVIDER_KEYS: dict[str, frozenset[str]] = {
    "okta": frozenset(
        {
            "accessToken", "apiToken", "backoff", "baseUrl", "clientId", "httpProxy",
            "logLevel", "maxApiCapacity", "maxRetries", "maxWaitSeconds", "minWaitSeconds",
            "orgName", "parallelism", "privateKey", "privateKeyId", "requestTimeout", "scopes",
        }
    ),
    "kubernetes": frozenset(
        {
            "alwaysRender", "cluster", "clusterIdentifier", "context", "deleteUnreachable",
            "enableConfigMapMutable", "enablePatchForce", "enableSecretMutable",
            "enableServerSideApply", "helmReleaseSettings", "kubeClientSettings", "kubeconfig",
            "namespace", "renderYamlToDirectory", "skipUpdateUnreachable",
            "suppressDeprecationWarnings", "suppressHelmHookWarnings", "upsertExistingObjects",
        }
    ),
}  # fmt: skip
# Provider credentials: only ever `pulumi config set --secret`.
PROVIDER_SECRET_KEYS = frozenset({"okta:apiToken", "okta:privateKey", "okta:accessToken"})
# Provider keys whose value is text (a YAML boolean or number there is a mistake).
PROVIDER_STRING_KEYS = frozenset({"okta:orgName", "okta:baseUrl", "okta:clientId"})
# Namespaces whose keys the engine itself reads; not checked here.
FREE_NAMESPACES = frozenset({"pulumi"})
