import numpy as np
from prle import PRLERegressor

X = np.random.RandomState(0).uniform(-1, 1, (1000, 4))
y = np.sin(3 * X[:, 0]) + X[:, 1] ** 2
model = PRLERegressor(random_state=0).fit(X[:800], y[:800])
print(f"test R^2 {model.score(X[800:], y[800:]):.3f}")
e = model.explain(X[800:801], k=3)  # the 3 heaviest prototypes: rows of X[:800]
for row, w, local in zip(e.rows[0], e.weights[0], e.local[0]):
    print(f"training row {row} (label {y[row]:.3f}): weight {w:.3f} x local {local:.3f}")
print(f"the other prototypes add {e.rest[0]:.3f}: prediction {e.prediction[0]:.3f}")
