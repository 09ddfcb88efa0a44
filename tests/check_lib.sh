# Sourced (POSIX sh) by the CLI test scripts: makes a private temporary directory the current
# directory (removed on exit), and defines `check DESCRIPTION COMMAND...`, which prints
# "FAIL: DESCRIPTION" and sets fail=1 when COMMAND fails. The script ends with `exit $fail`.
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

check() { # description, command...
  what=$1
  shift
  if ! "$@"; then
    echo "FAIL: $what"
    fail=1
  fi
}
