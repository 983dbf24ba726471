#!/usr/bin/env bash
# `mpirun -np 2 lsnn train` (issue 23): store-recall with BPTT and with e-prop over two processes
# writes the same model bytes and log rows as one process; a run whose process 0 is killed after
# a checkpoint stops at once and, resumed under mpirun, ends byte-identical too; a batch that
# does not split into whole chunks per process, processes running other configs, and the
# commands that are not split, are refused with a message, not a hang; `lsnn sweep` under mpirun
# shares its runs between the processes and prints the same table as one process. The sanitizer build has no
# MPI (CMakeLists.txt) and skips; the Release build must have it (./scripts/setup.sh --deps
# installs Open MPI).
. "$(dirname "$0")/lib.sh"

if ! "$LSNN" --version | grep -q '(MPI)'; then
  if [ "${LSNN_SANITIZE:-0}" = 1 ]; then
    pass "sanitizer build: no MPI, skipped"
    finish
    exit $?
  fi
  fail "the lsnn under test was built without MPI (install libopenmpi-dev: ./scripts/setup.sh --deps)"
  finish
  exit 1
fi
command -v mpirun > /dev/null || { fail "mpirun not found (openmpi-bin)"; finish; exit 1; }
# root in CI and containers; more processes than cores
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# containers often forbid the cross-memory attach of Open MPI's shared-memory transport
export OMPI_MCA_btl_vader_single_copy_mechanism=none
MPI=(timeout 300 mpirun --oversubscribe)
C="$SRC/configs/store_recall.json"
SETS=(--set iterations=6 --set eval_every=3 --set store_recall.val_size=32 --threads 1 --quiet)

same_run() { # NAME DIR1 DIR2
  if cmp -s "$2/model.safetensors" "$3/model.safetensors" &&
     [ "$(cut -d, -f1-9 "$2/log.csv")" = "$(cut -d, -f1-9 "$3/log.csv")" ] &&
     [ "$(sed 's/"seconds":[0-9.]*,//; s/"out":.*//' "$2/result.json")" = "$(sed 's/"seconds":[0-9.]*,//; s/"out":.*//' "$3/result.json")" ]; then
    pass "$1: model bytes, log rows and result equal one process's"
  else
    fail "$1: differs from one process ($(cmp "$2/model.safetensors" "$3/model.safetensors" 2>&1))"
  fi
}

# BPTT (batch 64: 4 chunks of 16) and e-prop
for learn in bptt eprop; do
  cfg=$C; [ $learn = eprop ] && cfg="$SRC/configs/store_recall_eprop.json"
  "$LSNN" train "$cfg" "${SETS[@]}" --out "$WORK/one_$learn" > "$WORK/one_$learn.out" 2>&1 || fail "$learn: one process: $(tail -2 "$WORK/one_$learn.out")"
  if "${MPI[@]}" -np 2 "$LSNN" train "$cfg" "${SETS[@]}" --out "$WORK/two_$learn" > "$WORK/two_$learn.out" 2>&1; then
    same_run "$learn, 2 processes" "$WORK/one_$learn" "$WORK/two_$learn"
    [ "$(grep -c '^result: ' "$WORK/two_$learn.out")" = 1 ] && pass "$learn: one result line (process 0)" || fail "$learn: result lines: $(cat "$WORK/two_$learn.out")"
  else
    fail "$learn: mpirun -np 2: $(tail -3 "$WORK/two_$learn.out")"
  fi
done

# killed after the checkpoint of iteration 3, then resumed: byte-identical to the whole run
LSNN_TEST_KILL_AFTER_CHECKPOINT=3 "${MPI[@]}" -np 2 "$LSNN" train "$C" "${SETS[@]}" --out "$WORK/k" > "$WORK/k.out" 2>&1
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] && [ -s "$WORK/k/model.safetensors" ] && pass "a killed process stops the job (exit $rc), checkpoint kept" || fail "kill: exit $rc, $(tail -3 "$WORK/k.out")"
if "${MPI[@]}" -np 2 "$LSNN" train "$C" "${SETS[@]}" --out "$WORK/k" --resume > "$WORK/k2.out" 2>&1; then
  same_run "killed and resumed under mpirun" "$WORK/one_bptt" "$WORK/k"
else
  fail "resume: $(tail -3 "$WORK/k2.out")"
fi

# refusals: exit 1 with the message, no hang
"${MPI[@]}" -np 3 "$LSNN" train "$C" "${SETS[@]}" --out "$WORK/r3" > "$WORK/r3.out" 2>&1
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q "batch_size 64 makes 4 chunks of 16 sequences, which 3 processes cannot share equally" "$WORK/r3.out" && pass "3 processes for 4 chunks refused" || fail "np 3: exit $rc, $(head -3 "$WORK/r3.out")"
"${MPI[@]}" -np 1 "$LSNN" train "$C" "${SETS[@]}" --out "$WORK/m" : -np 1 "$LSNN" train "$C" "${SETS[@]}" --set seed=2 --out "$WORK/m" > "$WORK/m.out" 2>&1
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q "process 1 of mpirun runs another lsnn binary or another config" "$WORK/m.out" && pass "another config on process 1 refused" || fail "mismatch: exit $rc, $(head -3 "$WORK/m.out")"
[ ! -e "$WORK/m/model.safetensors" ] && pass "nothing written by a refused run" || fail "a refused run wrote a model"
# a process that fails alone, before any exchange, stops the job instead of leaving process 0
# waiting in one
"${MPI[@]}" -np 1 "$LSNN" train "$C" "${SETS[@]}" --out "$WORK/x" : -np 1 "$LSNN" train "$WORK/none.json" --out "$WORK/x" > "$WORK/x.out" 2>&1
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q "process 1 of 2): .*none.json: cannot open config file" "$WORK/x.out" && pass "a process failing alone stops the job (exit $rc)" || fail "lone failure: exit $rc, $(head -3 "$WORK/x.out")"
"${MPI[@]}" -np 2 "$LSNN" train "$SRC/configs/alstm_seq.json" --set alstm.p=5 --out "$WORK/a" > "$WORK/a.out" 2>&1
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q 'model "alstm" runs in one go' "$WORK/a.out" && pass "model alstm under mpirun refused" || fail "alstm: exit $rc, $(head -3 "$WORK/a.out")"
# lsnn sweep under mpirun: the runs are shared between the processes, process 0 summarises; the
# same table and sweep.json as one process
A=(--set alstm.p=5 --set alstm.sequential=false --set alstm.seq_threshold=10)
"$LSNN" sweep "$SRC/configs/alstm_seq.json" --seeds 3 "${A[@]}" --out "$WORK/s1" > "$WORK/s1.out" 2> "$WORK/s1.err" || fail "sweep, one process: $(tail -2 "$WORK/s1.err")"
if "${MPI[@]}" -np 2 "$LSNN" sweep "$SRC/configs/alstm_seq.json" --seeds 3 "${A[@]}" --out "$WORK/s2" > "$WORK/s2.out" 2> "$WORK/s2.err"; then
  grep -v '^| seconds' "$WORK/s1.out" | sed 's/s1/S/' > "$WORK/s1.t"; grep -v '^| seconds' "$WORK/s2.out" | sed 's/s2/S/' > "$WORK/s2.t"
  cmp -s "$WORK/s1.t" "$WORK/s2.t" && [ -s "$WORK/s2/seed_3/result.json" ] && pass "sweep over 2 processes: the same table as one process" || fail "sweep tables differ: $(diff "$WORK/s1.t" "$WORK/s2.t" | head -5)"
  [ "$(grep -c '^sweep: started' "$WORK/s2.err")" = 3 ] && [ "$(grep -c '^sweep: 3 runs' "$WORK/s2.err")" = 1 ] && pass "each run started once, one summary" || fail "sweep stderr: $(cat "$WORK/s2.err")"
else
  fail "sweep under mpirun: $(tail -3 "$WORK/s2.err")"
fi
finish
