#!/usr/bin/env bash
# The STS-B features of a config's embedding cache in wrapperbox.py's layout (the peers' and
# bench_baselines' input): `prle embed CONFIG` (reuses a matching cache, else builds it), then
# tools/ref/stsb_peer_dir.py copies {split}_embeds.npy into OUT with the labels / 5. Prints the
# cache folder. Used by bench/peers.sh and bench/all.sh.
# usage: bench/stsb_features.sh PRLE CONFIG OUT
set -euo pipefail
prle=$1 config=$2 out=$3
cfg() { "$prle" config "$config" | awk -F'"' -v k="  $1:" 'index($0, k) == 1 {print $2; exit}'; }
cache=$(cfg embedding_cache_dir)
"$prle" -q embed "$config" >/dev/null
/usr/bin/python3 "$(dirname "$0")/../tools/ref/stsb_peer_dir.py" "$cache" "$out" \
  "$(cfg data_dir)/stsb" >/dev/null
echo "$cache"
