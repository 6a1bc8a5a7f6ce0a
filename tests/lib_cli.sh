# Sourced by tests/cli_*.sh: a temporary folder $tmp removed at exit, fail() counting failures,
# expect_error, and finish NAME (the summary line; exit status 1 after any failure).
set -u
tmp="$(mktemp -d /tmp/ulrseg_cli_XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
# expect_error CODE TEXT CMD...: the command exits CODE with TEXT in its one-line stderr.
expect_error() {
  local code=$1 text=$2
  shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  [ "$rc" = "$code" ] || fail "$* exited $rc, expected $code: $(cat "$tmp/err")"
  grep -qF -- "$text" "$tmp/err" || fail "$*: stderr lacks '$text': $(cat "$tmp/err")"
  [ "$(wc -l <"$tmp/err")" -le 1 ] || fail "$*: more than one line on stderr: $(cat "$tmp/err")"
}
finish() {
  if [ "$fails" -ne 0 ]; then
    echo "$1: $fails check(s) failed" >&2
    exit 1
  fi
  echo "$1: all checks passed"
  exit 0
}
