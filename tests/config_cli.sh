#!/bin/sh
# `hopscan plan` on bad input: exit status 2, FILE:LINE:COL and the key on stderr, nothing on
# stdout and no file written; plus --help-config and its copy in docs/config.md.
# Needs HOPSCAN (the built binary) and HOPSCAN_SOURCE_DIR (set by ctest).
set -u
. "${HOPSCAN_SOURCE_DIR:?}/tests/check_lib.sh" # fail, tmp (cwd), check

cat > bad.yaml <<'YAML'
model: rfhm
N: 400
alpha: [0.1, 0.2]
alpha_D: [0.05, -0.1]
L: [1]
YAML
"$HOPSCAN" plan bad.yaml > out.txt 2> err.txt
rc=$?
cat err.txt
check "bad value: exit 2 (got $rc)" test "$rc" -eq 2
check "bad value: FILE:LINE:COL: key in stderr" \
  grep -q "bad.yaml:4:17: alpha_D\[1\]: -0.1 is out of range (must be > 0)" err.txt
check "bad value: nothing on stdout" test ! -s out.txt
check "bad value: no file written" test "$(ls -A | sort | tr '\n' ' ')" = "bad.yaml err.txt out.txt "

printf 'N: 400\nalpha: [0.1]\nalpha_D: [0.1]\nL: [1]\nsampels: 4\n' > typo.yaml
"$HOPSCAN" plan typo.yaml > out.txt 2> err.txt
rc=$?
cat err.txt
check "unknown key: exit 2 (got $rc)" test "$rc" -eq 2
check "unknown key: position and suggestion" \
  grep -q "typo.yaml:5:1: sampels: unknown key (did you mean 'samples'?)" err.txt

printf 'N: [400\n' > broken.yaml
"$HOPSCAN" plan broken.yaml > out.txt 2> err.txt
rc=$?
cat err.txt
check "malformed YAML: exit 2 (got $rc)" test "$rc" -eq 2
check "malformed YAML: libyaml's position" grep -q "broken.yaml:2:1: invalid YAML" err.txt

"$HOPSCAN" plan missing.yaml > out.txt 2> err.txt
rc=$?
cat err.txt
check "missing file: exit 2 (got $rc)" test "$rc" -eq 2
check "missing file: message" grep -q "missing.yaml: cannot open: No such file or directory" err.txt
check "missing file: nothing written" test ! -e missing.yaml

"$HOPSCAN" plan > out.txt 2> err.txt
rc=$?
check "no config: exit 2 (got $rc)" test "$rc" -eq 2
"$HOPSCAN" plan bad.yaml --frobnicate > out.txt 2> err.txt
rc=$?
check "unknown option: exit 2 (got $rc)" test "$rc" -eq 2
"$HOPSCAN" plan --help > out.txt 2> err.txt
rc=$?
check "plan --help: exit 0 (got $rc)" test "$rc" -eq 0
check "plan --help: usage" grep -q "usage: hopscan plan CONFIG.yaml" out.txt

# The key reference: every key, and docs/config.md carries the same table.
"$HOPSCAN" --help-config > help.txt
rc=$?
check "--help-config: exit 0 (got $rc)" test "$rc" -eq 0
for key in model N alpha alpha_D L coefficients samples probes.train probes.test probes.feature \
  dynamics.order dynamics.max_sweeps retrieval_threshold seed checkpoint.every_seconds \
  parallel.group_size parallel.block_size parallel.mem_per_rank; do
  check "--help-config lists $key" grep -q "^| \`$key\` " help.txt
done
while IFS= read -r line; do
  if ! grep -qxF -- "$line" "$HOPSCAN_SOURCE_DIR/docs/config.md"; then
    echo "FAIL: docs/config.md lacks the --help-config line: $line"
    fail=1
  fi
done < help.txt

[ "$fail" -eq 0 ] && echo "config_cli: all checks passed"
exit "$fail"
