#!/usr/bin/env bash
# The README's two commands on a truly fresh Debian 12: builds a minimal root with debootstrap
# (`--variant=minbase --include=python3,make,git,ca-certificates bookworm`), clones the project
# into it, and runs `make plan`, then `make test`, as root in a chroot with a clean environment,
# printing each one's wall time. Run it as root on a Debian or Ubuntu host:
#
#   sudo bash scripts/fresh-debian.sh [REPO [BRANCH]]
#
# REPO defaults to this checkout and BRANCH to its current branch (committed work only).
# What is copied from the host is only what the network needs: /etc/resolv.conf, the host's
# Debian apt sources (and the keyrings they name, and apt.conf.d files with Acquire:: settings),
# the local CA certificates (/usr/local/share/ca-certificates: a TLS-inspecting proxy's CA), and
# pip's and npm's system config files when they exist (they name the CA bundle).
# FRESH_DEBIAN_DIR sets where the root goes (default: a new folder under /var/tmp);
# FRESH_DEBIAN_KEEP=1 keeps it afterwards. Nothing stays mounted: every mount is undone on exit,
# and the root is only removed once nothing is mounted under it.
set -euo pipefail
case "${1:-}" in
  -h | --help) # the header comment above, without its '# '
    while IFS= read -r line; do
      case $line in '#!'*) ;; '#'*) line=${line#\#} && echo "${line# }" ;; *) break ;; esac
    done <"$0"
    exit 0 ;;
esac

here=$(cd "$(dirname "$0")/.." && pwd)
repo=${1:-$here}
branch=${2:-}
if [ -z "$branch" ] && [ "$repo" = "$here" ]; then
  branch=$(git -C "$here" rev-parse --abbrev-ref HEAD)
fi
[ "$(id -u)" -eq 0 ] || { echo "run as root (debootstrap, mount and chroot need it)" >&2; exit 1; }

root=${FRESH_DEBIAN_DIR:-$(mktemp -d /var/tmp/fresh-debian-XXXXXX)}
mkdir -p "$root"
# mktemp -d makes the folder 0700; as the chroot's `/` that would lock out every system user
# (_apt, openldap, postgres), so it gets the mode a real root has.
chmod 0755 "$root"
root=$(cd "$root" && pwd)
mounted=()

mounts_under_root() { awk -v r="$root" '$2 == r || index($2, r "/") == 1 {print $2}' /proc/mounts; }

cleanup() {
  local rc=$?
  set +e
  # Processes still running inside the root (a server a failed run left behind) hold its mounts.
  for proc in /proc/[0-9]*; do
    [ "$(readlink "$proc/root" 2>/dev/null)" = "$root" ] && kill -KILL "${proc#/proc/}" 2>/dev/null
  done
  sleep 0.2
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount -R "${mounted[$i]}" 2>/dev/null || umount -R -l "${mounted[$i]}"
  done
  left=$(mounts_under_root)
  if [ -n "$left" ]; then
    echo "still mounted under $root (not removed): $left" >&2
    rc=1
  elif [ "${FRESH_DEBIAN_KEEP:-0}" = 1 ]; then
    echo "kept $root"
  else
    rm -rf --one-file-system "$root"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# The host's Debian mirror, from its apt sources (deb822 .sources or one-line .list).
mirror=$(
  { cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ {print $2}'
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
      | awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i ~ /:\/\//) {print $i; break}}'
  } | grep -E '/debian/?$' | head -n1
) || true
mirror=${mirror:-http://deb.debian.org/debian}

if ! command -v debootstrap >/dev/null 2>&1; then
  echo "installing debootstrap with apt..."
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

started=$(date +%s)
echo "debootstrap (minbase, bookworm, $mirror) into $root ..."
debootstrap --variant=minbase --include=python3,make,git,ca-certificates bookworm "$root" "$mirror" \
  >"$root.debootstrap.log" 2>&1 || { tail -n 20 "$root.debootstrap.log" >&2; exit 1; }
rm -f "$root.debootstrap.log"
echo "debootstrap: $(($(date +%s) - started))s"

# Network: name resolution, the host's Debian apt sources, its CA certificates, pip's/npm's config.
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
rm -f "$root/etc/apt/sources.list"
for src in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  if [ ! -f "$src" ] || ! grep -qE '://[^ ]*/debian(-security)?/?( |$)' "$src"; then continue; fi
  mkdir -p "$root$(dirname "$src")"
  cp "$src" "$root$src"
  for key in $(grep -oE '(Signed-By:|signed-by=) *[^] ]+' "$src" | sed -E 's/^(Signed-By:|signed-by=) *//'); do
    if [ -f "$key" ] && [ ! -e "$root$key" ]; then
      mkdir -p "$root$(dirname "$key")"
      cp "$key" "$root$key"
    fi
  done
done
for conf in /etc/apt/apt.conf.d/*; do
  if [ -f "$conf" ] && grep -q 'Acquire::' "$conf"; then cp "$conf" "$root/etc/apt/apt.conf.d/"; fi
done
if compgen -G "/usr/local/share/ca-certificates/*" >/dev/null; then
  cp -r /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
fi
for conf in /etc/pip.conf /etc/npmrc; do
  if [ -f "$conf" ]; then cp "$conf" "$root$conf"; fi
done

mount -t proc proc "$root/proc" && mounted+=("$root/proc")
mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys" && mounted+=("$root/sys")
mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev" && mounted+=("$root/dev")

in_root() {
  env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 TERM=dumb chroot "$root" /bin/bash -euo pipefail -c "$1"
}
in_root 'update-ca-certificates >/dev/null'

echo "cloning $repo${branch:+ ($branch)} into the root's /root/project ..."
git clone --quiet ${branch:+--branch "$branch"} "$repo" "$root/root/project"
echo "commit $(git -C "$root/root/project" rev-parse --short HEAD)"

status=0
for target in plan test; do
  echo "=== make $target (as root, clean environment, fresh Debian 12) ==="
  t0=$(date +%s)
  rc=0
  in_root "cd /root/project && make $target" || rc=$?
  echo "=== make $target: exit $rc, wall time $(($(date +%s) - t0))s ==="
  [ "$rc" -eq 0 ] || { status=$rc; break; }
done
exit "$status"
