"""Store-recall from Python, step by step: the task's batches, a training loop of your own,
and the raster of a trained network (seed 000/001 Fig. 1).

    PYTHONPATH=python python3 examples/python/store_recall.py [--iterations 200] [--out DIR]

Trains the network of configs/store_recall.json with its own optimizer (Adam) by BPTT, printing
the loss and accuracy of each batch and the validation every 50 iterations, saves the model,
and, when matplotlib is installed, draws the inputs, the spikes and the readout of one
validation sequence into DIR/raster.png. Plain Python and NumPy otherwise."""
import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))  # the package in the repository, if not installed

import lsnn  # noqa: E402  (import lsnn before NumPy: it keeps OpenBLAS single-threaded)
import numpy as np  # noqa: E402

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--iterations", type=int, default=200)
ap.add_argument("--batch-size", type=int, default=32)
ap.add_argument("--out", default="runs/python_store_recall")
args = ap.parse_args()
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)

# 1. The config: the file of `lsnn train configs/store_recall.json`, with a smaller batch.
cfg = lsnn.Config.load(ROOT / "configs" / "store_recall.json")
cfg.set("batch_size", args.batch_size).set("store_recall.val_size", 64)
net = lsnn.Network(cfg)
print(net)

# 2. A training loop of our own: the task's batch i, its gradient by BPTT, the optimizer's step.
opt = lsnn.Optimizer()
for it in range(args.iterations):
    b = net.batch("train", first=it * args.batch_size)
    grad = net.gradient(b["x"], windows=b["windows"], n_windows=b["n_windows"],
                        noise_key=b["noise_key"])
    opt.step(net, grad)
    if (it + 1) % 10 == 0 or it == 0:
        print(f"iter {it + 1:4d}  loss {grad.stats['loss']:.4f}  "
              f"acc {grad.stats['metric']:.3f}  rate {grad.stats['rate_hz']:.1f} Hz")
    if (it + 1) % 50 == 0:
        v = net.evaluate("valid", 64)
        print(f"          validation loss {v['loss']:.4f}  accuracy {v['metric']:.3f}")
net.save(out / "model.safetensors")
print(f"saved {out / 'model.safetensors'}")

# 3. One validation sequence through the trained network, every neuron recorded.
b = net.batch("valid", first=0)
rec = net.simulate(b["x"][:1], noise_key=b["noise_key"])
spikes, readout = rec["spikes"][0], rec["readout"][0]
print(f"sequence 0: {int(spikes.sum())} spikes of {spikes.shape[1]} neurons in "
      f"{spikes.shape[0]} steps")

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is not installed: no figure (apt-get install python3-matplotlib)")
    sys.exit(0)
fig, ax = plt.subplots(3, 1, figsize=(9, 6), sharex=True)
t_in, c_in = np.nonzero(b["x"][0])
ax[0].plot(t_in, c_in, "|", ms=2, color="k")
ax[0].set_ylabel("input")
t_z, n_z = np.nonzero(spikes)
ax[1].plot(t_z, n_z, "|", ms=2, color="tab:blue")
ax[1].set_ylabel("neuron")
ax[2].plot(readout)
for t0, t1, label in b["windows"][0][:b["n_windows"][0]]:
    ax[2].axvspan(t0, t1, color="tab:orange" if label else "tab:green", alpha=0.2)
ax[2].set_ylabel("readout")
ax[2].set_xlabel("step (ms)")
fig.tight_layout()
fig.savefig(out / "raster.png", dpi=120)
print(f"wrote {out / 'raster.png'}")
