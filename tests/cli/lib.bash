# Shared helpers of the tests/cli/*.sh scripts (sourced, not run; not *.sh, so ctest skips it). Each check counts a pass or
# prints "FAIL name: why" with the captured output; `finish` prints the closing line ctest reads.
# Sets: tmp (a scratch folder removed on exit), passes, fails. Output of `check` lands in
# $tmp/out and $tmp/err.
fails=0; passes=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

pass() { passes=$((passes+1)); }
fail() { echo "FAIL $*"; fails=$((fails+1)); }

check() { # name, expected exit code, command...
  local name=$1 want=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?
  if [ "$got" -eq "$want" ]; then pass; else
    fail "$name: exit $got, expected $want"; cat "$tmp/out" "$tmp/err"; fi
}
contains() { # name, file, fixed string
  if grep -qF -- "$3" "$tmp/$2"; then pass; else fail "$1: $2 lacks '$3'"; cat "$tmp/$2"; fi
}
matches() { # name, file, extended regex
  if grep -qE -- "$3" "$tmp/$2"; then pass; else
    fail "$1: $2 does not match '$3'"; cat "$tmp/$2"; fi
}
lacks() { # name, file, fixed string
  if ! grep -qF -- "$3" "$tmp/$2"; then pass; else fail "$1: $2 has '$3'"; cat "$tmp/$2"; fi
}
empty() { # name, file
  if [ ! -s "$tmp/$2" ]; then pass; else fail "$1: $2 not empty"; cat "$tmp/$2"; fi
}
lines() { # name, file, count
  local n; n=$(wc -l <"$tmp/$2")
  if [ "$n" -eq "$3" ]; then pass; else fail "$1: $2 has $n lines, expected $3"; cat "$tmp/$2"; fi
}
ok() { # name, condition...
  local name=$1; shift
  if "$@"; then pass; else fail "$name: $*"; fi
}
finish() {
  echo "$passes passed, $fails failed"
  [ "$fails" -eq 0 ]
}
