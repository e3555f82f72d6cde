#!/usr/bin/env bash
# Self-contained run folders (issue 14, item 4): a run folder copied elsewhere, with its data
# files and embedding cache deleted, predicts and explains texts (with intervals) exactly as
# before, from what it keeps (encoder.safetensors, dataset.json, prototypes.json); eval and
# the splits' rows say that they need the data. Pairs and single texts, hashing encoder.
# Usage: moved.sh /path/to/prle
set -u
prle=$1
. "$(dirname "$0")/lib.bash"
cd "$tmp" || exit 1

pairs_tsvs 80 20 20
small_yaml moved model.num_prototypes=4 train.train_batch_size=16 train.output_dir=runs
check run 0 "$prle" -q run small.yaml --no-analyze --no-report
for f in dataset.json encoder.safetensors prototypes.json; do
  ok "kept $f" [ -s "runs/small/$f" ]
done
contains marker-records runs/small/.prle-run '"encoder.safetensors"'
ask=(--text "the cat and the dog" --text2 "the cat and a dog" --explain 3 --interval 0.9)
check before 0 "$prle" predict runs/small "${ask[@]}" --format json
cp out before.json
check before-table 0 "$prle" predict runs/small "${ask[@]}"
cp out before.txt

# data files changed in place since the run (the same training rows, reversed): the saved
# predictions would be paired with other rows' labels and the prototypes named by other rows,
# so the folder answers from what it keeps, and eval says why it cannot
cp train.tsv train.tsv.orig
{ head -1 train.tsv.orig; tail -n +2 train.tsv.orig | tac; } >train.tsv
check changed-eval 2 "$prle" eval runs/small --no-write
lines changed-eval err 1
contains changed-eval err "runs/small: eval (with the labels of every split) needs the run's dataset, and the rows of its train split are not those it was trained on ($tmp/train.tsv)"
check changed-split 2 "$prle" predict runs/small --split test
check changed-predict 0 "$prle" predict runs/small "${ask[@]}"
ok changed-same cmp -s out before.txt
mv train.tsv.orig train.tsv
check restored-eval 0 "$prle" eval runs/small --no-write

mkdir elsewhere && cp -r runs/small elsewhere/ && rm -rf runs train.tsv dev.tsv test.tsv cache
check after 0 "$prle" predict elsewhere/small "${ask[@]}" --format json
ok same-json cmp -s out before.json
contains after out '"text":"the wolf and the deer"' # a prototype's text, from the folder
check after-table 0 "$prle" predict elsewhere/small "${ask[@]}"
ok same-table cmp -s out before.txt
check eval 2 "$prle" eval elsewhere/small
contains eval err "elsewhere/small: eval (with the labels of every split) needs the run's dataset"
contains eval err "$tmp/train.tsv"
lines eval err 1
check split 2 "$prle" predict elsewhere/small --split test
contains split err "reading the rows of a split needs the run's dataset"
check report 0 "$prle" report elsewhere/small

# a tampered kept file is refused as the model files are
sed -i 's/"n_texts": 2/"n_texts": 1/' elsewhere/small/dataset.json
check tampered 2 "$prle" predict elsewhere/small --text "a" --text2 "b"
contains tampered err "dataset.json"

# single texts (one text column), and an encoder state of other settings
{ printf 'text\tscore\n'; for i in $(seq 0 59); do
  printf 'word%d and the %s\t%d\n' $((i % 7)) "$( ((i % 2)) && echo cat || echo dog)" $((i % 5))
done; } >one.tsv
cat >one.yaml <<EOS
data:
  name: one
  file: one.tsv
  text_fields: [text]
  label_field: score
  embedding_cache_dir: cache/one
model:
  encoder_type: hashing
  hidden_dim: 16
  num_prototypes: 3
train:
  seed: 7
  output_dir: runs
EOS
check one-run 0 "$prle" -q run one.yaml --no-analyze --no-report
# without data.name the data line names the file
check one-unnamed 0 "$prle" run one.yaml data.name=null logging.run_name=unnamed --no-analyze \
  --no-report
# (the fixture's texts repeat: the held-out rows that are training texts are counted)
matches one-unnamed out "^data .* unnamed, from one.tsv: 42 / 9 / 9 rows; 6 of 9 validation and 8 of 9 test rows repeat a training text$"
rm -rf runs/unnamed
# a run whose text column has its own name: an --input table in the run's columns, without its
# label column, is read by that name; --text2 has no place beside one text
{ printf 'review\tstars\n'; tail -n +2 one.tsv; } >own.tsv
sed -e 's/name: one/name: own/' -e 's/one.tsv/own.tsv/' -e 's/\[text\]/[review]/' \
  -e 's/label_field: score/label_field: stars/' -e 's#cache/one#cache/own#' one.yaml >own.yaml
check own-run 0 "$prle" -q run own.yaml --no-analyze --no-report
printf 'id,review\n1,word3 and the cat\n2,word5 and the dog\n' >own-new.csv
check own-input 0 "$prle" predict runs/own --input own-new.csv --format csv
cp out own-input.csv
check own-text 0 "$prle" predict runs/own --text "word5 and the dog" --format csv
ok own-same [ "$(sed -n 3p own-input.csv | cut -d, -f3)" = "$(sed -n 2p out | cut -d, -f3)" ]
# the same rows as a JSON array of objects (*.json, read whole), indented over lines
printf '[\n {"id": 1, "review": "word3 and the cat"},\n {"id": 2,\n  "review": "word5 and the dog"}\n]\n' \
  >own-new.json
check own-json 0 "$prle" predict runs/own --input own-new.json --format csv
ok own-json-same cmp -s out own-input.csv
printf '[{"review": "a"},\n 7]\n' >own-bad.json
check own-json-bad 2 "$prle" predict runs/own --input own-bad.json
contains own-json-bad err "own-bad.json:2: expected a JSON object, found a number"
# JSON that does not parse is said so, not blamed on the run's dataset format
printf '[{"review": "a"},\n {"review": "b"' >own-trunc.json
check own-json-trunc 2 "$prle" predict runs/own --input own-trunc.json
contains own-json-trunc err "own-trunc.json:2: the JSON array is not closed"
lacks own-json-trunc err "dataset format"
printf 'id,body\n1,word3\n' >own-other.csv
check own-other 2 "$prle" predict runs/own --input own-other.csv
contains own-other err "read in the run's dataset format (it is not a table with a text, review or sentence1 column)"
check own-text2 2 "$prle" predict runs/own --text "a" --text2 "b"
contains own-text2 err "this run's dataset has single texts: --text2 has no place"
printf 'text,text2\nword3 and the cat,a dog\n' >own-two.csv
check own-two 2 "$prle" predict runs/own --input own-two.csv
contains own-two err "own-two.csv: this run's dataset has single texts: the file's second text column text2 has no place"
# the training file alone (no validation or test file): both cut from it as data.file is
check own-cut 0 "$prle" run own.yaml data.file=null data.files.train=own.tsv logging.run_name=cut \
  --no-analyze --no-report
matches own-cut out "^data .* own: 42 / 9 / 9 rows \(validation and test cut from the training file\); 6 of 9 validation and 8 of 9 test rows repeat a training text$"
ok own-cut-same cmp -s runs/own/predictions_test.csv runs/cut/predictions_test.csv
rm -rf runs/own runs/cut
check one-before 0 "$prle" predict runs/one --text "word3 and the cat" --explain 2
cp out one.txt
mv runs/one one-moved && rm -rf one.tsv cache runs
check one-after 0 "$prle" predict one-moved --text "word3 and the cat" --explain 2
ok one-same cmp -s out one.txt
finish
