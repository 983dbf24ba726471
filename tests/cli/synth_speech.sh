#!/usr/bin/env bash
# `lsnn data synth-speech --quick`: the TIMIT layout (TRAIN/DR1/<SPK>/SX<k>.WAV|PHN|TXT, TEST/...,
# validation_speakers.txt, corpus.json), every .PHN contiguous from 0 to the WAV's length (read
# here with Python's wave module), h# at both ends, only TIMIT's 61 labels; speaker-disjoint
# splits; a second build (other --jobs) byte-identical; --force; and the errors for a missing
# festival, bad options and a non-empty OUT. Needs festival with the kal and ked voices
# (scripts/setup.sh installs them); uses slt too when festvox-us-slt-hts is installed.
. "$(dirname "$0")/lib.sh"

PY=
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import wave' 2>/dev/null; then PY=$p; break; fi
done

# --- without festival: options and errors
expect_ok "--help" '^usage: lsnn data synth-speech OUT' "$LSNN" data synth-speech --help
expect_ok "listed in lsnn data --help" 'synth-speech OUT' "$LSNN" data --help
expect_error "missing OUT" '^lsnn: data synth-speech: missing OUT' "$LSNN" data synth-speech
expect_error "--speakers range" '--speakers: .2. is not an integer from 3 to 36' \
  "$LSNN" data synth-speech "$WORK/x" --speakers 2
expect_error "bad --voices" "unknown voice 'abc'" "$LSNN" data synth-speech "$WORK/x" --voices kal,abc
expect_error "missing festival: clear error" "no-festival not found: install festival" \
  "$LSNN" data synth-speech "$WORK/x" --quick --festival "$WORK/no-festival"
ls -d "$WORK"/x "$WORK"/x.tmp-* > /dev/null 2>&1 && fail "a failed build left files behind" \
  || pass "a failed build leaves nothing"

if ! command -v festival > /dev/null 2>&1; then
  fail "festival is not installed (apt-get install festival festvox-kallpc16k festvox-kdlpc16k)"
  finish
  exit 1
fi
if [ -z "$PY" ]; then
  fail "python3 is needed to read the WAV files independently"
  finish
  exit 1
fi
VOICES=()
if [ ! -d /usr/share/festival/voices/us/cmu_us_slt_arctic_hts ]; then
  echo "note: festvox-us-slt-hts not installed; using --voices kal,ked"
  VOICES=(--voices kal,ked)
fi

# --- build a quick corpus
"$LSNN" data synth-speech "$WORK/a" --quick "${VOICES[@]}" > "$WORK/a.out" 2> "$WORK/a.err" \
  && pass "quick corpus built" || fail "quick corpus: $(tail -3 "$WORK/a.err")"
grep -q '^synthetic speech corpus in .*: 12 utterances (8 train, 2 validation, 2 test) from 6 speakers' \
  "$WORK/a.out" && pass "summary line" || fail "summary: $(cat "$WORK/a.out")"
grep -q '^synth-speech: \[ 6/6\]' "$WORK/a.err" && pass "progress on stderr" || fail "no progress"
ls -d "$WORK"/a.tmp-* "$WORK"/a/.work > /dev/null 2>&1 && fail "temporary files left" \
  || pass "no temporary files left"

"$PY" - "$WORK/a" <<'EOF' > "$WORK/check.out" 2>&1 && pass "layout and .PHN files valid" \
  || fail "layout / .PHN: $(tail -5 "$WORK/check.out")"
import os, re, sys, wave
root = sys.argv[1]
TIMIT61 = set("""b d g p t k dx q jh ch s sh z zh f th v dh m n ng em en eng nx l r w y hh hv el
iy ih eh ey ae aa aw ay ah ao oy ow uh uw ux er ax ix axr ax-h pau epi h# bcl dcl gcl pcl tcl
kcl""".split())
assert len(TIMIT61) == 61
errors = []
def err(m):
    errors.append(m)

top = sorted(os.listdir(root))
if top != ["README.txt", "TEST", "TRAIN", "corpus.json", "validation_speakers.txt"]:
    err(f"top level: {top}")
spk = {}
for split in ("TRAIN", "TEST"):
    if os.listdir(f"{root}/{split}") != ["DR1"]:
        err(f"{split}: {os.listdir(f'{root}/{split}')}")
    for s in sorted(os.listdir(f"{root}/{split}/DR1")):
        if not re.fullmatch(r"[MF][A-Z]{3}[0-9]", s):
            err(f"speaker directory name {s}")
        if s in spk:
            err(f"speaker {s} in both {spk[s]} and {split}")
        spk[s] = split
valid = open(f"{root}/validation_speakers.txt").read().split()
if not valid or any(spk.get(v) != "TRAIN" for v in valid):
    err(f"validation speakers {valid} must be TRAIN/ speakers")
train = [s for s, d in spk.items() if d == "TRAIN" and s not in valid]
test = [s for s, d in spk.items() if d == "TEST"]
if not train or not test:
    err(f"empty split: train {train} test {test}")
texts = {}
n_utt = 0
for s, split in sorted(spk.items()):
    d = f"{root}/{split}/DR1/{s}"
    files = sorted(os.listdir(d))
    stems = sorted({f[:-4] for f in files})
    for st in stems:
        if not re.fullmatch(r"SX[0-9]{3}", st):
            err(f"{d}/{st}: file name")
        if [f"{st}.PHN", f"{st}.TXT", f"{st}.WAV"] != [f for f in files if f.startswith(st + ".")]:
            err(f"{d}/{st}: not exactly .WAV, .PHN, .TXT")
            continue
        n_utt += 1
        with wave.open(f"{d}/{st}.WAV") as w:
            if (w.getframerate(), w.getnchannels(), w.getsampwidth()) != (16000, 1, 2):
                err(f"{d}/{st}.WAV: not 16 kHz mono 16-bit")
            n = w.getnframes()
        prev, labels = 0, []
        for i, line in enumerate(open(f"{d}/{st}.PHN")):
            a, b, lab = line.split()
            a, b = int(a), int(b)
            if a != prev or b <= a:
                err(f"{d}/{st}.PHN:{i + 1}: {a} {b} after {prev}")
            if lab not in TIMIT61:
                err(f"{d}/{st}.PHN:{i + 1}: label {lab}")
            prev = b
            labels.append(lab)
        if prev != n:
            err(f"{d}/{st}.PHN ends at {prev}, the WAV has {n} samples")
        if labels[0] != "h#" or labels[-1] != "h#" or "h#" in labels[1:-1]:
            err(f"{d}/{st}.PHN: h# must be first and last only: {labels}")
        txt = open(f"{d}/{st}.TXT").read()
        m = re.fullmatch(r"0 ([0-9]+) ([A-Za-z][^\n]*)\n", txt)
        if not m or int(m.group(1)) != n:
            err(f"{d}/{st}.TXT: {txt!r}")
        texts.setdefault(st, set()).add("valid" if s in valid else split)
if n_utt != 12:
    err(f"{n_utt} utterances, expected 12")
shared = {k: v for k, v in texts.items() if len(v) > 1}
if shared:
    err(f"sentences read in more than one split: {shared}")
print("\n".join(errors) if errors else "all good")
sys.exit(1 if errors else 0)
EOF

# --- the same command again (one job): byte-identical
"$LSNN" data synth-speech "$WORK/b" --quick --jobs 1 "${VOICES[@]}" > /dev/null 2> "$WORK/b.err" \
  || fail "second build: $(tail -3 "$WORK/b.err")"
diff -r "$WORK/a" "$WORK/b" > "$WORK/diff.out" 2>&1 && pass "second build byte-identical" \
  || fail "second build differs: $(head -5 "$WORK/diff.out")"

# --- OUT not empty: refused, replaced with --force only if it is a corpus
expect_error "non-empty OUT refused" 'exists and is not empty; use --force' \
  "$LSNN" data synth-speech "$WORK/b" --quick "${VOICES[@]}"
mkdir -p "$WORK/other" && echo keep > "$WORK/other/file"
expect_error "--force refuses a directory that is not a corpus" 'holds no corpus.json' \
  "$LSNN" data synth-speech "$WORK/other" --quick --force "${VOICES[@]}"
[ -f "$WORK/other/file" ] && pass "--force keeps a directory that is not a corpus" \
  || fail "--force removed $WORK/other/file"
"$LSNN" data synth-speech "$WORK/b" --quick --speakers 3 --sentences 1 --force "${VOICES[@]}" \
  > /dev/null 2> "$WORK/b2.err" || fail "--force rebuild: $(tail -3 "$WORK/b2.err")"
[ "$(ls "$WORK/b/TRAIN/DR1" "$WORK/b/TEST/DR1" | grep -c '^[MF]')" = 3 ] \
  && ! ls -d "$WORK"/b.old-* > /dev/null 2>&1 && pass "--force replaces an old corpus" \
  || fail "--force did not replace the corpus cleanly"
finish
