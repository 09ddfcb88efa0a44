#!/bin/sh
# `hopscan plan` on a small config: the numbers it prints (tasks, P, D, group size for --ranks
# and --mem-per-rank, work), its refusal when no group size fits, and the same run under
# mpirun (rank 0 alone speaks). Needs HOPSCAN, HOPSCAN_MPIRUN, HOPSCAN_SOURCE_DIR (set by ctest).
set -u
. "${HOPSCAN_SOURCE_DIR:?}/tests/check_lib.sh" # fail, tmp (cwd), check

# N = 256 in 4 blocks of 64; P = 13, 128; D = 13, 26; 12 probes; the couplings engine (J's
# memory). Peak bytes per rank at P = 128, D = 26: 701952 (g = 1), 436480 (g = 2, 3),
# 303744 (g = 4).
cat > small.yaml <<'YAML'
N: 256
alpha: [0.05, 0.5]
alpha_D: [0.05, 0.1]
L: [1, dense]
samples: 3
probes: {train: 4, test: 4, feature: 4}
dynamics: {engine: couplings}
YAML

"$HOPSCAN" plan small.yaml --ranks 5 --mem-per-rank 500000 > out.txt 2> err.txt
rc=$?
check "engine table: couplings for every alpha" test "$(grep -cE '^ +0\.(05|5) +[0-9]+ +couplings ' out.txt)" -eq 2
check "engine table: core-hours total" grep -q "core-hours (.* with J built for every task" out.txt
cat out.txt err.txt
check "plan: exit 0 (got $rc)" test "$rc" -eq 0
check "grid" grep -q "^grid        A x B x C = 2 x 2 x 2 = 8 points$" out.txt
check "tasks" grep -q "^tasks       8 points x 3 samples = 24 tasks$" out.txt
check "alpha row" grep -Eq "^  alpha\[2\] +0\.05 +0\.5$" out.txt
check "P row" grep -Eq "^  P +13 +128$" out.txt
check "alpha_D row" grep -Eq "^  alpha_D\[2\] +0\.05 +0\.1$" out.txt
check "D row" grep -Eq "^  D +13 +26$" out.txt
check "L row" grep -Eq "^  L +1 dense$" out.txt
check "ranks" grep -q "^parallel     5 ranks = 1 master + 4 workers" out.txt
check "group size 2" grep -q "^  group size   2 (automatic: smallest that fits), 2 groups$" out.txt
check "peak rows" grep -q "128 of 256 neuron rows per rank" out.txt
check "work" grep -q "J builds 221.77 MFLOP" out.txt
check "J memory" grep -Eq "J float32 \(N x N, ScaLAPACK\) +256.0 KiB" out.txt

"$HOPSCAN" plan small.yaml --ranks 5 --mem-per-rank=300K > out.txt 2> err.txt
check "group size 4 at 300 KiB" grep -q "^  group size   4 (automatic" out.txt
"$HOPSCAN" plan small.yaml --mem-per-rank 1G > out.txt 2> err.txt
check "default one rank" grep -q "^parallel     1 rank (master and worker), 1.0 GiB per rank" out.txt
check "group size 1" grep -q "^  group size   1 (automatic: smallest that fits), 1 group$" out.txt

# Refusal: 2 workers, 400 kB per rank; groups of 4 would fit.
"$HOPSCAN" plan small.yaml --ranks 3 --mem-per-rank 400000 > out.txt 2> err.txt
rc=$?
cat err.txt
check "refusal: exit 2 (got $rc)" test "$rc" -eq 2
check "refusal: message" grep -q "no worker-group size fits in 390.6 KiB per rank" err.txt
check "refusal: what would fit" grep -q "groups of 4 ranks, i.e. --ranks 5 or more" err.txt
check "refusal: bytes needed" grep -q "436480 bytes" err.txt
check "refusal: still prints the plan" grep -q "none fits" out.txt

# Bad options.
"$HOPSCAN" plan small.yaml --ranks 0 > out.txt 2> err.txt
rc=$?
check "--ranks 0: exit 2 (got $rc)" test "$rc" -eq 2
"$HOPSCAN" plan small.yaml --mem-per-rank 4Q > out.txt 2> err.txt
rc=$?
check "--mem-per-rank 4Q: exit 2 (got $rc)" test "$rc" -eq 2

# Canonical text on request.
"$HOPSCAN" plan small.yaml --canonical > out.txt 2> err.txt
check "--canonical" grep -q "^alpha: \[0.05, 0.5\]$" out.txt

# Hopfield: no alpha_D/D rows.
printf 'N: 32000\nalpha: [0.5, 2]\nalpha_D: [0.005]\nL: [3]\n' > big.yaml
"$HOPSCAN" plan big.yaml --ranks 9 --mem-per-rank 1G > out.txt 2> err.txt
check "auto at N = 32000: one rank per group in 1 GiB" grep -q "group size   1 (automatic" out.txt
check "... every alpha on the overlaps engine" test "$(grep -cE ' overlaps +[0-9.]+ MiB' out.txt)" -eq 2
printf 'model: hopfield\nN: 500\nalpha: [0.1, 0.14]\nsamples: 2\n' > hop.yaml
"$HOPSCAN" plan hop.yaml > out.txt 2> err.txt
rc=$?
check "hopfield: exit 0 (got $rc)" test "$rc" -eq 0
check "hopfield: P row" grep -Eq "^  P +50 +70$" out.txt
check "hopfield: no D row" sh -c '! grep -Eq "^  (D|alpha_D)" out.txt'
check "hopfield: tasks" grep -q "^tasks       2 points x 2 samples = 4 tasks$" out.txt

# Under mpirun: the default --ranks is the number of ranks; rank 0 alone prints.
if [ -n "${HOPSCAN_MPIRUN:-}" ]; then
  "$HOPSCAN_MPIRUN" -np 2 "$HOPSCAN" plan small.yaml --mem-per-rank 1G > out.txt 2> err.txt
  rc=$?
  check "mpirun plan: exit 0 (got $rc)" test "$rc" -eq 0
  check "mpirun plan: one report for 2 ranks" test "$(grep -c '^parallel     2 ranks' out.txt)" -eq 1
  printf 'N: 256\nalpha: [0.05]\nalpha_D: [0.05]\nL: [1, 99]\n' > bad.yaml
  "$HOPSCAN_MPIRUN" -np 2 "$HOPSCAN" plan bad.yaml > out.txt 2> err.txt
  rc=$?
  cat err.txt
  check "mpirun bad config: exit 2 (got $rc)" test "$rc" -eq 2
  check "mpirun bad config: one message" test "$(grep -c 'bad.yaml:4:8: L\[1\]' err.txt)" -eq 1
fi

[ "$fail" -eq 0 ] && echo "plan_cli: all checks passed"
exit "$fail"
