#!/usr/bin/env bash
# prle embed CONFIG [key=value...]: the embedding cache (SPEC.md §3) end to end: built, reused,
# rebuilt after a data or setting change, bad input refused with exit 2 and no cache files,
# STS-B with the hashing encoder (no network), precomputed npy inputs, GloVe with fixture
# vectors when the glove encoder is built. Shapes are read from the .npy headers (no NumPy).
# Usage: embed.sh /path/to/prle
set -u
prle=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shared=${PRLE_SHARED_DATA:-$(dirname "$0")/../../../shared/data}
. "$(dirname "$0")/lib.bash"
cd "$tmp" || exit 1

shape() { # the shape in a .npy header, e.g. "(6, 80)"
  head -c 256 "$1" | tr -d '\0' | grep -ao "'shape': ([0-9]*, [0-9]*)" | sed "s/'shape': //"
}
no_cache() { # name, folder: nothing was left there
  if [ ! -e "$2" ] || [ -z "$(ls -A "$2")" ]; then pass; else
    echo "FAIL $1: $2 holds $(ls "$2")"; fails=$((fails+1)); fi
}

# ---- a small paraphrase TSV with a header, from a config alone -------------------------------
printf 's1\ts2\tscore\n' >head.tsv
{ cat head.tsv
  printf 'a man is playing a guitar\ta man plays the guitar\t4.5\n'
  printf 'a woman slices an onion\tsomeone is cutting an onion\t3.8\n'
  printf 'the cat sleeps\ta dog barks\t0.2\n'
  printf '...\t!!!\t1.0\n'; } >train.tsv
{ cat head.tsv; printf 'birds fly south\tthe train is late\t0.1\n'; } >dev.tsv
{ cat head.tsv; printf 'a girl rides a horse\ta horse is ridden\t4.9\n'
  printf 'zebra\t???\t0.0\n'; } >test.tsv
small_yaml paraphrase-fixture

check help 0 "$prle" help embed
contains help out "usage: prle embed CONFIG [key=value...]"

check build 0 "$prle" embed small.yaml
contains build out "cache/small: built (no cache yet)"
matches build out "^train +4 +80 "
matches build out "^validation +1 +80 "
matches build out "^test +2 +80 "
contains build out "texts with no known word (zero vectors): 3"
empty build err   # a pipe: no progress, no notice
ok build_shape_train [ "$(shape cache/small/train_embeds.npy)" = "(4, 80)" ]
ok build_shape_test [ "$(shape cache/small/test_embeds.npy)" = "(2, 80)" ]
ok build_manifest [ -s cache/small/embeds_manifest.json ]
cp cache/small/train_embeds.npy first_train.npy

check reuse 0 "$prle" embed small.yaml
contains reuse out "cache/small: reused"
empty reuse err
ok reuse_same cmp -s first_train.npy cache/small/train_embeds.npy
# prle run says so on its embed line
check run_zero 0 "$prle" run small.yaml kernel.max_epochs=1 train.max_epochs=2 --no-analyze \
  --no-report
matches run_zero out "^embed .*cache/small \(reused\); 3 of the 14 texts have no known word \(zero vectors\)$"
# and prle predict of new texts
check predict_zero 0 "$prle" predict runs/small --text "..." --text2 "a cat sleeps"
contains predict_zero err "prle: notice: 1 of the 2 texts has no known word: each is read as an empty text"
check predict_known 0 "$prle" predict runs/small --text "a dog" --text2 "a cat sleeps"
lacks predict_known err "no known word"

# same config in another folder: byte-identical files (determinism), 1 thread or 2
check again 0 "$prle" embed small.yaml data.embedding_cache_dir=cache/again train.threads=1
for f in train_embeds.npy validation_embeds.npy test_embeds.npy embeds_manifest.json; do
  ok "deterministic_$f" cmp -s "cache/small/$f" "cache/again/$f"
done

# the cache follows content, not time stamps: touching a file changes nothing
sleep 1; touch train.tsv dev.tsv test.tsv
check touched 0 "$prle" embed small.yaml
contains touched out "cache/small: reused"

# recorded data paths compare lexically normalised: a manifest written before config paths
# were normalised ("DIR/./x/../train.tsv") is still reused; a path to another file is not
man=cache/small/embeds_manifest.json
p=$(grep -o '"path": "[^"]*/train.tsv"' $man | sed 's/^"path": "//; s/"$//')
ok old_path_found [ -n "$p" ]
sed -i "s|\"$p\"|\"${p%/train.tsv}/./x/../train.tsv\"|" $man
ok old_path_edited grep -qF "/./x/../train.tsv" $man
check old_path 0 "$prle" embed small.yaml
contains old_path out "cache/small: reused"
sed -i "s|/./x/../train.tsv\"|/x/../dev.tsv\"|" $man
check other_path 0 "$prle" embed small.yaml
contains other_path out "cache/small: rebuilt"
contains other_path err "the train data file is now $p"

# a changed data file rebuilds, with a notice saying why
printf 'one more\tpair of texts\t2.0\n' >>dev.tsv
check data_changed 0 "$prle" embed small.yaml
contains data_changed out "cache/small: rebuilt"
contains data_changed err "prle: notice: rebuilding the cache"
contains data_changed err "validation data file"
ok data_changed_shape [ "$(shape cache/small/validation_embeds.npy)" = "(2, 80)" ]
check data_reuse 0 "$prle" embed small.yaml
contains data_reuse out "reused"

# a changed setting rebuilds; so does --force
check setting_changed 0 "$prle" embed small.yaml model.hidden_dim=8
contains setting_changed err "encoder settings changed"
ok setting_shape [ "$(shape cache/small/train_embeds.npy)" = "(4, 40)" ]
check combine 0 "$prle" embed small.yaml model.hidden_dim=8 data.combine_fields=true
contains combine err "text construction changed"
ok combine_shape [ "$(shape cache/small/train_embeds.npy)" = "(4, 8)" ]
check force 0 "$prle" embed small.yaml model.hidden_dim=8 data.combine_fields=true --force
contains force out "rebuilt (a rebuild was asked for)"

# a damaged .npy is never used
printf 'x' >>cache/small/test_embeds.npy
check damaged 0 "$prle" embed small.yaml model.hidden_dim=8 data.combine_fields=true
contains damaged err "test_embeds.npy does not match the manifest"
ok damaged_fixed [ "$(shape cache/small/test_embeds.npy)" = "(2, 8)" ]

# progress only with -v in a pipe
check verbose 0 "$prle" -v embed small.yaml data.embedding_cache_dir=cache/verbose
contains verbose err "embed:train: 8/8"
matches verbose err '^prle: embed:train: 8/8 \([0-9.]+ s, [0-9.e+]+/s\)$' # rate; no bar in a pipe
# on a terminal: a bar, the rate and an ETA before the end (script gives a pseudo-terminal)
if command -v script >/dev/null; then
  check terminal 0 script -qec "$prle embed small.yaml data.embedding_cache_dir=cache/tty" /dev/null
  contains terminal out "] 8/8 ("
  matches terminal out 'embed:[a-z]+: \[#{10}\.{10}\] [0-9]+/[0-9]+ \([0-9.]+ s, [0-9.e+]+/s, ETA '
fi
check quiet 0 "$prle" -q embed small.yaml data.embedding_cache_dir=cache/quiet
empty quiet err

# ---- bad input: exit 2, one line naming file/line/field, no cache files ------------------------
bad() { # name, expected message, overrides...
  local name=$1 msg=$2; shift 2
  rm -rf cache/bad
  check "$name" 2 "$prle" embed small.yaml data.embedding_cache_dir=cache/bad "$@"
  contains "$name" err "$msg"
  ok "${name}_one_line" [ "$(wc -l <"$tmp/err")" -eq 1 ]
  no_cache "${name}_no_cache" cache/bad
}
: >empty.tsv
bad empty_file "empty.tsv: empty file" data.files.train=empty.tsv
bad missing_column "no column \"nope\"" 'data.text_fields=[s1, nope]'
{ cat head.tsv; printf 'a b\tc d\tlots\n'; } >badlabel.tsv
bad non_numeric_label "badlabel.tsv:2: label 'lots'" data.files.test=badlabel.tsv
{ cat head.tsv; printf 'a b\tc d\n'; } >short.tsv
bad field_count "short.tsv:2: expected 3 fields" data.files.validation=short.tsv
bad missing_file "nothere.tsv" data.files.train=nothere.tsv
bad bad_encoder "model.encoder_type" model.encoder_type=bert
check bad_usage 2 "$prle" embed small.yaml --nope
check no_config 2 "$prle" embed

# ---- precomputed inputs: encoder_type npy -------------------------------------------------------
"$prle" embed small.yaml data.embedding_cache_dir=pre >/dev/null 2>&1
rm -f pre/embeds_manifest.json
check npy_inputs 0 "$prle" embed small.yaml model.encoder_type=npy data.embedding_cache_dir=pre
contains npy_inputs out "checked (precomputed .npy files, no manifest)"
matches npy_inputs out "^train +4 +80 "
ok npy_no_manifest [ ! -e pre/embeds_manifest.json ]
mv pre/test_embeds.npy pre/test.keep
check npy_missing 2 "$prle" embed small.yaml model.encoder_type=npy data.embedding_cache_dir=pre
contains npy_missing err "pre/test_embeds.npy"
mv pre/test.keep pre/test_embeds.npy
cp pre/train_embeds.npy pre/validation_embeds.npy
check npy_rows 2 "$prle" embed small.yaml model.encoder_type=npy data.embedding_cache_dir=pre
contains npy_rows err "pre/validation_embeds.npy: 4 rows, the validation split has 2"

# ---- STS-B with the hashing encoder (offline, ../shared/data) -----------------------------------
if [ -d "$shared/stsb" ]; then
  cat >stsb.yaml <<EOF
data:
  name: stsb
  data_dir: $shared
  embedding_cache_dir: cache/stsb
model:
  encoder_type: hashing
  hidden_dim: 64
EOF
  check stsb 0 "$prle" embed stsb.yaml
  matches stsb out "^train +5749 +320 "
  matches stsb out "^validation +1500 +320 "
  matches stsb out "^test +1379 +320 "
  ok stsb_train [ "$(shape cache/stsb/train_embeds.npy)" = "(5749, 320)" ]
  ok stsb_validation [ "$(shape cache/stsb/validation_embeds.npy)" = "(1500, 320)" ]
  ok stsb_test [ "$(shape cache/stsb/test_embeds.npy)" = "(1379, 320)" ]
  check stsb_reuse 0 "$prle" embed stsb.yaml
  contains stsb_reuse out "reused"
  check stsb_combined 0 "$prle" embed stsb.yaml data.combine_fields=true
  ok stsb_combined_shape [ "$(shape cache/stsb/train_embeds.npy)" = "(5749, 64)" ]
else
  skip "stsb: no $shared/stsb"
fi

# ---- GloVe with fixture vectors ---------------------------------------------------------------------
printf 'man 0.1 0.2 0.3\nguitar 0.5 -0.1 0.0\nplays 0.3 0.3 -0.2\nplaying 0.2 0.4 -0.1\na 0.0 0.1 0.1\n' >vec.txt
printf 'woman -0.2 0.1 0.4\nonion 0.9 0.1 0.0\ncat 0.1 -0.5 0.2\ndog 0.2 -0.4 0.3\nthe 0.0 0.0 0.1\n' >>vec.txt
check glove_bad_vectors 2 "$prle" embed small.yaml model.encoder_type=glove \
  model.vectors=/nonexistent/x.txt data.embedding_cache_dir=cache/glove
contains glove_bad_vectors err "/nonexistent/x.txt"
no_cache glove_bad_vectors_no_cache cache/glove
printf 'this is not\na vectors file\n' >junk.txt
check glove_junk_vectors 2 "$prle" vectors import junk.txt junk.pvec
rm -rf cache/glove
XDG_CACHE_HOME="$tmp/xdg" check glove_junk_embed 2 "$prle" embed small.yaml \
  model.encoder_type=glove model.vectors=junk.txt data.embedding_cache_dir=cache/glove
contains glove_junk_embed err "junk.txt"
no_cache glove_junk_embed_no_cache cache/glove
check glove_import 0 "$prle" vectors import vec.txt vec.pvec
check glove 0 "$prle" embed small.yaml model.encoder_type=glove model.vectors=vec.pvec \
  model.pooling=sif data.embedding_cache_dir=cache/glove
ok glove_shape [ "$(shape cache/glove/train_embeds.npy)" = "(4, 15)" ]
check glove_reuse 0 "$prle" embed small.yaml model.encoder_type=glove model.vectors=vec.pvec \
  model.pooling=sif data.embedding_cache_dir=cache/glove
contains glove_reuse out "reused"
check glove_pooling 0 "$prle" embed small.yaml model.encoder_type=glove model.vectors=vec.pvec \
  model.pooling=mean data.embedding_cache_dir=cache/glove
contains glove_pooling err "encoder settings changed"
# the vectors' content changed in place under the same header (whose sha256 the cache trusts):
# refused, not the old cache reused
cp vec.pvec vec_old.pvec
py=/usr/bin/python3; [ -x "$py" ] || py=python3 # the standard library only
"$py" -c "
b = bytearray(open('vec.pvec', 'rb').read()); b[-1] ^= 0x40
open('vec.pvec', 'wb').write(b)"
XDG_CACHE_HOME="$tmp/xdg" check glove_changed 2 "$prle" embed small.yaml model.encoder_type=glove \
  model.vectors=vec.pvec model.pooling=mean data.embedding_cache_dir=cache/glove
contains glove_changed err "vec.pvec: its content's sha256 is"
contains glove_changed err "import it again"
cp vec_old.pvec vec.pvec

finish
