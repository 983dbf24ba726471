#!/usr/bin/env bash
# The speech pipeline end to end on a tiny corpus in TIMIT layout (written here: RIFF and SPHERE
# audio, upper- and lower-case names, SA sentences): `lsnn data timit --mode generic` writes the
# feature cache (byte-identical on a second run), `--mode timit` refuses a corpus that is not the
# real TIMIT, malformed files give one error line naming the file, and a few training iterations
# of configs/timit_lsnn.json and timit_lif.json run, with `eval --test` reproducing a result line.
. "$(dirname "$0")/lib.sh"
PY=
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import wave, struct' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || { fail "python3 is needed"; finish; exit 1; }

# corpus DIR: 6 speakers x 3 sentences (+ SA1), each sentence a chain of "phones" rendered as
# tones or noise, with the .PHN file that labels them.
make_corpus() {
  "$PY" - "$1" <<'EOF'
import math, os, random, struct, sys, wave
root = sys.argv[1]
fs = 16000
sounds = {"h#": None, "s": "noise", "iy": 300, "aa": 700, "m": 150, "sh": "noise2", "eh": 500}
speakers = [("TRAIN/DR1/FAAA0", 0), ("TRAIN/DR1/MBBB0", 0), ("TRAIN/dr2/mccc0", 1),
            ("TRAIN/DR2/FDDD0", 0), ("TEST/DR1/MEEE0", 0), ("TEST/DR3/FFFF0", 2)]
rng = random.Random(1)

def render(label, n, pitch):
    kind = sounds[label]
    if kind is None:
        return [rng.gauss(0, 30) for _ in range(n)]
    if kind.__class__ is str:
        amp = 3000 if kind == "noise" else 1500
        return [rng.gauss(0, amp) for _ in range(n)]
    return [8000 * math.sin(2 * math.pi * kind * pitch * t / fs) + rng.gauss(0, 100) for t in range(n)]

def sphere(path, samples):
    head = ("NIST_1A\n   1024\nchannel_count -i 1\nsample_count -i %d\nsample_rate -i 16000\n"
            "sample_n_bytes -i 2\nsample_byte_format -s2 01\nsample_sig_bits -i 16\nend_head\n"
            % len(samples)).encode().ljust(1024, b" ")
    with open(path, "wb") as f:
        f.write(head + struct.pack("<%dh" % len(samples), *samples))

def riff(path, samples):
    with wave.open(path, "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(fs)
        w.writeframes(struct.pack("<%dh" % len(samples), *samples))

for si, (d, case) in enumerate(speakers):
    os.makedirs(os.path.join(root, d), exist_ok=True)
    pitch = 1.0 + 0.1 * si
    for k, stem in enumerate(["SX%d" % (3 * si + 1), "SI%d" % (3 * si + 2), "SX%d" % (3 * si + 3), "SA1"]):
        labels = ["h#"] + [rng.choice(list(sounds)[1:]) for _ in range(6)] + ["h#"]
        samples, segs, t = [], [], 0
        for lab in labels:
            n = rng.randint(800, 2400)
            samples += render(lab, n, pitch)
            segs.append((t, t + n, lab))
            t += n
        samples = [max(-32768, min(32767, int(v))) for v in samples]
        name = stem.lower() if case == 1 else stem
        wav = os.path.join(root, d, name + (".wav" if case == 1 else ".WAV"))
        (sphere if case == 2 or k == 1 else riff)(wav, samples)
        with open(os.path.join(root, d, name + (".phn" if case == 1 else ".PHN")), "w") as f:
            f.writelines("%d %d %s\n" % s for s in segs)
EOF
}

make_corpus "$WORK/corpus" || fail "could not write the corpus"
"$LSNN" data timit "$WORK/corpus" "$WORK/feat" --mode generic > "$WORK/timit.out" 2>&1 \
  && pass "data timit --mode generic" || fail "data timit: $(cat "$WORK/timit.out")"
grep -q '^corpus .*: 9 training sentences (3 speakers), 3 validation (1), 6 test (2)$' "$WORK/timit.out" \
  && pass "split: 9 / 3 / 6 sentences, SA left out" || fail "split line: $(grep '^corpus' "$WORK/timit.out")"
for s in train valid test; do
  [ -s "$WORK/feat/$s.safetensors" ] && pass "$s.safetensors written" || fail "no $s.safetensors"
done
"$LSNN" data timit "$WORK/corpus" "$WORK/feat2" --mode generic --quiet > "$WORK/timit2.out" 2>&1 \
  || fail "second data timit: $(cat "$WORK/timit2.out")"
[ ! -s "$WORK/timit2.out" ] && pass "--quiet prints nothing" || fail "--quiet printed: $(cat "$WORK/timit2.out")"
same=1
for s in train valid test; do cmp -s "$WORK/feat/$s.safetensors" "$WORK/feat2/$s.safetensors" || same=0; done
[ "$same" -eq 1 ] && pass "a second run writes identical files" || fail "the cache differs between runs"

# Errors: one line on stderr, naming the corpus or the file (and line).
expect_error() { # WHAT PATTERN COMMAND...
  local what=$1 pat=$2
  shift 2
  "$@" > /dev/null 2> "$WORK/err.out"
  local rc=$?
  if [ "$rc" -eq 1 ] && [ "$(wc -l < "$WORK/err.out")" -eq 1 ] && grep -q -- "$pat" "$WORK/err.out"; then
    pass "$what: $(cat "$WORK/err.out")"
  else
    fail "$what: exit $rc: $(cat "$WORK/err.out")"
  fi
}
expect_error "mode timit on a small corpus" "development speaker 'faks0' not found" \
  "$LSNN" data timit "$WORK/corpus" "$WORK/feat3"
cp -r "$WORK/corpus" "$WORK/bad"
echo "4000 oops h#" >> "$WORK/bad/TRAIN/DR1/MBBB0/SX4.PHN"
expect_error "malformed .PHN line" "MBBB0/SX4.PHN:9: expected" \
  "$LSNN" data timit "$WORK/bad" "$WORK/feat3" --mode generic
rm -r "$WORK/bad" && cp -r "$WORK/corpus" "$WORK/bad"
head -c 3000 "$WORK/bad/TEST/DR3/FFFF0/SX16.WAV" > "$WORK/x" && mv "$WORK/x" "$WORK/bad/TEST/DR3/FFFF0/SX16.WAV"
expect_error "truncated SPHERE audio" "FFFF0/SX16.WAV: truncated: the header says" \
  "$LSNN" data timit "$WORK/bad" "$WORK/feat3" --mode generic
expect_error "bad --coeffs" "--coeffs: expected 1-13 or 0-12" \
  "$LSNN" data timit "$WORK/corpus" "$WORK/feat3" --coeffs 2-14
expect_error "missing cache" "timit.dir: .*nowhere/train.safetensors: cannot open" \
  "$LSNN" train "$SRC/configs/timit_lsnn.json" --set timit.dir="$WORK/nowhere" --out "$WORK/r0"
expect_ok "data timit --help" 'usage: lsnn data timit' "$LSNN" data timit --help

# A few training iterations of each config on the tiny cache.
SMALL=(--set timit.dir="$WORK/feat" --set iterations=4 --set batch_size=4 --set eval_every=2
       --set timit.max_frames=40 --set network.n_regular=24 --set network.n_adaptive=12)
"$LSNN" train "$SRC/configs/timit_lsnn.json" "${SMALL[@]}" --out "$WORK/run" > "$WORK/train.out" 2>&1 \
  && pass "train timit_lsnn.json (4 iterations)" || fail "train: $(tail -3 "$WORK/train.out")"
grep -q '^task timit: 39 inputs, 61 outputs, 400 steps per sequence' "$WORK/train.out" \
  && pass "task line" || fail "task line: $(grep '^task' "$WORK/train.out")"
v=$(result_value "$WORK/train.out")
[ -n "$v" ] && pass "result line: frame accuracy $v" || fail "no result line"
"$LSNN" eval "$WORK/run/model.safetensors" > "$WORK/eval.out" 2>&1 || fail "eval: $(tail -2 "$WORK/eval.out")"
[ "$(result_value "$WORK/eval.out")" = "$v" ] && pass "eval reproduces the validation accuracy" \
  || fail "eval gave $(result_value "$WORK/eval.out"), train $v"
"$LSNN" eval "$WORK/run/model.safetensors" --test > "$WORK/test.out" 2>&1 \
  && grep -q '"split":"test"' "$WORK/test.out" && pass "eval --test" || fail "eval --test: $(tail -2 "$WORK/test.out")"
"$LSNN" train "$SRC/configs/timit_lif.json" "${SMALL[@]}" --set network.n_adaptive=0 --out "$WORK/lif" \
  > "$WORK/lif.out" 2>&1 && pass "train timit_lif.json (4 iterations)" || fail "train lif: $(tail -3 "$WORK/lif.out")"
finish
