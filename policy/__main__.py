"""Policy pack entry point: `pulumi preview --policy-pack policy` (the CLI runs this file)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project: components/

from pulumi_policy import EnforcementLevel, PolicyPack

from policy.guardrails import POLICIES

PolicyPack(
    name="okta-ldap-immuta-guardrails",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=POLICIES,
)
