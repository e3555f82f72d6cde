#!/usr/bin/env bash
# A busy machine (issue 15, item 1): `prle run CONFIG --no-analyze --no-report` (kernel trained)
# quiet, then beside two busy-loop processes that this script starts (the machine's two cores
# taken), each stage's seconds and the ratio to quiet (a fair share of the cores is 2x, the
# target 2.5x). Median of REPS (3) runs each. Then the same with the analysis (t-SNE maps,
# oracle) and without the report, median of REPS_ANALYSIS (1) runs each.
# Usage: bench/busy.sh [BUILD] [CONFIG]
set -u
build=${1:-build} config=${2:-configs/stsb-glove.yaml}
reps=${REPS:-3}
out=$build/bench-busy
mkdir -p "$out"
reps_analysis=${REPS_ANALYSIS:-1}
run() { # label reps [flags] -> $out/label.N stage lines
  local label=$1 n=$2
  shift 2
  for r in $(seq 1 "$n"); do
    "$build/prle" run "$config" train.output_dir="$out" logging.run_name=busy \
      pipeline.reuse_kernel=false --no-report "$@" 2>/dev/null |
      awk '/^(data|embed|kernel|experts|evaluate|files|analysis|total) +[0-9.]+ s/ {print $1, $2}' >"$out/$label.$r"
    [ -s "$out/$label.$r" ] || return 1
  done
}
run quiet "$reps" --no-analyze || { echo "busy_run  skipped: prle run $config failed (make run first)"; exit 0; }
run quiet_analysis "$reps_analysis"
pids=()
for _ in 1 2; do (while :; do :; done) & pids+=($!); done
run busy "$reps" --no-analyze
run busy_analysis "$reps_analysis"
kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null
/usr/bin/python3 - "$out" "$reps" "$reps_analysis" <<'PY'
import statistics, sys
out, reps, reps_a = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def load(label, n):
    d = {}
    for r in range(1, n + 1):
        for line in open(f"{out}/{label}.{r}"):
            k, v = line.split(); d.setdefault(k, []).append(float(v))
    return {k: statistics.median(v) for k, v in d.items()}
def show(q, b, keys, what):
    for k in keys:
        if k in q:
            print(f"busy_run  {what}{k:9s} quiet {q[k]:6.2f} s  beside 2 busy {b[k]:6.2f} s  ratio {b[k] / q[k]:4.2f} (target <= 2.5)")
show(load("quiet", reps), load("busy", reps), ["kernel", "experts", "evaluate", "total"], "")
show(load("quiet_analysis", reps_a), load("busy_analysis", reps_a), ["analysis", "total"],
     "with analysis: ")
PY
