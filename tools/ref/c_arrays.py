"""C array printing shared by the fixture scripts that write float32 problems (imported by
knn_reference_ref.py and neighbours_ref.py, which run from this folder)."""
import numpy as np


def floats(name, a):
    """a as `static const float name[size] = {...};`, each value to float32's 9 digits"""
    vals = ", ".join(f"{v:.9g}f" for v in np.asarray(a, dtype=np.float32).ravel())
    return f"static const float {name}[{np.asarray(a).size}] = {{{vals}}};"


def split_arrays(prefix, n, x, y):
    """Each split's row count as PREFIX_N_TR / _VA / _TE and its rows and labels as
    prefix_x_split, prefix_y_split: the lines, in the order of n."""
    lines = []
    for s, rows in n.items():
        tag = {"train": "TR", "validation": "VA", "test": "TE"}[s]
        lines += [f"#define {prefix.upper()}_N_{tag} {rows}",
                  floats(f"{prefix}_x_{s}", x[s]), floats(f"{prefix}_y_{s}", y[s])]
    return lines
