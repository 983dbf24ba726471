"""lsnn from Python: recurrent spiking networks with adapting neurons, over liblsnn.

    import lsnn
    cfg = lsnn.Config.load("configs/store_recall.json").set("iterations", 20)
    lsnn.train(cfg, out="runs/sr", progress=print)      # the same run as `lsnn train`
    net = lsnn.load("runs/sr/model.safetensors")
    out = net.simulate(x)                                # x: (B, T, n_in) -> readout, spikes, v, ...

Arrays go in and come out as NumPy arrays of lsnn's real type (float32 in the standard build);
an input of another type or layout is converted once. Errors of the library are raised as
lsnn.LsnnError carrying its message. docs/PYTHON.md describes every class and function.
"""
import ctypes
import json
import os
import struct

from . import _native
from ._native import lib, c_real, take_string

import numpy as np

__version__ = "0.1.0"  # python/pyproject.toml; the library's interface: _native.API_VERSION

__all__ = ["LsnnError", "Config", "Network", "Optimizer", "State", "train", "load",
           "read_safetensors", "set_threads", "library_path", "real"]

library_path = _native.library_path
real = np.dtype(np.float32 if c_real is ctypes.c_float else np.float64)

STREAMS = {"train": 1, "valid": 2, "validation": 2, "test": 3}
LOSS_MSE, LOSS_CE_WINDOW, LOSS_CE_WINDOW_SOFTMAX, LOSS_RATE_MSE, LOSS_RATE_HINGE = 1, 0, 2, 3, 4


class LsnnError(RuntimeError):
    """An error reported by liblsnn; .status is its lsnn_status code (negative)."""

    def __init__(self, message, status=-5):
        super().__init__(message)
        self.status = status


def _check(status):
    if status != 0:
        msg = lib.lsnn_last_error()
        raise LsnnError(msg.decode() if msg else f"lsnn error {status}", status)


def _ptr(a):
    return None if a is None else a.ctypes.data_as(ctypes.c_void_p)


def _array(a, dtype, shape, what):
    """a as a C-contiguous array of dtype (no copy when it already is one) of the given shape."""
    if a is None:
        return None
    a = np.ascontiguousarray(a, dtype=dtype)
    if a.shape != tuple(shape):
        raise ValueError(f"{what}: shape {a.shape}, expected {tuple(shape)}")
    return a


def set_threads(n):
    """Sets the OpenMP threads of liblsnn's passes; returns the number in use."""
    return lib.lsnn_api_set_threads(int(n))


def _nonfinite(value, path):
    """The dotted key of the first NaN or infinity in value, or None."""
    if isinstance(value, float) and not np.isfinite(value):
        return path
    items = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, (list, tuple)) else ()
    for k, v in items:
        found = _nonfinite(v, f"{path}.{k}" if path else str(k))
        if found:
            return found
    return None


def _json(value, origin, path=""):
    """value as JSON text; a NaN or infinity (which JSON cannot hold) is refused by its key."""
    bad = _nonfinite(value, path)
    if bad is not None:
        raise LsnnError(f"{origin}: {bad}: must be a finite number", -4)
    return json.dumps(value)


def _set_value(key, value):
    """A Python value as the right-hand side of a `--set` assignment (JSON)."""
    return value if isinstance(value, str) else _json(value, "config", key)


class Config:
    """An lsnn config (docs/CONFIG.md), held as its full JSON text.

    Config.load(path), Config.from_dict(d) or Config(json_text); .set("network.tau_m", 25)
    returns the config (validated; the same config object, changed); config["lr"] reads a key;
    .dict is a copy as nested dicts; .json the text."""

    def __init__(self, text="{}", origin="config"):
        self.origin = origin
        self.json = self._normalize(text, origin, [])

    @staticmethod
    def _normalize(text, origin, assignments):
        arr = (ctypes.c_char_p * max(1, len(assignments)))(*[a.encode() for a in assignments])
        out = ctypes.c_void_p()
        _check(lib.lsnn_api_config_normalize(text.encode(), origin.encode(), arr,
                                             len(assignments), ctypes.byref(out)))
        return take_string(out.value)

    @classmethod
    def load(cls, path):
        path = os.fspath(path)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise LsnnError(f"{path}: {e.strerror}", -2) from None
        return cls(text, origin=path)

    @classmethod
    def from_dict(cls, d, origin="config"):
        return cls(_json(d, origin), origin=origin)

    def set(self, key, value):
        self.json = self._normalize(self.json, self.origin, [f"{key}={_set_value(key, value)}"])
        return self

    def copy(self):
        c = Config.__new__(Config)
        c.origin, c.json = self.origin, self.json
        return c

    @property
    def dict(self):
        return json.loads(self.json)

    def __getitem__(self, key):
        d = self.dict
        for part in key.split("."):
            d = d[part]
        return d

    def __repr__(self):
        d = self.dict
        return f"<lsnn.Config task={d.get('task')} model={d.get('model')} from {self.origin}>"


def _config_of(config):
    if isinstance(config, Config):
        return config
    if isinstance(config, dict):
        return Config.from_dict(config)
    if isinstance(config, (str, os.PathLike)):
        return Config.load(config)
    raise TypeError("config: a Config, a dict or the path of a JSON file")


def train(config, out, resume=False, progress=None):
    """A training run of config in directory out, as `lsnn train CONFIG --out OUT`: checkpoint
    (out/model.safetensors), log.csv and result.json. progress(dict) is called after every
    iteration with iteration, iterations, loss, metric, rate_hz, seconds and, after a validation,
    val_loss and val_metric; a true return value stops the run. Returns the result (dict)."""
    cfg = _config_of(config)
    failure = []

    def cb(_ctx, it, total, loss, metric, rate, validated, vloss, vmetric, seconds):
        if progress is None:
            return 0
        rec = {"iteration": it, "iterations": total, "loss": loss, "metric": metric,
               "rate_hz": rate, "seconds": seconds}
        if validated:
            rec.update(val_loss=vloss, val_metric=vmetric)
        try:
            return 1 if progress(rec) else 0
        except BaseException as e:  # stop the run and raise it here
            failure.append(e)
            return 1

    fn = _native.PROGRESS(cb)
    res = ctypes.c_void_p()
    st = lib.lsnn_api_train(cfg.json.encode(), cfg.origin.encode(), os.fspath(out).encode(),
                            1 if resume else 0, fn, None, ctypes.byref(res))
    if failure:
        raise failure[0]
    _check(st)
    text = take_string(res.value)
    return json.loads(text) if text else {}


class State:
    """A snapshot of a closed-loop episode (Network.snapshot); Network.restore puts it back."""

    def __init__(self, handle, net):
        self._h, self._net = handle, net

    @property
    def step(self):
        """The step the episode continues at after a restore."""
        return lib.lsnn_api_state_step(self._h)

    def __eq__(self, other):
        return isinstance(other, State) and bool(lib.lsnn_api_state_equal(self._h, other._h))

    __hash__ = None

    def free(self):
        if self._h:
            lib.lsnn_api_state_free(self._h)
            self._h = None

    def __del__(self):
        self.free()


class Network:
    """A spiking network (or baseline) with its optimizer and task, built from a config.

    Network(config), Network.build(...) (populations and projections, the graph API) or
    lsnn.load(path). Its arrays: net.tensors() (name -> array, views into the network),
    net.params (the flat parameter block, a view). Passes: simulate, gradient, step."""

    def __init__(self, config, _handle=None):
        if _handle is None:
            cfg = _config_of(config)
            h = ctypes.c_void_p()
            _check(lib.lsnn_api_model_new(cfg.json.encode(), cfg.origin.encode(),
                                          ctypes.byref(h)))
            _handle = h.value
        self._h = _handle
        self._episode = None

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def load(cls, path):
        """The model of a checkpoint (parameters, optimizer state, iteration, config)."""
        h = ctypes.c_void_p()
        _check(lib.lsnn_api_model_load(os.fspath(path).encode(), ctypes.byref(h)))
        return cls(None, _handle=h.value)

    @classmethod
    def build(cls, populations, projections, inputs, outputs, steps=100, loss="mse", windows=1,
              readout_from=None, seed=1, batch_size=1, learning="bptt", lr=None, optimizer=None,
              **network):
        """A graph network (docs/CONFIG.md, Graph networks): populations and projections as
        the config's lists of dicts, inputs and outputs channels, batches of `steps` steps with
        loss "mse" (targets per step) or "ce" (classification windows). Further keyword
        arguments are `network.*` keys (tau_m=20, readout_tau=0, ...)."""
        net = dict(network, populations=list(populations), projections=list(projections))
        if readout_from is not None:
            net["readout_from"] = readout_from
        d = {"task": "external", "seed": seed, "batch_size": batch_size, "learning": learning,
             "network": net,
             "external": {"inputs": inputs, "outputs": outputs, "steps": steps, "loss": loss,
                          "windows": windows}}
        if lr is not None:
            d["lr"] = lr
        if optimizer is not None:
            d["optimizer"] = optimizer
        return cls(Config.from_dict(d, origin="Network.build"))

    def save(self, path):
        """Writes a checkpoint (the same file as `lsnn train`), atomically."""
        _check(lib.lsnn_api_model_save(self._handle(), os.fspath(path).encode()))

    def close(self):
        """Frees the network now (views of its tensors must not be used afterwards)."""
        if getattr(self, "_h", None):
            lib.lsnn_api_model_free(self._h)
            self._h = None

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _handle(self):
        if not self._h:
            raise LsnnError("the network was closed")
        return self._h

    # ---- description ----------------------------------------------------------------------
    @property
    def info(self):
        a = (ctypes.c_long * len(_native.INFO))()
        lib.lsnn_api_model_info(self._handle(), a)
        return dict(zip(_native.INFO, a))

    def __getattr__(self, name):
        if name in ("n_in", "n_out", "steps", "neurons", "batch_size", "iteration"):
            info = self.info
            return info["batch" if name == "batch_size" else name]
        raise AttributeError(name)

    @property
    def config(self):
        out = ctypes.c_void_p()
        _check(lib.lsnn_api_model_config(self._handle(), ctypes.byref(out)))
        return Config(take_string(out.value), origin="model")

    def _tensor(self, i):
        name, dt, data = ctypes.c_char_p(), ctypes.c_int(), ctypes.c_void_p()
        ndim, shape = ctypes.c_int(), (ctypes.c_int64 * 2)()
        _check(lib.lsnn_api_model_tensor(self._handle(), i, ctypes.byref(name), ctypes.byref(dt),
                                         ctypes.byref(data), ctypes.byref(ndim), shape))
        dtype = np.dtype(_native.DTYPES[dt.value])
        shp = tuple(shape[:ndim.value])
        count = int(np.prod(shp))
        buf = (ctypes.c_char * (count * dtype.itemsize)).from_address(data.value)
        buf._owner = self  # the view keeps the network alive
        return name.value.decode(), np.frombuffer(buf, dtype=dtype).reshape(shp)

    def tensors(self, writable=False):
        """The checkpoint's tensors as arrays that view the network's memory (name -> array,
        in file order). Read-only unless writable=True; after writing, call net.changed()."""
        out = {}
        for i in range(lib.lsnn_api_model_n_tensors(self._handle())):
            name, a = self._tensor(i)
            a.flags.writeable = bool(writable)
            out[name] = a
        return out

    def __getitem__(self, name):
        t = self.tensors()
        if name not in t:
            raise KeyError(f"{name}: the network's tensors are {', '.join(t)}")
        return t[name]

    def __setitem__(self, name, value):
        t = self.tensors(writable=True)
        if name not in t:
            raise KeyError(f"{name}: the network's tensors are {', '.join(t)}")
        t[name][...] = value
        self.changed()

    def changed(self):
        """After writing into tensors(writable=True): recomputes the derived constants and
        applies the structural masks."""
        _check(lib.lsnn_api_model_changed(self._handle()))

    # ---- passes ---------------------------------------------------------------------------
    def simulate(self, x, noise_key=0, record=("spikes", "v", "threshold")):
        """Runs the network on inputs x (B, T, n_in) (or (T, n_in) for one sequence) with its
        weights frozen. Returns a dict: "readout" (B, T, n_out) and the recorded traces of every
        neuron among "spikes", "v", "threshold" (B, T, n)."""
        x = np.asarray(x)
        one = x.ndim == 2
        if one:
            x = x[None]
        info = self.info
        if x.ndim != 3 or x.shape[2] != info["n_in"]:
            raise ValueError(f"simulate: x has shape {x.shape}, expected (B, T, {info['n_in']})")
        x = np.ascontiguousarray(x, dtype=real)
        B, T = x.shape[:2]
        n = info["neurons"]
        y = np.empty((B, T, info["n_out"]), dtype=real)
        rec = {k: np.empty((B, T, n), dtype=real) for k in record}
        unknown = set(record) - {"spikes", "v", "threshold"}
        if unknown:
            raise ValueError(f"simulate: cannot record {sorted(unknown)}")
        _check(lib.lsnn_api_simulate(self._handle(), _ptr(x), B, T, int(noise_key), _ptr(y),
                                     _ptr(rec.get("spikes")), _ptr(rec.get("v")),
                                     _ptr(rec.get("threshold"))))
        out = {"readout": y, **rec}
        return {k: v[0] for k, v in out.items()} if one else out

    def batch(self, stream="train", first=0):
        """A batch of the config's task (copies): x, n_windows, windows (B, W, 3: t0, t1,
        label), and where the loss has them y_target, y_weight, w_target; noise_key."""
        s = STREAMS[stream] if isinstance(stream, str) else int(stream)
        ptrs = [ctypes.c_void_p() for _ in range(6)]
        key = ctypes.c_uint64()
        _check(lib.lsnn_api_task_batch(self._handle(), s, int(first),
                                       *[ctypes.byref(p) for p in ptrs], ctypes.byref(key)))
        i = self.info
        B, T, W = i["batch"], i["steps"], i["windows"]
        shapes = {"x": ((B, T, i["n_in"]), real), "n_windows": ((B,), np.int32),
                  "windows": ((B, max(W, 1), 3), np.int32),
                  "y_target": ((B, T, i["n_out"]), real), "y_weight": ((B, T), real),
                  "w_target": ((B, max(W, 1), i["n_out"]), real)}
        out = {}
        for (name, (shape, dt)), p in zip(shapes.items(), ptrs):
            if p.value:
                count = int(np.prod(shape)) * np.dtype(dt).itemsize
                out[name] = np.frombuffer(ctypes.string_at(p.value, count), dtype=dt).reshape(
                    shape).copy()
        out["noise_key"] = key.value
        return out

    def gradient(self, x, targets=None, y_target=None, y_weight=None, windows=None,
                 n_windows=None, labels=None, w_target=None, rule=None, noise_key=0):
        """The gradient (flat, net.info["params"] entries) of the loss on a batch of your own,
        by rule "bptt" or "eprop" (None: the config's learning), not applied. x is (B, T, n_in)
        with B the config's batch_size; the targets follow the task's loss: y_target (B, T,
        n_out) [and y_weight (B, T)] for squared errors; windows (B, W, 3) of (t0, t1, label)
        [n_windows (B)] for classification, or labels (B,) for one window over the whole
        sequence. Returns the gradient; .stats of the returned array holds loss, reg, metric,
        rate_hz. Equal, bit for bit, to what the C library computes on the same batch.
        `targets` (positional) is any of these by its shape: (B, T, n_out) floats -> y_target,
        (B,) integers -> labels, (B, W, 3) integers -> windows."""
        i = self.info
        if targets is not None:
            t = np.asarray(targets)
            if t.ndim == 3 and t.shape[2] == 3 and np.issubdtype(t.dtype, np.integer):
                windows = t
            elif t.ndim == 1 and np.issubdtype(t.dtype, np.integer):
                labels = t
            else:
                y_target = t
        B, T, n_in, n_out, W = i["batch"], i["steps"], i["n_in"], i["n_out"], i["windows"]
        x = _array(x, real, (B, T, n_in), "gradient: x")
        y_target = _array(y_target, real, (B, T, n_out), "gradient: y_target")
        y_weight = _array(y_weight, real, (B, T), "gradient: y_weight")
        if labels is not None:
            if windows is not None:
                raise ValueError("gradient: give labels or windows, not both")
            labels = np.asarray(labels).reshape(-1)
            if labels.shape != (B,):
                raise ValueError(f"gradient: labels has shape {labels.shape}, expected ({B},)")
            windows = np.zeros((B, 1, 3), dtype=np.int32)
            windows[:, 0, 1] = T
            windows[:, 0, 2] = labels
            n_windows = np.ones(B, dtype=np.int32)
        if windows is not None:
            windows = np.asarray(windows)
            if windows.ndim == 2:
                windows = windows[:, None, :]
            if windows.shape[1] < W:
                pad = np.zeros((B, W - windows.shape[1], 3), dtype=np.int32)
                if n_windows is None:
                    n_windows = np.full(B, windows.shape[1], dtype=np.int32)
                windows = np.concatenate([windows, pad], axis=1)
            windows = _array(windows, np.int32, (B, max(W, 1), 3), "gradient: windows")
            if n_windows is None:
                n_windows = np.full(B, W, dtype=np.int32)
            n_windows = _array(n_windows, np.int32, (B,), "gradient: n_windows")
        w_target = _array(w_target, real, (B, max(W, 1), n_out), "gradient: w_target")
        g = np.empty(i["params"], dtype=real)
        stats = (ctypes.c_double * 4)()
        _check(lib.lsnn_api_gradient(self._handle(), rule.encode() if rule else None, _ptr(x),
                                     _ptr(y_target), _ptr(y_weight), _ptr(n_windows),
                                     _ptr(windows), _ptr(w_target), int(noise_key), _ptr(g),
                                     stats))
        g = g.view(Gradient)
        g.stats = dict(zip(("loss", "reg", "metric", "rate_hz"), stats))
        return g

    @property
    def params(self):
        """The flat parameter block (the order of a gradient), as a read-only view."""
        n = self.info["params"]
        ptr = lib.lsnn_api_model_params(self._handle())
        buf = (ctypes.c_char * (n * real.itemsize)).from_address(ptr)
        buf._owner = self
        a = np.frombuffer(buf, dtype=real)
        a.flags.writeable = False
        return a

    def evaluate(self, stream="valid", count=None):
        """Loss, metric and rate (Hz) on count sequences of the config's task."""
        s = STREAMS[stream] if isinstance(stream, str) else int(stream)
        out = (ctypes.c_double * 3)()
        _check(lib.lsnn_api_evaluate(self._handle(), s, int(count or self.info["batch"]), out))
        return dict(zip(("loss", "metric", "rate_hz"), out))

    # ---- closed loop ----------------------------------------------------------------------
    def begin(self, batch=None, steps=None, noise_key=0, trainable=False):
        """Starts a closed-loop episode of `batch` sequences (default 1) and at most `steps`
        steps (default 1000). With trainable=True the episode runs in the network's trainer,
        on its batch (batch and steps default to, and must equal, net.batch_size and net.steps;
        the config's learning must be "bptt"), and after its last step net.backward(dL_dy)
        gives the gradient of a loss you compute from the episode (reinforcement learning from
        a Python environment)."""
        i = self.info
        if batch is None:
            batch = i["batch"] if trainable else 1
        if steps is None:
            steps = i["steps"] if trainable else 1000
        _check(lib.lsnn_api_begin(self._handle(), int(batch), int(steps), int(noise_key),
                                  1 if trainable else 0))
        self._episode = (int(batch), i["n_in"], i["n_out"], i["neurons"])
        self._episode_steps = int(steps)

    def backward(self, dL_dy):
        """After every step of a trainable episode: the gradient (flat, not applied) of the loss
        whose derivative with respect to the readouts is dL_dy (batch, steps, n_out), by BPTT
        through the episode. Apply it with lsnn.Optimizer().step(net, grad)."""
        if self._episode is None:
            raise LsnnError("backward: no episode is open (begin(trainable=True) first)")
        B, _, n_out, _ = self._episode
        gy = _array(dL_dy, real, (B, self._episode_steps, n_out), "backward: dL_dy")
        g = np.empty(self.info["params"], dtype=real)
        _check(lib.lsnn_api_backward(self._handle(), _ptr(gy), _ptr(g)))
        self._episode = None
        return g.view(Gradient)

    def step(self, x_t, spikes=False):
        """Runs one step on inputs x_t (batch, n_in) (or (n_in,) for a batch of one); returns
        the readout (batch, n_out), and the spikes (batch, n) when spikes=True."""
        if self._episode is None:
            raise LsnnError("step: no episode is open (call begin first)")
        B, n_in, n_out, n = self._episode
        x_t = np.asarray(x_t)
        one = x_t.ndim == 1
        x_t = _array(x_t.reshape(B, -1) if one and B == 1 else x_t, real, (B, n_in), "step: x_t")
        y = np.empty((B, n_out), dtype=real)
        z = np.empty((B, n), dtype=real) if spikes else None
        _check(lib.lsnn_api_step(self._handle(), _ptr(x_t), _ptr(y), _ptr(z), None))
        if one:
            y, z = y[0], (z[0] if z is not None else None)
        return (y, z) if spikes else y

    def snapshot(self):
        """The state of the open episode, for restore."""
        h = ctypes.c_void_p()
        _check(lib.lsnn_api_snapshot(self._handle(), ctypes.byref(h)))
        return State(h.value, self)

    def restore(self, state):
        """Puts a snapshot of this episode back; the episode continues bit for bit as from the
        moment of the snapshot."""
        _check(lib.lsnn_api_restore(self._handle(), state._h))

    def __repr__(self):
        if not getattr(self, "_h", None):
            return "<lsnn.Network (closed)>"
        i = self.info
        return (f"<lsnn.Network {i['neurons']} neurons, {i['n_in']} in, {i['n_out']} out, "
                f"{i['params']} parameters, iteration {i['iteration']}>")


class Gradient(np.ndarray):
    """A gradient: a flat array with .stats (loss, reg, metric, rate_hz of its batch)."""
    stats = None


class Optimizer:
    """Applies gradients with a network's own optimizer (the config's optimizer, learning rate
    schedule, L2, clipping and DEEP R): opt.step(net, grad)."""

    def step(self, net, grad):
        g = np.array(grad, dtype=real, copy=True)  # clipping and L2 modify it
        if g.shape != (net.info["params"],):
            raise ValueError(f"step: gradient of shape {g.shape}, the network has "
                             f"{net.info['params']} parameters")
        stats = (ctypes.c_double * 2)()
        _check(lib.lsnn_api_apply(net._handle(), _ptr(g), stats))
        return {"grad_norm": stats[0], "rewired": int(stats[1])}


def load(path):
    """The network of a checkpoint (lsnn train's model.safetensors)."""
    return Network.load(path)


_ST_DTYPES = {"F32": np.float32, "F64": np.float64, "U8": np.uint8, "I8": np.int8,
              "I32": np.int32, "I64": np.int64, "U64": np.uint64}


def read_safetensors(path):
    """Reads a safetensors file with NumPy alone: (dict name -> array, metadata dict). The
    format: an 8-byte little-endian header length, a JSON header, the raw little-endian data."""
    with open(os.fspath(path), "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise LsnnError(f"{path}: not a safetensors file (shorter than its header length)", -3)
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise LsnnError(f"{path}: truncated header ({n} bytes announced)", -3)
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {}) or {}
    body = memoryview(data)[8 + n:]
    out = {}
    for name, t in header.items():
        a, b = t["data_offsets"]
        if t["dtype"] not in _ST_DTYPES or b > len(body):
            raise LsnnError(f"{path}: tensor {name}: dtype {t['dtype']} or extent {b} invalid",
                            -3)
        out[name] = np.frombuffer(body[a:b], dtype=np.dtype(_ST_DTYPES[t["dtype"]]).newbyteorder(
            "<")).reshape(t["shape"]).copy()
    return out, meta
