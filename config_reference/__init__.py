"""docs/config.md, generated from Pulumi.yaml: every key, its type, default and description."""
