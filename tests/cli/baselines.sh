#!/usr/bin/env bash
# prle baselines CONFIG: the six wrapper baselines end to end on a small generated paraphrase TSV
# with the hashing encoder (no network): the table, baselines.json (--out, or the run folder by
# default), the same numbers on 1 and 2 threads, --space value on the value space of prle kernel
# (refused with exit 2 before it), bad options refused with exit 2.
# Usage: baselines.sh /path/to/prle
set -u
prle=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/lib.bash"
cd "$tmp" || exit 1
py=/usr/bin/python3; [ -x "$py" ] || py=python3 # flips a byte of a file below

pairs_tsvs 80 20 20
small_yaml baselines-fixture

check help 0 "$prle" help baselines
contains help out "usage: prle baselines CONFIG"

check run 0 "$prle" -q baselines small.yaml --out b1.json
contains run out "80 / 20 / 20 rows"
for m in linear ridge knn svr dt rf; do
  matches "run $m" out "^$m +[0-9.]+ +[0-9.]+ +-?[0-9.]+ +-?[0-9.]+ +-?[0-9.]+ +[0-9.]+ "
done
contains run out "wrote b1.json"
empty run err
ok json test -s b1.json
for k in '"format": "prle-baselines"' '"space": "retrieval"' '"label_scale": "unit"' \
  '"label_min": 0,' '"label_max": 5,' '"name": "rf"' '"pearson":' \
  '"best": "C='; do
  if grep -qF -- "$k" b1.json; then pass; else fail "json lacks $k"; fi
done

# 1 and 2 threads: the same numbers (seconds aside)
check threads1 0 "$prle" -q baselines small.yaml train.threads=1 --out b2.json
strip() { grep -v '"seconds"' "$1"; }
ok "threads same" cmp -s <(strip b1.json) <(strip b2.json)

check progress 0 "$prle" baselines small.yaml --models ridge,knn --out b3.json
contains progress err "prle: baselines: ridge: 4 grid points"
lines progress out 5

# the SVR on a seeded sample of the train + validation rows (--svr-rows: 48 of 80 and 12 of 20),
# said on a line and in the JSON; the same numbers again; 0 = all rows; other models take all
check svr_rows 0 "$prle" -q baselines small.yaml --models ridge,svr --svr-rows 60 --out s1.json
contains svr_rows out "svr: fitted on a seeded sample of 60 of the 100 train + validation rows (--svr-rows)"
lacks svr_rows out "ridge: fitted on a seeded sample"
ok svr_rows_json grep -q '"fit_rows": 60' s1.json
ok svr_rows_ridge_json grep -q '"fit_rows": 100' s1.json
check svr_rows_again 0 "$prle" -q baselines small.yaml --models ridge,svr --svr-rows 60 --out s2.json
ok svr_rows_same cmp -s <(strip s1.json) <(strip s2.json)
check svr_rows_all 0 "$prle" -q baselines small.yaml --models svr --svr-rows 0 --out s3.json
lacks svr_rows_all out "fitted on a seeded sample"
ok svr_rows_all_json grep -q '"fit_rows": 100' s3.json
check svr_rows_bad 2 "$prle" baselines small.yaml --svr-rows many
contains svr_rows_bad err "--svr-rows needs a whole number, got 'many'"

# the default output: the run folder {train.output_dir}/{run_name}, created for retrieval
# a grid's points as progress lines with -v (reported by the calling thread, the last one after
# the grid), then the model's line
check grid_progress 0 "$prle" -v baselines small.yaml --models svr --out b4.json
matches grid_progress err '^prle: baselines:svr: 24/24 \([0-9.]+ s, .*\) grid points$'
contains grid_progress err "prle: baselines: svr: 24 grid points"
check default 0 "$prle" -q baselines small.yaml --models ridge
matches default out "^wrote /.*/runs/small/baselines.json$"
ok default_file grep -q '"space": "retrieval"' runs/small/baselines.json

# --space value: the kernel's value space of the same run folder
check value_early 2 "$prle" baselines small.yaml --space value
contains value_early err "runs/small/value/train_embeds.npy not found"
contains value_early err "run prle kernel small.yaml first"
check kernel 0 "$prle" -q kernel small.yaml kernel.max_epochs=1 kernel.projection_kwargs.hidden_dim=12
check value 0 "$prle" -q baselines small.yaml --space value --models ridge,knn,svr
contains value out "value space, 80 / 20 / 20 rows, width 80"
for m in ridge knn svr; do
  matches "value $m" out "^$m +[0-9.]+ +[0-9.]+ +-?[0-9.]+ +-?[0-9.]+ +-?[0-9.]+ +[0-9.]+ "
done
matches value out "^wrote /.*/runs/small/baselines_value.json$"
ok value_file grep -q '"space": "value"' runs/small/baselines_value.json
ok value_width grep -q '"width": 80' runs/small/baselines_value.json
ok retrieval_kept grep -q '"space": "retrieval"' runs/small/baselines.json
check value_out 0 "$prle" -q baselines small.yaml --space value --models ridge --out v.json
ok value_out_file grep -q '"space": "value"' v.json
# another config's embeddings (another width) under the same run name: not written beside
# that run's kernel as if they were its own; --out still writes them elsewhere
check other_width 2 "$prle" -q baselines small.yaml model.hidden_dim=32 --models ridge
contains other_width err "is a run of other embeddings: its kernel takes 80 columns, these have 160"
check other_width_out 0 "$prle" -q baselines small.yaml model.hidden_dim=32 --models ridge \
  --out w.json
# prle run keeps the folder's baselines while the data, the label range and the features are
# the same; the report leaves out a file of another range (its 0-1 scores divide by it), and a
# run with another range drops them
fast=(kernel.max_epochs=1 kernel.projection_kwargs.hidden_dim=12 train.max_epochs=2)
check embed_back 0 "$prle" -q embed small.yaml # other_width rebuilt the cache
check run_keeps 0 "$prle" -q run small.yaml "${fast[@]}" --no-analyze --no-report
ok kept_retrieval grep -q '"space": "retrieval"' runs/small/baselines.json
ok kept_value grep -q '"space": "value"' runs/small/baselines_value.json
sed 's/"label_max": 5,/"label_max": 9,/' runs/small/baselines.json >other.json
mv other.json runs/small/baselines.json
check report_range 0 "$prle" -q report runs/small
contains report_range runs/small/report.html "not shown — <code>baselines.json</code> scored labels 0 to 9"
check run_range 0 "$prle" run small.yaml "${fast[@]}" data.label_max=6 --no-analyze --no-report
# (pairs_row repeats every 48 rows: the data line says the held-out rows are training pairs)
matches run_range out "^data .*; 20 of 20 validation and 20 of 20 test rows repeat a training pair$"
ok range_dropped [ ! -e runs/small/baselines.json ] && ok range_dropped_value [ ! -e runs/small/baselines_value.json ]
check default_again 0 "$prle" -q baselines small.yaml --models ridge
# a changed byte in a file the run folder's marker records: refused as prle eval refuses it
# where baselines read the folder (into it, --space value), before any grid; --out of the
# retrieval space does not read it
cp runs/small/kernel.safetensors kernel.bak
"$py" -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-5] ^= 0x40
open(sys.argv[1], "wb").write(b)' runs/small/kernel.safetensors
for space in retrieval value; do
  check flipped_$space 2 "$prle" -q baselines small.yaml --space $space --models ridge
  lines flipped_$space err 1
  contains flipped_$space err "runs/small/kernel.safetensors: its sha256 is not the one .prle-run records: the file changed after the run wrote it (run it again)"
  empty flipped_$space out
done
check flipped_out 0 "$prle" -q baselines small.yaml --models ridge --out f.json
mv kernel.bak runs/small/kernel.safetensors
check unflipped 0 "$prle" -q baselines small.yaml --space value --models ridge
# value rows that do not match the data: refused
head -c 200 runs/small/value/test_embeds.npy >runs/small/value/test_embeds.npy.cut
mv runs/small/value/test_embeds.npy.cut runs/small/value/test_embeds.npy
check value_bad 2 "$prle" -q baselines small.yaml --space value --models ridge
contains value_bad err "test_embeds.npy"
check space 2 "$prle" baselines small.yaml --space other
check models 2 "$prle" baselines small.yaml --models lasso
contains models err "lasso"
check models_twice 2 "$prle" baselines small.yaml --models ridge,ridge
contains models_twice err "each once; got 'ridge,ridge'"
check models_empty 2 "$prle" baselines small.yaml --models ridge,
check option 2 "$prle" baselines small.yaml --bogus
check config 2 "$prle" baselines missing.yaml
# a split of one row: refused up front, naming the split and its file
mkdir tiny && cd tiny || exit 1
pairs_tsvs 6 3 1
small_yaml tiny
check tiny_split 2 "$prle" baselines small.yaml --models ridge
contains tiny_split err "baselines: the test split has 1 row ("
contains tiny_split err "test.tsv): too few to fit or score the baselines on; give it 2 or more"
cd .. || exit 1
finish
