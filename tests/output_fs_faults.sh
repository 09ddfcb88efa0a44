#!/usr/bin/env bash
# Faults of the file system under the output, on real (tmpfs) mounts: a read-only directory, a
# disk too small for the output, and reading a finished scan from a read-only mount. Each must
# give one clear error naming the path and the system's reason, exit 1, and leave nothing behind.
# Needs root for mount (exits 77 = skipped otherwise).
set -uo pipefail
: "${HOPSCAN:?}" "${HOPSCAN_SOURCE_DIR:?}"
MPIRUN=(${HOPSCAN_MPIRUN:-mpirun} --allow-run-as-root --oversubscribe -np 2)
work=$(mktemp -d /tmp/hopscan-fsfaults-XXXXXX)
mounted=()
cleanup() {
  for m in "${mounted[@]}"; do umount "$m" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
fail=0
check() { # description, condition...
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fail=1; fi
}
mnt() { # dir, options
  mkdir -p "$1"
  mount -t tmpfs -o "$2" tmpfs "$1" 2>/dev/null || { echo "cannot mount tmpfs (not root?): skipped"; exit 77; }
  mounted+=("$1")
}
cat > "$work/tiny.yaml" <<'YAML'
N: 100
alpha: [0.1, 0.2]
alpha_D: [0.05]
L: [1]
samples: 2
probes: {train: 4, test: 4, feature: 4}
YAML
cd "$work"

# 1. read-only output directory
mnt ro ro,size=1m
out=$("${MPIRUN[@]}" "$HOPSCAN" run "$HOPSCAN_SOURCE_DIR/configs/demo.yaml" -o ro/demo.h5 --quiet 2>&1)
rc=$?
check "read-only directory: exit 1 (got $rc)" test "$rc" -eq 1
check "read-only directory: message names the path and the reason" \
  grep -q "ro/demo.h5.*Read-only file system" <<<"$out"
check "read-only directory: nothing written" test -z "$(ls -A ro)"

# 2. a disk too small for the output: refused before HDF5 writes, no half-made file
mnt full size=48k
out=$("${MPIRUN[@]}" "$HOPSCAN" run "$HOPSCAN_SOURCE_DIR/configs/demo.yaml" -o full/demo.h5 --quiet 2>&1)
rc=$?
check "disk full: exit 1 (got $rc)" test "$rc" -eq 1
check "disk full: message names the path and the reason" \
  grep -q "full/demo.h5.*No space left on device" <<<"$out"
check "disk full: no output and no temporary file" \
  test -z "$(ls -A full | grep -v '\.lock$')"

# 3. a finished scan on a mount that became read-only: status reads it, run says why it cannot
mnt data size=4m
"${MPIRUN[@]}" "$HOPSCAN" run tiny.yaml -o data/t.h5 --quiet >/dev/null 2>&1
check "scan on tmpfs completes" sh -c '"$0" status "$1" | grep -q complete' "$HOPSCAN" data/t.h5
mount -o remount,ro data || { echo "cannot remount read-only: skipped"; exit 77; }
out=$("$HOPSCAN" status data/t.h5 2>&1)
check "status on a read-only mount: exit 0" test $? -eq 0
check "status on a read-only mount: complete" grep -q "complete" <<<"$out"
out=$("${MPIRUN[@]}" "$HOPSCAN" run tiny.yaml -o data/t.h5 --quiet 2>&1)
rc=$?
check "run on a read-only mount: exit 1 (got $rc)" test "$rc" -eq 1
check "run on a read-only mount: says why" grep -q "data/t.h5.*Read-only file system" <<<"$out"

echo "$([ $fail -eq 0 ] && echo 'output_fs_faults: all checks passed' || echo 'output_fs_faults: FAILED')"
exit $fail
