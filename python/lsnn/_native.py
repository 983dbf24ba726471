"""Loading liblsnn and declaring the functions of its flat interface (include/lsnn/api.h)."""
import ctypes
import ctypes.util
import os
from pathlib import Path

# OpenBLAS (linked by liblsnn and by NumPy) reads its thread count once, when it loads; lsnn
# runs its BLAS calls inside its own OpenMP threads, so OpenBLAS must stay single-threaded, as
# the lsnn command-line tool makes it. Import lsnn before NumPy for this to reach NumPy's copy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

API_VERSION = 1


def _candidates():
    env = os.environ.get("LSNN_LIBRARY")
    if env:
        yield env
        return
    here = Path(__file__).resolve().parent
    yield str(here / "liblsnn.so.0")  # a copy installed beside the package
    for build in ("build", "build-dev"):  # the repository's own builds
        yield str(here.parent.parent / build / "liblsnn.so.0")
    found = ctypes.util.find_library("lsnn")  # an installed liblsnn (cmake --install)
    if found:
        yield found
    yield "liblsnn.so.0"


def load_library():
    """The first liblsnn that loads: $LSNN_LIBRARY, one beside the package, the repository's
    build/ or build-dev/, or the system's (ld.so's search path)."""
    tried = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append(f"{path} (absent)")
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append(f"{path} ({e})")
            continue
        return lib, path
    raise ImportError("lsnn: cannot load liblsnn.so.0; build it (./scripts/setup.sh) and/or set "
                      "LSNN_LIBRARY to its path. Tried: " + "; ".join(tried))


lib, library_path = load_library()

c_int, c_long, c_double, c_char_p, c_void_p = (ctypes.c_int, ctypes.c_long, ctypes.c_double,
                                               ctypes.c_char_p, ctypes.c_void_p)
c_uint64, c_int64, c_int32 = ctypes.c_uint64, ctypes.c_int64, ctypes.c_int32
P = ctypes.POINTER

lib.lsnn_api_version.restype = c_int
lib.lsnn_api_real_bytes.restype = c_int
if lib.lsnn_api_version() != API_VERSION:
    raise ImportError(f"lsnn: {library_path} has interface version {lib.lsnn_api_version()}, "
                      f"this package needs {API_VERSION}")
c_real = ctypes.c_float if lib.lsnn_api_real_bytes() == 4 else ctypes.c_double

PROGRESS = ctypes.CFUNCTYPE(c_int, c_void_p, c_long, c_long, c_double, c_double, c_double, c_int,
                            c_double, c_double, c_double)

_SIGNATURES = {
    "lsnn_last_error": (c_char_p, []),
    "lsnn_api_free": (None, [c_void_p]),
    "lsnn_api_set_threads": (c_int, [c_int]),
    "lsnn_api_config_normalize": (c_int, [c_char_p, c_char_p, P(c_char_p), c_int, P(c_void_p)]),
    "lsnn_api_train": (c_int, [c_char_p, c_char_p, c_char_p, c_int, PROGRESS, c_void_p,
                               P(c_void_p)]),
    "lsnn_api_model_new": (c_int, [c_char_p, c_char_p, P(c_void_p)]),
    "lsnn_api_model_load": (c_int, [c_char_p, P(c_void_p)]),
    "lsnn_api_model_save": (c_int, [c_void_p, c_char_p]),
    "lsnn_api_model_free": (None, [c_void_p]),
    "lsnn_api_model_config": (c_int, [c_void_p, P(c_void_p)]),
    "lsnn_api_model_info": (None, [c_void_p, P(c_long)]),
    "lsnn_api_model_n_tensors": (c_int, [c_void_p]),
    "lsnn_api_model_tensor": (c_int, [c_void_p, c_int, P(c_char_p), P(c_int), P(c_void_p),
                                      P(c_int), P(c_int64)]),
    "lsnn_api_model_changed": (c_int, [c_void_p]),
    "lsnn_api_model_params": (c_void_p, [c_void_p]),
    "lsnn_api_simulate": (c_int, [c_void_p, c_void_p, c_int, c_int, c_uint64, c_void_p, c_void_p,
                                  c_void_p, c_void_p]),
    "lsnn_api_gradient": (c_int, [c_void_p, c_char_p, c_void_p, c_void_p, c_void_p, c_void_p,
                                  c_void_p, c_void_p, c_uint64, c_void_p, P(c_double)]),
    "lsnn_api_apply": (c_int, [c_void_p, c_void_p, P(c_double)]),
    "lsnn_api_task_batch": (c_int, [c_void_p, c_int, c_long] + [P(c_void_p)] * 6 +
                            [P(c_uint64)]),
    "lsnn_api_evaluate": (c_int, [c_void_p, c_int, c_int, P(c_double)]),
    "lsnn_api_begin": (c_int, [c_void_p, c_int, c_int, c_uint64, c_int]),
    "lsnn_api_backward": (c_int, [c_void_p, c_void_p, c_void_p]),
    "lsnn_api_step": (c_int, [c_void_p, c_void_p, c_void_p, c_void_p, P(c_int)]),
    "lsnn_api_snapshot": (c_int, [c_void_p, P(c_void_p)]),
    "lsnn_api_restore": (c_int, [c_void_p, c_void_p]),
    "lsnn_api_state_step": (c_int, [c_void_p]),
    "lsnn_api_state_equal": (c_int, [c_void_p, c_void_p]),
    "lsnn_api_state_free": (None, [c_void_p]),
}
for _name, (_res, _args) in _SIGNATURES.items():
    _f = getattr(lib, _name)
    _f.restype = _res
    _f.argtypes = _args

# The info indices of lsnn_api_model_info (enum in api.h).
INFO = ("n_in", "n_out", "steps", "neurons", "batch", "windows", "loss", "spiking", "params",
        "iteration", "stepwise")
# lsnn_dtype of lsnn/safetensors.h, as NumPy types.
DTYPES = {0: "float32", 1: "float64", 2: "uint8", 3: "int32", 4: "int64", 5: "uint64", 6: "int8"}


def take_string(ptr):
    """A string the library allocated, copied and freed."""
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr).decode()
    finally:
        lib.lsnn_api_free(ptr)
