"""`make sandbox`: a stack applied to local stand-ins of Okta's LDAP Interface, Immuta and the
Query Engine, verified, and left running until Ctrl-C (or `--check`: verified and stopped).

Shares every server with the tests through `rehearsal/`; runs `make verify` as a subprocess.
"""
