#!/usr/bin/python3
"""Reference for test_router__tau_for_top1: the tau at which the mean largest softmax weight of
two rows with distance gaps 0.1 and 0.3 (two prototypes) is 0.7, by scipy's brentq."""
import numpy as np
from scipy.optimize import brentq

f = lambda t: (1 / (1 + np.exp(-0.1 * t)) + 1 / (1 + np.exp(-0.3 * t))) / 2 - 0.7
print(f"tau = {brentq(f, 1e-6, 1e3, xtol=1e-12):.4f}")
