"""A run folder of `prle run`, used from Python: predict and explain new texts or embeddings."""
import ctypes
import os

import numpy as np

from . import _lib
from ._lib import lib
from .estimator import Explanation


SPLITS = ("train", "validation", "test")  # prle_split's order


def load_run(path):
    """Opens the run folder `path` (config.yaml, kernel.safetensors, model.safetensors)."""
    return Run(path)


class Run:
    """An opened run folder. `predict` and `explain` take texts (the run's encoder, as `prle
    predict --text`) or, for any run, embeddings of the retrieval space (`prle predict
    --embeddings`)."""

    def __init__(self, path):
        self.path = os.fsdecode(path)  # str, bytes or a path-like object
        if not self.path:
            raise ValueError("load_run: the run folder's path is empty")
        ptr = ctypes.c_void_p()
        _lib.check(lib.prle_run_folder_open(ctypes.byref(ptr), os.fsencode(self.path)))
        self._rf = ptr
        self._model = lib.prle_run_folder_model(ptr)
        self.n_features_in_ = lib.prle_kernel_in_dim(lib.prle_run_folder_kernel(ptr))
        self.n_prototypes = lib.prle_model_n_prototypes(self._model)
        rows = lib.prle_model_prototype_rows(self._model)
        self.prototype_rows = np.array(rows[:self.n_prototypes], dtype=np.int64)
        # the neighbour term's lambda (0: the run kept none); explanations' local predictions
        # include it (docs/run-folder.md, "The prediction")
        self.neighbour_weight = lib.prle_model_neighbour_weight(self._model)

    def labels(self, split="train"):
        """The labels of a split of the run's dataset ("train", "validation", "test")."""
        self._open()
        s = SPLITS.index(split) if split in SPLITS else -1
        if s < 0:
            raise ValueError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
        if not lib.prle_run_folder_has_data(self._rf):
            raise _lib.NotFoundError(f"{self.path}: labels() needs the run's dataset, which is "
                                     "not where its config.yaml says", "PRLE_ENOTFOUND")
        ds = lib.prle_run_folder_dataset(self._rf)
        n = lib.prle_dataset_n_rows(ds, s)
        y = lib.prle_dataset_labels(ds, s)
        return np.ctypeslib.as_array(y, shape=(n,)).astype(np.float64) if n else np.zeros(0)

    def close(self):
        if getattr(self, "_rf", None):
            lib.prle_run_folder_free(self._rf)
            self._rf = None

    def __del__(self):
        if lib is not None:
            self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _open(self):
        if getattr(self, "_rf", None) is None:
            raise ValueError(f"{self.path}: the run is closed")

    @staticmethod
    def _texts(texts, what):
        """The texts as UTF-8 bytes: str, or bytes that are UTF-8; anything else (None, a NaN
        of a missing value, a number) is refused rather than predicted as its repr."""
        if isinstance(texts, (str, bytes)):
            raise ValueError(f"{what} must be a list of strings, not one string")
        if isinstance(texts, (dict, set, frozenset)) or (isinstance(texts, np.ndarray)
                                                        and texts.ndim != 1):
            raise TypeError(f"{what} must be a sequence of strings (a list, tuple or 1-D "
                            f"array), not {type(texts).__name__}"
                            + (f" of shape {texts.shape}" if isinstance(texts, np.ndarray)
                               else ""))
        out = []
        for i, t in enumerate(texts):
            if isinstance(t, bytes):
                try:
                    t.decode()
                except UnicodeDecodeError as e:
                    raise ValueError(f"{what}[{i}] is not UTF-8: {e}") from None
                b = t
            elif isinstance(t, str):
                b = t.encode()
            else:
                raise TypeError(f"{what}[{i}] is {t!r} ({type(t).__name__}), not a string")
            if b"\0" in b:
                raise ValueError(f"{what}[{i}] holds a NUL character")
            out.append(b)
        return out

    def _rows(self, texts, texts2, embeddings):
        """The retrieval rows of the inputs: the embeddings given, or the texts encoded."""
        self._open()
        if (texts is None) == (embeddings is None):
            raise ValueError("give texts or embeddings (one of them)")
        if embeddings is not None:
            if texts2 is not None:
                raise ValueError("texts2 goes with texts, not with embeddings")
            x = np.asarray(embeddings)
            if x.dtype.kind not in "fiu":  # complex would lose its imaginary part, bool and
                raise TypeError(f"embeddings must be real numbers, got dtype {x.dtype}")  # None
            if x.ndim != 2:
                raise ValueError(f"embeddings must be 2-D (rows, {self.n_features_in_}), "
                                 f"got shape {x.shape}")
            if x.shape[1] != self.n_features_in_:  # what the library says, for every method
                raise _lib.InputError(f"embeddings: rows are {x.shape[1]} wide, the run's kernel "
                                      f"takes {self.n_features_in_}", "PRLE_ESHAPE")
            return _lib.floats(x, "embeddings")
        t1 = self._texts(texts, "texts")
        a1 = (ctypes.c_char_p * max(len(t1), 1))(*t1)
        a2 = None
        pairs = lib.prle_dataset_n_texts(lib.prle_run_folder_dataset(self._rf)) == 2
        if texts2 is not None and not pairs:  # it would be dropped without a word
            raise ValueError(f"{self.path}: the run's dataset has single texts: texts2 has no "
                             "place")
        if texts2 is not None:
            t2 = self._texts(texts2, "texts2")
            if len(t2) != len(t1):
                raise ValueError(f"{len(t1)} texts but {len(t2)} second texts")
            a2 = (ctypes.c_char_p * max(len(t2), 1))(*t2)
        x = _lib.Matrix()
        _lib.check(lib.prle_run_folder_embed(ctypes.byref(x), self._rf, a1, a2, len(t1)))
        return _lib.owned(x)

    def _value(self, texts, texts2, embeddings):
        x = self._rows(texts, texts2, embeddings)
        z = _lib.Matrix()
        m = _lib.view(x)
        _lib.check(lib.prle_run_folder_map(ctypes.byref(z), self._rf, ctypes.byref(m),
                                           b"embeddings" if embeddings is not None else b"texts"))
        return _lib.owned(z)

    def neighbour_rows(self, texts=None, texts2=None, embeddings=None):
        """The neighbour term's training rows for each input, nearest first, and their labels:
        two (n, k) arrays (k 0 when the run kept no term; docs/run-folder.md)."""
        x = self._rows(texts, texts2, embeddings)
        k = lib.prle_run_folder_neighbour_k(self._rf)
        rows = np.zeros((x.shape[0], k), dtype=np.uint64)
        labels = np.zeros((x.shape[0], k), dtype=np.float32)
        if k and x.shape[0]:
            m = _lib.view(x)
            _lib.check(lib.prle_run_folder_neighbours(
                rows.ctypes.data_as(_lib.c_size_p), _lib.fptr(labels), self._rf,
                ctypes.byref(m)))
        return rows.astype(np.int64), labels

    def neighbour_predictions(self, texts=None, texts2=None, embeddings=None):
        """The neighbour term's prediction c for each input (the c of each local prediction,
        `prle predict --explain`'s "neighbours" "prediction"); (n,) float64, NaN when the run
        kept no term."""
        z = self._value(texts, texts2, embeddings)
        if self.neighbour_weight == 0:
            return np.full(z.shape[0], np.nan)
        return z[:, -1].astype(np.float64)  # the model's last input column (docs/run-folder.md)

    def predict(self, texts=None, texts2=None, embeddings=None):
        """Predictions (n,) float64 for n texts (pairs: texts and texts2) or embeddings."""
        z = self._value(texts, texts2, embeddings)
        out = np.empty(z.shape[0], dtype=np.float32)
        if z.shape[0]:
            m = _lib.view(z)
            _lib.check(lib.prle_model_predict(_lib.fptr(out), None, None, self._model,
                                              ctypes.byref(m)))
        return out.astype(np.float64)

    def predict_interval(self, texts=None, texts2=None, embeddings=None, level=0.9,
                         adaptive=False):
        """Predictions and split-conformal intervals, as `prle predict --interval LEVEL
        [--adaptive]`: three (n,) float64 arrays yhat, lo, hi. The rule is calibrated on the
        run's validation rows (their absolute residuals; with `adaptive`, scaled by the routing
        weights' entropy) and the ends clipped to the dataset's label range; coverage `level`
        holds for inputs exchangeable with the validation rows. With fewer validation rows than
        the level needs, every interval is the label range."""
        if not 0 < level < 1:
            raise ValueError(f"predict_interval: level must be in (0, 1), got {level}")
        z = self._value(texts, texts2, embeddings)  # first: it refuses a closed run
        conf = _lib.Conformal()
        _lib.check(lib.prle_conformal_fit(ctypes.byref(conf), self._rf, float(level),
                                          bool(adaptive)))
        n = z.shape[0]
        yhat, lo, hi = (np.zeros(n, dtype=np.float32) for _ in range(3))
        if n:
            m = _lib.view(z)
            _lib.check(lib.prle_conformal_predict(_lib.fptr(yhat), _lib.fptr(lo), _lib.fptr(hi),
                                                  ctypes.byref(conf), self._model,
                                                  ctypes.byref(m)))
        return yhat.astype(np.float64), lo.astype(np.float64), hi.astype(np.float64)

    def explain(self, texts=None, texts2=None, embeddings=None, k=3):
        """The k heaviest prototypes of each input, as an Explanation; `rows` are rows of the
        run's train split."""
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"explain: k must be an integer of 1 or more, got {k!r}")
        z = self._value(texts, texts2, embeddings)
        n, kk = z.shape[0], min(int(k), self.n_prototypes)
        items = np.zeros((n, kk), dtype=_lib.ITEM_DTYPE)
        rest = np.zeros(n, dtype=np.float32)
        yhat = np.zeros(n, dtype=np.float32)
        if n:
            m = _lib.view(z)
            _lib.check(lib.prle_model_explain_rows(_lib.items_ptr(items), _lib.fptr(rest), None,
                                                   _lib.fptr(yhat), self._model,
                                                   ctypes.byref(m), kk))
        return Explanation(items["train_row"].astype(np.int64),
                           items["prototype"].astype(np.int64), items["weight"],
                           items["local"], items["contribution"], rest, yhat)
