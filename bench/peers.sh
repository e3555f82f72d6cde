#!/usr/bin/env bash
# make bench-peers: PRLE beside its peers (../shared/peers: the same job in PyTorch and
# scikit-learn), in one run, on the same STS-B features, both sides on $THREADS threads.
#
#   1. pipeline  prle run CONFIG --no-analyze (kernel retrained)  vs  prle_torch.py
#   2. baselines prle baselines CONFIG --models M                vs  wrapperbox.py DIR M
#   3. t-SNE     bench/bench_tsne                                 vs  tsne_peer.py
#
# The features are the embedding cache of CONFIG (`prle embed` makes or reuses it);
# tools/ref/stsb_peer_dir.py copies them into the peers' folder with the labels / 5, so
# the test metrics of both sides are on the 0-1 scale. Seconds are medians over $REPS runs,
# metrics those of the first run (PRLE's are the same in every run; multithreaded PyTorch's
# move in the 4th digit); ratio = PRLE / peer. The machine's load average is printed at the
# start and the end: other work on the cores makes the seconds noisy.
#
# Environment: BUILD (build), CONFIG (configs/stsb-glove.yaml), PEERS (../shared/peers),
# MODELS ("svr ridge knn"; also linear dt rf: the sklearn forest takes minutes), THREADS (2),
# REPS (1), WORK (a scratch folder; kept when given, else removed at exit).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
CONFIG=${CONFIG:-configs/stsb-glove.yaml}
PEERS=${PEERS:-../shared/peers}
MODELS=${MODELS:-svr ridge knn}
THREADS=${THREADS:-2}
REPS=${REPS:-1}
PY=/usr/bin/python3 # the peers' interpreter: Debian's, where python3-torch & co. land
PRLE=$BUILD/prle
if [ -z "${WORK:-}" ]; then
  WORK=$(mktemp -d /tmp/prle-peers.XXXXXX)
  trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK"
# Both sides on the same thread count: PRLE through train.threads / PRLE_BENCH_THREADS,
# the peers through OpenMP (torch, the t-SNE gradient) and OpenBLAS.
export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS

die() { echo "bench/peers.sh: $*" >&2; exit 1; }

# --- checks: fail loudly, naming what is missing -----------------------------------------
for f in "$PRLE" "$BUILD/bench/bench_tsne"; do
  [ -x "$f" ] || die "no $f: cmake -S . -B $BUILD -DPRLE_BUILD_BENCH=ON && cmake --build $BUILD"
done
for f in prle_torch.py wrapperbox.py tsne_peer.py; do
  [ -f "$PEERS/$f" ] || die "no peer script $PEERS/$f (set PEERS=the folder of ../shared/peers)"
done
[ -x "$PY" ] || die "no $PY: scripts/deps.sh peers installs python3-numpy python3-scipy python3-sklearn python3-torch"
missing=$($PY - <<'EOF'
import importlib
pkg = {'numpy': 'python3-numpy', 'scipy': 'python3-scipy', 'sklearn': 'python3-sklearn', 'torch': 'python3-torch'}
out = []
for mod, deb in pkg.items():
    try:
        importlib.import_module(mod)
    except Exception as e:
        out.append(f'{mod} ({deb}: {type(e).__name__})')
print(', '.join(out))
EOF
)
[ -z "$missing" ] || die "the peers need, for $PY: $missing; scripts/deps.sh peers installs python3-numpy python3-scipy python3-sklearn python3-torch"
torch_threads=$($PY -c 'import torch; print(torch.get_num_threads())')

# --- helpers --------------------------------------------------------------------------------
# repeat NAME CMD...: runs CMD $REPS times; run r's output (stdout and stderr) in $WORK/NAME.r,
# its wall seconds in $WORK/NAME.r.wall.
repeat() {
  local name=$1 r t0; shift
  for ((r = 1; r <= REPS; r++)); do
    t0=$(date +%s.%N)
    "$@" >"$WORK/$name.$r" 2>&1 || { cat "$WORK/$name.$r" >&2; die "$name failed: $*"; }
    calc "$(date +%s.%N) - $t0" >"$WORK/$name.$r.wall"
  done
}
calc() { awk "BEGIN {print $1}"; }
median() { sort -g | awk '{v[NR] = $1} END {print !NR ? "nan" : NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# med NAME FN ARGS...: the median over the runs of NAME of `FN ARGS... FILE`.
med() {
  local name=$1 r; shift
  for ((r = 1; r <= REPS; r++)); do "$@" "$WORK/$name.$r"; done | median
}
kv() { grep -o "\b$1=[^ ]*" "$2" | tail -1 | cut -d= -f2; }          # KEY=value lines (peers)
wall() { cat "$1.wall"; }
stage() { awk -v s="$1" '$1 == s && $3 == "s" {print $2}' "$2"; }     # prle run's stage lines
# k-medoids' seconds: its last progress line (-v), "prle: prototypes: 4/4 (0.5 s, 7.3/s) fasterpam"
kmedoids() { sed -n 's/^prle: prototypes: \([0-9]*\)\/\1 (\([0-9.]*\) s[,)].*/\2/p' "$1" | tail -1; }
# col MODEL NAME FILE: column NAME of MODEL's row in prle baselines' table ("best": the rest).
col() {
  awk -v m="$1" -v c="$2" '$1 == "model" {for (i = 1; i <= NF; i++) if ($i == c) k = i}
    $1 == m && k {s = $k; if (c == "best") for (i = k + 1; i <= NF; i++) s = s " " $i; print s}' "$3"
}
tsne_s() { sed -n 's/^tsne_stsb .*  \([0-9.]*\) s (.*/\1/p' "$1"; }

# row WHAT FORMAT PRLE PEER: one table row, ratio PRLE / peer; also kept for the final table.
summary=()
row() {
  local line
  line=$(awk -v w="$1" -v f="$2" -v a="$3" -v b="$4" 'BEGIN {
    fa = a == "" ? "-" : sprintf(f, a); fb = b == "" ? "-" : sprintf(f, b)
    r = (a != "" && b != "" && b + 0 != 0) ? sprintf("%.2f", a / b) : "-"
    printf "%-28s | %10s | %10s | %6s", w, fa, fb, r }')
  echo "$line"
  summary+=("$line")
}
header() { printf '%-28s | %10s | %10s | %6s\n' "$1" PRLE "$2" ratio; }

# --- the features -----------------------------------------------------------------------------
cache=$(bench/stsb_features.sh "$PRLE" "$CONFIG" "$WORK/peer")
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "bench-peers: STS-B features of $CONFIG ($cache), $THREADS threads each" \
  "(torch.get_num_threads() = $torch_threads), median of $REPS run(s); ratio = PRLE / peer"
echo "load average at start: $(load)"

# --- 1. the pipeline --------------------------------------------------------------------------
repeat run "$PRLE" -v run "$CONFIG" --no-analyze --no-report pipeline.reuse_kernel=false \
  "train.output_dir=$WORK/runs" "train.threads=$THREADS"
repeat torch "$PY" "$PEERS/prle_torch.py" "$WORK/peer"
read -r pearson mse kcorr < <($PY -c 'import json, sys
t = json.load(open(sys.argv[1] + "/metrics.json"))["splits"]["test"]["unit"]
k = json.load(open(sys.argv[1] + "/kernel_report.json"))["value"]["pearson"]
print(t["pearson"], t["mse"], k)' "$(sed -n 's/^run folder: //p' "$WORK/run.1")")
k=$(med run stage kernel); m=$(med run kmedoids); e=$(med run stage experts)
tk=$(med torch kv kernel_s); tm=$(med torch kv kmedoids_s); te=$(med torch kv experts_s)
echo
echo "1. pipeline: prle run --no-analyze (kernel retrained) vs prle_torch.py"
header "stage" PyTorch
row "kernel s" %.2f "$k" "$tk"
row "k-medoids s" %.2f "$m" "$tm"
row "experts s" %.2f "$(calc "$e - $m")" "$te"
row "pipeline s (3 stages)" %.2f "$(calc "$k + $e")" "$(calc "$tk + $tm + $te")"
row "pipeline process wall s" %.2f "$(med run wall)" "$(med torch wall)"
row "expert epochs" %d "$(sed -n 's/.* \([0-9]*\) epochs, kept.*/\1/p' "$WORK/run.1")" "$(kv epochs "$WORK/torch.1")"
row "kernel dist-label pearson" %.4f "$kcorr" "$(kv corr_value "$WORK/torch.1")"
row "pipeline test pearson" %.4f "$pearson" "$(kv test_pearson "$WORK/torch.1")"
row "pipeline test mse (0-1)" %.4f "$mse" "$(kv test_mse "$WORK/torch.1")"

# --- 2. the wrapper baselines -----------------------------------------------------------------
echo
echo "2. baselines: prle baselines --models M vs wrapperbox.py DIR M (grid on validation, refit on train+validation;"
echo "   wrapperbox.py searches with n_jobs=1, and libsvm's SVR is single-threaded)"
for mdl in $MODELS; do
  repeat "prle_$mdl" "$PRLE" baselines "$CONFIG" --models "$mdl" --out "$WORK/prle_$mdl.json" \
    "train.output_dir=$WORK/runs" "train.threads=$THREADS"
  repeat "sk_$mdl" "$PY" "$PEERS/wrapperbox.py" "$WORK/peer" "$mdl"
  f=$WORK/prle_$mdl.1 g=$WORK/sk_$mdl.1
  best_sk=$(sed -n 's/.*best=\({.*}\) seconds=.*/\1/p' "$g" |
    $PY -c 'import ast, sys; d = ast.literal_eval(sys.stdin.read() or "{}")
print(" ".join("%s=%s" % (k.split("__")[-1], v) for k, v in d.items()))')
  header "$mdl" sklearn
  row "$mdl s" %.2f "$(med "prle_$mdl" col "$mdl" seconds)" "$(med "sk_$mdl" kv seconds)"
  row "$mdl test pearson" %.4f "$(col "$mdl" pearson "$f")" "$(kv pearson "$g")"
  row "$mdl test mse (0-1)" %.4f "$(col "$mdl" mse "$f")" "$(kv test_mse "$g")"
  echo "  best: PRLE $(col "$mdl" best "$f") | sklearn $best_sk"
done

# --- 3. t-SNE -----------------------------------------------------------------------------
echo
echo "3. t-SNE of train+validation+test: bench_tsne vs tsne_peer.py (scikit-learn Barnes-Hut)"
repeat tsne env PRLE_BENCH_TSNE="$WORK/peer" PRLE_BENCH_THREADS="$THREADS" PRLE_BENCH_REPS=1 \
  GLIBC_TUNABLES=${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1} "$BUILD/bench/bench_tsne"
repeat sktsne "$PY" "$PEERS/tsne_peer.py" "$WORK/peer"
header "t-SNE" sklearn
row "t-SNE s" %.2f "$(med tsne tsne_s)" "$(med sktsne kv seconds)"
row "t-SNE KL" %.4f "$(kv kl "$WORK/tsne.1")" "$(kv kl "$WORK/sktsne.1")"

# --- the final table ----------------------------------------------------------------------
echo
echo "load average at end: $(load)"
printf '%-28s | %10s | %10s | %6s\n' what PRLE peer ratio
for line in "${summary[@]}"; do
  case "$line" in "k-medoids s"* | "experts s"* | "expert epochs"* | *wall*) ;; *) echo "$line" ;; esac
done
