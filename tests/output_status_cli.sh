#!/bin/bash
# `hopscan status`: help, usage errors (exit 2) for missing, foreign and non-HDF5 files.
set -u
PY=/usr/bin/python3
dir=$(mktemp -d /tmp/hopscan-output-status-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail=0
expect() { # description, exit status, pattern in output, command...
  what=$1 want=$2 pat=$3
  shift 3
  out=$("$@" 2>&1)
  rc=$?
  if [ "$rc" = "$want" ] && printf '%s\n' "$out" | grep -q -- "$pat"; then
    echo "ok: $what"
  else
    echo "FAIL: $what (exit $rc, want $want; output:)"
    printf '%s\n' "$out"
    fail=1
  fi
}
expect "status --help" 0 "usage: hopscan status OUT.h5" "$HOPSCAN" status --help
expect "status without a file" 2 "give the output file" "$HOPSCAN" status
expect "status with an unknown option" 2 "unknown option '--frobnicate'" "$HOPSCAN" status --frobnicate x.h5
expect "status on a missing file" 2 "$dir/missing.h5: No such file or directory" "$HOPSCAN" status "$dir/missing.h5"
echo "not hdf5" >"$dir/text.h5"
expect "status on a text file" 2 "not a hopscan scan file" "$HOPSCAN" status "$dir/text.h5"
$PY -c "import h5py,sys; h5py.File(sys.argv[1],'w').attrs['format']='other/1'" "$dir/foreign.h5"
expect "status on a foreign HDF5 file" 2 "format attribute is 'other/1'" "$HOPSCAN" status "$dir/foreign.h5"
$PY -c "import h5py,sys; h5py.File(sys.argv[1],'w').attrs['format']='hopscan-scan/1'" "$dir/format1.h5"
expect "status on a format-1 file" 2 "this file is format hopscan-scan/1" "$HOPSCAN" status "$dir/format1.h5"
exit $fail
