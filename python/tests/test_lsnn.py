"""Tests of the Python package against the C library (run by ctest as `python`, see
CMakeLists.txt; by hand: LSNN_LIBRARY=build/liblsnn.so.0 PYTHONPATH=python python3 -m pytest
python/tests)."""
import json
import os
import subprocess
from pathlib import Path

import lsnn
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
STORE_RECALL = ROOT / "configs" / "store_recall.json"


def small_graph(**kw):
    """20 LIF + 10 ALIF neurons, 5 inputs, 2 readouts, 50 steps, squared error."""
    args = dict(
        populations=[{"name": "E", "count": 20, "beta": 0},
                     {"name": "A", "count": 10, "beta": 1.8, "tau_a": 200}],
        projections=[{"name": "w_in", "from": "input", "to": ["E", "A"]},
                     {"name": "w_rec", "from": ["E", "A"], "to": ["E", "A"]}],
        inputs=5, outputs=2, steps=50, batch_size=4, seed=3, readout_tau=0, lr=0.01)
    args.update(kw)
    return lsnn.Network.build(**args)


def input_spikes(B, T, n, p=0.2, seed=0):
    return (np.random.default_rng(seed).random((B, T, n)) < p).astype(lsnn.real)


def test_config_load_set_and_errors():
    cfg = lsnn.Config.load(STORE_RECALL)
    assert cfg["task"] == "store_recall"
    cfg.set("network.tau_m", 25).set("iterations", 7)
    assert cfg["network.tau_m"] == 25 and cfg["iterations"] == 7
    with pytest.raises(lsnn.LsnnError, match="network.no_such_key"):
        cfg.set("network.no_such_key", 1)
    with pytest.raises(lsnn.LsnnError, match="iterations"):
        cfg.set("iterations", -3)
    with pytest.raises(lsnn.LsnnError, match="lr"):
        lsnn.Config.from_dict({"lr": float("nan")})
    with pytest.raises(lsnn.LsnnError, match="no_file.json"):
        lsnn.Config.load(ROOT / "no_file.json")
    assert cfg["iterations"] == 7  # a refused assignment leaves the config as it was


def test_simulate_shapes_and_readout_closed_form():
    net = small_graph()
    assert (net.n_in, net.n_out, net.neurons) == (5, 2, 30)
    x = input_spikes(3, 60, 5, p=0.3)  # any batch and length, not only the task's
    out = net.simulate(x)
    assert out["readout"].shape == (3, 60, 2) and out["spikes"].shape == (3, 60, 30)
    z = out["spikes"]
    assert set(np.unique(z)) <= {0.0, 1.0} and z.sum() > 0
    # readout_tau 0: the readout of a step is w_out . z + b_out (an independent computation)
    t = net.tensors()
    expect = z.astype(np.float64) @ t["w_out"].astype(np.float64) + t["b_out"]
    np.testing.assert_allclose(out["readout"], expect, rtol=1e-5, atol=1e-5)
    # the thresholds: b0 for LIF neurons (beta 0), above b0 for ALIF neurons after spikes
    b0 = t["E.b0"][0]
    assert np.all(out["threshold"][:, :, :20] == b0)
    assert np.all(out["threshold"][:, :, 20:] >= t["A.b0"][0] - 1e-7)
    # each sequence is simulated on its own: alone, sequence 1 gives the same numbers
    one = net.simulate(x[1])
    for k in out:
        assert np.array_equal(one[k], out[k][1]), k


def test_gradient_equals_the_c_library():
    exe = os.environ.get("LSNN_GRADIENT_EXAMPLE")
    if not exe:
        pytest.skip("LSNN_GRADIENT_EXAMPLE (build/examples/gradient) not set")
    net = lsnn.Network(lsnn.Config.load(STORE_RECALL).set("batch_size", 4))
    b = net.batch("train", 0)
    for rule in ("bptt", "eprop"):
        ref_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"lsnn_py_grad_{os.getpid()}_{rule}"
        try:
            subprocess.run([exe, str(STORE_RECALL), str(ref_path), "batch_size=4",
                            f"learning={rule}"], check=True, capture_output=True)
            ref = np.fromfile(ref_path, dtype=lsnn.real)
        finally:
            ref_path.unlink(missing_ok=True)
        g = net.gradient(b["x"], windows=b["windows"], n_windows=b["n_windows"],
                         noise_key=b["noise_key"], rule=rule)
        assert g.shape == ref.shape
        diff = np.flatnonzero(g != ref)
        assert diff.size == 0, (rule, diff[:5], g[diff[:5]], ref[diff[:5]])
        assert np.abs(g).max() > 0


def test_gradient_matches_finite_differences_of_the_loss_surface():
    """The BPTT gradient of b_out (the loss is smooth in it) against central differences of
    the loss the gradient call reports, elementwise."""
    net = small_graph()
    rng = np.random.default_rng(1)
    x = input_spikes(4, 50, 5, seed=2)
    y = rng.normal(size=(4, 50, 2)).astype(lsnn.real)
    g = net.gradient(x, y_target=y)
    names = list(net.tensors())
    off = 0
    for name, a in net.tensors().items():
        if name == "b_out":
            break
        if a.dtype == lsnn.real and not name.endswith((".delay", ".mask")):
            off += a.size
    assert "b_out" in names
    b_out = net["b_out"].astype(np.float64)
    for k in range(2):
        h = 1e-2
        loss = []
        for s in (1, -1):
            v = b_out.copy()
            v[k] += s * h
            net["b_out"] = v
            loss.append(net.gradient(x, y_target=y).stats["loss"])
        net["b_out"] = b_out
        fd = (loss[0] - loss[1]) / (2 * h)
        assert abs(fd - g[off + k]) <= 1e-3 * max(1.0, abs(fd)), (k, fd, g[off + k])


def test_own_training_loop_loss_falls():
    net = small_graph()
    x = input_spikes(4, 50, 5, p=0.3, seed=5)
    t = np.linspace(0, 1, 50)
    y = np.stack([np.sin(2 * np.pi * t), np.cos(2 * np.pi * t)], axis=1)
    y = np.broadcast_to(y, (4, 50, 2)).astype(lsnn.real)
    opt = lsnn.Optimizer()
    losses = []
    for it in range(20):
        g = net.gradient(x, y_target=y)
        losses.append(g.stats["loss"])
        opt.step(net, g)
    assert net.iteration == 20
    assert losses[-1] < 0.7 * losses[0], losses


def test_train_like_the_cli(tmp_path):
    # seed 003's softmax module: its loss falls within 20 iterations of batch 8
    cfg = lsnn.Config.load(ROOT / "configs" / "softmax.json")
    for k, v in {"iterations": 20, "eval_every": 10, "batch_size": 8,
                 "store_recall.val_size": 16}.items():
        cfg.set(k, v)
    seen = []
    res = lsnn.train(cfg, out=tmp_path / "run", progress=seen.append)
    assert [s["iteration"] for s in seen] == list(range(1, 21))
    assert "val_loss" in seen[9] and "val_loss" not in seen[8]
    assert res["iterations"] == 20 and (tmp_path / "run" / "model.safetensors").exists()
    assert (tmp_path / "run" / "log.csv").read_text().count("\n") == 21
    first = np.mean([s["loss"] for s in seen[:5]])
    last = np.mean([s["loss"] for s in seen[-5:]])
    assert last < 0.97 * first, (first, last)
    assert res["val_loss"] < seen[9]["val_loss"], (seen[9]["val_loss"], res["val_loss"])
    # the checkpoint is the one `lsnn train` would write from the same config
    cli = os.environ.get("LSNN_CLI")
    if cli:
        cfg_path = tmp_path / "cfg.json"
        cfg_path.write_text(cfg.json)
        subprocess.run([cli, "train", str(cfg_path), "--out", str(tmp_path / "cli"), "--threads",
                        "2"], check=True, capture_output=True)
        a = (tmp_path / "run" / "model.safetensors").read_bytes()
        assert a == (tmp_path / "cli" / "model.safetensors").read_bytes()
    # a callback that raises stops the run and the exception reaches the caller
    def stop(rec):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        lsnn.train(cfg, out=tmp_path / "run2", progress=stop)


def test_closed_loop_snapshot_restore():
    net = small_graph()
    x = input_spikes(2, 30, 5, p=0.3, seed=7)
    whole = net.simulate(x)
    net.begin(batch=2, steps=30)
    ys = []
    for t in range(12):
        ys.append(net.step(x[:, t]))
    state = net.snapshot()
    assert state.step == 12
    cont = [net.step(x[:, t], spikes=True) for t in range(12, 20)]
    # a probe on other inputs, then back
    net.restore(state)
    for t in range(12, 16):
        net.step(np.ones((2, 5), dtype=lsnn.real))
    net.restore(state)
    again = [net.step(x[:, t], spikes=True) for t in range(12, 20)]
    for (y1, z1), (y2, z2) in zip(cont, again):
        assert np.array_equal(y1, y2) and np.array_equal(z1, z2)
    # stepping is the same pass as simulate, bit for bit
    got = np.stack(ys + [c[0] for c in cont], axis=1)
    assert np.array_equal(got, whole["readout"][:, :20])
    assert np.array_equal(np.stack([c[1] for c in cont], axis=1), whole["spikes"][:, 12:20])
    net.begin(batch=2, steps=30)
    with pytest.raises(lsnn.LsnnError, match="earlier episode"):
        net.restore(state)


def test_trainable_episode_gradient_equals_the_batch_gradient():
    """A closed-loop episode on the inputs of a batch, then backward with the derivative of the
    squared error computed here (lsnn's normalisation: 2 w (y - t) / (n_out sum w), the
    difference taken in lsnn.real): the same bits as net.gradient on that batch."""
    net = small_graph()
    x = input_spikes(4, 50, 5, p=0.3, seed=11)
    t = np.random.default_rng(12).normal(size=(4, 50, 2)).astype(lsnn.real)
    ref = net.gradient(x, t, noise_key=3)
    net.begin(trainable=True, noise_key=3)
    y = np.stack([net.step(x[:, k]) for k in range(50)], axis=1)
    with pytest.raises(lsnn.LsnnError, match="steps"):
        net.step(x[:, 0])
    d = (y - t).astype(np.float64)  # the difference in lsnn.real, as lsnn_loss_compute takes it
    gy = (2 * d / (2 * 4 * 50)).astype(lsnn.real)
    g = net.backward(gy)
    diff = np.flatnonzero(g != ref)
    assert diff.size == 0, (diff[:5], g[diff[:5]], ref[diff[:5]])
    with pytest.raises(lsnn.LsnnError, match="trainable"):
        net.backward(gy)
    with pytest.raises(lsnn.LsnnError, match="batch"):
        net.begin(batch=3, steps=50, trainable=True)
    # a call that uses the trainer's batch ends a trainable episode; applying a step ends any
    net.begin(trainable=True)
    net.step(x[:, 0])
    net.gradient(x, t)
    with pytest.raises(lsnn.LsnnError, match="no episode"):
        net.step(x[:, 1])
    net.begin(batch=2, steps=5)
    lsnn.Optimizer().step(net, ref)
    with pytest.raises(lsnn.LsnnError, match="no episode"):
        net.step(x[:2, 0])
    # snapshots work inside a trainable episode too
    net.begin(trainable=True)
    for k in range(10):
        net.step(x[:, k])
    s = net.snapshot()
    a = [net.step(x[:, k]) for k in range(10, 20)]
    net.restore(s)
    b = [net.step(x[:, k]) for k in range(10, 20)]
    assert all(np.array_equal(u, v) for u, v in zip(a, b))


def test_checkpoint_round_trip_through_numpy(tmp_path):
    net = small_graph()
    opt = lsnn.Optimizer()
    x = input_spikes(4, 50, 5, seed=3)
    y = np.zeros((4, 50, 2), dtype=lsnn.real)
    opt.step(net, net.gradient(x, y_target=y))
    path = tmp_path / "m.safetensors"
    net.save(path)
    tensors, meta = lsnn.read_safetensors(path)
    for name, a in net.tensors().items():
        assert np.array_equal(tensors[name], a), name
    assert "optim.m" in tensors and meta["iteration"] == "1"
    assert json.loads(meta["config"])["task"] == "external"
    back = lsnn.load(path)
    assert back.iteration == 1
    for k, v in net.simulate(x).items():
        assert np.array_equal(back.simulate(x)[k], v), k
    # the next step continues identically (optimizer state restored)
    g1, g2 = net.gradient(x, y_target=y), back.gradient(x, y_target=y)
    assert np.array_equal(g1, g2)
    opt.step(net, g1)
    opt.step(back, g2)
    assert np.array_equal(net.params, back.params)


def test_errors_are_exceptions(tmp_path):
    net = small_graph()
    with pytest.raises(ValueError, match="expected"):
        net.simulate(np.zeros((2, 10, 4)))
    with pytest.raises(ValueError, match="gradient: x"):
        net.gradient(np.zeros((3, 50, 5)), y_target=np.zeros((3, 50, 2)))
    with pytest.raises(lsnn.LsnnError, match="targets per step"):
        net.gradient(np.zeros((4, 50, 5)))
    with pytest.raises(lsnn.LsnnError, match="learning rule 'sgd'"):
        net.gradient(np.zeros((4, 50, 5)), y_target=np.zeros((4, 50, 2)), rule="sgd")
    with pytest.raises(lsnn.LsnnError, match="no episode"):
        net.snapshot()
    with pytest.raises(lsnn.LsnnError, match="missing.safetensors"):
        lsnn.load(tmp_path / "missing.safetensors")
    bad = tmp_path / "bad.safetensors"
    net.save(bad)
    bad.write_bytes(bad.read_bytes()[:100])
    with pytest.raises(lsnn.LsnnError, match="bad.safetensors"):
        lsnn.load(bad)
    with pytest.raises(lsnn.LsnnError, match="train|external"):
        lsnn.train(net.config, out=tmp_path / "ext")
    with pytest.raises(lsnn.LsnnError, match="population|count|A"):
        small_graph(populations=[{"name": "A", "count": 0}])
    w = net.tensors(writable=True)["w_rec"]
    keep = w.copy()
    w[0, 0] = np.nan
    with pytest.raises(lsnn.LsnnError, match="nan"):
        net.changed()
    w[...] = keep
    net.changed()
    net.close()
    with pytest.raises(lsnn.LsnnError, match="closed"):
        net.simulate(np.zeros((1, 5, 5)))


def rss_kb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def test_no_leak_over_create_free_cycles():
    x = input_spikes(1, 50, 5, seed=4)

    def cycle():
        net = small_graph()
        net.simulate(x)
        net.begin(batch=1, steps=5)
        net.step(x[0, 0])
        s = net.snapshot()
        net.restore(s)
        s.free()
        net.close()

    for _ in range(100):
        cycle()
    before = rss_kb()
    for _ in range(1000):
        cycle()
    grown = rss_kb() - before
    assert grown < 2048, f"RSS grew by {grown} kB over 1,000 create/free cycles"


def test_pip_installs_the_package(tmp_path):
    """`pip install` of the package works offline with Debian's python3 (README)."""
    import shutil
    import sys
    if subprocess.run([sys.executable, "-m", "pip", "--version"],
                      capture_output=True).returncode != 0:
        pytest.skip("python3 -m pip is not installed (scripts/setup.sh installs python3-pip)")
    src = tmp_path / "src"
    shutil.copytree(ROOT / "python", src, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    target = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation",
                        "--no-deps", "--no-index", "--quiet", "--target", str(target), str(src)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run([sys.executable, "-c", "import lsnn; print(lsnn.__file__)"],
                       capture_output=True, text=True, cwd=tmp_path,
                       env=dict(os.environ, PYTHONPATH=str(target)))
    assert r.returncode == 0 and r.stdout.startswith(str(target)), r.stdout + r.stderr


def test_example_script_runs(tmp_path):
    """examples/python/store_recall.py, shortened (the figure only when matplotlib exists)."""
    import sys
    r = subprocess.run([sys.executable, str(ROOT / "examples" / "python" / "store_recall.py"),
                        "--iterations", "3", "--batch-size", "4", "--out", str(tmp_path)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "iter    1  loss" in r.stdout and (tmp_path / "model.safetensors").exists()
