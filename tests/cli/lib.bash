# Shared helpers of the tests/cli/*.sh scripts (sourced, not run; not *.sh, so ctest skips it). Each check counts a pass or
# prints "FAIL name: why" with the captured output; `skip` notes a part that could not run;
# `finish` prints the closing line and exits 1 on a failure, else 77 (ctest's SKIP_RETURN_CODE)
# if a part was skipped, else 0. Sets: tmp (a scratch folder removed on exit), cli_dir (this
# folder, for its helpers such as npy_split.py), passes, fails, skips. Output of `check` lands
# in $tmp/out and $tmp/err.
fails=0; passes=0; skips=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cli_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

pass() { passes=$((passes+1)); }
fail() { echo "FAIL $*"; fails=$((fails+1)); }
skip() { echo "SKIP $*"; skips=$((skips+1)); } # a part that could not run: the test is skipped

stsb_subset() { # train, dev, test rows: train.csv, dev.csv, test.csv from the real STS-B files
  local stsb=${PRLE_SHARED_DATA:-$(dirname "$0")/../../../shared/data}/stsb
  if [ ! -f "$stsb/sts-train.csv" ]; then skip "no STS-B files in $stsb"; return 1; fi
  head -"$1" "$stsb/sts-train.csv" >train.csv
  head -"$2" "$stsb/sts-dev.csv" >dev.csv
  head -"$3" "$stsb/sts-test.csv" >test.csv
}

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
  echo "$passes passed, $fails failed, $skips skipped"
  if [ "$fails" -ne 0 ]; then return 1; elif [ "$skips" -ne 0 ]; then return 77; fi
}

# ---- a small generated paraphrase data set and its config (no network) ----------------------
# pairs_row I: two short texts of animal words that share more words the higher the score,
# score I % 6 (0..5); the same I always gives the same row.
pairs_words=(cat dog bird fish horse cow goat sheep lion tiger bear wolf fox deer mouse owl)
pairs_row() {
  local i=$1 a=${pairs_words[$(($1 % 16))]} b=${pairs_words[$((($1 * 7) % 16))]}
  local c=${pairs_words[$((($1 * 3) % 16))]} s=$(($1 % 6))
  if [ $s -ge 3 ]; then printf 'the %s and the %s\tthe %s and a %s\t%d\n' "$a" "$b" "$a" "$b" "$s"
  else printf 'the %s and the %s\ta %s runs\t%d\n' "$a" "$b" "$c" "$s"; fi
}
# pairs_tsvs N_TRAIN N_DEV N_TEST: head.tsv (s1, s2, score) and train.tsv, dev.tsv, test.tsv in
# the current folder, holding rows 0.. of pairs_row in that order.
pairs_tsvs() {
  local a=$1 b=$(($1 + $2)) c=$(($1 + $2 + $3)) i
  printf 's1\ts2\tscore\n' >head.tsv
  { cat head.tsv; for ((i = 0; i < a; i++)); do pairs_row "$i"; done; } >train.tsv
  { cat head.tsv; for ((i = a; i < b; i++)); do pairs_row "$i"; done; } >dev.tsv
  { cat head.tsv; for ((i = b; i < c; i++)); do pairs_row "$i"; done; } >test.tsv
}
# yaml_sections [section.key=value...]: the model, train and kernel sections of the settings, in
# that order, each "key: value" (the value written as YAML) under its section's header; a
# section without settings is left out. Returns 1 for a setting of another section.
yaml_sections() {
  local sec kv
  for kv in "$@"; do
    case ${kv%%.*} in model | train | kernel) ;; *) echo "yaml_sections: bad setting '$kv'" >&2
      return 1 ;; esac
  done
  for sec in model train kernel; do
    case " ${*%%.*} " in *" $sec "*) printf '%s:\n' "$sec" ;; esac
    for kv in "$@"; do
      if [ "${kv%%.*}" = "$sec" ]; then kv=${kv#*.}; printf '  %s: %s\n' "${kv%%=*}" "${kv#*=}"; fi
    done
  done
}
# small_yaml NAME [section.key=value...]: small.yaml in the current folder, data set NAME read
# from train.tsv / dev.tsv / test.tsv (header, texts s1 s2, label score in 0..5, cache
# cache/small), the hashing encoder with hidden_dim 16, seed 7. Each extra setting is added to
# its section (model, train or kernel) as "key: value", the value written as YAML, e.g.
# train.output_dir=runs or kernel.projection_kwargs="{hidden_dim: 12}"; keys above not again.
small_yaml() {
  local name=$1 body; shift
  body=$(yaml_sections model.encoder_type=hashing model.hidden_dim=16 train.seed=7 "$@") || return 1
  {
    printf 'data:\n  name: %s\n  format: tsv\n  header: true\n' "$name"
    printf '  files: {train: train.tsv, validation: dev.tsv, test: test.tsv}\n'
    printf '  text_fields: [s1, s2]\n  label_field: score\n  label_min: 0\n  label_max: 5\n'
    printf '  embedding_cache_dir: cache/small\n'
    printf '%s\n' "$body"
  } >small.yaml
}
# npy_py ARGS...: python3 with tests/cli/npy_split.py importable (nothing written beside it)
npy_py() { PYTHONPATH="$cli_dir" PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 "$@"; }
# npy_yaml FILE NAME: a config of train.csv / validation.csv / test.csv (text, label) whose
# embeddings are emb/{split}_embeds.npy (encoder_type npy; tests/cli/npy_split.py writes both),
# seed 2, the run in runs/NAME.
npy_yaml() {
  printf 'data:\n  name: %s\n' "$2" >"$1"
  printf '  files: {train: train.csv, validation: validation.csv, test: test.csv}\n' >>"$1"
  printf '  text_fields: [text]\n  label_field: label\n  embedding_cache_dir: emb\n' >>"$1"
  printf 'model:\n  encoder_type: npy\ntrain:\n  seed: 2\n  output_dir: runs\n' >>"$1"
  printf 'logging:\n  run_name: %s\n' "$2" >>"$1"
}
# stsb_yaml CACHE [section.key=value...]: small.yaml in the current folder for the STS-B subset
# of stsb_subset (train.csv, dev.csv, test.csv; pair features), embeddings cached in CACHE, the
# hashing encoder, and the settings in their sections as yaml_sections writes them.
stsb_yaml() {
  local cache=$1 body; shift
  body=$(yaml_sections model.encoder_type=hashing "$@") || return 1
  {
    printf 'data:\n  name: stsb\n  files: {train: train.csv, validation: dev.csv, test: test.csv}\n'
    printf '  combine_fields: false\n  embedding_cache_dir: %s\n' "$cache"
    printf '%s\n' "$body"
  } >small.yaml
}
