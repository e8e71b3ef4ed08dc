"""Where the first layout kept the Immuta IAM provider. Deployed stacks hold the provider
pickled by reference to `components.immuta_iam.ImmutaIamProvider`; `pulumi refresh` and
`pulumi destroy` unpickle it from the state, so this path must stay importable."""

from components.immuta.provider import ImmutaIamProvider

__all__ = ["ImmutaIamProvider"]
