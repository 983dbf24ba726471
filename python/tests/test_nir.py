"""`lsnn export-nir` (tools/cmd_nir.c, src/net/nir.c): the NIR file read back with h5py against
the checkpoint, and the graph simulated here with NumPy from its nodes alone against lsnn's own
simulation of the network."""
import os
import subprocess

import lsnn
import numpy as np
import pytest

h5py = pytest.importorskip("h5py", reason="python3-h5py (scripts/setup.sh installs it)")
CLI = os.environ.get("LSNN_CLI")
pytestmark = pytest.mark.skipif(not CLI, reason="LSNN_CLI (the lsnn binary) not set")


def lif_net(**kw):
    """Two LIF populations with synaptic delays 1..3, no refractory period, a filtering
    readout; a few training steps so that the weights are not the initial ones."""
    args = dict(
        populations=[{"name": "E", "count": 12, "beta": 0, "refractory": 0, "tau_m": 15},
                     {"name": "F", "count": 8, "beta": 0, "refractory": 0,
                      "tau_m": {"uniform": [10, 30]}, "b0": 0.05}],
        projections=[{"name": "w_in", "from": "input", "to": ["E", "F"], "delay": [1, 2]},
                     {"name": "w_rec", "from": ["E", "F"], "to": ["E", "F"], "delay": [1, 3]}],
        inputs=6, outputs=3, steps=40, batch_size=2, seed=9, readout_tau=10, lr=0.02)
    args.update(kw)
    net = lsnn.Network.build(**args)
    x = (np.random.default_rng(0).random((2, 40, 6)) < 0.3).astype(lsnn.real)
    y = np.random.default_rng(1).normal(size=(2, 40, 3))
    for _ in range(3):
        lsnn.Optimizer().step(net, net.gradient(x, y))
    return net


def export(model, out):
    return subprocess.run([CLI, "export-nir", str(model), str(out)], capture_output=True,
                          text=True)


def read_graph(path):
    with h5py.File(path, "r") as f:
        assert f["version"][()] == b"1.0.0"
        g = f["node"]
        assert g["type"][()] == b"NIRGraph"
        nodes = {}
        for name, n in g["nodes"].items():
            d = {k: n[k][()] for k in n if k != "metadata"}
            d["type"] = d["type"].decode()
            d["metadata"] = {k: v[()].decode() for k, v in n["metadata"].items()} \
                if "metadata" in n else {}
            nodes[name] = d
        edges = [(a.decode(), b.decode()) for a, b in g["edges"][()]]
    return nodes, edges


def test_graph_and_parameters_against_the_checkpoint(tmp_path):
    net = lif_net()
    net.save(tmp_path / "m.safetensors")
    r = export(tmp_path / "m.safetensors", tmp_path / "m.nir")
    assert r.returncode == 0, r.stderr
    assert "reset by subtracting" in r.stdout
    nodes, edges = read_graph(tmp_path / "m.nir")
    t, _ = lsnn.read_safetensors(tmp_path / "m.safetensors")
    assert nodes["input"]["type"] == "Input" and list(nodes["input"]["shape"]) == [6]
    assert nodes["output"]["type"] == "Output" and list(nodes["output"]["shape"]) == [3]
    pops = {"E": slice(0, 12), "F": slice(12, 20)}
    for p, sl in pops.items():
        n = nodes[p]
        assert n["type"] == "LIF"
        np.testing.assert_allclose(n["tau"], t[f"{p}.tau_m"] / 1000, rtol=1e-6)
        np.testing.assert_allclose(n["r"], 1, rtol=1e-5)  # the leaky input scaling
        np.testing.assert_array_equal(n["v_threshold"], t[f"{p}.b0"])
        assert not n["v_leak"].any() and not n["v_reset"].any()
        assert n["metadata"]["lsnn_reset"].startswith("subtract")
    # every Linear block of a projection, summed over delays, is the transposed weight block
    for proj, src in (("w_in", {"input": slice(0, 6)}), ("w_rec", pops)):
        w, dl = t[proj], t[f"{proj}.delay"]
        for s, ss in src.items():
            for d_, ds in pops.items():
                total = np.zeros((ds.stop - ds.start, ss.stop - ss.start), dtype=np.float32)
                for d in range(1, 4):
                    name = f"{proj}.{s}.{d_}.d{d}"
                    block = dl[ss, ds].T == d
                    if not block.any():
                        assert name not in nodes
                        continue
                    lin = nodes[name]
                    assert lin["type"] == "Linear"
                    np.testing.assert_array_equal(lin["weight"][~block], 0)
                    np.testing.assert_array_equal(lin["weight"][block], w[ss, ds].T[block])
                    total += lin["weight"]
                    assert (s, name) in edges
                    if d > 1:
                        dn = nodes[name + ".delay"]
                        assert dn["type"] == "Delay"
                        np.testing.assert_allclose(dn["delay"], (d - 1) * 1e-3)
                        assert (name, name + ".delay") in edges
                        assert (name + ".delay", d_) in edges
                    else:
                        assert (name, d_) in edges
                np.testing.assert_array_equal(total, w[ss, ds].T)
    ro = nodes["readout"]
    assert ro["type"] == "LI"
    np.testing.assert_allclose(ro["tau"], 0.010, rtol=1e-5)
    np.testing.assert_allclose(ro["r"], 1, rtol=1e-5)
    np.testing.assert_array_equal(ro["v_leak"], t["b_out"])
    for p, sl in pops.items():
        np.testing.assert_array_equal(nodes[f"w_out.{p}"]["weight"], t["w_out"][sl].T)
        assert (p, f"w_out.{p}") in edges and (f"w_out.{p}", "readout") in edges
    assert ("readout", "output") in edges
    assert len(edges) == len(set(edges))


def simulate_nir(nodes, edges, x, dt=1e-3):
    """The graph run in discrete steps of dt from its nodes alone: exact exponential steps of
    the LIF and LI equations with the input held for a step, the reset of the nodes' metadata
    (subtract), a spike reaching its targets one step later in a loop, Delay nodes in steps."""
    T = x.shape[0]
    lif = [k for k, n in nodes.items() if n["type"] == "LIF"]
    into = {k: [a for a, b in edges if b == k] for k in nodes}
    state = {k: np.zeros(nodes[k]["tau"].shape) for k in lif}
    z = {k: np.zeros((T + 1, nodes[k]["tau"].size)) for k in lif}  # z[k][t + 1]: step t

    def drive(node, t, extra):
        """The input a Linear node delivers at step t (its source's output extra steps ago)."""
        (src,) = into[node]
        w = nodes[node]["weight"].astype(np.float64)
        if src == "input":
            tt = t - extra
            return w @ x[tt] if tt >= 0 else 0
        tt = t - 1 - extra  # a spike emitted at step tt reaches the loop at tt + 1
        return w @ z[src][tt + 1] if tt >= 0 else 0

    def current(k, t):
        cur = 0
        for e in into[k]:
            if nodes[e]["type"] == "Delay":
                extra = int(round(nodes[e]["delay"][0] / dt))
                (lin,) = into[e]
                cur = cur + drive(lin, t, extra)
            else:
                cur = cur + drive(e, t, 0)
        return cur

    ro = nodes["readout"]
    affine = ro["type"] == "Affine"
    n_out = ro["bias"].size if affine else ro["tau"].size
    kappa = 0 if affine else np.exp(-dt / ro["tau"].astype(np.float64))
    y = np.zeros((T, n_out))
    yv = None if affine else ro["v_leak"].astype(np.float64).copy()
    for t in range(T):
        for k in lif:
            n = nodes[k]
            alpha = np.exp(-dt / n["tau"].astype(np.float64))
            vt = n["v_threshold"].astype(np.float64)
            v = alpha * state[k] + (1 - alpha) * n["r"] * current(k, t) - vt * z[k][t]
            state[k] = v
            z[k][t + 1] = v > vt
        inp = sum(nodes[e]["weight"].astype(np.float64) @ z[into[e][0]][t + 1]
                  for e in into["readout"])
        if affine:
            y[t] = ro["weight"].astype(np.float64) @ inp + ro["bias"]
        else:
            yv = ro["v_leak"] + kappa * (yv - ro["v_leak"]) + (1 - kappa) * ro["r"] * inp
            y[t] = yv
    return y, np.concatenate([z[k][1:] for k in lif], axis=1)


@pytest.mark.parametrize("readout_tau", [10, 0])
def test_the_nir_graph_computes_what_lsnn_computes(tmp_path, readout_tau):
    net = lif_net(readout_tau=readout_tau)
    net.save(tmp_path / "m.safetensors")
    assert export(tmp_path / "m.safetensors", tmp_path / "m.nir").returncode == 0
    nodes, edges = read_graph(tmp_path / "m.nir")
    assert nodes["readout"]["type"] == ("LI" if readout_tau else "Affine")
    x = (np.random.default_rng(5).random((60, 6)) < 0.3).astype(lsnn.real)
    ref = net.simulate(x)
    y, z = simulate_nir(nodes, edges, x.astype(np.float64))
    assert ref["spikes"].sum() > 20
    # float64 here, float32 in lsnn: a spike may flip where the potential grazes the threshold
    agree = (z == ref["spikes"]).mean()
    assert agree > 0.995, agree
    first = np.flatnonzero((z != ref["spikes"]).any(axis=1))
    upto = first[0] if first.size else len(x)
    assert upto >= 20, upto
    np.testing.assert_allclose(y[:upto], ref["readout"][:upto], rtol=1e-4, atol=1e-4)


def test_refusals(tmp_path):
    alif = lsnn.Network(lsnn.Config.load(
        os.path.join(os.path.dirname(__file__), "..", "..", "configs", "store_recall.json")))
    alif.save(tmp_path / "alif.safetensors")
    r = export(tmp_path / "alif.safetensors", tmp_path / "alif.nir")
    assert r.returncode == 1 and "population A" in r.stderr and "ALIF" in r.stderr, r.stderr
    assert not (tmp_path / "alif.nir").exists()
    izh = lif_net(populations=[{"name": "Z", "count": 10, "neuron": "izhikevich"}],
                  projections=[{"name": "w_in", "from": "input", "to": "Z"},
                               {"name": "w_rec", "from": "Z", "to": "Z"}])
    izh.save(tmp_path / "izh.safetensors")
    r = export(tmp_path / "izh.safetensors", tmp_path / "izh.nir")
    assert r.returncode == 1 and "population Z" in r.stderr and "izhikevich" in r.stderr
    r = export(tmp_path / "missing.safetensors", tmp_path / "m.nir")
    assert r.returncode == 1 and "missing.safetensors" in r.stderr
    assert not list(tmp_path.glob("*.tmp.*"))
