#!/usr/bin/env bash
# mpirun -n 2 prle embed: the rows shared over two ranks on this machine give the cache one
# process writes, byte for byte (.npy files and manifest), for the hashing, glove and gguf
# encoders (gguf on the tiny random-weight model, batches of 4 rows so the ranks' shares are
# uneven), with pair features and single texts; a reused cache; a bad model path refused with
# exit 2 on every rank.
# Usage: mpi.sh /path/to/prle
set -u
prle=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.bash"
cd "$tmp" || exit 1
if ! command -v mpirun >/dev/null; then
  fail "no mpirun (scripts/deps.sh build installs openmpi-bin)"; finish; exit
fi
# Under ASan, Open MPI's own allocations (its plugins, hwloc) show as leaks at exit: the ranks
# check memory errors but not leaks (the one-process runs check leaks on the same code).
mpi=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" mpirun -n 2 --oversubscribe
  --bind-to none)
[ "$(id -u)" -eq 0 ] && mpi+=(--allow-run-as-root)
# shared memory between the ranks without ptrace (containers); no network transports
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none \
  OMPI_MCA_plm_rsh_agent=false

same_cache() { # name, dir a, dir b
  local f bad=0
  for f in train_embeds.npy validation_embeds.npy test_embeds.npy embeds_manifest.json; do
    cmp -s "$2/$f" "$3/$f" || { echo "$1: $2/$f and $3/$f differ"; bad=1; }
  done
  if [ $bad -eq 0 ]; then pass; else fail "$1"; fi
}

pairs_tsvs 37 9 11
small_yaml mpi train.threads=1

check hashing_one 0 "$prle" embed small.yaml data.embedding_cache_dir=cache/h1
cp "$tmp/out" "$tmp/out_one"
check hashing_two 0 "${mpi[@]}" "$prle" embed small.yaml data.embedding_cache_dir=cache/h2
contains hashing_two out "ranks     2"
contains hashing_two out "cache/h2: built"
lines hashing_two_printed_once out $(($(wc -l <"$tmp/out_one") + 1))
same_cache hashing cache/h1 cache/h2
check hashing_reuse 0 "${mpi[@]}" "$prle" embed small.yaml data.embedding_cache_dir=cache/h2
contains hashing_reuse out "cache/h2: reused"

check run_refused 2 "${mpi[@]}" "$prle" run small.yaml
contains run_refused err "only prle embed runs under mpirun (2 ranks here)"

printf 'the 0.1 0.2 0.3\ncat -0.5 0.1 0.0\ndog 0.3 0.3 -0.2\nhorse 0.2 0.4 -0.1\na 0.0 0.1 0.1\n' \
  >vec.txt
check glove_vectors 0 "$prle" vectors import vec.txt vec.pvec
for h in 1 2; do
  cmd=("$prle"); [ $h -eq 2 ] && cmd=("${mpi[@]}" "$prle")
  check "glove_$h" 0 "${cmd[@]}" embed small.yaml model.encoder_type=glove model.vectors=vec.pvec \
    model.pooling=sif data.embedding_cache_dir="cache/g$h"
done
same_cache glove cache/g1 cache/g2

if [ "${PRLE_HAVE_GGUF:-1}" = 0 ]; then
  skip "gguf: a build without llama.cpp (PRLE_LLAMA=OFF)"
elif llama=$("$here/../../scripts/llama.sh"); then
  check write_model 0 /usr/bin/python3 "$here/../data/tiny_gguf.py" "$llama/gguf-py" tiny.gguf
  for h in 1 2; do
    cmd=("$prle"); [ $h -eq 2 ] && cmd=("${mpi[@]}" "$prle")
    check "gguf_pairs_$h" 0 "${cmd[@]}" embed small.yaml model.encoder_type=gguf \
      model.model_path=tiny.gguf train.eval_batch_size=4 data.embedding_cache_dir="cache/p$h"
    check "gguf_joined_$h" 0 "${cmd[@]}" embed small.yaml model.encoder_type=gguf \
      model.model_path=tiny.gguf data.combine_fields=true train.eval_batch_size=3 \
      data.embedding_cache_dir="cache/j$h"
  done
  same_cache gguf_pairs cache/p1 cache/p2
  same_cache gguf_joined cache/j1 cache/j2
  check gguf_missing 2 "${mpi[@]}" "$prle" embed small.yaml model.encoder_type=gguf \
    model.model_path=nothere.gguf data.embedding_cache_dir=cache/m
  contains gguf_missing err "nothere.gguf: no such file"
  ok gguf_missing_nothing_written test ! -e cache/m/train_embeds.npy
else
  fail "scripts/llama.sh: no llama.cpp build"
fi
finish
