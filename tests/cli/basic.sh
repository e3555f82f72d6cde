#!/usr/bin/env bash
# The prle command's skeleton: help, version, exit codes of SPEC.md §8.
# Usage: basic.sh /path/to/prle
set -u
prle=$1
. "$(dirname "$0")/lib.bash"

check help 0 "$prle" --help
contains help out "usage: prle"
empty help err
for c in run embed kernel train eval predict baselines analyze report vectors; do
  matches "help lists $c" out "^  $c "
done

check version 0 "$prle" --version
matches version out "^prle [0-9]+\.[0-9]+\.[0-9]+$"
check version-cmd 0 "$prle" version
# idle OpenMP threads sleep and malloc asks for 2 MB pages (issue 15): the program restarts
# itself with a passive wait policy and glibc's hugetlb tunable unless the user chose them
check wait-policy 0 env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT -u GLIBC_TUNABLES "$prle" -v --version
contains wait-policy out "OMP_WAIT_POLICY=passive GOMP_SPINCOUNT=(unset) GLIBC_TUNABLES=glibc.malloc.hugetlb=1"
check wait-policy-kept 0 env -u GOMP_SPINCOUNT OMP_WAIT_POLICY=active "$prle" -v --version
contains wait-policy-kept out "OMP_WAIT_POLICY=active GOMP_SPINCOUNT=(unset)"
check spincount-kept 0 env -u OMP_WAIT_POLICY GOMP_SPINCOUNT=1000 "$prle" -v --version
contains spincount-kept out "OMP_WAIT_POLICY=(unset) GOMP_SPINCOUNT=1000"
check tunables-kept 0 env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT GLIBC_TUNABLES=glibc.malloc.check=0 "$prle" -v --version
contains tunables-kept out "OMP_WAIT_POLICY=passive GOMP_SPINCOUNT=(unset) GLIBC_TUNABLES=glibc.malloc.check=0"

check no-args 2 "$prle"
contains no-args err "usage: prle"
empty no-args out

check unknown-command 2 "$prle" frobnicate
contains unknown-command err "prle: unknown command 'frobnicate'"
contains unknown-command err "usage: prle"
empty unknown-command out

check unknown-option 2 "$prle" --frobnicate
contains unknown-option err "prle: unknown option '--frobnicate'"

check help-cmd 0 "$prle" help predict
contains help-cmd out "usage: prle predict RUN"
check help-unknown 2 "$prle" help frobnicate
check cmd-help 0 "$prle" version --help
contains cmd-help out "usage: prle version"

# Commands of later issues say so and exit 1, unless --help is asked.
"$prle" help >"$tmp/list"
for c in $(grep 'not built yet' "$tmp/list" | awk '{print $1}'); do
  check "unbuilt $c" 1 "$prle" "$c" x.yaml
  contains "unbuilt $c" err "not built yet"
done

finish
