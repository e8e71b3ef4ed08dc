"""Policy pack entry point: `pulumi preview --policy-pack policy` (the CLI runs this file)."""

import sys
from pathlib import Path

if sys.argv[1:2] in (["-h"], ["--help"]):  # the CLI never passes these; a person may
    print(
        "usage: pulumi preview --policy-pack policy (or pulumi up --policy-pack policy)\n\n"
        "The okta-ldap-immuta guardrails (policy/guardrails.py; all mandatory but one advisory),\n"
        "run by the Pulumi CLI as an analyzer plugin over gRPC, not a command of its own. A\n"
        "mandatory violation fails the preview or up with the policy's name and message."
    )
    sys.exit(0)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project: components/

from pulumi_policy import EnforcementLevel, PolicyPack

from policy.guardrails import POLICIES

PolicyPack(
    name="okta-ldap-immuta-guardrails",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=POLICIES,
)
