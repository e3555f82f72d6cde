"""PRLERegressor: a scikit-learn estimator over libprle's predictor (prle/predictor.h)."""
import collections
import ctypes
import json
import os
import warnings

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from . import _lib
from ._lib import lib

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _validate
except ImportError:  # Debian 12's 1.2
    def _validate(est, *args, **kw):
        return est._validate_data(*args, **kw)

Explanation = collections.namedtuple(
    "Explanation", "rows slots weights local contributions rest prediction")
Explanation.__doc__ = """What `explain` returns for n rows and k prototypes (arrays):
rows (n, k) the prototypes' rows of the X given to fit, heaviest first; slots (n, k) their
prototype numbers; weights (n, k) the router's weights; local (n, k) each prototype's own
prediction (with the neighbour term, neighbour_weight_ > 0: (1 - neighbour_weight_) times its
expert's plus neighbour_weight_ times the nearest training rows' prediction); contributions (n, k) weight x local; rest (n) the other prototypes' summed
contribution; prediction (n) = contributions.sum(1) + rest."""

# constructor argument -> the config key it sets (docs/config.md); None = the library's default
_KEYS = {
    "n_prototypes": "model.num_prototypes",
    "router": "model.gating_strategy",
    "knn_k": "model.knn_k",
    "tau_top1": "model.tau_top1",
    "expert": "model.type",
    "kernel": "kernel.projection_type",
    "value_dim": "kernel.proj_dim",
    "kernel_learning_rate": "kernel.learning_rate",
    "kernel_max_epochs": "kernel.max_epochs",
    "kernel_patience": "kernel.patience",
    "learning_rate": "train.learning_rate",
    "max_epochs": "train.max_epochs",
    "patience": "train.early_stop_patience",
    "batch_size": "train.train_batch_size",
    "neighbours": "model.neighbours",
}


_SAVED_FORMAT = "prle-sklearn"  # the predictor file's caller text that save writes


def _jsonable(v):
    """v as JSON values (tuples as lists, NumPy scalars as Python's), or raises TypeError."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, (int, float, np.integer, np.floating, np.bool_)):
        return v.item() if isinstance(v, np.generic) else v
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict) and all(isinstance(k, str) for k in v):
        return {k: _jsonable(x) for k, x in v.items()}
    raise TypeError(type(v).__name__)


def _yaml_scalar(v):
    if v is None:  # YAML null: the key's own default (from the data where it has one)
        return "null"
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    if isinstance(v, str):
        return v
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_yaml_scalar(x) for x in v) + "]"
    raise ValueError(f"prle: cannot pass {v!r} as a config value")


def _saved_settings(raw):
    """The dict save wrote into a predictor file, or None for another caller's text."""
    try:
        d = json.loads(raw.decode()) if raw else None
    except (UnicodeDecodeError, ValueError):
        return None
    return d if isinstance(d, dict) and d.get("format") == _SAVED_FORMAT else None


class RidgeBetterWarning(UserWarning):
    """PRLERegressor.fit: on the rows the fit held out, a ridge on the same features had a lower
    mean squared error than the fitted PRLE (`validation_mse_` holds both)."""


class _Handle:
    """Owns one prle_predictor*."""

    def __init__(self, ptr):
        self.ptr = ptr

    def __del__(self):
        if self.ptr and lib is not None:
            lib.prle_predictor_free(self.ptr)
            self.ptr = None

    def to_bytes(self):
        buf, size = ctypes.c_void_p(), ctypes.c_size_t()
        _lib.check(lib.prle_predictor_save_memory(ctypes.byref(buf), ctypes.byref(size),
                                                  self.ptr))
        try:
            return ctypes.string_at(buf, size.value)
        finally:
            lib.prle_free(buf)

    @classmethod
    def from_bytes(cls, data, name=b"<pickle>"):
        ptr = ctypes.c_void_p()
        _lib.check(lib.prle_predictor_load_memory(ctypes.byref(ptr), data, len(data), name))
        return cls(ptr)


def _float32_labels(y, what):
    """ValueError when single precision, which the library computes in, keeps the labels only
    to within more than 1 % of their spread: a large offset (1e9 + a few units: subtract it),
    or labels too large or too small for its range (rescale them)."""
    if not y.size:
        return
    f32 = np.finfo(np.float32)
    big = float(np.max(np.abs(y)))
    if big > f32.max:
        raise ValueError(f"{what} holds {big:.3g}, beyond single precision's range "
                         f"({f32.max:.3g}), which the library computes in: rescale it (e.g. "
                         f"{what} / {what}.std())")
    spread = float(np.max(y) - np.min(y))
    err = float(np.max(np.abs(y - y.astype(np.float32).astype(np.float64))))
    if spread > 0 and err > 0.01 * spread:
        mean = float(np.mean(y))
        fix = (f"subtract an offset (e.g. {what} - {what}.mean()) first"
               if abs(mean) > 10 * spread else
               f"rescale it (e.g. {what} / {what}.std()) first")
        raise ValueError(f"{what} lies around {mean:.6g} and spans only {spread:.6g}: "
                         f"single precision keeps it only to within {err:.3g}, more than 1 % of "
                         f"that; {fix}")


def _threads(n_jobs):
    """train.threads for n_jobs, scikit-learn's way: None is 1 thread, -1 every core, -2 all
    but one, and so on; 0 or a non-integer is a ValueError."""
    if n_jobs is None:
        return 1
    if isinstance(n_jobs, (bool, np.bool_)) or not isinstance(n_jobs, (int, np.integer)) \
            or n_jobs == 0:
        raise ValueError(f"n_jobs must be a nonzero integer or None, got {n_jobs!r}")
    if n_jobs > 0:
        return int(n_jobs)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 1) + 1 + int(n_jobs))


class PRLERegressor(RegressorMixin, BaseEstimator):
    """Prototypical regression with local experts (PRLE) on feature rows.

    A metric-learning kernel maps X into a label-shaped value space; `n_prototypes` real
    training rows become prototypes; each prediction is a weighted sum of one small expert per
    prototype, so `explain` names the training rows it came from. Every argument left None
    takes the library's default, derived from the data where docs/config.md says so.

    Parameters (config key in brackets)
    ----------
    n_prototypes : int [model.num_prototypes], default 25 (at most half the training rows)
    router : {"softmax", "knn", "radius", "mlp_sparse"} [model.gating_strategy]
    knn_k : int [model.knn_k], prototypes kept by the knn router
    tau_top1 : float in (0, 1) [model.tau_top1], the training rows' mean largest weight that
        sets the softmax temperature (0.7)
    expert : {"linear", "mlp", "proto_rbf"} [model.type]
    kernel : {"resmlp", "mlp", "linear", "rff"} [kernel.projection_type]; None: resmlp, and
        where the ridge yardstick beats that fit on the held-out rows (validation_mse_), a
        second fit with "linear", kept if it scores better there (`kernel_` says which)
    value_dim : int [kernel.proj_dim], the value space's width (0: the input width up to
        2,048, else 512)
    kernel_learning_rate, kernel_max_epochs, kernel_patience : the kernel's Adam rate, epoch
        cap (0: a step budget from the data) and early-stopping patience (-1: from the data)
    learning_rate, max_epochs, patience : the same for the experts (stage 2)
    batch_size : int [train.train_batch_size]
    neighbours : bool [model.neighbours], default True: blend in the prediction of the nearest
        training rows (cosine on standardised X) where that lowers the validation MSE by 1 %
        or more; the weight chosen is `neighbour_weight_` (0: not kept)
    val_fraction : float, default 0.15, the share of rows held out for early stopping when
        fit gets no `eval_set` (none below 20 rows)
    refit : bool, default True: once those held-out rows have chosen (each layer's epochs, the
        experts' ridge alpha, the recalibration's slope), fit again on every row with those
        choices, as scikit-learn's searches refit on all the data; `validation_mse_` and
        predict_interval stay scored on the held-out rows by the first fit. Not with an
        `eval_set` (its rows only watch the fit), nor where the neighbour term was kept or
        `expert` is "proto_rbf" (choices fitted on the held-out rows)
    label_range : (low, high) or None, the label scale; None: min and max of y. It sets the
        kernel's label scale M (docs/config.md, data.label_min): a range much wider than y's
        spread blurs the value space (test R^2 0.965 with None, 0.833 with a range 7 times
        y's); give the scale's true ends, not a generous margin
    config : dict or None, any other config keys, e.g. {"kernel.center_inputs": True}; a value
        None is YAML null, the key's default
    random_state : int, RandomState or None [train.seed]; an int is the seed itself
    n_jobs : int or None [train.threads], scikit-learn's convention: None is 1 thread, -1
        every core, -2 all but one (results do not depend on it). With more than one thread
        on a machine other processes keep busy, start Python with OMP_WAIT_POLICY=passive:
        libgomp's idle threads otherwise spin (README, "The library from Python")

    Attributes after fit
    --------------------
    prototype_rows_, n_prototypes_, n_features_in_, neighbour_weight_, n_calibration_ (the
    rows the fit held out, which calibrate predict_interval), kernel_ (the fitted kernel's
    type: `kernel`, or with kernel None "resmlp" or the linear fallback's "linear")
    validation_mse_ : dict, on those held-out rows: "n_rows", "prle" (this model's MSE; after
        the refit, the first fit's, which did not see them),
        "ridge" and "ridge_alpha" (a ridge on the same X, its alpha from 1e-2 ... 1e4 chosen on
        them; NaN without held-out rows or in a file written before it). When the ridge's MSE
        is the lower, fit warns with a RidgeBetterWarning: PRLE's value space is learnt from
        pairs of rows, and on data that are linear in many features a ridge can be far better
        (README, "Defaults from the data")
    """

    def __init__(self, n_prototypes=None, router=None, knn_k=None, tau_top1=None, expert=None,
                 kernel=None, value_dim=None, kernel_learning_rate=None, kernel_max_epochs=None,
                 kernel_patience=None, learning_rate=None, max_epochs=None, patience=None,
                 batch_size=None, neighbours=None, val_fraction=None, label_range=None,
                 config=None, random_state=None, n_jobs=None, refit=True):
        self.n_prototypes = n_prototypes
        self.router = router
        self.knn_k = knn_k
        self.tau_top1 = tau_top1
        self.expert = expert
        self.kernel = kernel
        self.value_dim = value_dim
        self.kernel_learning_rate = kernel_learning_rate
        self.kernel_max_epochs = kernel_max_epochs
        self.kernel_patience = kernel_patience
        self.learning_rate = learning_rate
        self.max_epochs = max_epochs
        self.patience = patience
        self.batch_size = batch_size
        self.neighbours = neighbours
        self.val_fraction = val_fraction
        self.label_range = label_range
        self.config = config
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.refit = refit

    # -- params -------------------------------------------------------------------------------
    def _overrides(self):
        if self.neighbours is not None and not isinstance(self.neighbours, (bool, np.bool_)):
            raise ValueError(f"neighbours must be True, False or None, got {self.neighbours!r}")
        out = [f"{key}={_yaml_scalar(getattr(self, arg))}" for arg, key in _KEYS.items()
               if getattr(self, arg) is not None]
        for key, value in (self.config or {}).items():
            out.append(f"{key}={_yaml_scalar(value)}")
        if self.val_fraction is not None:
            out.append(f"val_fraction={float(self.val_fraction)!r}")
        if not self._linear_fallback():
            out.append("linear_fallback=false")  # the kernel asked for is the one fitted
        if not isinstance(self.refit, (bool, np.bool_)):
            raise ValueError(f"refit must be True or False, got {self.refit!r}")
        if not self.refit:
            out.append("refit=false")
        if self.label_range is not None:
            lo, hi = self._label_range()
            out += [f"data.label_min={lo!r}", f"data.label_max={hi!r}"]
        rs = self.random_state
        seed = int(rs) if isinstance(rs, (int, np.integer)) and rs >= 0 else \
            int(check_random_state(rs).randint(np.iinfo(np.int32).max))
        out += [f"train.seed={seed}", f"train.threads={_threads(self.n_jobs)}"]
        return out

    def _linear_fallback(self):
        """Whether the fit may switch to a linear kernel: no kernel named, here or in config."""
        return self.kernel is None and "kernel.projection_type" not in (self.config or {})

    def _label_range(self):
        try:
            lo, hi = (float(v) for v in self.label_range)
        except (TypeError, ValueError):
            raise ValueError(f"label_range takes (low, high), got {self.label_range!r}") from None
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError(f"label_range {tuple(self.label_range)}: low must be below high, "
                             "both finite")
        return lo, hi

    def _check_labels(self, y, what):
        """y's float32 precision and, with label_range, that every label lies in it."""
        y = np.asarray(y, dtype=np.float64)
        _float32_labels(y, what)
        if self.label_range is not None:  # in this class's words, not the C params'
            lo, hi = (np.float32(v) for v in self._label_range())
            yf = y.astype(np.float32)
            out = np.flatnonzero((yf < lo) | (yf > hi))
            if out.size:
                raise ValueError(f"{what}[{out[0]}] = {y[out[0]]:g} lies outside label_range "
                                 f"{tuple(self.label_range)} ({out.size} labels do): widen "
                                 "label_range, or leave it None to take the range of y")

    def _params(self):
        ov = [s.encode() for s in self._overrides()]
        buf = ctypes.create_string_buffer(lib.prle_predictor_params_size())
        arr = (ctypes.c_char_p * len(ov))(*ov)
        _lib.check(lib.prle_predictor_params_from_overrides(buf, arr, len(ov)))
        return buf

    # -- fit, predict, explain ----------------------------------------------------------------
    def fit(self, X, y, eval_set=None):
        """Fits kernel, prototypes and experts on X (n, d) and y (n). `eval_set`, a pair
        (X_val, y_val) or a list of one such pair, is used for early stopping, the experts' warm start and the
        recalibration (model.recalibrate) instead of a held-out share of X (as `prle run` uses
        the validation split)."""
        kept = {k: self.__dict__[k] for k in ("n_features_in_", "feature_names_in_")
                if k in self.__dict__}
        try:
            return self._fit(X, y, eval_set)
        except BaseException:  # the fit before stays whole: validation reset these
            for k in ("n_features_in_", "feature_names_in_"):
                self.__dict__.pop(k, None)
            self.__dict__.update(kept)
            raise

    def _fit(self, X, y, eval_set):
        X, y = _validate(self, X, y, y_numeric=True, dtype=[np.float32, np.float64])
        if X.shape[0] < 2:
            raise ValueError(f"n_samples = {X.shape[0]}: PRLERegressor needs at least 2 "
                             "samples (1 sample cannot be split into prototypes)")
        x = _lib.floats(X, "X")
        self._check_labels(y, "y")
        yy = _lib.floats(y, "y")
        params = self._params()
        xm = _lib.view(x)
        xv = yv = None
        if isinstance(eval_set, list) and eval_set and all(isinstance(e, tuple) for e in eval_set):
            if len(eval_set) != 1:  # XGBoost's and LightGBM's [(X_val, y_val), ...]
                raise ValueError(f"eval_set takes one pair (X_val, y_val), or a list holding one; "
                                 f"got a list of {len(eval_set)}")
            eval_set = eval_set[0]
        if eval_set is not None:
            if not isinstance(eval_set, (tuple, list)) or len(eval_set) != 2:
                raise ValueError("eval_set takes one pair (X_val, y_val), or a list holding one")
            X_val, y_val = eval_set
            X_val, y_val = _validate(self, X_val, y_val, y_numeric=True, reset=False,
                                     dtype=[np.float32, np.float64])
            self._check_labels(y_val, "eval_set y")
            xv_arr, yv = _lib.floats(X_val, "eval_set X"), _lib.floats(y_val, "eval_set y")
            xv = _lib.view(xv_arr)
        ptr = ctypes.c_void_p()
        _lib.check(lib.prle_predictor_fit(
            ctypes.byref(ptr), ctypes.byref(xm), _lib.fptr(yy),
            ctypes.byref(xv) if xv is not None else None,
            _lib.fptr(yv) if yv is not None else None, params))
        self._set_fitted(_Handle(ptr))
        v = self.validation_mse_
        if v["ridge"] < v["prle"] * (1 + 1e-6):  # NaN (no yardstick) compares False
            tried = (", with the linear kernel the fit tried and kept"
                     if self.kernel_ == "linear" and self._linear_fallback() else "")
            warnings.warn(
                f"PRLERegressor: on the {v['n_rows']} rows the fit held out a ridge on the same "
                f"features (alpha {v['ridge_alpha']:g}) has MSE {v['ridge']:.4g}, below PRLE's "
                f"{v['prle']:.4g}{tried}: a linear model suits these features better "
                "(validation_mse_ holds both)", RidgeBetterWarning, stacklevel=3)
        return self

    def _rows(self, X):
        check_is_fitted(self, "prototype_rows_")
        X = _validate(self, X, reset=False, dtype=[np.float32, np.float64])
        return _lib.floats(X, "X")

    def predict(self, X):
        """Predictions for the rows of X (n,), float64 (the library's float32 values)."""
        x = self._rows(X)
        out = np.empty(x.shape[0], dtype=np.float32)
        if x.shape[0]:
            m = _lib.view(x)
            _lib.check(lib.prle_predictor_predict(_lib.fptr(out), self._handle.ptr,
                                                  ctypes.byref(m)))
        return out.astype(np.float64)

    def predict_interval(self, X, level=0.9, adaptive=False):
        """Predictions for the rows of X and split-conformal intervals around them: three (n,)
        float64 arrays yhat, lo, hi. The rule is calibrated on the rows fit held out (its
        `eval_set`, or its `val_fraction` share; `n_calibration_` of them): q is the
        ceil((m + 1) level)-th smallest of their absolute residuals (with `adaptive`, each
        divided by 1 + the entropy of the row's routing weights / ln P, and the interval
        widened by the same factor), and the ends are clipped to the label range. Coverage
        `level` holds for rows exchangeable with the held-out ones; with too few of them for
        the level, every interval is the label range. A fit that held out no rows (fewer than
        20 rows and no `eval_set`) has nothing to calibrate on: InputError, saying so."""
        if not 0 < level < 1:
            raise ValueError(f"predict_interval: level must be in (0, 1), got {level}")
        x = self._rows(X)
        n = x.shape[0]
        yhat, lo, hi = (np.zeros(n, dtype=np.float32) for _ in range(3))
        m = _lib.view(x)
        _lib.check(lib.prle_predictor_intervals(_lib.fptr(yhat), _lib.fptr(lo), _lib.fptr(hi),
                                                self._handle.ptr, ctypes.byref(m), float(level),
                                                bool(adaptive)))
        return yhat.astype(np.float64), lo.astype(np.float64), hi.astype(np.float64)

    def explain(self, X, k=3):
        """The k heaviest prototypes of each row of X, as an Explanation of arrays."""
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"explain: k must be an integer of 1 or more, got {k!r}")
        x = self._rows(X)
        n, kk = x.shape[0], min(int(k), self.n_prototypes_)
        items = np.zeros(n * kk, dtype=_lib.ITEM_DTYPE)
        rest = np.zeros(n, dtype=np.float32)
        yhat = np.zeros(n, dtype=np.float32)
        if n:
            m = _lib.view(x)
            _lib.check(lib.prle_predictor_explain_rows(
                _lib.items_ptr(items), _lib.fptr(rest), _lib.fptr(yhat), self._handle.ptr,
                ctypes.byref(m), kk))
        items = items.reshape(n, kk)
        return Explanation(items["train_row"].astype(np.int64),
                           items["prototype"].astype(np.int64), items["weight"],
                           items["local"], items["contribution"], rest, yhat)

    def save(self, path):
        """Writes the fitted predictor to one file (prle_predictor_save), which C programs
        read with prle_predictor_load and Python with PRLERegressor.load. The file keeps the
        constructor arguments and feature_names_in_ too (as JSON, the predictor's user text):
        every argument but a RandomState instance as random_state, which load gives as None."""
        check_is_fitted(self, "prototype_rows_")
        params = {}
        for k, v in self.get_params(deep=False).items():
            try:
                params[k] = _jsonable(v)
            except TypeError:  # a RandomState: its state is not a setting
                if k != "random_state":
                    raise ValueError(f"save: {k}={v!r} cannot be kept in the file (JSON "
                                     "values only)") from None
        names = getattr(self, "feature_names_in_", None)
        text = json.dumps({"format": _SAVED_FORMAT, "version": 1, "params": params,
                           "feature_names_in": None if names is None else [str(n) for n in names]},
                          ensure_ascii=False, allow_nan=False)
        _lib.check(lib.prle_predictor_set_user_text(self._handle.ptr, text.encode()))
        _lib.check(lib.prle_predictor_save(self._handle.ptr, str(path).encode()))

    def neighbour_rows(self, X):
        """The neighbour term's training rows for each row of X (rows of the X given to fit,
        nearest first) and their labels: two (n, k) arrays, k 0 when the fit kept no term
        (neighbour_weight_ 0)."""
        x = self._rows(X)
        k = lib.prle_predictor_neighbour_k(self._handle.ptr)
        rows = np.zeros((x.shape[0], k), dtype=np.uint64)
        labels = np.zeros((x.shape[0], k), dtype=np.float32)
        if k and x.shape[0]:
            m = _lib.view(x)
            _lib.check(lib.prle_predictor_neighbours(
                rows.ctypes.data_as(_lib.c_size_p), _lib.fptr(labels), self._handle.ptr,
                ctypes.byref(m)))
        return rows.astype(np.int64), labels

    def neighbour_predictions(self, X):
        """The neighbour term's prediction c for each row of X: its rows' labels (neighbour_rows)
        averaged with the fit's weights, the c of each local prediction (1 -
        neighbour_weight_) expert + neighbour_weight_ c; (n,) float64, NaN when the fit kept no
        term."""
        x = self._rows(X)
        c = np.full(x.shape[0], np.nan, dtype=np.float32)
        if lib.prle_predictor_neighbour_k(self._handle.ptr) and x.shape[0]:
            m = _lib.view(x)
            _lib.check(lib.prle_predictor_neighbour_predictions(_lib.fptr(c), self._handle.ptr,
                                                                ctypes.byref(m)))
        return c.astype(np.float64)

    @classmethod
    def load(cls, path):
        """A fitted estimator from a predictor file (save, or prle_predictor_save in C), with
        the constructor arguments and feature_names_in_ that save kept; a file written in C,
        or before 2026-12-07 (ninth session), gives the defaults and no feature names."""
        ptr = ctypes.c_void_p()
        _lib.check(lib.prle_predictor_load(ctypes.byref(ptr), str(path).encode()))
        handle = _Handle(ptr)
        est = cls()
        est._set_fitted(handle)
        saved = _saved_settings(lib.prle_predictor_user_text(handle.ptr))
        if saved:
            known = est.get_params(deep=False)
            given = saved.get("params")
            params = {k: v for k, v in (given if isinstance(given, dict) else {}).items()
                      if k in known}
            if isinstance(params.get("label_range"), list):
                params["label_range"] = tuple(params["label_range"])
            est.set_params(**params)
            names = saved.get("feature_names_in")
            if isinstance(names, list) and len(names) == est.n_features_in_:
                est.feature_names_in_ = np.asarray(names, dtype=object)
        return est

    def _set_fitted(self, handle):
        self._handle = handle
        p = lib.prle_predictor_n_prototypes(handle.ptr)
        rows = (ctypes.c_size_t * p)()
        lib.prle_predictor_prototype_rows(rows, handle.ptr)
        self.prototype_rows_ = np.array(rows, dtype=np.int64)
        self.n_prototypes_ = p
        self.n_features_in_ = lib.prle_predictor_in_dim(handle.ptr)
        self.neighbour_weight_ = lib.prle_model_neighbour_weight(
            lib.prle_predictor_model(handle.ptr))
        self.n_calibration_ = lib.prle_predictor_n_calibration(handle.ptr)
        self.kernel_ = lib.prle_head_type_name(
            lib.prle_kernel_type(lib.prle_predictor_kernel(handle.ptr))).decode()
        ys = _lib.Yardstick()
        _lib.check(lib.prle_predictor_yardstick_get(ctypes.byref(ys), handle.ptr))
        self.validation_mse_ = {"n_rows": ys.n, "prle": ys.mse, "ridge": ys.ridge_mse,
                                "ridge_alpha": ys.ridge_alpha}

    # -- pickling: the predictor's bytes (the same ones `save` writes) ------------------------
    def __getstate__(self):
        state = dict(super().__getstate__())
        if "_handle" in state:
            state["_handle"] = state["_handle"].to_bytes()
        return state

    def __setstate__(self, state):
        if isinstance(state.get("_handle"), bytes):
            state["_handle"] = _Handle.from_bytes(state["_handle"])
        super().__setstate__(state)

    def _more_tags(self):
        return {"poor_score": False}
