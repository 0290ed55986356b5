#!/usr/bin/env bash
# Runs a command inside a Debian 13 (trixie) root with PoCL 6 (LLVM 18, OpenCL 3.0 with the generic
# address space that ILGPU's OpenCL backend needs), without touching the host's packages:
#
#   sudo tools/opencl-root.sh [options] [--] COMMAND [ARGS...]
#   sudo tools/opencl-root.sh -- /app/ilgpugan verify --device opencl
#   sudo tools/opencl-root.sh --no-publish -- clinfo -l
#
# The root is built once with debootstrap (~35 s, ~800 MB) under a fixed path and reused; the app is
# published (self-contained, linux-x64) into ROOT/app; /proc, /sys (PoCL reads the CPU topology
# there) and /dev are mounted in a private mount namespace, so they vanish when the command ends
# even if this script is killed, and an EXIT trap unmounts them as well.
#
# Options:
#   --root DIR          the root (default $ILGPUGAN_OPENCL_ROOT or /var/cache/ilgpugan/opencl-root)
#   --no-publish        run with the app already in ROOT/app (or without the app)
#   --bind SRC:DST      bind-mount host folder SRC at DST inside the root (repeatable)
#   --env NAME=VALUE    set a variable for the command (repeatable; the command gets a clean environment)
#   --timeout SECONDS   kill the command after this long (default: none)
#   --rebuild           delete the root and build it again
#   --check             only say whether a root can be built/used here (exit 0 or 77)
#
# Exit status: the command's (1 if it exits 77); 77 with one line "skip: REASON" on stderr when this machine cannot
# host the root (not root, no debootstrap, mirror unreachable); 1 for a failure of the script.
set -euo pipefail

SKIP=77
root="${ILGPUGAN_OPENCL_ROOT:-/var/cache/ilgpugan/opencl-root}"
mirror="${ILGPUGAN_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
suite=trixie
packages=pocl-opencl-icd,ocl-icd-libopencl1,clinfo,libstdc++6,zlib1g
publish=1 rebuild=0 check=0 limit=""
binds=() envs=()

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

skip() { echo "skip: $*" >&2; exit "$SKIP"; }
die() { echo "opencl-root: $*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --root) root="$2"; shift 2 ;;
    --no-publish) publish=0; shift ;;
    --bind) binds+=("$2"); shift 2 ;;
    --env) envs+=("$2"); shift 2 ;;
    --timeout) limit="$2"; shift 2 ;;
    --rebuild) rebuild=1; shift ;;
    --check) check=1; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) break ;;
  esac
done
[[ $# -gt 0 || $check == 1 ]] || die "no command given (see --help)"

# Where the root is built and whether it is complete: the marker is written last.
marker="$root/.ilgpugan-opencl-root"

# Unmounts everything below the root, deepest first: mounts left by a run that was killed before its
# namespace could drop them (only possible when unshare was not available).
unmount_all() {
  local m
  while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done < <(awk -v r="$root/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r)
}

if [[ $(id -u) != 0 ]]; then skip "not root (the OpenCL root needs debootstrap, mount and chroot)"; fi

if [[ ! -f $marker || $rebuild == 1 ]]; then
  command -v debootstrap >/dev/null || skip "no debootstrap (apt-get install debootstrap)"
  curl -fsS --max-time 20 -o /dev/null "$mirror/dists/$suite/Release" 2>/dev/null \
    || skip "Debian mirror $mirror unreachable"
fi
[[ $check == 1 ]] && { echo "an OpenCL root can be used here: $root"; exit 0; }

if [[ ! -f $marker || $rebuild == 1 ]]; then
  unmount_all
  # Never delete through a mount (a bind-mounted /dev or SDK would go with it).
  if awk -v r="$root" 'index($2, r) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
    die "mounts remain under $root; unmount them first"
  fi
  rm -rf "$root" "$root.partial"
  mkdir -p "$(dirname "$root")"
  echo "opencl-root: debootstrap $suite into $root (about 35 s, 800 MB)" >&2
  start=$SECONDS
  debootstrap --variant=minbase --include="$packages" "$suite" "$root.partial" "$mirror" \
    > "$(dirname "$root")/debootstrap.log" 2>&1 \
    || { tail -n 20 "$(dirname "$root")/debootstrap.log" >&2; die "debootstrap failed (log: $(dirname "$root")/debootstrap.log)"; }
  rm -rf "$root.partial"/var/cache/apt/archives/*.deb
  mv "$root.partial" "$root"
  echo "$suite $(date -u +%FT%TZ)" > "$marker"
  echo "opencl-root: root ready in $((SECONDS - start)) s" >&2
fi

if [[ $publish == 1 ]]; then
  echo "opencl-root: publishing the app into $root/app" >&2
  rm -rf "$root/app"
  dotnet publish "$repo/Host" -c Release -r linux-x64 --self-contained -o "$root/app" --nologo -v quiet \
    -p:DebugType=none >&2 || die "dotnet publish failed"
fi

# Everything below runs in a private mount namespace when unshare works: the kernel drops its mounts
# when the last process in it exits, however the run ends.
inner=$(cat <<'EOF'
set -euo pipefail
root="$1"; limit="$2"; shift 2
binds=() envs=()
while [[ $1 != -- ]]; do binds+=("$1"); shift; done
shift
while [[ $1 != -- ]]; do envs+=("$1"); shift; done
shift
mounted=()
cleanup() { local i; for (( i=${#mounted[@]}-1; i>=0; i-- )); do umount -l "${mounted[i]}" 2>/dev/null || true; done; }
trap cleanup EXIT
mnt() { mount "$@"; mounted+=("${@: -1}"); }
mnt -t proc proc "$root/proc"
mnt -t sysfs sysfs "$root/sys"
mnt --bind /dev "$root/dev"
for b in "${binds[@]}"; do
  src="${b%%:*}"; dst="$root/${b#*:}"
  mkdir -p "$dst"
  mnt --bind "$src" "$dst"
done
run=(chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin:/app
  TERM="${TERM:-dumb}" DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 "${envs[@]}" "$@")
if [[ -n $limit ]]; then run=(timeout --kill-after=10 "$limit" "${run[@]}"); fi
status=0
"${run[@]}" || status=$?
exit "$status"
EOF
)

unmount_all
trap unmount_all EXIT
status=0
if unshare --mount --propagation private true 2>/dev/null; then
  unshare --mount --propagation private --fork --kill-child bash -c "$inner" inner "$root" "$limit" "${binds[@]}" -- "${envs[@]}" -- "$@" || status=$?
else
  bash -c "$inner" inner "$root" "$limit" "${binds[@]}" -- "${envs[@]}" -- "$@" || status=$?
fi
# 77 means "skipped" to callers: a command that itself exits 77 has failed.
if [[ $status == "$SKIP" ]]; then echo "opencl-root: the command exited $SKIP; reported as 1" >&2; status=1; fi
exit "$status"
