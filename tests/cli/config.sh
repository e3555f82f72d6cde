#!/usr/bin/env bash
# prle config CONFIG [key=value...]: the resolved config on stdout, errors as exit 2 naming
# file:line:col and the key, W&B notices on stderr (SPEC.md §8, §10).
# Usage: config.sh /path/to/prle
set -u
prle=$1
data=${PRLE_TEST_DATA:-$(dirname "$0")/../data}/config
. "$(dirname "$0")/lib.bash"


check help 0 "$prle" help config
contains help out "usage: prle config CONFIG [key=value...]"
check listed 0 "$prle" --help
contains listed out "  config "

# a good config: every section printed, values from the file, notices on stderr
check good 0 "$prle" config "$data/good.yaml"
contains good out "  gating_strategy: knn"
contains good out "  knn_k: 4"
contains good out "  tau_init: 1.5"
contains good out "  learning_rate: 0.001"
contains good out "  stages: [kernel, experts]"
contains good out "  run_name: \"good\""
contains good out "  embedding_cache_dir: \"$(pwd)/embed_cache\""   # a default: from the cwd
contains good err "prle: notice: $data/good.yaml:8:3: ignoring W&B key logging.project_name"
lacks good out "project_name"
lacks good err "use_value_space"

# a key kept for the original's configs but not acted on says so
check value_space 0 "$prle" config "$data/good.yaml" model.use_value_space=false
contains value_space err "prle: notice: model.use_value_space: false is not acted on"
# so does a router that proto_rbf's own RBF weights leave unused; its default is silent
check rbf_knn 0 "$prle" config "$data/good.yaml" model.type=proto_rbf model.gating_strategy=knn
contains rbf_knn err "prle: notice: model.gating_strategy: knn is not used by model.type: proto_rbf"
check rbf 0 "$prle" config "$data/good.yaml" model.type=proto_rbf model.gating_strategy=softmax
lacks rbf err "notice: model.gating_strategy"

# overrides change the printed values; relative paths come from the current directory
check override 0 "$prle" config "$data/good.yaml" model.tau_init=2.5 train.seed=7 \
  'pipeline.stages=[experts]' data.embedding_cache_dir=cache/stsb
contains override out "  tau_init: 2.5"
contains override out "  seed: 7"
contains override out "  stages: [experts]"
contains override out "  embedding_cache_dir: \"$(pwd)/cache/stsb\""

# the output reads back to the same configuration
"$prle" config "$data/good.yaml" model.knn_k=6 >"$tmp/resolved.yaml" 2>/dev/null
check reload 0 "$prle" config "$tmp/resolved.yaml"
if cmp -s "$tmp/out" "$tmp/resolved.yaml"; then pass; else
  echo "FAIL reload: output differs after a round trip"; diff "$tmp/resolved.yaml" "$tmp/out"
  fails=$((fails+1)); fi
empty reload err

# errors: exit 2, one line "prle: FILE:LINE:COL: message" naming the key, nothing on stdout
check unknown-key 2 "$prle" config "$data/bad_key.yaml"
contains unknown-key err "prle: $data/bad_key.yaml:4:3: unknown key 'model.gatting_strategy'"
empty unknown-key out
printf 'model:\n  knn_k: three\n' >"$tmp/bad_type.yaml"
check bad-type 2 "$prle" config "$tmp/bad_type.yaml"
contains bad-type err "prle: $tmp/bad_type.yaml:2:10: expected an integer for 'model.knn_k', got 'three'"
printf 'knn_k: 3\n' >"$tmp/bad_level.yaml" # the right name at the wrong level: where it goes
check bad-level 2 "$prle" config "$tmp/bad_level.yaml"
contains bad-level err "unknown key 'knn_k' (did you mean 'model.knn_k'? it belongs under 'model')"
check bad-level-override 2 "$prle" config "$data/good.yaml" train.knn_k=3
contains bad-level-override err "(did you mean 'model.knn_k'?"
printf 'model:\n\tknn_k: 3\n' >"$tmp/tab.yaml"
check tab-indent 2 "$prle" config "$tmp/tab.yaml"
contains tab-indent err "$tmp/tab.yaml:2:1: "
contains tab-indent err "(a tab: YAML indents with spaces"
check run-name-null 0 "$prle" config "$data/good.yaml" logging.run_name=null
contains run-name-null out 'run_name: "good"'
check seed-plus 0 "$prle" config "$data/good.yaml" train.seed=+7
contains seed-plus out "  seed: 7"
printf 'data:\n  name: [unclosed\n' >"$tmp/bad_syntax.yaml"
check bad-syntax 2 "$prle" config "$tmp/bad_syntax.yaml"
contains bad-syntax err "prle: $tmp/bad_syntax.yaml:3:1:"
check unknown-override 2 "$prle" config "$data/good.yaml" model.foo=1
contains unknown-override err "prle: override 'model.foo=1': unknown key 'model.foo'"
empty unknown-override out
check bad-override 2 "$prle" config "$data/good.yaml" model.tau_init=abc
contains bad-override err "expected a number for 'model.tau_init', got 'abc'"
check not-assignment 2 "$prle" config "$data/good.yaml" extra
contains not-assignment err "expected key=value after CONFIG, got 'extra'"
check no-config 2 "$prle" config
contains no-config err "missing CONFIG"
check missing-file 2 "$prle" config "$tmp/none.yaml"
contains missing-file err "$tmp/none.yaml"

# settings that contradict each other are found when the data is read, and named with the
# config they came from
printf 'data:\n  file: a.csv\n  files: {train: b.csv}\n' >"$tmp/both.yaml"
check both-files 2 "$prle" embed "$tmp/both.yaml"
contains both-files err "prle: $tmp/both.yaml: data.file and data.files are both set"
printf 'model:\n  encoder_type: hashing\n' >"$tmp/nodata.yaml"
check no-data 2 "$prle" embed "$tmp/nodata.yaml"
contains no-data err "prle: $tmp/nodata.yaml: data.file and data.files are unset: set one"

# what prle run would refuse only after its data loaded or its kernel trained is refused by
# prle config (and by prle run before any work), naming the key
n=0
for bad in "model.trainable_prototypes=true|model.trainable_prototypes: stage 2 keeps" \
  "model.monitor=val_pearson|model.monitor: stage 2 stops early on val_mse only" \
  "model.tau_min=2 model.tau_max=1|model.tau_max (1) must be >= model.tau_min (2)" \
  "model.pooling=cls|model.pooling: cls is not for glove (mean or sif)" \
  "kernel.proj_dim=33 kernel.projection_type=rff|kernel.proj_dim must be even for rff" \
  "data.embedding_cache_dir=$tmp/runs/early/cache|data.embedding_cache_dir ($tmp/runs/early/cache) lies in the run folder"; do
  n=$((n + 1))
  read -r -a kv <<<"${bad%%|*}"
  check "early-$n" 2 "$prle" config "$data/good.yaml" train.output_dir="$tmp/runs" \
    logging.run_name=early model.encoder_type=glove "${kv[@]}"
  contains "early-$n" err "${bad#*|}"
  empty "early-$n" out
  check "early-run-$n" 2 "$prle" run "$data/good.yaml" train.output_dir="$tmp/runs" \
    logging.run_name=early model.encoder_type=glove "${kv[@]}"
  contains "early-run-$n" err "${bad#*|}"
done
ok early-no-folder [ ! -e "$tmp/runs/early" ]
# an error about a key an override set names the override, not the file
check override-named 2 "$prle" config "$data/good.yaml" model.trainable_prototypes=true
contains override-named err "prle: override 'model.trainable_prototypes=true': model.trainable_prototypes"
printf 'model:\n  monitor: val_loss\n' >"$tmp/monitor.yaml"
check monitor-in-file 2 "$prle" config "$tmp/monitor.yaml"
contains monitor-in-file err "prle: $tmp/monitor.yaml: model.monitor: stage 2 stops early"

finish
