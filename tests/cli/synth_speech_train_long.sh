#!/usr/bin/env bash
# Acceptance (speech): on a fresh machine the synthetic corpus builds (festival, from
# scripts/setup.sh), its features are computed, and a short BPTT run of
# configs/synth_speech_lsnn.json reaches a test frame error rate clearly below the
# majority-class baseline (always guessing the most frequent phone of the test split).
. "$(dirname "$0")/lib.sh"
start=$(date +%s)
VOICES=""
[ -d /usr/share/festival/voices/us/cmu_us_slt_arctic_hts ] || VOICES="--voices kal,ked"
"$LSNN" data synth-speech "$WORK/corpus" --speakers 12 --sentences 20 $VOICES \
  > "$WORK/synth.out" 2>&1 || fail "synth-speech exited $?: $(tail -3 "$WORK/synth.out")"
"$LSNN" data timit "$WORK/corpus" "$WORK/feat" --mode generic > "$WORK/feat.out" 2>&1 \
  || fail "data timit exited $?: $(tail -3 "$WORK/feat.out")"
# The last "majority phone" line is the test split's.
maj=$(grep 'majority phone' "$WORK/feat.out" | tail -1 | sed 's/.*: \([0-9.]*\)% of the frames.*/\1/')
[ -n "$maj" ] && pass "majority baseline: $maj% of the test frames" || fail "no majority line"
"$LSNN" train "$SRC/configs/synth_speech_lsnn.json" --set timit.dir="$WORK/feat" \
  --set iterations=60 --set eval_every=0 --set timit.val_size=64 \
  --out "$WORK/run" > "$WORK/train.out" 2>&1 || fail "train exited $?: $(tail -3 "$WORK/train.out")"
"$LSNN" eval "$WORK/run/model.safetensors" --test > "$WORK/eval.out" 2>&1 || fail "eval exited $?"
acc=$(result_value "$WORK/eval.out")
echo "synthetic speech, LSNN (BPTT) 60 iterations: test frame accuracy $acc, majority baseline $maj%," \
     "$(( $(date +%s) - start )) s in all"
# "Clearly below the baseline": at least 10 points more frames right than the constant guess.
awk -v a="$acc" -v m="$maj" 'BEGIN { exit !(a * 100 >= m + 10) }' \
  && pass "frame error $(awk -v a="$acc" 'BEGIN{printf "%.3f", 1-a}') < baseline $(awk -v m="$maj" 'BEGIN{printf "%.3f", 1-m/100}') - 0.10" \
  || fail "accuracy $acc not 10 points above the majority $maj%"
finish
