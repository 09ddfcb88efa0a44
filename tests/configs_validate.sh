#!/bin/sh
# Every shipped config in configs/ validates (`hopscan plan` exits 0).
set -u
fail=0
err=$(mktemp)
trap 'rm -f "$err"' EXIT
n=0
for f in "$HOPSCAN_SOURCE_DIR"/configs/*.yaml; do
  [ -e "$f" ] || continue
  n=$((n + 1))
  if "$HOPSCAN" plan "$f" > /dev/null 2> "$err"; then
    echo "ok: $f"
  else
    echo "FAIL: $f"
    cat "$err"
    fail=1
  fi
done
if [ "$n" -eq 0 ]; then
  echo "FAIL: no configs found in $HOPSCAN_SOURCE_DIR/configs"
  fail=1
fi
exit "$fail"
