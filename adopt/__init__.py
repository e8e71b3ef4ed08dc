"""`make adopt STACK=<stack>`: read-only discovery of a manual setup and a plan to take it over.

Reads Okta (Management API) and the cluster (Helm's release record) with GET requests only, and
Immuta with `POST /bim/apikey/authenticate` (the API-key exchange, which writes nothing), `GET
/bim/iam` and, when the IAM is listed, `GET /configuration` for its entry; runs the real
program under Pulumi's mock engine, and maps every existing object to the resource the program
registers: an import file for `pulumi import --file`, the config changes the stack needs, and a
readable report.
"""
