#!/usr/bin/env bash
# A run of precomputed embeddings (encoder_type npy) keeps the size and sha256 of its input
# files in dataset.json; prle analyze, prle baselines into the folder and everything that reads
# a split's embeddings again refuse (exit 2, one line naming the file) once a file was replaced
# (prle analyze also once a data file holds other rows), and work again with the file restored
# or after a new prle run. Writes the .npy files with the
# standard library (no NumPy).
# Usage: npy_inputs.sh /path/to/prle
set -u
prle=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/lib.bash"
cd "$tmp" || exit 1
py=/usr/bin/python3

mkdir -p emb
cat >gen.py <<'EOF'
# gen.py SEED [csv]: emb/{split}_embeds.npy of 4 columns (and the csv files, labels ~ column 0)
import random, sys
import npy_split
rng = random.Random(int(sys.argv[1]))
for split, n in (("train", 60), ("validation", 20), ("test", 20)):
    rows = [[rng.gauss(0, 1) for _ in range(4)] for _ in range(n)]
    labels = [r[0] + 0.1 * rng.gauss(0, 1) for r in rows] if len(sys.argv) > 2 else None
    npy_split.write(split, rows, labels)
EOF
npy_py gen.py 1 csv
npy_yaml t.yaml tiny
run=runs/tiny
cp -r emb emb_run

check run 0 "$prle" run t.yaml --no-report
# dataset.json records each input file: its path, size and sha256
check record 0 "$py" - <<'EOF'
import hashlib, json, os
e = json.load(open("runs/tiny/dataset.json"))["embeddings"]
assert len(e) == 3, e
for rec, split in zip(e, ("train", "validation", "test")):
    path = f"emb/{split}_embeds.npy"
    assert os.path.samefile(rec["path"], path), rec
    assert rec["size"] == os.path.getsize(path), rec
    assert rec["sha256"] == hashlib.sha256(open(path, "rb").read()).hexdigest(), rec
EOF
check analyze_same 0 "$prle" analyze $run --no-tsne

# the validation file replaced by other rows of the same shape
npy_py gen.py 5
cp emb_run/train_embeds.npy emb_run/test_embeds.npy emb/
check analyze_changed 2 "$prle" analyze $run --no-tsne
lines analyze_changed_one_line err 1
matches analyze_changed err "^prle: runs/tiny: analyze needs the run's embeddings, and [^ ]*emb/validation_embeds\.npy is not the file of validation embeddings it was made from \(it changed since\): the run was made from other data \(prle run again to use the new data\)$"
check baselines_changed 2 "$prle" baselines t.yaml --models ridge
contains baselines_changed err "emb/validation_embeds.npy is not the file of validation embeddings"
# eval scores the value rows the run kept (value/); without them it reads the embeddings again
check eval_kept 0 "$prle" eval $run --no-write
mv $run/value/validation_embeds.npy value_validation.npy
check eval_changed 2 "$prle" eval $run --no-write
contains eval_changed err "reading the embeddings of a split needs the run's embeddings, and"
contains eval_changed err "emb/validation_embeds.npy is not the file of validation embeddings"
mv value_validation.npy $run/value/validation_embeds.npy

# a file of one more byte (another size) says the same
cp emb_run/validation_embeds.npy emb/
printf '\0' >>emb/test_embeds.npy
check analyze_size 2 "$prle" analyze $run --no-tsne
contains analyze_size err "emb/test_embeds.npy is not the file of test embeddings"

# the run's files back: it works again
cp emb_run/*.npy emb/
check analyze_restored 0 "$prle" analyze $run --no-tsne
check baselines_restored 0 "$prle" baselines t.yaml --models ridge

# so does a data file of other rows (here one label edited)
cp validation.csv validation.keep
sed -i '2s/,.*/,9.5/' validation.csv
check analyze_rows 2 "$prle" analyze $run --no-tsne
matches analyze_rows err "^prle: runs/tiny: analyze needs the run's dataset, and the rows of its validation split are not those it was trained on \([^ ]*validation\.csv\): the run was made from other data \(prle run again to use the new data\)$"
mv validation.keep validation.csv

# new files and a new run: the run is made from them, and analyze works on it
npy_py gen.py 5
check rerun 0 "$prle" run t.yaml --no-report
check analyze_rerun 0 "$prle" analyze $run --no-tsne
check rerecord 0 "$py" - <<'EOF'
import hashlib, json
e = json.load(open("runs/tiny/dataset.json"))["embeddings"]
assert e[1]["sha256"] == hashlib.sha256(open("emb/validation_embeds.npy", "rb").read()).hexdigest()
EOF
finish
