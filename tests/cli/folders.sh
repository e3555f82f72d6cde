#!/usr/bin/env bash
# Run folders never destroy what is not theirs, and a kill never loses one (issue 13, findings
# 1 and 4): a folder without the .prle-run marker (a user's data, a file, a link) at the run
# folder's path is refused with exit 2 by prle run, prle kernel and prle baselines, untouched;
# empty folders and runs from before the marker are replaced; the old run folder survives a
# SIGKILL injected (strace) at every rename of a run, the final exchange included; the report is
# written before the exchange (finding 5); SIGINT and SIGTERM stop a run cleanly and the next
# run sweeps what killed runs left (finding 7); a failed write says why (finding 9).
# Usage: folders.sh /path/to/prle
set -u
prle=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/lib.bash"
cd "$tmp" || exit 1
stsb_subset 200 60 60 || { finish; exit; }
stsb_yaml cache/small model.hidden_dim=16 model.num_prototypes=4 train.seed=7 train.output_dir=sb
fast=(kernel.max_epochs=1 train.max_epochs=1 --no-analyze --no-report)
check embed 0 "$prle" -q embed small.yaml

# ---- a folder of something else: refused, before any work, and left as it was ---------------
mkdir -p sb/mydata && echo keep >sb/mydata/f
check foreign_run 2 "$prle" -q run small.yaml logging.run_name=mydata "${fast[@]}"
lines foreign_run err 1
contains foreign_run err "sb/mydata: exists and is not a PRLE run folder"
ok foreign_kept [ "$(cat sb/mydata/f)" = keep ]
ok foreign_no_tmp [ -z "$(ls -A sb | grep -v '^mydata$')" ]
check foreign_kernel 2 "$prle" -q kernel small.yaml logging.run_name=mydata kernel.max_epochs=1
contains foreign_kernel err "not a PRLE run folder"
check foreign_baselines 2 "$prle" -q baselines small.yaml logging.run_name=mydata --models ridge
contains foreign_baselines err "not a PRLE run folder"
ok foreign_still [ "$(ls -A sb/mydata)" = f ]
echo data >sb/afile
check file_run 2 "$prle" -q run small.yaml logging.run_name=afile "${fast[@]}"
contains file_run err "sb/afile: exists and is not a PRLE run folder (a file"
ln -s mydata sb/alink
check link_run 2 "$prle" -q run small.yaml logging.run_name=alink "${fast[@]}"
contains link_run err "(a symbolic link"
ok link_kept [ -L sb/alink ] && ok link_target_kept [ "$(cat sb/mydata/f)" = keep ]

# ---- what may be replaced: an empty folder, a marked run, a run from before the marker -------
mkdir sb/empty
check empty_run 0 "$prle" -q run small.yaml logging.run_name=empty "${fast[@]}"
ok empty_marked [ -f sb/empty/.prle-run ] && ok empty_model [ -s sb/empty/model.safetensors ]
check rerun 0 "$prle" -q run small.yaml logging.run_name=empty train.seed=8 "${fast[@]}"
ok rerun_seed grep -q 'seed: 8' sb/empty/config.yaml
ok rerun_no_leftover [ -z "$(ls -A sb | grep '^\.')" ]
rm sb/empty/.prle-run
check legacy_run 0 "$prle" -q run small.yaml logging.run_name=empty "${fast[@]}"
ok legacy_marked [ -f sb/empty/.prle-run ]
check kernel_new 0 "$prle" -q kernel small.yaml logging.run_name=k kernel.max_epochs=1
ok kernel_marked [ -f sb/k/.prle-run ]
check baselines_new 0 "$prle" -q baselines small.yaml logging.run_name=b --models ridge
ok baselines_marked [ -f sb/b/.prle-run ] && ok baselines_file [ -s sb/b/baselines.json ]

# ---- SIGKILL at each rename of a run: the old run folder is always whole ---------------------
if ! command -v strace >/dev/null; then
  skip "strace is missing (scripts/deps.sh test installs it)"
else
  old=$(sha256sum sb/empty/model.safetensors | cut -d' ' -f1)
  # another learning rate, not another seed: the hashing encoder's cache follows the seed
  # with the report: it is written in the temporary folder before the exchange (finding 5)
  over=(logging.run_name=empty train.learning_rate=0.01 kernel.max_epochs=1 train.max_epochs=1
    --no-analyze)
  strace -f -qq -o trace.txt -e trace=rename,renameat,renameat2 \
    "$prle" -q run small.yaml "${over[@]}" >/dev/null 2>&1
  n=$(grep -cE '(^|[^a-z0-9])rename(at)?\(' trace.txt)
  ok renames_seen [ "$n" -ge 5 ]
  ok exchange_seen grep -q 'RENAME_EXCHANGE' trace.txt
  ok report_before_exchange [ "$(grep -n 'report.html' trace.txt | head -1 | cut -d: -f1)" -lt \
    "$(grep -n 'RENAME_EXCHANGE' trace.txt | cut -d: -f1)" ]
  ok report_in_place [ -s sb/empty/report.html ]
  # the traced run replaced the folder: put the first one back as "old"
  check old_again 0 "$prle" -q run small.yaml logging.run_name=empty "${fast[@]}"
  old=$(sha256sum sb/empty/model.safetensors | cut -d' ' -f1)
  for k in $(seq 1 "$n") x; do
    if [ "$k" = x ]; then inj=renameat2:signal=KILL:when=1; else
      inj=rename,renameat:signal=KILL:when=$k; fi
    { (strace -f -qq -o /dev/null -e trace=rename,renameat,renameat2 -e inject=$inj \
      "$prle" -q run small.yaml "${over[@]}" >/dev/null 2>&1); } 2>/dev/null
    ok "kill_$k whole" [ -f sb/empty/.prle-run ] && \
      ok "kill_$k old" [ "$(sha256sum sb/empty/model.safetensors | cut -d' ' -f1)" = "$old" ]
  done
  rm -rf sb/.empty.*
fi
check after_kills 0 "$prle" -q run small.yaml logging.run_name=empty train.learning_rate=0.01 \
  "${fast[@]}"
ok after_kills_new [ "$(sha256sum sb/empty/model.safetensors | cut -d' ' -f1)" != "$old" ]

# ---- SIGINT and SIGTERM: a clean stop, exit 130 / 143, no temporary folder (finding 7) -------
check sig_old 0 "$prle" -q run small.yaml logging.run_name=sig "${fast[@]}"
old=$(sha256sum sb/sig/model.safetensors | cut -d' ' -f1)
# at two points: while the kernel trains, and while the experts do
for s in INT TERM INT-experts; do
  if [ $s = INT-experts ]; then
    at='experts epoch'
    long=(kernel.max_epochs=1 train.max_epochs=100000 train.early_stop_patience=0)
  else
    at='kernel:'
    long=(kernel.max_epochs=100000 kernel.patience=0)
  fi
  "$prle" -v run small.yaml logging.run_name=sig train.learning_rate=0.01 "${long[@]}" \
    --no-analyze --no-report >sig.out 2>sig.err &
  pid=$!
  for _ in $(seq 1 100); do # until that stage runs inside the temporary folder
    [ -n "$(ls -A sb | grep '^\.sig\.tmp-')" ] && grep -q "$at" sig.err 2>/dev/null && break
    sleep 0.1
  done
  kill -${s%-experts} $pid
  wait $pid
  rc=$?
  if [ $s = TERM ]; then want=143; else want=130; fi
  ok "sig$s exit $rc" [ $rc -eq $want ]
  ok "sig$s message" grep -q "stopped by SIG${s%-experts}; temporary files removed" sig.err
  lacks "sig$s no callback" sig.err "progress callback"
  ok "sig$s no tmp" [ -z "$(ls -A sb | grep '^\.sig\.')" ]
  ok "sig$s old kept" [ "$(sha256sum sb/sig/model.safetensors | cut -d' ' -f1)" = "$old" ]
done

# with -q (or without a terminal) too: prle kernel and prle embed stop at the next step, not
# after the whole fit (the progress callback that sees the signal was installed only when it
# printed)
"$prle" -q kernel small.yaml logging.run_name=qsig kernel.max_epochs=100000 kernel.patience=0 \
  >qsig.out 2>qsig.err &
pid=$!
for _ in $(seq 1 100); do # until it has begun to train
  [ -e sb/qsig ] && break
  sleep 0.1
done
sleep 0.5
kill -TERM $pid
t0=$(date +%s)
wait $pid
rc=$?
ok "qsig exit $rc" [ $rc -eq 143 ]
ok qsig_soon [ $(($(date +%s) - t0)) -lt 20 ]
ok qsig_message grep -q "stopped by SIGTERM" qsig.err
ok qsig_no_kernel [ ! -e sb/qsig/kernel.safetensors ]

# ---- a reader that goes away (prle run | head -1; here one that never reads, so the first
# write already fails): the run finishes, exit 1 saying so -------------------------------------
"$prle" run small.yaml logging.run_name=piped "${fast[@]}" 2>pipe.err | true
ok "pipe exit ${PIPESTATUS[0]}" [ "${PIPESTATUS[0]}" -eq 1 ]
ok pipe_message grep -q "its reader closed the pipe; the command's files are written" pipe.err
ok pipe_folder [ -s sb/piped/model.safetensors ] && ok pipe_metrics [ -s sb/piped/metrics.json ]
ok pipe_no_tmp [ -z "$(ls -A sb | grep '^\.piped\.')" ]

# ---- a full disk (here a file-size limit): the errno text, the old folder kept (finding 9) ----
(ulimit -f 8; trap '' XFSZ; "$prle" -q run small.yaml logging.run_name=sig train.learning_rate=0.02 \
  "${fast[@]}" >full.out 2>full.err)
ok full_exit [ $? -eq 1 ]
contains full_errno full.err "write failed: File too large"
ok full_old_kept [ "$(sha256sum sb/sig/model.safetensors | cut -d' ' -f1)" = "$old" ]
ok full_no_tmp [ -z "$(ls -A sb | grep '^\.sig\.')" ]

# ---- what killed runs left is swept by the next run of that folder; a live process's is not --
dead=999999
while kill -0 $dead 2>/dev/null; do dead=$((dead + 1)); done
mkdir -p sb/.sig.tmp-$dead/value sb/.sig.old-$dead sb/.sig.tmp-$$ sb/.other.tmp-$dead
touch cache/small/train_embeds.npy.tmp.$dead cache/small/embeds_manifest.json.tmp.$$
check sweep_run 0 "$prle" -q run small.yaml logging.run_name=sig "${fast[@]}"
ok sweep_dead [ ! -e sb/.sig.tmp-$dead ] && ok sweep_dead_old [ ! -e sb/.sig.old-$dead ]
ok sweep_live_kept [ -d sb/.sig.tmp-$$ ] && ok sweep_other_kept [ -d sb/.other.tmp-$dead ]
# a swap killed half-way on a file system without RENAME_EXCHANGE leaves the old folder aside
# and none in place: the next run puts it back (here a run that then fails on its data)
mv sb/sig sb/.sig.old-$dead
check restore_run 2 "$prle" -q run small.yaml logging.run_name=sig data.files.test=none.csv \
  "${fast[@]}"
ok restore_back [ -f sb/sig/model.safetensors ] && ok restore_gone [ ! -e sb/.sig.old-$dead ]
check sweep_cache 0 "$prle" -q embed small.yaml --force
ok sweep_cache_dead [ ! -e cache/small/train_embeds.npy.tmp.$dead ]
ok sweep_cache_live [ -e cache/small/embeds_manifest.json.tmp.$$ ]
finish
