#!/bin/sh
# `hopscan bench`: usage errors exit 2 with the option named, and a tiny run completes, which
# includes its own check that the fast and textbook dynamics agree on every probe.
set -u
. "${HOPSCAN_SOURCE_DIR:?}/tests/check_lib.sh" # fail, tmp (cwd), check

"$HOPSCAN" bench --N >out.txt 2>err.txt
check "bench --N without a value exits 2" test $? -eq 2
check "... naming the option" grep -q -- "--N needs a value" err.txt
"$HOPSCAN" bench --bogus >out.txt 2>err.txt
check "bench --bogus exits 2" test $? -eq 2
check "... naming it" grep -q -- "unknown option '--bogus'" err.txt
"$HOPSCAN" bench --N 160 --alpha 0.5 --probes 4 --sample-N 120 --engine-N 1000 \
  --engine-alpha 0.1,0.6 --big-N 1000 >out.txt 2>err.txt
check "a tiny bench runs (exit 0)" test $? -eq 0
check "... and reports identical fast and textbook results" grep -q "identical results 8/8" out.txt
check "... and the SGEMM ratio" grep -q "PSGEMM / SGEMM" out.txt
check "... the overlaps sweep against a read of the packed patterns" \
  grep -q "reads of the packed patterns" out.txt
check "... both engines and auto with identical results at each alpha" \
  test "$(grep -c "x .* yes (auto" out.txt)" -eq 2
check "... and the large-N comparison" grep -q "ratio couplings / overlaps" out.txt
[ $fail -eq 0 ] && echo "bench_cli: all checks passed" || cat out.txt err.txt
exit $fail
