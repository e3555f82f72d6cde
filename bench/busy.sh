#!/usr/bin/env bash
# A busy machine (issue 15, item 1): `prle run CONFIG --no-analyze --no-report` (kernel trained)
# quiet, then beside two busy-loop processes that this script starts (the machine's two cores
# taken), each stage's seconds and the ratio to quiet (a fair share of the cores is 2x, the
# target 2.5x). Median of REPS (3) runs each.
# Usage: bench/busy.sh [BUILD] [CONFIG]
set -u
build=${1:-build} config=${2:-configs/stsb-glove.yaml}
reps=${REPS:-3}
out=$build/bench-busy
mkdir -p "$out"
run() { # label -> $out/label.N stage lines
  for r in $(seq 1 "$reps"); do
    "$build/prle" run "$config" train.output_dir="$out" logging.run_name=busy \
      pipeline.reuse_kernel=false --no-analyze --no-report 2>/dev/null |
      awk '/^(data|embed|kernel|experts|evaluate|files|total) +[0-9.]+ s/ {print $1, $2}' >"$out/$1.$r"
    [ -s "$out/$1.$r" ] || return 1
  done
}
run quiet || { echo "busy_run  skipped: prle run $config failed (make run first)"; exit 0; }
pids=()
for _ in 1 2; do (while :; do :; done) & pids+=($!); done
run busy
kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null
/usr/bin/python3 - "$out" "$reps" <<'PY'
import statistics, sys
out, reps = sys.argv[1], int(sys.argv[2])
def load(label):
    d = {}
    for r in range(1, reps + 1):
        for line in open(f"{out}/{label}.{r}"):
            k, v = line.split(); d.setdefault(k, []).append(float(v))
    return {k: statistics.median(v) for k, v in d.items()}
q, b = load("quiet"), load("busy")
for k in ["kernel", "experts", "evaluate", "total"]:
    if k in q:
        print(f"busy_run  {k:9s} quiet {q[k]:6.2f} s  beside 2 busy {b[k]:6.2f} s  ratio {b[k] / q[k]:4.2f} (target <= 2.5)")
PY
