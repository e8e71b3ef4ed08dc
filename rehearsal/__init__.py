"""Local stand-ins for the systems a stack touches, shared by `make plan`, `make sandbox` and the
tests: the program under Pulumi's mock engine, real slapd and PostgreSQL started on free
loopback ports, HTTP emulators of the Immuta and Okta APIs, and the Immuta provider's gRPC
server. Never imported by the program itself."""
