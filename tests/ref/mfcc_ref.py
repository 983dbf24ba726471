#!/usr/bin/env python3
"""Independent NumPy reference of the MFCC recipe of seed 004 section 3.1.3.

Written from the seed's text (equations 3.1-3.10), not from src/data/mfcc.c, to check the C
implementation (tests/cli/mfcc_ref.sh). The choices the seed leaves open are the library's
documented ones (include/lsnn/mfcc.h): natural log with a floor of the double machine epsilon,
coefficients 1..13 by default, regression deltas over +-2 frames with the end frames repeated,
and the last frame zero-padded.

usage:
  mfcc_ref.py features WAV [--coeffs 1-13|0-12]           print the 39 channels as CSV
  mfcc_ref.py compare [--coeffs C] WAV LSNN_CSV [WAV LSNN_CSV ...]
        standardise the reference and lsnn's channels with the reference's pooled statistics
        and print the largest absolute difference; exit 1 if it is 1e-3 or more
  mfcc_ref.py table                                       check the 26-filter bins of Table A.1
"""
import sys
import wave

import numpy as np

FS = 16000
WIN = 400          # 25 ms
HOP = 160          # 10 ms
NFFT = 512
NMELS = 40
TABLE_A1 = [0, 2, 4, 7, 10, 13, 16, 20, 24, 29, 34, 40, 46, 53, 60, 68, 77, 87, 97, 109, 122,
            136, 152, 169, 188, 209, 231, 256]


def read_wav(path):
    with wave.open(path, "rb") as w:
        if w.getnchannels() != 1 or w.getsampwidth() != 2 or w.getframerate() != FS:
            raise SystemExit(f"{path}: need 16-bit mono {FS} Hz")
        raw = w.readframes(w.getnframes())
    return np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0


def mel_bins(n_mels, nfft=NFFT, fs=FS):
    top = 2595.0 * np.log10(1.0 + (fs / 2) / 700.0)          # eq. 3.5 at fs/2
    mels = np.linspace(0.0, top, n_mels + 2)                  # 42 points, ends included
    hz = 700.0 * (10.0 ** (mels / 2595.0) - 1.0)              # eq. 3.6
    return np.floor((nfft + 1) * hz / fs).astype(int)         # eq. 3.7


def filterbank(n_mels):
    b = mel_bins(n_mels)
    k = np.arange(NFFT // 2 + 1)
    bank = np.zeros((n_mels, k.size))
    for i in range(n_mels):                                   # eq. 3.8, case by case
        lo, peak, hi = b[i], b[i + 1], b[i + 2]
        up = (k >= lo) & (k < peak)
        bank[i, up] = (k[up] - lo) / (peak - lo)
        bank[i, k == peak] = 1.0
        down = (k > peak) & (k <= hi)
        bank[i, down] = (hi - k[down]) / (hi - peak)
    return bank


def dct_matrix(n):
    # eq. 3.9 with the scale 2c of eq. 3.10
    kk = np.arange(n)[:, None]
    nn = np.arange(n)[None, :]
    c = np.where(kk == 0, np.sqrt(1.0 / (4 * n)), np.sqrt(1.0 / (2 * n)))
    return 2.0 * c * np.cos(np.pi * kk * (2 * nn + 1) / (2 * n))


def regression_delta(c, width=2):
    padded = np.concatenate([np.repeat(c[:1], width, axis=0), c,
                             np.repeat(c[-1:], width, axis=0)])
    T = c.shape[0]
    num = np.zeros_like(c)
    for n in range(1, width + 1):
        num += n * (padded[width + n:width + n + T] - padded[width - n:width - n + T])
    return num / (2.0 * sum(n * n for n in range(1, width + 1)))


def features(x, first=1, count=13):
    y = np.empty_like(x)                                      # eq. 3.1, x(-1) = 0
    y[0] = x[0]
    y[1:] = x[1:] - 0.97 * x[:-1]
    frames = 1 if len(y) <= WIN else 1 + int(np.ceil((len(y) - WIN) / HOP))
    padded = np.zeros((frames - 1) * HOP + WIN)
    padded[:len(y)] = y
    starts = HOP * np.arange(frames)
    segs = padded[starts[:, None] + np.arange(WIN)[None, :]]
    n = np.arange(WIN)
    segs = segs * (0.53836 - 0.46164 * np.cos(2 * np.pi * n / (WIN - 1)))   # eq. 3.2
    power = np.abs(np.fft.rfft(segs, n=NFFT, axis=1)) ** 2 / NFFT            # eqs. 3.3, 3.4
    energy = power @ filterbank(NMELS).T
    logs = np.log(np.maximum(energy, np.finfo(np.float64).eps))
    cep = logs @ dct_matrix(NMELS).T
    cep = cep[:, first:first + count]
    d1 = regression_delta(cep)
    d2 = regression_delta(d1)
    return np.hstack([cep, d1, d2])


def parse_coeffs(args):
    first = 1
    if "--coeffs" in args:
        i = args.index("--coeffs")
        first = {"1-13": 1, "0-12": 0}[args[i + 1]]
        del args[i:i + 2]
    return first


def main(argv):
    if len(argv) < 1:
        raise SystemExit(__doc__)
    cmd, args = argv[0], list(argv[1:])
    first = parse_coeffs(args)
    if cmd == "table":
        got = mel_bins(26).tolist()
        if got != TABLE_A1:
            print("Table A.1 mismatch:", got)
            return 1
        print("Table A.1: 28 bins match")
        return 0
    if cmd == "features":
        f = features(read_wav(args[0]), first)
        np.savetxt(sys.stdout, f, delimiter=",", fmt="%.10g")
        return 0
    if cmd == "compare":
        if len(args) < 2 or len(args) % 2:
            raise SystemExit(__doc__)
        refs, ours = [], []
        for wav, csv in zip(args[0::2], args[1::2]):
            r = features(read_wav(wav), first)
            o = np.loadtxt(csv, delimiter=",", skiprows=1, ndmin=2)
            if o.shape != r.shape:
                print(f"{wav}: lsnn gives {o.shape}, the reference {r.shape}")
                return 1
            refs.append(r)
            ours.append(o)
        pooled = np.vstack(refs)
        mean, std = pooled.mean(axis=0), pooled.std(axis=0)
        worst = 0.0
        for wav, r, o in zip(args[0::2], refs, ours):
            d = np.abs((o - mean) / std - (r - mean) / std).max()
            print(f"{wav}: {r.shape[0]} frames, max |difference| after standardisation {d:.3g}")
            worst = max(worst, d)
        print(f"max |difference| {worst:.3g}")
        return 0 if worst < 1e-3 else 1
    raise SystemExit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
