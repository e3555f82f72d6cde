#!/usr/bin/env bash
# prle analyze RUN: on a small run folder made by prle kernel (a generated paraphrase TSV, the
# hashing encoder, no network): analysis.json parses and has the keys of docs/run-folder.md,
# its correlation equals kernel_report.json's, the t-SNE maps have one point per row, the
# prototype rows of a model.safetensors are marked, 1 and 2 threads give the same file, and
# --no-tsne / --no-oracle, a missing folder or value space and bad prototype rows behave.
# Usage: analyze.sh /path/to/prle
set -u
prle=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/lib.bash"
cd "$tmp" || exit 1
py=/usr/bin/python3; [ -x "$py" ] || py=python3 # only the json module is needed

pairs_tsvs 80 20 20
small_yaml analyze-fixture model.num_prototypes=4 train.train_batch_size=16 \
  train.output_dir=runs kernel.max_epochs=1 'kernel.projection_kwargs={hidden_dim: 12}'

# a safetensors file holding one I64 tensor prototype_rows (what prle_model_save writes)
protos() { # path, rows...
  "$py" - "$@" <<'EOF'
import json, struct, sys
rows = [int(v) for v in sys.argv[2:]]
head = json.dumps({"prototype_rows": {"dtype": "I64", "shape": [len(rows)],
                                      "data_offsets": [0, 8 * len(rows)]}}).encode()
head += b" " * (-len(head) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(head)) + head + struct.pack(f"<{len(rows)}q", *rows))
EOF
}

# the run's marker (.prle-run) recording the folder's files as they are now, as a run that wrote
# them would: the steps below edit config.yaml and move model.safetensors by hand, which
# prle analyze refuses otherwise (see "a changed byte" below)
remark() { # run folder
  "$py" - "$1" <<'EOF'
import hashlib, json, os, sys
d = sys.argv[1]
m = json.load(open(os.path.join(d, ".prle-run")))
for name in list(m["files"]):
    p = os.path.join(d, name)
    if not os.path.exists(p):
        del m["files"][name]
        continue
    b = open(p, "rb").read()
    m["files"][name] = {"size": len(b), "sha256": hashlib.sha256(b).hexdigest()}
json.dump(m, open(os.path.join(d, ".prle-run"), "w"))
EOF
}

cat >check.py <<'EOF'
import json, sys
a = json.load(open(sys.argv[1]))
k = json.load(open(sys.argv[2]))
want_protos = [int(v) for v in sys.argv[3].split(",")] if sys.argv[3] else []
assert a["format"] == "prle-analysis" and a["version"] == 1, "format"
assert a["label_min"] == 0 and a["label_max"] == 5, "label range"
for s in ("retrieval", "value"):  # the computation of kernel_report.json, the same pairs
    for m in ("pearson", "spearman"):
        assert a["correlation"][s][m] == k[s][m], (s, m, a["correlation"][s][m], k[s][m])
o = a["oracle_moe"]
assert [r["model"] for r in o] == ["svr", "linear"], "oracle models"
for r in o:
    assert r["k"] == 4 and len(r["medoids"]) == 4 and all(0 <= m < 80 for m in r["medoids"])
    assert r["min_cluster"] >= 1 and r["max_cluster"] <= 100 and r["label_scale"] == "unit"
    for side in ("global", "oracle"):
        m = r[side]
        assert m["n"] == 20 and 0 <= m["mse"] < 1 and -1 <= m["pearson"] <= 1, (side, m)
t = a["tsne"]
assert t["perplexity"] == 30 and t["seed"] == 7 and t["method"] == "auto", "tsne params"
assert t["splits"] == ["train", "validation", "test"] and t["counts"] == [80, 20, 20], "counts"
assert len(t["labels"]) == 120 and t["labels"][:7] == [0, 1, 2, 3, 4, 5, 0], "labels"
assert t["labels"][80:82] == [80 % 6, 81 % 6] and t["labels"][119] == 119 % 6, "label order"
assert t["prototype_points"] == want_protos, t["prototype_points"]
for s in ("retrieval", "value"):
    xy = t[s]["xy"]
    assert len(xy) == sum(t["counts"]) and all(len(p) == 2 for p in xy), (s, len(xy))
    assert t[s]["kl"] > 0 and t[s]["n_iter"] >= 250, (s, t[s]["kl"])
print("analysis.json ok")
EOF

check help 0 "$prle" help analyze
contains help out "usage: prle analyze RUN [--no-tsne] [--no-oracle] [--oracle-rows N] [--tsne-rows N]"
check kernel 0 "$prle" -q kernel small.yaml
run=runs/small

check analyze 0 "$prle" -q analyze $run
contains analyze out "run runs/small: 80 / 20 / 20 rows; prototypes: none (no model yet)"
matches analyze out "^distance-label correlation \(train\): retrieval pearson -?[0-9.]+ spearman"
contains analyze out "oracle MoE, value space, k = 4, fit on train + validation"
matches analyze out "^svr +global +[0-9.]+ +-?[0-9.]+ "
matches analyze out "^linear +global +[0-9.]+ +-?[0-9.]+ "
matches analyze out "^ +oracle +[0-9.]+ +-?[0-9.]+ +-?[0-9.]+ +-?[0-9.]+ +[0-9]+\.\.[0-9]+, "
matches analyze out "^t-SNE \(perplexity 30\): retrieval KL [0-9.]+ in [0-9.]+ s; value KL"
contains analyze out "wrote runs/small/analysis.json"
empty analyze err
check json 0 "$py" check.py $run/analysis.json $run/kernel_report.json ""
contains json out "analysis.json ok"

# the same file again (seconds aside), and on 1 thread as on 2, t-SNE included (README,
# Reproducibility: no result depends on the thread count). The retrieval map is kept in the
# embedding cache: the second run reads it (the same bits); a cache file that is missing, from
# other rows or damaged is computed again.
strip() { grep -v '"seconds"\|"cached"' "$1"; }
cached() { # analysis.json, want for retrieval, want for value
  "$py" -c 'import json, sys; t = json.load(open(sys.argv[1]))["tsne"]
assert [str(t[s]["cached"]) for s in ("retrieval", "value")] == sys.argv[2:], sys.argv' "$@" ; }
tmap=$(find "$tmp" -name tsne-retrieval.safetensors)
ok map_stored test -s "$tmap"
cp $run/analysis.json first.json
check again 0 "$prle" -q analyze $run
ok again_same cmp -s <(strip first.json) <(strip $run/analysis.json)
ok has_seconds grep -q '"seconds"' first.json
ok first_computed cached first.json False False
ok again_read cached $run/analysis.json True False
printf 'not a map' >"$tmap"
check damaged 0 "$prle" -q analyze $run
ok damaged_same cmp -s <(strip first.json) <(strip $run/analysis.json)
ok damaged_computed cached $run/analysis.json False False
rm -f "$tmap"
sed -i 's/^  threads: .*/  threads: 2/' $run/config.yaml
remark $run
check two_threads 0 "$prle" -q analyze $run
cp $run/analysis.json two.json
rm -f "$tmap"
sed -i 's/^  threads: .*/  threads: 1/' $run/config.yaml
remark $run
check one_thread 0 "$prle" -q analyze $run
ok threads_same cmp -s <(strip two.json) <(strip $run/analysis.json)
ok one_thread_computed cached $run/analysis.json False False

# prototype rows from model.safetensors are marked
protos $run/model.safetensors 5 17 42 3
check protos 0 "$prle" -q analyze $run --no-oracle
contains protos out "prototypes: from model.safetensors"
lacks protos out "oracle MoE"
check json_protos 0 "$py" - $run/analysis.json <<'EOF'
import json, sys
a = json.load(open(sys.argv[1]))
assert a["tsne"]["prototype_points"] == [5, 17, 42, 3] and "oracle_moe" not in a
assert a["correlation"]["value"]["pearson"] is not None
print("ok")
EOF
protos $run/model.safetensors 5 80
check bad_protos 2 "$prle" -q analyze $run --no-tsne --no-oracle
contains bad_protos err "model.safetensors: prototype_rows[1] = 80 is not a training row (80 rows)"
rm $run/model.safetensors

check no_tsne 0 "$prle" analyze $run --no-tsne
lacks no_tsne out "t-SNE"
contains no_tsne err "prle: analyze: oracle 2/2"
lacks no_tsne err "oracle:svr" # the fits one by one only on a terminal or with -v
check oracle_fits 0 "$prle" -v analyze $run --no-tsne
contains oracle_fits err "prle: oracle:svr: 5/5 (" # the global model and 4 clusters
contains oracle_fits err "prle: oracle:linear: 5/5 ("
ok no_tsne_json grep -q '"oracle_moe"' $run/analysis.json
# the oracle on a seeded sample of the train + validation rows (each split in proportion: 48 of
# 80 and 12 of 20), the medoids picked among the sampled training rows and named as training
# rows; the same sample and numbers again
check oracle_rows 0 "$prle" analyze $run --no-tsne --oracle-rows 60
contains oracle_rows out "fit on a sample of 60 of the 100 train + validation rows"
cp $run/analysis.json oracle_rows.json
check oracle_rows_again 0 "$prle" -q analyze $run --no-tsne --oracle-rows 60
check oracle_rows_json 0 "$py" - oracle_rows.json $run/analysis.json <<'EOF'
import json, sys
a, b = (json.load(open(f))["oracle_moe"] for f in sys.argv[1:])
for o in a:
    assert o["fit_rows"] == 60 and o["fit_rows_all"] == 100, o
    assert o["medoids_from"] == "k-medoids", o
    assert len(o["medoids"]) == 4 and all(0 <= m < 80 for m in o["medoids"]), o["medoids"]
    o.pop("seconds")
for o in b:
    o.pop("seconds")
assert a == b, "a second run differs"
EOF
check oracle_rows_all 0 "$prle" -q analyze $run --no-tsne --oracle-rows 0
ok oracle_rows_all_json grep -q '"fit_rows": 100' $run/analysis.json
check oracle_rows_bad 2 "$prle" analyze $run --oracle-rows x
contains oracle_rows_bad err "--oracle-rows needs a whole number, got 'x'"
lacks no_tsne_key runs/small/analysis.json '"tsne"'
# the maps on a seeded sample of the rows (each split in proportion: 67 of 80, 17 of 20 and the
# 16 left of 100), the prototype rows among the training rows drawn and marked at their places
# in the sample; the same sample and maps again; 0: every row
protos $run/model.safetensors 5 17 42 3
check tsne_rows 0 "$prle" analyze $run --no-oracle --tsne-rows 100
contains tsne_rows out "t-SNE of a sample of 100 of the 120 rows:"
cp $run/analysis.json tsne_rows.json
check tsne_rows_again 0 "$prle" -q analyze $run --no-oracle --tsne-rows 100
ok tsne_rows_same cmp -s <(strip tsne_rows.json) <(strip $run/analysis.json)
check tsne_rows_json 0 "$py" - tsne_rows.json <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))["tsne"]
rows = t["rows"]
assert t["counts"] == [67, 17, 16] and t["counts_all"] == [80, 20, 20], t["counts"]
assert rows == sorted(set(rows)) and len(rows) == 100, rows
spans = ((0, 80), (80, 100), (100, 120))
assert [sum(lo <= r < hi for r in rows) for lo, hi in spans] == [67, 17, 16], rows
assert [rows[p] for p in t["prototype_points"]] == [5, 17, 42, 3], t["prototype_points"]
assert t["labels"] == [r % 6 for r in rows], "labels of the sampled rows"
for s in ("retrieval", "value"):
    assert len(t[s]["xy"]) == 100, s
EOF
# a map of fewer than 91 rows: perplexity (rows - 1) / 3, said on the line and in the file
check tsne_rows_few 0 "$prle" analyze $run --no-oracle --tsne-rows 40
matches tsne_rows_few out "^t-SNE \(perplexity 13\): retrieval KL [0-9.]+ "
ok tsne_rows_few_json grep -q '"perplexity": 13,' $run/analysis.json
check tsne_rows_all 0 "$prle" -q analyze $run --no-oracle --tsne-rows 0
check tsne_rows_all_json 0 "$py" -c 'import json, sys; t = json.load(open(sys.argv[1]))["tsne"]
assert t["counts"] == [80, 20, 20] and "rows" not in t and "counts_all" not in t, t["counts"]
assert t["prototype_points"] == [5, 17, 42, 3]' $run/analysis.json
check tsne_rows_bad 2 "$prle" analyze $run --tsne-rows -3
contains tsne_rows_bad err "--tsne-rows needs a whole number, got '-3'"
check tsne_rows_huge 2 "$prle" analyze $run --tsne-rows 99999999999999999999 # not "all rows"
rm $run/model.safetensors

# a model fitted on this value space: the oracle takes its prototypes as its medoids (k-medoids
# would pick the same rows) and scores exactly as when it picks them itself
check train 0 "$prle" -q train small.yaml

# ---- a changed byte: prle analyze and prle report refuse the folder as prle eval does (the
# ---- marker's sha256, docs/run-folder.md), before analysis.json or report.html is written
flip() { # file: one float of its last tensor
  "$py" -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-5] ^= 0x40
open(sys.argv[1], "wb").write(b)' "$1"; }
analysis_before=$(sha256sum $run/analysis.json)
for f in model kernel; do
  cp $run/$f.safetensors $f.bak
  flip $run/$f.safetensors
  check flipped_analyze_$f 2 "$prle" -q analyze $run
  lines flipped_analyze_$f err 1
  contains flipped_analyze_$f err "prle: runs/small/$f.safetensors: its sha256 is not the one .prle-run records: the file changed after the run wrote it (run it again)"
  empty flipped_analyze_$f out
  ok flipped_analysis_kept_$f [ "$(sha256sum $run/analysis.json)" = "$analysis_before" ]
  check flipped_report_$f 2 "$prle" report $run
  lines flipped_report_$f err 1
  contains flipped_report_$f err "prle: runs/small/$f.safetensors: its sha256 is not the one .prle-run records"
  ok flipped_no_report_$f [ ! -e $run/report.html ]
  mv $f.bak $run/$f.safetensors
done
sed -i 's/^  seed: 7$/  seed: 8/' $run/config.yaml # a hand-edited config: the same, named
check edited_config 2 "$prle" -q analyze $run
lines edited_config err 1
contains edited_config err "prle: runs/small/config.yaml: its sha256 is not the one .prle-run records"
sed -i 's/^  seed: 8$/  seed: 7/' $run/config.yaml
check with_model 0 "$prle" -q analyze $run --no-tsne
cp $run/analysis.json with_model.json
mv $run/model.safetensors model.away
remark $run
check without_model 0 "$prle" -q analyze $run --no-tsne
check same_oracle 0 "$py" - with_model.json $run/analysis.json <<'EOF'
import json, sys
a, b = (json.load(open(p))["oracle_moe"] for p in sys.argv[1:3])
assert [r["medoids_from"] for r in a] == ["model", "model"], a
assert [r["medoids_from"] for r in b] == ["k-medoids", "k-medoids"], b
for r in a + b:
    del r["medoids_from"], r["seconds"]
assert a == b, (a, b)
print("ok")
EOF
contains same_oracle out "ok"
# the report says when the oracle fitted on a sample and when the maps showed one
check report_sample_analyze 0 "$prle" -q analyze $run --oracle-rows 60 --tsne-rows 100
check report_sample 0 "$prle" -q report $run
contains report_sample runs/small/report.html "fitted on a sample of 60 of the 100 train and validation rows"
contains report_sample runs/small/report.html "one map of a seeded sample of 100 of the 120 rows (each split in proportion, the prototypes among them)"
check report_all_analyze 0 "$prle" -q analyze $run
check report_all 0 "$prle" -q report $run
lacks report_all runs/small/report.html "fitted on a sample"
contains report_all runs/small/report.html "one map of all rows, the splits drawn alike"
rm model.away

# t-SNE's steps: plain lines in a pipe, a bar with rate and ETA on a terminal (script gives a
# pseudo-terminal)
check tsne_lines 0 "$prle" analyze $run --no-oracle
matches tsne_lines err '^prle: analyze: tsne 250/750, [0-9.]+ s \(value kl [0-9.]+\)$'
if command -v script >/dev/null; then
  check tsne_terminal 0 script -qec "$prle analyze $run --no-oracle" /dev/null
  matches tsne_terminal out 'tsne: \[#+\.+\] [0-9]+/750 \([0-9.]+ s, [0-9.e+]+/s, ETA [0-9.]+ s\) value kl '
  lacks tsne_terminal out "prle: analyze: tsne"
fi

# another config in the folder rebuilt the cache both configs name (a shared embed_cache):
# the run's own embeddings are encoded again, the same correlation as before
cp $run/analysis.json before_other.json
sed 's/^  hidden_dim: 16$/  hidden_dim: 24/' small.yaml >other.yaml
check other_embed 0 "$prle" -q embed other.yaml
check other_cache 0 "$prle" analyze $run --no-oracle --no-tsne
contains other_cache out "retrieval embeddings encoded again (the cache did not hold the run's: "
check other_same 0 "$py" -c 'import json, sys
a, b = (json.load(open(f))["correlation"] for f in sys.argv[1:])
assert a == b, (a, b)' before_other.json $run/analysis.json
check other_reused 0 "$prle" analyze $run --no-oracle --no-tsne
lacks other_reused out "encoded again"

# errors
check no_run 2 "$prle" analyze runs/missing
contains no_run err "runs/missing/config.yaml"
check usage 2 "$prle" analyze
check option 2 "$prle" analyze $run --bogus
check two_runs 2 "$prle" analyze $run $run
rm $run/value/test_embeds.npy
check no_value 2 "$prle" analyze $run
contains no_value err "value/test_embeds.npy not found: run prle kernel"
finish
