#!/usr/bin/env bash
# Prints the path of a uv to use, installing one privately when none is on PATH.
# An existing uv on PATH is used as it is. Otherwise uv goes into a bootstrap virtualenv inside the
# checkout (.bootstrap/), never into the system Python: Debian 12+ and Ubuntu 23.04+ refuse pip
# installs there (PEP 668, "externally-managed-environment"), and minimal Debian has no pip at all.
# Where the OS splits off the venv module (Debian's python3-venv), it is installed with apt as root,
# and a non-root user is told exactly what to install.
# Usage: bash scripts/uv.sh (prints the path; exit 1 when no uv can be had, with the reason).
set -euo pipefail
case "${1:-}" in
  -h | --help) # the header comment above, without its '# '
    while IFS= read -r line; do
      case $line in '#!'*) ;; '#'*) line=${line#\#} && echo "${line# }" ;; *) break ;; esac
    done <"$0"
    exit 0 ;;
esac
cd "$(dirname "$0")/.."
UV_VERSION=$(cat .uv.version)  # the one uv version: here, in CI and in the workflows
boot=.bootstrap

if command -v uv >/dev/null 2>&1; then command -v uv; exit 0; fi
if [ -x "$boot/bin/uv" ]; then echo "$boot/bin/uv"; exit 0; fi

command -v python3 >/dev/null 2>&1 || { echo "python3 is needed (3.11 to 3.13): install it with your OS's package manager" >&2; exit 1; }

make_venv() { rm -rf "$boot.tmp" && python3 -m venv "$boot.tmp" >/dev/null 2>&1; }
if ! make_venv; then
  rm -rf "$boot.tmp"
  # Debian and Ubuntu ship venv's ensurepip as python3.X-venv (python3-venv pulls in the right one).
  pyver=$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing python3-venv (python${pyver}-venv) with apt, for a private uv..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends python3-venv "python${pyver}-venv" >/dev/null
    make_venv || { echo "python3 -m venv still fails after installing python3-venv" >&2; exit 1; }
  else
    echo "python3 cannot create a virtualenv: install python${pyver}-venv (sudo apt-get install python3-venv), or put uv on PATH" >&2
    exit 1
  fi
fi
"$boot.tmp/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION" >&2
rm -rf "$boot" && mv "$boot.tmp" "$boot"
# The venv's scripts name their interpreter by absolute path; after the move, call uv's binary
# directly (it is a standalone executable, not a Python script).
echo "$boot/bin/uv"
