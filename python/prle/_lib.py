"""ctypes bindings of libprle.so: the library is found, loaded once, and every C function the
package calls is declared here with its argument and result types."""
import ctypes
import os

import numpy as np

c_size_p = ctypes.POINTER(ctypes.c_size_t)
c_float_p = ctypes.POINTER(ctypes.c_float)


class Matrix(ctypes.Structure):
    """prle_matrix: a (rows, cols) row-major float32 matrix; a view when the caller owns it."""
    _fields_ = [("data", c_float_p), ("rows", ctypes.c_size_t), ("cols", ctypes.c_size_t),
                ("map_base_", ctypes.c_void_p), ("map_len_", ctypes.c_size_t)]


class ExplainItem(ctypes.Structure):
    """prle_explain_item: one prototype's share of one prediction."""
    _fields_ = [("prototype", ctypes.c_size_t), ("train_row", ctypes.c_size_t),
                ("weight", ctypes.c_float), ("local", ctypes.c_float),
                ("contribution", ctypes.c_float)]


class Conformal(ctypes.Structure):
    """prle_conformal: a calibrated split-conformal interval rule"""
    _fields_ = [("level", ctypes.c_double), ("q", ctypes.c_double), ("n_calib", ctypes.c_size_t),
                ("adaptive", ctypes.c_bool), ("label_min", ctypes.c_double),
                ("label_max", ctypes.c_double)]


class Yardstick(ctypes.Structure):
    """prle_predictor_yardstick: PRLE and a ridge scored on the rows a fit held out"""
    _fields_ = [("n", ctypes.c_size_t), ("mse", ctypes.c_double), ("ridge_mse", ctypes.c_double),
                ("ridge_alpha", ctypes.c_double)]


class Error(RuntimeError):
    """A failure reported by libprle; `code` is its prle_status name (e.g. "PRLE_EIO")."""

    def __init__(self, message, code):
        super().__init__(message)
        self.code = code


class InputError(Error, ValueError):
    """Bad input: a bad parameter, a shape mismatch, a malformed file (PRLE_EINVAL,
    PRLE_ESHAPE, PRLE_EFORMAT)."""


class NotFoundError(Error, FileNotFoundError):
    """A file, column or tensor that does not exist (PRLE_ENOTFOUND)."""


def _candidates():
    env = os.environ.get("PRLE_LIBRARY")
    if env:
        return [env]
    here = os.path.dirname(os.path.abspath(__file__))
    try:  # installed by make install, beside its library
        from . import _installed
        return [os.path.join(here, _installed.LIBDIR, "libprle.so.0")]
    except ImportError:  # the source tree after make build, else the dynamic linker's path
        return [os.path.join(here, "..", "..", "build", "libprle.so.0"), "libprle.so.0"]


def _load():
    errors = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            errors.append(path + ": not found")
            continue
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            errors.append(str(e))
    raise ImportError("prle: cannot load libprle.so.0 (run `make build`, or set PRLE_LIBRARY): "
                      + "; ".join(errors))


lib = _load()

_SIGNATURES = {
    "prle_version": (ctypes.c_char_p, []),
    "prle_init": (ctypes.c_int, [ctypes.c_int]),
    "prle_last_error": (ctypes.c_char_p, []),
    "prle_last_error_code": (ctypes.c_int, []),
    "prle_status_name": (ctypes.c_char_p, [ctypes.c_int]),
    "prle_free": (None, [ctypes.c_void_p]),
    "prle_matrix_dispose": (None, [ctypes.POINTER(Matrix)]),
    "prle_predictor_params_size": (ctypes.c_size_t, []),
    "prle_predictor_params_from_overrides":
        (ctypes.c_int, [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_size_t]),
    "prle_predictor_fit":
        (ctypes.c_int, [ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(Matrix), c_float_p,
                        ctypes.POINTER(Matrix), c_float_p, ctypes.c_void_p]),
    "prle_predictor_predict":
        (ctypes.c_int, [c_float_p, ctypes.c_void_p, ctypes.POINTER(Matrix)]),
    "prle_predictor_explain_rows":
        (ctypes.c_int, [ctypes.POINTER(ExplainItem), c_float_p, c_float_p, ctypes.c_void_p,
                        ctypes.POINTER(Matrix), ctypes.c_size_t]),
    "prle_predictor_in_dim": (ctypes.c_size_t, [ctypes.c_void_p]),
    "prle_predictor_n_prototypes": (ctypes.c_size_t, [ctypes.c_void_p]),
    "prle_predictor_model": (ctypes.c_void_p, [ctypes.c_void_p]),
    "prle_predictor_neighbour_k": (ctypes.c_size_t, [ctypes.c_void_p]),
    "prle_predictor_neighbours":
        (ctypes.c_int, [c_size_p, c_float_p, ctypes.c_void_p, ctypes.POINTER(Matrix)]),
    "prle_predictor_neighbour_predictions":
        (ctypes.c_int, [c_float_p, ctypes.c_void_p, ctypes.POINTER(Matrix)]),
    "prle_predictor_prototype_rows": (None, [c_size_p, ctypes.c_void_p]),
    "prle_predictor_save_memory":
        (ctypes.c_int, [ctypes.POINTER(ctypes.c_void_p), c_size_p, ctypes.c_void_p]),
    "prle_predictor_load_memory":
        (ctypes.c_int, [ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p, ctypes.c_size_t,
                        ctypes.c_char_p]),
    "prle_predictor_save": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p]),
    "prle_predictor_set_user_text": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p]),
    "prle_predictor_user_text": (ctypes.c_char_p, [ctypes.c_void_p]),
    "prle_predictor_load": (ctypes.c_int, [ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p]),
    "prle_predictor_free": (None, [ctypes.c_void_p]),
    "prle_predictor_n_calibration": (ctypes.c_size_t, [ctypes.c_void_p]),
    "prle_predictor_yardstick_get": (ctypes.c_int, [ctypes.POINTER(Yardstick), ctypes.c_void_p]),
    "prle_predictor_intervals":
        (ctypes.c_int, [c_float_p, c_float_p, c_float_p, ctypes.c_void_p,
                        ctypes.POINTER(Matrix), ctypes.c_double, ctypes.c_bool]),
    "prle_run_folder_open": (ctypes.c_int, [ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p]),
    "prle_run_folder_free": (None, [ctypes.c_void_p]),
    "prle_run_folder_model": (ctypes.c_void_p, [ctypes.c_void_p]),
    "prle_run_folder_kernel": (ctypes.c_void_p, [ctypes.c_void_p]),
    "prle_run_folder_map":
        (ctypes.c_int, [ctypes.POINTER(Matrix), ctypes.c_void_p, ctypes.POINTER(Matrix),
                        ctypes.c_char_p]),
    "prle_run_folder_encode":
        (ctypes.c_int, [ctypes.POINTER(Matrix), ctypes.c_void_p,
                        ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_char_p),
                        ctypes.c_size_t]),
    "prle_run_folder_embed":
        (ctypes.c_int, [ctypes.POINTER(Matrix), ctypes.c_void_p,
                        ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_char_p),
                        ctypes.c_size_t]),
    "prle_run_folder_neighbour_k": (ctypes.c_size_t, [ctypes.c_void_p]),
    "prle_run_folder_neighbours":
        (ctypes.c_int, [c_size_p, c_float_p, ctypes.c_void_p, ctypes.POINTER(Matrix)]),
    "prle_run_folder_dataset": (ctypes.c_void_p, [ctypes.c_void_p]),
    "prle_conformal_fit":
        (ctypes.c_int, [ctypes.POINTER(Conformal), ctypes.c_void_p, ctypes.c_double,
                        ctypes.c_bool]),
    "prle_conformal_predict":
        (ctypes.c_int, [c_float_p, c_float_p, c_float_p, ctypes.POINTER(Conformal),
                        ctypes.c_void_p, ctypes.POINTER(Matrix)]),
    "prle_run_folder_has_data": (ctypes.c_bool, [ctypes.c_void_p]),
    "prle_dataset_n_rows": (ctypes.c_size_t, [ctypes.c_void_p, ctypes.c_int]),
    "prle_dataset_n_texts": (ctypes.c_size_t, [ctypes.c_void_p]),
    "prle_dataset_labels": (c_float_p, [ctypes.c_void_p, ctypes.c_int]),
    "prle_kernel_in_dim": (ctypes.c_size_t, [ctypes.c_void_p]),
    "prle_kernel_type": (ctypes.c_int, [ctypes.c_void_p]),
    "prle_predictor_kernel": (ctypes.c_void_p, [ctypes.c_void_p]),
    "prle_head_type_name": (ctypes.c_char_p, [ctypes.c_int]),
    "prle_model_n_prototypes": (ctypes.c_size_t, [ctypes.c_void_p]),
    "prle_model_neighbour_weight": (ctypes.c_double, [ctypes.c_void_p]),
    "prle_model_prototype_rows": (c_size_p, [ctypes.c_void_p]),
    "prle_model_predict":
        (ctypes.c_int, [c_float_p, c_float_p, c_float_p, ctypes.c_void_p,
                        ctypes.POINTER(Matrix)]),
    "prle_model_explain_rows":
        (ctypes.c_int, [ctypes.POINTER(ExplainItem), c_float_p, c_float_p, c_float_p,
                        ctypes.c_void_p, ctypes.POINTER(Matrix), ctypes.c_size_t]),
}
for _name, (_res, _args) in _SIGNATURES.items():
    _f = getattr(lib, _name)
    _f.restype, _f.argtypes = _res, _args

lib.prle_init(0)
version = lib.prle_version().decode()

_CODES = {-3: InputError, -5: InputError, -6: InputError, -7: NotFoundError}


def check(status):
    """Raises the library's last error when `status` is negative; returns it otherwise."""
    if status < 0:
        message = lib.prle_last_error().decode(errors="replace")
        code = lib.prle_status_name(status).decode()
        raise _CODES.get(status, Error)(message or code, code)
    return status


def floats(a, what):
    """`a` as a C-contiguous float32 array (copied only when it is not one already)."""
    src = np.asarray(a)
    if src.dtype.kind == "f" and src.dtype.itemsize > 4 and src.size:
        big = float(np.max(np.abs(src[np.isfinite(src)]), initial=0.0))
        if big > np.finfo(np.float32).max:  # before the cast turns it into infinity
            raise ValueError(f"prle: {what} holds {big:.3g}, beyond single precision's range "
                             f"({np.finfo(np.float32).max:.3g}), which the library computes "
                             f"in: rescale it (e.g. StandardScaler)")
    a = np.ascontiguousarray(src, dtype=np.float32)
    if not np.all(np.isfinite(a)):
        raise ValueError(f"prle: {what} holds NaN or infinity")
    return a


def view(a):
    """A prle_matrix viewing the 2-D float32 C-contiguous array `a` (keep `a` alive)."""
    return Matrix(a.ctypes.data_as(c_float_p), a.shape[0], a.shape[1], None, 0)


def fptr(a):
    return a.ctypes.data_as(c_float_p)


def owned(m):
    """A copy of the library-owned matrix `m` as a NumPy array; `m` is then disposed."""
    try:
        if m.rows == 0:
            return np.zeros((0, m.cols), dtype=np.float32)
        return np.ctypeslib.as_array(m.data, shape=(m.rows, m.cols)).copy()
    finally:
        lib.prle_matrix_dispose(ctypes.byref(m))


# prle_explain_item as a NumPy record, so explanations of many rows are arrays, not objects
ITEM_DTYPE = np.dtype([("prototype", np.uintp), ("train_row", np.uintp), ("weight", np.float32),
                       ("local", np.float32), ("contribution", np.float32)], align=True)
assert ITEM_DTYPE.itemsize == ctypes.sizeof(ExplainItem)


def items_ptr(a):
    return a.ctypes.data_as(ctypes.POINTER(ExplainItem))
