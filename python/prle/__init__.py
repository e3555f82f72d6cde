"""PRLE from Python: a scikit-learn estimator over libprle.so (ctypes; NumPy arrays in and out)
and the run folders of the `prle` command.

    from prle import PRLERegressor, load_run
"""
from ._lib import Error, InputError, NotFoundError, version as __version__
from .estimator import Explanation, PRLERegressor, RidgeBetterWarning
from .run import Run, load_run

__all__ = ["PRLERegressor", "Explanation", "Run", "load_run", "Error", "InputError", "__version__",
           "NotFoundError", "RidgeBetterWarning"]
