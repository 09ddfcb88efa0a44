#!/bin/bash
# Readers of a scan file while a 2-rank writer holds it open (h5py and `hopscan status`), the
# lock seen from another process, kill -9 of every writer rank, the file after the kill, and
# resume after the kill (the lock file left behind must not block).
# usage: output_concurrent.sh TEST_OUTPUT_EXE   (HOPSCAN, HOPSCAN_MPIRUN, HOPSCAN_SOURCE_DIR from ctest)
set -u
T=$1
SRC=${HOPSCAN_SOURCE_DIR:?}
PY=/usr/bin/python3
MPIRUN=(${HOPSCAN_MPIRUN:?} --allow-run-as-root --oversubscribe --bind-to none -np 2)
dir=$(mktemp -d /tmp/hopscan-output-conc-XXXXXX)
writer=
fail=0
cleanup() {
  if [ -n "$writer" ] && kill -0 "$writer" 2>/dev/null; then
    kill "$writer" 2>/dev/null
    wait "$writer" 2>/dev/null
  fi
  if [ $fail = 0 ]; then rm -rf "$dir"; else echo "files kept in $dir"; fi
}
trap cleanup EXIT
check() { # description, command...
  what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fail=1; fi
}

"${MPIRUN[@]}" "$T" hold "$dir" &
writer=$!
for _ in $(seq 1 600); do
  [ -e "$dir/ready" ] && break
  kill -0 "$writer" 2>/dev/null || break
  sleep 0.1
done
check "writer has written two epochs and holds the file open" test -e "$dir/ready"

check "h5py reads the file while it is open for writing" \
  $PY "$SRC/tests/output_check.py" --synthetic "$dir/out.h5"
check "h5py with its default (HDF5 file locking on) reads it too" \
  $PY -c "import h5py, sys; print(int(h5py.File(sys.argv[1], 'r')['done'][()].sum()))" \
  "$dir/out.h5"
"$HOPSCAN" status "$dir/out.h5" >"$dir/status1.txt" 2>&1
check "status reads the file while it is open for writing" test $? = 0
cat "$dir/status1.txt"
check "status: done/total" grep -q "samples done: 13 / 36 (36.1 %): incomplete" "$dir/status1.txt"
check "status: per L" grep -qE "L = dense +[0-9]+ / 18 +[0-9.]+ %" "$dir/status1.txt"
check "status: per alpha_D" grep -qE "alpha_D = 0.05 +[0-9]+ / 12 " "$dir/status1.txt"
check "status: config text" grep -q "^  seed: 5$" "$dir/status1.txt"
$PY "$SRC/tests/output_lock_holder.py" --probe "$dir/out.h5.lock"
check "another process cannot take the lock while the writer runs" test $? = 3

# kill -9 every writer rank (as a node failure would), then mpirun goes down.
for p in "$dir"/pid.*; do kill -9 "$(cat "$p")"; done
wait "$writer" 2>/dev/null
writer=

check "h5py reads the file after kill -9" $PY "$SRC/tests/output_check.py" --synthetic "$dir/out.h5"
"$HOPSCAN" status "$dir/out.h5" >"$dir/status2.txt" 2>&1
check "status reads the file after kill -9" test $? = 0
check "status after kill: same progress" grep -q "samples done: 13 / 36" "$dir/status2.txt"
check "the killed writer's lock file is still there" test -e "$dir/out.h5.lock"
$PY "$SRC/tests/output_lock_holder.py" --probe "$dir/out.h5.lock"
check "the lock died with the writer" test $? = 0

cp "$dir/out.h5" "$dir/before.h5"
check "resume after kill -9 keeps the done flags and completes" "${MPIRUN[@]}" "$T" resume "$dir"
check "resume, epochs and close changed raw data only (no metadata rewritten)" \
  $PY "$SRC/tests/output_check.py" --same-metadata "$dir/before.h5" "$dir/out.h5"
check "complete file passes the contract check" \
  $PY "$SRC/tests/output_check.py" --synthetic --complete "$dir/out.h5"
"$HOPSCAN" status "$dir/out.h5" >"$dir/status3.txt" 2>&1
check "status on the complete file" grep -q "samples done: 36 / 36 (100.0 %): complete" "$dir/status3.txt"
# kill -9 during creation, fresh and with --overwrite (about 100 MB, built in ~0.3 s): the output
# path never holds a half-made file; it is absent, the old complete file, or the new one.
MPIRUN1=(${HOPSCAN_MPIRUN} --allow-run-as-root --oversubscribe --bind-to none -np 1)
seen=
for delay in 0 0.05 0.1 0.15 0.2 0.3 0.5 1.5; do
  rm -f "$dir/create.pid"
  "${MPIRUN1[@]}" "$T" create "$dir" >/dev/null 2>&1 &
  cw=$!
  for _ in $(seq 1 500); do [ -s "$dir/create.pid" ] && break; sleep 0.01; done
  sleep "$delay"
  kill -9 "$(cat "$dir/create.pid")" 2>/dev/null
  wait "$cw" 2>/dev/null
  if [ -e "$dir/big.h5" ]; then
    check "after kill -9 at +$delay s during creation the file is complete" \
      $PY "$SRC/tests/output_check.py" "$dir/big.h5"
    seen="$seen present"
  else
    seen="$seen absent"
  fi
done
echo "output after each kill:$seen"
check "the first creation after the kills removed their temporary files" \
  test "$(ls "$dir" | grep -c 'big.h5.tmp-')" = 0
rm -f "$dir"/big.h5*

exit $fail
