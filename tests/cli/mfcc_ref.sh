#!/usr/bin/env bash
# `lsnn data mfcc` against the independent NumPy reference tests/ref/mfcc_ref.py: chirps, noise,
# tones, a file shorter than one frame and one of an exact number of hops, compared after
# standardising both with the reference's statistics (max |difference| < 1e-3), with the default
# coefficients 1-13 and with 0-12. Also the 26-filter bins of seed 004 Table A.1, and the errors
# for stereo, 8 kHz and non-audio files.
. "$(dirname "$0")/lib.sh"
REF="$SRC/tests/ref/mfcc_ref.py"

# The Debian python3-numpy belongs to /usr/bin/python3, which a pyenv or venv python3 may hide.
PY=
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import numpy' 2>/dev/null; then PY=$p; break; fi
done
if [ -z "$PY" ]; then
  fail "python3 with numpy is needed (apt-get install python3-numpy)"
  finish
  exit 1
fi

"$PY" - "$WORK" <<'EOF' || fail "could not write the test WAV files"
import math, random, struct, sys, wave
out = sys.argv[1]
fs = 16000
rng = random.Random(7)

def write(name, samples, rate=fs, channels=1):
    with wave.open(f"{out}/{name}", "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        clip = [max(-32768, min(32767, int(round(v * 32767)))) for v in samples]
        w.writeframes(struct.pack(f"<{len(clip)}h", *clip))

n = int(1.3 * fs)   # linear chirp 100 Hz -> 7 kHz
write("chirp.wav", [0.5 * math.sin(2 * math.pi * (100 * t / fs + 0.5 * (6900 / 1.3) * (t / fs) ** 2))
                    for t in range(n)])
write("noise.wav", [rng.gauss(0, 0.2) for _ in range(int(0.7 * fs))])
write("tones.wav", [(0.3 * math.sin(2 * math.pi * 440 * t / fs) + 0.2 * math.sin(2 * math.pi * 2500 * t / fs))
                    * (0.6 + 0.4 * math.sin(2 * math.pi * 3 * t / fs)) for t in range(fs)])
# Noise bursts between near-silence, like speech and pauses.
write("bursts.wav", [(rng.gauss(0, 0.3) if (t // 1600) % 2 else rng.gauss(0, 0.001)) for t in range(int(0.9 * fs))])
write("short.wav", [rng.gauss(0, 0.1) for _ in range(320)])              # < one frame
write("exact.wav", [rng.gauss(0, 0.1) * math.sin(t / 50) for t in range(400 + 160 * 37)])
write("stereo.wav", [0.1] * 2000, channels=2)
write("rate8k.wav", [0.1] * 2000, rate=8000)
open(f"{out}/text.wav", "w").write("this is not audio\n")
EOF

"$PY" "$REF" table > "$WORK/table.out" 2>&1 && pass "reference reproduces Table A.1" \
  || fail "reference Table A.1: $(cat "$WORK/table.out")"

for coeffs in 1-13 0-12; do
  pairs=()
  ok=1
  for f in chirp noise tones bursts short exact; do
    if "$LSNN" data mfcc "$WORK/$f.wav" --coeffs "$coeffs" --out "$WORK/$f.$coeffs.csv" > "$WORK/$f.out" 2>&1; then
      pairs+=("$WORK/$f.wav" "$WORK/$f.$coeffs.csv")
    else
      ok=0
      fail "lsnn data mfcc $f.wav --coeffs $coeffs: $(cat "$WORK/$f.out")"
    fi
  done
  [ "$ok" -eq 1 ] || continue
  if "$PY" "$REF" compare --coeffs "$coeffs" "${pairs[@]}" > "$WORK/cmp.$coeffs.out" 2>&1; then
    pass "coefficients $coeffs match the reference ($(tail -1 "$WORK/cmp.$coeffs.out"))"
  else
    fail "coefficients $coeffs differ from the reference: $(cat "$WORK/cmp.$coeffs.out")"
  fi
done

head -1 "$WORK/chirp.1-13.csv" | grep -q '^c1,c2,.*,c13,d1,.*,dd13$' && pass "CSV header c1..c13,d1..,dd13" \
  || fail "CSV header: $(head -1 "$WORK/chirp.1-13.csv")"
rows=$(($(wc -l < "$WORK/exact.1-13.csv") - 1))
[ "$rows" -eq 38 ] && pass "400 + 37 * 160 samples give 38 frames" || fail "exact.wav gave $rows frames"
rows=$(($(wc -l < "$WORK/short.1-13.csv") - 1))
[ "$rows" -eq 1 ] && pass "a file shorter than a frame gives one frame" || fail "short.wav gave $rows frames"
"$LSNN" data mfcc "$WORK/tones.wav" > "$WORK/stdout.csv" 2>&1 && cmp -s "$WORK/stdout.csv" "$WORK/tones.1-13.csv" \
  && pass "stdout equals --out" || fail "stdout differs from --out"

# Bad input: one error line naming the file, exit status 1.
for f in stereo rate8k text missing; do
  "$LSNN" data mfcc "$WORK/$f.wav" > "$WORK/err.out" 2>&1
  rc=$?
  if [ "$rc" -eq 1 ] && [ "$(wc -l < "$WORK/err.out")" -eq 1 ] && grep -q "^lsnn: .*$f.wav" "$WORK/err.out"; then
    pass "$f.wav rejected: $(cat "$WORK/err.out")"
  else
    fail "$f.wav: exit $rc, output: $(cat "$WORK/err.out")"
  fi
done
expect_ok "mfcc --help" 'usage: lsnn data mfcc' "$LSNN" data mfcc --help
finish
